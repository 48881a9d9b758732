//! One transaction per SSDP datagram.

use super::parser::{message, HeaderLine, HeaderLines, StartLine};
use crate::buffers::BufferId;
use crate::parser::{AppTx, Dir, Input, ParseError, Parser, Sink};
use crate::tx::Transaction;
use crate::util::{text, Datagrams};
use serde_json::{json, Map, Value};

/// Header lines read per datagram; more raise `ssdp.too_many_headers`.
pub const MAX_HEADERS: usize = 64;
/// Bytes kept of a header value; longer ones are cut and raise
/// `ssdp.long_header`.
pub const MAX_VALUE: usize = 1024;

/// Event: a datagram of the flow is not SSDP.
pub const EV_INVALID_MESSAGE: &str = "ssdp.invalid_message";
/// Event: a header line without a name or colon.
pub const EV_INVALID_HEADER: &str = "ssdp.invalid_header";
/// Event: more than [`MAX_HEADERS`] header lines.
pub const EV_TOO_MANY_HEADERS: &str = "ssdp.too_many_headers";
/// Event: a header value longer than [`MAX_VALUE`].
pub const EV_LONG_HEADER: &str = "ssdp.long_header";

/// The headers palisade keeps, with their EVE field names. UPnP header
/// names are case-insensitive.
pub const HEADERS: &[(&str, &str)] = &[
    ("HOST", "host"),
    ("CACHE-CONTROL", "cache_control"),
    ("LOCATION", "location"),
    ("SERVER", "server"),
    ("NT", "nt"),
    ("NTS", "nts"),
    ("USN", "usn"),
    ("ST", "st"),
    ("MAN", "man"),
    ("MX", "mx"),
    ("USER-AGENT", "user_agent"),
    ("BOOTID.UPNP.ORG", "bootid"),
    ("CONFIGID.UPNP.ORG", "configid"),
    ("SEARCHPORT.UPNP.ORG", "searchport"),
];

/// An SSDP datagram.
#[derive(Debug, Clone, Default)]
pub struct SsdpTx {
    id: u64,
    /// Request method (`NOTIFY`, `M-SEARCH`).
    pub method: Option<Vec<u8>>,
    /// Request target (`*`).
    pub uri: Option<Vec<u8>>,
    /// Response status (200).
    pub status: Option<u16>,
    /// Values of [`HEADERS`], by position (the first occurrence).
    pub headers: [Option<Vec<u8>>; HEADERS.len()],
    events: Vec<&'static str>,
}

impl SsdpTx {
    /// A kept header by its name as in [`HEADERS`].
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        let i = HEADERS.iter().position(|(n, _)| *n == name)?;
        self.headers.get(i)?.as_deref()
    }

    fn event(&mut self, e: &'static str) {
        if !self.events.contains(&e) {
            self.events.push(e);
        }
    }
}

impl Transaction for SsdpTx {
    fn app_proto(&self) -> &'static str {
        "ssdp"
    }
    fn buffer(&self, _id: BufferId, _f: &mut dyn FnMut(&[u8])) {}
    fn events(&self) -> &[&'static str] {
        &self.events
    }
    fn id(&self) -> u64 {
        self.id
    }
}

impl AppTx for SsdpTx {
    /// palisade's `ssdp` object (see the module docs); absent fields are
    /// left out, as Suricata does.
    fn log(&self, out: &mut Map<String, Value>) {
        if let Some(m) = &self.method {
            out.insert("method".into(), json!(text(m)));
        }
        if let Some(u) = self.uri.as_deref().filter(|u| *u != b"*") {
            out.insert("uri".into(), json!(text(u)));
        }
        if let Some(s) = self.status {
            out.insert("status".into(), json!(s));
        }
        for ((_, field), v) in HEADERS.iter().zip(&self.headers) {
            if let Some(v) = v {
                out.insert((*field).into(), json!(text(v)));
            }
        }
    }
}

/// Parser state of one flow: only the transaction counter, since every
/// datagram stands alone.
#[derive(Default)]
pub struct SsdpParser(Datagrams);

impl Parser for SsdpParser {
    fn parse(&mut self, input: Input<'_>, sink: &mut dyn Sink) -> Result<(), ParseError> {
        self.0.one(&input, sink, EV_INVALID_MESSAGE, decode);
        Ok(())
    }

    fn gap(&mut self, _dir: Dir, _len: u64, _sink: &mut dyn Sink) {}

    fn finish(&mut self, _sink: &mut dyn Sink) {}
}

/// The transaction of one datagram; None if it is not SSDP.
fn decode(data: &[u8], id: u64) -> Option<SsdpTx> {
    let (start, rest) = message(data)?;
    let mut tx = SsdpTx {
        id,
        ..SsdpTx::default()
    };
    match start {
        StartLine::Request { method, uri, .. } => {
            tx.method = Some(method.to_vec());
            tx.uri = Some(uri.get(..MAX_VALUE).unwrap_or(uri).to_vec());
        }
        StartLine::Response { status, .. } => tx.status = Some(status),
    }
    for (n, h) in HeaderLines::new(rest).enumerate() {
        if n >= MAX_HEADERS {
            tx.event(EV_TOO_MANY_HEADERS);
            break;
        }
        let HeaderLine::Header(name, value) = h else {
            tx.event(EV_INVALID_HEADER);
            continue;
        };
        let Some(i) = HEADERS
            .iter()
            .position(|(n, _)| name.eq_ignore_ascii_case(n.as_bytes()))
        else {
            continue;
        };
        if tx.headers.get(i).is_none_or(Option::is_some) {
            continue;
        }
        let kept = match value.get(..MAX_VALUE) {
            Some(v) if value.len() > MAX_VALUE => {
                tx.event(EV_LONG_HEADER);
                v
            }
            _ => value,
        };
        if let Some(slot) = tx.headers.get_mut(i) {
            *slot = Some(kept.to_vec());
        }
    }
    Some(tx)
}
