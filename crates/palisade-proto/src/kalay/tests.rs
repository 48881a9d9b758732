use super::scramble::{decode, decode_block, decode_prefix, encode, encode_block, KEY, PERM};
use super::*;
use crate::parser::Dir;
use crate::registry::Transport;
use crate::testing::{mutations, run, run_flow};

const UID: &[u8; 20] = b"ABCD1234EFGH5678JKLM";

fn registration(uid: &[u8]) -> Vec<u8> {
    let mut body = uid.to_vec();
    body.extend_from_slice(&[0u8; 28]);
    build(0x19, 0x0210, 0x14, &body)
}

#[test]
fn published_vector_zero_block() {
    // TransCodePartial of 16 zero bytes as published in the CuboAI IOTC
    // write-up (cuboai_pure.py, "XOR frame key").
    let want = [
        0x6e, 0x2e, 0x8d, 0x8c, 0x40, 0xd0, 0x40, 0xca, 0x2d, 0x6d, 0x28, 0x0c, 0x40, 0xe4, 0xca,
        0xd8,
    ];
    assert_eq!(encode_block(&[0; 16]), want);
    assert_eq!(decode_block(&want), [0; 16]);
    // a zero tail is the key in clear: the "Charlie is" an Enabot
    // researcher saw at the end of a datagram
    let wire = encode(&[0u8; 26]);
    assert_eq!(&wire[16..], b"Charlie is");
}

#[test]
fn scrambler_round_trips_every_length() {
    let mut x = crate::testing::XorShift::new(7);
    for len in 0..200usize {
        let plain: Vec<u8> = (0..len).map(|_| x.next_u64() as u8).collect();
        let wire = encode(&plain);
        assert_eq!(wire.len(), len);
        assert_eq!(decode(&wire), plain, "len {len}");
        if len >= 32 {
            assert_ne!(wire, plain);
        }
        // a prefix of whole blocks decodes to the prefix of the plain text
        let p = decode_prefix(&wire, 2);
        assert_eq!(p, plain[..len.min(32)]);
    }
    // the permutation is an involution and the key is TUTK's
    for (i, &p) in PERM.iter().enumerate() {
        assert_eq!(PERM[p], i);
    }
    assert_eq!(KEY, b"Charlie is the d");
}

#[test]
fn registration_message_parsed() {
    let wire = registration(UID);
    let m = message(&wire).unwrap();
    assert!(m.scrambled);
    assert_eq!((m.version, m.msg_type, m.direction), (0x19, 0x0210, 0x14));
    assert_eq!(m.uid.as_ref(), Some(UID));
    assert!(m.is_registration());
    let c = run(&SPEC, &[(Dir::ToServer, &wire)]);
    assert_eq!(c.txs.len(), 1);
    let log = &c.txs[0].log;
    assert_eq!(c.txs[0].event_type, "kalay");
    assert_eq!(log["uid"], "ABCD1234EFGH5678JKLM");
    assert_eq!(log["registration"], true);
    assert_eq!(log["direction"], "device_to_server");
    assert_eq!(log["direction_code"], "0x14");
    assert_eq!(log["msg_type"], "0x0210");
    assert_eq!(log["scrambled"], true);
    assert_eq!(log["length"], 64);
    // the UID is the kalay.uid buffer
    let tx = KalayTx::for_test(message(&wire).unwrap());
    assert_eq!(crate::testing::buffer(&tx, "kalay.uid"), vec![UID.to_vec()]);
}

#[test]
fn published_message_shapes() {
    // the ping and LAN search of go2rtc pkg/tutk (plain text as logged
    // there), scrambled as on the wire
    let ping_plain: Vec<u8> = [
        0x04, 0x02, 0x12, 0x0a, 0x08, 0x00, 0x00, 0x00, 0x28, 0x04, 0x12, 0x00, 0, 0, 0, 0, 0x5b,
        0x0d, 0x42, 0x02, 0x07, 0x0a, 0xa8, 0xc0,
    ]
    .to_vec();
    let c = run(&SPEC, &[(Dir::ToClient, &encode(&ping_plain))]);
    assert_eq!(c.txs[0].log["msg_name"], "ping");
    assert_eq!(c.txs[0].log["direction"], "device_to_client");
    assert_eq!(c.txs[0].log["registration"], false);
    assert!(c.txs[0].log.get("uid").is_none());
    // unscrambled copies parse too
    let m = message(&ping_plain).unwrap();
    assert!(!m.scrambled);
    // LAN search from the app carries the UID but is no registration
    let mut body = UID.to_vec();
    body.extend_from_slice(&[0u8; 32]);
    let search = build(0x19, 0x0601, 0x21, &body);
    let m = message(&search).unwrap();
    assert_eq!(type_name(m.msg_type), "lan_search");
    assert_eq!(m.uid.as_ref(), Some(UID));
    assert!(!m.is_registration());
}

#[test]
fn uid_must_be_twenty_alphanumerics() {
    for bad in [
        &b"abcd1234efgh5678jklm"[..],
        b"ABCD1234EFGH5678JKL\0",
        b"ABCD-234EFGH5678JKLM",
    ] {
        let m = message(&registration(bad)).unwrap();
        assert_eq!(m.uid, None);
        assert!(!m.is_registration());
    }
    // too short for a UID
    let m = message(&build(0x19, 0x0210, 0x14, b"ABCD")).unwrap();
    assert_eq!(m.uid, None);
}

#[test]
fn probe_is_strict() {
    use crate::registry::ProbeInput;
    let on = |data: &[u8]| {
        (SPEC.probe)(&ProbeInput {
            dir: Dir::ToServer,
            data,
            server_port: 10240,
            on_port: false,
        })
    };
    assert_eq!(on(&registration(UID)), Probe::Match);
    // wrong length field, too short, random bytes, DNS, SSDP
    let mut w = registration(UID);
    w.push(0);
    assert_eq!(on(&w), Probe::NoMatch);
    assert_eq!(on(&[4, 2, 0, 0]), Probe::NoMatch);
    let mut x = crate::testing::XorShift::new(1);
    let mut hits = 0;
    for _ in 0..20_000 {
        let n = 16 + (x.next_u64() % 100) as usize;
        let d: Vec<u8> = (0..n).map(|_| x.next_u64() as u8).collect();
        if on(&d) == Probe::Match {
            hits += 1;
        }
    }
    assert_eq!(hits, 0);
    assert_eq!(
        on(b"M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\n\r\n"),
        Probe::NoMatch
    );
    let dns = [
        0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, b'c', b'a', b'm', 0, 0, 1, 0, 1,
    ];
    assert_eq!(on(&dns), Probe::NoMatch);
}

#[test]
fn identified_on_any_port_and_malformed_datagram_is_event() {
    let reg = registration(UID);
    let (proto, c) = run_flow(
        Transport::Udp,
        10240,
        &[
            (Dir::ToServer, &reg),
            (Dir::ToServer, b"junk"),
            (Dir::ToServer, &reg),
        ],
    );
    assert_eq!(proto, Some("kalay"));
    assert_eq!(c.txs.len(), 2);
    assert_eq!(c.txs[1].id, 1);
    assert_eq!(c.events, vec![(Dir::ToServer, ev::MALFORMED)]);
}

#[test]
fn hostile_datagrams_do_not_panic() {
    let seeds = [registration(UID), build(0x12, 0x0428, 0x12, &[1, 2, 3, 4])];
    let plain: Vec<Vec<u8>> = seeds.iter().map(|s| decode(s)).collect();
    for (_, m) in mutations(&plain, 3, 2000, |b| *b ^= 0x80, 0) {
        let wire = encode(&m);
        for d in [&m, &wire] {
            if let Some(msg) = message(d) {
                assert_eq!(msg.len, d.len());
            }
            let _ = run(&SPEC, &[(Dir::ToServer, d)]);
        }
    }
    // a maximal datagram only has its first blocks descrambled
    let big = build(0x19, 0x0804, 0x12, &vec![0x41; 60_000]);
    assert!(message(&big).is_some());
    assert_eq!(decode_prefix(&big, 4).len(), 64);
}
