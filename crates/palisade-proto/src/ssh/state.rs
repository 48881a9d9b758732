//! The flow's transaction and the per-direction banner reader.

use super::parser::banner;
use crate::buffers::{by_sticky_name, BufferId};
use crate::parser::{AppTx, Dir, Input, ParseError, Parser, Sink, TxUpdate};
use crate::tx::Transaction;
use crate::util::{line, text, StreamBuf};
use serde_json::{json, Map, Value};
use std::sync::OnceLock;

/// Longest banner line kept (RFC 4253 allows 255 bytes with CR LF; some
/// implementations send longer comments).
pub const MAX_BANNER: usize = 1024;
/// Lines a server may send before its banner before we give up.
pub const MAX_PRE_BANNER_LINES: u32 = 32;

/// One side's identification.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Side {
    /// Protocol version (`2.0`).
    pub proto: Vec<u8>,
    /// Software version (`OpenSSH_8.4p1`).
    pub software: Vec<u8>,
    /// Comments after the software version.
    pub comments: Vec<u8>,
}

/// The SSH transaction: both banners.
#[derive(Debug, Default)]
pub struct SshTx {
    /// Client banner.
    pub client: Option<Side>,
    /// Server banner.
    pub server: Option<Side>,
    events: Vec<&'static str>,
}

#[derive(Default)]
struct DirState {
    buf: StreamBuf,
    done: bool,
    lines: u32,
}

/// Parser state of one flow.
#[derive(Default)]
pub struct SshParser {
    tx: SshTx,
    dirs: [DirState; 2],
    logged: bool,
}

fn ids() -> &'static (BufferId, BufferId) {
    static IDS: OnceLock<(BufferId, BufferId)> = OnceLock::new();
    IDS.get_or_init(|| {
        (
            by_sticky_name("ssh.proto").unwrap_or(BufferId(u16::MAX)),
            by_sticky_name("ssh.software").unwrap_or(BufferId(u16::MAX)),
        )
    })
}

impl Transaction for SshTx {
    fn app_proto(&self) -> &'static str {
        "ssh"
    }
    fn buffer(&self, id: BufferId, f: &mut dyn FnMut(&[u8])) {
        let (proto, software) = *ids();
        for side in [&self.client, &self.server].into_iter().flatten() {
            if id == proto {
                f(&side.proto);
            } else if id == software {
                f(&side.software);
            }
        }
    }
    fn events(&self) -> &[&'static str] {
        &self.events
    }
    fn id(&self) -> u64 {
        0
    }
}

fn side_json(s: &Side) -> Value {
    json!({
        "proto_version": text(&s.proto),
        "software_version": text(&s.software),
    })
}

impl AppTx for SshTx {
    fn log(&self, out: &mut Map<String, Value>) {
        if let Some(c) = &self.client {
            out.insert("client".into(), side_json(c));
        }
        if let Some(s) = &self.server {
            out.insert("server".into(), side_json(s));
        }
    }
}

impl SshParser {
    /// Reads lines of one direction until its banner; returns bytes used.
    fn lines(&mut self, dir: Dir, data: &[u8], sink: &mut dyn Sink) -> usize {
        let d = dir.index();
        let mut off = 0;
        while !self.dirs[d].done {
            let Some((l, n)) = line(&data[off..]) else {
                break;
            };
            off += n;
            if let Some(b) = banner(l) {
                let side = Side {
                    proto: b.proto.to_vec(),
                    software: b.software.to_vec(),
                    comments: b.comments.unwrap_or_default().to_vec(),
                };
                match dir {
                    Dir::ToServer => self.tx.client = Some(side),
                    Dir::ToClient => self.tx.server = Some(side),
                }
                self.dirs[d].done = true;
                self.report(dir, sink);
                return data.len();
            }
            self.dirs[d].lines += 1;
            if dir == Dir::ToServer || self.dirs[d].lines > MAX_PRE_BANNER_LINES {
                // A client must start with its banner.
                self.tx.events.push("ssh.invalid_banner");
                self.dirs[d].done = true;
                return data.len();
            }
        }
        if self.dirs[d].done {
            data.len()
        } else {
            off
        }
    }

    fn report(&mut self, dir: Dir, sink: &mut dyn Sink) {
        let complete = self.tx.client.is_some() && self.tx.server.is_some();
        if complete {
            self.logged = true;
        }
        sink.tx(&self.tx, TxUpdate { dir, complete });
    }
}

impl Parser for SshParser {
    fn parse(&mut self, input: Input<'_>, sink: &mut dyn Sink) -> Result<(), ParseError> {
        let d = input.dir.index();
        if self.dirs[d].done {
            return Ok(());
        }
        let mut buf = std::mem::take(&mut self.dirs[d].buf);
        let r = buf.feed(input.data, MAX_BANNER, |data| {
            self.lines(input.dir, data, sink)
        });
        self.dirs[d].buf = buf;
        if r.is_err() {
            self.tx.events.push("ssh.long_banner");
            self.dirs[d].done = true;
        }
        Ok(())
    }

    fn gap(&mut self, dir: Dir, _len: u64, _sink: &mut dyn Sink) {
        // A gap before the banner loses it; after it nothing is parsed.
        let d = &mut self.dirs[dir.index()];
        d.buf.clear();
        d.done = true;
    }

    fn finish(&mut self, sink: &mut dyn Sink) {
        if !self.logged
            && (self.tx.client.is_some() || self.tx.server.is_some() || !self.tx.events.is_empty())
        {
            self.logged = true;
            sink.tx(
                &self.tx,
                TxUpdate {
                    dir: Dir::ToClient,
                    complete: true,
                },
            );
        }
    }
}
