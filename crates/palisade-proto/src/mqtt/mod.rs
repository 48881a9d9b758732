//! MQTT 3.1, 3.1.1 and 5.0 (TCP, port 1883; 8883 is MQTT over TLS and is
//! left to TLS).
//!
//! MQTT is the messaging protocol of most IoT fleets: devices CONNECT to
//! a broker (often with a user name and password in clear), PUBLISH
//! telemetry and SUBSCRIBE to command topics. palisade parses every
//! control packet, imitating Suricata's `rust/src/mqtt`, so that rules
//! written for Suricata (`mqtt.connect.username`, `mqtt.type:CONNACK`,
//! `app-layer-event:mqtt.invalid_qos_level`) work unchanged and the EVE
//! records match Suricata's.
//!
//! **Framing.** Each message is a fixed header (type, dup/QoS/retain flags,
//! remaining length as a 1–4 byte varint) and a body of that length, so a
//! body that does not fit its layout costs only that message
//! (`mqtt.malformed_traffic`) and parsing goes on at the next one. Bodies
//! longer than [`state::MAX_MSG_LEN`] (1 MiB, Suricata's `max-msg-length`)
//! are skipped by their length without being buffered, logged as Suricata
//! does (`{"publish": {..., "truncated": true, "skipped_length": N}}`) and
//! raise `mqtt.too_large_message` (palisade's own event). The protocol
//! level of the connection's CONNECT governs how later bodies are parsed
//! (5.0 adds reason codes and properties); a 5.0 CONNACK seen without its
//! CONNECT still has its properties read. A gap inside a message whose
//! length is known skips the rest of it; any other gap stops that
//! direction, as MQTT has nothing to resynchronise on.
//!
//! **Identification**: a client's CONNECT anywhere; on port 1883 also a
//! server's CONNACK (captures of one side) or, for the long-lived
//! sessions IoT devices keep, data made exactly of well-formed messages
//! (a session picked up in its middle).
//!
//! **Transactions** follow Suricata: CONNECT + CONNACK; PUBLISH QoS 0
//! alone, QoS 1 + PUBACK, QoS 2 + PUBREC + PUBREL + PUBCOMP; SUBSCRIBE +
//! SUBACK; UNSUBSCRIBE + UNSUBACK; PINGREQ, PINGRESP, DISCONNECT, AUTH
//! each alone. Acknowledgments pair by packet id. Unlike Suricata, which
//! takes the first waiting transaction with that id, palisade also
//! requires the request's type and direction (ids are per sender, so a
//! PUBACK from the client answers a PUBLISH from the server), and a
//! request that can never be answered (QoS 3, no id) completes at once
//! instead of waiting for the end of the flow. At most [`state::MAX_TX`]
//! transactions (Suricata's `max-tx`) and [`state::MAX_HELD_BYTES`] of
//! their messages wait per flow; beyond, the oldest closes with
//! `mqtt.too_many_transactions`.
//!
//! **Events** (per transaction): `missing_connect`, `missing_publish`,
//! `missing_subscribe`, `missing_unsubscribe`, `double_connect`,
//! `unintroduced_message`, `invalid_qos_level`, `missing_msg_id` (packet
//! id 0 where one is required; Suricata's parser never raises it),
//! `unassigned_msg_type`, `too_many_transactions`, `malformed_traffic`
//! (a transaction of its own, as Suricata) and `too_large_message`, each
//! as `mqtt.<name>`.
//!
//! **Rules.** Buffers `mqtt.connect.{clientid,username,password,
//! protocol_string,willtopic,willmessage}`, `mqtt.publish.{topic,message}`
//! (empty values are not handed out, as Suricata), and
//! `mqtt.subscribe.topic` / `mqtt.unsubscribe.topic` per topic (at most
//! [`state::TOPIC_MATCH_LIMIT`] per message). Integer fields:
//! `mqtt.protocol_version`, `mqtt.type`, `mqtt.flags` and `mqtt.qos` of
//! each message, `mqtt.reason_code` (the first of CONNACK, PUBACK..PUBCOMP,
//! DISCONNECT, AUTH, plus every SUBACK/UNSUBACK code, as Suricata),
//! `mqtt.connack.session_present` and the raw `mqtt.connect.flags` byte
//! (whose names follow the specification: `will` 0x04, `will_retain` 0x20;
//! Suricata 8's keyword swaps these two).
//!
//! **EVE** is Suricata's `mqtt` object with two deliberate omissions: the
//! CONNECT `password` (Suricata logs it; palisade never writes a secret,
//! `flags.password` still says one was sent) and the 5.0
//! `authentication_data` property (it may be the credential itself). The
//! password reaches the credential detectors in memory only, through
//! [`crate::parser::AppTx::credential`]. Where Suricata logs a known wrong
//! value (a 5.0 DISCONNECT with a reason code and no properties is logged
//! as code 0), palisade logs the code on the wire. As Suricata, a
//! SUBSCRIBE topic's `qos` is its whole options byte (5.0 adds no-local,
//! retain-as-published and retain-handling bits above the QoS).

mod log;
mod parser;
mod state;

pub use log::bytes_text;
pub use state::{ev, MqttParser, MqttTx, MAX_HELD_BYTES, MAX_MSG_LEN, MAX_TX, TOPIC_MATCH_LIMIT};

use crate::parser::Dir;
use crate::registry::{Probe, ProbeInput, ProtoSpec, Transport};

/// Registry entry.
pub static SPEC: ProtoSpec = ProtoSpec {
    name: "mqtt",
    transport: Transport::Tcp,
    ports: &[1883],
    probe,
    new_parser: || Box::new(MqttParser::default()),
};

/// A client's first message must be CONNECT: `0x10`, the remaining
/// length, then the protocol name `MQTT` (3.1.1, 5.0) or `MQIsdp` (3.1)
/// and a protocol level 3–5 (bit 7 is the bridge flag of some brokers).
/// A capture that holds only the server side is recognised on the MQTT
/// port by a CONNACK with a plausible flags byte and return code. MQTT
/// sessions last for days, so on the MQTT port a session picked up in
/// its middle is recognised too, by data made exactly of well-formed
/// messages (see [`probe_session`]).
fn probe(p: &ProbeInput<'_>) -> Probe {
    let first = match p.dir {
        Dir::ToServer => probe_connect(p.data),
        Dir::ToClient if p.on_port => probe_connack(p.data),
        Dir::ToClient => Probe::NoMatch,
    };
    if first == Probe::NoMatch && p.on_port {
        probe_session(p.data)
    } else {
        first
    }
}

/// Checks `data` against the bytes of `want` it has; None when all of
/// `want` was there and matched.
fn prefix(data: &[u8], want: &[u8]) -> Option<Probe> {
    let n = data.len().min(want.len());
    if data.get(..n) != want.get(..n) {
        return Some(Probe::NoMatch);
    }
    (n < want.len()).then_some(Probe::NeedMore)
}

/// The remaining length and the body bytes present of a message that
/// must start with the type/flags byte `first`; Err: the verdict when it
/// does not, or when the length is incomplete or invalid.
fn fixed_header(data: &[u8], first: u8) -> Result<(u32, &[u8]), Probe> {
    let rest = match data.split_first() {
        Some((&b, rest)) if b == first => rest,
        Some(_) => return Err(Probe::NoMatch),
        None => return Err(Probe::NeedMore),
    };
    match parser::varint(rest) {
        Ok(Some((len, n))) => Ok((len, rest.get(n..).unwrap_or(&[]))),
        Ok(None) => Err(Probe::NeedMore),
        Err(_) => Err(Probe::NoMatch),
    }
}

fn probe_connect(data: &[u8]) -> Probe {
    let (len, body) = match fixed_header(data, 0x10) {
        Ok(v) => v,
        Err(p) => return p,
    };
    // 2-byte length, name, level, flags, keep alive, client id length.
    let name: &[u8] = match body.get(..2) {
        None => return prefix(body, &[0]).unwrap_or(Probe::NeedMore),
        Some([0, 4]) => b"MQTT",
        Some([0, 6]) => b"MQIsdp",
        Some(_) => return Probe::NoMatch,
    };
    if (len as usize) < 2 + name.len() + 6 {
        return Probe::NoMatch;
    }
    let after = body.get(2..).unwrap_or(&[]);
    if let Some(p) = prefix(after, name) {
        return p;
    }
    match after.get(name.len()) {
        None => Probe::NeedMore,
        Some(level) if (3..=5).contains(&(level & 0x7f)) => Probe::Match,
        Some(_) => Probe::NoMatch,
    }
}

fn probe_connack(data: &[u8]) -> Probe {
    let (len, body) = match fixed_header(data, 0x20) {
        Ok(v) => v,
        Err(p) => return p,
    };
    if len < 2 {
        return Probe::NoMatch;
    }
    match (body.first(), body.get(1)) {
        (None, _) | (Some(0 | 1), None) => Probe::NeedMore,
        // Session present is the only flag; codes 1-5 (3.x) or >= 0x80 (5.0).
        (Some(0 | 1), Some(&code)) if code <= 5 || code >= 0x80 => Probe::Match,
        _ => Probe::NoMatch,
    }
}

/// Data starting at a message boundary in the middle of a session: one
/// or more whole messages and nothing else (a last partial one asks for
/// more), each with the fixed flags its type requires (PUBREL, SUBSCRIBE,
/// UNSUBSCRIBE `0x2`, PUBLISH any QoS but 3, others 0) and a body that
/// parses as 3.1.1 or 5.0 (CONNECT and CONNACK pass their own probes). Only used on the MQTT port: two bytes such as a
/// PINGREQ prove little elsewhere.
fn probe_session(data: &[u8]) -> Probe {
    use parser::kind::*;
    let mut off = 0usize;
    let mut whole = 0usize;
    loop {
        let rest = data.get(off..).unwrap_or(&[]);
        if rest.is_empty() {
            return if whole > 0 {
                Probe::Match
            } else {
                Probe::NeedMore
            };
        }
        let h = match parser::fixed_header(rest) {
            Ok(Some(h)) => h,
            Ok(None) => return Probe::NeedMore,
            Err(_) => return Probe::NoMatch,
        };
        let flags = h.byte & 0x0f;
        let flags_ok = match h.msg_type() {
            PUBLISH => h.qos() < 3,
            PUBREL | SUBSCRIBE | UNSUBSCRIBE => flags == 0x02,
            0 => false,
            _ => flags == 0,
        };
        let empty_only = matches!(h.msg_type(), PINGREQ | PINGRESP);
        if !flags_ok || (empty_only && h.remaining != 0) {
            return Probe::NoMatch;
        }
        // CONNECT and CONNACK are held to their own probes' checks.
        let own = match h.msg_type() {
            CONNECT => probe_connect(rest),
            CONNACK => probe_connack(rest),
            _ => Probe::Match,
        };
        if own == Probe::NoMatch {
            return Probe::NoMatch;
        }
        let total = usize::try_from(h.total()).unwrap_or(usize::MAX);
        let Some(body) = rest.get(usize::from(h.len)..total) else {
            return if total <= crate::identify::PROBE_MAX_BYTES {
                Probe::NeedMore
            } else {
                Probe::NoMatch
            };
        };
        if parser::parse_body(h, body, 4).is_err() && parser::parse_body(h, body, 5).is_err() {
            return Probe::NoMatch;
        }
        off += total;
        whole += 1;
    }
}

#[cfg(test)]
mod tests;
