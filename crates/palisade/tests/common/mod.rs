//! Helpers shared by the end-to-end tests.
#![allow(dead_code)]

pub mod netns;

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `../shared/data` beside the repository. On a developer machine without
/// it the caller skips; under CI (CI=true) its absence is a failure.
pub fn shared_data() -> Option<PathBuf> {
    let p = repo_root().join("../shared/data");
    if p.is_dir() {
        Some(p)
    } else if std::env::var_os("CI").is_some() {
        panic!("../shared/data is missing under CI");
    } else {
        eprintln!("skipping: ../shared/data not present");
        None
    }
}

/// Whether an external tool runs; under CI a missing tool is a failure
/// (.ci/run installs it).
pub fn have_tool(name: &str) -> bool {
    let ok = Command::new(name)
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        if std::env::var_os("CI").is_some() {
            panic!("{name} is required under CI (.ci/run installs it)");
        }
        eprintln!("skipping: {name} not installed");
    }
    ok
}

/// Every capture file under a directory, sorted.
pub fn captures_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if matches!(
                p.extension().and_then(|x| x.to_str()),
                Some("pcap") | Some("pcapng")
            ) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Path of the palisade binary under test.
pub fn palisade() -> Command {
    Command::new(env!("CARGO_BIN_EXE_palisade"))
}

/// Runs `palisade scan` and returns the EVE records.
pub fn scan(
    inputs: &[&Path],
    extra: &[&str],
    out: &Path,
) -> (std::process::ExitStatus, Vec<serde_json::Value>) {
    let mut cmd = palisade();
    cmd.arg("scan").arg("--quiet").arg("--output-dir").arg(out);
    cmd.args(extra);
    for i in inputs {
        cmd.arg(i);
    }
    let o = cmd.output().expect("run palisade");
    if !o.status.success() {
        eprintln!("palisade stderr: {}", String::from_utf8_lossy(&o.stderr));
    }
    let text = std::fs::read_to_string(out.join("eve.json")).unwrap_or_default();
    let recs = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("EVE line is JSON"))
        .collect();
    (o.status, recs)
}

/// A scratch directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!(
            "palisade-test-{tag}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        ));
        std::fs::create_dir_all(&p).expect("temp dir");
        TempDir(p)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A complete HTTP exchange on one TCP connection from 192.0.2.10:`port`
/// to 192.0.2.80:80 (`GET /palisade-e2e`, `200 OK`, teardown), as 10
/// Ethernet frames with correct checksums: what the sensor tests send
/// through mirrors.
pub fn http_exchange_from(port: u16) -> Vec<Vec<u8>> {
    use palisade_testbed::craft::{eth_ipv4_tcp, flags};
    let (c, s) = ([192, 0, 2, 10], [192, 0, 2, 80]);
    let req = b"GET /palisade-e2e HTTP/1.1\r\nHost: camera.local\r\nUser-Agent: e2e\r\n\r\n";
    let resp = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok";
    let (cs, ss) = (1000u32, 5000u32);
    let (syn, ack, psh, fin) = (
        flags::SYN,
        flags::ACK,
        flags::PSH_ACK,
        flags::FIN | flags::ACK,
    );
    let req_end = cs + 1 + req.len() as u32;
    let resp_end = ss + 1 + resp.len() as u32;
    let to_s = |seq, ack_no, f, p: &[u8]| eth_ipv4_tcp(c, s, port, 80, seq, ack_no, f, p);
    let to_c = |seq, ack_no, f, p: &[u8]| eth_ipv4_tcp(s, c, 80, port, seq, ack_no, f, p);
    vec![
        to_s(cs, 0, syn, b""),
        to_c(ss, cs + 1, syn | ack, b""),
        to_s(cs + 1, ss + 1, ack, b""),
        to_s(cs + 1, ss + 1, psh, req),
        to_c(ss + 1, req_end, ack, b""),
        to_c(ss + 1, req_end, psh, resp),
        to_s(req_end, resp_end, ack, b""),
        to_s(req_end, resp_end, fin, b""),
        to_c(resp_end, req_end + 1, fin, b""),
        to_s(req_end + 1, resp_end + 1, ack, b""),
    ]
}

/// Whether a namespace test can run (root and `tools`); panics when
/// PALISADE_E2E=1 (`.ci/run`) and it cannot, otherwise says why and skips.
pub fn e2e_enabled(test: &str, tools: &[&str]) -> bool {
    let root = netns::is_root();
    let missing: Vec<&&str> = tools.iter().filter(|t| !netns::present(t)).collect();
    if root && missing.is_empty() {
        return true;
    }
    let why = format!(
        "{test}: needs root (network namespaces) and {tools:?} (root: {root}, \
         missing: {missing:?})"
    );
    if std::env::var("PALISADE_E2E").as_deref() == Ok("1") {
        panic!("PALISADE_E2E=1 but {why}");
    }
    eprintln!("{test} skipped: {why}");
    false
}
