//! `palisade sensor --mirror gre` end to end: namespaces `cli` and `srv`
//! joined by a veth pair; the sensor runs in `srv` with
//! `--mirror gre://<srv address>`, and python3 in `cli` sends, over a raw
//! IPPROTO_GRE socket, three GRE-encapsulated copies of one HTTP exchange
//! whose URI the test rule matches: transparent Ethernet bridging (0x6558,
//! key 1), ERSPAN type II (0x88be, session 0x155) and ERSPAN type III
//! (0x22eb, session 0x156), plus one datagram that is not valid GRE. Once
//! over IPv4 (`gre://10.218.X.2`), once over IPv6 (`gre://[fd00:218:...::2]`).
//!
//! Asserted: every EVE line is a record; three alerts of sid 1000001 (one
//! per copy: the tunnels key the inner flows apart), each on the inner
//! addresses; flow records; the JSON summary names the source, counts 30
//! packets and the broken datagram as invalid; the store run (kind `sensor`) has the
//! source as its input and the alerts.
//!
//! Needs root (namespaces, raw socket), iproute2's `ip` and python3: runs
//! when it has them; otherwise it says why and passes, unless
//! PALISADE_E2E=1 (`.ci/run` sets it), where it fails.

mod common;

use common::netns::sh;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use palisade_store::query::AlertFilter;
use palisade_store::Store;

const RULE: &str = "alert http any any -> any any (msg:\"test uri\"; http.uri; \
                    content:\"/palisade-e2e\"; sid:1000001; rev:1;)\n";

/// Sends each length-prefixed GRE payload of argv[1] to argv[2] over a raw
/// GRE socket (the kernel writes the IPv4 header), paced.
const SENDER: &str = r#"
import socket, struct, sys, time
data = open(sys.argv[1], "rb").read()
family = socket.AF_INET6 if ":" in sys.argv[2] else socket.AF_INET
s = socket.socket(family, socket.SOCK_RAW, 47)
i = 0
while i < len(data):
    (n,) = struct.unpack_from(">I", data, i)
    s.sendto(data[i + 4:i + 4 + n], (sys.argv[2], 0))
    i += 4 + n
    time.sleep(0.005)
"#;

fn enabled(test: &str) -> bool {
    common::e2e_enabled(test, &["ip", "python3"])
}

/// Namespaces and a veth pair; removed on drop.
struct Lab {
    cli: String,
    srv: String,
    net: String,
    net6: String,
}

impl Lab {
    fn new(n: &str) -> Lab {
        let pid = std::process::id();
        let tag = format!("{:05}{n}", pid % 100_000);
        let lab = Lab {
            cli: format!("psg-{tag}-cli"),
            srv: format!("psg-{tag}-srv"),
            net: format!("10.218.{}", 20 + (pid % 100) * 2 + u32::from(n == "6")),
            net6: format!("fd00:218:{:x}:{n}::", pid % 0xffff),
        };
        let (c, s, n, n6) = (&lab.cli, &lab.srv, &lab.net, &lab.net6);
        let (vc, vs) = (format!("psg{tag}c"), format!("psg{tag}s"));
        sh(&format!(
            "ip netns add {c} && ip netns add {s} && \
             ip link add {vc} type veth peer name {vs} && \
             ip link set {vc} netns {c} && ip link set {vs} netns {s} && \
             ip -n {c} addr add {n}.1/24 dev {vc} && ip -n {c} link set {vc} up && \
             ip -n {c} link set lo up && \
             ip -n {s} addr add {n}.2/24 dev {vs} && ip -n {s} link set {vs} up && \
             ip -n {s} link set lo up && \
             ip -n {c} addr add {n6}1/64 dev {vc} nodad && \
             ip -n {s} addr add {n6}2/64 dev {vs} nodad"
        ));
        lab
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for ns in [&self.srv, &self.cli] {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

/// The sensor; killed on drop if the test did not stop it.
struct Sensor(Option<Child>);

impl Drop for Sensor {
    fn drop(&mut self) {
        if let Some(c) = &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn http_exchange() -> Vec<Vec<u8>> {
    common::http_exchange_from(40000)
}

/// GRE (K bit, transparent Ethernet bridging, key 1).
fn gre_teb(_seq: u32, frame: &[u8]) -> Vec<u8> {
    let mut v = vec![0x20, 0, 0x65, 0x58, 0, 0, 0, 1];
    v.extend_from_slice(frame);
    v
}

/// GRE (S bit, 0x88be) + ERSPAN type II, session 0x155.
fn erspan2(seq: u32, frame: &[u8]) -> Vec<u8> {
    let mut v = vec![0x10, 0, 0x88, 0xbe];
    v.extend_from_slice(&seq.to_be_bytes());
    v.extend_from_slice(&[0x10, 0, 0x01, 0x55, 0, 0, 0, 0]);
    v.extend_from_slice(frame);
    v
}

/// GRE (S bit, 0x22eb) + ERSPAN type III, session 0x156, Ethernet frame.
fn erspan3(seq: u32, frame: &[u8]) -> Vec<u8> {
    let mut v = vec![0x10, 0, 0x22, 0xeb];
    v.extend_from_slice(&seq.to_be_bytes());
    v.extend_from_slice(&[0x20, 0, 0x01, 0x56]); // version 2, session
    v.extend_from_slice(&seq.to_be_bytes()); // timestamp
    v.extend_from_slice(&[0, 0, 0x80, 0x06]); // sgt; P (Ethernet), gra 3
    v.extend_from_slice(frame);
    v
}

#[test]
fn gre_and_erspan_mirrors_alert() {
    if enabled("gre_and_erspan_mirrors_alert") {
        mirrors_alert(false);
    }
}

/// The same over IPv6 (`--mirror gre://[ADDR6]`).
#[test]
fn gre_over_ipv6_alerts() {
    if enabled("gre_over_ipv6_alerts") {
        mirrors_alert(true);
    }
}

fn mirrors_alert(v6: bool) {
    let tag = if v6 { "6" } else { "4" };
    let dir = std::env::temp_dir().join(format!("palisade-sensor-gre{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let lab = Lab::new(tag);
    let (srv_addr, source) = if v6 {
        let a = format!("{}2", lab.net6);
        (a.clone(), format!("gre://[{a}]"))
    } else {
        let a = format!("{}.2", lab.net);
        (a.clone(), format!("gre://{a}"))
    };
    std::fs::write(dir.join("test.rules"), RULE).unwrap();

    let mut child = Command::new("ip")
        .args(["netns", "exec", &lab.srv, env!("CARGO_BIN_EXE_palisade")])
        .args([
            "sensor",
            "--mirror",
            &source,
            "--threads",
            "2",
            "--format",
            "json",
        ])
        .arg("--rules")
        .arg(dir.join("test.rules"))
        .arg("--output-dir")
        .arg(dir.join("out"))
        .stdout(std::fs::File::create(dir.join("stdout")).unwrap())
        .stderr(std::fs::File::create(dir.join("stderr")).unwrap())
        .stdin(Stdio::null())
        .spawn()
        .expect("starting palisade sensor");
    let pid = child.id();
    let t0 = Instant::now();
    loop {
        let err = std::fs::read_to_string(dir.join("stderr")).unwrap_or_default();
        if err.contains("palisade sensor: reading") {
            break;
        }
        if let Some(st) = child.try_wait().unwrap() {
            panic!("the sensor exited ({st}) at start: {err}");
        }
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "the sensor did not start: {err}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let sensor = Sensor(Some(child));

    // length-prefixed GRE payloads: a broken one, then the three copies
    let mut batch = Vec::new();
    let mut push = |gre: &[u8]| {
        batch.extend_from_slice(&(gre.len() as u32).to_be_bytes());
        batch.extend_from_slice(gre);
    };
    push(&[0x20, 0, 0x65, 0x58]); // K bit without the key: invalid
    for encap in [gre_teb, erspan2, erspan3] {
        for (seq, frame) in http_exchange().iter().enumerate() {
            push(&encap(seq as u32, frame));
        }
    }
    std::fs::write(dir.join("gre.bin"), &batch).unwrap();
    std::fs::write(dir.join("send.py"), SENDER).unwrap();
    sh(&format!(
        "ip netns exec {} python3 {} {} {srv_addr}",
        lab.cli,
        dir.join("send.py").display(),
        dir.join("gre.bin").display()
    ));
    std::thread::sleep(Duration::from_millis(500));

    sh(&format!("kill -TERM {pid}"));
    let mut sensor = sensor;
    let mut child = sensor.0.take().unwrap();
    let t0 = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if t0.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("the sensor did not stop within 60 s of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap_or_default();
    let (stdout, stderr) = (read("stdout"), read("stderr"));
    assert_eq!(
        status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    let summary: serde_json::Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("JSON summary: {e}\n{stdout}\nstderr:\n{stderr}"));
    let src = &summary["sources"][0];
    assert_eq!(src["source"], source.as_str(), "{summary}");
    assert_eq!(src["packets"], 30, "{summary}");
    assert_eq!(src["invalid"], 1, "{summary}");
    assert!(src["error"].is_null(), "{summary}");

    let eve = read("out/eve.json");
    assert!(eve.ends_with('\n'), "EVE ends mid-record");
    let records: Vec<serde_json::Value> = eve
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad EVE line {l:?}: {e}")))
        .collect();
    let alerts: Vec<&serde_json::Value> = records
        .iter()
        .filter(|r| r["event_type"] == "alert" && r["alert"]["signature_id"] == 1000001)
        .collect();
    assert_eq!(
        alerts.len(),
        3,
        "one alert per encapsulation in\n{eve}\nstderr:\n{stderr}"
    );
    for a in &alerts {
        assert_eq!(a["src_ip"], "192.0.2.10", "{a}");
        assert_eq!(a["dest_ip"], "192.0.2.80", "{a}");
        assert_eq!(a["dest_port"], 80, "{a}");
        assert_eq!(a["in_iface"], source.as_str(), "the mirror source: {a}");
    }
    assert!(
        records
            .iter()
            .any(|r| r["event_type"] == "flow" && r["dest_ip"] == "192.0.2.80"),
        "no inner flow record in\n{eve}"
    );
    let stats = records
        .iter()
        .rfind(|r| r["event_type"] == "stats")
        .expect("a stats record");
    assert!(
        stats["stats"]["capture"]["kernel_drops"].is_u64(),
        "{stats}"
    );

    let store = Store::open(&dir.join("out/palisade.db")).unwrap();
    let runs = store.run_rows().unwrap();
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0].kind, "sensor");
    assert_eq!(runs[0].inputs, vec![source.clone()]);
    assert_eq!(runs[0].packets, 30, "{runs:?}");
    let stored = store.alerts(&AlertFilter::default()).unwrap();
    assert_eq!(
        stored
            .iter()
            .filter(|a| a.sid == 1000001 && a.run_id == runs[0].id)
            .count(),
        3,
        "{stored:?}"
    );
    drop(lab);
    let _ = std::fs::remove_dir_all(&dir);
}
