//! Transactions: one per command, paired in order with its final reply.

use super::parser::{command, eprt, epsv_reply, host_port, pasv_reply, reply_code, LineReader};
use crate::buffers::{by_sticky_name, BufferId};
use crate::parser::{
    AppTx, Credential, Dir, Input, LoginOutcome, ParseError, Parser, Secret, Sink, TxUpdate,
};
use crate::tx::Transaction;
use crate::util::text;
use serde_json::{json, Map, Value};
use std::collections::VecDeque;
use std::net::IpAddr;
use std::sync::OnceLock;

/// Longest command or reply line kept (Suricata's `max-line-length`).
pub const MAX_LINE: usize = 4096;
/// Commands waiting for their reply.
pub const MAX_PENDING: usize = 64;
/// Reply lines kept per transaction.
pub const MAX_REPLY_LINES: usize = 64;
/// Reply bytes kept per transaction.
pub const MAX_REPLY_BYTES: usize = 16 * 1024;
/// Data-channel announcements kept until the pipeline takes them (a new
/// PORT/PASV supersedes the previous ones, so older ones are just dropped).
pub const MAX_EXPECTATIONS: usize = 8;

/// A data connection announced on the control connection, for the
/// pipeline to label the flow that uses it `ftp-data`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataChannel {
    /// The transaction (PORT/EPRT/PASV/EPSV) that announced it.
    pub tx_id: u64,
    /// Active mode (PORT/EPRT): the server connects to `addr:port` on the
    /// client side. Passive (227/229): the client connects to the server.
    pub active: bool,
    /// The announced address; None for EPSV, which means the control
    /// connection's server address. An active-mode address that is not the
    /// client's is an FTP bounce.
    pub addr: Option<IpAddr>,
    /// The announced port.
    pub port: u16,
}

/// One command and its reply (or a reply without a command: the greeting).
#[derive(Debug, Default)]
pub struct FtpTx {
    id: u64,
    /// Command word, upper-cased; empty for a reply without a command.
    pub command: Vec<u8>,
    /// Argument (never logged for PASS).
    command_data: Vec<u8>,
    /// The command line was longer than [`MAX_LINE`].
    pub command_truncated: bool,
    /// Reply lines as received (codes included).
    pub reply: Vec<Vec<u8>>,
    /// A reply line was cut, or lines were dropped.
    pub reply_truncated: bool,
    reply_bytes: usize,
    /// The final (non-1xx) reply code.
    pub code: Option<u16>,
    /// Data-channel port announced by this command or its reply.
    pub dynamic_port: Option<u16>,
    /// PORT/EPRT: active mode.
    pub active: bool,
    /// For PASS: the user name of the USER before it.
    user: Vec<u8>,
    events: Vec<&'static str>,
}

impl FtpTx {
    fn event(&mut self, name: &'static str) {
        if !self.events.contains(&name) {
            self.events.push(name);
        }
    }

    /// The command's argument (the password for PASS: not for logs).
    pub fn command_data(&self) -> &[u8] {
        &self.command_data
    }

    fn is(&self, cmd: &[u8]) -> bool {
        self.command == cmd
    }

    fn outcome(&self) -> LoginOutcome {
        match self.code {
            Some(200..=299) => LoginOutcome::Success,
            Some(400..=599) => LoginOutcome::Failure,
            _ => LoginOutcome::Unknown,
        }
    }
}

fn ids() -> &'static (BufferId, BufferId) {
    static IDS: OnceLock<(BufferId, BufferId)> = OnceLock::new();
    IDS.get_or_init(|| {
        (
            by_sticky_name("ftp.command").unwrap_or(BufferId(u16::MAX)),
            by_sticky_name("ftp.command_data").unwrap_or(BufferId(u16::MAX)),
        )
    })
}

impl Transaction for FtpTx {
    fn app_proto(&self) -> &'static str {
        "ftp"
    }
    fn buffer(&self, id: BufferId, f: &mut dyn FnMut(&[u8])) {
        let (cmd, data) = *ids();
        if self.command.is_empty() {
            return;
        }
        if id == cmd {
            f(&self.command);
        } else if id == data && !self.command_data.is_empty() {
            f(&self.command_data);
        }
    }
    fn events(&self) -> &[&'static str] {
        &self.events
    }
    fn id(&self) -> u64 {
        self.id
    }
}

impl AppTx for FtpTx {
    /// Suricata's `ftp` object, except that PASS has no `command_data`.
    fn log(&self, out: &mut Map<String, Value>) {
        if !self.command.is_empty() {
            out.insert("command".into(), json!(text(&self.command)));
            if !self.command_data.is_empty() && !self.is(b"PASS") {
                out.insert("command_data".into(), json!(text(&self.command_data)));
                out.insert("command_truncated".into(), json!(self.command_truncated));
            }
        }
        // As Suricata: a line starting with a code gives a completion code
        // and the text after `123 `; other lines (inside a multi-line
        // reply) are kept whole.
        let mut codes = Vec::new();
        let mut lines = Vec::new();
        for l in &self.reply {
            if l.get(..3).is_some_and(|c| c.iter().all(u8::is_ascii_digit)) {
                codes.push(json!(text(l.get(..3).unwrap_or_default())));
                if let Some(t) = l.get(4..) {
                    lines.push(json!(text(t)));
                }
            } else {
                lines.push(json!(text(l)));
            }
        }
        if !lines.is_empty() {
            out.insert("reply".into(), Value::Array(lines));
        }
        if !codes.is_empty() {
            out.insert("completion_code".into(), Value::Array(codes));
        }
        if let Some(p) = self.dynamic_port {
            out.insert("dynamic_port".into(), json!(p));
        }
        if self.is(b"PORT") || self.is(b"EPRT") {
            let mode = if self.active { "active" } else { "passive" };
            out.insert("mode".into(), json!(mode));
        }
        let received = if self.code.is_some() { "yes" } else { "no" };
        out.insert("reply_received".into(), json!(received));
        out.insert("reply_truncated".into(), json!(self.reply_truncated));
    }

    /// PASS: the user name of the preceding USER and the password. USER:
    /// only when the server decided on the user name alone (230 without a
    /// password, or a rejection); after 331 the PASS carries the attempt.
    fn credential(&self) -> Option<Credential<'_>> {
        if self.is(b"PASS") {
            return Some(Credential {
                service: "ftp",
                username: &self.user,
                secret: Secret::Plain(&self.command_data),
                outcome: self.outcome(),
            });
        }
        if self.is(b"USER") && self.outcome() != LoginOutcome::Unknown {
            return Some(Credential {
                service: "ftp",
                username: &self.command_data,
                secret: Secret::None,
                outcome: self.outcome(),
            });
        }
        None
    }
}

/// Parser state of one flow.
#[derive(Default)]
pub struct FtpParser {
    lines: [LineReader; 2],
    /// Transactions waiting for their final reply, oldest first.
    pending: VecDeque<FtpTx>,
    next_id: u64,
    /// Code of the multi-line reply being read.
    multi: Option<u16>,
    /// A reply was seen (the first 220 is the greeting).
    replied: bool,
    /// Last USER argument.
    user: Vec<u8>,
    expectations: Vec<DataChannel>,
    /// AUTH TLS accepted: the rest is encrypted.
    tls: bool,
}

impl FtpParser {
    /// Data channels announced and not yet taken, oldest first.
    pub fn expectations(&self) -> &[DataChannel] {
        &self.expectations
    }

    /// Takes the announced data channels.
    pub fn take_expectations(&mut self) -> Vec<DataChannel> {
        std::mem::take(&mut self.expectations)
    }

    fn expect(&mut self, e: DataChannel) {
        if self.expectations.len() >= MAX_EXPECTATIONS {
            self.expectations.remove(0);
        }
        self.expectations.push(e);
    }

    fn new_tx(&mut self) -> FtpTx {
        let tx = FtpTx {
            id: self.next_id,
            ..FtpTx::default()
        };
        self.next_id += 1;
        tx
    }

    fn command_line(&mut self, line: &[u8], truncated: bool, sink: &mut dyn Sink) {
        if line.is_empty() {
            return;
        }
        if self.pending.len() >= MAX_PENDING {
            sink.event(Dir::ToServer, "ftp.too_many_transactions");
            if let Some(old) = self.pending.pop_front() {
                complete(&old, sink);
            }
        }
        let (cmd, arg) = command(line);
        let mut tx = self.new_tx();
        tx.command = cmd.to_ascii_uppercase();
        tx.command_data = arg.to_vec();
        if truncated {
            tx.command_truncated = true;
            tx.event("ftp.request_command_too_long");
        }
        match &tx.command[..] {
            b"USER" => self.user = arg.to_vec(),
            b"PASS" => tx.user = self.user.clone(),
            b"PORT" => {
                tx.active = true;
                tx.dynamic_port = host_port(crate::util::trim(arg)).map(|(_, p)| p);
            }
            b"EPRT" => {
                tx.active = true;
                tx.dynamic_port = eprt(arg).map(|(_, p)| p);
            }
            _ => {}
        }
        sink.tx(
            &tx,
            TxUpdate {
                dir: Dir::ToServer,
                complete: false,
            },
        );
        self.pending.push_back(tx);
    }

    fn reply_line(&mut self, line: &[u8], truncated: bool, sink: &mut dyn Sink) {
        let code = reply_code(line);
        let first = self.multi.is_none();
        // The greeting (or a 421 before any command) has no command; a
        // first 220 is the greeting even if the client already spoke.
        let greeting = first && !self.replied && code.is_some_and(|(c, _)| c == 220);
        if greeting || (first && self.pending.is_empty()) {
            let tx = self.new_tx();
            self.pending.push_front(tx);
        }
        if code.is_some() {
            self.replied = true;
        }
        let Some(tx) = self.pending.front_mut() else {
            return;
        };
        if truncated {
            tx.reply_truncated = true;
            tx.event("ftp.response_command_too_long");
        }
        if tx.reply.len() < MAX_REPLY_LINES && tx.reply_bytes + line.len() <= MAX_REPLY_BYTES {
            tx.reply_bytes += line.len();
            tx.reply.push(line.to_vec());
        } else if !tx.reply_truncated {
            tx.reply_truncated = true;
            tx.event("ftp.reply_too_long");
        }
        let last = match (self.multi, code) {
            // Inside a multi-line reply only `<same code> ` ends it.
            (Some(open), Some((c, false))) => c == open,
            (Some(_), _) => false,
            (None, Some((c, true))) => {
                self.multi = Some(c);
                false
            }
            (None, Some((_, false))) => true,
            // A stray line outside a reply.
            (None, None) => false,
        };
        if !last {
            return;
        }
        self.multi = None;
        let Some((c, _)) = code else {
            return;
        };
        if (100..200).contains(&c) {
            // Preliminary (150 Opening data connection): the final reply
            // follows.
            return;
        }
        tx.code = Some(c);
        let Some(mut tx) = self.pending.pop_front() else {
            return;
        };
        let text = line.get(4..).unwrap_or_default();
        let channel = match (c, &tx.command[..]) {
            (227, _) => pasv_reply(text).map(|(addr, port)| (false, Some(addr), port)),
            (229, _) => epsv_reply(text).map(|port| (false, None, port)),
            (200..=299, b"PORT") => {
                host_port(crate::util::trim(&tx.command_data)).map(|(a, p)| (true, Some(a), p))
            }
            (200..=299, b"EPRT") => eprt(&tx.command_data).map(|(a, p)| (true, Some(a), p)),
            (234, b"AUTH") => {
                self.tls = true;
                None
            }
            _ => None,
        };
        if let Some((active, addr, port)) = channel {
            tx.dynamic_port = Some(port);
            self.expect(DataChannel {
                tx_id: tx.id,
                active,
                addr,
                port,
            });
        }
        complete(&tx, sink);
    }
}

fn complete(tx: &FtpTx, sink: &mut dyn Sink) {
    sink.tx(
        tx,
        TxUpdate {
            dir: Dir::ToClient,
            complete: true,
        },
    );
}
impl Parser for FtpParser {
    fn parse(&mut self, input: Input<'_>, sink: &mut dyn Sink) -> Result<(), ParseError> {
        if self.tls {
            return Ok(());
        }
        let d = input.dir.index();
        let mut lines = std::mem::take(&mut self.lines[d]);
        lines.feed(input.data, MAX_LINE, &mut |line, truncated| {
            if self.tls {
                return;
            }
            match input.dir {
                Dir::ToServer => self.command_line(line, truncated, sink),
                Dir::ToClient => self.reply_line(line, truncated, sink),
            }
        });
        self.lines[d] = lines;
        Ok(())
    }

    fn gap(&mut self, dir: Dir, _len: u64, _sink: &mut dyn Sink) {
        self.lines[dir.index()].gap();
        if dir == Dir::ToClient {
            self.multi = None;
        }
    }

    fn finish(&mut self, sink: &mut dyn Sink) {
        while let Some(tx) = self.pending.pop_front() {
            complete(&tx, sink);
        }
    }

    /// The data channels as flows to label `ftp-data`: active mode joins the
    /// announced client endpoint with the server; passive mode the
    /// announced server endpoint with the client.
    fn take_expectations(&mut self, out: &mut Vec<crate::parser::Expectation>) {
        for c in self.take_expectations() {
            out.push(crate::parser::Expectation {
                app_proto: "ftp-data",
                end: if c.active {
                    crate::parser::FlowEnd::Client
                } else {
                    crate::parser::FlowEnd::Server
                },
                addr: c.addr,
                port: Some(c.port),
            });
        }
    }
}
