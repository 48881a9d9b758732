//! The messages below were built for these tests and checked with
//! tshark (`text2pcap -u 1053,53` then `tshark -V`; TCP with `-T`): the
//! names, types, TTLs and rdata asserted are the ones tshark decodes.

use super::parser::{self, Anomalies, MAX_RECORDS};
use super::*;
use crate::parser::{AppTx, Collect, Dir, Parser};
use crate::testing::{assert_resegmentation, buffer, feed, run, run_flow, Inspect, Recording};
use serde_json::json;

fn h(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// www.example.com A, id 0x1a2b, RD.
const QUERY: &str = "1a2b0100000100000000000003777777076578616d706c6503636f6d0000010001";
/// Its answer: CNAME example.com, A 93.184.216.34, NS ns1.example.com,
/// OPT (no options).
const RESPONSE: &str = "1a2b8180000100020001000103777777076578616d706c6503636f6d0000010001c00c0005000100000e100002c010c010000100010000012c00045db8d822c01000020001000151800011036e7331076578616d706c6503636f6d0000002904d0000000000000";
/// example.org MX, answered with MX, TXT (2 strings), AAAA, SRV, PTR,
/// type 65280; SOA authority; OPT with a COOKIE option. AA set.
const VARIED: &str = "004285800001000600010001076578616d706c65036f726700000f0001c00c000f00010000003c0009000a046d61696cc00cc00c001000010000003c00120568656c6c6f0b763d73706631202d616c6cc00c001c00010000003c001020010db8000000000000000000000001045f736970045f756470076578616d706c65036f726700002100010000003c00170001000513c403736970076578616d706c65036f726700013401330132013107696e2d61646472046172706100000c00010000003c001204686f7374076578616d706c65036f726700c00cff0000010000003c0003010203c00c000600010000012c0037026e73076578616d706c65036f7267000561646d696e076578616d706c65036f72670078a3f17500001c2000000e10001275000000012c000029100000000000000c000a00080102030405060708";
/// mDNS announcement: id 0, AA, printer.local A 192.168.1.50 (cache flush).
const MDNS: &str =
    "000084000000000100000000077072696e746572056c6f63616c0000018001000000780004c0a80132";
/// NXDOMAIN for nope.example.com with the zone's SOA.
const NXDOMAIN: &str = "555581830001000000010000046e6f7065076578616d706c6503636f6d0000010001c0110006000100000384003c026e73076578616d706c6503636f6d000a686f73746d6173746572076578616d706c6503636f6d000000000100000002000000030000000400000005";
/// TCP, client side: QUERY and iot.example.net AAAA (id 0x2222), two
/// length-prefixed messages in one segment.
const TCP_Q: &str = "00211a2b0100000100000000000003777777076578616d706c6503636f6d0000010001002122220100000100000000000003696f74076578616d706c65036e657400001c0001";
/// TCP, server side: the AAAA answer (fe80::abc) first, then RESPONSE.
const TCP_R: &str = "003d22228180000100010000000003696f74076578616d706c65036e657400001c0001c00c001c00010000001e0010fe800000000000000000000000000abc00671a2b8180000100020001000103777777076578616d706c6503636f6d0000010001c00c0005000100000e100002c010c010000100010000012c00045db8d822c01000020001000151800011036e7331076578616d706c6503636f6d0000002904d0000000000000";

/// A header followed by raw body bytes.
fn msg(id: u16, flags: u16, counts: [u16; 4], body: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    for x in [id, flags, counts[0], counts[1], counts[2], counts[3]] {
        v.extend_from_slice(&x.to_be_bytes());
    }
    v.extend_from_slice(body);
    v
}

/// `n` labels of `len` × 'a', root-terminated.
fn long_name(n: usize, len: u8) -> Vec<u8> {
    let mut v = Vec::new();
    for _ in 0..n {
        v.push(len);
        v.extend(std::iter::repeat_n(b'a', usize::from(len)));
    }
    v.push(0);
    v
}

/// Completed transactions' DNS buffers, as the engine sees them.
#[derive(Default)]
struct Names(Vec<(u64, &'static str, String)>);

impl Inspect for Names {
    fn inspect(&mut self, tx: &dyn AppTx) {
        for name in ["dns.query", "dns.queries.rrname", "dns.answer.name"] {
            for b in buffer(tx, name) {
                self.0
                    .push((tx.id(), name, String::from_utf8_lossy(&b).into()));
            }
        }
    }
}

#[test]
fn udp_query_pairs_with_its_response() {
    let (q, r) = (h(QUERY), h(RESPONSE));
    let out = run(&SPEC, &[(Dir::ToServer, &q), (Dir::ToClient, &r)]);
    // The query is reported when it arrives, completed by the response.
    assert_eq!(out.updates, vec![(0, Dir::ToServer)]);
    assert_eq!(out.txs.len(), 1);
    assert!(out.txs[0].events.is_empty());
    assert_eq!(
        out.txs[0].log,
        json!({
            "version": 3, "type": "response", "tx_id": 0, "id": 0x1a2b,
            "flags": "8180", "qr": true, "rd": true, "ra": true,
            "opcode": 0, "rcode": "NOERROR",
            "queries": [{"rrname": "www.example.com", "rrtype": "A"}],
            "answers": [
                {"rrname": "www.example.com", "rrtype": "CNAME", "ttl": 3600, "rdata": "example.com"},
                {"rrname": "example.com", "rrtype": "A", "ttl": 300, "rdata": "93.184.216.34"},
            ],
            "grouped": {"CNAME": ["example.com"], "A": ["93.184.216.34"]},
            "authorities": [
                {"rrname": "example.com", "rrtype": "NS", "ttl": 86400, "rdata": "ns1.example.com"},
            ],
        })
    );
}

#[test]
fn buffers_and_request_form() {
    let (q, r) = (h(QUERY), h(RESPONSE));
    let mut p = DnsParser::default();
    let mut s = Recording::<Names>::default();
    feed(&mut p, &mut s, &[(Dir::ToServer, &q)]);
    feed(&mut p, &mut s, &[(Dir::ToClient, &r)]);
    let b = |id, name| -> Vec<String> {
        s.0.iter()
            .filter(|(i, n, _)| *i == id && *n == name)
            .map(|(_, _, v)| v.clone())
            .collect()
    };
    assert_eq!(b(0, "dns.query"), vec!["www.example.com"]);
    assert_eq!(
        b(0, "dns.queries.rrname"),
        vec!["www.example.com", "www.example.com"]
    );
    assert_eq!(
        b(0, "dns.answer.name"),
        vec!["www.example.com", "example.com"]
    );

    // An unanswered query completes at the end, in the request form.
    let out = run(&SPEC, &[(Dir::ToServer, &q)]);
    assert_eq!(
        out.txs[0].log,
        json!({
            "version": 3, "type": "request", "tx_id": 0, "id": 0x1a2b,
            "flags": "100", "rd": true, "opcode": 0, "rcode": "NOERROR",
            "queries": [{"rrname": "www.example.com", "rrtype": "A"}],
        })
    );
}

#[test]
fn rdata_types() {
    let v = h(VARIED);
    let out = run(&SPEC, &[(Dir::ToClient, &v)]);
    assert_eq!(out.txs.len(), 1);
    let log = &out.txs[0].log;
    assert_eq!(log["type"], "response");
    assert_eq!(log["aa"], true);
    assert_eq!(
        log["answers"],
        json!([
            {"rrname": "example.org", "rrtype": "MX", "ttl": 60, "rdata": "mail.example.org"},
            {"rrname": "example.org", "rrtype": "TXT", "ttl": 60, "rdata": "hello"},
            {"rrname": "example.org", "rrtype": "TXT", "ttl": 60, "rdata": "v=spf1 -all"},
            {"rrname": "example.org", "rrtype": "AAAA", "ttl": 60,
             "rdata": "2001:0db8:0000:0000:0000:0000:0000:0001"},
            {"rrname": "_sip._udp.example.org", "rrtype": "SRV", "ttl": 60,
             "srv": {"priority": 1, "weight": 5, "port": 5060, "name": "sip.example.org"}},
            {"rrname": "4.3.2.1.in-addr.arpa", "rrtype": "PTR", "ttl": 60, "rdata": "host.example.org"},
            {"rrname": "example.org", "rrtype": "65280", "ttl": 60, "rdata": "010203"},
        ])
    );
    assert_eq!(log["grouped"]["TXT"], json!(["hello", "v=spf1 -all"]));
    assert_eq!(log["grouped"]["MX"], json!(["mail.example.org"]));
    assert!(log["grouped"].get("65280").is_none());
    assert_eq!(
        log["authorities"],
        json!([{"rrname": "example.org", "rrtype": "SOA", "ttl": 300, "soa": {
            "mname": "ns.example.org", "rname": "admin.example.org", "serial": 2024010101u32,
            "refresh": 7200, "retry": 3600, "expire": 1209600, "minimum": 300}}])
    );
    assert_eq!(
        log["additionals"],
        json!([{"rrname": "", "rrtype": "OPT", "ttl": 0,
                "opt": [{"code": 10, "data": "0102030405060708"}]}])
    );
    // A lone response is its own transaction; it was not seen as a query.
    assert!(out.updates.is_empty());

    let n = h(NXDOMAIN);
    let out = run(&SPEC, &[(Dir::ToClient, &n)]);
    assert_eq!(out.txs[0].log["rcode"], "NXDOMAIN");
    assert_eq!(
        out.txs[0].log["authorities"][0]["soa"]["rname"],
        "hostmaster.example.com"
    );
}

#[test]
fn mdns_and_direction_events() {
    let m = h(MDNS);
    // An announcement on 5353 is DNS, sent "to the server" (the group).
    let (proto, out) = run_flow(Transport::Udp, 5353, &[(Dir::ToServer, &m)]);
    assert_eq!(proto, Some("dns"));
    assert_eq!(out.txs.len(), 1);
    assert!(out.txs[0].events.is_empty(), "{:?}", out.txs[0].events);
    assert_eq!(
        out.txs[0].log["answers"],
        json!([{"rrname": "printer.local", "rrtype": "A", "ttl": 120, "rdata": "192.168.1.50"}])
    );

    // A unicast response sent to the server, a query sent to the client.
    let (q, r) = (h(QUERY), h(RESPONSE));
    let out = run(&SPEC, &[(Dir::ToServer, &r), (Dir::ToClient, &q)]);
    assert_eq!(out.txs.len(), 2);
    assert_eq!(out.txs[0].events, vec!["dns.not_request"]);
    assert_eq!(out.txs[1].events, vec!["dns.not_response"]);
}

#[test]
fn header_flag_events() {
    // Z bit and opcode 9 on a query.
    let mut q = h(QUERY);
    q[2] = 0x49; // opcode 9, RD
    q[3] = 0x40; // Z
    let out = run(&SPEC, &[(Dir::ToServer, &q)]);
    assert_eq!(
        out.txs[0].events,
        vec!["dns.z_flag_set", "dns.invalid_opcode"]
    );
    assert_eq!(out.txs[0].log["z"], true);
    assert_eq!(out.txs[0].log["opcode"], 9);
}

#[test]
fn compression_loops_are_cut() {
    // The name at 12 points to itself.
    let q = msg(1, 0x0100, [1, 0, 0, 0], &h("c00c00010001"));
    let out = run(&SPEC, &[(Dir::ToServer, &q)]);
    assert_eq!(out.txs[0].events, vec!["dns.infinite_loop"]);
    assert_eq!(
        out.txs[0].log["queries"],
        json!([{"rrname": "", "rrname_truncated": true, "rrtype": "A"}])
    );
    // Two pointers pointing at each other (12 -> 14 -> 12 ...): the jump
    // bound stops it, the question's end is known and decoding goes on.
    let q = msg(2, 0x0100, [1, 0, 0, 0], &h("c00ec00c0001"));
    let mut an = Anomalies::default();
    let p = parser::parse(&q).unwrap();
    assert!(p.anomalies.infinite_loop && p.complete());
    assert_eq!(p.message.questions[0].qtype, 0xc00c);
    // A loop through a label ("a", then back to it): 64 jumps, 65 labels.
    let body = h("0161c00c00010001");
    let q = msg(3, 0x0100, [1, 0, 0, 0], &body);
    let (n, end) = parser::name(&q, 12, &mut an).unwrap();
    assert!(n.truncated && an.infinite_loop && !an.name_too_long);
    assert_eq!((n.value.len(), end), (65 * 2 - 1, 16));
    // A pointer past the message is malformed.
    let q = msg(4, 0x0100, [1, 0, 0, 0], &h("c0ff00010001"));
    let out = run(&SPEC, &[(Dir::ToServer, &q)]);
    assert_eq!(out.txs[0].events, vec!["dns.malformed_data"]);
}

#[test]
fn long_names_are_bounded() {
    // Five 63-byte labels: 321 wire octets. Kept: the first three.
    let mut body = long_name(5, 63);
    body.extend_from_slice(&h("00010001"));
    let q = msg(5, 0x0100, [1, 0, 0, 0], &body);
    let out = run(&SPEC, &[(Dir::ToServer, &q)]);
    assert_eq!(out.txs[0].events, vec!["dns.name_too_long"]);
    let name = out.txs[0].log["queries"][0]["rrname"].as_str().unwrap();
    assert_eq!(name.len(), 63 * 3 + 2);
    assert_eq!(out.txs[0].log["queries"][0]["rrname_truncated"], true);
    assert_eq!(out.txs[0].log["queries"][0]["rrtype"], "A");

    // 130 one-byte labels: too long and too many labels.
    let mut body = long_name(130, 1);
    body.extend_from_slice(&h("00100001"));
    let q = msg(6, 0x0100, [1, 0, 0, 0], &body);
    let out = run(&SPEC, &[(Dir::ToServer, &q)]);
    assert_eq!(
        out.txs[0].events,
        vec!["dns.name_too_long", "dns.too_many_labels"]
    );
    assert_eq!(out.txs[0].log["queries"][0]["rrtype"], "TXT");
}

#[test]
fn truncated_records_and_huge_counts() {
    // The answer's rdlength runs past the end: question kept, malformed.
    let mut r = h(RESPONSE);
    r.truncate(45);
    let out = run(&SPEC, &[(Dir::ToClient, &r)]);
    assert_eq!(out.txs[0].events, vec!["dns.malformed_data"]);
    assert_eq!(out.txs[0].log["queries"][0]["rrname"], "www.example.com");
    assert!(out.txs[0].log.get("answers").is_none());
    // Cut inside the authority section: answers kept.
    let mut r = h(RESPONSE);
    r.truncate(80);
    let out = run(&SPEC, &[(Dir::ToClient, &r)]);
    assert_eq!(out.txs[0].events, vec!["dns.invalid_authorities"]);
    assert_eq!(out.txs[0].log["answers"].as_array().unwrap().len(), 2);
    // Counts of 65535 with one question.
    let mut q = h(QUERY);
    q[4..12].copy_from_slice(&[0xff; 8]);
    let out = run(&SPEC, &[(Dir::ToServer, &q)]);
    assert_eq!(out.txs[0].events, vec!["dns.malformed_data"]);
    assert_eq!(out.txs[0].log["queries"].as_array().unwrap().len(), 1);
    // Shorter than a header: no transaction, a flow event.
    let out = run(&SPEC, &[(Dir::ToServer, &h("1a2b01"))]);
    assert!(out.txs.is_empty());
    assert_eq!(out.events, vec![(Dir::ToServer, "dns.malformed_data")]);
}

#[test]
fn records_and_transactions_are_bounded() {
    // 300 A answers: 256 kept.
    let mut body = h("03777777076578616d706c6503636f6d0000010001");
    for i in 0..300u16 {
        body.extend_from_slice(&h("c00c000100010000003c0004c0a8"));
        body.extend_from_slice(&i.to_be_bytes());
    }
    let r = msg(7, 0x8180, [1, 300, 0, 0], &body);
    let out = run(&SPEC, &[(Dir::ToClient, &r)]);
    assert_eq!(out.txs[0].events, vec!["dns.too_many_records"]);
    assert_eq!(
        out.txs[0].log["answers"].as_array().unwrap().len(),
        MAX_RECORDS
    );

    // 300 unanswered queries: the oldest are completed early.
    let qs: Vec<Vec<u8>> = (0..300u16)
        .map(|i| {
            let mut q = h(QUERY);
            q[..2].copy_from_slice(&i.to_be_bytes());
            q
        })
        .collect();
    let chunks: Vec<(Dir, &[u8])> = qs.iter().map(|q| (Dir::ToServer, &q[..])).collect();
    let out = run(&SPEC, &chunks);
    assert_eq!(out.txs.len(), 300);
    // Raised once, though 300 - MAX_PENDING queries were pushed out.
    assert_eq!(
        out.events,
        vec![(Dir::ToServer, "dns.too_many_transactions")]
    );
    assert_eq!(state::MAX_PENDING, 256);
    let ids: Vec<u64> = out.txs.iter().map(|t| t.id).collect();
    assert_eq!(ids, (0..300).collect::<Vec<u64>>());
}

#[test]
fn tcp_two_messages_per_segment_and_split() {
    let (q, r) = (h(TCP_Q), h(TCP_R));
    let out = assert_resegmentation(&SPEC, &[(Dir::ToServer, &q), (Dir::ToClient, &r)]);
    assert_eq!(out.updates, vec![(0, Dir::ToServer), (1, Dir::ToServer)]);
    // The AAAA answer came first and completes transaction 1.
    let ids: Vec<u64> = out.txs.iter().map(|t| t.id).collect();
    assert_eq!(ids, vec![1, 0]);
    assert_eq!(
        out.txs[0].log["answers"][0]["rdata"],
        "fe80:0000:0000:0000:0000:0000:0000:0abc"
    );
    assert_eq!(out.txs[1].log["grouped"]["A"], json!(["93.184.216.34"]));
    assert!(out.txs.iter().all(|t| t.events.is_empty()));

    // The second query split across two segments, the responses in one.
    let cut = 50;
    let out = assert_resegmentation(
        &SPEC,
        &[
            (Dir::ToServer, &q[..cut]),
            (Dir::ToServer, &q[cut..]),
            (Dir::ToClient, &r),
        ],
    );
    assert_eq!(out.txs.len(), 2);

    // Through identification on port 53.
    let (proto, out) = run_flow(
        Transport::Tcp,
        53,
        &[
            (Dir::ToServer, &q[..20]),
            (Dir::ToServer, &q[20..]),
            (Dir::ToClient, &r),
        ],
    );
    assert_eq!(proto, Some("dns"));
    assert_eq!(out.txs.len(), 2);
}

#[test]
fn tcp_gap_resynchronises() {
    let (q, r) = (h(TCP_Q), h(TCP_R));
    let mut p = DnsParser::default();
    let mut s = Collect::default();
    feed(&mut p, &mut s, &[(Dir::ToServer, &q)]);
    feed(&mut p, &mut s, &[(Dir::ToClient, &r[..30])]);
    // The rest of the first response is lost. A chunk from its middle
    // might start a message (its first bytes read as a 256-byte length),
    // but with the next chunk it is none; that next chunk is a message
    // start and is parsed.
    p.gap(Dir::ToClient, 10, &mut s);
    feed(&mut p, &mut s, &[(Dir::ToClient, &r[40..50])]);
    feed(&mut p, &mut s, &[(Dir::ToClient, &r[63..])]);
    p.finish(&mut s);
    assert_eq!(s.txs.len(), 2);
    assert_eq!(s.txs[0].log["type"], "response");
    assert_eq!(s.txs[0].log["id"], 0x1a2b);
    assert_eq!(s.txs[1].log["type"], "request");
}

#[test]
fn probe_strict_off_port_lenient_on_port() {
    let q = h(QUERY);
    fn pi(data: &[u8], on_port: bool) -> ProbeInput<'_> {
        ProbeInput {
            dir: Dir::ToServer,
            data,
            server_port: if on_port { 53 } else { 40000 },
            on_port,
        }
    }
    assert_eq!(probe(&pi(&q, false)), Probe::Match);
    assert_eq!(probe(&pi(&h(TCP_Q), false)), Probe::Match);
    assert_eq!(probe(&pi(&h(TCP_Q)[..20], false)), Probe::NeedMore);
    // Trailing junk: not exactly one message off-port, fine on port 53.
    let mut junk = q.clone();
    junk.extend_from_slice(b"xx");
    assert_eq!(probe(&pi(&junk, false)), Probe::NoMatch);
    assert_eq!(probe(&pi(&junk, true)), Probe::Match);
    // A query without questions only on port.
    let empty = msg(9, 0x8180, [0, 0, 0, 0], &[]);
    assert_eq!(probe(&pi(&empty, false)), Probe::NoMatch);
    assert_eq!(probe(&pi(&empty, true)), Probe::Match);

    // Pseudo-random datagrams never look like DNS off-port.
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut matched = 0;
    for n in 0..20_000usize {
        let len = 12 + n % 200;
        let d: Vec<u8> = (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                (seed >> 24) as u8
            })
            .collect();
        if probe(&pi(&d, false)) == Probe::Match {
            matched += 1;
        }
    }
    assert_eq!(matched, 0);

    // Identification: a UDP query off-port is DNS; text on 53 is not.
    let (proto, _) = run_flow(Transport::Udp, 40000, &[(Dir::ToServer, &q)]);
    assert_eq!(proto, Some("dns"));
    let (proto, _) = run_flow(
        Transport::Udp,
        53,
        &[(Dir::ToServer, b"GET / HTTP/1.0\r\n\r\n")],
    );
    assert_eq!(proto, None);
}
