//! Per-device profiles end to end: the `profile-violation` testbed scenario
//! through `palisade eval`, with learned profiles (the defaults) and with
//! MUD files that `palisade profile learn` wrote from a benign capture of
//! the same fleet and that the configuration pins.

mod common;

use serde_json::Value;
use std::path::Path;

fn generate(scenario: &str, seed: &str, duration: &str, cap: &Path, labels: &Path) {
    let st = common::palisade()
        .args([
            "testbed",
            "generate",
            "--scenario",
            scenario,
            "--seed",
            seed,
        ])
        .args(["--devices", "3", "--duration", duration, "--out"])
        .arg(cap)
        .arg("--labels")
        .arg(labels)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(st.success(), "generate {scenario}");
}

fn eval(labels: &Path, cap: &Path, out: &Path, extra: &[&str]) -> (Value, Vec<Value>) {
    let o = common::palisade()
        .args(["eval", "--format", "json", "--threads", "1", "--labels"])
        .arg(labels)
        .arg("--output-dir")
        .arg(out)
        .args(extra)
        .arg(cap)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r: Value = serde_json::from_slice(&o.stdout).unwrap();
    let eve = std::fs::read_to_string(out.join("eve.json")).unwrap();
    let alerts = eve
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["event_type"] == "alert")
        .collect();
    (r, alerts)
}

fn assert_clean(r: &Value, what: &str) {
    let c = &r["classes"]["profile-violation"];
    assert_eq!(c["incidents"], 1, "{what}: {r}");
    assert_eq!(c["recall"], 1.0, "{what}: {c}");
    for (class, c) in r["classes"].as_object().unwrap() {
        assert_eq!(c["false_alerts"], 0, "{what} {class}: {c}");
    }
}

#[test]
fn learned_and_pinned_profiles_catch_the_irc_channel() {
    let tmp = common::TempDir::new("profile");
    let (cap, labels) = (tmp.path().join("pv.pcap"), tmp.path().join("pv.json"));
    generate("profile-violation", "2", "75m", &cap, &labels);
    let l: Value = serde_json::from_str(&std::fs::read_to_string(&labels).unwrap()).unwrap();
    let attack = &l["attacks"][0];
    let (dev, c2) = (
        attack["src"].as_str().unwrap(),
        attack["dst"].as_str().unwrap(),
    );

    // 1. learned profiles, default configuration
    let (r, alerts) = eval(&labels, &cap, &tmp.path().join("out-learned"), &[]);
    assert_clean(&r, "learned");
    let starts: Vec<&Value> = alerts
        .iter()
        .filter(|a| a["alert"]["metadata"]["palisade_incident_phase"][0] == "start")
        .collect();
    assert_eq!(starts.len(), 1, "{starts:?}");
    let a = &starts[0];
    assert_eq!(a["alert"]["signature_id"], 9_500_081);
    assert_eq!(
        (a["src_ip"].as_str(), a["dest_ip"].as_str()),
        (Some(dev), Some(c2))
    );
    assert_eq!(a["dest_port"], 6667);
    let md = &a["alert"]["metadata"];
    assert_eq!(md["novel"][0], "destination+port");
    assert_eq!(md["profile"][0], format!("learned:{dev}"));

    // 2. MUD files learned from a benign 20-minute capture of the same fleet
    let (fcap, flabels) = (tmp.path().join("f.pcap"), tmp.path().join("f.json"));
    generate("fleet", "2", "20m", &fcap, &flabels);
    let dir = tmp.path().join("profiles");
    let st = common::palisade()
        .args(["profile", "learn", "--threads", "1", "--out"])
        .arg(&dir)
        .arg("--output-dir")
        .arg(tmp.path().join("out-learn"))
        .arg(&fcap)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(st.success());
    let mut toml = String::from("[detectors.profile]\nlearn = false\n");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        let ip = p.file_stem().unwrap().to_string_lossy().replace('-', ".");
        let ok = common::palisade()
            .args(["profile", "check"])
            .arg(&p)
            .output()
            .unwrap();
        assert!(
            ok.status.success(),
            "{}",
            String::from_utf8_lossy(&ok.stderr)
        );
        toml.push_str(&format!(
            "[[detectors.profile.mud]]\nfile = {:?}\ndevices = [\"{ip}\"]\n",
            p.display().to_string()
        ));
        n += 1;
    }
    assert!(n >= 4, "gateway and three devices: {n}");
    let cfg = tmp.path().join("pinned.toml");
    std::fs::write(&cfg, toml).unwrap();
    let (r, alerts) = eval(
        &labels,
        &cap,
        &tmp.path().join("out-pinned"),
        &["--config", cfg.to_str().unwrap()],
    );
    assert_clean(&r, "pinned");
    let a = alerts
        .iter()
        .find(|a| a["alert"]["metadata"]["palisade_incident_phase"][0] == "start")
        .unwrap();
    assert_eq!(a["alert"]["signature_id"], 9_500_080);
    let md = &a["alert"]["metadata"];
    assert_eq!(
        md["profile"][0],
        format!(
            "https://profiles.palisade.invalid/{}",
            dev.replace('.', "-")
        )
    );
    assert_eq!(md["policy"][0], "from-device-policy");
    assert!(md["nearest_ace"][0].as_str().is_some(), "{md}");
    assert!(md["failed_match"][0].as_str().is_some(), "{md}");

    // 3. the fleet-wide allow-list: the labelled servers' names allowed
    let names: Vec<String> = l["servers"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["name"].as_str())
        .filter(|n| *n != "gateway")
        .map(|n| format!("\"{n}\""))
        .collect();
    let set = format!("detectors.exposure.allowed_public=[{}]", names.join(","));
    let (r, alerts) = eval(
        &labels,
        &cap,
        &tmp.path().join("out-allow"),
        &["--set", &set, "--set", "detectors.profile.enabled=false"],
    );
    for (class, c) in r["classes"].as_object().unwrap() {
        assert_eq!(c["false_alerts"], 0, "allow-list {class}: {c}");
    }
    let starts: Vec<&Value> = alerts
        .iter()
        .filter(|a| {
            a["alert"]["signature_id"] == 9_500_083
                && a["alert"]["metadata"]["palisade_incident_phase"][0] == "start"
        })
        .collect();
    assert_eq!(starts.len(), 1, "{alerts:?}");
    assert_eq!(starts[0]["dest_ip"].as_str(), Some(c2));
    assert_eq!(
        starts[0]["alert"]["metadata"]["palisade_class"][0],
        "exposure"
    );
}

#[test]
fn exfiltration_is_a_rate_far_above_the_learned_one() {
    let tmp = common::TempDir::new("exfil");
    let (cap, labels) = (tmp.path().join("ex.pcap"), tmp.path().join("ex.json"));
    generate("exfiltration", "1", "75m", &cap, &labels);
    let l: Value = serde_json::from_str(&std::fs::read_to_string(&labels).unwrap()).unwrap();
    let dev = l["attacks"][0]["src"].as_str().unwrap().to_string();
    let (r, alerts) = eval(&labels, &cap, &tmp.path().join("out"), &[]);
    assert_clean(&r, "exfiltration");
    let starts: Vec<&Value> = alerts
        .iter()
        .filter(|a| a["alert"]["metadata"]["palisade_incident_phase"][0] == "start")
        .collect();
    assert_eq!(starts.len(), 1, "{starts:?}");
    let a = starts[0];
    assert_eq!(a["alert"]["signature_id"], 9_500_082);
    assert_eq!(a["src_ip"].as_str(), Some(dev.as_str()));
    let md = &a["alert"]["metadata"];
    let bytes: u64 = md["bytes_in_minute"][0].as_str().unwrap().parse().unwrap();
    let limit: u64 = md["limit_bytes_per_minute"][0]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(bytes > limit && limit >= 600_000, "{md}");
}
