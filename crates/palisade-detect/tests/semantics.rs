//! The engine-neutral rule-semantics table (`semantics.table`): each case is
//! rules, packets (or stream data) and the sids expected to alert. Every
//! case runs twice, through the naive evaluator (every signature, no
//! prefilter) and through the prefiltered, grouped engine; both must give
//! the expected alerts.

use palisade_detect::{
    BuildOptions, DetectThread, FlowDetect, FlowView, PacketView, RuleSet, RuleSource, TcpView,
};
use std::net::IpAddr;

struct Case {
    name: String,
    line: usize,
    rules: Vec<String>,
    proto: u8,
    flags: u8,
    stream: bool,
    packets: Vec<(bool, Vec<u8>, u64)>,
    expect: Vec<u32>,
}

/// Decodes content syntax: `"abc|0d 0a|def"`.
fn bytes(s: &str) -> Vec<u8> {
    let s = s.trim();
    let s = s
        .strip_prefix('"')
        .and_then(|x| x.strip_suffix('"'))
        .unwrap_or(s);
    let mut out = Vec::new();
    let mut hex = false;
    let mut chars = s.chars();
    let mut pending = String::new();
    while let Some(c) = chars.next() {
        if c == '|' {
            hex = !hex;
            continue;
        }
        if hex {
            if c.is_ascii_hexdigit() {
                pending.push(c);
                if pending.len() == 2 {
                    out.push(u8::from_str_radix(&pending, 16).unwrap());
                    pending.clear();
                }
            }
        } else if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n as u8);
            }
        } else {
            let mut b = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
        }
    }
    out
}

fn flags(s: &str) -> u8 {
    s.chars().fold(0, |f, c| {
        f | match c {
            'F' => 0x01,
            'S' => 0x02,
            'R' => 0x04,
            'P' => 0x08,
            'A' => 0x10,
            'U' => 0x20,
            'E' => 0x40,
            'C' => 0x80,
            _ => 0,
        }
    })
}

fn parse_table(text: &str) -> Vec<Case> {
    let mut cases = Vec::new();
    let mut cur: Option<Case> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, rest) = line.split_once(' ').unwrap_or((line, ""));
        if key == "case" {
            if let Some(c) = cur.take() {
                cases.push(c);
            }
            cur = Some(Case {
                name: rest.to_string(),
                line: i + 1,
                rules: vec![],
                proto: 6,
                flags: 0x18,
                stream: false,
                packets: vec![],
                expect: vec![],
            });
            continue;
        }
        let c = cur
            .as_mut()
            .unwrap_or_else(|| panic!("line {}: no case", i + 1));
        match key {
            "rule" => c.rules.push(rest.to_string()),
            "proto" => {
                c.proto = match rest {
                    "tcp" => 6,
                    "udp" => 17,
                    "icmp" => 1,
                    _ => panic!("line {}: proto", i + 1),
                }
            }
            "flags" => c.flags = flags(rest),
            "stream" => c.stream = true,
            ">" | "<" => {
                // optional "@secs" prefix for packet time
                let (t, data) = match rest.strip_prefix('@') {
                    Some(r) => {
                        let (t, d) = r.split_once(' ').unwrap_or((r, "\"\""));
                        (t.parse().unwrap(), d)
                    }
                    None => (1_700_000_000, rest),
                };
                c.packets.push((key == ">", bytes(data), t));
            }
            "expect" => {
                c.expect = if rest == "none" {
                    vec![]
                } else {
                    rest.split(',').map(|s| s.trim().parse().unwrap()).collect()
                }
            }
            _ => panic!("line {}: unknown key {key}", i + 1),
        }
    }
    cases.extend(cur);
    cases
}

fn run_case(c: &Case, naive: bool) -> Vec<u32> {
    let text = c.rules.join("\n");
    let (set, report) = RuleSet::build(
        &[RuleSource {
            name: "table".into(),
            text,
        }],
        &BuildOptions::default(),
    );
    assert!(
        report.failures.is_empty(),
        "case '{}' (line {}): rule failed: {:?}",
        c.name,
        c.line,
        report.failures
    );
    let mut t = DetectThread::new(&set);
    let mut flow = FlowDetect::default();
    let client: IpAddr = "192.168.1.10".parse().unwrap();
    let server: IpAddr = "192.168.1.20".parse().unwrap();
    let mut out = Vec::new();
    let mut acc: [Vec<u8>; 2] = Default::default();
    let mut naive_alerted: [Vec<u32>; 2] = Default::default();
    let mut counts = [0u64; 2];
    for (to_server, data, secs) in &c.packets {
        let (src, dst, sp, dp) = if *to_server {
            (client, server, 40000, 80)
        } else {
            (server, client, 80, 40000)
        };
        let d = usize::from(!*to_server);
        counts[d] += data.len() as u64;
        let mut p = PacketView::new(src, dst, c.proto, sp, dp, data);
        if c.proto != 6 && c.proto != 17 {
            p.sport = 0;
            p.dport = 0;
        }
        if c.proto == 6 {
            p.tcp = Some(TcpView {
                flags: c.flags,
                seq: 1000,
                ack: 2000,
                window: 1024,
                mss: None,
            });
        }
        p.flow = Some(FlowView {
            to_server: *to_server,
            established: true,
            has_stream: c.stream,
            toserver_bytes: counts[0],
            toclient_bytes: counts[1],
        });
        let before = out.len();
        if naive {
            set.inspect_naive(&mut t, &p, Some(&mut flow), None, None, *secs, &mut out);
            if c.stream {
                acc[d].extend_from_slice(data);
                let mut tmp = Vec::new();
                set.inspect_naive(
                    &mut t,
                    &p,
                    Some(&mut flow),
                    Some(&acc[d]),
                    None,
                    *secs,
                    &mut tmp,
                );
                for a in tmp {
                    let sid = set.signature(a.sig).unwrap().sid;
                    if !naive_alerted[d].contains(&sid) {
                        naive_alerted[d].push(sid);
                        out.push(a);
                    }
                }
            }
        } else {
            // As the pipeline does: the packet first, then the stream data it releases.
            set.inspect_packet(&mut t, &p, Some(&mut flow), 1, *secs, &mut out);
            if c.stream {
                set.inspect_stream(
                    &mut t, &p, &mut flow, *to_server, data, false, 1, *secs, &mut out,
                );
            }
        }
        let _ = before;
    }
    out.iter()
        .map(|a| set.signature(a.sig).unwrap().sid)
        .collect()
}

#[test]
fn semantics_table_naive_and_engine_agree() {
    let text = include_str!("semantics.table");
    let cases = parse_table(text);
    assert!(cases.len() >= 40, "table has {} cases", cases.len());
    let mut failures = Vec::new();
    for c in &cases {
        let naive = run_case(c, true);
        let engine = run_case(c, false);
        if naive != c.expect || engine != c.expect {
            failures.push(format!(
                "case '{}' (line {}): expected {:?}, naive {:?}, engine {:?}",
                c.name, c.line, c.expect, naive, engine
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
