//! The files in `dist/` stay usable: the sample configuration loads, and
//! the systemd unit's command line is one `palisade sensor` accepts.

mod common;

use std::path::PathBuf;

fn dist(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../dist")
        .join(name)
}

#[test]
fn sample_config_loads() {
    let o = common::palisade()
        .args(["config", "check", "--config"])
        .arg(dist("palisade.toml"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn unit_command_line_is_accepted() {
    let unit = std::fs::read_to_string(dist("palisade-sensor.service")).unwrap();
    let exec = unit
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .expect("an ExecStart line");
    let mut words = exec.split_whitespace();
    assert!(words.next().unwrap().ends_with("/palisade"));
    let tmp = common::TempDir::new("dist");
    // The unit's options, with this tree's config, an interface that does
    // not exist and a scratch output directory: palisade must get past the
    // command line (a usage error exits 2) and stop at the interface.
    let mut args: Vec<String> = Vec::new();
    let mut it = words.peekable();
    while let Some(w) = it.next() {
        match w {
            "--config" => {
                it.next();
                args.push(w.into());
                args.push(dist("palisade.toml").display().to_string());
            }
            "--interface" => {
                it.next();
                args.push(w.into());
                args.push("palisade-nonexistent0".into());
            }
            "--output-dir" => {
                it.next();
                args.push(w.into());
                args.push(tmp.path().join("out").display().to_string());
            }
            _ => args.push(w.into()),
        }
    }
    assert_eq!(args.first().map(String::as_str), Some("sensor"));
    let o = common::palisade().args(&args).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("palisade-nonexistent0"), "{err}");
}
