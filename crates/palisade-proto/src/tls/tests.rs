use super::fingerprint::{ja3, ja4, ja4_raw};
use super::parser::{self, ClientHello};
use super::*;
use crate::parser::{AppTx, Collect, Dir, Input};
use crate::registry::{Probe, ProbeInput};
use crate::testing::{
    assert_resegmentation, buffer, feed, integer, run, run_flow, Inspect, Recording, XorShift,
};
use palisade_event::Timestamp;
use serde_json::json;

// Certificates made once with OpenSSL 3.0 (EC P-256 keys):
//   openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
//     -subj "/C=DE/O=Palisade Test/CN=Palisade Test CA" -days 3650 ...      (CA)
//   openssl req -newkey ec ... -subj "/C=DE/O=Acme Cams/CN=cam.local"; \
//   openssl x509 -req -CA ca.pem -CAkey ca.key -days 30 ...                 (LEAF)
//   openssl req -x509 -newkey ec ... -subj /CN=cam.local -days 1           (SELF)
// and the same CA and LEAF served by `openssl s_server` in tls-openssl.pcap.
const LEAF: &[u8] = include_bytes!("../../tests/data/tls-cam-local-leaf.der");
const CA: &[u8] = include_bytes!("../../tests/data/tls-palisade-test-ca.der");
const SELF: &[u8] = include_bytes!("../../tests/data/tls-cam-local-self.der");
/// `openssl x509 -noout -enddate` of LEAF: Dec 26 00:42:58 2026 GMT.
const LEAF_NOT_AFTER: u64 = 1_798_245_778;

// ---- builders ----

fn u16b(v: u16) -> [u8; 2] {
    v.to_be_bytes()
}

fn record(ct: u8, payload: &[u8]) -> Vec<u8> {
    let mut r = vec![ct, 3, 3];
    r.extend_from_slice(&u16b(payload.len() as u16));
    r.extend_from_slice(payload);
    r
}

fn hs(typ: u8, body: &[u8]) -> Vec<u8> {
    let n = body.len();
    let mut m = vec![typ, (n >> 16) as u8, (n >> 8) as u8, n as u8];
    m.extend_from_slice(body);
    m
}

fn ext(typ: u16, data: &[u8]) -> Vec<u8> {
    let mut e = u16b(typ).to_vec();
    e.extend_from_slice(&u16b(data.len() as u16));
    e.extend_from_slice(data);
    e
}

fn list16(items: &[u16]) -> Vec<u8> {
    let mut v = u16b((items.len() * 2) as u16).to_vec();
    for i in items {
        v.extend_from_slice(&u16b(*i));
    }
    v
}

fn sni(name: &[u8]) -> Vec<u8> {
    let mut entry = vec![0];
    entry.extend_from_slice(&u16b(name.len() as u16));
    entry.extend_from_slice(name);
    let mut d = u16b(entry.len() as u16).to_vec();
    d.extend_from_slice(&entry);
    ext(0, &d)
}

fn alpn(protos: &[&[u8]]) -> Vec<u8> {
    let mut l = Vec::new();
    for p in protos {
        l.push(p.len() as u8);
        l.extend_from_slice(p);
    }
    let mut d = u16b(l.len() as u16).to_vec();
    d.extend_from_slice(&l);
    ext(16, &d)
}

fn versions(v: &[u16]) -> Vec<u8> {
    let mut d = vec![(v.len() * 2) as u8];
    for x in v {
        d.extend_from_slice(&u16b(*x));
    }
    ext(43, &d)
}

fn client_hello(version: u16, sid: &[u8], ciphers: &[u16], exts: &[Vec<u8>]) -> Vec<u8> {
    let mut b = u16b(version).to_vec();
    b.extend_from_slice(&[0x11; 32]);
    b.push(sid.len() as u8);
    b.extend_from_slice(sid);
    b.extend_from_slice(&list16(ciphers));
    b.extend_from_slice(&[1, 0]);
    let e: Vec<u8> = exts.concat();
    b.extend_from_slice(&u16b(e.len() as u16));
    b.extend_from_slice(&e);
    hs(1, &b)
}

fn server_hello_random(random: &[u8; 32], sid: &[u8], cipher: u16, exts: &[Vec<u8>]) -> Vec<u8> {
    let mut b = u16b(0x0303).to_vec();
    b.extend_from_slice(random);
    b.push(sid.len() as u8);
    b.extend_from_slice(sid);
    b.extend_from_slice(&u16b(cipher));
    b.push(0);
    let e: Vec<u8> = exts.concat();
    b.extend_from_slice(&u16b(e.len() as u16));
    b.extend_from_slice(&e);
    hs(2, &b)
}

fn server_hello(sid: &[u8], cipher: u16, exts: &[Vec<u8>]) -> Vec<u8> {
    server_hello_random(&[0x22; 32], sid, cipher, exts)
}

fn certificate(certs: &[&[u8]]) -> Vec<u8> {
    let mut l = Vec::new();
    for c in certs {
        let n = c.len();
        l.extend_from_slice(&[(n >> 16) as u8, (n >> 8) as u8, n as u8]);
        l.extend_from_slice(c);
    }
    let n = l.len();
    let mut b = vec![(n >> 16) as u8, (n >> 8) as u8, n as u8];
    b.extend_from_slice(&l);
    hs(11, &b)
}

/// A TLS 1.2 ClientHello: SNI cam.local, ALPN h2 + http/1.1, two groups,
/// uncompressed points, three signature algorithms, one GREASE cipher
/// and one GREASE extension.
fn hello12() -> Vec<u8> {
    client_hello(
        0x0303,
        &[],
        &[0x0a0a, 0xc02b, 0xc02f, 0x009c],
        &[
            ext(0x1a1a, &[]),
            sni(b"cam.local"),
            ext(10, &list16(&[0x001d, 0x0017])),
            ext(11, &[1, 0]),
            ext(13, &list16(&[0x0403, 0x0804, 0x0401])),
            alpn(&[b"h2", b"http/1.1"]),
            ext(0xff01, &[0]),
        ],
    )
}

fn conversation12() -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let client = record(22, &hello12());
    // ServerHello, Certificate and ServerHelloDone in one segment, the
    // Certificate message cut across two records.
    let sh = server_hello(&[], 0xc02f, &[ext(0xff01, &[0]), alpn(&[b"h2"])]);
    let cert = certificate(&[LEAF, CA]);
    let (c1, c2) = cert.split_at(100);
    let mut server = record(22, &sh);
    server.extend(record(22, c1));
    let mut rest = c2.to_vec();
    rest.extend(hs(14, &[]));
    server.extend(record(22, &rest));
    // The client's key exchange, ChangeCipherSpec and encrypted Finished.
    let mut fin = record(22, &hs(16, &[0x41; 66]));
    fin.extend(record(20, &[1]));
    fin.extend(record(22, &[0x99; 40]));
    fin.extend(record(23, &[0x98; 30]));
    (client, server, fin)
}

// ---- probe ----

fn probe_of(dir: Dir, data: &[u8]) -> Probe {
    (SPEC.probe)(&ProbeInput {
        dir,
        data,
        server_port: 443,
        on_port: true,
    })
}

#[test]
fn probe_accepts_hellos_and_rejects_others() {
    let ch = record(22, &hello12());
    assert_eq!(probe_of(Dir::ToServer, &ch), Probe::Match);
    assert_eq!(probe_of(Dir::ToServer, &ch[..5]), Probe::NeedMore);
    assert_eq!(probe_of(Dir::ToServer, &ch[..1]), Probe::NeedMore);
    assert_eq!(probe_of(Dir::ToServer, &[]), Probe::NeedMore);
    // A ClientHello is not a server's first message, nor the reverse.
    assert_eq!(probe_of(Dir::ToClient, &ch), Probe::NoMatch);
    let sh = record(22, &server_hello(&[], 0x1301, &[]));
    assert_eq!(probe_of(Dir::ToClient, &sh), Probe::Match);
    assert_eq!(probe_of(Dir::ToServer, &sh), Probe::NoMatch);
    assert_eq!(
        probe_of(Dir::ToServer, b"GET / HTTP/1.1\r\n"),
        Probe::NoMatch
    );
    assert_eq!(probe_of(Dir::ToServer, b"SSH-2.0"), Probe::NoMatch);
    // Wrong version byte, absurd length: turned down before 6 bytes.
    assert_eq!(probe_of(Dir::ToServer, &[22, 2]), Probe::NoMatch);
    assert_eq!(
        probe_of(Dir::ToServer, &[22, 3, 1, 0xff, 0xff]),
        Probe::NoMatch
    );
    // Application data is not a start.
    assert_eq!(
        probe_of(Dir::ToServer, &[23, 3, 3, 0, 5, 1]),
        Probe::NoMatch
    );
    assert_eq!(probe_of(Dir::ToServer, &sslv2_hello()), Probe::Match);
    assert_eq!(
        probe_of(Dir::ToServer, &sslv2_hello()[..3]),
        Probe::NeedMore
    );
    assert_eq!(probe_of(Dir::ToClient, &sslv2_hello()), Probe::NoMatch);
}

#[test]
fn identified_on_and_off_port() {
    let (c, s, _) = conversation12();
    for port in [443, 8883, 4433] {
        let (proto, out) = run_flow(
            crate::Transport::Tcp,
            port,
            &[(Dir::ToServer, &c), (Dir::ToClient, &s)],
        );
        assert_eq!(proto, Some("tls"), "port {port}");
        assert_eq!(out.txs.len(), 1);
    }
    let (proto, _) = run_flow(
        crate::Transport::Tcp,
        443,
        &[(Dir::ToServer, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")],
    );
    // HTTP on the TLS port is HTTP.
    assert_eq!(proto, Some("http"));
}

// ---- a TLS 1.2 handshake ----

#[test]
fn tls12_handshake_record() {
    let (c, s, f) = conversation12();
    let out = assert_resegmentation(
        &SPEC,
        &[
            (Dir::ToServer, &c),
            (Dir::ToClient, &s),
            (Dir::ToServer, &f),
        ],
    );
    assert_eq!(out.txs.len(), 1);
    assert_eq!(out.updates, vec![(0, Dir::ToServer)]);
    assert!(out.events.is_empty(), "{:?}", out.events);
    let tx = &out.txs[0];
    assert!(tx.events.is_empty(), "{:?}", tx.events);
    // JA3 by hand: version 771, ciphers 49195-49199-156 (GREASE 0x0a0a
    // dropped), extensions 0-10-11-13-16-65281 (GREASE 0x1a1a dropped),
    // groups 29-23, point formats 0; MD5 from `printf %s ... | md5sum`.
    let ja3 = "771,49195-49199-156,0-10-11-13-16-65281,29-23,0";
    // JA4 by hand: t12 d 03 ciphers, 06 extensions, h2;
    // printf %s 009c,c02b,c02f | sha256sum -> b80a1783d7a2;
    // printf %s 000a,000b,000d,ff01_0403,0804,0401 | sha256sum -> 1bc6bb69c5dd.
    // JA3S: printf %s 771,49199,65281-16 | md5sum.
    assert_eq!(
        tx.log,
        json!({
            "subject": "C=DE, O=Acme Cams, CN=cam.local",
            "issuerdn": "C=DE, O=Palisade Test, CN=Palisade Test CA",
            "serial": "0C:98:4E:CA:AC:F6:18:0C:55:62:B4:E5:52:BF:8B:B9:A3:4E:C4:70",
            "fingerprint": "fe:12:2c:80:fa:fc:81:ef:37:ea:a5:64:b1:36:a4:6e:56:14:97:c0",
            "notbefore": "2026-11-26T00:42:58",
            "notafter": "2026-12-26T00:42:58",
            "self_signed": false,
            "cert_expired": false,
            "sni": "cam.local",
            "version": "TLS 1.2",
            "client_version": "TLS 1.2",
            "ja3": {"string": ja3, "hash": "9a5a700ee1ee5a60eab955a34271149a"},
            "ja3s": {"string": "771,49199,65281-16", "hash": "7bee5c1d424b7e5f943b06983bb11422"},
            "ja4": "t12d0306h2_b80a1783d7a2_1bc6bb69c5dd",
            "client_alpns": ["h2", "http/1.1"],
            "server_alpns": ["h2"],
        })
    );
}

/// Each completed transaction's buffers and integer fields.
#[derive(Default)]
struct Fields {
    bufs: Vec<(String, Vec<Vec<u8>>)>,
    ints: Vec<(String, Vec<u64>)>,
    done: usize,
}

impl Inspect for Fields {
    fn inspect(&mut self, tx: &dyn AppTx) {
        self.done += 1;
        for name in [
            "tls.sni",
            "tls.cert_subject",
            "tls.cert_issuer",
            "tls.cert_serial",
            "tls.cert_fingerprint",
            "tls.certs",
            "ja3.hash",
            "ja3.string",
            "ja3s.hash",
            "ja3s.string",
            "ja4.hash",
            "http.uri",
        ] {
            self.bufs.push((name.into(), buffer(tx, name)));
        }
        for name in ["tls.version", "tls.cert_expired", "mqtt.type"] {
            self.ints.push((name.into(), integer(tx, name)));
        }
    }
}

/// Chunks stamped each with its own time (seconds), as certificate
/// validity is checked against packet time.
fn drive(chunks: &[(Dir, &[u8], u64)]) -> Recording<Fields> {
    let mut p = (SPEC.new_parser)();
    let mut out = Recording::<Fields>::default();
    for (dir, data, secs) in chunks {
        let ts = Timestamp::from_secs_nanos(*secs, 0);
        p.parse(
            Input {
                dir: *dir,
                data,
                ts,
            },
            &mut out,
        )
        .unwrap();
    }
    p.finish(&mut out);
    out
}

fn buf<'a>(i: &'a Fields, name: &str) -> &'a [Vec<u8>] {
    &i.bufs.iter().find(|(n, _)| n == name).unwrap().1
}

fn int<'a>(i: &'a Fields, name: &str) -> &'a [u64] {
    &i.ints.iter().find(|(n, _)| n == name).unwrap().1
}

#[test]
fn buffers_and_fields() {
    let (c, s, _) = conversation12();
    let i = drive(&[
        (Dir::ToServer, &c, 1_700_000_000),
        (Dir::ToClient, &s, 1_700_000_001),
    ]);
    assert_eq!(i.done, 1);
    assert_eq!(buf(&i, "tls.sni"), [b"cam.local".to_vec()]);
    assert_eq!(
        buf(&i, "tls.cert_subject"),
        [b"C=DE, O=Acme Cams, CN=cam.local".to_vec()]
    );
    assert_eq!(
        buf(&i, "tls.cert_issuer"),
        [b"C=DE, O=Palisade Test, CN=Palisade Test CA".to_vec()]
    );
    assert_eq!(buf(&i, "tls.cert_serial")[0].len(), 20 * 3 - 1);
    assert_eq!(buf(&i, "tls.cert_fingerprint")[0].len(), 20 * 3 - 1);
    assert_eq!(buf(&i, "tls.certs"), [LEAF.to_vec(), CA.to_vec()]);
    assert_eq!(
        buf(&i, "ja3.hash"),
        [b"9a5a700ee1ee5a60eab955a34271149a".to_vec()]
    );
    assert_eq!(buf(&i, "ja3s.string"), [b"771,49199,65281-16".to_vec()]);
    assert_eq!(
        buf(&i, "ja4.hash"),
        [b"t12d0306h2_b80a1783d7a2_1bc6bb69c5dd".to_vec()]
    );
    assert!(buf(&i, "http.uri").is_empty());
    assert_eq!(int(&i, "tls.version"), [0x0303]);
    assert_eq!(int(&i, "tls.cert_expired"), [0]);
    assert!(int(&i, "mqtt.type").is_empty());
}

#[test]
fn cert_expired_against_packet_time() {
    let (c, s, _) = conversation12();
    // The Certificate's packet one second after LEAF's notAfter.
    let i = drive(&[
        (Dir::ToServer, &c, 1),
        (Dir::ToClient, &s, LEAF_NOT_AFTER + 1),
    ]);
    assert_eq!(int(&i, "tls.cert_expired"), [1]);
    let i = drive(&[(Dir::ToServer, &c, 1), (Dir::ToClient, &s, LEAF_NOT_AFTER)]);
    assert_eq!(int(&i, "tls.cert_expired"), [0]);
}

#[test]
fn self_signed_certificate() {
    let mut s = record(22, &server_hello(&[], 0xc02f, &[]));
    s.extend(record(22, &certificate(&[SELF])));
    let out = run(
        &SPEC,
        &[
            (Dir::ToServer, &record(22, &hello12())),
            (Dir::ToClient, &s),
        ],
    );
    let log = &out.txs[0].log;
    // openssl x509 -noout -subject -issuer -serial -fingerprint -sha1 of SELF.
    assert_eq!(log["subject"], "CN=cam.local");
    assert_eq!(log["issuerdn"], "CN=cam.local");
    assert_eq!(log["self_signed"], true);
    assert_eq!(
        log["serial"],
        "53:3D:E1:2C:D1:77:87:43:38:20:84:9D:97:B9:7E:FB:2F:56:4B:0B"
    );
    assert_eq!(
        log["fingerprint"],
        "4c:71:7e:9f:cc:d6:bd:7e:ee:32:7b:60:88:e7:b0:d1:02:0e:f8:34"
    );
    assert_eq!(log["notafter"], "2026-11-27T00:42:58");
}

// ---- TLS 1.3 ----

fn hello13() -> Vec<u8> {
    client_hello(
        0x0303,
        &[7; 32],
        &[0x1301, 0x1302],
        &[
            sni(b"broker.example"),
            versions(&[0x3a3a, 0x0304, 0x0303]),
            ext(10, &list16(&[0x001d])),
            ext(13, &list16(&[0x0403])),
            ext(51, &[0, 0]),
        ],
    )
}

#[test]
fn tls13_completes_at_first_encrypted_record() {
    let c = record(22, &hello13());
    let mut s = record(
        22,
        &server_hello(&[7; 32], 0x1301, &[versions13(), ext(51, &[0, 0x1d, 0, 0])]),
    );
    // The compatibility ChangeCipherSpec does not complete the handshake...
    s.extend(record(20, &[1]));
    let enc = record(23, &[0x55; 200]);
    let out = assert_resegmentation(
        &SPEC,
        &[
            (Dir::ToServer, &c),
            (Dir::ToClient, &s),
            (Dir::ToClient, &enc),
            (Dir::ToServer, &enc),
        ],
    );
    assert_eq!(out.txs.len(), 1);
    let log = &out.txs[0].log;
    assert_eq!(log["version"], "TLS 1.3");
    assert_eq!(log["client_version"], "TLS 1.2");
    assert_eq!(log["sni"], "broker.example");
    // JA3S keeps the legacy version; supported_versions is extension 43.
    assert_eq!(log["ja3s"]["string"], "771,4865,43-51");
    assert!(log.get("subject").is_none());
    // The client resent its session id: not a resumption in TLS 1.3.
    assert!(log.get("session_resumed").is_none());
    // JA4: t13 (supported_versions, GREASE ignored) d 02 05 00 (no ALPN);
    // printf %s 1301,1302 | sha256sum -> 62ed6f6ca7ad;
    // printf %s 000a,000d,002b,0033_0403 | sha256sum -> 1b583af8cc09.
    assert_eq!(log["ja4"], "t13d020500_62ed6f6ca7ad_1b583af8cc09");
    // ...the first encrypted record does.
    let mut p = (SPEC.new_parser)();
    let mut out = Collect::default();
    let ts = Timestamp::from_secs_nanos(1, 0);
    for (dir, data) in [(Dir::ToServer, &c), (Dir::ToClient, &s)] {
        p.parse(Input { dir, data, ts }, &mut out).unwrap();
    }
    assert!(out.txs.is_empty());
    p.parse(
        Input {
            dir: Dir::ToClient,
            data: &enc,
            ts,
        },
        &mut out,
    )
    .unwrap();
    assert_eq!(out.txs.len(), 1);
    let i = drive(&[(Dir::ToServer, &c, 1), (Dir::ToClient, &s, 2)]);
    assert_eq!(int(&i, "tls.version"), [0x0304]);
}

fn versions13() -> Vec<u8> {
    ext(43, &u16b(0x0304))
}

#[test]
fn hello_retry_request() {
    const HRR: [u8; 32] = [
        0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8,
        0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8,
        0x33, 0x9c,
    ];
    let c1 = record(22, &hello13());
    let mut s1 = record(
        22,
        &server_hello_random(&HRR, &[7; 32], 0x1301, &[versions13()]),
    );
    s1.extend(record(20, &[1]));
    // The client's dummy ChangeCipherSpec and second hello.
    let mut c2 = record(20, &[1]);
    c2.extend(record(
        22,
        &client_hello(0x0303, &[7; 32], &[0x1301], &[versions(&[0x0304])]),
    ));
    let mut s2 = record(22, &server_hello(&[7; 32], 0x1301, &[versions13()]));
    s2.extend(record(23, &[1; 20]));
    let out = assert_resegmentation(
        &SPEC,
        &[
            (Dir::ToServer, &c1),
            (Dir::ToClient, &s1),
            (Dir::ToServer, &c2),
            (Dir::ToClient, &s2),
        ],
    );
    assert_eq!(out.txs.len(), 1);
    assert_eq!(out.updates, vec![(0, Dir::ToServer)]);
    // The first hello fingerprints the client.
    assert_eq!(
        out.txs[0].log["ja4"],
        "t13d020500_62ed6f6ca7ad_1b583af8cc09"
    );
    assert_eq!(out.txs[0].log["version"], "TLS 1.3");
}

#[test]
fn session_resumption() {
    let sid = [9u8; 32];
    let c = record(22, &client_hello(0x0303, &sid, &[0xc02f], &[]));
    let mut s = record(22, &server_hello(&sid, 0xc02f, &[]));
    s.extend(record(20, &[1]));
    s.extend(record(22, &[0x77; 40]));
    let out = assert_resegmentation(&SPEC, &[(Dir::ToServer, &c), (Dir::ToClient, &s)]);
    let log = &out.txs[0].log;
    assert_eq!(log["session_resumed"], true);
    assert!(log.get("subject").is_none());
    // No extensions: empty JA3 fields, JA4 extension hash of nothing;
    // printf %s c02f | sha256sum -> f06271c2b022.
    assert_eq!(log["ja3"]["string"], "771,49199,,,");
    assert_eq!(log["ja3s"]["string"], "771,49199,");
    assert_eq!(log["ja4"], "t12i010000_f06271c2b022_000000000000");
}

// ---- fingerprints against published values ----

/// The JA4 specification's example (FoxIO `technical_details/JA4.md`,
/// also the unit test of FoxIO's Rust implementation).
#[test]
fn ja4_specification_example() {
    let exts: Vec<u16> = vec![
        0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d, 0x0005, 0x0023, 0x0012,
        0x002b, 0xff01, 0x000b, 0x000a, 0x0015,
    ];
    let mut ch = ClientHello {
        version: 0x0303,
        ciphers: vec![
            0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014,
            0x009c, 0x009d, 0x002f, 0x0035,
        ],
        extensions: exts,
        alpns: vec![b"h2"],
        sig_algs: vec![
            0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601,
        ],
        supported_versions: vec![0x0304, 0x0303],
        ..ClientHello::default()
    };
    assert_eq!(ja4(&ch), "t13d1516h2_8daaf6152771_e5627efa2ab1");
    let (_, b, c) = ja4_raw(&ch);
    assert_eq!(
        b,
        "002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9"
    );
    assert_eq!(
        c,
        "0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601"
    );
    // "If there are no signature algorithms ... the string ends without an
    // underscore": the specification's 6d807ffa2a79.
    ch.sig_algs.clear();
    assert!(ja4(&ch).ends_with("_6d807ffa2a79"));
    // ALPN ends (FoxIO reference): http/1.1 -> h1, one byte twice, bytes
    // >= 0x80 as 9, control bytes -> 99; no ciphers hash to zeros.
    for (a, want) in [
        (&b"http/1.1"[..], "h1"),
        (b"x", "xx"),
        (b"\xba\xad", "99"),
        (b"h\xff", "h9"),
        (b"h\x1f", "99"),
    ] {
        ch.alpns = vec![a];
        assert_eq!(&ja4(&ch)[8..10], want, "{a:?}");
    }
    ch.alpns = vec![b"h2"];
    ch.ciphers.clear();
    assert!(ja4(&ch).starts_with("t13d0016h2_000000000000_"));
}

/// A Chrome ClientHello as published by a fingerprinting service
/// (browserleaks: ja3_text, ja3_hash, ja4, ja4_r), with Chrome's GREASE
/// values added; JA3 and JA4 must ignore them.
#[test]
fn chrome_hello_ja3_ja4() {
    let g = 0x5a5a;
    let body = client_hello(
        0x0303,
        &[3; 32],
        &[
            g, 4865, 4866, 4867, 49195, 49199, 49196, 49200, 52393, 52392, 49171, 49172, 156, 157,
            47, 53,
        ],
        &[
            ext(0x2a2a, &[]),
            ext(45, &[1, 1]),
            ext(51, &[0, 0]),
            alpn(&[b"h2", b"http/1.1"]),
            ext(65037, &[0; 8]),
            ext(23, &[]),
            ext(17613, &[0, 3, 2, b'h', b'2']),
            sni(b"tls.browserleaks.com"),
            ext(11, &[1, 0]),
            ext(10, &list16(&[0x8a8a, 4588, 29, 23, 24])),
            versions(&[0x6a6a, 0x0304, 0x0303]),
            ext(65281, &[0]),
            ext(35, &[]),
            ext(18, &[]),
            ext(5, &[1, 0, 0, 0, 0]),
            ext(
                13,
                &list16(&[
                    0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601,
                ]),
            ),
            ext(27, &[2, 0, 2]),
            ext(0xbaba, &[0]),
        ],
    );
    let out = run(&SPEC, &[(Dir::ToServer, &record(22, &body))]);
    let log = &out.txs[0].log;
    assert_eq!(
        log["ja3"]["string"],
        "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,45-51-16-65037-23-17613-0-11-10-43-65281-35-18-5-13-27,4588-29-23-24,0"
    );
    assert_eq!(log["ja3"]["hash"], "98487aa16281980e7d1120d399efb6a4");
    assert_eq!(log["ja4"], "t13d1516h2_8daaf6152771_d8a2da3f94cd");
    assert_eq!(log["version"], "UNDETERMINED");
    assert!(out.txs[0].events.is_empty());
    let ch = parser::client_hello(&body[4..]).unwrap();
    assert_eq!(ja3(&ch).1, "98487aa16281980e7d1120d399efb6a4");
}

// ---- the real capture ----

/// `openssl s_server -cert leaf.pem -cert_chain ca.pem -alpn http/1.1` on
/// 127.0.0.1:8443, captured with dumpcap on lo, against two `openssl
/// s_client -servername cam.local -alpn h2,http/1.1` runs: `-tls1_2`
/// then `-tls1_3`.
fn openssl_capture() -> Vec<crate::conversations::Conversation> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/tls-openssl.pcap");
    crate::conversations::from_pcap(&p)
}

#[test]
fn openssl_capture_matches_tshark() {
    let convs = openssl_capture();
    assert_eq!(convs.len(), 2);
    let mut logs = Vec::new();
    for conv in &convs {
        assert_eq!(conv.server_port, 8443);
        let chunks = conv.borrowed();
        let (proto, out) = run_flow(crate::Transport::Tcp, conv.server_port, &chunks);
        assert_eq!(proto, Some("tls"));
        assert_eq!(out.txs.len(), 1);
        assert!(out.txs[0].events.is_empty(), "{:?}", out.txs[0].events);
        assert!(out.events.is_empty(), "{:?}", out.events);
        logs.push(out.txs[0].log.clone());
    }
    // tshark -r tls-openssl.pcap -Y tls.handshake -T fields
    //   -e tls.handshake.extensions_server_name -e tls.handshake.ja3
    //   -e tls.handshake.ja3_full -e tls.handshake.ja3s -e tls.handshake.ja3s_full
    let (t12, t13) = (&logs[0], &logs[1]);
    assert_eq!(t12["sni"], "cam.local");
    assert_eq!(t12["ja3"]["hash"], "22558766122974704364c9c75c5cce0a");
    assert_eq!(
        t12["ja3"]["string"],
        "771,49196-49200-159-52393-52392-52394-49195-49199-158-49188-49192-107-49187-49191-103-49162-49172-57-49161-49171-51-157-156-61-60-53-47-255,0-11-10-35-16-22-23-13,29-23-30-25-24,0-1-2"
    );
    assert_eq!(t12["ja3s"]["hash"], "e195432758194ce2d482396b82e0d48e");
    assert_eq!(t12["ja3s"]["string"], "771,49196,65281-11-35-16-23");
    assert_eq!(t13["sni"], "cam.local");
    assert_eq!(t13["ja3"]["hash"], "9dffdb8b608a430b774a2ff7d36c1a0c");
    assert_eq!(
        t13["ja3"]["string"],
        "771,4866-4867-4865-255,0-11-10-35-16-22-23-13-43-45-51,29-23-30-25-24-256-257-258-259-260,0-1-2"
    );
    assert_eq!(t13["ja3s"]["hash"], "15af977ce25de452b96affa2addb1036");
    assert_eq!(t13["ja3s"]["string"], "771,4866,43-51");
    // tshark 4.0 has no JA4 field. Computed by hand from tshark's
    // tls.handshake.ciphersuite / extension.type / sig_hash_alg values
    // (sorted, sha256sum, 12 hex) and confirmed with ja4plus 1.4.0
    // (`ja4plus --types ja4,ja4s analyze tls-openssl.pcap`).
    assert_eq!(t12["ja4"], "t12d2808h2_d943125447b4_e7e480e5a997");
    assert_eq!(t13["ja4"], "t13d0411h2_16476d049b0b_78f1d400d464");
    // tshark -e tls.handshake.version -e tls.handshake.extensions.supported_version
    //   -e tls.handshake.extensions_alpn_str (ServerHello)
    assert_eq!(t12["version"], "TLS 1.2");
    assert_eq!(t13["version"], "TLS 1.3");
    assert_eq!(t12["client_alpns"], json!(["h2", "http/1.1"]));
    assert_eq!(t12["server_alpns"], json!(["http/1.1"]));
    // TLS 1.3 certificates and ALPN answer are encrypted.
    assert!(t13.get("server_alpns").is_none());
    assert!(t13.get("subject").is_none());
    // tshark -e x509af.serialNumber; the SHA-1 of the first
    // tls.handshake.certificate (xxd -r -p | sha1sum).
    assert_eq!(t12["subject"], "C=DE, O=Acme Cams, CN=cam.local");
    assert_eq!(
        t12["serial"],
        "0C:98:4E:CA:AC:F6:18:0C:55:62:B4:E5:52:BF:8B:B9:A3:4E:C4:70"
    );
    assert_eq!(
        t12["fingerprint"],
        "fe:12:2c:80:fa:fc:81:ef:37:ea:a5:64:b1:36:a4:6e:56:14:97:c0"
    );
    // Not expired when the server sent it (2026-11-26).
    assert_eq!(t12["cert_expired"], false);
}

#[test]
fn openssl_capture_resegmentation() {
    // Prefixes keep the test fast: the TLS 1.2 ClientHello and the
    // server's whole first flight (ServerHello .. ServerHelloDone); the
    // TLS 1.3 ClientHello and the server's first 150 bytes (ServerHello,
    // the dummy ChangeCipherSpec, the first encrypted record's header).
    for (conv, keep) in openssl_capture().iter().zip([1300, 411]) {
        let mut left = keep;
        let mut chunks = Vec::new();
        for (dir, c) in conv.borrowed() {
            let n = c.len().min(left);
            if n == 0 {
                break;
            }
            chunks.push((dir, &c[..n]));
            left -= n;
        }
        let whole = assert_resegmentation(&SPEC, &chunks);
        assert_eq!(whole.txs.len(), 1);
        assert!(whole.txs[0].events.is_empty());
        assert!(whole.txs[0].log.get("ja3s").is_some());
    }
}

// ---- SSLv2 hello ----

/// An SSLv2-format CLIENT-HELLO offering TLS 1.0 (RFC 5246 E.2): three
/// cipher specs, no session id, a 16-byte challenge.
fn sslv2_hello() -> Vec<u8> {
    let mut body = vec![1, 0x03, 0x01, 0, 9, 0, 0, 0, 16];
    body.extend_from_slice(&[0x00, 0x00, 0x2f, 0x01, 0x00, 0x80, 0x00, 0x00, 0xff]);
    body.extend_from_slice(&[0xab; 16]);
    let mut r = vec![0x80 | (body.len() >> 8) as u8, body.len() as u8];
    r.extend_from_slice(&body);
    r
}

#[test]
fn sslv2_client_hello() {
    let mut s = record(22, &server_hello(&[], 0x002f, &[]));
    s.extend(record(22, &hs(14, &[])));
    let out = assert_resegmentation(
        &SPEC,
        &[(Dir::ToServer, &sslv2_hello()), (Dir::ToClient, &s)],
    );
    assert_eq!(out.updates, vec![(0, Dir::ToServer)]);
    let log = &out.txs[0].log;
    assert_eq!(log["sslv2_hello"], true);
    assert_eq!(log["client_version"], "TLSv1");
    assert_eq!(log["version"], "TLS 1.2");
    assert!(log.get("ja3").is_none());
    let h = parser::sslv2_client_hello(&sslv2_hello()).unwrap();
    assert_eq!(h.version, 0x0301);
    assert_eq!(h.cipher_specs, vec![0x00002f, 0x010080, 0x0000ff]);
    // A pure SSLv2 exchange: the server answers in SSLv2 too.
    let mut v2 = sslv2_hello();
    v2[3..5].copy_from_slice(&[0, 2]);
    let server = [0x80, 0x07, 4, 0, 1, 0, 2, 0, 0];
    let out = run(&SPEC, &[(Dir::ToServer, &v2), (Dir::ToClient, &server)]);
    assert_eq!(out.txs[0].log["version"], "SSLv2");
    assert_eq!(out.txs[0].log["client_version"], "SSLv2");
    // Garbage in SSLv2 form.
    let out = run(&SPEC, &[(Dir::ToServer, &[0x80, 3, 9, 9, 9])]);
    assert_eq!(out.txs[0].events, vec!["tls.invalid_ssl_record"]);
}

// ---- anomalies and bounds ----

#[test]
fn record_layer_events() {
    let c = record(22, &hello12());
    // A heartbeat, then a record far too long (skipped by its length),
    // then a handshake still read, then garbage that stops the direction.
    let mut s = record(24, &[1, 0x40, 0]);
    let mut long = vec![22, 3, 3, 0xff, 0xff];
    long.extend(vec![0u8; 0xffff]);
    s.extend(long);
    s.extend(record(22, &server_hello(&[], 0xc02f, &[])));
    s.extend(b"HTTP/1.1 400 Bad Request\r\n\r\n");
    let out = run(&SPEC, &[(Dir::ToServer, &c), (Dir::ToClient, &s)]);
    let tx = &out.txs[0];
    assert_eq!(
        tx.events,
        vec![
            "tls.heartbeat_message",
            "tls.invalid_record_length",
            "tls.invalid_record_type"
        ]
    );
    assert_eq!(tx.log["version"], "TLS 1.2");
    let out = run(&SPEC, &[(Dir::ToServer, &[0x30, 3, 3, 0, 1, 0])]);
    assert_eq!(out.txs[0].events, vec!["tls.invalid_record_type"]);
    let out = run(&SPEC, &[(Dir::ToServer, &[22, 4, 0, 0, 1, 0])]);
    assert_eq!(out.txs[0].events, vec!["tls.invalid_record_version"]);
}

#[test]
fn handshake_message_events() {
    // Two SNI extensions, the first with a non-host_name type; an unknown
    // handshake type; a certificate that is not X.509.
    let mut bad_sni = sni(b"a.example");
    bad_sni[6] = 7;
    let ch = client_hello(0x0303, &[], &[0x002f], &[bad_sni, sni(b"b.example")]);
    let mut c = record(22, &ch);
    c.extend(record(22, &hs(99, &[])));
    let mut s = record(22, &server_hello(&[], 0x002f, &[]));
    s.extend(record(22, &certificate(&[b"\x30\x03\x02\x01\x01"])));
    let out = assert_resegmentation(&SPEC, &[(Dir::ToServer, &c), (Dir::ToClient, &s)]);
    let tx = &out.txs[0];
    assert_eq!(
        tx.events,
        vec![
            "tls.invalid_sni_type",
            "tls.multiple_sni_extensions",
            "tls.invalid_handshake_message",
            "tls.certificate_invalid_der",
        ]
    );
    assert!(tx.log.get("sni").is_none());
    assert!(tx.log.get("subject").is_none());
    // A certificate list whose entries overrun it.
    let mut cert = certificate(&[LEAF]);
    cert[9] ^= 0x10;
    let mut s = record(22, &server_hello(&[], 0x002f, &[]));
    s.extend(record(22, &cert));
    let out = run(&SPEC, &[(Dir::ToClient, &s)]);
    assert_eq!(out.txs[0].events, vec!["tls.invalid_certificate"]);
    // A truncated ClientHello (its handshake length says more than the
    // hello holds).
    let mut short = hello12();
    short.truncate(60);
    let n = short.len() - 4;
    short[1..4].copy_from_slice(&[0, (n >> 8) as u8, n as u8]);
    let out = run(&SPEC, &[(Dir::ToServer, &record(22, &short))]);
    assert_eq!(out.txs[0].events, vec!["tls.handshake_invalid_length"]);
}

#[test]
fn oversized_handshake_message_is_skipped() {
    // A 70 000-byte certificate_status message over five records, then a
    // ServerHello that is still read.
    let big = hs(22, &vec![0x5a; 70_000]);
    let mut s = Vec::new();
    for part in big.chunks(16_000) {
        s.extend(record(22, part));
    }
    s.extend(record(22, &server_hello(&[], 0x1301, &[])));
    let out = run(&SPEC, &[(Dir::ToClient, &s)]);
    assert_eq!(out.txs[0].events, vec!["tls.handshake_too_large"]);
    assert_eq!(out.txs[0].log["ja3s"]["string"], "771,4865,");
}

#[test]
fn hostile_lists_are_cut() {
    let ciphers: Vec<u16> = (1..=2000).collect();
    let out = run(
        &SPEC,
        &[(
            Dir::ToServer,
            &record(22, &client_hello(0x0303, &[], &ciphers, &[])),
        )],
    );
    let tx = &out.txs[0];
    assert_eq!(tx.events, vec!["tls.list_too_long"]);
    let s = tx.log["ja3"]["string"].as_str().unwrap();
    assert_eq!(
        s.split(',').nth(1).unwrap().split('-').count(),
        parser::MAX_LIST
    );
    assert_eq!(&tx.log["ja4"].as_str().unwrap()[..10], "t12i990000");
    let groups: Vec<u16> = (1..=300).collect();
    let ch = client_hello(0x0303, &[], &[0x002f], &[ext(10, &list16(&groups))]);
    let out = run(&SPEC, &[(Dir::ToServer, &record(22, &ch))]);
    assert_eq!(out.txs[0].events, vec!["tls.list_too_long"]);
    let s = out.txs[0].log["ja3"]["string"].as_str().unwrap();
    assert_eq!(
        s.split(',').nth(3).unwrap().split('-').count(),
        parser::MAX_LIST
    );
}

#[test]
fn gaps() {
    let (c, s, _) = conversation12();
    let app = record(23, &[0x42; 1000]);
    let hb = record(24, &[0; 3]);
    // A gap inside application data keeps the record walk in sync: the
    // heartbeat after it is still seen.
    let mut p = (SPEC.new_parser)();
    let mut out = Collect::default();
    feed(
        p.as_mut(),
        &mut out,
        &[
            (Dir::ToServer, &c),
            (Dir::ToClient, &s),
            (Dir::ToServer, &app[..100]),
        ],
    );
    p.gap(Dir::ToServer, 800, &mut out);
    feed(
        p.as_mut(),
        &mut out,
        &[(Dir::ToServer, &app[900..]), (Dir::ToServer, &hb)],
    );
    p.finish(&mut out);
    assert_eq!(out.txs.len(), 1);
    assert_eq!(out.events, vec![(Dir::ToServer, "tls.heartbeat_message")]);
    // A gap across a record boundary stops the direction.
    let mut p = (SPEC.new_parser)();
    let mut out = Collect::default();
    feed(p.as_mut(), &mut out, &[(Dir::ToServer, &c[..10])]);
    p.gap(Dir::ToServer, 10_000, &mut out);
    feed(p.as_mut(), &mut out, &[(Dir::ToServer, &hb)]);
    p.finish(&mut out);
    assert!(out.txs.is_empty());
    assert!(out.events.is_empty());
}

#[test]
fn helpers() {
    assert!(parser::is_grease(0x0a0a) && parser::is_grease(0xfafa));
    assert!(!parser::is_grease(0x0a1a) && !parser::is_grease(0x1301));
    assert_eq!(parser::iso_time(1_478_131_200), "2016-11-03T00:00:00");
    assert_eq!(parser::iso_time(-1), "1969-12-31T23:59:59");
    assert_eq!(parser::iso_time(253_402_300_799), "9999-12-31T23:59:59");
    assert_eq!(parser::version_name(0x0301), "TLSv1");
    assert_eq!(parser::version_name(0x0300), "SSLv3");
    assert_eq!(parser::version_name(0x7f1c), "TLS 1.3 draft-28");
    assert_eq!(parser::version_name(0xfefd), "0xfefd");
}

/// The fuzz driver's selector byte for TLS.
fn tls_index() -> u8 {
    crate::registry::PROTOCOLS
        .iter()
        .position(|p| p.name == "tls")
        .unwrap() as u8
}

#[test]
fn fuzz_driver_on_tls() {
    // The fuzz driver's own cut of a handshake, as a smoke test of gaps
    // and odd chunking through identification.
    let (c, s, f) = conversation12();
    let mut input = vec![tls_index()];
    for (dir, data) in [(0u8, &c), (0x80, &s), (0, &f)] {
        for chunk in data.chunks(100) {
            input.push(dir | chunk.len() as u8);
            input.extend_from_slice(chunk);
        }
        input.push(dir);
    }
    crate::testing::fuzz_drive(&input);
}

#[test]
fn mutated_handshakes_do_not_panic() {
    // Deterministic byte flips over a whole conversation (xorshift), fed
    // whole and through the fuzz driver's cutting.
    let (c, s, f) = conversation12();
    let mut rng = XorShift::new(0x9e37_79b9_7f4a_7c15);
    let mut next = move || rng.next_u64();
    for _ in 0..300 {
        let mut parts = [c.clone(), s.clone(), f.clone()];
        for _ in 0..1 + next() % 4 {
            let p = &mut parts[(next() % 3) as usize];
            let i = (next() as usize) % p.len();
            p[i] ^= 1 << (next() % 8);
        }
        let [c, s, f] = &parts;
        run(
            &SPEC,
            &[(Dir::ToServer, c), (Dir::ToClient, s), (Dir::ToServer, f)],
        );
        let mut input = vec![tls_index()];
        for (dir, data) in [(0u8, c), (0x80, s), (0, f)] {
            for chunk in data.chunks(1 + (next() % 127) as usize) {
                input.push(dir | chunk.len() as u8);
                input.extend_from_slice(chunk);
            }
        }
        crate::testing::fuzz_drive(&input);
    }
}
