//! SSDP, the UPnP discovery protocol (UDP 1900, multicast 239.255.255.250
//! and ff02::c / ff05::c).
//!
//! A datagram is an HTTP/1.1-like message with no body: `NOTIFY *
//! HTTP/1.1` (a device announcing itself, `NTS: ssdp:alive` or
//! `ssdp:byebye`), `M-SEARCH * HTTP/1.1` (a control point searching), or
//! an `HTTP/1.1 200 OK` answer to a search, sent unicast from the device.
//! Each datagram is one transaction, complete at once. The headers that
//! identify a device and its services are kept, case-insensitively, the
//! first occurrence of each, at most [`state::MAX_VALUE`] bytes, reading
//! at most [`state::MAX_HEADERS`] lines.
//!
//! Suricata has no SSDP parser (and its SIP probe must not take these
//! datagrams: suricata-verify `sip-ssdp-pm`), so the EVE `ssdp` object is
//! palisade's own, in Suricata's style (absent fields left out):
//!
//! ```json
//! {"method": "NOTIFY", "status": 200, "host": "239.255.255.250:1900",
//!  "cache_control": "max-age=120",
//!  "location": "http://192.168.1.1:7406/rootDesc.xml",
//!  "server": "...", "nt": "upnp:rootdevice", "nts": "ssdp:alive",
//!  "usn": "uuid:...::upnp:rootdevice", "st": "ssdp:all",
//!  "man": "\"ssdp:discover\"", "mx": "3", "user_agent": "...",
//!  "bootid": "1", "configid": "1337", "searchport": "1901"}
//! ```
//!
//! `method` is present on requests and `status` on responses; `uri` is
//! written only when it is not `*`.
//!
//! Identification: a datagram starting with `NOTIFY * HTTP/1.` or
//! `M-SEARCH * HTTP/1.` anywhere; an `HTTP/1.x 200` answer on port 1900,
//! or elsewhere when it carries a `USN` or `ST` header (answers go to the
//! searcher's own port, which is the flow's server port when the answer
//! is the first packet seen).
//!
//! WS-Discovery (UDP 3702, SOAP Probe/Resolve/Hello) is another
//! discovery protocol: see [`crate::wsd`].
//!
//! Events: `ssdp.invalid_message` (flow), `ssdp.invalid_header`,
//! `ssdp.too_many_headers`, `ssdp.long_header`.

mod parser;
mod state;

pub use parser::{start_line, StartLine};
pub use state::{SsdpParser, SsdpTx, HEADERS, MAX_HEADERS, MAX_VALUE};

use crate::registry::{Probe, ProbeInput, ProtoSpec, Transport};

/// Registry entry.
pub static SPEC: ProtoSpec = ProtoSpec {
    name: "ssdp",
    transport: Transport::Udp,
    ports: &[1900],
    probe,
    new_parser: || Box::new(SsdpParser::default()),
};

fn probe(p: &ProbeInput<'_>) -> Probe {
    let d = p.data;
    if d.starts_with(b"NOTIFY * HTTP/1.") || d.starts_with(b"M-SEARCH * HTTP/1.") {
        return Probe::Match;
    }
    let answer = matches!(
        parser::message(d),
        Some((StartLine::Response { status: 200, .. }, _))
    );
    if answer && (p.on_port || has_search_header(d)) {
        return Probe::Match;
    }
    Probe::NoMatch
}

/// Whether a line starts with `USN:` or `ST:` (any case).
fn has_search_header(d: &[u8]) -> bool {
    d.split(|&b| b == b'\n').skip(1).any(|l| {
        let l = l.trim_ascii_start();
        [&b"USN:"[..], b"ST:"]
            .iter()
            .any(|h| l.get(..h.len()).is_some_and(|p| p.eq_ignore_ascii_case(h)))
    })
}

#[cfg(test)]
mod tests;
