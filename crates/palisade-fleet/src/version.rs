//! Firmware versions as vendors write them, and their order.
//!
//! Device firmware versions are not semver. The formats the advisory
//! database has to compare include `V5.5.800 build 210628` (Hikvision,
//! EZVIZ: a release and a build date `YYMMDD`), `1.0.20 Build 221125`
//! (TP-Link), `6.9.2 build 1049` (PTC Axeda: a build counter),
//! `V2.800.0000000.35.R` (Dahua: a trailing release letter),
//! `v3.1.0.956_22041503` (Reolink: a build stamp after `_`),
//! `1.4.4-g6d2a586` (a git describe) and plain `10.12.199` (Axis).
//!
//! A [`Version`] is the release (the components before a `build` word,
//! compared one by one: numbers as numbers, words case-insensitively, a
//! number above a word, and a release that stops early below one that
//! goes on with a number but above one that goes on with a word, so
//! `1.0-beta < 1.0 < 1.0.1`, as dpkg and rpm order them) plus an optional
//! build number, compared after the release. A version without a build
//! number orders before every build of the same release: an advisory that
//! says "fixed in 6.9.2 build 1049" does not clear a device that only
//! says "6.9.2", whose build is unknown.
//!
//! Bounded: at most [`MAX_PARTS`] components and [`MAX_LEN`] bytes are
//! read of a version string; the rest is ignored.

use std::cmp::Ordering;

/// Components read at most.
pub const MAX_PARTS: usize = 16;
/// Bytes of a version string read at most.
pub const MAX_LEN: usize = 128;

/// One component of a release.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Part {
    /// Digits (leading zeros do not count; more than 19 digits saturate).
    Num(u64),
    /// Letters, lower-cased.
    Word(String),
}

/// A parsed firmware version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Version {
    /// The release components.
    pub release: Vec<Part>,
    /// The build number, when the string has one (`build 210628`,
    /// `Build 221125`).
    pub build: Option<u64>,
}

impl Version {
    /// Reads a version; None when it has no component at all.
    pub fn parse(s: &str) -> Option<Version> {
        let s = crate::text::prefix(s.trim(), MAX_LEN);
        let lower = s.to_ascii_lowercase();
        // `... build N`: the release is what comes before the word.
        let (rel, build) = match lower.find("build") {
            Some(i) => {
                let after = lower.get(i + 5..).unwrap_or("");
                let digits: String = after
                    .trim_start_matches([' ', ':', '-', '_', '.'])
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .take(19)
                    .collect();
                (lower.get(..i).unwrap_or(""), digits.parse::<u64>().ok())
            }
            None => (lower.as_str(), None),
        };
        // A leading `v` (V5.5.800, v3.1.0) is not part of the release.
        let rel = rel.trim();
        let rel = match rel.strip_prefix('v') {
            Some(r) if r.starts_with(|c: char| c.is_ascii_digit()) => r,
            _ => rel,
        };
        let release = parts(rel);
        if release.is_empty() && build.is_none() {
            return None;
        }
        Some(Version { release, build })
    }

    /// The build number, or a trailing date stamp when there is no build
    /// word: `IPC_G3_EN_STD_5.5.160_210416` ends in `_210416`. Used for
    /// "build before" ranges only.
    pub fn build_or_stamp(&self) -> Option<u64> {
        self.build.or_else(|| match self.release.last() {
            Some(Part::Num(n)) if (100_000..1_000_000).contains(n) && self.release.len() > 1 => {
                Some(*n)
            }
            _ => None,
        })
    }
}

/// Splits into runs of digits and runs of letters; anything else
/// separates.
fn parts(s: &str) -> Vec<Part> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut digits = false;
    let flush = |cur: &mut String, digits: bool, out: &mut Vec<Part>| {
        if cur.is_empty() || out.len() >= MAX_PARTS {
            cur.clear();
            return;
        }
        if digits {
            let t = cur.trim_start_matches('0');
            let n = if t.len() > 19 {
                u64::MAX
            } else {
                t.parse().unwrap_or(0)
            };
            out.push(Part::Num(n));
        } else {
            out.push(Part::Word(std::mem::take(cur)));
        }
        cur.clear();
    };
    for c in s.chars() {
        if c.is_ascii_digit() {
            if !digits {
                flush(&mut cur, digits, &mut out);
                digits = true;
            }
            cur.push(c);
        } else if c.is_ascii_alphabetic() {
            if digits {
                flush(&mut cur, digits, &mut out);
                digits = false;
            }
            cur.push(c);
        } else {
            flush(&mut cur, digits, &mut out);
        }
    }
    flush(&mut cur, digits, &mut out);
    out
}

fn cmp_part(a: &Part, b: &Part) -> Ordering {
    match (a, b) {
        (Part::Num(x), Part::Num(y)) => x.cmp(y),
        (Part::Word(x), Part::Word(y)) => x.cmp(y),
        (Part::Num(_), Part::Word(_)) => Ordering::Greater,
        (Part::Word(_), Part::Num(_)) => Ordering::Less,
    }
}

/// Release order (see the module doc).
fn cmp_release(a: &[Part], b: &[Part]) -> Ordering {
    let mut i = 0;
    loop {
        match (a.get(i), b.get(i)) {
            (None, None) => return Ordering::Equal,
            (Some(x), Some(y)) => match cmp_part(x, y) {
                Ordering::Equal => i += 1,
                o => return o,
            },
            // `1.0` vs `1.0.1`: less; `1.0` vs `1.0-beta`: greater.
            (None, Some(y)) => {
                return match y {
                    Part::Num(_) => Ordering::Less,
                    Part::Word(_) => Ordering::Greater,
                }
            }
            (Some(x), None) => {
                return match x {
                    Part::Num(_) => Ordering::Greater,
                    Part::Word(_) => Ordering::Less,
                }
            }
        }
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_release(&self.release, &other.release).then_with(|| self.build.cmp(&other.build))
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, p) in self.release.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            match p {
                Part::Num(n) => write!(f, "{n}")?,
                Part::Word(w) => f.write_str(w)?,
            }
        }
        if let Some(b) = self.build {
            write!(f, " build {b}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn vendor_formats_parse() {
        let h = v("V5.5.800 build 210628");
        assert_eq!(h.release, vec![Part::Num(5), Part::Num(5), Part::Num(800)]);
        assert_eq!(h.build, Some(210628));
        assert_eq!(v("1.0.20 Build 221125").build, Some(221125));
        assert_eq!(v("6.9.2 build 1049").build, Some(1049));
        let d = v("V2.800.0000000.35.R");
        assert_eq!(
            d.release,
            vec![
                Part::Num(2),
                Part::Num(800),
                Part::Num(0),
                Part::Num(35),
                Part::Word("r".into())
            ]
        );
        assert_eq!(v("v3.1.0.956_22041503").release.len(), 5);
        assert_eq!(
            v("ESPHome 2025.11.2").release[0],
            Part::Word("esphome".into())
        );
        assert!(Version::parse("").is_none());
        assert!(Version::parse(" -._ ").is_none());
        assert_eq!(v("build 180620").build, Some(180620));
    }

    #[test]
    fn order_of_releases() {
        assert!(v("5.5.52") < v("5.5.800"));
        assert!(v("V5.5.800") == v("5.5.800"));
        assert!(v("10.12.199") > v("9.80.3"));
        assert!(v("1.0") < v("1.0.1"));
        assert!(v("1.0-beta") < v("1.0"));
        assert!(v("1.0-rc1") > v("1.0-beta2"));
        assert!(v("V2.800.0000000.35.R") < v("V2.820.0000000.18.R"));
        assert!(v("1.4.4-g6d2a586") > v("1.3.3-gbdfd9b3"));
        // leading zeros do not count
        assert!(v("1.010") == v("1.10"));
    }

    #[test]
    fn builds_order_after_the_release() {
        assert!(v("V5.5.800 build 210628") > v("V5.5.800 build 210101"));
        assert!(v("V5.7.3 build 220112") > v("V5.5.800 build 230101"));
        // unknown build sorts first: "6.9.2" is not known to be fixed
        assert!(v("6.9.2") < v("6.9.2 build 1049"));
        assert!(v("6.9.3 build 1051") > v("6.9.2 build 1049"));
    }

    #[test]
    fn build_or_stamp_reads_platform_strings() {
        assert_eq!(
            v("IPC_G3_EN_STD_5.5.160_210416").build_or_stamp(),
            Some(210416)
        );
        assert_eq!(v("V5.5.52 build 180620").build_or_stamp(), Some(180620));
        assert_eq!(v("10.12.199").build_or_stamp(), None);
        assert_eq!(v("210416").build_or_stamp(), None);
    }

    #[test]
    fn hostile_strings_are_bounded() {
        let long = "9".repeat(100_000);
        let x = v(&long);
        assert_eq!(x.release, vec![Part::Num(u64::MAX)]);
        let many = "1.".repeat(10_000);
        assert!(v(&many).release.len() <= MAX_PARTS);
        // multi-byte characters at the cut
        let s = format!("{}é1", "a".repeat(MAX_LEN - 1));
        assert!(Version::parse(&s).is_some());
        assert!(Version::parse("build ").is_none());
        assert!(Version::parse("buildbuild 12").is_none());
    }
}
