//! Thresholding: the `threshold:` and `detection_filter:` rule option values,
//! and threshold.config files (threshold, event_filter, suppress; rate_filter
//! is parsed and reported as unsupported).
//!
//! Semantics (Suricata's): `type limit` alerts on the first `count` matches
//! per `seconds` window; `type threshold` alerts once every `count`-th match
//! within the window; `type both` alerts once per window after `count`
//! matches. `detection_filter` alerts on every match after the first `count`
//! within `seconds`. Tracking is per source, destination, rule, or
//! source/destination pair.

use crate::address::{AddressExpr, IpSet};
use crate::vars::Vars;

/// What a threshold counts per.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Track {
    /// Per source address.
    BySrc,
    /// Per destination address.
    ByDst,
    /// Per rule.
    ByRule,
    /// Per (source, destination) pair.
    ByBoth,
    /// Suppress only: either address.
    ByEither,
    /// Per flow (Suricata 7 `by_flow`).
    ByFlow,
}

impl Track {
    fn parse(s: &str) -> Option<Track> {
        Some(match s {
            "by_src" => Track::BySrc,
            "by_dst" => Track::ByDst,
            "by_rule" => Track::ByRule,
            "by_both" => Track::ByBoth,
            "by_either" => Track::ByEither,
            "by_flow" => Track::ByFlow,
            _ => return None,
        })
    }
}

/// Threshold type.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ThresholdKind {
    /// Alert on the first `count` per window.
    Limit,
    /// Alert on every `count`-th.
    Threshold,
    /// Alert once per window once `count` is reached.
    Both,
    /// `detection_filter`: alert on every match after `count`.
    DetectionFilter,
}

/// A parsed threshold (from a rule option or a threshold.config line).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThresholdSpec {
    /// Type.
    pub kind: ThresholdKind,
    /// Tracking.
    pub track: Track,
    /// Count.
    pub count: u32,
    /// Window in seconds.
    pub seconds: u32,
}

/// Parses `type T, track X, count N, seconds S` (any order). With
/// `detection_filter = true` there is no `type`.
pub fn parse_threshold_value(value: &str, detection_filter: bool) -> Result<ThresholdSpec, String> {
    let mut kind = if detection_filter {
        Some(ThresholdKind::DetectionFilter)
    } else {
        None
    };
    let (mut track, mut count, mut seconds) = (None, None, None);
    for part in value.split(',') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let (k, v) = part
            .split_once(char::is_whitespace)
            .map(|(k, v)| (k.trim(), v.trim()))
            .ok_or_else(|| format!("`{part}` needs a value"))?;
        match k {
            "type" if !detection_filter => {
                kind = Some(match v {
                    "limit" => ThresholdKind::Limit,
                    "threshold" => ThresholdKind::Threshold,
                    "both" => ThresholdKind::Both,
                    _ => return Err(format!("unknown threshold type `{v}`")),
                })
            }
            "track" => {
                let t = Track::parse(v).ok_or_else(|| format!("unknown track `{v}`"))?;
                if t == Track::ByEither {
                    return Err("track by_either is only for suppress".into());
                }
                track = Some(t);
            }
            "count" => count = Some(v.parse::<u32>().map_err(|_| format!("bad count `{v}`"))?),
            "seconds" => {
                seconds = Some(v.parse::<u32>().map_err(|_| format!("bad seconds `{v}`"))?)
            }
            "unique_on" => return Err("unique_on is not supported".into()),
            _ => return Err(format!("unknown threshold setting `{k}`")),
        }
    }
    Ok(ThresholdSpec {
        kind: kind.ok_or("missing `type`")?,
        track: track.ok_or("missing `track`")?,
        count: count.ok_or("missing `count`")?,
        seconds: seconds.ok_or("missing `seconds`")?,
    })
}

/// What a threshold.config line does.
#[derive(Clone, Debug, PartialEq)]
pub enum ThresholdEntryKind {
    /// `threshold` / `event_filter`: replaces the rule's own threshold.
    Threshold(ThresholdSpec),
    /// `suppress` without track: no alerts at all for the rule.
    SuppressAll,
    /// `suppress` with track and ip: no alerts where the tracked address is in the set.
    Suppress {
        /// Which address is compared.
        track: Track,
        /// The addresses.
        ips: IpSet,
    },
}

/// One threshold.config line.
#[derive(Clone, Debug, PartialEq)]
pub struct ThresholdEntry {
    /// gen_id (0 with sig_id 0 = every rule).
    pub gid: u32,
    /// sig_id (0 = every rule of the gid).
    pub sid: u32,
    /// What to do.
    pub kind: ThresholdEntryKind,
    /// 1-based line in the file.
    pub line: u32,
}

/// A parsed threshold.config.
#[derive(Clone, Debug, Default)]
pub struct ThresholdConfig {
    /// Good entries.
    pub entries: Vec<ThresholdEntry>,
    /// Bad lines: (line, reason). The good ones still apply.
    pub errors: Vec<(u32, String)>,
}

impl ThresholdConfig {
    /// Parses threshold.config text; `vars` resolves `ip $HOME_NET`.
    pub fn parse(text: &str, vars: &Vars) -> ThresholdConfig {
        let mut out = ThresholdConfig::default();
        for (i, line) in text.lines().enumerate() {
            let line_no = i as u32 + 1;
            let t = line.trim();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            match parse_line(t, vars) {
                Ok((gid, sid, kind)) => out.entries.push(ThresholdEntry {
                    gid,
                    sid,
                    kind,
                    line: line_no,
                }),
                Err(e) => out.errors.push((line_no, e)),
            }
        }
        out
    }
}

fn parse_line(t: &str, vars: &Vars) -> Result<(u32, u32, ThresholdEntryKind), String> {
    let (directive, rest) = t
        .split_once(char::is_whitespace)
        .ok_or_else(|| format!("`{t}`: expected settings after the directive"))?;
    let mut gid = None;
    let mut sid = None;
    let mut others = Vec::new();
    let mut track = None;
    let mut ip = None;
    for part in split_top_level(rest) {
        let part = part.trim();
        let (k, v) = part
            .split_once(char::is_whitespace)
            .map(|(k, v)| (k.trim(), v.trim()))
            .ok_or_else(|| format!("`{part}` needs a value"))?;
        match k {
            "gen_id" => gid = Some(v.parse::<u32>().map_err(|_| format!("bad gen_id `{v}`"))?),
            "sig_id" => sid = Some(v.parse::<u32>().map_err(|_| format!("bad sig_id `{v}`"))?),
            "track" if directive == "suppress" => {
                track = Some(Track::parse(v).ok_or_else(|| format!("unknown track `{v}`"))?)
            }
            "ip" => ip = Some(v.to_string()),
            _ => others.push(part.to_string()),
        }
    }
    let gid = gid.ok_or("missing gen_id")?;
    let sid = sid.ok_or("missing sig_id")?;
    let kind = match directive {
        "threshold" | "event_filter" => {
            ThresholdEntryKind::Threshold(parse_threshold_value(&others.join(","), false)?)
        }
        "suppress" => match (track, ip) {
            (None, None) => ThresholdEntryKind::SuppressAll,
            (Some(track), Some(ip)) => {
                let ips = AddressExpr::parse(&ip, 0)
                    .map_err(|e| format!("ip: {}", e.message))?
                    .resolve(vars)
                    .map_err(|e| format!("ip: {e}"))?;
                ThresholdEntryKind::Suppress { track, ips }
            }
            _ => return Err("suppress needs both `track` and `ip`, or neither".into()),
        },
        "rate_filter" => return Err("rate_filter is not supported yet".into()),
        other => return Err(format!("unknown directive `{other}`")),
    };
    Ok((gid, sid, kind))
}

/// Splits on commas outside brackets (`ip [1.2.3.4,5.6.7.8]`).
fn split_top_level(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_option_values() {
        let t =
            parse_threshold_value("type limit, track by_src, count 1, seconds 60", false).unwrap();
        assert_eq!(t.kind, ThresholdKind::Limit);
        assert_eq!(t.track, Track::BySrc);
        assert_eq!((t.count, t.seconds), (1, 60));
        let d = parse_threshold_value("track by_dst, count 5, seconds 10", true).unwrap();
        assert_eq!(d.kind, ThresholdKind::DetectionFilter);
        assert!(parse_threshold_value("type limit, track by_src, count 1", false).is_err());
        assert!(
            parse_threshold_value("type nope, track by_src, count 1, seconds 1", false).is_err()
        );
    }

    #[test]
    fn config_file() {
        let text = "# c\nthreshold gen_id 1, sig_id 10, type limit, track by_src, count 1, seconds 60\nsuppress gen_id 1, sig_id 11\nsuppress gen_id 1, sig_id 12, track by_src, ip [10.0.0.0/8,192.168.1.1]\nsuppress gen_id 1, sig_id 13, track by_dst, ip $HOME_NET\nrate_filter gen_id 1, sig_id 1, track by_rule, count 1, seconds 1, new_action drop, timeout 1\nbogus\n";
        let c = ThresholdConfig::parse(text, &Vars::suricata_defaults());
        assert_eq!(c.entries.len(), 4, "{:?}", c.errors);
        assert_eq!(c.errors.len(), 2);
        assert_eq!(c.errors[0].0, 6);
        match &c.entries[2].kind {
            ThresholdEntryKind::Suppress { track, ips } => {
                assert_eq!(*track, Track::BySrc);
                assert!(ips.contains("192.168.1.1".parse().unwrap()));
                assert!(!ips.contains("192.168.1.2".parse().unwrap()));
            }
            k => panic!("{k:?}"),
        }
        assert_eq!(c.entries[1].kind, ThresholdEntryKind::SuppressAll);
    }
}
