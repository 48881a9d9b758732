//! SNMP v1/v2c/v3 over UDP (ports 161 agent, 162 trap receiver).
//!
//! Each datagram is one BER-encoded message ([`ber`] is palisade's own
//! bounded reader; its module docs say why not `der-parser`). From v1 and
//! v2c messages we read the version, the community, the PDU type,
//! request-id, error-status/index, the variable bindings' OIDs and value
//! types (at most [`state::MAX_VARS`]) and a v1 trap's fields; from v3 the
//! msgID, the flags and the USM user name, and the PDU when it is not
//! encrypted.
//!
//! Transactions: a request (Get, GetNext, Set, GetBulk, Inform) waits for
//! the answer (Response, or a v3 Report) coming the other way with the
//! same request-id (v3: msgID), and the pair is one transaction; traps,
//! and answers whose request was not seen, are transactions of their own.
//! At most [`state::MAX_PENDING`] requests wait per flow. Note that a UDP
//! flow's client is whoever sent first: a capture of only an agent's
//! answers (an amplification attack) has them as to-server data.
//!
//! EVE (`snmp`): Suricata's object — `version` (1, 2, 3), `pdu_type`
//! (`get_request`, ..., `encrypted`), `error` (when error-status is not
//! 0), `trap_type`/`trap_oid`/`trap_address` for v1 traps, `vars` (OIDs),
//! `usm` — for the first message, plus palisade's `request_id`,
//! `error_index`, `non_repeaters`/`max_repetitions` (GetBulk),
//! `specific_trap`, `var_types` (value types, when any value is not NULL)
//! and `trap_oid` for v2 traps (the `snmpTrapOID.0` value); the answer,
//! when seen, in the same shape under `response`. **The community string
//! is never logged** (Suricata logs it as `community`): a community is a
//! password, so palisade writes `"community_present": true` and
//! `community_length`. The community reaches the default-credential
//! detectors only in memory, through `credential()` (v1/v2c requests,
//! and answers seen alone: Success on a Response, Failure on an
//! authorizationError Response, Unknown unanswered), and rules through
//! the `snmp.community` buffer.
//!
//! Events: `snmp.malformed_data`, `snmp.unknown_security_model`,
//! `snmp.version_mismatch` (Suricata's), `snmp.too_many_vars`,
//! `snmp.too_many_transactions`. Buffers: `snmp.community`, `snmp.usm`.

pub mod ber;
pub mod parser;
mod state;

pub use state::{Msg, SnmpParser, SnmpTx, Trap, Var, MAX_PENDING, MAX_VARS};

use crate::registry::{Probe, ProbeInput, ProtoSpec, Transport};

/// Registry entry.
pub static SPEC: ProtoSpec = ProtoSpec {
    name: "snmp",
    transport: Transport::Udp,
    ports: &[161, 162],
    probe,
    new_parser: || Box::new(SnmpParser::default()),
};

/// A datagram is whole, so the probe never asks for more: on the SNMP
/// ports a SEQUENCE with a known version is enough; elsewhere the message
/// must read up to its PDU.
fn probe(p: &ProbeInput<'_>) -> Probe {
    if parser::looks_like(p.data, p.on_port) {
        Probe::Match
    } else {
        Probe::NoMatch
    }
}

#[cfg(test)]
mod tests;
