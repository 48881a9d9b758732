use super::*;
use crate::conversations::{from_pcap, shared_pcap};
use crate::parser::{AppTx, Dir, Input, Parser, Sink, TxUpdate};
use crate::testing::{buffer, run, run_flow};
use palisade_event::Timestamp;
use serde_json::json;

#[test]
fn ndpi_capture_requests() {
    // tshark -r ../shared/data/pcaps/ndpi/tftp.pcap -Y 'udp.dstport==69' \
    //   -T fields -e tftp.opcode -e tftp.source_file -e tftp.destination_file -e tftp.type
    // gives, for the six requests to port 69 (tftp.type of the first is
    // empty: its mode is an empty string, "octet" comes after padding):
    //   1 "" "" ""; 1 "" "" octet; 1 rfc1350.txt octet; 1 sysman.lis octet;
    //   2 zz.bin netascii; 2 empty100KB octet (blksize 1468, tsize 100000).
    // The DATA/ACK/OACK packets come from the servers' new ports: other
    // flows, which are not identified.
    let convs = from_pcap(&shared_pcap("ndpi/tftp.pcap"));
    let mut seen = Vec::new();
    for c in &convs {
        let (proto, out) = run_flow(c.transport, c.server_port, &c.borrowed());
        if c.server_port != 69 {
            assert_eq!(proto, None, "flow to port {}", c.server_port);
            continue;
        }
        assert_eq!(proto, Some("tftp"));
        for t in &out.txs {
            seen.push((
                t.log["packet"].as_str().unwrap().to_string(),
                t.log["file"].as_str().unwrap().to_string(),
                t.log["mode"].as_str().unwrap().to_string(),
                t.events.clone(),
            ));
            if t.log["file"] == "empty100KB" {
                assert_eq!(
                    t.log["options"],
                    json!({"blksize": "1468", "tsize": "100000"})
                );
            }
        }
    }
    // Flow ids do not follow packet order: compare sorted.
    seen.sort();
    let s = |p: &str, f: &str, m: &str, e: &[&'static str]| {
        (p.to_string(), f.to_string(), m.to_string(), e.to_vec())
    };
    assert_eq!(
        seen,
        vec![
            s("read", "", "", &["tftp.invalid_mode"]),
            s("read", "", "octet", &[]),
            s("read", "rfc1350.txt", "octet", &[]),
            s("read", "sysman.lis", "octet", &[]),
            s("write", "empty100KB", "octet", &[]),
            s("write", "zz.bin", "netascii", &[]),
        ]
    );
}

#[test]
fn transfer_on_the_same_flow() {
    let rrq = b"\x00\x01firmware.bin\x00OCTET\x00blksize\x001024\x00tsize\x000\x00";
    let data1 = [&b"\x00\x03\x00\x01"[..], &[0xaa; 1024]].concat();
    let ack1 = b"\x00\x04\x00\x01";
    let data2 = b"\x00\x03\x00\x02tail";
    let out = run(
        &SPEC,
        &[
            (Dir::ToServer, rrq),
            (Dir::ToClient, b"\x00\x06blksize\x001024\x00"),
            (Dir::ToClient, &data1),
            (Dir::ToServer, ack1),
            (Dir::ToClient, data2),
            (Dir::ToServer, b"\x00\x04\x00\x02"),
        ],
    );
    assert_eq!(out.updates, vec![(0, Dir::ToServer)]);
    assert_eq!(out.txs.len(), 1);
    assert_eq!(
        out.txs[0].log,
        json!({
            "packet": "read", "file": "firmware.bin", "mode": "octet",
            "options": {"blksize": "1024", "tsize": "0"},
            "data_packets": 2, "data_bytes": 1028, "ack_packets": 2,
        })
    );

    // A write refused with an ERROR, then another request.
    let out = run(
        &SPEC,
        &[
            (Dir::ToServer, b"\x00\x02/tmp/x.sh\x00netascii\x00"),
            (Dir::ToClient, b"\x00\x05\x00\x02Access violation\x00"),
            (Dir::ToServer, b"\x00\x01a\x00mail\x00"),
        ],
    );
    assert_eq!(out.txs.len(), 2);
    assert_eq!(
        out.txs[0].log,
        json!({"packet": "write", "file": "/tmp/x.sh", "mode": "netascii",
               "error_code": 2, "error_message": "Access violation"})
    );
    assert_eq!(out.txs[1].log["file"], "a");

    // The file name is the tftp.file buffer, as soon as the request is in.
    struct Files(Vec<Vec<u8>>);
    impl Sink for Files {
        fn tx(&mut self, tx: &dyn AppTx, _: TxUpdate) {
            self.0.extend(buffer(tx, "tftp.file"));
        }
        fn event(&mut self, _: Dir, _: &'static str) {}
    }
    let mut files = Files(Vec::new());
    let mut p = TftpParser::default();
    let ts = Timestamp::from_secs_nanos(1, 0);
    let input = Input {
        dir: Dir::ToServer,
        data: rrq,
        ts,
    };
    p.parse(input, &mut files).unwrap();
    let files = files.0;
    assert_eq!(files, vec![b"firmware.bin".to_vec()]);
}

#[test]
fn hostile_requests() {
    // 20 option pairs: 16 kept.
    let mut rrq = b"\x00\x01f\x00octet\x00".to_vec();
    for i in 0..20 {
        rrq.extend_from_slice(format!("o{i}\0v\0").as_bytes());
    }
    let out = run(&SPEC, &[(Dir::ToServer, &rrq)]);
    assert_eq!(out.txs[0].events, vec!["tftp.too_many_options"]);
    assert_eq!(out.txs[0].log["options"].as_object().unwrap().len(), 16);
    // No NUL after the file name, an unknown opcode, a runt.
    for bad in [&b"\x00\x01file"[..], b"\x00\x09xx", b"\x00"] {
        let out = run(&SPEC, &[(Dir::ToServer, bad)]);
        assert!(out.txs.is_empty());
        assert_eq!(out.events, vec![(Dir::ToServer, "tftp.malformed_data")]);
    }
    // An unterminated option value is dropped.
    let out = run(
        &SPEC,
        &[(Dir::ToServer, b"\x00\x01f\x00octet\x00blksize\x0015")],
    );
    assert!(out.txs[0].log.get("options").is_none());
}

#[test]
fn probe_needs_a_mode_off_port() {
    let p = |data: &[u8], on_port| {
        probe(&ProbeInput {
            dir: Dir::ToServer,
            data,
            server_port: if on_port { 69 } else { 3000 },
            on_port,
        })
    };
    assert_eq!(p(b"\x00\x01boot.cfg\x00Octet\x00", false), Probe::Match);
    assert_eq!(p(b"\x00\x02up.bin\x00netascii\x00", false), Probe::Match);
    assert_eq!(p(b"\x00\x01boot.cfg\x00binary\x00", false), Probe::NoMatch);
    assert_eq!(p(b"\x00\x01boot.cfg\x00binary\x00", true), Probe::Match);
    assert_eq!(p(b"\x00\x03\x00\x01data", true), Probe::NoMatch);
    assert_eq!(p(b"\x00\x01no-nul", true), Probe::NoMatch);
}
