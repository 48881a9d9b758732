//! `palisade sensor` end to end: real traffic captured live goes through the
//! pipeline, and SIGTERM leaves a complete EVE file and a finished store run.
//!
//! - `http_on_a_veth_alerts`: namespaces `cli` and `srv` joined by a veth
//!   pair; `python3 -m http.server` in `srv`, the sensor (`ip netns exec
//!   srv palisade sensor --interface <veth>`) on the server's end, `curl`
//!   from `cli` on a path a rule matches. Needs root and iproute2's `ip`
//!   (and curl, python3): runs when it has them; otherwise it says why and
//!   passes, unless PALISADE_E2E=1 (`.ci/run` sets it), where it fails.
//! - `vxlan_mirror_alerts`: the same HTTP request, as VXLAN-encapsulated
//!   frames sent to `--mirror vxlan://127.0.0.1:PORT`; no root needed.
//!
//! Both assert the alert of sid 1000001 in eve.json (every line a JSON
//! record), flow records, and a store run of kind `sensor` holding the
//! alert.

use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use palisade_store::query::AlertFilter;
use palisade_store::Store;

const RULE: &str = "alert http any any -> any any (msg:\"test uri\"; http.uri; \
                    content:\"/palisade-e2e\"; sid:1000001; rev:1;)\n";

fn present(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// Whether the namespace test can run; panics when PALISADE_E2E=1 and it
/// cannot.
fn enabled(test: &str) -> bool {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    let missing: Vec<&str> = ["ip", "curl", "python3"]
        .into_iter()
        .filter(|t| !present(t))
        .collect();
    if root && missing.is_empty() {
        return true;
    }
    let why = format!(
        "{test}: needs root (network namespaces) and ip, curl, python3 (root: {root}, \
         missing: {missing:?})"
    );
    if std::env::var("PALISADE_E2E").as_deref() == Ok("1") {
        panic!("PALISADE_E2E=1 but {why}");
    }
    eprintln!("{test} skipped: {why}");
    false
}

fn sh(script: &str) -> String {
    let o = Command::new("sh")
        .args(["-c", script])
        .output()
        .unwrap_or_else(|e| panic!("{script}: {e}"));
    assert!(
        o.status.success(),
        "{script} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("palisade-sensor-e2e-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A running sensor; killed on drop if the test did not stop it.
struct Sensor {
    child: Option<Child>,
    dir: PathBuf,
}

impl Sensor {
    /// Starts `prefix... palisade sensor args...` with the test rule and
    /// waits until its sources are open.
    fn start(prefix: &[&str], dir: &Path, threads: usize, args: &[String]) -> Sensor {
        std::fs::write(dir.join("test.rules"), RULE).unwrap();
        let bin = env!("CARGO_BIN_EXE_palisade");
        let mut cmd = match prefix.split_first() {
            Some((first, rest)) => {
                let mut c = Command::new(first);
                c.args(rest).arg(bin);
                c
            }
            None => Command::new(bin),
        };
        cmd.arg("sensor")
            .args(args)
            .arg("--rules")
            .arg(dir.join("test.rules"))
            .arg("--output-dir")
            .arg(dir.join("out"))
            .args(["--threads", &threads.to_string()])
            .stdout(std::fs::File::create(dir.join("stdout")).unwrap())
            .stderr(std::fs::File::create(dir.join("stderr")).unwrap())
            .stdin(Stdio::null());
        let child = cmd.spawn().expect("starting palisade sensor");
        let s = Sensor {
            child: Some(child),
            dir: dir.to_path_buf(),
        };
        let t0 = Instant::now();
        loop {
            let err = std::fs::read_to_string(dir.join("stderr")).unwrap_or_default();
            if err.contains("palisade sensor: reading") {
                break;
            }
            assert!(
                t0.elapsed() < Duration::from_secs(60),
                "the sensor did not start: {err}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        s
    }

    /// SIGTERM, then the exit status, stdout and stderr.
    fn stop(mut self) -> (i32, String, String) {
        let mut child = self.child.take().unwrap();
        sh(&format!("kill -TERM {}", child.id()));
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
        let read = |f: &str| std::fs::read_to_string(self.dir.join(f)).unwrap_or_default();
        (status.code().unwrap_or(-1), read("stdout"), read("stderr"))
    }
}

impl Drop for Sensor {
    fn drop(&mut self) {
        if let Some(c) = &mut self.child {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The checks both tests share, on the sensor's outputs in `dir/out`.
fn assert_outputs(dir: &Path, source: &str, code: i32, stdout: &str, stderr: &str) {
    assert_eq!(code, 0, "exit status; stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("kernel drops"), "summary: {stdout}");
    let eve = std::fs::read_to_string(dir.join("out/eve.json")).unwrap();
    assert!(eve.ends_with('\n'), "EVE ends mid-record");
    let records: Vec<serde_json::Value> = eve
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad EVE line {l:?}: {e}")))
        .collect();
    let alert = records
        .iter()
        .find(|r| r["event_type"] == "alert" && r["alert"]["signature_id"] == 1000001)
        .unwrap_or_else(|| panic!("no alert 1000001 in\n{eve}\nstderr:\n{stderr}"));
    assert_eq!(alert["alert"]["signature"], "test uri");
    assert!(
        records.iter().any(|r| r["event_type"] == "flow"),
        "no flow record in\n{eve}"
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
    assert_eq!(runs[0].inputs, vec![source.to_string()]);
    assert!(runs[0].packets > 0);
    let alerts = store.alerts(&AlertFilter::default()).unwrap();
    assert!(
        alerts
            .iter()
            .any(|a| a.sid == 1000001 && a.run_id == runs[0].id),
        "{alerts:?}"
    );
}

/// Namespaces and a veth pair; removed on drop.
struct Lab {
    cli: String,
    srv: String,
    veth_srv: String,
    net: String,
}

impl Lab {
    fn new() -> Lab {
        let pid = std::process::id();
        let tag = format!("{:05}", pid % 100_000);
        let lab = Lab {
            cli: format!("pse-{tag}-cli"),
            srv: format!("pse-{tag}-srv"),
            veth_srv: format!("ps{tag}s"),
            net: format!("10.214.{}", 20 + pid % 200),
        };
        let (c, s, vc, vs, n) = (
            &lab.cli,
            &lab.srv,
            format!("ps{tag}c"),
            &lab.veth_srv,
            &lab.net,
        );
        sh(&format!(
            "ip netns add {c} && ip netns add {s} && \
             ip link add {vc} type veth peer name {vs} && \
             ip link set {vc} netns {c} && ip link set {vs} netns {s} && \
             ip -n {c} addr add {n}.1/24 dev {vc} && ip -n {c} link set {vc} up && \
             ip -n {c} link set lo up && \
             ip -n {s} addr add {n}.2/24 dev {vs} && ip -n {s} link set {vs} up && \
             ip -n {s} link set lo up"
        ));
        lab
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for ns in [&self.srv, &self.cli] {
            // end what runs in the namespace (the HTTP server) by pid
            if let Ok(o) = Command::new("ip").args(["netns", "pids", ns]).output() {
                for pid in String::from_utf8_lossy(&o.stdout).split_whitespace() {
                    if pid.bytes().all(|b| b.is_ascii_digit()) {
                        let _ = Command::new("sh")
                            .args(["-c", &format!("kill -9 {pid}")])
                            .status();
                    }
                }
            }
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

/// Kills a child on drop.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn http_on_a_veth_alerts() {
    if !enabled("http_on_a_veth_alerts") {
        return;
    }
    let dir = temp_dir("veth");
    let lab = Lab::new();
    let www = dir.join("www");
    std::fs::create_dir_all(&www).unwrap();
    std::fs::write(www.join("palisade-e2e"), "hello from the e2e test\n").unwrap();
    let srv_addr = format!("{}.2", lab.net);
    let _server = Guard(
        Command::new("ip")
            .args([
                "netns",
                "exec",
                &lab.srv,
                "python3",
                "-m",
                "http.server",
                "80",
            ])
            .args(["--bind", &srv_addr, "--directory"])
            .arg(&www)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting python3 -m http.server"),
    );
    // wait for the server (before the sensor: these requests are not seen)
    let t0 = Instant::now();
    while !Command::new("ip")
        .args(["netns", "exec", &lab.cli, "curl", "-sf", "--max-time", "2"])
        .arg(format!("http://{srv_addr}/"))
        .stdout(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
    {
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "the HTTP server did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    let sensor = Sensor::start(
        &["ip", "netns", "exec", &lab.srv],
        &dir,
        2,
        &["--interface".into(), lab.veth_srv.clone()],
    );
    // The link flaps once while the sensor runs (AF_PACKET reports
    // ENETDOWN): capture must go on afterwards, as a sensor at a gateway
    // lives through cable pulls and interface restarts.
    sh(&format!(
        "ip -n {s} link set {v} down && sleep 0.3 && ip -n {s} link set {v} up",
        s = lab.srv,
        v = lab.veth_srv
    ));
    let body = sh(&format!(
        "ip netns exec {} curl -sf --max-time 10 --retry 10 --retry-connrefused --retry-delay 1 \
         http://{srv_addr}/palisade-e2e",
        lab.cli
    ));
    assert_eq!(body, "hello from the e2e test\n");
    // the sensor reads what the kernel holds after SIGTERM too; a pause
    // only lets the connection close before it is stopped
    std::thread::sleep(Duration::from_millis(500));
    let (code, stdout, stderr) = sensor.stop();
    assert_outputs(&dir, &lab.veth_srv, code, &stdout, &stderr);
    let _ = std::fs::remove_dir_all(&dir);
}

// --- VXLAN mirror --------------------------------------------------------

fn csum(data: &[u8], mut sum: u32) -> u16 {
    for c in data.chunks(2) {
        sum += u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]));
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// An Ethernet/IPv4/TCP frame with correct checksums.
fn tcp_frame(
    src: ([u8; 4], u16),
    dst: ([u8; 4], u16),
    seq: u32,
    ack: u32,
    flags: u8,
    payload: &[u8],
) -> Vec<u8> {
    let mut tcp = Vec::with_capacity(20 + payload.len());
    tcp.extend_from_slice(&src.1.to_be_bytes());
    tcp.extend_from_slice(&dst.1.to_be_bytes());
    tcp.extend_from_slice(&seq.to_be_bytes());
    tcp.extend_from_slice(&ack.to_be_bytes());
    tcp.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    tcp.extend_from_slice(payload);
    let mut pseudo = Vec::new();
    pseudo.extend_from_slice(&src.0);
    pseudo.extend_from_slice(&dst.0);
    pseudo.extend_from_slice(&[0, 6]);
    pseudo.extend_from_slice(&(tcp.len() as u16).to_be_bytes());
    pseudo.extend_from_slice(&tcp);
    let c = csum(&pseudo, 0);
    tcp[16..18].copy_from_slice(&c.to_be_bytes());
    let mut ip = vec![0x45, 0, 0, 0, 0, 1, 0x40, 0, 64, 6, 0, 0];
    ip[2..4].copy_from_slice(&((20 + tcp.len()) as u16).to_be_bytes());
    ip.extend_from_slice(&src.0);
    ip.extend_from_slice(&dst.0);
    let c = csum(&ip, 0);
    ip[10..12].copy_from_slice(&c.to_be_bytes());
    let (smac, dmac) = if src.1 == 80 {
        ([2, 0, 0, 0, 0, 2], [2, 0, 0, 0, 0, 1])
    } else {
        ([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
    };
    let mut f = Vec::new();
    f.extend_from_slice(&dmac);
    f.extend_from_slice(&smac);
    f.extend_from_slice(&[0x08, 0x00]);
    f.extend_from_slice(&ip);
    f.extend_from_slice(&tcp);
    f
}

/// A complete HTTP exchange on one TCP connection, as Ethernet frames.
fn http_exchange() -> Vec<Vec<u8>> {
    let c = ([192, 0, 2, 10], 40000u16);
    let s = ([192, 0, 2, 80], 80u16);
    let req = b"GET /palisade-e2e HTTP/1.1\r\nHost: camera.local\r\nUser-Agent: e2e\r\n\r\n";
    let resp = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok";
    let (cs, ss) = (1000u32, 5000u32);
    let (syn, ack, psh, fin) = (0x02, 0x10, 0x18, 0x11);
    let req_end = cs + 1 + req.len() as u32;
    let resp_end = ss + 1 + resp.len() as u32;
    vec![
        tcp_frame(c, s, cs, 0, syn, b""),
        tcp_frame(s, c, ss, cs + 1, syn | ack, b""),
        tcp_frame(c, s, cs + 1, ss + 1, ack, b""),
        tcp_frame(c, s, cs + 1, ss + 1, psh, req),
        tcp_frame(s, c, ss + 1, req_end, ack, b""),
        tcp_frame(s, c, ss + 1, req_end, psh, resp),
        tcp_frame(c, s, req_end, resp_end, ack, b""),
        tcp_frame(c, s, req_end, resp_end, fin, b""),
        tcp_frame(s, c, resp_end, req_end + 1, fin, b""),
        tcp_frame(c, s, req_end + 1, resp_end + 1, ack, b""),
    ]
}

#[test]
fn vxlan_mirror_alerts() {
    let dir = temp_dir("vxlan");
    // a free port: bound and released (another process could take it in
    // between; then the sensor fails at start and says so)
    let port = UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let source = format!("vxlan://127.0.0.1:{port}");
    // one thread here, two on the veth: both reader loops of the pipeline
    let sensor = Sensor::start(&[], &dir, 1, &["--mirror".into(), source.clone()]);
    let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
    for frame in http_exchange() {
        // VXLAN header: flags (VNI valid), VNI 42
        let mut d = vec![0x08, 0, 0, 0, 0, 0, 42, 0];
        d.extend_from_slice(&frame);
        tx.send_to(&d, ("127.0.0.1", port)).unwrap();
        // pace the datagrams: the kernel's default socket buffer is small
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_millis(300));
    let (code, stdout, stderr) = sensor.stop();
    assert_outputs(&dir, &source, code, &stdout, &stderr);
    assert!(stdout.contains(&source), "{stdout}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// No source, a mirror URL that does not parse, a missing interface:
/// errors at start (status 1, a reason), no run in a store.
#[test]
fn bad_sources_fail_at_start() {
    let dir = temp_dir("bad");
    let bin = env!("CARGO_BIN_EXE_palisade");
    for (args, says) in [
        (vec![], "no source"),
        (vec!["--mirror", "gre://192.0.2.1:47"], "GRE has no port"),
        (
            vec!["--mirror", "vxlan://not-an-address:4789"],
            "IP literal",
        ),
        (vec!["--interface", "pse-nosuch0"], "pse-nosuch0"),
    ] {
        let o = Command::new(bin)
            .arg("sensor")
            .args(&args)
            .arg("--output-dir")
            .arg(dir.join("out"))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(!dir.join("out/palisade.db").exists(), "{args:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
