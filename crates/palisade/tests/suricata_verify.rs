//! The suricata-verify cases in ../shared/data/pcaps/suricata-verify, run
//! through `palisade scan` and checked against their own test.yaml: each
//! `filter` names a count of EVE records whose fields match, as
//! suricata-verify's runner checks them.
//!
//! Known, deliberate differences (each handled below and named here):
//! - palisade never logs a password taken from traffic (the project's
//!   secrets rule): the expected `mqtt.connect.password` is not looked up;
//!   instead the test asserts no record anywhere carries the password.
//! - `stats.app_layer.flow.<proto>` for a protocol palisade has no parser
//!   for (`sip_udp`) is absent from palisade's stats: absent counts as 0,
//!   which is what such a check asserts (the flow was not taken for SIP).
//! - `requires.min-version` needs nothing; Suricata's `-k none` becomes
//!   `--set decoder.checksum_checks=no`.

mod common;

use serde_json::Value;
use std::path::Path;

/// The EVE types a case's suricata.yaml enables (None: all).
fn eve_types(case: &Path) -> Option<Vec<String>> {
    let text = std::fs::read_to_string(case.join("suricata.yaml")).ok()?;
    let text: String = text
        .lines()
        .filter(|l| !l.starts_with('%') && *l != "---")
        .collect::<Vec<_>>()
        .join("\n");
    let y: serde_yaml::Value = serde_yaml::from_str(&text).ok()?;
    let outputs = y.get("outputs")?.as_sequence()?;
    for o in outputs {
        if let Some(types) = o.get("eve-log").and_then(|e| e.get("types")) {
            let mut v = Vec::new();
            for t in types.as_sequence()? {
                match t {
                    serde_yaml::Value::String(s) => v.push(s.clone()),
                    serde_yaml::Value::Mapping(m) => {
                        for k in m.keys() {
                            if let Some(s) = k.as_str() {
                                v.push(s.to_string());
                            }
                        }
                    }
                    _ => {}
                }
            }
            return Some(v);
        }
    }
    None
}

fn yaml_to_json(y: &serde_yaml::Value) -> Value {
    serde_json::to_value(y).unwrap_or(Value::Null)
}

/// suricata-verify's comparison: scalars equal (numbers by value), lists
/// element by element, objects by the expected keys only.
fn matches(expected: &Value, got: &Value) -> bool {
    match (expected, got) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| matches(x, y))
        }
        (Value::Object(a), Value::Object(b)) => a
            .iter()
            .all(|(k, v)| b.get(k).is_some_and(|g| matches(v, g))),
        _ => expected == got,
    }
}

fn lookup<'a>(rec: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(rec, |v, k| v.get(k))
}

/// Whether a check key is one palisade deliberately does not produce (see
/// the module docs); such keys are skipped.
fn deliberately_absent(key: &str, rec: &Value) -> bool {
    if key.ends_with(".password") {
        return true;
    }
    if key.starts_with("stats.app_layer.flow.") && lookup(rec, key).is_none() {
        // A protocol palisade does not parse: absent means 0 flows.
        return true;
    }
    false
}

fn record_matches(rec: &Value, want: &serde_yaml::Mapping) -> bool {
    want.iter().all(|(k, v)| {
        let Some(key) = k.as_str() else {
            return false;
        };
        let exp = yaml_to_json(v);
        if deliberately_absent(key, rec) {
            // Still require the value the skip stands for where it is a number.
            return !key.starts_with("stats.") || exp == 0;
        }
        lookup(rec, key).is_some_and(|g| matches(&exp, g))
    })
}

fn run_case(case: &Path) {
    let name = case.file_name().unwrap().to_string_lossy().to_string();
    let yaml: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(case.join("test.yaml")).unwrap()).unwrap();
    let pcap = common::captures_under(case)
        .into_iter()
        .next()
        .expect("case has a capture");
    let out = common::TempDir::new(&format!("sv-{name}"));
    let mut args: Vec<String> = vec!["--threads".into(), "1".into()];
    // Suricata's `-k none`: no checksum validation (these captures were
    // taken on loopback with checksum offload).
    let k_none = yaml
        .get("args")
        .and_then(|a| a.as_sequence())
        .is_some_and(|a| a.iter().any(|x| x.as_str() == Some("-k none")));
    if k_none {
        args.push("--set".into());
        args.push("decoder.checksum_checks=no".into());
    }
    let rules = case.join("test.rules");
    if rules.exists() {
        args.push("--no-builtin-rules".into());
        args.push("--rules".into());
        args.push(rules.to_string_lossy().to_string());
    } else {
        args.push("--no-builtin-rules".into());
    }
    if let Some(types) = eve_types(case) {
        // stats is checked by some cases and always wanted here.
        let mut t = types;
        t.push("stats".into());
        args.push("--eve-types".into());
        args.push(t.join(","));
    }
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let (status, recs) = common::scan(&[&pcap], &argv, out.path());
    assert!(status.success(), "{name}: scan failed");
    // The secrets rule: no record carries a password's text (a boolean
    // `flags.password` saying one was sent is fine).
    fn logs_password(v: &Value) -> bool {
        match v {
            Value::Object(m) => m
                .iter()
                .any(|(k, x)| (k == "password" && x.is_string()) || logs_password(x)),
            Value::Array(a) => a.iter().any(logs_password),
            _ => false,
        }
    }
    for r in &recs {
        assert!(!logs_password(r), "{name}: a record logs a password: {r}");
    }
    let checks = yaml
        .get("checks")
        .and_then(|c| c.as_sequence())
        .expect("checks");
    for (i, c) in checks.iter().enumerate() {
        let Some(f) = c.get("filter") else {
            continue;
        };
        let want_count = f.get("count").and_then(|n| n.as_u64()).unwrap_or(1) as usize;
        let Some(m) = f.get("match").and_then(|m| m.as_mapping()) else {
            continue;
        };
        // Checks on record types the case's suricata.yaml did not enable
        // (flow records) count only among those palisade wrote.
        let got = recs.iter().filter(|r| record_matches(r, m)).count();
        assert_eq!(
            got,
            want_count,
            "{name}: check {i} {m:?} matched {got} records, want {want_count}\nrecords:\n{}",
            recs.iter()
                .filter(|r| r["event_type"] != "flow" && r["event_type"] != "stats")
                .map(|r| r.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

fn cases() -> Vec<std::path::PathBuf> {
    let Some(d) = common::shared_data() else {
        return Vec::new();
    };
    let mut v: Vec<_> = std::fs::read_dir(d.join("pcaps/suricata-verify"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("test.yaml").exists())
        .collect();
    v.sort();
    v
}

#[test]
fn suricata_verify_cases_pass() {
    let cases = cases();
    for c in &cases {
        eprintln!("case {}", c.display());
        run_case(c);
    }
}
