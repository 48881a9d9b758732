use super::parser::{self, opt, OptionError, ACK, CON, NON, RST};
use super::*;
use crate::conversations::{from_pcap, shared_pcap};
use crate::parser::{AppTx, Dir};
use crate::testing::{buffer, feed_all, mutations, run, run_flow, Inspect, Recording};
use crate::Transport;
use serde_json::json;

// ---- an encoder for test messages ----

fn nibble(v: usize, ext: &mut Vec<u8>) -> u8 {
    match v {
        0..=12 => v as u8,
        13..=268 => {
            ext.push((v - 13) as u8);
            13
        }
        _ => {
            ext.extend_from_slice(&((v - 269) as u16).to_be_bytes());
            14
        }
    }
}

fn coap(
    mtype: u8,
    code: u8,
    mid: u16,
    token: &[u8],
    opts: &[(u16, &[u8])],
    payload: Option<&[u8]>,
) -> Vec<u8> {
    let mut v = vec![0x40 | (mtype << 4) | token.len() as u8, code];
    v.extend_from_slice(&mid.to_be_bytes());
    v.extend_from_slice(token);
    let mut prev = 0;
    for (num, val) in opts {
        let mut ext = Vec::new();
        let d = nibble(usize::from(num - prev), &mut ext);
        let mut ext2 = Vec::new();
        let l = nibble(val.len(), &mut ext2);
        v.push((d << 4) | l);
        v.extend_from_slice(&ext);
        v.extend_from_slice(&ext2);
        v.extend_from_slice(val);
        prev = *num;
    }
    if let Some(p) = payload {
        v.push(0xff);
        v.extend_from_slice(p);
    }
    v
}

const GET: u8 = 1;
const POST: u8 = 2;
const CONTENT: u8 = 0x45; // 2.05
const NOT_FOUND: u8 = 0x84; // 4.04

/// Instances of one buffer in a transaction.
type Instances = Vec<Vec<u8>>;

/// The two CoAP buffers of each completed transaction.
#[derive(Default)]
struct Bufs {
    bufs: Vec<(Instances, Instances)>,
}

impl Inspect for Bufs {
    fn inspect(&mut self, tx: &dyn AppTx) {
        self.bufs
            .push((buffer(tx, "coap.uri_path"), buffer(tx, "coap.method")));
    }
}

// ---- message types ----

#[test]
fn piggybacked_response() {
    let req = coap(
        CON,
        GET,
        0x1234,
        &[0xca, 0xfe],
        &[
            (opt::URI_HOST, b"cam.local"),
            (opt::URI_PATH, b"sensors"),
            (opt::URI_PATH, b"temp"),
            (opt::URI_QUERY, b"unit=c"),
            (opt::URI_QUERY, b"n=1"),
            (opt::ACCEPT, &[50]),
        ],
        None,
    );
    let resp = coap(
        ACK,
        CONTENT,
        0x1234,
        &[0xca, 0xfe],
        &[(opt::CONTENT_FORMAT, &[50]), (opt::MAX_AGE, &[60])],
        Some(b"{\"t\":21.5}"),
    );
    let sink = feed_all(
        &SPEC,
        &[(Dir::ToServer, &req), (Dir::ToClient, &resp)],
        Recording::<Bufs>::default(),
    );
    let out = &sink.out;
    assert_eq!(out.updates, vec![(0, Dir::ToServer)]);
    assert_eq!(out.txs.len(), 1);
    assert_eq!(
        out.txs[0].log,
        json!({
            "type": "CON",
            "code": "0.01",
            "method": "GET",
            "message_id": 0x1234,
            "token": "cafe",
            "uri_host": "cam.local",
            "uri_path": "/sensors/temp",
            "uri_query": "unit=c&n=1",
            "accept": 50,
            "response_type": "ACK",
            "response_code": "2.05",
            "response_message_id": 0x1234,
            "response_token": "cafe",
            "response_content_format": 50,
            "response_payload_length": 10,
        })
    );
    assert!(out.txs[0].events.is_empty());
    assert_eq!(
        sink.bufs,
        vec![(vec![b"/sensors/temp".to_vec()], vec![b"GET".to_vec()])]
    );
}

#[test]
fn separate_response_by_token() {
    let req = coap(CON, GET, 100, &[7, 9], &[(opt::URI_PATH, b"slow")], None);
    let ack = coap(ACK, 0, 100, &[], &[], None);
    let resp = coap(CON, CONTENT, 5000, &[7, 9], &[], Some(b"done"));
    let ack2 = coap(ACK, 0, 5000, &[], &[], None);
    let out = run(
        &SPEC,
        &[
            (Dir::ToServer, &req),
            (Dir::ToClient, &ack),
            (Dir::ToClient, &resp),
            (Dir::ToServer, &ack2),
        ],
    );
    assert_eq!(out.txs.len(), 1);
    let log = &out.txs[0].log;
    assert_eq!(log["acknowledged"], true);
    assert_eq!(log["uri_path"], "/slow");
    assert_eq!(log["response_type"], "CON");
    assert_eq!(log["response_code"], "2.05");
    assert_eq!(log["response_message_id"], 5000);
    assert_eq!(log["response_payload_length"], 4);
    assert!(out.events.is_empty());
}

#[test]
fn non_request_and_observe_notifications() {
    let req = coap(
        NON,
        GET,
        1,
        &[1],
        &[(opt::OBSERVE, &[]), (opt::URI_PATH, b"temp")],
        None,
    );
    let n1 = coap(NON, CONTENT, 77, &[1], &[(opt::OBSERVE, &[12])], Some(b"1"));
    let n2 = coap(NON, CONTENT, 78, &[1], &[(opt::OBSERVE, &[13])], Some(b"2"));
    let out = run(
        &SPEC,
        &[
            (Dir::ToServer, &req),
            (Dir::ToClient, &n1),
            (Dir::ToClient, &n2),
        ],
    );
    assert_eq!(out.txs.len(), 2);
    assert_eq!(out.txs[0].log["observe"], 0);
    assert_eq!(out.txs[0].log["response_observe"], 12);
    // Later notifications stand alone.
    assert_eq!(out.txs[1].id, 1);
    assert_eq!(out.txs[1].log["code"], "2.05");
    assert_eq!(out.txs[1].log["observe"], 13);
    assert!(out.txs[1].log.get("method").is_none());
}

#[test]
fn ping_reset_and_retransmission() {
    let ping = coap(CON, 0, 9, &[], &[], None);
    let rst = coap(RST, 0, 9, &[], &[], None);
    let out = run(&SPEC, &[(Dir::ToServer, &ping), (Dir::ToClient, &rst)]);
    assert_eq!(
        out.txs[0].log,
        json!({"type": "CON", "code": "0.00", "message_id": 9, "reset": true})
    );
    // A request reset by the server.
    let req = coap(CON, POST, 10, &[], &[(opt::URI_PATH, b"x")], Some(b"1"));
    let rst = coap(RST, 0, 10, &[], &[], None);
    let out = run(
        &SPEC,
        &[
            (Dir::ToServer, &req),
            (Dir::ToServer, &req),
            (Dir::ToServer, &req),
            (Dir::ToClient, &rst),
        ],
    );
    assert_eq!(out.txs.len(), 1);
    assert_eq!(out.txs[0].log["retransmissions"], 2);
    assert_eq!(out.txs[0].log["reset"], true);
    assert_eq!(out.txs[0].log["method"], "POST");
    // An unrelated ACK or RST makes nothing.
    let out = run(&SPEC, &[(Dir::ToClient, &rst)]);
    assert!(out.txs.is_empty() && out.events.is_empty());
}

#[test]
fn error_response_and_blocks() {
    let req = coap(
        CON,
        3,
        20,
        &[],
        &[(opt::URI_PATH, b"fw"), (opt::BLOCK1, &[0x01, 0x2e])],
        Some(&[0u8; 1024]),
    );
    let resp = coap(ACK, NOT_FOUND, 20, &[], &[(opt::BLOCK2, &[0x06])], None);
    let out = run(&SPEC, &[(Dir::ToServer, &req), (Dir::ToClient, &resp)]);
    let log = &out.txs[0].log;
    assert_eq!(log["method"], "PUT");
    assert_eq!(
        log["block1"],
        json!({"num": 18, "more": true, "size": 1024})
    );
    assert_eq!(log["payload_length"], 1024);
    assert_eq!(log["response_code"], "4.04");
    assert_eq!(
        log["response_block2"],
        json!({"num": 0, "more": false, "size": 1024})
    );
}

#[test]
fn extended_option_encodings() {
    let long = vec![b'a'; 300];
    let m = coap(
        CON,
        GET,
        1,
        &[],
        &[
            (opt::URI_PATH, b"0123456789abc"), // length 13: one extra byte
            (opt::URI_PATH, &long),            // length 300: two extra bytes
            (opt::SIZE1, &[1]),                // delta 49: one extra byte
            (opt::NO_RESPONSE, &[2]),          // delta 198
            (2000, b""),                       // delta 1742: two extra bytes
        ],
        None,
    );
    let msg = parser::message(&m).unwrap();
    let got: Vec<(u16, usize)> = msg
        .options()
        .map(|o| o.map(|o| (o.number, o.value.len())).unwrap())
        .collect();
    assert_eq!(got, vec![(11, 13), (11, 300), (60, 1), (258, 1), (2000, 0)]);
    let out = run(&SPEC, &[(Dir::ToServer, &m)]);
    let path = out.txs[0].log["uri_path"].as_str().unwrap().to_owned();
    assert_eq!(path.len(), 1 + 13 + 1 + 300);
    assert!(out.txs[0].events.is_empty());
}

#[test]
fn unknown_code_class() {
    let m = coap(CON, 0x21, 1, &[], &[], None); // 1.01
    let out = run(&SPEC, &[(Dir::ToServer, &m)]);
    assert_eq!(out.txs[0].log["code"], "1.01");
    assert_eq!(out.txs[0].events, vec!["coap.invalid_code"]);
}

// ---- hostile input ----

fn options_of(tail: &[u8]) -> Vec<Result<(u16, usize), OptionError>> {
    let mut m = vec![0x40, GET, 0, 1];
    m.extend_from_slice(tail);
    parser::message(&m)
        .unwrap()
        .options()
        .map(|o| o.map(|o| (o.number, o.value.len())))
        .collect()
}

#[test]
fn option_hostile_cases() {
    // Reserved delta or length nibble 15.
    assert_eq!(options_of(&[0xf1, 0]), vec![Err(OptionError::Reserved)]);
    assert_eq!(options_of(&[0x1f]), vec![Err(OptionError::Reserved)]);
    // Option number past 65535: 269 + 0xffff in one delta, or summed.
    assert_eq!(
        options_of(&[0xe0, 0xff, 0xff]),
        vec![Err(OptionError::NumberOverflow)]
    );
    assert_eq!(
        options_of(&[0xe0, 0xfe, 0xf0, 0xe0, 0x01, 0x00]),
        vec![Ok((65533, 0)), Err(OptionError::NumberOverflow)]
    );
    // Extended delta or length, or the value, past the end.
    assert_eq!(options_of(&[0xd0]), vec![Err(OptionError::Truncated)]);
    assert_eq!(options_of(&[0xe0, 0x01]), vec![Err(OptionError::Truncated)]);
    assert_eq!(options_of(&[0xbe, 0x01]), vec![Err(OptionError::Truncated)]);
    assert_eq!(
        options_of(&[0xb5, b'a', b'b']),
        vec![Err(OptionError::Truncated)]
    );
    // A marker with nothing after it.
    assert_eq!(options_of(&[0xff]), vec![Err(OptionError::EmptyPayload)]);
    // The parser turns these into events and keeps what it read.
    let m = [
        &coap(CON, GET, 1, &[], &[(opt::URI_PATH, b"ok")], None)[..],
        &[0xf1, 0],
    ]
    .concat();
    let out = run(&SPEC, &[(Dir::ToServer, &m)]);
    assert_eq!(out.txs[0].log["uri_path"], "/ok");
    assert_eq!(out.txs[0].events, vec!["coap.invalid_option"]);
    let m = [&coap(CON, GET, 1, &[], &[], None)[..], &[0xff]].concat();
    let out = run(&SPEC, &[(Dir::ToServer, &m)]);
    assert_eq!(out.txs[0].events, vec!["coap.invalid_payload_marker"]);
    // An integer option longer than 4 bytes (as in ndpi/coap_mqtt.pcap).
    let m = coap(CON, GET, 1, &[], &[(opt::URI_PORT, &[0xff; 7])], None);
    let out = run(&SPEC, &[(Dir::ToServer, &m)]);
    assert_eq!(out.txs[0].events, vec!["coap.invalid_option"]);
    assert!(out.txs[0].log.get("uri_port").is_none());
}

#[test]
fn too_many_options_is_bounded() {
    let opts: Vec<(u16, &[u8])> = (0..100).map(|_| (opt::URI_PATH, &b"s"[..])).collect();
    let m = coap(CON, GET, 1, &[], &opts, Some(b"p"));
    let out = run(&SPEC, &[(Dir::ToServer, &m)]);
    let tx = &out.txs[0];
    assert_eq!(tx.events, vec!["coap.too_many_options"]);
    assert_eq!(tx.log["uri_path"].as_str().unwrap().len(), 2 * MAX_OPTIONS);
    assert!(tx.log.get("payload_length").is_none());
}

#[test]
fn too_many_pending_is_bounded() {
    let reqs: Vec<Vec<u8>> = (0..MAX_PENDING as u16 + 8)
        .map(|i| {
            coap(
                NON,
                GET,
                i,
                &i.to_be_bytes(),
                &[(opt::URI_PATH, b"a")],
                None,
            )
        })
        .collect();
    let chunks: Vec<(Dir, &[u8])> = reqs.iter().map(|r| (Dir::ToServer, &r[..])).collect();
    let out = run(&SPEC, &chunks);
    assert_eq!(out.txs.len(), MAX_PENDING + 8);
    assert_eq!(
        out.events,
        vec![(Dir::ToServer, "coap.too_many_transactions"); 8]
    );
}

#[test]
fn malformed_and_truncated_datagrams() {
    let bad: [&[u8]; 5] = [
        b"",
        &[0x40, 0x01, 0x00],                                  // short
        &[0x80, 0x01, 0x00, 0x01],                            // version 2
        &[0x49, 0x01, 0x00, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 9], // tkl 9
        &[0x44, 0x01, 0x00, 0x01, 1, 2],                      // token past the end
    ];
    for d in bad {
        let out = run(&SPEC, &[(Dir::ToServer, d)]);
        assert!(out.txs.is_empty());
        assert_eq!(out.events, vec![(Dir::ToServer, "coap.malformed_message")]);
    }
    // An empty message with a token.
    let out = run(&SPEC, &[(Dir::ToServer, &coap(CON, 0, 1, &[1], &[], None))]);
    assert_eq!(out.events, vec![(Dir::ToServer, "coap.malformed_message")]);
    // Every prefix of a full message parses without panicking.
    let m = coap(
        CON,
        GET,
        7,
        &[1, 2, 3],
        &[
            (opt::URI_HOST, b"h"),
            (opt::URI_PATH, &[b'x'; 20]),
            (opt::SIZE1, &[1, 2]),
            (2000, b"v"),
        ],
        Some(b"payload"),
    );
    for k in 0..=m.len() {
        let out = run(&SPEC, &[(Dir::ToServer, &m[..k]), (Dir::ToClient, &m[..k])]);
        assert_eq!(out.txs.len() + out.events.len(), 2, "prefix {k}");
    }
}

#[test]
fn identification() {
    let get = coap(CON, GET, 1, &[1], &[(opt::URI_PATH, b"a")], None);
    let flow = |d: &[u8], port| run_flow(Transport::Udp, port, &[(Dir::ToServer, d)]).0;
    assert_eq!(flow(&get, 5683), Some("coap"));
    assert_eq!(flow(&get, 40000), Some("coap"));
    // Lenient on the port, strict elsewhere.
    let ack = coap(ACK, 0, 1, &[], &[], None);
    assert_eq!(flow(&ack, 5683), Some("coap"));
    assert_eq!(flow(&ack, 40000), None);
    let bare = coap(CON, GET, 1, &[], &[], None);
    assert_eq!(flow(&bare, 40000), None);
    let odd = coap(CON, GET, 1, &[], &[(2, b"x")], None);
    assert_eq!(flow(&odd, 5683), Some("coap"));
    assert_eq!(flow(&odd, 40000), None);
    let reserved_class = coap(CON, 0x21, 1, &[], &[], None);
    assert_eq!(flow(&reserved_class, 5683), None);
    // DTLS on 5684 is not CoAP.
    assert_eq!(flow(&[0x16, 0xfe, 0xfd, 0, 0, 0, 0], 5684), None);
    assert_eq!(
        run_flow(Transport::Tcp, 5683, &[(Dir::ToServer, &get)]).0,
        None
    );
}

/// nDPI's coap_mqtt.pcap (nDPI: 8 CoAP flows, 19 packets). Expected
/// values from `tshark -r ndpi/coap_mqtt.pcap -Y coap -T fields
/// -e udp.srcport -e udp.dstport -e coap.type -e coap.code -e coap.mid
/// -e coap.token -e coap.opt.uri_path_recon`:
///
/// ```text
/// 61043 5683 0 1 1482 721633              (options #2: not Uri-Path)
/// 61044 5683 0 2 65485 721633
/// 61045 5683 0 3 14333 721633
/// 61046 5683 0 4 18020 721633
/// 61047 5683 0 1 35444 7216332b2e :4294967295   (7-byte Uri-Port)
/// 33499 5683 0 1 59675 0790 /separate
/// 5683 33499 2 0 59675
/// 5683 33499 0 69 22287 0790 /separate
/// 33499 5683 2 0 22287
/// 50250 5683 0 2 52896  /storage
/// 5683 50250 2 65 52896
/// 50250 5683 0 3 52897
/// 5683 50250 2 133 52897
/// 46819 5683 0 3 38178  /storage/myresource
/// 5683 46819 2 68 38178
/// 46819 5683 0 1 38179  /storage/myresource
/// 5683 46819 2 69 38179
/// 46819 5683 0 4 38180  /storage/myresource
/// 5683 46819 2 66 38180
/// ```
///
/// tshark's reconstructed path prefixes `:port` when a Uri-Port option is
/// present; palisade keeps Uri-Port apart (and drops this 7-byte one as
/// invalid), so that request has no `uri_path`.
///
/// The 4 flows to UDP 17500 that nDPI labels Dropbox and tshark
/// DB-LSP-DISC (by port) are CoAP too (a Californium client PUTting JSON
/// to `/r/Bus17Cmd`), which the strict off-port probe recognises. With
/// `tshark -d udp.port==17500,coap -Y udp.port==17500 -T fields
/// -e coap.type -e coap.code -e coap.mid -e coap.opt.uri_path_recon`:
/// 400 CON code 3 (PUT) `:17500/r/Bus17Cmd`, each answered by an ACK
/// code 68 (2.04) with the same message ID, 100 per flow.
#[test]
fn ndpi_coap_mqtt_matches_tshark() {
    let convs = from_pcap(&shared_pcap("ndpi/coap_mqtt.pcap"));
    let mut got = Vec::new();
    let mut coap_flows = 0;
    let mut lsp_flows = 0;
    for c in &convs {
        let (proto, out) = run_flow(c.transport, c.server_port, &c.borrowed());
        if proto != Some("coap") {
            continue;
        }
        coap_flows += 1;
        assert!(out.events.is_empty(), "{:?}", out.events);
        if c.server_port == 17500 {
            lsp_flows += 1;
            assert_eq!(out.txs.len(), 100);
            for t in &out.txs {
                let l = &t.log;
                assert_eq!(l["method"], "PUT");
                assert_eq!(l["uri_path"], "/r/Bus17Cmd");
                assert_eq!(l["uri_port"], 17500);
                assert_eq!(l["content_format"], 50);
                assert_eq!(l["response_type"], "ACK");
                assert_eq!(l["response_code"], "2.04");
                assert_eq!(l["response_message_id"], l["message_id"]);
                assert!(t.events.is_empty());
            }
            continue;
        }
        assert_eq!(c.server_port, 5683);
        for t in out.txs {
            let l = &t.log;
            let s = |k: &str| l.get(k).and_then(|v| v.as_str()).map(str::to_owned);
            got.push((
                l["message_id"].as_u64().unwrap(),
                s("code").unwrap(),
                s("token"),
                s("uri_path"),
                s("response_code"),
                l["response_message_id"].as_u64(),
                l.get("acknowledged").is_some(),
            ));
        }
    }
    assert_eq!((coap_flows, lsp_flows), (12, 4));
    got.sort();
    let s = |v: &str| Some(v.to_owned());
    let t = "721633";
    #[rustfmt::skip]
    let expect = vec![
        (1482, s("0.01").unwrap(), s(t), None, None, None, false),
        (14333, s("0.03").unwrap(), s(t), None, None, None, false),
        (18020, s("0.04").unwrap(), s(t), None, None, None, false),
        (35444, s("0.01").unwrap(), s("7216332b2e"), None, None, None, false),
        (38178, s("0.03").unwrap(), None, s("/storage/myresource"), s("2.04"), Some(38178), false),
        (38179, s("0.01").unwrap(), None, s("/storage/myresource"), s("2.05"), Some(38179), false),
        (38180, s("0.04").unwrap(), None, s("/storage/myresource"), s("2.02"), Some(38180), false),
        (52896, s("0.02").unwrap(), None, s("/storage"), s("2.01"), Some(52896), false),
        (52897, s("0.03").unwrap(), None, None, s("4.05"), Some(52897), false),
        // The separate response (CON 2.05, MID 22287) matched by token 0790
        // after the empty ACK of MID 59675.
        (59675, s("0.01").unwrap(), s("0790"), s("/separate"), s("2.05"), Some(22287), true),
        (65485, s("0.02").unwrap(), s(t), None, None, None, false),
    ];
    assert_eq!(got, expect);
}

/// Deterministic mutations of valid messages: nothing panics.
#[test]
fn mutations_do_not_panic() {
    let seeds = [
        coap(
            CON,
            GET,
            7,
            &[1, 2, 3],
            &[
                (opt::URI_HOST, b"h"),
                (opt::URI_PATH, b"a"),
                (opt::BLOCK2, &[0x16]),
                (opt::SIZE1, &[1, 2]),
                (2000, b"v"),
            ],
            Some(b"payload"),
        ),
        coap(
            ACK,
            CONTENT,
            7,
            &[1, 2, 3],
            &[(opt::OBSERVE, &[1])],
            Some(b"x"),
        ),
        coap(CON, 0, 8, &[], &[], None),
    ];
    // The special change sets the high nibble: version and type bits.
    for (a, m) in mutations(&seeds, 0x5851_f42d_4c95_7f2d, 3000, |b| *b |= 0xf0, 0x40) {
        run(&SPEC, &[(Dir::ToServer, a), (Dir::ToClient, &m)]);
        run_flow(Transport::Udp, 5683, &[(Dir::ToServer, &m)]);
        run_flow(Transport::Udp, 40000, &[(Dir::ToServer, &m)]);
    }
}
