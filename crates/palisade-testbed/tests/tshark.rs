//! Cross-checks a generated capture with Wireshark's dissectors, when
//! `tshark` is installed (CI installs it; elsewhere the test says it skipped).

use palisade_testbed::{generate, ScenarioConfig};
use std::collections::BTreeSet;
use std::process::Command;

fn tshark(args: &[&str]) -> String {
    let out = Command::new("tshark")
        .args(args)
        .output()
        .expect("run tshark");
    assert!(
        out.status.success(),
        "tshark {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn fields(path: &str, filter: &str, field: &str) -> Vec<String> {
    tshark(&["-r", path, "-Y", filter, "-T", "fields", "-e", field])
        .lines()
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

#[test]
fn wireshark_dissects_the_capture_cleanly() {
    if Command::new("tshark").arg("--version").output().is_err() {
        eprintln!("tshark not installed: Wireshark cross-check skipped");
        return;
    }
    let cfg = ScenarioConfig {
        seed: 11,
        devices: 12,
        duration_secs: 300,
        ..Default::default()
    };
    let path = std::env::temp_dir().join(format!(
        "palisade-testbed-tshark-{}.pcap",
        std::process::id()
    ));
    let labels = generate(&cfg, std::fs::File::create(&path).unwrap()).unwrap();
    let p = path.to_str().unwrap();

    // No malformed packets, no errors; the only warnings are the RSTs.
    let expert = tshark(&["-r", p, "-q", "-z", "expert"]);
    assert!(!expert.contains("Errors ("), "{expert}");
    assert!(!expert.contains("Malformed"), "{expert}");
    if let Some(w) = expert.split("Warns (").nth(1) {
        let section = w.split("\n\n").next().unwrap();
        for line in section.lines().skip(3).filter(|l| !l.trim().is_empty()) {
            assert!(
                line.contains("Connection reset (RST)"),
                "unexpected warning: {line}"
            );
        }
    }

    // Wireshark counts the same conversations.
    let conv = |proto: &str| {
        tshark(&["-r", p, "-q", "-z", &format!("conv,{proto}")])
            .lines()
            .filter(|l| l.contains("<->"))
            .count() as u64
    };
    assert_eq!(conv("tcp"), labels.conversations.tcp);
    assert_eq!(conv("udp"), labels.conversations.udp);

    // Application layers as Wireshark sees them.
    let names: BTreeSet<String> = labels.servers.iter().map(|s| s.name.clone()).collect();
    let sni = fields(
        p,
        "tls.handshake.type == 1",
        "tls.handshake.extensions_server_name",
    );
    assert!(!sni.is_empty());
    assert!(sni.iter().all(|s| names.contains(s)), "{sni:?}");
    let methods: BTreeSet<String> = fields(p, "rtsp.request", "rtsp.method")
        .into_iter()
        .collect();
    for m in ["OPTIONS", "DESCRIBE", "SETUP", "PLAY", "GET_PARAMETER"] {
        assert!(methods.contains(m), "{methods:?}");
    }
    let mqtt: BTreeSet<String> = fields(p, "mqtt", "mqtt.msgtype")
        .iter()
        .flat_map(|l| l.split(',').map(String::from).collect::<Vec<_>>())
        .collect();
    for t in ["1", "2", "3", "4", "8", "9"] {
        assert!(mqtt.contains(t), "MQTT message type {t} missing: {mqtt:?}");
    }
    let queries = fields(p, "dns.flags.response == 0", "dns.qry.name");
    assert!(queries.iter().all(|q| names.contains(q)), "{queries:?}");
    let ntp = fields(p, "ntp.flags.mode == 4", "ntp.stratum");
    assert!(!ntp.is_empty() && ntp.iter().all(|s| s == "2"));
    let http = fields(p, "http.request", "http.request.uri");
    assert!(!http.is_empty() && http.iter().all(|u| u.starts_with("/firmware/check?model=")));
    let rtp = fields(p, "rtp", "rtp.p_type");
    assert!(rtp.len() > 1000 && rtp.iter().all(|t| t == "96"));
    std::fs::remove_file(&path).unwrap();
}
