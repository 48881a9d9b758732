use super::ber::{self, BerError, Reader};
use super::*;
use crate::parser::{AppTx, Credential, Dir, Input, LoginOutcome, Secret};
use crate::testing::{buffer, feed_all, mutations, run, run_flow, Inspect, Recording};
use serde_json::json;

// ---- a tiny BER encoder for building test messages ----

fn tlv(ident: u8, content: &[u8]) -> Vec<u8> {
    let mut v = vec![ident];
    let n = content.len();
    if n < 0x80 {
        v.push(n as u8);
    } else if n < 0x100 {
        v.extend_from_slice(&[0x81, n as u8]);
    } else {
        v.extend_from_slice(&[0x82, (n >> 8) as u8, n as u8]);
    }
    v.extend_from_slice(content);
    v
}

fn int(x: i64) -> Vec<u8> {
    let b = x.to_be_bytes();
    let mut start = 0;
    while start < 7
        && ((b[start] == 0 && b[start + 1] & 0x80 == 0)
            || (b[start] == 0xff && b[start + 1] & 0x80 != 0))
    {
        start += 1;
    }
    tlv(0x02, &b[start..])
}

fn oid_bytes(s: &str) -> Vec<u8> {
    let arcs: Vec<u64> = s.split('.').map(|a| a.parse().unwrap()).collect();
    let mut out = Vec::new();
    let mut push = |mut v: u64| {
        let mut tmp = vec![(v & 0x7f) as u8];
        v >>= 7;
        while v > 0 {
            tmp.push((v & 0x7f) as u8 | 0x80);
            v >>= 7;
        }
        tmp.reverse();
        out.extend_from_slice(&tmp);
    };
    push(arcs[0] * 40 + arcs[1]);
    for &a in &arcs[2..] {
        push(a);
    }
    out
}

fn oid(s: &str) -> Vec<u8> {
    tlv(0x06, &oid_bytes(s))
}

fn seq(parts: &[Vec<u8>]) -> Vec<u8> {
    tlv(0x30, &parts.concat())
}

fn null() -> Vec<u8> {
    vec![0x05, 0x00]
}

fn varbinds(vars: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let items: Vec<Vec<u8>> = vars
        .iter()
        .map(|(o, v)| seq(&[oid(o), v.clone()]))
        .collect();
    seq(&items)
}

/// A v1 (version 0) or v2c (version 1) message with a generic PDU.
fn msg(
    version: i64,
    community: &[u8],
    pdu: u8,
    req_id: i64,
    es: i64,
    ei: i64,
    vars: &[(&str, Vec<u8>)],
) -> Vec<u8> {
    let body = [int(req_id), int(es), int(ei), varbinds(vars)].concat();
    seq(&[int(version), tlv(0x04, community), tlv(0xa0 | pdu, &body)])
}

const SYS_DESCR: &str = "1.3.6.1.2.1.1.1.0";
const SYS_UPTIME: &str = "1.3.6.1.2.1.1.3.0";

fn get(req_id: i64) -> Vec<u8> {
    msg(1, b"public", 0, req_id, 0, 0, &[(SYS_DESCR, null())])
}

fn response(req_id: i64, es: i64) -> Vec<u8> {
    msg(
        1,
        b"public",
        2,
        req_id,
        es,
        u8::from(es != 0).into(),
        &[(SYS_DESCR, tlv(0x04, b"Linux cam 4.9"))],
    )
}

/// A credential as recorded: (user name, community, outcome).
type Cred = (Vec<u8>, Vec<u8>, LoginOutcome);

/// Each completed transaction's credential and buffers.
#[derive(Default)]
struct Creds {
    creds: Vec<Option<Cred>>,
    community: Vec<Vec<Vec<u8>>>,
    usm: Vec<Vec<Vec<u8>>>,
}

impl Inspect for Creds {
    fn inspect(&mut self, tx: &dyn AppTx) {
        self.creds.push(tx.credential().map(|c: Credential<'_>| {
            let Secret::Plain(p) = c.secret else {
                panic!("snmp secrets are plain")
            };
            assert_eq!(c.service, "snmp");
            (c.username.to_vec(), p.to_vec(), c.outcome)
        }));
        self.community.push(buffer(tx, "snmp.community"));
        self.usm.push(buffer(tx, "snmp.usm"));
    }
}

type CredSink = Recording<Creds>;

fn drive(chunks: &[(Dir, &[u8])]) -> CredSink {
    feed_all(&SPEC, chunks, CredSink::default())
}

// ---- message types ----

#[test]
fn get_and_response_pair_into_one_transaction() {
    let (req, resp) = (get(0x1234), response(0x1234, 0));
    let s = drive(&[(Dir::ToServer, &req), (Dir::ToClient, &resp)]);
    let out = &s.out;
    assert_eq!(out.updates, vec![(0, Dir::ToServer)]);
    assert_eq!(out.txs.len(), 1);
    assert_eq!(
        out.txs[0].log,
        json!({
            "version": 2,
            "pdu_type": "get_request",
            "request_id": 0x1234,
            "vars": [SYS_DESCR],
            "community_present": true,
            "community_length": 6,
            "response": {
                "version": 2,
                "pdu_type": "response",
                "request_id": 0x1234,
                "vars": [SYS_DESCR],
                "var_types": ["octet_string"],
                "community_present": true,
                "community_length": 6,
            }
        })
    );
    assert!(!out.txs[0].log.to_string().contains("public"));
    assert_eq!(
        s.creds,
        vec![Some((vec![], b"public".to_vec(), LoginOutcome::Success))]
    );
    assert_eq!(s.community[0], vec![b"public".to_vec(), b"public".to_vec()]);
    assert!(s.usm[0].is_empty());
}

#[test]
fn unanswered_request_is_unknown_and_completes_at_finish() {
    let req = msg(0, b"public", 1, 7, 0, 0, &[("1.3.6.1.2.1", null())]);
    // A response with another request id does not answer it.
    let other = response(8, 0);
    let s = drive(&[(Dir::ToServer, &req), (Dir::ToClient, &other)]);
    let out = &s.out;
    assert_eq!(out.txs.len(), 2);
    // The unmatched response completes first (it is alone), the request at finish.
    assert_eq!((out.txs[0].id, out.txs[1].id), (1, 0));
    assert_eq!(out.txs[1].log["pdu_type"], "get_next_request");
    assert_eq!(out.txs[1].log["version"], 1);
    assert_eq!(
        s.creds[1],
        Some((vec![], b"public".to_vec(), LoginOutcome::Unknown))
    );
    // The lone response is no login attempt (reflection looks like this).
    assert_eq!(s.creds[0], None);
}

#[test]
fn response_from_the_same_direction_does_not_pair() {
    let (req, resp) = (get(5), response(5, 0));
    let s = drive(&[(Dir::ToServer, &req), (Dir::ToServer, &resp)]);
    assert_eq!(s.out.txs.len(), 2);
}

#[test]
fn error_status_and_set() {
    let set = msg(
        1,
        b"public",
        3,
        -2,
        0,
        0,
        &[("1.3.6.1.2.1.1.5.0", tlv(0x04, b"x"))],
    );
    let err = msg(
        1,
        b"public",
        2,
        -2,
        17,
        1,
        &[("1.3.6.1.2.1.1.5.0", tlv(0x04, b"x"))],
    );
    let s = drive(&[(Dir::ToServer, &set), (Dir::ToClient, &err)]);
    let log = &s.out.txs[0].log;
    assert_eq!(log["pdu_type"], "set_request");
    assert_eq!(log["request_id"], -2);
    assert_eq!(log["var_types"], json!(["octet_string"]));
    assert_eq!(log["response"]["error"], "NotWritable");
    assert_eq!(log["response"]["error_index"], 1);
    // An answer, even an error, means the community was accepted...
    assert_eq!(s.creds[0].as_ref().unwrap().2, LoginOutcome::Success);
    // ...but authorizationError means it has no access.
    let denied = msg(1, b"public", 2, -2, 16, 0, &[]);
    let s = drive(&[(Dir::ToServer, &set), (Dir::ToClient, &denied)]);
    assert_eq!(s.out.txs[0].log["response"]["error"], "AuthorizationError");
    assert_eq!(s.creds[0].as_ref().unwrap().2, LoginOutcome::Failure);
    let unknown = msg(1, b"public", 2, 1, 99, 0, &[]);
    let s = drive(&[(Dir::ToClient, &unknown)]);
    assert_eq!(s.out.txs[0].log["error"], "ErrorStatus(99)");
}

#[test]
fn getbulk_and_value_types() {
    let bulk = msg(1, b"public", 5, 9, 1, 10, &[("1.3.6.1.2.1.2", null())]);
    let resp = msg(
        1,
        b"public",
        2,
        9,
        0,
        0,
        &[
            (SYS_UPTIME, tlv(0x43, &[1, 2])),
            ("1.3.6.1.2.1.2.2.1.10.1", tlv(0x41, &[5])),
            ("1.3.6.1.2.1.4.20.1.1.1", tlv(0x40, &[10, 0, 0, 1])),
            ("1.3.6.1.2.1.99", tlv(0x80, &[])),
            ("1.3.6.1.2.1.100", tlv(0x82, &[])),
            ("1.3.6.1.2.1.101", tlv(0x46, &[1, 0, 0, 0, 0, 0, 0, 0])),
        ],
    );
    let s = drive(&[(Dir::ToServer, &bulk), (Dir::ToClient, &resp)]);
    let log = &s.out.txs[0].log;
    assert_eq!(log["pdu_type"], "get_bulk_request");
    assert_eq!(log["non_repeaters"], 1);
    assert_eq!(log["max_repetitions"], 10);
    assert!(log.get("error").is_none());
    assert_eq!(
        log["response"]["var_types"],
        json!([
            "timeticks",
            "counter32",
            "ip_address",
            "no_such_object",
            "end_of_mib_view",
            "counter64"
        ])
    );
}

fn trap_v1(generic: i64, specific: i64) -> Vec<u8> {
    let body = [
        oid("1.3.6.1.4.1.9.1.1"),
        tlv(0x40, &[192, 168, 1, 20]),
        int(generic),
        int(specific),
        tlv(0x43, &[0x10, 0x00]),
        varbinds(&[("1.3.6.1.2.1.2.2.1.1.3", int(3))]),
    ]
    .concat();
    seq(&[int(0), tlv(0x04, b"public"), tlv(0xa4, &body)])
}

#[test]
fn v1_trap_alone() {
    let t = trap_v1(2, 0);
    let s = drive(&[(Dir::ToServer, &t)]);
    let out = &s.out;
    assert!(out.updates.is_empty());
    assert_eq!(
        out.txs[0].log,
        json!({
            "version": 1,
            "pdu_type": "trap_v1",
            "trap_type": "linkDown",
            "trap_address": "192.168.1.20",
            "trap_oid": "1.3.6.1.4.1.9.1.1",
            "vars": ["1.3.6.1.2.1.2.2.1.1.3"],
            "var_types": ["integer"],
            "community_present": true,
            "community_length": 6,
        })
    );
    // A trap is not a login.
    assert_eq!(s.creds, vec![None]);
    let s = drive(&[(Dir::ToServer, &trap_v1(6, 42))]);
    assert_eq!(s.out.txs[0].log["trap_type"], "enterpriseSpecific");
    assert_eq!(s.out.txs[0].log["specific_trap"], 42);
}

#[test]
fn v2_trap_and_inform() {
    let vars = [
        (SYS_UPTIME, tlv(0x43, &[1])),
        ("1.3.6.1.6.3.1.1.4.1.0", oid("1.3.6.1.6.3.1.1.5.3")),
    ];
    let trap = msg(1, b"public", 7, 77, 0, 0, &vars);
    let s = drive(&[(Dir::ToServer, &trap)]);
    let log = &s.out.txs[0].log;
    assert_eq!(log["pdu_type"], "trap_v2");
    assert_eq!(log["trap_oid"], "1.3.6.1.6.3.1.1.5.3");
    assert_eq!(s.creds, vec![None]);
    // An inform is answered by a response.
    let inform = msg(1, b"public", 6, 78, 0, 0, &vars);
    let ack = msg(1, b"public", 2, 78, 0, 0, &vars);
    let s = drive(&[(Dir::ToServer, &inform), (Dir::ToClient, &ack)]);
    assert_eq!(s.out.txs.len(), 1);
    assert_eq!(s.out.txs[0].log["pdu_type"], "inform_request");
    assert_eq!(s.out.txs[0].log["response"]["pdu_type"], "response");
}

fn v3(msg_id: i64, flags: u8, model: i64, user: &[u8], data: Vec<u8>) -> Vec<u8> {
    let global = seq(&[int(msg_id), int(65507), tlv(0x04, &[flags]), int(model)]);
    let usm = seq(&[
        tlv(0x04, b"\x80\x00\x1f\x88\x80"),
        int(3),
        int(1000),
        tlv(0x04, user),
        tlv(0x04, b""),
        tlv(0x04, b""),
    ]);
    seq(&[int(3), global, tlv(0x04, &usm), data])
}

fn scoped(pdu: u8, req_id: i64, vars: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let body = [int(req_id), int(0), int(0), varbinds(vars)].concat();
    seq(&[tlv(0x04, b""), tlv(0x04, b""), tlv(0xa0 | pdu, &body)])
}

#[test]
fn v3_usm_user_plaintext_and_report() {
    let req = v3(100, 0x04, 3, b"", scoped(0, 1, &[]));
    let report = v3(
        100,
        0x00,
        3,
        b"",
        scoped(8, 1, &[("1.3.6.1.6.3.15.1.1.4.0", tlv(0x41, &[1]))]),
    );
    let s = drive(&[(Dir::ToServer, &req), (Dir::ToClient, &report)]);
    assert_eq!(s.out.txs.len(), 1);
    let log = &s.out.txs[0].log;
    assert_eq!(log["version"], 3);
    assert_eq!(log["pdu_type"], "get_request");
    assert_eq!(log["response"]["pdu_type"], "report");
    assert_eq!(log["response"]["vars"], json!(["1.3.6.1.6.3.15.1.1.4.0"]));
    assert_eq!(s.creds, vec![None]);

    let get = v3(101, 0x05, 3, b"admin", scoped(0, 2, &[(SYS_DESCR, null())]));
    let s = drive(&[(Dir::ToServer, &get)]);
    assert_eq!(s.out.txs[0].log["usm"], "admin");
    assert_eq!(s.usm[0], vec![b"admin".to_vec()]);
    assert!(s.community[0].is_empty());
    assert!(s.out.txs[0].log.get("community_present").is_none());
}

#[test]
fn v3_encrypted_pairs_by_msg_id() {
    let req = v3(200, 0x07, 3, b"ops", tlv(0x04, &[0xde, 0xad, 0xbe, 0xef]));
    let resp = v3(200, 0x03, 3, b"ops", tlv(0x04, &[0x01, 0x02]));
    let s = drive(&[(Dir::ToServer, &req), (Dir::ToClient, &resp)]);
    assert_eq!(s.out.txs.len(), 1);
    let log = &s.out.txs[0].log;
    assert_eq!(log["pdu_type"], "encrypted");
    assert_eq!(log["usm"], "ops");
    assert_eq!(log["response"]["pdu_type"], "encrypted");
    assert!(log.get("vars").is_none());
}

#[test]
fn v3_unknown_security_model() {
    let m = v3(1, 0x00, 2, b"", scoped(7, 1, &[]));
    let s = drive(&[(Dir::ToServer, &m)]);
    assert_eq!(s.out.txs[0].events, vec!["snmp.unknown_security_model"]);
    assert!(s.out.txs[0].log.get("usm").is_none());
}

#[test]
fn version_mismatch_in_a_flow() {
    let a = get(1);
    let b = msg(0, b"public", 0, 2, 0, 0, &[(SYS_DESCR, null())]);
    let s = drive(&[(Dir::ToServer, &a), (Dir::ToServer, &b)]);
    assert!(s.out.txs[0].events.is_empty());
    assert_eq!(s.out.txs[1].events, vec!["snmp.version_mismatch"]);
}

// ---- bounds and hostile input ----

#[test]
fn too_many_vars_is_bounded() {
    let vars: Vec<(String, Vec<u8>)> = (0..100)
        .map(|i| (format!("1.3.6.1.2.1.2.2.1.2.{i}"), null()))
        .collect();
    let vars: Vec<(&str, Vec<u8>)> = vars.iter().map(|(o, v)| (o.as_str(), v.clone())).collect();
    let m = msg(1, b"public", 0, 1, 0, 0, &vars);
    let s = drive(&[(Dir::ToServer, &m)]);
    let tx = &s.out.txs[0];
    assert_eq!(tx.log["vars"].as_array().unwrap().len(), MAX_VARS);
    assert_eq!(tx.log["vars"][63], "1.3.6.1.2.1.2.2.1.2.63");
    assert_eq!(tx.events, vec!["snmp.too_many_vars"]);
}

#[test]
fn too_many_pending_requests_is_bounded() {
    let reqs: Vec<Vec<u8>> = (0..MAX_PENDING as i64 + 3).map(get).collect();
    let chunks: Vec<(Dir, &[u8])> = reqs.iter().map(|r| (Dir::ToServer, &r[..])).collect();
    let out = run(&SPEC, &chunks);
    assert_eq!(out.txs.len(), MAX_PENDING + 3);
    assert_eq!(
        out.events,
        vec![(Dir::ToServer, "snmp.too_many_transactions"); 3]
    );
    // The oldest were completed first.
    assert_eq!(
        out.txs.iter().take(3).map(|t| t.id).collect::<Vec<_>>(),
        vec![0, 1, 2]
    );
}

#[test]
fn ber_lengths() {
    // Long-form length of 4 bytes far past the data.
    assert_eq!(
        ber::read_tlv(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x02]),
        Err(BerError::Truncated)
    );
    // 5 length bytes: refused before reading them.
    assert_eq!(
        ber::read_tlv(&[0x30, 0x85, 0, 0, 0, 0, 1, 0]),
        Err(BerError::LengthTooLong)
    );
    assert_eq!(
        ber::read_tlv(&[0x30, 0x80, 0x02, 0x01, 0x00, 0x00, 0x00]),
        Err(BerError::Indefinite)
    );
    assert_eq!(ber::read_tlv(&[0x30]), Err(BerError::Truncated));
    assert_eq!(ber::read_tlv(&[0x30, 0x82, 0x00]), Err(BerError::Truncated));
    // Non-minimal long form is fine in BER.
    let (t, rest) = ber::read_tlv(&[0x04, 0x82, 0x00, 0x02, b'h', b'i', 0xff]).unwrap();
    assert_eq!((t.value, rest), (&b"hi"[..], &[0xff][..]));
    // High-tag-number form.
    let (t, _) = ber::read_tlv(&[0x5f, 0x81, 0x01, 0x00]).unwrap();
    assert_eq!(t.tag, 129);
    assert_eq!(
        ber::read_tlv(&[0x5f, 0x81, 0x81, 0x81, 0x01, 0x00]),
        Err(BerError::TagTooLong)
    );
    assert_eq!(ber::int_value(&[0xff, 0xfe]), Ok(-2));
    assert_eq!(ber::int_value(&[0x00, 0x80]), Ok(128));
    assert_eq!(ber::int_value(&[]), Err(BerError::BadInteger));
    assert_eq!(ber::int_value(&[1; 9]), Err(BerError::BadInteger));
    // A message whose SEQUENCE claims 4 GiB.
    let mut m = get(1);
    m.splice(1..2, [0x84, 0xff, 0xff, 0xff, 0xf0]);
    let out = run(&SPEC, &[(Dir::ToServer, &m)]);
    assert!(out.txs.is_empty());
    assert_eq!(out.events, vec![(Dir::ToServer, "snmp.malformed_data")]);
}

#[test]
fn depth_bomb_stops_at_the_limit() {
    // 1000 nested SEQUENCEs: entering them goes no deeper than MAX_DEPTH.
    let mut v = null();
    for _ in 0..1000 {
        v = seq(&[v]);
    }
    let mut r = Reader::new(&v);
    let mut levels = 0;
    let err = loop {
        match r.sequence() {
            Ok(inner) => {
                levels += 1;
                r = inner;
            }
            Err(e) => break e,
        }
    };
    assert_eq!(err, BerError::TooDeep);
    assert_eq!(levels, ber::MAX_DEPTH);
    // As a varbind value it is kept as an opaque element.
    let m = msg(1, b"public", 2, 1, 0, 0, &[(SYS_DESCR, v.clone())]);
    let s = drive(&[(Dir::ToClient, &m)]);
    assert_eq!(s.out.txs[0].log["var_types"], json!(["unknown"]));
    // As a PDU it is malformed, and the community still reaches rules.
    let m = seq(&[int(1), tlv(0x04, b"public"), v]);
    let s = drive(&[(Dir::ToClient, &m)]);
    assert_eq!(s.out.txs[0].events, vec!["snmp.malformed_data"]);
    assert_eq!(s.community[0], vec![b"public".to_vec()]);
}

#[test]
fn oids() {
    assert_eq!(ber::oid_string(&oid_bytes(SYS_DESCR)), SYS_DESCR);
    assert_eq!(ber::oid_string(&oid_bytes("2.999.3")), "2.999.3");
    assert_eq!(ber::oid_string(&oid_bytes("0.39")), "0.39");
    assert_eq!(
        ber::oid_string(&oid_bytes("1.3.18446744073709551615")),
        "1.3.18446744073709551615"
    );
    // An arc past 64 bits, an unterminated arc, an empty OID.
    let big = [
        0x2b, 0x82, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00,
    ];
    assert_eq!(ber::oid_string(&big), "1.3.?");
    assert!(!ber::oid_valid(&big));
    assert_eq!(ber::oid_string(&[0x2b, 0x86]), "1.3.?");
    assert!(!ber::oid_valid(&[0x2b, 0x86]));
    assert!(!ber::oid_valid(&[]));
    // A varbind with an invalid OID stops the list.
    let mut bad = msg(1, b"public", 0, 1, 0, 0, &[(SYS_DESCR, null())]);
    let at = bad.len() - 3; // last byte of the OID
    bad[at] |= 0x80;
    let s = drive(&[(Dir::ToServer, &bad)]);
    assert_eq!(s.out.txs[0].events, vec!["snmp.malformed_data"]);
    assert!(s.out.txs[0].log.get("vars").is_none());
}

#[test]
fn every_truncation_is_handled() {
    let whole = [
        get(3),
        response(3, 2),
        trap_v1(0, 0),
        v3(5, 0x04, 3, b"user", scoped(0, 1, &[(SYS_DESCR, null())])),
    ];
    for m in &whole {
        for k in 0..m.len() {
            let out = run(&SPEC, &[(Dir::ToServer, &m[..k]), (Dir::ToClient, &m[..k])]);
            // Cut inside the outer SEQUENCE: its length runs past the end.
            assert!(out.txs.is_empty(), "prefix {k}");
            assert_eq!(out.events.len(), 2);
        }
        // Trailing bytes after a whole message are ignored.
        let mut long = m.clone();
        long.extend_from_slice(b"junk");
        assert_eq!(run(&SPEC, &[(Dir::ToServer, &long)]).txs.len(), 1);
    }
}

#[test]
fn probe_strict_off_port_lenient_on_port() {
    let g = get(1);
    let (proto, out) = run_flow(crate::Transport::Udp, 40000, &[(Dir::ToServer, &g)]);
    assert_eq!(proto, Some("snmp"));
    assert_eq!(out.txs.len(), 1);
    // A PDU-less message: only on the SNMP port.
    let bare = seq(&[int(1), tlv(0x04, b"public"), tlv(0x04, b"x")]);
    let (proto, _) = run_flow(crate::Transport::Udp, 40000, &[(Dir::ToServer, &bare)]);
    assert_eq!(proto, None);
    let (proto, out) = run_flow(crate::Transport::Udp, 161, &[(Dir::ToServer, &bare)]);
    assert_eq!(proto, Some("snmp"));
    assert_eq!(out.txs[0].events, vec!["snmp.malformed_data"]);
    // Not SNMP, even on its port.
    let (proto, _) = run_flow(
        crate::Transport::Udp,
        161,
        &[(Dir::ToServer, b"\x30\x03\x02\x01\x02")],
    );
    assert_eq!(proto, None);
    let (proto, _) = run_flow(crate::Transport::Tcp, 161, &[(Dir::ToServer, &g)]);
    assert_eq!(proto, None);
}

// ---- a real capture ----

/// An SNMP reflection attack seen at the victim: agents' answers to
/// spoofed GetBulk requests, a few reflected requests and Reports.
/// Expected values from
/// `tshark -r stopddos/amp.UDP.snmp.src161.pcapng -Y 'snmp && !icmp'
///  -T fields -e snmp.data -e snmp.error_status -e snmp.community -e snmp.name`
/// (aggregated: 4079 messages, all v2c; 4074 get-response, 2 getBulkRequest,
/// 3 report; error-status 1 x2295, 16 x680, 6 x37, 5 x5, 2 x1, 9 x1, 13 x1;
/// community "public" x4065 and another x14; 315 messages with more than
/// 64 varbinds, 33330 varbinds when each message is capped at 64).
#[test]
fn amplification_capture_matches_tshark() {
    use crate::conversations::{from_pcap, shared_pcap};
    use crate::identify::AppFlow;
    use std::collections::BTreeMap;
    let convs = from_pcap(&shared_pcap("stopddos/amp.UDP.snmp.src161.pcapng"));
    let mut s = CredSink::default();
    for c in convs
        .iter()
        .filter(|c| c.transport == crate::Transport::Udp)
    {
        let mut f = AppFlow::new(c.transport, c.server_port);
        for (dir, data, ts) in &c.chunks {
            f.data(
                Input {
                    dir: *dir,
                    data,
                    ts: *ts,
                },
                &mut s,
            );
        }
        f.finish(&mut s);
        assert_eq!(f.app_proto(), Some("snmp"), "flow {}", c.flow_id);
    }
    let txs = &s.out.txs;
    assert_eq!(txs.len(), 4079);
    let mut types: BTreeMap<String, usize> = BTreeMap::new();
    let mut errors: BTreeMap<String, usize> = BTreeMap::new();
    let mut vars = 0;
    let mut too_many = 0;
    for t in txs {
        assert_eq!(t.log["version"], 2);
        assert!(t.log.get("response").is_none(), "one-way capture");
        *types
            .entry(t.log["pdu_type"].as_str().unwrap().to_owned())
            .or_default() += 1;
        if let Some(e) = t.log.get("error") {
            *errors.entry(e.as_str().unwrap().to_owned()).or_default() += 1;
        }
        vars += t.log.get("vars").map_or(0, |v| v.as_array().unwrap().len());
        too_many += usize::from(t.events.contains(&"snmp.too_many_vars"));
        assert!(!t.log.to_string().contains("public"));
    }
    let expect = |v: &[(&str, usize)]| -> BTreeMap<String, usize> {
        v.iter().map(|(k, n)| (k.to_string(), *n)).collect()
    };
    assert_eq!(
        types,
        expect(&[("response", 4074), ("get_bulk_request", 2), ("report", 3)])
    );
    assert_eq!(
        errors,
        expect(&[
            ("TooBig", 2295),
            ("AuthorizationError", 680),
            ("NoAccess", 37),
            ("GenErr", 5),
            ("NoSuchName", 1),
            ("WrongEncoding", 1),
            ("ResourceUnavailable", 1),
        ])
    );
    assert_eq!(vars, 33330);
    assert_eq!(too_many, 315);
    // Reports name the counter that rose (tshark: snmp.name 1.3.6.1.2.1.11.6.0).
    for t in txs.iter().filter(|t| t.log["pdu_type"] == "report") {
        assert_eq!(t.log["vars"], json!(["1.3.6.1.2.1.11.6.0"]));
    }
    // Only requests are login attempts: the 4,074 reflected responses (to
    // a victim that never asked) and the 3 Reports give no credential; the
    // 2 reflected GetBulk requests do, unanswered.
    assert_eq!(s.creds.iter().flatten().count(), 2);
    let count = |o| s.creds.iter().flatten().filter(|c| c.2 == o).count();
    assert_eq!(count(LoginOutcome::Unknown), 2);
}

/// Deterministic mutations (byte changes, cuts, insertions) of valid
/// messages, through the parser and identification: nothing panics.
#[test]
fn mutations_do_not_panic() {
    let seeds = [
        get(1),
        response(1, 2),
        trap_v1(6, 1),
        v3(5, 0x04, 3, b"user", scoped(0, 1, &[(SYS_DESCR, null())])),
        v3(6, 0x07, 3, b"u", tlv(0x04, &[1, 2, 3])),
    ];
    // The special change flips the high bit: long-form BER lengths.
    for (_, m) in mutations(&seeds, 0x9e37_79b9_7f4a_7c15, 3000, |b| *b ^= 0x80, 0x30) {
        let out = run(&SPEC, &[(Dir::ToServer, &m), (Dir::ToClient, &m)]);
        for t in &out.txs {
            assert!(!t.log.to_string().contains("public"));
        }
        run_flow(crate::Transport::Udp, 161, &[(Dir::ToServer, &m)]);
        run_flow(crate::Transport::Udp, 40000, &[(Dir::ToServer, &m)]);
    }
}
