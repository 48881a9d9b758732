use super::*;
use crate::conversations::{from_pcap, shared_pcap};
use crate::parser::{AppTx, Collect, LoginOutcome, Parser, Secret};
use crate::registry::{Probe, ProbeInput};
use crate::testing::{
    assert_resegmentation, buffer, feed, feed_all, integer, run, run_flow, Inspect, Recording,
    XorShift,
};
use crate::Transport;
use serde_json::{json, Value};
use std::collections::BTreeMap;

// ---------------------------------------------------------------- builders

/// A message: type/flags byte, remaining length varint, body.
fn frame(byte: u8, body: &[u8]) -> Vec<u8> {
    let mut v = vec![byte];
    let mut n = body.len();
    loop {
        let mut b = (n % 128) as u8;
        n /= 128;
        if n > 0 {
            b |= 0x80;
        }
        v.push(b);
        if n == 0 {
            break;
        }
    }
    v.extend_from_slice(body);
    v
}

/// A length-prefixed string.
fn s(x: &[u8]) -> Vec<u8> {
    let mut v = (x.len() as u16).to_be_bytes().to_vec();
    v.extend_from_slice(x);
    v
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// A 3.1.1 CONNECT with user name and password.
fn connect311(client: &[u8], user: &[u8], pass: &[u8]) -> Vec<u8> {
    frame(
        0x10,
        &cat(&[
            &s(b"MQTT"),
            &[4, 0xC2, 0, 60],
            &s(client),
            &s(user),
            &s(pass),
        ]),
    )
}

const CONNACK_OK: &[u8] = &[0x20, 0x02, 0x00, 0x00];
const PINGREQ: &[u8] = &[0xC0, 0x00];

fn logs(out: &Collect) -> Vec<Value> {
    out.txs.iter().map(|t| t.log.clone()).collect()
}

fn all_events(out: &Collect) -> Vec<&'static str> {
    out.txs.iter().flat_map(|t| t.events.clone()).collect()
}

// ---------------------------------------------------- every message, 3.1.1

#[test]
fn v311_every_message_type_and_pairing() {
    let c1 = frame(
        0x10,
        &cat(&[
            &s(b"MQTT"),
            &[4, 0xE6, 0, 60],
            &s(b"dev1"),
            &s(b"dev/status"),
            &s(b"offline\xff"),
            &s(b"admin"),
            &s(b"secret"),
        ]),
    );
    let s1 = [0x20, 0x02, 0x01, 0x00];
    let c2 = frame(0x31, &cat(&[&s(b"t/a"), b"hello"]));
    let c3 = frame(0x3A, &cat(&[&s(b"t/b"), &[0, 7], b"p1"]));
    let s2 = frame(0x40, &[0, 7]);
    let c4 = frame(0x34, &cat(&[&s(b"t/c"), &[0, 8], b"p2"]));
    let s3 = frame(0x50, &[0, 8]);
    let c5 = frame(0x62, &[0, 8]);
    let s4 = frame(0x70, &[0, 8]);
    let c6 = frame(0x82, &cat(&[&[0, 9], &s(b"a/#"), &[1], &s(b"b/+"), &[2]]));
    let s5 = frame(0x90, &[0, 9, 1, 0x80]);
    let c7 = frame(0xA2, &cat(&[&[0, 10], &s(b"a/#"), &s(b"b/+")]));
    let s6 = frame(0xB0, &[0, 10]);
    let s7 = [0xD0, 0x00];
    let c9 = [0xE0, 0x00];
    let c23 = cat(&[&c2, &c3]);
    let out = assert_resegmentation(
        &SPEC,
        &[
            (Dir::ToServer, &c1),
            (Dir::ToClient, &s1),
            (Dir::ToServer, &c23),
            (Dir::ToClient, &s2),
            (Dir::ToServer, &c4),
            (Dir::ToClient, &s3),
            (Dir::ToServer, &c5),
            (Dir::ToClient, &s4),
            (Dir::ToServer, &c6),
            (Dir::ToClient, &s5),
            (Dir::ToServer, &c7),
            (Dir::ToClient, &s6),
            (Dir::ToServer, PINGREQ),
            (Dir::ToClient, &s7),
            (Dir::ToServer, &c9),
        ],
    );
    let h = |qos: u8, retain: bool, dup: bool| json!({"qos": qos, "retain": retain, "dup": dup});
    let with = |base: Value, extra: Value| {
        let mut b = base;
        for (k, v) in extra.as_object().cloned().unwrap_or_default() {
            b[k] = v;
        }
        b
    };
    let expected = vec![
        json!({
            "connect": with(h(0, false, false), json!({
                "protocol_string": "MQTT", "protocol_version": 4, "client_id": "dev1",
                "flags": {"username": true, "password": true, "will_retain": true,
                          "will": true, "clean_session": true},
                "username": "admin",
                "will": {"topic": "dev/status", "message": "offline\\xff"},
            })),
            "connack": with(h(0, false, false), json!({"session_present": true, "return_code": 0})),
        }),
        json!({"publish": with(h(0, true, false), json!({"topic": "t/a", "message": "hello"}))}),
        json!({
            "publish": with(h(1, false, true), json!({"topic": "t/b", "message_id": 7, "message": "p1"})),
            "puback": with(h(0, false, false), json!({"message_id": 7})),
        }),
        json!({
            "publish": with(h(2, false, false), json!({"topic": "t/c", "message_id": 8, "message": "p2"})),
            "pubrec": with(h(0, false, false), json!({"message_id": 8})),
            "pubrel": with(h(1, false, false), json!({"message_id": 8})),
            "pubcomp": with(h(0, false, false), json!({"message_id": 8})),
        }),
        json!({
            "subscribe": with(h(1, false, false), json!({"message_id": 9,
                "topics": [{"topic": "a/#", "qos": 1}, {"topic": "b/+", "qos": 2}]})),
            "suback": with(h(0, false, false), json!({"message_id": 9, "qos_granted": [1, 128]})),
        }),
        json!({
            "unsubscribe": with(h(1, false, false), json!({"message_id": 10, "topics": ["a/#", "b/+"]})),
            "unsuback": with(h(0, false, false), json!({"message_id": 10})),
        }),
        json!({"pingreq": h(0, false, false)}),
        json!({"pingresp": h(0, false, false)}),
        json!({"disconnect": h(0, false, false)}),
    ];
    assert_eq!(logs(&out), expected);
    assert_eq!(
        out.txs.iter().map(|t| t.id).collect::<Vec<_>>(),
        (0..9).collect::<Vec<_>>()
    );
    assert!(all_events(&out).is_empty(), "{:?}", all_events(&out));
    // Request parts are reported before their acknowledgment.
    assert_eq!(
        out.updates,
        vec![
            (0, Dir::ToServer),
            (2, Dir::ToServer),
            (3, Dir::ToServer),
            (3, Dir::ToClient),
            (3, Dir::ToServer),
            (4, Dir::ToServer),
            (5, Dir::ToServer),
        ]
    );
    // The password is never logged.
    assert!(!out.txs[0].log.to_string().contains("secret"));
}

// ------------------------------------------------ 5.0 properties and codes

fn v5_conversation() -> Vec<(Dir, Vec<u8>)> {
    let props = cat(&[
        &[24],
        &[0x21, 0, 20],
        &[0x26],
        &s(b"k"),
        &s(b"v"),
        &[0x15],
        &s(b"SCRAM"),
        &[0x16],
        &s(b"tok"),
    ]);
    let c1 = frame(
        0x10,
        &cat(&[
            &s(b"MQTT"),
            &[5, 0xC6, 0, 30],
            &props,
            &s(b"c5"),
            &[5, 0x18, 0, 0, 0, 5],
            &s(b"w"),
            &s(b"bye"),
            &s(b"u"),
            &s(b"p"),
        ]),
    );
    let s1 = frame(0x20, &[0, 0, 3, 0x22, 0, 10]);
    let c2 = frame(
        0x32,
        &cat(&[
            &s(b"t"),
            &[0, 1],
            &[12, 0x03],
            &s(b"json"),
            &[0x09],
            &s(b"\x01\xff"),
            b"{}",
        ]),
    );
    let s2 = frame(0x40, &cat(&[&[0, 1, 0x10, 5, 0x1F], &s(b"ok")]));
    let c3 = frame(0x82, &cat(&[&[0, 2, 2, 0x0B, 5], &s(b"x/#"), &[0x15]]));
    let s3 = frame(0x90, &[0, 2, 0, 0x01]);
    let c4 = frame(0xA2, &cat(&[&[0, 3, 0], &s(b"x/#")]));
    let s4 = frame(0xB0, &[0, 3, 0, 0x11]);
    let c5 = frame(0xF0, &cat(&[&[0x18, 8, 0x15], &s(b"SCRAM")]));
    let c6 = frame(0xE0, &[0x8E]);
    vec![
        (Dir::ToServer, c1),
        (Dir::ToClient, s1),
        (Dir::ToServer, c2),
        (Dir::ToClient, s2),
        (Dir::ToServer, c3),
        (Dir::ToClient, s3),
        (Dir::ToServer, c4),
        (Dir::ToClient, s4),
        (Dir::ToServer, c5),
        (Dir::ToServer, c6),
    ]
}

fn borrowed(v: &[(Dir, Vec<u8>)]) -> Vec<(Dir, &[u8])> {
    v.iter().map(|(d, b)| (*d, &b[..])).collect()
}

#[test]
fn v5_properties_reason_codes_auth() {
    let conv = v5_conversation();
    let out = assert_resegmentation(&SPEC, &borrowed(&conv));
    let l = logs(&out);
    assert_eq!(l.len(), 6, "{l:#?}");
    let c = &l[0]["connect"];
    assert_eq!(c["protocol_version"], 5);
    assert_eq!(c["client_id"], "c5");
    assert_eq!(
        c["properties"],
        json!({"receive_maximum": 20, "k": "v", "authentication_method": "SCRAM"})
    );
    assert_eq!(
        c["will"],
        json!({"topic": "w", "message": "bye", "properties": {"will_delay_interval": 5}})
    );
    assert!(c.get("password").is_none());
    assert!(
        !l[0].to_string().contains("tok"),
        "authentication_data logged"
    );
    assert_eq!(
        l[0]["connack"]["properties"],
        json!({"topic_alias_maximum": 10})
    );
    assert_eq!(
        l[1]["publish"]["properties"],
        json!({"content_type": "json", "correlation_data": "\u{1}\\xff"})
    );
    assert_eq!(l[1]["publish"]["message"], "{}");
    assert_eq!(
        l[1]["puback"],
        json!({"qos": 0, "retain": false, "dup": false, "message_id": 1,
               "reason_code": 16, "properties": {"reason_string": "ok"}})
    );
    assert_eq!(
        l[2]["subscribe"]["topics"],
        json!([{"topic": "x/#", "qos": 0x15}])
    );
    assert_eq!(
        l[2]["subscribe"]["properties"],
        json!({"subscription_identifier": 5})
    );
    assert_eq!(l[2]["suback"]["qos_granted"], json!([1]));
    assert_eq!(l[3]["unsubscribe"]["topics"], json!(["x/#"]));
    assert_eq!(l[3]["unsuback"]["reason_codes"], json!([17]));
    assert_eq!(
        l[4]["auth"],
        json!({"qos": 0, "retain": false, "dup": false, "reason_code": 24,
               "properties": {"authentication_method": "SCRAM"}})
    );
    // The code on the wire (Suricata would log 0 here).
    assert_eq!(l[5]["disconnect"]["reason_code"], 142);
    assert!(all_events(&out).is_empty());
}

#[test]
fn v5_short_forms_mean_success() {
    // PUBACK of remaining length 2, DISCONNECT and AUTH of length 0.
    let c1 = frame(0x10, &cat(&[&s(b"MQTT"), &[5, 0x02, 0, 0, 0], &s(b"")]));
    let s1 = frame(0x20, &[0, 0, 0]);
    let c2 = frame(0x32, &cat(&[&s(b"t"), &[0, 1, 0], b"x"]));
    let s2 = frame(0x40, &[0, 1]);
    let out = assert_resegmentation(
        &SPEC,
        &[
            (Dir::ToServer, &c1),
            (Dir::ToClient, &s1),
            (Dir::ToServer, &c2),
            (Dir::ToClient, &s2),
            (Dir::ToServer, &[0xF0, 0x00]),
            (Dir::ToServer, &[0xE0, 0x00]),
        ],
    );
    let l = logs(&out);
    assert!(l[0]["connack"].get("properties").is_none());
    assert_eq!(l[1]["puback"]["reason_code"], 0);
    assert_eq!(l[2]["auth"]["reason_code"], 0);
    assert_eq!(l[3]["disconnect"]["reason_code"], 0);
    assert!(all_events(&out).is_empty());
}

// ------------------------------------------------------------------ events

fn events_of(chunks: &[(Dir, &[u8])]) -> Vec<Vec<&'static str>> {
    let out = assert_resegmentation(&SPEC, chunks);
    out.txs.iter().map(|t| t.events.clone()).collect()
}

#[test]
fn events_missing_requests_and_unintroduced() {
    let c = connect311(b"c", b"u", b"p");
    assert_eq!(
        events_of(&[(Dir::ToClient, CONNACK_OK), (Dir::ToServer, PINGREQ),]),
        vec![vec![ev::MISSING_CONNECT], vec![ev::UNINTRODUCED_MESSAGE]]
    );
    let acks = cat(&[
        &frame(0x40, &[0, 1]),
        &frame(0x90, &[0, 2, 0]),
        &frame(0xB0, &[0, 3]),
        &frame(0x50, &[0, 4]),
    ]);
    assert_eq!(
        events_of(&[
            (Dir::ToServer, &c),
            (Dir::ToClient, CONNACK_OK),
            (Dir::ToClient, &acks),
        ]),
        vec![
            vec![],
            vec![ev::MISSING_PUBLISH],
            vec![ev::MISSING_SUBSCRIBE],
            vec![ev::MISSING_UNSUBSCRIBE],
            vec![ev::MISSING_PUBLISH],
        ]
    );
    // Before any CONNACK, an unanswered acknowledgment has both events.
    assert_eq!(
        events_of(&[(Dir::ToClient, &frame(0x40, &[0, 1]))]),
        vec![vec![ev::MISSING_PUBLISH, ev::UNINTRODUCED_MESSAGE]]
    );
}

#[test]
fn events_double_connect_qos_msg_id_unassigned() {
    let c = connect311(b"c", b"u", b"p");
    let bad = cat(&[
        &frame(0x36, &cat(&[&s(b"t"), &[0, 1], b"x"])), // QoS 3
        &frame(0x32, &cat(&[&s(b"t"), &[0, 0], b"x"])), // id 0
        &frame(0x00, b"zz"),                            // type 0
    ]);
    let ev = events_of(&[
        (Dir::ToServer, &c),
        (Dir::ToClient, CONNACK_OK),
        (Dir::ToServer, &bad),
        (Dir::ToServer, &c),
    ]);
    // The id-0 PUBLISH waits for an acknowledgment and the second CONNECT
    // for a CONNACK: both end with the flow.
    assert_eq!(
        ev,
        vec![
            vec![],
            vec![ev::INVALID_QOS_LEVEL],
            vec![ev::UNASSIGNED_MSG_TYPE],
            vec![ev::MISSING_MSG_ID],
            vec![ev::DOUBLE_CONNECT],
        ]
    );
}

#[test]
fn acknowledgment_pairs_by_direction_and_type() {
    let c = connect311(b"c", b"u", b"p");
    let publish = frame(0x32, &cat(&[&s(b"t"), &[0, 7], b"x"]));
    let puback = frame(0x40, &[0, 7]);
    // A PUBACK from the publisher itself answers nothing; the broker's does.
    let out = assert_resegmentation(
        &SPEC,
        &[
            (Dir::ToServer, &c),
            (Dir::ToClient, CONNACK_OK),
            (Dir::ToServer, &publish),
            (Dir::ToServer, &puback),
            (Dir::ToClient, &frame(0x90, &[0, 7, 0])),
            (Dir::ToClient, &puback),
        ],
    );
    let l = logs(&out);
    assert_eq!(l.len(), 4);
    assert_eq!(out.txs[1].events, vec![ev::MISSING_PUBLISH]);
    assert!(l[1].get("publish").is_none());
    assert_eq!(out.txs[2].events, vec![ev::MISSING_SUBSCRIBE]);
    assert!(l[3].get("publish").is_some() && l[3].get("puback").is_some());
}

#[test]
fn malformed_body_costs_one_message_broken_header_stops_direction() {
    let c = connect311(b"c", b"u", b"p");
    // A PUBLISH whose topic length runs past its body.
    let bad = frame(0x30, &[0, 9, b'x']);
    let out = assert_resegmentation(
        &SPEC,
        &[
            (Dir::ToServer, &c),
            (Dir::ToClient, CONNACK_OK),
            (Dir::ToServer, &cat(&[&bad, PINGREQ])),
        ],
    );
    assert_eq!(logs(&out)[1], json!({}));
    assert_eq!(out.txs[1].events, vec![ev::MALFORMED_TRAFFIC]);
    assert!(logs(&out)[2].get("pingreq").is_some());

    // A fifth remaining-length byte: the client side stops, the server
    // side goes on.
    let out = assert_resegmentation(
        &SPEC,
        &[
            (Dir::ToServer, &[0x30, 0xff, 0xff, 0xff, 0xff, 0x01]),
            (Dir::ToServer, PINGREQ),
            (Dir::ToClient, &[0xD0, 0x00]),
        ],
    );
    assert_eq!(out.txs.len(), 2);
    assert_eq!(out.txs[0].events, vec![ev::MALFORMED_TRAFFIC]);
    assert!(out.txs[1].log.get("pingresp").is_some());
}

// ------------------------------------------------------------------ bounds

#[test]
fn too_many_waiting_transactions() {
    let c = connect311(b"c", b"u", b"p");
    let mut pubs = Vec::new();
    for id in 1..=(MAX_TX as u16 + 1) {
        pubs.extend(frame(0x32, &cat(&[&s(b"t"), &id.to_be_bytes(), b"x"])));
    }
    let out = run(
        &SPEC,
        &[
            (Dir::ToServer, &c),
            (Dir::ToClient, CONNACK_OK),
            (Dir::ToServer, &pubs),
        ],
    );
    assert_eq!(out.txs.len(), MAX_TX + 2);
    // The oldest waiting one is closed when the bound is passed.
    assert_eq!(out.txs[1].id, 1);
    assert_eq!(out.txs[1].events, vec![ev::TOO_MANY_TRANSACTIONS]);
    assert_eq!(
        all_events(&out)
            .iter()
            .filter(|e| **e == ev::TOO_MANY_TRANSACTIONS)
            .count(),
        1
    );

    // Bytes held by waiting transactions are bounded too.
    let big = vec![b'a'; MAX_MSG_LEN as usize - 5];
    let mut pubs = Vec::new();
    let n = MAX_HELD_BYTES / MAX_MSG_LEN as usize + 1;
    for id in 1..=n as u16 {
        pubs.extend(frame(0x32, &cat(&[&s(b"t"), &id.to_be_bytes(), &big])));
    }
    let out = run(
        &SPEC,
        &[
            (Dir::ToServer, &c),
            (Dir::ToClient, CONNACK_OK),
            (Dir::ToServer, &pubs),
        ],
    );
    assert_eq!(out.txs[1].id, 1);
    assert_eq!(out.txs[1].events, vec![ev::TOO_MANY_TRANSACTIONS]);
    assert_eq!(out.txs.len(), n + 1);
}

#[test]
fn too_large_message_is_skipped_unbuffered() {
    let len = MAX_MSG_LEN as usize + 1;
    let whole = frame(0x30, &vec![b'z'; len]);
    let hlen = whole.len() - len;
    let mut p = MqttParser::default();
    let mut out = Collect::default();
    let up = Dir::ToServer;
    // Header split, then the body in pieces, then a PINGREQ in the last one.
    feed(&mut p, &mut out, &[(up, &whole[..1])]);
    feed(&mut p, &mut out, &[(up, &whole[1..hlen + 100])]);
    assert_eq!(out.txs.len(), 1, "reported as soon as the header is seen");
    for piece in whole[hlen + 100..].chunks(300_000) {
        feed(&mut p, &mut out, &[(up, piece)]);
        assert!(p.dirs_held() < 16, "the body is not buffered");
    }
    feed(&mut p, &mut out, &[(up, PINGREQ)]);
    p.finish(&mut out);
    assert_eq!(
        logs(&out),
        vec![
            json!({"publish": {"qos": 0, "retain": false, "dup": false,
                               "truncated": true, "skipped_length": whole.len()}}),
            json!({"pingreq": {"qos": 0, "retain": false, "dup": false}}),
        ]
    );
    assert_eq!(out.txs[0].events, vec![ev::TOO_LARGE_MESSAGE]);
}

// -------------------------------------------------------------------- gaps

#[test]
fn gap_inside_a_message_resyncs_gap_between_messages_stops() {
    let publish = frame(0x30, &cat(&[&s(b"topic"), &[b'x'; 40]]));
    let mut p = MqttParser::default();
    let mut out = Collect::default();
    feed(&mut p, &mut out, &[(Dir::ToServer, &publish[..10])]);
    p.gap(Dir::ToServer, 20, &mut out);
    feed(
        &mut p,
        &mut out,
        &[(Dir::ToServer, &cat(&[&publish[30..], PINGREQ]))],
    );
    p.finish(&mut out);
    assert_eq!(
        logs(&out),
        vec![json!({"pingreq": {"qos": 0, "retain": false, "dup": false}})]
    );

    // A gap that ends exactly at the end of the message resumes at the next.
    let mut p = MqttParser::default();
    let mut out = Collect::default();
    feed(&mut p, &mut out, &[(Dir::ToServer, &publish[..10])]);
    p.gap(Dir::ToServer, publish.len() as u64 - 10, &mut out);
    feed(&mut p, &mut out, &[(Dir::ToServer, PINGREQ)]);
    p.finish(&mut out);
    assert_eq!(out.txs.len(), 1);

    // At a boundary (or past the message) the framing is lost for that
    // direction only.
    let mut p = MqttParser::default();
    let mut out = Collect::default();
    feed(&mut p, &mut out, &[(Dir::ToServer, PINGREQ)]);
    p.gap(Dir::ToServer, 5, &mut out);
    feed(&mut p, &mut out, &[(Dir::ToServer, PINGREQ)]);
    feed(&mut p, &mut out, &[(Dir::ToClient, &[0xD0, 0])]);
    p.finish(&mut out);
    assert_eq!(out.txs.len(), 2);
    assert!(out.txs[1].log.get("pingresp").is_some());

    // Inside an oversized message being skipped.
    let len = MAX_MSG_LEN as u64 + 10;
    let head = &frame(0x30, &vec![0; len as usize])[..4];
    let mut p = MqttParser::default();
    let mut out = Collect::default();
    feed(&mut p, &mut out, &[(Dir::ToServer, head)]);
    p.gap(Dir::ToServer, len - 5, &mut out);
    feed(
        &mut p,
        &mut out,
        &[(Dir::ToServer, &cat(&[&[0; 5], PINGREQ]))],
    );
    p.finish(&mut out);
    assert_eq!(out.txs.len(), 2);
    assert!(out.txs[1].log.get("pingreq").is_some());
}

// ---------------------------------------------- buffers, fields, credential

/// User name, password, outcome.
type Cred = (Vec<u8>, Option<Vec<u8>>, LoginOutcome);

/// What rules and the credential detectors see of each completed tx.
#[derive(Default, Debug)]
struct Seen {
    bufs: Vec<BTreeMap<&'static str, Vec<Vec<u8>>>>,
    ints: Vec<BTreeMap<&'static str, Vec<u64>>>,
    creds: Vec<Option<Cred>>,
}

const BUFS: &[&str] = &[
    "mqtt.connect.clientid",
    "mqtt.connect.username",
    "mqtt.connect.password",
    "mqtt.connect.protocol_string",
    "mqtt.connect.willtopic",
    "mqtt.connect.willmessage",
    "mqtt.publish.topic",
    "mqtt.publish.message",
    "mqtt.subscribe.topic",
    "mqtt.unsubscribe.topic",
];
const INTS: &[&str] = &[
    "mqtt.protocol_version",
    "mqtt.type",
    "mqtt.flags",
    "mqtt.qos",
    "mqtt.reason_code",
    "mqtt.connack.session_present",
    "mqtt.connect.flags",
];

impl Inspect for Seen {
    fn inspect(&mut self, tx: &dyn AppTx) {
        let mut b = BTreeMap::new();
        for &name in BUFS {
            let v = buffer(tx, name);
            if !v.is_empty() {
                b.insert(name, v);
            }
        }
        let mut i = BTreeMap::new();
        for &name in INTS {
            let v = integer(tx, name);
            if !v.is_empty() {
                i.insert(name, v);
            }
        }
        self.bufs.push(b);
        self.ints.push(i);
        self.creds.push(tx.credential().map(|c| {
            let pass = match c.secret {
                Secret::Plain(p) => Some(p.to_vec()),
                _ => None,
            };
            assert_eq!(c.service, "mqtt");
            (c.username.to_vec(), pass, c.outcome)
        }));
    }
}

fn seen(chunks: &[(Dir, &[u8])]) -> Recording<Seen> {
    feed_all(&SPEC, chunks, Recording::default())
}

fn v(x: &[&[u8]]) -> Vec<Vec<u8>> {
    x.iter().map(|b| b.to_vec()).collect()
}

#[test]
fn buffers_and_integer_fields() {
    let c1 = frame(
        0x10,
        &cat(&[
            &s(b"MQIsdp"),
            &[3, 0xE6, 0, 60],
            &s(b""),
            &s(b"wt"),
            &s(b"wm"),
            &s(b"admin"),
            &s(b"pw"),
        ]),
    );
    let sub = frame(0x82, &cat(&[&[0, 9], &s(b"a/#"), &[1], &s(b""), &[0]]));
    let unsub = frame(0xA2, &cat(&[&[0, 10], &s(b"a/#")]));
    let publish = frame(0x3B, &cat(&[&s(b"t/b"), &[0, 7], b"p1"]));
    let got = seen(&[
        (Dir::ToServer, &c1),
        (Dir::ToClient, &[0x20, 0x02, 0x01, 0x05]),
        (Dir::ToServer, &sub),
        (Dir::ToClient, &frame(0x90, &[0, 9, 1, 0x80])),
        (Dir::ToServer, &unsub),
        (Dir::ToServer, &publish),
    ]);
    // CONNECT + CONNACK; an empty client id is not handed out.
    assert_eq!(
        got.bufs[0],
        BTreeMap::from([
            ("mqtt.connect.username", v(&[b"admin"])),
            ("mqtt.connect.password", v(&[b"pw"])),
            ("mqtt.connect.protocol_string", v(&[b"MQIsdp"])),
            ("mqtt.connect.willtopic", v(&[b"wt"])),
            ("mqtt.connect.willmessage", v(&[b"wm"])),
        ])
    );
    assert_eq!(
        got.ints[0],
        BTreeMap::from([
            ("mqtt.protocol_version", vec![3]),
            ("mqtt.type", vec![1, 2]),
            ("mqtt.flags", vec![0, 0]),
            ("mqtt.qos", vec![0, 0]),
            ("mqtt.reason_code", vec![5]),
            ("mqtt.connack.session_present", vec![1]),
            ("mqtt.connect.flags", vec![0xE6]),
        ])
    );
    assert_eq!(
        got.creds[0],
        Some((
            b"admin".to_vec(),
            Some(b"pw".to_vec()),
            LoginOutcome::Failure
        ))
    );
    // SUBSCRIBE + SUBACK: every topic (empty ones too), every code.
    assert_eq!(
        got.bufs[1],
        BTreeMap::from([("mqtt.subscribe.topic", v(&[b"a/#", b""]))])
    );
    assert_eq!(got.ints[1]["mqtt.reason_code"], vec![1, 0x80]);
    assert_eq!(got.creds[1], None);
    // The unanswered UNSUBSCRIBE and PUBLISH end with the flow, in order.
    assert_eq!(
        got.bufs[2],
        BTreeMap::from([("mqtt.unsubscribe.topic", v(&[b"a/#"]))])
    );
    assert_eq!(
        got.bufs[3],
        BTreeMap::from([
            ("mqtt.publish.topic", v(&[b"t/b"])),
            ("mqtt.publish.message", v(&[b"p1"])),
        ])
    );
    assert_eq!(got.ints[3]["mqtt.flags"], vec![0x09]);
    assert_eq!(got.ints[3]["mqtt.qos"], vec![1]);
    assert!(!got.ints[3].contains_key("mqtt.reason_code"));

    // 5.0: the first acknowledgment code counts.
    let conv = v5_conversation();
    let got = seen(&borrowed(&conv));
    let reasons: Vec<Option<&Vec<u64>>> =
        got.ints.iter().map(|i| i.get("mqtt.reason_code")).collect();
    assert_eq!(
        reasons,
        vec![
            Some(&vec![0]),
            Some(&vec![16]),
            Some(&vec![1]),
            Some(&vec![17]),
            Some(&vec![24]),
            Some(&vec![142]),
        ]
    );
    assert!(got
        .ints
        .iter()
        .all(|i| i["mqtt.protocol_version"] == vec![5]));
    assert_eq!(
        got.creds[0],
        Some((b"u".to_vec(), Some(b"p".to_vec()), LoginOutcome::Success))
    );

    // No CONNACK: outcome unknown; no credentials: no credential.
    let got = seen(&[(Dir::ToServer, &connect311(b"c", b"root", b""))]);
    assert_eq!(
        got.creds[0],
        Some((b"root".to_vec(), Some(Vec::new()), LoginOutcome::Unknown))
    );
    let anon = frame(0x10, &cat(&[&s(b"MQTT"), &[4, 0x02, 0, 60], &s(b"x")]));
    assert_eq!(seen(&[(Dir::ToServer, &anon)]).creds[0], None);
}

// ------------------------------------------------------------------- probe

fn probe_of(dir: Dir, data: &[u8], on_port: bool) -> Probe {
    (SPEC.probe)(&ProbeInput {
        dir,
        data,
        server_port: if on_port { 1883 } else { 9000 },
        on_port,
    })
}

#[test]
fn probe_connect_and_connack() {
    let c = connect311(b"c", b"u", b"p");
    assert_eq!(probe_of(Dir::ToServer, &c, false), Probe::Match);
    for n in 0..9 {
        assert_eq!(
            probe_of(Dir::ToServer, &c[..n], false),
            Probe::NeedMore,
            "{n}"
        );
    }
    let old = frame(0x10, &cat(&[&s(b"MQIsdp"), &[3, 0x02, 0, 60], &s(b"c")]));
    assert_eq!(probe_of(Dir::ToServer, &old, false), Probe::Match);
    let bridge = frame(0x10, &cat(&[&s(b"MQTT"), &[0x84, 0x02, 0, 60], &s(b"c")]));
    assert_eq!(probe_of(Dir::ToServer, &bridge, false), Probe::Match);
    let wrong = [
        frame(0x10, &cat(&[&s(b"MQTX"), &[4, 0x02, 0, 60], &s(b"c")])),
        frame(0x10, &cat(&[&s(b"MQTT"), &[6, 0x02, 0, 60], &s(b"c")])),
        frame(0x10, &cat(&[&s(b"MQTT"), &[4]])),
        frame(0x12, &cat(&[&s(b"MQTT"), &[4, 0x02, 0, 60], &s(b"c")])),
        b"GET / HTTP/1.1\r\n".to_vec(),
        vec![0x10, 0xff, 0xff, 0xff, 0xff],
    ];
    for w in &wrong {
        assert_eq!(probe_of(Dir::ToServer, w, true), Probe::NoMatch, "{w:?}");
    }
    // Server side: a CONNACK, on the MQTT port only.
    assert_eq!(probe_of(Dir::ToClient, CONNACK_OK, true), Probe::Match);
    assert_eq!(probe_of(Dir::ToClient, CONNACK_OK, false), Probe::NoMatch);
    assert_eq!(
        probe_of(Dir::ToClient, &[0x20, 0x03, 0x00, 0x87], true),
        Probe::Match
    );
    assert_eq!(
        probe_of(Dir::ToClient, &[0x20, 0x02, 0x01], true),
        Probe::NeedMore
    );
    assert_eq!(
        probe_of(Dir::ToClient, &[0x20, 0x02, 0x02, 0x00], true),
        Probe::NoMatch
    );
    assert_eq!(
        probe_of(Dir::ToClient, &[0x20, 0x02, 0x00, 0x06], true),
        Probe::NoMatch
    );
    assert_eq!(
        probe_of(Dir::ToClient, &[0x20, 0x01, 0x00], true),
        Probe::NoMatch
    );
    assert_eq!(probe_of(Dir::ToServer, CONNACK_OK, false), Probe::NoMatch);
}

#[test]
fn probe_midstream_session_on_port() {
    let publish = frame(0x32, &cat(&[&s(b"t"), &[0, 7], b"x"]));
    let two = cat(&[&publish, &frame(0x40, &[0, 3])]);
    for dir in [Dir::ToServer, Dir::ToClient] {
        assert_eq!(probe_of(dir, PINGREQ, true), Probe::Match);
        assert_eq!(probe_of(dir, &two, true), Probe::Match);
        assert_eq!(probe_of(dir, &two, false), Probe::NoMatch);
        // A partial last message asks for more.
        assert_eq!(probe_of(dir, &publish[..5], true), Probe::NeedMore);
        assert_eq!(
            probe_of(dir, &two[..publish.len() + 2], true),
            Probe::NeedMore
        );
        for bad in [
            &[0xC0, 0x01, 0x00][..],                         // PINGREQ with a body
            &[0xC1, 0x00],                                   // reserved flags
            &[0x36, 0x03, 0x00, 0x01, b't'],                 // QoS 3
            &[0x80, 0x02, 0x00, 0x01],                       // SUBSCRIBE flags 0
            &[0x00, 0x00],                                   // type 0
            &[0x30, 0x03, 0x00, 0x09, b't'],                 // topic past the body
            &[0x30, 0xff, 0xff, 0x7f],                       // longer than probing holds
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", // TLS
        ] {
            assert_eq!(probe_of(dir, bad, true), Probe::NoMatch, "{bad:?}");
        }
    }
}

#[test]
fn identification() {
    let c = connect311(b"c", b"u", b"p");
    // Off port, a CONNECT arriving in small pieces.
    let (proto, out) = run_flow(
        Transport::Tcp,
        4000,
        &[
            (Dir::ToServer, &c[..3]),
            (Dir::ToServer, &c[3..7]),
            (Dir::ToServer, &c[7..]),
            (Dir::ToClient, CONNACK_OK),
        ],
    );
    assert_eq!(proto, Some("mqtt"));
    assert_eq!(out.txs.len(), 1);
    assert!(out.txs[0].log.get("connack").is_some());
    // Only the server side captured.
    let (proto, out) = run_flow(
        Transport::Tcp,
        1883,
        &[(Dir::ToClient, &cat(&[CONNACK_OK, &[0xD0, 0]]))],
    );
    assert_eq!(proto, Some("mqtt"));
    assert_eq!(out.txs.len(), 2);
    let (proto, _) = run_flow(
        Transport::Tcp,
        1883,
        &[(Dir::ToServer, b"GET / HTTP/1.1\r\n\r\n")],
    );
    // Not MQTT, whatever the port says (it is HTTP).
    assert_eq!(proto, Some("http"));
}

// ------------------------------------------------- suricata-verify captures

/// The MQTT conversation of a suricata-verify case, checked for
/// resegmentation (on a prefix when large: every split point of a 35 kB
/// segment would take too long).
fn sv(case: &str, file: &str) -> Collect {
    let convs = from_pcap(&shared_pcap(&format!("suricata-verify/{case}/{file}")));
    let conv = convs
        .iter()
        .find(|c| c.server_port == 1883)
        .expect("an MQTT conversation");
    let chunks = conv.borrowed();
    let mut total = 0;
    let prefix: Vec<(Dir, &[u8])> = chunks
        .iter()
        .copied()
        .take_while(|(_, c)| {
            total += c.len();
            total <= 4096
        })
        .collect();
    let out = assert_resegmentation(&SPEC, &prefix);
    if prefix.len() == chunks.len() {
        return out;
    }
    run(&SPEC, &chunks)
}

fn one<'a>(out: &'a Collect, key: &str) -> &'a Value {
    let found: Vec<&Value> = out.txs.iter().filter_map(|t| t.log.get(key)).collect();
    assert_eq!(found.len(), 1, "{key} in {:#?}", logs(out));
    found[0]
}

/// Checks `obj` has every field of `want` (test.yaml's dotted matches).
fn has(obj: &Value, want: Value) {
    for (k, v) in want.as_object().cloned().unwrap_or_default() {
        assert_eq!(obj[&k], v, "{k} in {obj}");
    }
}

/// The fixed-header fields of a plain message.
fn hdr0() -> Value {
    json!({"qos": 0, "retain": false, "dup": false})
}

#[test]
fn sv_mqtt311_pub_userpass() {
    let out = sv("mqtt311-pub-userpass", "input.pcap");
    assert_eq!(out.txs.len(), 3);
    let c = one(&out, "connect");
    has(c, hdr0());
    has(
        c,
        json!({"protocol_string": "MQTT", "protocol_version": 4,
               "flags": {"username": true, "password": true, "will": false,
                         "will_retain": false, "clean_session": true},
               "client_id": "myvoiceismypassport", "username": "user"}),
    );
    // test.yaml also has password "pass": palisade never logs it.
    assert!(c.get("password").is_none());
    let a = one(&out, "connack");
    has(a, hdr0());
    has(a, json!({"session_present": false, "return_code": 0}));
    let p = one(&out, "publish");
    has(p, hdr0());
    has(p, json!({"topic": "topicX", "message": "baabaablacksheep"}));
    has(one(&out, "disconnect"), hdr0());
    assert!(all_events(&out).is_empty());
}

#[test]
fn sv_mqtt31_sub_userpass() {
    let out = sv("mqtt31-sub-userpass", "input.pcap");
    assert_eq!(out.txs.len(), 3);
    let c = one(&out, "connect");
    has(c, hdr0());
    has(
        c,
        json!({"protocol_string": "MQIsdp", "protocol_version": 3,
               "flags": {"username": true, "password": true, "will": false,
                         "will_retain": false, "clean_session": true},
               "client_id": "myvoiceismypassport", "username": "user"}),
    );
    assert!(c.get("password").is_none());
    has(
        one(&out, "connack"),
        json!({"qos": 0, "retain": false, "dup": false, "session_present": false, "return_code": 0}),
    );
    has(
        one(&out, "subscribe"),
        json!({"qos": 1, "retain": false, "dup": false, "message_id": 1,
               "topics": [{"topic": "topicX", "qos": 0}, {"topic": "topicY", "qos": 0}]}),
    );
    has(
        one(&out, "suback"),
        json!({"qos": 0, "retain": false, "dup": false, "message_id": 1, "qos_granted": [0, 0]}),
    );
    has(one(&out, "disconnect"), hdr0());
    assert!(all_events(&out).is_empty());
}

#[test]
fn sv_mqtt5_pub_userpass() {
    let out = sv("mqtt5-pub-userpass", "input.pcap");
    assert_eq!(out.txs.len(), 3);
    let c = one(&out, "connect");
    has(c, hdr0());
    has(
        c,
        json!({"protocol_string": "MQTT", "protocol_version": 5,
               "flags": {"username": true, "password": true, "will": false,
                         "will_retain": false, "clean_session": true},
               "client_id": "myvoiceismypassport", "username": "user"}),
    );
    assert_eq!(c["properties"]["receive_maximum"], 20);
    assert!(c.get("password").is_none());
    let a = one(&out, "connack");
    has(a, hdr0());
    has(a, json!({"session_present": false, "return_code": 0}));
    assert_eq!(a["properties"]["topic_alias_maximum"], 10);
    let p = one(&out, "publish");
    has(p, hdr0());
    has(p, json!({"topic": "topicX", "message": "baabaablacksheep"}));
    let d = one(&out, "disconnect");
    has(d, hdr0());
    assert_eq!(d["reason_code"], 0);
    assert!(all_events(&out).is_empty());
}

#[test]
fn sv_mqtt_connect_rules() {
    let out = sv("mqtt-connect-rules", "mqtt5_pub_jpeg.pcap");
    let c = one(&out, "connect");
    has(
        c,
        json!({"protocol_string": "MQTT", "protocol_version": 5,
               "flags": {"username": true, "password": true, "will": false,
                         "will_retain": false, "clean_session": true},
               "client_id": "", "username": "user"}),
    );
    assert_eq!(c["properties"]["receive_maximum"], 20);
    let a = one(&out, "connack");
    has(a, json!({"session_present": false, "return_code": 0}));
    assert_eq!(a["properties"]["topic_alias_maximum"], 10);
    has(one(&out, "publish"), hdr0());
    has(one(&out, "publish"), json!({"topic": "topicX"}));
    has(
        one(&out, "disconnect"),
        json!({"qos": 0, "retain": false, "dup": false, "reason_code": 0}),
    );

    // What its rules inspect: the protocol string, CONNACK with reason
    // code 0, DISCONNECT with reason code 0.
    let convs = from_pcap(&shared_pcap(
        "suricata-verify/mqtt-connect-rules/mqtt5_pub_jpeg.pcap",
    ));
    let conv = convs.iter().find(|c| c.server_port == 1883).unwrap();
    let got = seen(&conv.borrowed());
    assert_eq!(got.bufs.len(), 3);
    assert_eq!(got.bufs[0]["mqtt.connect.protocol_string"], v(&[b"MQTT"]));
    assert_eq!(got.ints[0]["mqtt.type"], vec![1, 2]);
    assert_eq!(got.ints[0]["mqtt.reason_code"], vec![0]);
    assert_eq!(got.ints[1]["mqtt.type"], vec![3]);
    assert!(!got.ints[1].contains_key("mqtt.reason_code"));
    assert_eq!(got.ints[2]["mqtt.type"], vec![14]);
    assert_eq!(got.ints[2]["mqtt.reason_code"], vec![0]);
    assert_eq!(
        got.creds[0],
        Some((
            b"user".to_vec(),
            Some(b"pass".to_vec()),
            LoginOutcome::Success
        ))
    );
}

#[test]
fn sv_mqtt_events_invalid_qos() {
    let out = sv("mqtt-events-invalid-qos", "input.pcap");
    assert_eq!(all_events(&out), vec![ev::INVALID_QOS_LEVEL]);
    let t = out
        .txs
        .iter()
        .find(|t| !t.events.is_empty())
        .expect("the event's tx");
    has(
        &t.log["publish"],
        json!({"qos": 3, "topic": "topicX", "message_id": 1}),
    );
}

// ----------------------------------------------------------- nDPI captures

/// Client ids, PUBLISH topic counts, SUBSCRIBE topics, message counts.
type Summary = (
    Vec<String>,
    BTreeMap<String, usize>,
    Vec<String>,
    BTreeMap<String, usize>,
);

/// Per conversation: client ids, PUBLISH topics with counts, SUBSCRIBE
/// topics, and how many of each message type were logged.
fn summary(out: &Collect) -> Summary {
    let mut ids = Vec::new();
    let mut topics = BTreeMap::new();
    let mut subs = Vec::new();
    let mut kinds = BTreeMap::new();
    for t in &out.txs {
        for (k, m) in t.log.as_object().cloned().unwrap_or_default() {
            *kinds.entry(k.clone()).or_insert(0) += 1;
            match k.as_str() {
                "connect" => ids.push(m["client_id"].as_str().unwrap_or("?").to_owned()),
                "publish" => {
                    *topics
                        .entry(m["topic"].as_str().unwrap_or("?").to_owned())
                        .or_insert(0) += 1
                }
                "subscribe" => {
                    for x in m["topics"].as_array().cloned().unwrap_or_default() {
                        subs.push(x["topic"].as_str().unwrap_or("?").to_owned());
                    }
                }
                _ => {}
            }
        }
    }
    (ids, topics, subs, kinds)
}

#[test]
fn ndpi_mqtt_pcap_matches_tshark() {
    // tshark -r ndpi/mqtt.pcap -T fields -e tcp.stream -e mqtt.msgtype
    //   -e mqtt.clientid -e mqtt.topic
    // stream 0: 1 cbaabcbabacbbbbbaaaaab; 8 astr/s720/02D5050223D3/99; 2; 9;
    //           3 astr/admin/otaupd8; 3 astr/s720/02D5050223D3/99; 14
    // stream 1: 1 P47775ID170W2120
    let convs = from_pcap(&shared_pcap("ndpi/mqtt.pcap"));
    let mut got = Vec::new();
    for c in convs.iter().filter(|c| c.server_port == 1883) {
        let chunks = c.borrowed();
        let (proto, flow_out) = run_flow(Transport::Tcp, 1883, &chunks);
        assert_eq!(proto, Some("mqtt"));
        let out = assert_resegmentation(&SPEC, &chunks);
        assert_eq!(logs(&flow_out), logs(&out));
        assert!(!all_events(&out).contains(&ev::MALFORMED_TRAFFIC));
        assert!(out.events.is_empty());
        got.push(summary(&out));
    }
    got.sort();
    let m = |x: &[(&str, usize)]| -> BTreeMap<String, usize> {
        x.iter().map(|(k, n)| (k.to_string(), *n)).collect()
    };
    assert_eq!(
        got,
        vec![
            (
                vec!["P47775ID170W2120".to_owned()],
                m(&[]),
                vec![],
                m(&[("connect", 1)])
            ),
            (
                vec!["cbaabcbabacbbbbbaaaaab".to_owned()],
                m(&[("astr/admin/otaupd8", 1), ("astr/s720/02D5050223D3/99", 1)]),
                vec!["astr/s720/02D5050223D3/99".to_owned()],
                m(&[
                    ("connack", 1),
                    ("connect", 1),
                    ("disconnect", 1),
                    ("publish", 2),
                    ("suback", 1),
                    ("subscribe", 1)
                ])
            ),
        ]
    );
}

#[test]
fn ndpi_coap_mqtt_pcap_matches_tshark() {
    // MQTT on port 17501; three of the four connections start mid-session.
    // tshark -r ndpi/coap_mqtt.pcap -d tcp.port==17501,mqtt -T fields
    //   -e tcp.stream -e mqtt.msgtype -e mqtt.topic -e mqtt.clientid
    //   | sort | uniq -c
    // streams 0, 1: PINGREQ, PINGRESP, 9 x PUBLISH Bus17Cmd, 9 x PUBLISH
    //   Bus17Info, 17 x PUBACK
    // stream 2: CONNECT Bus41, CONNACK, SUBSCRIBE Bus17Cmd, SUBACK,
    //   10 x PUBLISH Bus17Cmd, 11 x PUBLISH Bus17Info, 19 x PUBACK
    // stream 3: 9 x PUBLISH Bus17Cmd, 9 x PUBLISH Bus17Info, 17 x PUBACK
    let convs = from_pcap(&shared_pcap("ndpi/coap_mqtt.pcap"));
    let mut got = Vec::new();
    for c in convs.iter().filter(|c| c.transport == Transport::Tcp) {
        // Resegmentation on a prefix keeps the test fast.
        let chunks = c.borrowed();
        assert_resegmentation(&SPEC, &chunks[..12]);
        let out = run(&SPEC, &chunks);
        let ev = all_events(&out);
        assert!(ev.iter().all(|e| *e == ev::UNINTRODUCED_MESSAGE), "{ev:?}");
        assert!(out.events.is_empty());
        got.push(summary(&out));
    }
    got.sort();
    let m = |x: &[(&str, usize)]| -> BTreeMap<String, usize> {
        x.iter().map(|(k, n)| (k.to_string(), *n)).collect()
    };
    let midstream = |ping: bool| {
        let mut kinds = vec![("publish", 18), ("puback", 17)];
        if ping {
            kinds.extend([("pingreq", 1), ("pingresp", 1)]);
        }
        (
            vec![],
            m(&[("Bus17Cmd", 9), ("Bus17Info", 9)]),
            vec![],
            m(&kinds),
        )
    };
    let mut want = vec![
        midstream(true),
        midstream(true),
        midstream(false),
        (
            vec!["Bus41".to_owned()],
            m(&[("Bus17Cmd", 10), ("Bus17Info", 11)]),
            vec!["Bus17Cmd".to_owned()],
            m(&[
                ("connack", 1),
                ("connect", 1),
                ("publish", 21),
                ("puback", 19),
                ("suback", 1),
                ("subscribe", 1),
            ]),
        ),
    ];
    want.sort();
    assert_eq!(got, want);
    // On the MQTT port, sessions picked up midstream are identified too.
    for c in convs.iter().filter(|c| c.transport == Transport::Tcp) {
        let chunks = c.borrowed();
        let (proto, out) = run_flow(Transport::Tcp, 1883, &chunks);
        assert_eq!(proto, Some("mqtt"));
        assert_eq!(logs(&out), logs(&run(&SPEC, &chunks)));
    }
    // The session with its CONNECT is identified off port.
    let c = convs
        .iter()
        .find(|c| c.chunks.first().and_then(|(_, d, _)| d.first()) == Some(&0x10))
        .expect("the session with its CONNECT");
    let (proto, _) = run_flow(Transport::Tcp, c.server_port, &c.borrowed());
    assert_eq!(proto, Some("mqtt"));
}

/// Mutated real conversations (bytes changed, dropped, inserted, chunks
/// cut short) never panic and give the same records however they are cut.
#[test]
fn mutated_conversations_are_segmentation_independent() {
    let mut seeds: Vec<Vec<(Dir, Vec<u8>)>> = vec![v5_conversation()];
    for f in [
        "suricata-verify/mqtt31-sub-userpass/input.pcap",
        "suricata-verify/mqtt5-pub-userpass/input.pcap",
        "ndpi/mqtt.pcap",
    ] {
        for c in from_pcap(&shared_pcap(f)) {
            seeds.push(c.chunks.iter().map(|(d, b, _)| (*d, b.clone())).collect());
        }
    }
    let mut rng = XorShift::new(0x9e37_79b9_7f4a_7c15);
    let mut rnd = move || rng.next_u64();
    for i in 0..40 {
        let mut conv = seeds[i % seeds.len()].clone();
        for _ in 0..1 + rnd() % 4 {
            let k = (rnd() as usize) % conv.len();
            let c = &mut conv[k].1;
            if c.is_empty() {
                continue;
            }
            let p = (rnd() as usize) % c.len();
            match rnd() % 4 {
                0 => c[p] = rnd() as u8,
                1 => c[p] ^= 1 << (rnd() % 8),
                2 => c.truncate(p),
                _ => c.insert(p, rnd() as u8),
            }
        }
        let mut total = 0;
        let chunks: Vec<(Dir, &[u8])> = conv
            .iter()
            .map(|(d, c)| (*d, &c[..]))
            .take_while(|(_, c)| {
                total += c.len();
                total < 400
            })
            .collect();
        let out = assert_resegmentation(&SPEC, &chunks);
        assert!(out.txs.iter().all(|t| t.log.is_object()));
        seen(&chunks);
    }
}
