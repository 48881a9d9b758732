//! DNS over UDP and TCP (RFC 1035), and mDNS (RFC 6762) on port 5353.
//!
//! IoT devices resolve their cloud endpoints, and malware its command
//! servers, through DNS: the query names are what rules match
//! (`dns.query`) and what the logs must show.
//!
//! **Messages.** The header, questions, answers, authorities and
//! additionals are decoded ([`parser`]), names with compression. Names
//! are bounded (255 wire octets, 128 labels, 64 pointer jumps), so a
//! crafted pointer loop or overlong name raises Suricata's
//! `dns.infinite_loop`, `dns.name_too_long` or `dns.too_many_labels` and
//! decoding goes on. A, AAAA, CNAME, NS, PTR, MX, TXT, SOA, SRV and OPT
//! rdata is decoded; other types keep their first bytes (logged as hex).
//!
//! **Framing.** UDP carries one message per datagram; TCP prefixes each
//! with its 2-byte length, several per segment or one split across
//! segments. The parser is not told the transport, so it decides from the
//! flow's first bytes: a datagram is exactly one whole message, a stream
//! starts with a plausible length prefix (see `state::decide`); anything
//! else is read as datagrams, so a TCP flow whose first message is not
//! even plausibly framed yields junk transactions flagged
//! `dns.malformed_data`. (Passing the transport to `ProtoSpec::new_parser` would
//! remove the guess.) After a TCP gap it resynchronises on the next chunk
//! that starts like a length-prefixed message.
//!
//! **Transactions.** One per query: the query opens it (reported when it
//! arrives, so rules on `dns.query` fire before the answer) and the
//! response with the same id completes it. Queries never answered complete
//! at the end of the flow; a response whose query was not seen is a
//! transaction of its own. At most 256 queries wait per flow; past that
//! the oldest completes unanswered and `dns.too_many_transactions` is
//! raised (once per flow).
//!
//! **Events.** Suricata's `dns.malformed_data`, `dns.not_request` (a
//! response sent to the server), `dns.not_response` (a query sent to the
//! client), `dns.z_flag_set`, `dns.invalid_opcode` (7 and up),
//! `dns.name_too_long`, `dns.infinite_loop`, `dns.too_many_labels`,
//! `dns.invalid_authorities`, `dns.invalid_additionals`; palisade's own
//! `dns.too_many_transactions` and `dns.too_many_records` (more than 16
//! questions or 256 records in a message: checked, not kept). A
//! response with id 0 sent towards the server side is an mDNS
//! announcement to the multicast group, not flagged `not_request`.
//!
//! **Buffers.** `dns.query` (each question name of the query),
//! `dns.queries.rrname` (question names of query and response),
//! `dns.answer.name` (owner names of the response's answers). The root
//! name is no instance, as in Suricata.
//!
//! **EVE.** Suricata 8's version 3 `dns` object ([`log`]): `version`,
//! `type`, `tx_id`, `id`, `flags` (hex), `qr`/`aa`/`tc`/`rd`/`ra`/`z` when
//! set, `opcode`, `rcode`, `queries`, `answers`, `grouped`,
//! `authorities`, `additionals`. Suricata logs a query and its response as
//! two records; palisade's transaction holds both and logs **one**: the
//! response form when the response was seen (it repeats the queries), the
//! request form otherwise. [`DnsTx::log_request`] and
//! [`DnsTx::log_response`] give both forms to a caller that wants two
//! records. palisade additions: `rdata` as hex for types Suricata logs no
//! rdata for, `rdata_truncated` when rdata was cut to its bound.
//!
//! **mDNS.** Port 5353 is a port hint for the same parser (app_proto
//! `dns`, as Suricata before 8.0 labelled it): the messages are DNS
//! messages. Multicast queries and announcements appear as lone queries
//! and lone responses.

pub mod log;
pub mod parser;
mod state;

pub use state::{DnsParser, DnsTx};

use crate::registry::{Probe, ProbeInput, ProtoSpec, Transport};
use parser::{Anomalies, Header, NameError, HEADER_LEN};

/// Registry entry.
pub static SPEC: ProtoSpec = ProtoSpec {
    name: "dns",
    transport: Transport::Both,
    ports: &[53, 5353],
    probe,
    new_parser: || Box::new(DnsParser::default()),
};

/// Judges one message view: `m` is the message bytes available and
/// `declared` its full length (the datagram size, or the TCP prefix).
///
/// Off the DNS ports every check must pass, so random UDP or TCP payload
/// does not become DNS: opcode 0..5, Z clear, a query has rcode 0 and 1..16
/// questions, a response has a question or a record, the counts fit the
/// length, and the whole message decodes to exactly its length (a partial
/// TCP message: header and first question, once 512 bytes are there). On
/// the DNS ports a plausible header and first question are enough.
fn judge(m: &[u8], declared: usize, on_port: bool) -> Probe {
    let complete = m.len() >= declared;
    let Some(h) = Header::parse(m) else {
        return if complete {
            Probe::NoMatch
        } else {
            Probe::NeedMore
        };
    };
    let body = declared.saturating_sub(HEADER_LEN);
    let plausible = if on_port {
        h.opcode() <= 6 && (h.qdcount >= 1 || h.qr())
    } else {
        h.opcode() <= 5
            && !h.z()
            && h.qdcount <= 16
            && if h.qr() {
                h.qdcount >= 1 || h.rr_count() >= 1
            } else {
                h.rcode() == 0 && h.qdcount >= 1
            }
    };
    if !plausible || !h.counts_fit(body) {
        return Probe::NoMatch;
    }
    if h.qdcount >= 1 {
        match parser::question(m, HEADER_LEN, &mut Anomalies::default()) {
            Ok(_) => {}
            Err(NameError::Short) if !complete => return Probe::NeedMore,
            Err(_) => return Probe::NoMatch,
        }
    }
    if on_port {
        return Probe::Match;
    }
    if !complete {
        return if m.len() >= 512 {
            Probe::Match
        } else {
            Probe::NeedMore
        };
    }
    let whole = m.get(..declared).unwrap_or(m);
    match parser::parse(whole) {
        Some(p) if p.complete() && p.end == whole.len() => Probe::Match,
        _ => Probe::NoMatch,
    }
}

/// The probe does not know the transport either: it tries the bytes as a
/// datagram (one message) and as a stream (length prefix, then message).
fn probe(p: &ProbeInput<'_>) -> Probe {
    if judge(p.data, p.data.len(), p.on_port) == Probe::Match {
        return Probe::Match;
    }
    let Some(len) = state::length_prefix(p.data) else {
        return Probe::NeedMore;
    };
    if len < HEADER_LEN {
        return Probe::NoMatch;
    }
    let m = p.data.get(2..).unwrap_or_default();
    judge(m.get(..len).unwrap_or(m), len, p.on_port)
}

#[cfg(test)]
mod tests;
