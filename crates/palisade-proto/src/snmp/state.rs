//! SNMP transactions: a request paired with its response, or a message
//! alone (trap, unanswered or unmatched message).

use super::ber::oid_string;
use super::parser::{
    error_name, message, pdu_type_name, trap_type_name, value_type_name, Message, SNMP_TRAP_OID_0,
};
use crate::buffers::{by_sticky_name, BufferId};
use crate::parser::{
    AppTx, Credential, Dir, Input, LoginOutcome, ParseError, Parser, Secret, Sink, TxUpdate,
};
use crate::tx::Transaction;
use crate::util::text;
use serde_json::{json, Map, Value};
use std::sync::OnceLock;

/// Variable bindings kept per message; more raise `snmp.too_many_vars`.
pub const MAX_VARS: usize = 64;
/// Requests waiting for their response per flow; one more completes the
/// oldest unanswered and raises `snmp.too_many_transactions`.
pub const MAX_PENDING: usize = 32;

/// Event: a datagram or part of one is not valid SNMP (Suricata's).
pub const EV_MALFORMED: &str = "snmp.malformed_data";
/// Event: a v3 message with a security model other than USM (Suricata's).
pub const EV_UNKNOWN_SECURITY_MODEL: &str = "snmp.unknown_security_model";
/// Event: the version differs from the flow's first message (Suricata's).
pub const EV_VERSION_MISMATCH: &str = "snmp.version_mismatch";
/// Event: more than [`MAX_VARS`] variable bindings (palisade).
pub const EV_TOO_MANY_VARS: &str = "snmp.too_many_vars";
/// Event: more than [`MAX_PENDING`] requests waiting (palisade).
pub const EV_TOO_MANY_TX: &str = "snmp.too_many_transactions";

/// One variable binding as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Var {
    /// OID, encoded (formatted only when logged).
    pub oid: Vec<u8>,
    /// Identifier byte of the value (see [`value_type_name`]).
    pub value_type: u8,
}

/// A v1 trap's fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trap {
    /// generic-trap.
    pub generic: i64,
    /// specific-trap.
    pub specific: i64,
    /// agent-addr.
    pub agent_addr: Option<[u8; 4]>,
}

/// What a transaction keeps of one message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Msg {
    /// msgVersion as sent (0 v1, 1 v2c, 3 v3).
    pub version: i64,
    /// Community (v1/v2c). A secret: exposed only to rules and
    /// `credential()`, never logged.
    pub community: Option<Vec<u8>>,
    /// USM user name (v3).
    pub usm: Option<Vec<u8>>,
    /// v3 msgID.
    pub msg_id: Option<i64>,
    /// v3 scoped PDU encrypted.
    pub encrypted: bool,
    /// PDU type, when the PDU could be read.
    pub pdu_type: Option<u32>,
    /// request-id.
    pub request_id: Option<i64>,
    /// error-status (non-repeaters of a GetBulkRequest).
    pub error_status: i64,
    /// error-index (max-repetitions of a GetBulkRequest).
    pub error_index: i64,
    /// v1 trap fields.
    pub trap: Option<Trap>,
    /// Trap OID: a v1 trap's enterprise, or the value of a v2 trap's
    /// `snmpTrapOID.0` varbind (encoded).
    pub trap_oid: Option<Vec<u8>>,
    /// Variable bindings (at most [`MAX_VARS`]).
    pub vars: Vec<Var>,
}

impl Msg {
    fn from_message(m: &Message<'_>, events: &mut Vec<&'static str>) -> Msg {
        let mut out = Msg {
            version: m.version,
            community: m.community.map(<[u8]>::to_vec),
            encrypted: m.encrypted,
            ..Msg::default()
        };
        if let Some(h) = &m.v3 {
            out.msg_id = Some(h.msg_id);
            out.usm = h.usm_user.map(<[u8]>::to_vec);
            if h.security_model != 3 {
                push_event(events, EV_UNKNOWN_SECURITY_MODEL);
            }
        }
        if m.malformed {
            push_event(events, EV_MALFORMED);
        }
        let Some(p) = &m.pdu else {
            return out;
        };
        out.pdu_type = Some(p.pdu_type);
        out.request_id = p.request_id;
        out.error_status = p.error_status;
        out.error_index = p.error_index;
        if let Some(t) = &p.trap {
            out.trap = Some(Trap {
                generic: t.generic,
                specific: t.specific,
                agent_addr: t.agent_addr,
            });
            out.trap_oid = Some(t.enterprise.to_vec());
        }
        for vb in p.varbinds() {
            let Ok(vb) = vb else {
                push_event(events, EV_MALFORMED);
                break;
            };
            if vb.oid == SNMP_TRAP_OID_0 && vb.value.ident == super::ber::OID {
                out.trap_oid = Some(vb.value.value.to_vec());
            }
            if out.vars.len() >= MAX_VARS {
                push_event(events, EV_TOO_MANY_VARS);
                break;
            }
            out.vars.push(Var {
                oid: vb.oid.to_vec(),
                value_type: vb.value.ident,
            });
        }
        out
    }

    /// Key pairing a request with its answer: the v3 msgID, else the
    /// request-id.
    fn key(&self) -> Option<i64> {
        self.msg_id.or(self.request_id)
    }

    /// Expects an answer: Get, GetNext, Set, GetBulk, Inform, or an
    /// encrypted v3 message (its type is unknown; if nothing answers it,
    /// it waits until the flow ends).
    fn is_request(&self) -> bool {
        match self.pdu_type {
            Some(t) => matches!(t, 0 | 1 | 3 | 5 | 6),
            None => self.encrypted,
        }
    }

    /// Answers a request: Response, Report, or an encrypted v3 message.
    fn is_answer(&self) -> bool {
        match self.pdu_type {
            Some(t) => matches!(t, 2 | 8),
            None => self.encrypted,
        }
    }

    /// Suricata's `version`: 1 for v1, 2 for v2c, 3 for v3.
    fn eve_version(&self) -> i64 {
        match self.version {
            0 | 1 => self.version + 1,
            v => v,
        }
    }

    fn log(&self, out: &mut Map<String, Value>) {
        out.insert("version".into(), json!(self.eve_version()));
        if self.encrypted {
            out.insert("pdu_type".into(), json!("encrypted"));
        } else if let Some(t) = self.pdu_type {
            let name = pdu_type_name(t).map_or_else(|| format!("Unknown(0x{t:x})"), str::to_owned);
            out.insert("pdu_type".into(), json!(name));
            if let Some(id) = self.request_id {
                out.insert("request_id".into(), json!(id));
            }
            if t == 5 {
                out.insert("non_repeaters".into(), json!(self.error_status));
                out.insert("max_repetitions".into(), json!(self.error_index));
            } else if self.error_status != 0 {
                let e = error_name(self.error_status).map_or_else(
                    || format!("ErrorStatus({})", self.error_status),
                    str::to_owned,
                );
                out.insert("error".into(), json!(e));
                out.insert("error_index".into(), json!(self.error_index));
            }
        }
        if let Some(t) = &self.trap {
            let name = trap_type_name(t.generic)
                .map_or_else(|| format!("TrapType({})", t.generic), str::to_owned);
            out.insert("trap_type".into(), json!(name));
            if t.generic == 6 {
                out.insert("specific_trap".into(), json!(t.specific));
            }
            if let Some([a, b, c, d]) = t.agent_addr {
                out.insert("trap_address".into(), json!(format!("{a}.{b}.{c}.{d}")));
            }
        }
        if let Some(o) = &self.trap_oid {
            out.insert("trap_oid".into(), json!(oid_string(o)));
        }
        if !self.vars.is_empty() {
            let vars: Vec<Value> = self
                .vars
                .iter()
                .map(|v| json!(oid_string(&v.oid)))
                .collect();
            out.insert("vars".into(), Value::Array(vars));
            // Requests carry NULL values: types only say something when
            // a value was sent.
            if self.vars.iter().any(|v| v.value_type != super::ber::NULL) {
                let types: Vec<Value> = self
                    .vars
                    .iter()
                    .map(|v| json!(value_type_name(v.value_type)))
                    .collect();
                out.insert("var_types".into(), Value::Array(types));
            }
        }
        // The community is a password: say it was there, never what it is
        // (Suricata logs it as `community`; palisade deliberately does not).
        if let Some(c) = &self.community {
            out.insert("community_present".into(), json!(true));
            out.insert("community_length".into(), json!(c.len()));
        }
        if let Some(u) = &self.usm {
            out.insert("usm".into(), json!(text(u)));
        }
    }
}

fn push_event(events: &mut Vec<&'static str>, e: &'static str) {
    if !events.contains(&e) {
        events.push(e);
    }
}

/// An SNMP transaction: the first message and, for a request, its answer.
#[derive(Debug, Clone)]
pub struct SnmpTx {
    id: u64,
    /// Direction of the first message.
    pub dir: Dir,
    /// The first message (request, trap, or an answer seen alone).
    pub first: Msg,
    /// The answer to a request.
    pub response: Option<Msg>,
    events: Vec<&'static str>,
}

fn ids() -> &'static (BufferId, BufferId) {
    static IDS: OnceLock<(BufferId, BufferId)> = OnceLock::new();
    IDS.get_or_init(|| {
        (
            by_sticky_name("snmp.community").unwrap_or(BufferId(u16::MAX)),
            by_sticky_name("snmp.usm").unwrap_or(BufferId(u16::MAX)),
        )
    })
}

impl Transaction for SnmpTx {
    fn app_proto(&self) -> &'static str {
        "snmp"
    }
    fn buffer(&self, id: BufferId, f: &mut dyn FnMut(&[u8])) {
        let (community, usm) = *ids();
        for m in std::iter::once(&self.first).chain(self.response.as_ref()) {
            let v = if id == community {
                &m.community
            } else if id == usm {
                &m.usm
            } else {
                continue;
            };
            if let Some(v) = v {
                f(v);
            }
        }
    }
    fn events(&self) -> &[&'static str] {
        &self.events
    }
    fn id(&self) -> u64 {
        self.id
    }
}

impl AppTx for SnmpTx {
    /// Suricata's `snmp` object for the first message; the answer to a
    /// request, when seen, in the same shape under `response`.
    fn log(&self, out: &mut Map<String, Value>) {
        self.first.log(out);
        if let Some(r) = &self.response {
            let mut m = Map::new();
            r.log(&mut m);
            out.insert("response".into(), Value::Object(m));
        }
    }

    /// A v1/v2c request's community, with the outcome its answer shows
    /// (see [`answer_outcome`]; Unknown while unanswered). An answer seen
    /// without its request is not a login attempt (see below). Traps are
    /// notifications, not logins.
    fn credential(&self) -> Option<Credential<'_>> {
        let m = &self.first;
        if !matches!(m.version, 0 | 1) {
            return None;
        }
        let community = m.community.as_deref()?;
        // Only a request is a login attempt. An answer whose request was
        // not seen is most often reflection (an amplification flood's
        // responses, sent to a spoofed victim that never asked): counting
        // it as a login would turn every reflector into an alert.
        if !m.is_request() {
            return None;
        }
        let outcome = self
            .response
            .as_ref()
            .map_or(LoginOutcome::Unknown, answer_outcome);
        Some(Credential {
            service: "snmp",
            username: b"",
            secret: Secret::Plain(community),
            outcome,
        })
    }
}

/// What an answer says of the community: an agent drops a request with
/// a community it does not know, so a Response means it was accepted —
/// unless its error-status is authorizationError (16), which access
/// control returns when the community maps to no access (RFC 3413 §3.2).
/// A Report is not a v1/v2c answer and says nothing.
fn answer_outcome(a: &Msg) -> LoginOutcome {
    match a.pdu_type {
        Some(2) if a.error_status == 16 => LoginOutcome::Failure,
        Some(2) => LoginOutcome::Success,
        _ => LoginOutcome::Unknown,
    }
}

/// Parser state of one flow.
#[derive(Default)]
pub struct SnmpParser {
    /// Requests waiting for their answer, oldest first.
    pending: Vec<SnmpTx>,
    next_id: u64,
    /// Version of the flow's first message.
    version: Option<i64>,
}

impl SnmpParser {
    fn new_tx(&mut self, dir: Dir, first: Msg, events: Vec<&'static str>) -> SnmpTx {
        let id = self.next_id;
        self.next_id += 1;
        SnmpTx {
            id,
            dir,
            first,
            response: None,
            events,
        }
    }
}

fn complete(tx: &SnmpTx, dir: Dir, sink: &mut dyn Sink) {
    sink.tx(
        tx,
        TxUpdate {
            dir,
            complete: true,
        },
    );
}

impl Parser for SnmpParser {
    fn parse(&mut self, input: Input<'_>, sink: &mut dyn Sink) -> Result<(), ParseError> {
        let dir = input.dir;
        let m = match message(input.data) {
            Ok(m) => m,
            Err(_) => {
                // One bad datagram says nothing about the next one.
                sink.event(dir, EV_MALFORMED);
                return Ok(());
            }
        };
        let mut events = Vec::new();
        let msg = Msg::from_message(&m, &mut events);
        match self.version {
            None => self.version = Some(msg.version),
            Some(v) if v != msg.version => push_event(&mut events, EV_VERSION_MISMATCH),
            Some(_) => {}
        }
        if msg.is_answer() {
            let key = msg.key();
            let found = self
                .pending
                .iter()
                .position(|t| t.dir != dir && key.is_some() && t.first.key() == key);
            if let Some(i) = found {
                let mut tx = self.pending.remove(i);
                tx.response = Some(msg);
                for e in events {
                    push_event(&mut tx.events, e);
                }
                complete(&tx, dir, sink);
                return Ok(());
            }
        }
        let request = msg.is_request();
        let tx = self.new_tx(dir, msg, events);
        if !request {
            complete(&tx, dir, sink);
            return Ok(());
        }
        if self.pending.len() >= MAX_PENDING {
            sink.event(dir, EV_TOO_MANY_TX);
            let old = self.pending.remove(0);
            complete(&old, old.dir, sink);
        }
        sink.tx(
            &tx,
            TxUpdate {
                dir,
                complete: false,
            },
        );
        self.pending.push(tx);
        Ok(())
    }

    fn gap(&mut self, _dir: Dir, _len: u64, _sink: &mut dyn Sink) {
        // Datagrams: nothing spans a gap.
    }

    fn finish(&mut self, sink: &mut dyn Sink) {
        for tx in std::mem::take(&mut self.pending) {
            complete(&tx, tx.dir, sink);
        }
    }
}
