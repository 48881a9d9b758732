//! WS-Discovery (UDP 3702, multicast 239.255.255.250 / ff02::c): SOAP
//! over UDP by which printers, cameras and Windows hosts announce
//! themselves (Hello/Bye) and answer searches (Probe/ProbeMatches,
//! Resolve/ResolveMatches). A recogniser, not an XML parser: each
//! datagram is one transaction, and a few WS-Addressing and discovery
//! elements are picked out by name (the first of each, its text up to
//! the next `<`, at most [`MAX_VALUE`] bytes). That is enough to name a
//! device (`address`, `types`, `xaddrs` with its metadata URL) without
//! building a tree from hostile XML.
//!
//! Suricata has no WS-Discovery parser; the EVE `wsd` object is
//! palisade's own:
//!
//! ```json
//! {"action": "Resolve", "message_id": "urn:uuid:...",
//!  "relates_to": "urn:uuid:...", "address": "urn:uuid:...",
//!  "types": "wsdp:Device pub:Computer",
//!  "xaddrs": "http://192.168.1.9:5357/...", "scopes": "..."}
//! ```
//!
//! `action` is the last segment of the WS-Addressing Action URI.
//! Identification: the datagram starts (after white space) with `<` and
//! names a WS-Discovery namespace (2005/04 or the OASIS 2009/01 one) in
//! its first [`PROBE_WINDOW`] bytes. Event: `wsd.invalid_message` (flow)
//! for a datagram with no SOAP envelope.

use crate::buffers::BufferId;
use crate::parser::{AppTx, Dir, Input, ParseError, Parser, Sink};
use crate::registry::{Probe, ProbeInput, ProtoSpec, Transport};
use crate::tx::Transaction;
use crate::util::{text, trim, Datagrams};
use memchr::memmem;
use serde_json::{json, Map, Value};

/// Bytes kept of an element's text.
pub const MAX_VALUE: usize = 1024;
/// Longest namespace prefix (`wsa:`) recognised before an element name.
const MAX_PREFIX: usize = 32;
/// Bytes of a datagram the probe searches for the namespace.
pub const PROBE_WINDOW: usize = 2048;

/// Registry entry.
pub static SPEC: ProtoSpec = ProtoSpec {
    name: "wsd",
    transport: Transport::Udp,
    ports: &[3702],
    probe,
    new_parser: || Box::new(WsdParser::default()),
};

const NAMESPACES: &[&[u8]] = &[
    b"schemas.xmlsoap.org/ws/2005/04/discovery",
    b"docs.oasis-open.org/ws-dd/ns/discovery/2009/01",
];

fn probe(p: &ProbeInput<'_>) -> Probe {
    let d = p.data.trim_ascii_start();
    if !d.starts_with(b"<") {
        return Probe::NoMatch;
    }
    let window = d.get(..PROBE_WINDOW).unwrap_or(d);
    if NAMESPACES
        .iter()
        .any(|ns| memmem::find(window, ns).is_some())
    {
        Probe::Match
    } else {
        Probe::NoMatch
    }
}

/// Text of the first element whose local name is `name` (`<Action>`,
/// `<wsa:Action attr="">`), trimmed, up to the next `<`; None when absent
/// or self-closing.
pub fn element<'a>(doc: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    let mut from = 0;
    while let Some(i) = doc.get(from..).and_then(|d| memmem::find(d, name)) {
        let at = from + i;
        from = at + 1;
        // Preceded by `<` or `<prefix:`, with a short prefix (the look
        // back is bounded so repeated names cost linear time).
        let before = doc.get(..at)?;
        let ok_start = match before.split_last() {
            Some((b'<', _)) => true,
            Some((b':', head)) => {
                let near = head
                    .get(head.len().saturating_sub(MAX_PREFIX)..)
                    .unwrap_or(head);
                near.iter()
                    .rposition(|&b| b == b'<')
                    .and_then(|lt| near.get(lt + 1..))
                    .is_some_and(|p| {
                        !p.is_empty()
                            && p.iter().all(|b| {
                                b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')
                            })
                    })
            }
            _ => false,
        };
        let after = doc.get(at + name.len()..)?;
        let ok_end = matches!(after.first(), Some(b'>' | b' ' | b'\t' | b'\r' | b'\n'));
        if !(ok_start && ok_end) {
            continue;
        }
        let gt = after.iter().position(|&b| b == b'>')?;
        if gt > 0 && after.get(gt - 1) == Some(&b'/') {
            return None;
        }
        let body = after.get(gt + 1..)?;
        let end = body.iter().position(|&b| b == b'<').unwrap_or(body.len());
        let v = trim(body.get(..end)?);
        return Some(v.get(..MAX_VALUE).unwrap_or(v));
    }
    None
}

/// Elements kept, with their EVE names.
const FIELDS: &[(&[u8], &str)] = &[
    (b"MessageID", "message_id"),
    (b"RelatesTo", "relates_to"),
    (b"Address", "address"),
    (b"Types", "types"),
    (b"Scopes", "scopes"),
    (b"XAddrs", "xaddrs"),
];

/// One WS-Discovery datagram.
#[derive(Debug, Clone, Default)]
pub struct WsdTx {
    id: u64,
    /// Last segment of the Action URI (`Probe`, `Hello`, ...).
    pub action: Option<Vec<u8>>,
    /// Values of [`FIELDS`] by position.
    pub fields: Vec<Option<Vec<u8>>>,
}

impl Transaction for WsdTx {
    fn app_proto(&self) -> &'static str {
        "wsd"
    }
    fn buffer(&self, _id: BufferId, _f: &mut dyn FnMut(&[u8])) {}
    fn id(&self) -> u64 {
        self.id
    }
}

impl AppTx for WsdTx {
    fn log(&self, out: &mut Map<String, Value>) {
        if let Some(a) = &self.action {
            out.insert("action".into(), json!(text(a)));
        }
        for ((_, k), v) in FIELDS.iter().zip(&self.fields) {
            if let Some(v) = v {
                out.insert((*k).into(), json!(text(v)));
            }
        }
    }
}

/// Parser state of one flow: the transaction counter.
#[derive(Default)]
pub struct WsdParser(Datagrams);

impl Parser for WsdParser {
    fn parse(&mut self, input: Input<'_>, sink: &mut dyn Sink) -> Result<(), ParseError> {
        self.0.one(&input, sink, "wsd.invalid_message", decode);
        Ok(())
    }

    fn gap(&mut self, _dir: Dir, _len: u64, _sink: &mut dyn Sink) {}

    fn finish(&mut self, _sink: &mut dyn Sink) {}
}

/// The transaction of one datagram; None without a SOAP `Envelope`.
fn decode(d: &[u8], id: u64) -> Option<WsdTx> {
    memmem::find(d, b"Envelope")?;
    let action = element(d, b"Action").map(|a| {
        let last = a.rsplit(|&b| b == b'/').next().unwrap_or(a);
        last.to_vec()
    });
    Some(WsdTx {
        id,
        action,
        fields: FIELDS
            .iter()
            .map(|(n, _)| element(d, n).map(<[u8]>::to_vec))
            .collect(),
    })
}

#[cfg(test)]
mod tests;
