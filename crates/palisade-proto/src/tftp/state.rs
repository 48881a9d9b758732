//! The TFTP transaction (one request and what followed it on the flow).

use super::parser::{mode_ok, packet, Packet};
use crate::buffers::{by_sticky_name, BufferId};
use crate::parser::{AppTx, Dir, Input, ParseError, Parser, Sink, TxUpdate};
use crate::tx::Transaction;
use crate::util::text;
use serde_json::{Map, Value};
use std::sync::OnceLock;

/// Event names (palisade's own: Suricata has no TFTP events).
pub mod ev {
    /// Mode other than netascii, octet, mail.
    pub const INVALID_MODE: &str = "tftp.invalid_mode";
    /// More option pairs than kept.
    pub const TOO_MANY_OPTIONS: &str = "tftp.too_many_options";
    /// A datagram that is no TFTP packet (flow event).
    pub const MALFORMED: &str = "tftp.malformed_data";
}

/// A read or write request with what followed on the same flow.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TftpTx {
    id: u64,
    /// WRQ.
    pub write: bool,
    /// File name.
    pub file: Vec<u8>,
    /// Mode, lowercased (as Suricata logs it).
    pub mode: Vec<u8>,
    /// Option pairs (name lowercased, value).
    pub options: Vec<(Vec<u8>, Vec<u8>)>,
    /// DATA packets seen on this flow.
    pub data_packets: u64,
    /// DATA payload bytes.
    pub data_bytes: u64,
    /// ACK packets.
    pub acks: u64,
    /// The ERROR that ended the transfer, if any.
    pub error: Option<(u16, Vec<u8>)>,
    events: Vec<&'static str>,
}

fn file_id() -> BufferId {
    static ID: OnceLock<BufferId> = OnceLock::new();
    *ID.get_or_init(|| by_sticky_name("tftp.file").unwrap_or(BufferId(u16::MAX)))
}

impl Transaction for TftpTx {
    fn app_proto(&self) -> &'static str {
        "tftp"
    }
    fn buffer(&self, id: BufferId, f: &mut dyn FnMut(&[u8])) {
        if id == file_id() {
            f(&self.file);
        }
    }
    fn events(&self) -> &[&'static str] {
        &self.events
    }
    fn id(&self) -> u64 {
        self.id
    }
}

impl AppTx for TftpTx {
    /// Suricata's `{"packet", "file", "mode"}`; palisade adds `options`,
    /// the DATA/ACK counts and the ERROR seen on this flow.
    fn log(&self, out: &mut Map<String, Value>) {
        let packet = if self.write { "write" } else { "read" };
        out.insert("packet".into(), packet.into());
        out.insert("file".into(), text(&self.file).into());
        out.insert("mode".into(), text(&self.mode).into());
        if !self.options.is_empty() {
            let o: Map<String, Value> = self
                .options
                .iter()
                .map(|(k, v)| (text(k), Value::String(text(v))))
                .collect();
            out.insert("options".into(), Value::Object(o));
        }
        if self.data_packets > 0 {
            out.insert("data_packets".into(), self.data_packets.into());
            out.insert("data_bytes".into(), self.data_bytes.into());
        }
        if self.acks > 0 {
            out.insert("ack_packets".into(), self.acks.into());
        }
        if let Some((code, msg)) = &self.error {
            out.insert("error_code".into(), (*code).into());
            out.insert("error_message".into(), text(msg).into());
        }
    }
}

/// Parser state of one flow: the open transaction, if any.
#[derive(Default)]
pub struct TftpParser {
    tx: Option<TftpTx>,
    next_id: u64,
    /// A request was seen: its transfer comes from a new server port to
    /// the client's port, a flow to label `tftp`.
    announced: bool,
}

impl TftpParser {
    fn close(&mut self, dir: Dir, sink: &mut dyn Sink) {
        if let Some(tx) = self.tx.take() {
            sink.tx(
                &tx,
                TxUpdate {
                    dir,
                    complete: true,
                },
            );
        }
    }
}

impl Parser for TftpParser {
    fn take_expectations(&mut self, out: &mut Vec<crate::parser::Expectation>) {
        if std::mem::take(&mut self.announced) {
            out.push(crate::parser::Expectation {
                app_proto: "tftp",
                end: crate::parser::FlowEnd::Client,
                addr: None,
                port: None,
            });
        }
    }

    fn parse(&mut self, input: Input<'_>, sink: &mut dyn Sink) -> Result<(), ParseError> {
        let dir = input.dir;
        let Some(p) = packet(input.data) else {
            sink.event(dir, ev::MALFORMED);
            return Ok(());
        };
        match p {
            Packet::Request {
                write,
                file,
                mode,
                options,
                too_many_options,
            } => {
                self.close(dir, sink);
                let mut tx = TftpTx {
                    id: self.next_id,
                    write,
                    file: file.to_vec(),
                    mode: mode.to_ascii_lowercase(),
                    options: options
                        .iter()
                        .map(|(k, v)| (k.to_ascii_lowercase(), v.to_vec()))
                        .collect(),
                    ..TftpTx::default()
                };
                self.next_id += 1;
                self.announced = true;
                if !mode_ok(mode) {
                    tx.events.push(ev::INVALID_MODE);
                }
                if too_many_options {
                    tx.events.push(ev::TOO_MANY_OPTIONS);
                }
                sink.tx(
                    &tx,
                    TxUpdate {
                        dir,
                        complete: false,
                    },
                );
                self.tx = Some(tx);
            }
            Packet::Data { len, .. } => {
                if let Some(tx) = &mut self.tx {
                    tx.data_packets += 1;
                    tx.data_bytes += len as u64;
                }
            }
            Packet::Ack { .. } => {
                if let Some(tx) = &mut self.tx {
                    tx.acks += 1;
                }
            }
            Packet::Error { code, message } => {
                if let Some(tx) = &mut self.tx {
                    tx.error = Some((code, message.to_vec()));
                }
                self.close(dir, sink);
            }
            Packet::Oack => {}
        }
        Ok(())
    }

    fn gap(&mut self, _dir: Dir, _len: u64, _sink: &mut dyn Sink) {}

    fn finish(&mut self, sink: &mut dyn Sink) {
        self.close(Dir::ToClient, sink);
    }
}
