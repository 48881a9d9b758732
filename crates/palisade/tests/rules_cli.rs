//! Rules end to end: the external-harness contract of `palisade scan`, the
//! built-in rules, `palisade rules check`, and loading the whole ET Open set.

mod common;

use common::*;
use palisade_capture::PcapWriter;
use palisade_event::Timestamp;
use palisade_testbed::craft::eth_ipv4_tcp;
use std::path::Path;

const C: [u8; 4] = [192, 168, 1, 10];
const S: [u8; 4] = [192, 168, 1, 20];

/// A complete TCP session: handshake, one request, one response, FIN.
fn session(path: &Path, request: &[u8], response: &[u8]) {
    let mut w = PcapWriter::new(std::fs::File::create(path).unwrap(), 1, 65535).unwrap();
    let (cs, ss) = (1000u32, 5000u32);
    let r = request.len() as u32;
    let q = response.len() as u32;
    let pkts: Vec<Vec<u8>> = vec![
        eth_ipv4_tcp(C, S, 40000, 80, cs, 0, 0x02, b""),
        eth_ipv4_tcp(S, C, 80, 40000, ss, cs + 1, 0x12, b""),
        eth_ipv4_tcp(C, S, 40000, 80, cs + 1, ss + 1, 0x10, b""),
        eth_ipv4_tcp(C, S, 40000, 80, cs + 1, ss + 1, 0x18, request),
        eth_ipv4_tcp(S, C, 80, 40000, ss + 1, cs + 1 + r, 0x18, response),
        eth_ipv4_tcp(C, S, 40000, 80, cs + 1 + r, ss + 1 + q, 0x11, b""),
        eth_ipv4_tcp(S, C, 80, 40000, ss + 1 + q, cs + 2 + r, 0x11, b""),
        eth_ipv4_tcp(C, S, 40000, 80, cs + 2 + r, ss + 2 + q, 0x10, b""),
    ];
    for (i, p) in pkts.iter().enumerate() {
        w.write_packet(
            Timestamp::from_secs_micros(1_700_000_000, i as u64 * 1000),
            p,
            p.len() as u32,
        )
        .unwrap();
    }
    w.finish().unwrap();
}

#[test]
fn external_harness_contract_and_alert_shape() {
    let tmp = TempDir::new("rules-contract");
    let pcap = tmp.path().join("s.pcap");
    session(
        &pcap,
        b"PUT /SDK/webLanguage HTTP/1.1\r\nHost: cam\r\n\r\n<?xml version=\"1.0\"?><language>$(id>webLib/x)</language>",
        b"HTTP/1.1 500 Internal Server Error\r\n\r\n",
    );
    let rules = tmp.path().join("t.rules");
    std::fs::write(
        &rules,
        "alert tcp any any -> any 80 (msg:\"stream rule\"; flow:established,to_server; content:\"webLanguage\"; classtype:attempted-admin; metadata:created_at 2026_11_25; sid:1000001; rev:2;)\n\
         alert tcp any 80 -> any any (msg:\"response rule\"; flow:to_client; content:\"500 Internal\"; sid:1000002;)\n\
         alert tcp any any -> any any (msg:\"never\"; content:\"no such bytes\"; sid:1000003;)\n\
         alert tcp any any -> any any (msg:\"bad\"; content:\"x\"; nosuchkeyword; sid:1000004;)\n",
    )
    .unwrap();
    let out = tmp.path().join("out");
    let eve = out.join("eve.json");
    let o = palisade()
        .args(["scan", "--quiet", "--no-builtin-rules", "--rules"])
        .arg(&rules)
        .arg("--eve")
        .arg(&eve)
        .arg("--output-dir")
        .arg(&out)
        .arg(&pcap)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("t.rules:4:"),
        "failed rule named by file:line: {stderr}"
    );
    assert!(stderr.contains("1000004"), "{stderr}");
    let text = std::fs::read_to_string(&eve).unwrap();
    let recs: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let alerts: Vec<&serde_json::Value> =
        recs.iter().filter(|r| r["event_type"] == "alert").collect();
    let sids: Vec<u64> = alerts
        .iter()
        .map(|a| a["alert"]["signature_id"].as_u64().unwrap())
        .collect();
    assert_eq!(sids, vec![1000001, 1000002], "{alerts:#?}");
    let a = alerts[0];
    assert_eq!(a["alert"]["action"], "allowed");
    assert_eq!(a["alert"]["gid"], 1);
    assert_eq!(a["alert"]["rev"], 2);
    assert_eq!(a["alert"]["signature"], "stream rule");
    assert_eq!(
        a["alert"]["category"],
        "Attempted Administrator Privilege Gain"
    );
    assert_eq!(a["alert"]["severity"], 1);
    assert_eq!(a["alert"]["metadata"]["created_at"][0], "2026_11_25");
    assert_eq!(a["src_ip"], "192.168.1.10");
    assert_eq!(a["dest_port"], 80);
    assert_eq!(a["proto"], "TCP");
    assert_eq!(a["direction"], "to_server");
    assert!(a["flow_id"].as_u64().is_some());
    assert!(a["pcap_cnt"].as_u64().is_some());
    assert_eq!(alerts[1]["direction"], "to_client");
    assert_eq!(alerts[1]["src_port"], 80);
    let flows: Vec<&serde_json::Value> =
        recs.iter().filter(|r| r["event_type"] == "flow").collect();
    assert_eq!(flows.len(), 1);
    assert_eq!(flows[0]["flow"]["alerted"], true);
    assert_eq!(flows[0]["flow_id"], a["flow_id"]);

    // Nothing matches: an empty EVE file with --eve-types alert, exit 0.
    let none = tmp.path().join("none.rules");
    std::fs::write(
        &none,
        "alert tcp any any -> any any (msg:\"n\"; content:\"zzzz\"; sid:5;)\n",
    )
    .unwrap();
    let eve2 = out.join("empty.json");
    let o = palisade()
        .args([
            "scan",
            "--quiet",
            "--no-builtin-rules",
            "--eve-types",
            "alert",
            "--rules",
        ])
        .arg(&none)
        .arg("--eve")
        .arg(&eve2)
        .arg("--output-dir")
        .arg(&out)
        .arg(&pcap)
        .output()
        .unwrap();
    assert!(o.status.success());
    assert_eq!(std::fs::read_to_string(&eve2).unwrap(), "");

    // --strict-rules fails the run.
    let o = palisade()
        .args(["scan", "--quiet", "--strict-rules", "--rules"])
        .arg(&rules)
        .arg("--output-dir")
        .arg(&out)
        .arg(&pcap)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
}

/// A TCP session whose request is sent in the given segments (each its own
/// packet), then one response and FIN.
fn session_segments(path: &Path, request: &[&[u8]], response: &[u8]) {
    let mut w = PcapWriter::new(std::fs::File::create(path).unwrap(), 1, 65535).unwrap();
    let (mut cs, ss) = (1000u32, 5000u32);
    let q = response.len() as u32;
    let mut pkts: Vec<Vec<u8>> = vec![
        eth_ipv4_tcp(C, S, 40000, 80, cs, 0, 0x02, b""),
        eth_ipv4_tcp(S, C, 80, 40000, ss, cs + 1, 0x12, b""),
        eth_ipv4_tcp(C, S, 40000, 80, cs + 1, ss + 1, 0x10, b""),
    ];
    cs += 1;
    for seg in request {
        pkts.push(eth_ipv4_tcp(C, S, 40000, 80, cs, ss + 1, 0x18, seg));
        cs += seg.len() as u32;
    }
    pkts.push(eth_ipv4_tcp(S, C, 80, 40000, ss + 1, cs, 0x18, response));
    pkts.push(eth_ipv4_tcp(C, S, 40000, 80, cs, ss + 1 + q, 0x11, b""));
    pkts.push(eth_ipv4_tcp(S, C, 80, 40000, ss + 1 + q, cs + 1, 0x11, b""));
    pkts.push(eth_ipv4_tcp(C, S, 40000, 80, cs + 1, ss + 2 + q, 0x10, b""));
    for (i, p) in pkts.iter().enumerate() {
        w.write_packet(
            Timestamp::from_secs_micros(1_700_000_000, i as u64 * 1000),
            p,
            p.len() as u32,
        )
        .unwrap();
    }
    w.finish().unwrap();
}

fn alert_sids(recs: &[serde_json::Value]) -> Vec<u64> {
    recs.iter()
        .filter(|r| r["event_type"] == "alert")
        .map(|a| a["alert"]["signature_id"].as_u64().unwrap())
        .collect()
}

/// The CVE-2021-36260 request of the researcher's write-up
/// (watchfulip.github.io, 2021-09-18): PUT /SDK/webLanguage with an XML
/// body whose <language> holds a shell command substitution.
fn hikvision_put(language: &str) -> Vec<u8> {
    let body = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><language>{language}</language>");
    format!(
        "PUT /SDK/webLanguage HTTP/1.1\r\nHost: cam\r\nX-Requested-With: XMLHttpRequest\r\nContent-Type: application/x-www-form-urlencoded; charset=UTF-8\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[test]
fn builtin_rules_detect_hikvision_injection() {
    let tmp = TempDir::new("rules-builtin");
    let resp: &[u8] = b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n";
    let cases: Vec<(&str, String, Vec<u64>)> = vec![
        ("subst", "$(id>webLib/x)".into(), vec![9400010]),
        ("backtick", "`id>webLib/x`".into(), vec![9400010]),
        ("semicolon", "en;reboot".into(), vec![9400010]),
        ("pipe", "en|reboot".into(), vec![9400010]),
        ("encoded", "%24%28id%29".into(), vec![9400010]),
        ("benign", "English".into(), vec![]),
    ];
    for (name, lang, want) in &cases {
        let req = hikvision_put(lang);
        // whole, and split at awkward places: inside the request line,
        // inside the headers, between "<lang" and "uage>", inside "$(",
        // and one byte at a time for the body
        let at = |s: &str| {
            req.windows(s.len())
                .position(|w| w == s.as_bytes())
                .unwrap_or(req.len() / 2)
        };
        let body_at = at("<?xml");
        let splits: Vec<Vec<usize>> = vec![
            vec![],
            vec![
                5,
                20,
                at("Content-Length") + 3,
                at("<language") + 5,
                at("</language") - 1,
            ],
            (body_at..req.len()).collect(),
        ];
        for (k, cuts) in splits.iter().enumerate() {
            let mut segs: Vec<&[u8]> = Vec::new();
            let mut prev = 0;
            for &c in cuts {
                if c > prev && c < req.len() {
                    segs.push(&req[prev..c]);
                    prev = c;
                }
            }
            segs.push(&req[prev..]);
            let pcap = tmp.path().join(format!("{name}-{k}.pcap"));
            session_segments(&pcap, &segs, resp);
            let (status, recs) = scan(&[&pcap], &[], &tmp.path().join(format!("out-{name}-{k}")));
            assert!(status.success());
            assert_eq!(&alert_sids(&recs), want, "{name} split {k}");
            if !want.is_empty() {
                let a = recs.iter().find(|r| r["event_type"] == "alert").unwrap();
                assert_eq!(a["alert"]["metadata"]["palisade_class"][0], "exploit");
                assert_eq!(a["alert"]["metadata"]["cve"][0], "CVE_2021_36260");
                assert_eq!(a["app_proto"], "http");
            }
        }
    }
    // no Content-Length: no HTTP body, the raw-stream rule alone; chunked:
    // the HTTP rule alone (on the de-chunked body)
    let body = "<?xml version=\"1.0\"?><language>$(id>webLib/x)</language>";
    let nocl = format!("PUT /SDK/webLanguage HTTP/1.1\r\nHost: cam\r\n\r\n{body}");
    let chunked = format!(
        "PUT /SDK/webLanguage HTTP/1.1\r\nHost: cam\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{}\r\n{:x}\r\n{}\r\n0\r\n\r\n",
        20,
        &body[..20],
        body.len() - 20,
        &body[20..]
    );
    for (name, req, want) in [("nocl", nocl, 9400001u64), ("chunked", chunked, 9400010)] {
        let pcap = tmp.path().join(format!("{name}.pcap"));
        let b = req.as_bytes();
        let mid = b.len() / 2;
        session_segments(&pcap, &[&b[..mid], &b[mid..]], resp);
        let (status, recs) = scan(&[&pcap], &[], &tmp.path().join(format!("out-{name}")));
        assert!(status.success());
        assert_eq!(alert_sids(&recs), vec![want], "{name}");
    }
    let pcap = tmp.path().join("subst-0.pcap");
    let (_, recs) = scan(&[&pcap], &["--no-builtin-rules"], &tmp.path().join("out2"));
    assert!(recs.iter().all(|r| r["event_type"] != "alert"));
}

#[test]
fn rules_check_reports_by_reason() {
    let tmp = TempDir::new("rules-check");
    let f = tmp.path().join("c.rules");
    std::fs::write(
        &f,
        "alert tcp any any -> any any (msg:\"ok\"; content:\"a\"; sid:1;)\n\
         # alert tcp any any -> any any (msg:\"commented\"; sid:2;)\n\
         alert tcp any any -> any any (msg:\"asn\"; asn1:bitstring_overflow; sid:3;)\n\
         alert tcp $NOPE any -> any any (msg:\"var\"; sid:4;)\n\
         alert tcp any any => any any (msg:\"syntax\"; sid:5;)\n",
    )
    .unwrap();
    let o = palisade()
        .args(["rules", "check", "--format", "json"])
        .arg(&f)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["loaded"], 1);
    assert_eq!(v["failed"], 3);
    let fails = v["failures"].as_array().unwrap();
    assert_eq!(fails[0]["line"], 3);
    assert_eq!(fails[0]["sid"], 3);
    assert!(fails[0]["reason"].as_str().unwrap().contains("asn1"));
    assert!(fails[1]["reason"].as_str().unwrap().contains("NOPE"));
    assert_eq!(fails[2]["line"], 5);
    let o = palisade().args(["rules", "keywords"]).output().unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    for k in [
        "content",
        "pcre",
        "byte_test",
        "flowbits",
        "http.uri",
        "http_uri",
        "dns.query",
        "flags",
        "threshold",
    ] {
        assert!(text.lines().any(|l| l.starts_with(k)), "keyword {k} listed");
    }
}

#[test]
fn et_open_loads_at_least_95_percent() {
    let Some(data) = shared_data() else { return };
    let dir = data.join("rules/et-open");
    let o = palisade()
        .args(["rules", "check", "--format", "json"])
        .arg(dir.join("2025-08-15"))
        .arg(dir.join("2024-04-21-supplement"))
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let loaded = v["loaded"].as_f64().unwrap();
    let failed = v["failed"].as_f64().unwrap();
    let rate = loaded / (loaded + failed);
    assert!(
        rate >= 0.95,
        "ET Open accepted {:.2}% ({} failed): {}",
        rate * 100.0,
        failed,
        v["by_reason"]
    );
}
