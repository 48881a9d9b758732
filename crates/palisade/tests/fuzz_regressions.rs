//! Replays every input the fuzzers ever crashed on (fuzz/regressions/<target>/)
//! through the same harness as the fuzz target, plus a few seeds.

use std::path::Path;

fn replay(target: &str, f: fn(&[u8])) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/regressions")
        .join(target);
    let mut n = 0;
    if let Ok(rd) = std::fs::read_dir(&dir) {
        let mut files: Vec<_> = rd.flatten().map(|e| e.path()).collect();
        files.sort();
        for p in files {
            let data = std::fs::read(&p).unwrap();
            eprintln!("replaying {}", p.display());
            f(&data);
            n += 1;
        }
    }
    n
}

#[test]
fn capture_reader_regressions() {
    replay("capture_reader", palisade::harness::capture_reader);
    // seeds: empty, magic only, a header with a huge snaplen
    palisade::harness::capture_reader(b"");
    palisade::harness::capture_reader(&[0xd4, 0xc3, 0xb2, 0xa1]);
    palisade::harness::capture_reader(&[0x0a, 0x0d, 0x0d, 0x0a, 0xff, 0xff, 0xff, 0xff]);
}

#[test]
fn decode_regressions() {
    replay("decode", palisade::harness::decode);
    palisade::harness::decode(&[]);
    palisade::harness::decode(&[1, 0x45]);
}

#[test]
fn flow_engine_regressions() {
    replay("flow_engine", palisade::harness::flow_engine);
    palisade::harness::flow_engine(&[0xff; 64]);
}

#[test]
fn rules_regressions() {
    replay("rules", palisade::harness::rules);
    palisade::harness::rules(b"");
    palisade::harness::rules(b"alert tcp any any -> any any (content:\"a\"; byte_jump:4,0,relative; pcre:\"/a+$/R\"; sid:1;)\0aaaa\xff\xff\xff\xff");
    palisade::harness::rules(b"alert tcp any any -> any any (content:\"|\"; sid:1;)\nalert ip [[[[[[ any -> any any (sid:2;)\0");
}

#[test]
fn proto_regressions() {
    replay("proto", palisade::harness::proto);
    palisade::harness::proto(b"");
    // every protocol and the identification paths, with a few odd chunks
    for sel in 0u8..32 {
        let mut d = vec![sel];
        d.extend_from_slice(
            b"\x10SSH-2.0-x\r\nGET / HTTP/1.1\x00\x85\xff\xfb\x01\x10\x20\x03MQTT\x82\x90\x00",
        );
        palisade::harness::proto(&d);
    }
}

#[test]
fn sensor_regressions() {
    replay("sensor", palisade::harness::sensor);
    // seeds: a /metrics request, garbage, a packet
    palisade::harness::sensor(b"\x00GET /metrics HTTP/1.1\r\n\r\n");
    palisade::harness::sensor(b"\x00\xff\xfe GET");
    palisade::harness::sensor(&[1, 0, 0x45, 0, 0, 20]);
}

#[test]
fn fleet_regressions() {
    replay("fleet", palisade::harness::fleet);
    for seed in [
        &b"\x00V5.5.800 build 210628V5.5.52 build 180620"[..],
        b"\x01[[rule]]\nid='a'\nkind='k'\npattern='(?P<vendor>.*)'\n",
        b"\x02{\"advisories\":[{\"id\":\"X\",\"title\":\"t\",\"remediation\":\"r\",\"affected\":[{\"vendor\":\"Hikvision\",\"ranges\":[{\"build_before\":999999}]}]}]}",
        b"\x03http.url\x00/firmware/check?model=%ff%&version=%%\x00oui.vendor\x00Hikvision",
        b"\x04{\"ietf-mud:mud\": {}}",
        b"\x00",
        b"",
    ] {
        palisade::harness::fleet(seed);
    }
}
