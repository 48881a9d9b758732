//! The Kalay transaction: one IOTC datagram.

use super::parser::{direction_name, message, type_name, Message};
use crate::buffers::{by_sticky_name, BufferId};
use crate::parser::{AppTx, Dir, Input, ParseError, Parser, Sink, TxUpdate};
use crate::tx::Transaction;
use serde_json::{Map, Value};
use std::sync::OnceLock;

/// Event names (palisade's own: Suricata has no Kalay parser).
pub mod ev {
    /// A datagram on a Kalay flow that is no IOTC message (flow event).
    pub const MALFORMED: &str = "kalay.malformed_data";
}

/// One IOTC message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KalayTx {
    id: u64,
    /// The message.
    pub msg: Message,
}

impl KalayTx {
    /// A transaction of `msg` (tests).
    #[cfg(test)]
    pub(crate) fn for_test(msg: Message) -> Self {
        KalayTx { id: 0, msg }
    }

    /// The UID as text.
    pub fn uid(&self) -> Option<&str> {
        self.msg
            .uid
            .as_ref()
            .and_then(|u| std::str::from_utf8(u).ok())
    }
}

fn uid_id() -> BufferId {
    static ID: OnceLock<BufferId> = OnceLock::new();
    *ID.get_or_init(|| by_sticky_name("kalay.uid").unwrap_or(BufferId(u16::MAX)))
}

impl Transaction for KalayTx {
    fn app_proto(&self) -> &'static str {
        "kalay"
    }
    fn buffer(&self, id: BufferId, f: &mut dyn FnMut(&[u8])) {
        if id == uid_id() {
            if let Some(u) = &self.msg.uid {
                f(u);
            }
        }
    }
    fn id(&self) -> u64 {
        self.id
    }
}

impl AppTx for KalayTx {
    /// palisade's `kalay` object: `msg_type` (hex), `msg_name`,
    /// `direction` (role pair) and `direction_code` (hex), `version`,
    /// `scrambled`, `length`, `uid` when present, `registration`.
    fn log(&self, out: &mut Map<String, Value>) {
        let m = &self.msg;
        out.insert("msg_type".into(), format!("0x{:04x}", m.msg_type).into());
        out.insert("msg_name".into(), type_name(m.msg_type).into());
        out.insert("direction".into(), direction_name(m.direction).into());
        out.insert(
            "direction_code".into(),
            format!("0x{:02x}", m.direction).into(),
        );
        out.insert("version".into(), m.version.into());
        out.insert("scrambled".into(), m.scrambled.into());
        out.insert("length".into(), m.len.into());
        if let Some(u) = self.uid() {
            out.insert("uid".into(), u.into());
        }
        out.insert("registration".into(), m.is_registration().into());
    }
}

/// Parser state of one flow: only the next transaction id (each datagram
/// is its own transaction; nothing is held between datagrams).
#[derive(Default)]
pub struct KalayParser {
    next_id: u64,
}

impl Parser for KalayParser {
    fn parse(&mut self, input: Input<'_>, sink: &mut dyn Sink) -> Result<(), ParseError> {
        let Some(msg) = message(input.data) else {
            sink.event(input.dir, ev::MALFORMED);
            return Ok(());
        };
        let tx = KalayTx {
            id: self.next_id,
            msg,
        };
        self.next_id += 1;
        sink.tx(
            &tx,
            TxUpdate {
                dir: input.dir,
                complete: true,
            },
        );
        Ok(())
    }

    fn gap(&mut self, _dir: Dir, _len: u64, _sink: &mut dyn Sink) {}

    fn finish(&mut self, _sink: &mut dyn Sink) {}
}
