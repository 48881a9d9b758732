//! CoAP over UDP (RFC 7252; port 5683 — 5684 is CoAP over DTLS, which
//! is encrypted and not parsed).
//!
//! A datagram is one message: a 4-byte header (version 1, type
//! CON/NON/ACK/RST, token length, code, message ID), a token of up to 8
//! bytes, options encoded as deltas from the previous option number
//! (with the 13/14 extended forms; 15 is reserved except as the 0xFF
//! payload marker), then an optional payload. We keep Uri-Host,
//! Uri-Port, Uri-Path (joined with `/`), Uri-Query (joined with `&`),
//! Proxy-Uri, Location-Path/Query, Content-Format, Accept, Observe,
//! Block1/Block2, and the payload's length (the payload itself is
//! application data, often sensor values or firmware: not logged). At
//! most [`state::MAX_OPTIONS`] options are read per message.
//!
//! Transactions: a request waits for its response. A response in an ACK
//! carries the request's message ID (piggybacked); a response sent later
//! as its own CON/NON carries the request's token (separate response,
//! after an empty ACK that only acknowledges the request). An empty CON
//! is a ping answered by RST. A response whose request was not seen (an
//! Observe notification after the first, or one direction captured) is a
//! transaction of its own. A CON sent again with the same message ID and
//! token is a retransmission, counted on the first. At most
//! [`state::MAX_PENDING`] requests wait per flow.
//!
//! Suricata has no CoAP parser: the EVE `coap` object is palisade's own,
//! in Suricata's style (absent fields left out):
//!
//! ```json
//! {"type": "CON", "code": "0.01", "method": "GET", "message_id": 59675,
//!  "token": "0790", "uri_host": "...", "uri_port": 5683,
//!  "uri_path": "/sensors/temp", "uri_query": "a=1&b=2",
//!  "content_format": 0, "accept": 50, "observe": 0,
//!  "block2": {"num": 0, "more": true, "size": 1024},
//!  "payload_length": 12, "acknowledged": true,
//!  "response_type": "CON", "response_code": "2.05",
//!  "response_message_id": 22287, "response_token": "0790",
//!  "response_payload_length": 122, "response_location_path": "/a/b"}
//! ```
//!
//! The first message's fields are unprefixed (`method` only for requests
//! with a registered method); the response's carry `response_`;
//! `reset` is true when the peer answered RST, `retransmissions` counts
//! resent requests.
//!
//! Identification: version 1, token length ≤ 8 and a code of class 0, 2,
//! 4 or 5 on port 5683; elsewhere the whole message must read with
//! registered code and options (see [`parser::looks_like`]).
//!
//! Events: `coap.malformed_message` and `coap.too_many_transactions`
//! (flow), `coap.invalid_option`, `coap.invalid_payload_marker`,
//! `coap.too_many_options`, `coap.invalid_code`. Buffers (palisade
//! extensions): `coap.uri_path`, `coap.method`.

pub mod parser;
mod state;

pub use state::{CoapParser, CoapTx, Part, MAX_OPTIONS, MAX_PENDING};

use crate::registry::{Probe, ProbeInput, ProtoSpec, Transport};

/// Registry entry.
pub static SPEC: ProtoSpec = ProtoSpec {
    name: "coap",
    transport: Transport::Udp,
    ports: &[5683],
    probe,
    new_parser: || Box::new(CoapParser::default()),
};

fn probe(p: &ProbeInput<'_>) -> Probe {
    if parser::looks_like(p.data, p.on_port) {
        Probe::Match
    } else {
        Probe::NoMatch
    }
}

#[cfg(test)]
mod tests;
