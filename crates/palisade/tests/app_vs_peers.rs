//! palisade's app-layer records against independent readers of the same
//! captures:
//! - nDPI's `.out` files (../shared/data/pcaps/ndpi): the protocol label of
//!   each flow against palisade's `app_proto` on its flow record;
//! - tshark's field extraction (when tshark is installed, as in CI): the
//!   URIs, query names, SNIs, MQTT topics and client ids, RTSP methods, ...
//!   of every capture in ../shared/data/pcaps and of a generated fleet
//!   capture, against the same fields in palisade's EVE records.
//!
//! Every remaining difference is listed with its reason in
//! [`KNOWN_LABEL_DIFFERENCES`]; anything else fails.

mod common;

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// nDPI protocol names palisade has a parser for, mapped to Suricata's
/// app_proto names palisade uses. Flows nDPI labels with anything else
/// must have no app_proto in palisade.
const NDPI_NAMES: &[(&str, &str)] = &[
    ("MQTT", "mqtt"),
    ("COAP", "coap"),
    ("RTSP", "rtsp"),
    ("Telnet", "telnet"),
    ("TFTP", "tftp"),
    ("SSDP", "ssdp"),
    ("DNS", "dns"),
    ("HTTP", "http"),
    ("TLS", "tls"),
    ("SSH", "ssh"),
    ("FTP_CONTROL", "ftp"),
    ("SNMP", "snmp"),
    ("DHCP", "dhcp"),
    ("WSD", "wsd"),
];

/// Flows where palisade and nDPI disagree, and why: (capture, nDPI flow
/// number, palisade's label, reason).
const KNOWN_LABEL_DIFFERENCES: &[(&str, u32, Option<&str>, &str)] = &[
    // nDPI names UDP 17500 Dropbox LAN sync by port; the datagrams are CoAP
    // (a client PUTting JSON to /r/Bus17Cmd; tshark decodes them as CoAP
    // with `-d udp.port==17500,coap`).
    ("coap_mqtt.pcap", 1, Some("coap"), "CoAP on Dropbox's port"),
    ("coap_mqtt.pcap", 2, Some("coap"), "CoAP on Dropbox's port"),
    ("coap_mqtt.pcap", 3, Some("coap"), "CoAP on Dropbox's port"),
    ("coap_mqtt.pcap", 4, Some("coap"), "CoAP on Dropbox's port"),
    // Picked up midstream on a non-MQTT port, starting with a 2-byte
    // PINGREQ (c0 00) or a PUBLISH from the broker: nDPI guesses MQTT from
    // one packet; palisade identifies MQTT off port 1883 only from a
    // CONNECT, because two bytes would match far too much other traffic.
    ("coap_mqtt.pcap", 6, None, "midstream MQTT off port"),
    ("coap_mqtt.pcap", 7, None, "midstream MQTT off port"),
    ("coap_mqtt.pcap", 8, None, "midstream MQTT off port"),
];

/// One flow line of an nDPI `.out` file.
#[derive(Debug)]
struct NdpiFlow {
    num: u32,
    proto: &'static str,
    a: String,
    b: String,
    label: String,
}

fn parse_ndpi_out(text: &str) -> Vec<NdpiFlow> {
    let mut v = Vec::new();
    for line in text.lines() {
        let t = line.trim_start();
        if !line.starts_with('\t') {
            continue;
        }
        let mut it = t.splitn(2, '\t');
        let Some(Ok(num)) = it.next().map(|n| n.trim().parse::<u32>()) else {
            continue;
        };
        let rest = it.next().unwrap_or("");
        let proto = if rest.starts_with("TCP ") {
            "TCP"
        } else if rest.starts_with("UDP ") {
            "UDP"
        } else {
            continue;
        };
        let words: Vec<&str> = rest.split(' ').collect();
        if words.len() < 4 {
            continue;
        }
        let (a, b) = (words[1].to_string(), words[3].to_string());
        let Some(p) = rest.find("[proto: ") else {
            continue;
        };
        let lab = &rest[p + 8..];
        let lab = &lab[..lab.find(']').unwrap_or(lab.len())];
        // "222/MQTT" or "7.126/HTTP.Google": the master protocol
        let name = lab.split('/').nth(1).unwrap_or("");
        let master = name.split('.').next().unwrap_or("").to_string();
        v.push(NdpiFlow {
            num,
            proto,
            a,
            b,
            label: master,
        });
    }
    v
}

fn endpoint(ip: &Value, port: &Value) -> String {
    let ip = ip.as_str().unwrap_or("");
    let port = port.as_u64().unwrap_or(0);
    if ip.contains(':') {
        format!("[{ip}]:{port}")
    } else {
        format!("{ip}:{port}")
    }
}

/// Scans with midstream pickup on: nDPI and tshark label flows whose
/// start is not in the capture, and several of these captures are cut
/// from longer sessions (palisade's default, like Suricata's, is off).
fn scan_all(pcap: &Path, tag: &str) -> Vec<Value> {
    let out = common::TempDir::new(tag);
    let (status, recs) = common::scan(
        &[pcap],
        &["--threads", "1", "--set", "stream.midstream=true"],
        out.path(),
    );
    assert!(
        status.success() || !recs.is_empty(),
        "scan of {} failed",
        pcap.display()
    );
    recs
}

#[test]
fn app_proto_agrees_with_ndpi_labels() {
    let Some(data) = common::shared_data() else {
        return;
    };
    let dir = data.join("pcaps/ndpi");
    let mut checked = 0;
    let mut failures = Vec::new();
    for pcap in common::captures_under(&dir) {
        let out_file = PathBuf::from(format!("{}.out", pcap.display()));
        let Ok(text) = std::fs::read_to_string(&out_file) else {
            continue;
        };
        let cap = pcap.file_name().unwrap().to_string_lossy().to_string();
        let recs = scan_all(&pcap, "ndpi");
        let flows: Vec<&Value> = recs.iter().filter(|r| r["event_type"] == "flow").collect();
        for nf in parse_ndpi_out(&text) {
            let want = NDPI_NAMES
                .iter()
                .find(|(n, _)| *n == nf.label)
                .map(|(_, p)| *p);
            // nDPI keeps one flow per tuple; palisade starts a new flow when
            // a tuple is reused after a reset (Suricata does the same), so
            // a tuple may have several records: the one with the label
            // counts.
            let same: Vec<&&Value> = flows
                .iter()
                .filter(|r| {
                    let s = endpoint(&r["src_ip"], &r["src_port"]);
                    let d = endpoint(&r["dest_ip"], &r["dest_port"]);
                    r["proto"] == nf.proto && ((s == nf.a && d == nf.b) || (s == nf.b && d == nf.a))
                })
                .collect();
            let found = same
                .iter()
                .find(|r| r["app_proto"].as_str() == want)
                .or_else(|| same.first());
            let Some(f) = found else {
                failures.push(format!(
                    "{cap} flow {}: no palisade flow for {} {} {}",
                    nf.num, nf.proto, nf.a, nf.b
                ));
                continue;
            };
            let got = f["app_proto"].as_str();
            checked += 1;
            if got == want {
                continue;
            }
            let known = KNOWN_LABEL_DIFFERENCES
                .iter()
                .any(|(c, n, g, _)| *c == cap && *n == nf.num && *g == got);
            if !known {
                failures.push(format!(
                    "{cap} flow {} ({} {} <-> {}): nDPI {} (want {want:?}), palisade {got:?}",
                    nf.num, nf.proto, nf.a, nf.b, nf.label
                ));
            }
        }
    }
    assert!(checked > 10, "too few flows compared: {checked}");
    // nDPI also extracts the Telnet user name: palisade's login record
    // must name the same user.
    let telnet = dir.join("telnet.pcap");
    let text = std::fs::read_to_string(dir.join("telnet.pcap.out")).unwrap_or_default();
    if let Some(i) = text.find("[Username: ") {
        let rest = &text[i + 11..];
        let user = &rest[..rest.find(']').unwrap_or(0)];
        let recs = scan_all(&telnet, "ndpi-telnet");
        let users: Vec<&str> = recs
            .iter()
            .filter(|r| r["event_type"] == "telnet")
            .filter_map(|r| r["telnet"]["username"].as_str())
            .collect();
        if !users.contains(&user) {
            failures.push(format!(
                "telnet.pcap: nDPI user name {user:?}, palisade {users:?}"
            ));
        }
    } else {
        failures.push("telnet.pcap.out names no user".into());
    }
    assert!(
        failures.is_empty(),
        "label differences:\n{}",
        failures.join("\n")
    );
}

/// Per capture: tshark decode-as options for protocols on ports tshark
/// does not know, and a filter leaving out flows palisade knowingly does
/// not parse (see KNOWN_LABEL_DIFFERENCES).
const TSHARK_CAPTURE_OPTIONS: &[(&str, &[&str], &str)] = &[
    (
        "coap_mqtt.pcap",
        &["-d", "tcp.port==17501,mqtt", "-d", "udp.port==17500,coap"],
        "!(tcp.port in {53522, 53523, 53524})",
    ),
    // M-SEARCH sent to a Plex port: SSDP by its content.
    ("ssdp-m-search.pcap", &["-d", "udp.port==32412,ssdp"], ""),
];

/// tshark field extraction: every value of the comma-separated `fields`
/// in packets matching `filter` (retransmissions left out: a retransmitted
/// request is one request), as a sorted list.
fn tshark_values(pcap: &Path, filter: &str, fields: &str) -> Vec<String> {
    let name = pcap.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let (extra, exclude): (&[&str], &str) = TSHARK_CAPTURE_OPTIONS
        .iter()
        .find(|(c, _, _)| *c == name)
        .map_or((&[], ""), |(_, o, x)| (*o, *x));
    let mut filter = format!("({filter}) && !tcp.analysis.retransmission");
    if !exclude.is_empty() {
        filter = format!("{filter} && {exclude}");
    }
    let mut cmd = Command::new("tshark");
    cmd.arg("-r").arg(pcap).args(extra);
    cmd.args(["-Y", &filter, "-T", "fields"]);
    for f in fields.split(',') {
        cmd.args(["-e", f]);
    }
    cmd.args([
        "-E",
        "occurrence=a",
        "-E",
        "aggregator=\u{1f}",
        "-E",
        "separator=\u{1f}",
    ]);
    let o = cmd.output().expect("run tshark");
    let mut v: Vec<String> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .flat_map(|l| l.split('\u{1f}').map(str::to_string).collect::<Vec<_>>())
        .filter(|s| !s.is_empty())
        .collect();
    v.sort();
    v
}

/// Values at `path` (dot-separated; `[]` iterates an array) in palisade's
/// records of `event_type`.
fn eve_values(recs: &[Value], event_type: &str, path: &str) -> Vec<String> {
    fn walk(v: &Value, keys: &[&str], out: &mut Vec<String>) {
        let Some((k, rest)) = keys.split_first() else {
            match v {
                // tshark prints no value for an empty field
                Value::String(s) if s.is_empty() => {}
                Value::String(s) => out.push(s.clone()),
                Value::Null => {}
                other => out.push(other.to_string()),
            }
            return;
        };
        if let Some(name) = k.strip_suffix("[]") {
            if let Some(a) = v.get(name).and_then(Value::as_array) {
                for x in a {
                    walk(x, rest, out);
                }
            }
        } else if let Some(x) = v.get(*k) {
            walk(x, rest, out);
        }
    }
    let keys: Vec<&str> = path.split('.').collect();
    let mut out = Vec::new();
    for r in recs.iter().filter(|r| r["event_type"] == event_type) {
        walk(&r[event_type], &keys, &mut out);
    }
    out.sort();
    out
}

/// (tshark display filter, tshark field, EVE type, EVE path, compare as a
/// set rather than a multiset, why a set).
const FIELD_CHECKS: &[(&str, &str, &str, &str, bool)] = &[
    (
        "http.request && tcp",
        "http.request.uri",
        "http",
        "url",
        false,
    ),
    (
        "http.request && tcp",
        "http.host",
        "http",
        "hostname",
        false,
    ),
    // tshark lists a name once per query packet; palisade logs one record
    // per query/response pair: compare the sets of names.
    (
        "dns.flags.response == 0",
        "dns.qry.name",
        "dns",
        "queries[].rrname",
        true,
    ),
    (
        "tls.handshake.type == 1",
        "tls.handshake.extensions_server_name",
        "tls",
        "sni",
        false,
    ),
    (
        "mqtt.msgtype == 3",
        "mqtt.topic",
        "mqtt",
        "publish.topic",
        false,
    ),
    (
        "mqtt.msgtype == 1",
        "mqtt.clientid",
        "mqtt",
        "connect.client_id",
        false,
    ),
    ("rtsp.request", "rtsp.method", "rtsp", "method", false),
    (
        "ftp.request",
        "ftp.request.command",
        "ftp",
        "command",
        false,
    ),
    // tshark dissects SSDP with the HTTP dissector's fields.
    ("ssdp", "http.request.method", "ssdp", "method", false),
    ("ssdp", "http.location", "ssdp", "location", false),
    ("ssdp", "http.server", "ssdp", "server", false),
    (
        "tftp.opcode == 1 || tftp.opcode == 2",
        "tftp.source_file,tftp.destination_file",
        "tftp",
        "file",
        false,
    ),
];

fn compare_fields(pcap: &Path, recs: &[Value], failures: &mut Vec<String>) -> usize {
    let mut compared = 0;
    for (filter, field, et, path, as_set) in FIELD_CHECKS {
        let mut want = tshark_values(pcap, filter, field);
        let mut got = eve_values(recs, et, path);
        if want.is_empty() && got.is_empty() {
            continue;
        }
        if *as_set {
            want.dedup();
            got.dedup();
        }
        compared += want.len();
        if want != got {
            failures.push(format!(
                "{}: {field} (tshark) vs {et}.{path} (palisade)\n  tshark:   {want:?}\n  palisade: {got:?}",
                pcap.display()
            ));
        }
    }
    compared
}

#[test]
fn app_fields_agree_with_tshark() {
    if !common::have_tool("tshark") {
        return;
    }
    let Some(data) = common::shared_data() else {
        return;
    };
    let mut pcaps = common::captures_under(&data.join("pcaps"));
    // stopddos captures are floods without app-layer fields worth comparing
    // and take long: leave them out.
    pcaps.retain(|p| !p.to_string_lossy().contains("stopddos"));
    let gen = common::TempDir::new("fleet-gen");
    let fleet = gen.path().join("fleet.pcap");
    let st = common::palisade()
        .args([
            "testbed",
            "generate",
            "--seed",
            "7",
            "--devices",
            "20",
            "--duration",
            "90s",
            "--out",
        ])
        .arg(&fleet)
        .arg("--labels")
        .arg(gen.path().join("fleet.json"))
        .status()
        .expect("testbed");
    assert!(st.success());
    pcaps.push(fleet);
    let mut failures = Vec::new();
    let mut compared = 0;
    let mut per_capture = BTreeMap::new();
    for p in &pcaps {
        let recs = scan_all(p, "tshark");
        let n = compare_fields(p, &recs, &mut failures);
        per_capture.insert(p.display().to_string(), n);
        compared += n;
    }
    eprintln!("values compared per capture: {per_capture:#?}");
    assert!(compared > 50, "too few values compared: {compared}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
