//! The EVE `mqtt` object, as Suricata's `rust/src/mqtt/logger.rs` writes
//! it: one key per message of the transaction (`connect`, `connack`,
//! `publish`, ...), each with the fixed-header `qos`/`retain`/`dup` and
//! its fields. Secrets are left out (see the module docs).

use super::parser::{self, connect_flags as cf, kind, properties, Op, Prop, Span};
use super::state::{Message, MqttTx};
use crate::parser::{AppTx, Credential, LoginOutcome, Secret};
use crate::util::text;
use serde_json::{json, Map, Value};

/// Bytes as Suricata's `set_string_from_bytes` renders them: the UTF-8
/// text when valid, else ASCII bytes as they are and others as `\xNN`.
pub fn bytes_text(b: &[u8]) -> String {
    if let Ok(s) = std::str::from_utf8(b) {
        return s.to_owned();
    }
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(b.len() * 2);
    for &c in b {
        if c < 0x80 {
            out.push(char::from(c));
        } else {
            out.push_str("\\x");
            out.push(char::from(HEX[usize::from(c >> 4)]));
            out.push(char::from(HEX[usize::from(c & 0x0f)]));
        }
    }
    out
}

/// A properties object. `authentication_data` is left out: it may carry
/// the credential itself (a token, a PLAIN exchange).
fn props_json(body: &[u8], span: Span) -> Value {
    let mut o = Map::new();
    for p in properties(span.of(body)) {
        match p {
            Prop::Int(k, v) => {
                o.insert(k.into(), v.into());
            }
            Prop::Str(k, v) => {
                o.insert(k.into(), text(v).into());
            }
            Prop::Bin("authentication_data", _) => {}
            Prop::Bin(k, v) => {
                o.insert(k.into(), bytes_text(v).into());
            }
            Prop::User(k, v) => {
                o.insert(text(k), text(v).into());
            }
        }
    }
    Value::Object(o)
}

fn put_props(o: &mut Map<String, Value>, body: &[u8], span: Option<Span>) {
    if let Some(s) = span {
        o.insert("properties".into(), props_json(body, s));
    }
}

/// The object of one message and its key; None for an unassigned type,
/// which Suricata does not log.
fn message_json(m: &Message) -> Option<(&'static str, Value)> {
    let h = m.header;
    let body = &m.body[..];
    let mut o = Map::new();
    o.insert("qos".into(), h.qos().into());
    o.insert("retain".into(), h.retain().into());
    o.insert("dup".into(), h.dup().into());
    let key = kind::name(h.msg_type());
    match &m.op {
        Op::Unassigned => return None,
        Op::Connect(c) => {
            o.insert("protocol_string".into(), text(c.protocol.of(body)).into());
            o.insert("protocol_version".into(), c.level.into());
            o.insert("client_id".into(), text(c.client_id.of(body)).into());
            let f = |bit: u8| c.flags & bit != 0;
            o.insert(
                "flags".into(),
                json!({
                    "username": f(cf::USERNAME),
                    "password": f(cf::PASSWORD),
                    "will_retain": f(cf::WILL_RETAIN),
                    "will": f(cf::WILL),
                    "clean_session": f(cf::CLEAN_SESSION),
                }),
            );
            if let Some(u) = c.username {
                o.insert("username".into(), text(u.of(body)).into());
            }
            // No "password": palisade never logs it.
            if f(cf::WILL) {
                let mut w = Map::new();
                if let Some(t) = c.will_topic {
                    w.insert("topic".into(), text(t.of(body)).into());
                }
                if let Some(t) = c.will_message {
                    w.insert("message".into(), bytes_text(t.of(body)).into());
                }
                put_props(&mut w, body, c.will_props);
                o.insert("will".into(), Value::Object(w));
            }
            put_props(&mut o, body, c.props);
        }
        Op::Connack(a) => {
            o.insert("session_present".into(), (a.ack_flags & 1 != 0).into());
            o.insert("return_code".into(), a.code.into());
            put_props(&mut o, body, a.props);
        }
        Op::Publish(p) => {
            o.insert("topic".into(), text(p.topic.of(body)).into());
            if let Some(id) = p.msg_id {
                o.insert("message_id".into(), id.into());
            }
            o.insert("message".into(), bytes_text(p.payload.of(body)).into());
            put_props(&mut o, body, p.props);
        }
        Op::Puback(a) | Op::Pubrec(a) | Op::Pubrel(a) | Op::Pubcomp(a) => {
            o.insert("message_id".into(), a.msg_id.into());
            if let Some(c) = a.code {
                o.insert("reason_code".into(), c.into());
            }
            put_props(&mut o, body, a.props);
        }
        Op::Subscribe(s) => {
            o.insert("message_id".into(), s.msg_id.into());
            let topics: Vec<Value> = parser::sub_topics(s.topics.of(body))
                .map(|(t, q)| json!({"topic": text(t), "qos": q}))
                .collect();
            o.insert("topics".into(), topics.into());
            put_props(&mut o, body, s.props);
        }
        Op::Suback(a) => {
            o.insert("message_id".into(), a.msg_id.into());
            o.insert("qos_granted".into(), a.codes.of(body).to_vec().into());
        }
        Op::Unsubscribe(s) => {
            o.insert("message_id".into(), s.msg_id.into());
            let topics: Vec<Value> = parser::unsub_topics(s.topics.of(body))
                .map(|t| text(t).into())
                .collect();
            o.insert("topics".into(), topics.into());
        }
        Op::Unsuback(a) => {
            o.insert("message_id".into(), a.msg_id.into());
            let codes = a.codes.of(body);
            if !codes.is_empty() {
                o.insert("reason_codes".into(), codes.to_vec().into());
            }
        }
        Op::Pingreq | Op::Pingresp => {}
        Op::Auth(r) | Op::Disconnect(r) => {
            if let Some(c) = r.code {
                o.insert("reason_code".into(), c.into());
            }
            put_props(&mut o, body, r.props);
        }
        Op::Truncated(n) => {
            o.insert("truncated".into(), true.into());
            o.insert("skipped_length".into(), (*n).into());
        }
    }
    Some((key, Value::Object(o)))
}

impl AppTx for MqttTx {
    fn log(&self, out: &mut Map<String, Value>) {
        for m in &self.msgs {
            if let Some((k, v)) = message_json(m) {
                out.insert(k.into(), v);
            }
        }
    }

    /// The CONNECT's user name and password, with the CONNACK's verdict
    /// (return code 0 is success). None when the CONNECT carried neither.
    fn credential(&self) -> Option<Credential<'_>> {
        let (m, c) = self.msgs.iter().find_map(|m| match m.op {
            Op::Connect(c) => Some((m, c)),
            _ => None,
        })?;
        if c.username.is_none() && c.password.is_none() {
            return None;
        }
        let outcome = self
            .msgs
            .iter()
            .find_map(|m| match m.op {
                Op::Connack(a) if a.code == 0 => Some(LoginOutcome::Success),
                Op::Connack(_) => Some(LoginOutcome::Failure),
                _ => None,
            })
            .unwrap_or(LoginOutcome::Unknown);
        Some(Credential {
            service: "mqtt",
            username: c.username.map_or(&[][..], |u| u.of(&m.body)),
            secret: c
                .password
                .map_or(Secret::None, |p| Secret::Plain(p.of(&m.body))),
            outcome,
        })
    }
}
