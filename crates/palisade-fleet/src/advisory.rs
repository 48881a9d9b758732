//! Known vulnerabilities of device firmware: an advisory database matched
//! to what the classifier inferred (vendor, product, device type,
//! firmware version).
//!
//! The built-in database is `data/advisories/advisories.json`, compiled by
//! `scripts/build-advisories.py` from the hand-compiled IoT advisories
//! (affected and fixed versions, CVSS, CWE) and CISA's Known Exploited
//! Vulnerabilities catalog (see `data/advisories/README.md`). A user file
//! in the same format extends it (`[inventory] advisories`).
//!
//! An advisory lists what it affects: a vendor, product patterns (`*` and
//! `?` globs, case-insensitive; a pattern without glob characters also
//! matches a product that contains it as a whole word, so the KEV's
//! `DCS-2530L` matches `D-Link DCS-2530L`), optional device types, and
//! version ranges (any one matching is enough):
//! - `{"introduced": "5.0", "fixed": "5.5.800"}`: at least `introduced`
//!   (default: any) and below `fixed`;
//! - `{"last_affected": "3.1.5"}`: at most that;
//! - `{"build_before": 210628}`: a build number (or a trailing `_YYMMDD`
//!   stamp) below that, for vendors that number builds by date;
//! - `{"all": true}`: every version, the version need not be known (KEV
//!   entries whose affected versions are not machine-readable: the finding
//!   then says the version was not checked).
//!
//! Versions compare as [`crate::version::Version`] does (vendor formats,
//! build numbers). A device whose firmware is unknown matches only `all`
//! ranges.

use crate::version::Version;
use serde::Deserialize;

const BUILTIN: &str = include_str!("../../../data/advisories/advisories.json");

/// The advisory file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum AdvisoryError {
    /// Not JSON, or not the format (serde's message has line and column).
    #[error("{origin}: {message}")]
    Format {
        /// Which file.
        origin: String,
        /// What is wrong.
        message: String,
    },
    /// A range or version that cannot be read.
    #[error("{origin}: advisory {id}: {message}")]
    Advisory {
        /// Which file.
        origin: String,
        /// The advisory.
        id: String,
        /// Why.
        message: String,
    },
}

/// One advisory.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Advisory {
    /// CVE (or vendor) id.
    pub id: String,
    /// One line.
    pub title: String,
    /// What it is and what an attacker gets.
    #[serde(default)]
    pub summary: String,
    /// CVSS base score.
    #[serde(default)]
    pub cvss: Option<f64>,
    /// CVSS vector.
    #[serde(default)]
    pub cvss_vector: Option<String>,
    /// CWE.
    #[serde(default)]
    pub cwe: Option<String>,
    /// On CISA's Known Exploited Vulnerabilities list.
    #[serde(default)]
    pub known_exploited: bool,
    /// When it was added to the KEV list.
    #[serde(default)]
    pub kev_date_added: Option<String>,
    /// The first fixed version, as the vendor states it.
    #[serde(default)]
    pub fixed_version: Option<String>,
    /// What to do.
    pub remediation: String,
    /// Links.
    #[serde(default)]
    pub references: Vec<String>,
    /// Where the entry came from.
    #[serde(default)]
    pub source: String,
    /// What it affects.
    pub affected: Vec<Affected>,
}

/// What one advisory affects.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Affected {
    /// Vendor (compared case- and punctuation-insensitively).
    pub vendor: String,
    /// Product patterns.
    #[serde(default = "any_product")]
    pub products: Vec<String>,
    /// Device types (empty: any; a device of unknown type matches).
    #[serde(default)]
    pub device_types: Vec<String>,
    /// Version ranges (one matching is enough).
    pub ranges: Vec<Range>,
}

fn any_product() -> Vec<String> {
    vec!["*".into()]
}

/// A version range (see the module doc).
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Range {
    /// First affected version.
    pub introduced: Option<String>,
    /// First fixed version.
    pub fixed: Option<String>,
    /// Last affected version.
    pub last_affected: Option<String>,
    /// Builds below this are affected.
    pub build_before: Option<u64>,
    /// Every version.
    pub all: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AdvisoryFile {
    #[serde(default)]
    #[allow(dead_code)]
    note: String,
    advisories: Vec<Advisory>,
}

/// What is known of a device, for matching.
#[derive(Clone, Copy, Debug, Default)]
pub struct DeviceIdentity<'a> {
    /// Vendor.
    pub vendor: Option<&'a str>,
    /// Product.
    pub product: Option<&'a str>,
    /// Device type.
    pub device_type: Option<&'a str>,
    /// Firmware.
    pub firmware: Option<&'a str>,
}

/// Why an advisory applies.
#[derive(Clone, Debug, PartialEq)]
pub struct Match<'a> {
    /// The advisory.
    pub advisory: &'a Advisory,
    /// The firmware version was compared with a range (false: the
    /// advisory covers every version of the product).
    pub version_checked: bool,
    /// The range that matched, as text.
    pub range: String,
}

/// The advisories.
#[derive(Clone, Debug, Default)]
pub struct AdvisoryDb {
    advisories: Vec<Advisory>,
}

impl AdvisoryDb {
    /// The built-in database.
    pub fn builtin() -> AdvisoryDb {
        // Tested to load (below); an empty database rather than an abort
        // should it ever not.
        AdvisoryDb::from_json(BUILTIN, "data/advisories/advisories.json").unwrap_or_default()
    }

    /// The built-in database plus a user file.
    pub fn builtin_with(text: &str, origin: &str) -> Result<AdvisoryDb, AdvisoryError> {
        let mut db = AdvisoryDb::builtin();
        db.advisories
            .extend(AdvisoryDb::from_json(text, origin)?.advisories);
        Ok(db)
    }

    /// Reads one file.
    pub fn from_json(text: &str, origin: &str) -> Result<AdvisoryDb, AdvisoryError> {
        let f: AdvisoryFile = serde_json::from_str(text).map_err(|e| AdvisoryError::Format {
            origin: origin.into(),
            message: e.to_string(),
        })?;
        for a in &f.advisories {
            check(a, origin)?;
        }
        Ok(AdvisoryDb {
            advisories: f.advisories,
        })
    }

    /// How many advisories.
    pub fn len(&self) -> usize {
        self.advisories.len()
    }

    /// None.
    pub fn is_empty(&self) -> bool {
        self.advisories.is_empty()
    }

    /// The advisories that apply to a device.
    pub fn matches<'a>(&'a self, dev: &DeviceIdentity<'_>) -> Vec<Match<'a>> {
        let Some(vendor) = dev.vendor else {
            return Vec::new();
        };
        let firmware = dev.firmware.and_then(Version::parse);
        let mut out = Vec::new();
        for adv in &self.advisories {
            let hit = adv.affected.iter().find_map(|aff| {
                if norm(&aff.vendor) != norm(vendor) {
                    return None;
                }
                if !aff.products.iter().any(|p| product_matches(p, dev.product)) {
                    return None;
                }
                if let Some(t) = dev.device_type {
                    if !aff.device_types.is_empty()
                        && !aff.device_types.iter().any(|x| x.eq_ignore_ascii_case(t))
                    {
                        return None;
                    }
                }
                aff.ranges
                    .iter()
                    .find_map(|r| range_matches(r, firmware.as_ref()))
            });
            if let Some((version_checked, range)) = hit {
                out.push(Match {
                    advisory: adv,
                    version_checked,
                    range,
                });
            }
        }
        out
    }
}

fn check(a: &Advisory, origin: &str) -> Result<(), AdvisoryError> {
    let bad = |message: String| AdvisoryError::Advisory {
        origin: origin.into(),
        id: a.id.clone(),
        message,
    };
    if a.affected.is_empty() {
        return Err(bad("affects nothing".into()));
    }
    for aff in &a.affected {
        if aff.ranges.is_empty() {
            return Err(bad(format!("{}: no version range", aff.vendor)));
        }
        for r in &aff.ranges {
            for v in [&r.introduced, &r.fixed, &r.last_affected]
                .into_iter()
                .flatten()
            {
                if Version::parse(v).is_none() {
                    return Err(bad(format!("version `{v}` has no component")));
                }
            }
            let bounds = r.introduced.is_some()
                || r.fixed.is_some()
                || r.last_affected.is_some()
                || r.build_before.is_some();
            if r.all == bounds {
                return Err(bad(
                    "a range is either `all` or has bounds (introduced, fixed, last_affected, build_before)"
                        .into(),
                ));
            }
        }
    }
    Ok(())
}

/// Lower-case letters and digits only: `TP-Link` = `tp link` = `TPLINK`.
fn norm(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn product_matches(pattern: &str, product: Option<&str>) -> bool {
    if pattern == "*" {
        return true;
    }
    let Some(product) = product else {
        return false;
    };
    let (p, s) = (pattern.to_ascii_lowercase(), product.to_ascii_lowercase());
    if p.contains(['*', '?']) {
        return glob(p.as_bytes(), s.as_bytes());
    }
    s == p
        || s.split(|c: char| c.is_whitespace() || c == '/' || c == ',' || c == '(' || c == ')')
            .any(|w| w == p)
}

/// `*` any run, `?` one byte; iterative with one backtrack point (linear
/// in practice, no recursion).
fn glob(p: &[u8], s: &[u8]) -> bool {
    let (mut pi, mut si) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        match p.get(pi) {
            Some(b'*') => {
                star = Some((pi, si));
                pi += 1;
            }
            Some(&c) if c == b'?' || Some(&c) == s.get(si) => {
                pi += 1;
                si += 1;
            }
            _ => match star {
                Some((sp, ss)) => {
                    pi = sp + 1;
                    si = ss + 1;
                    star = Some((sp, ss + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|&c| c == b'*'))
}

/// Whether `r` covers `v`: Some((version compared, range text)).
fn range_matches(r: &Range, v: Option<&Version>) -> Option<(bool, String)> {
    if r.all {
        return Some((false, "all versions".into()));
    }
    let v = v?;
    let parse = |s: &Option<String>| s.as_deref().and_then(Version::parse);
    let mut text = Vec::new();
    if let Some(i) = parse(&r.introduced) {
        if *v < i {
            return None;
        }
        text.push(format!(">= {}", r.introduced.as_deref().unwrap_or("")));
    }
    if let Some(f) = parse(&r.fixed) {
        if *v >= f {
            return None;
        }
        text.push(format!("< {}", r.fixed.as_deref().unwrap_or("")));
    }
    if let Some(l) = parse(&r.last_affected) {
        if *v > l {
            return None;
        }
        text.push(format!("<= {}", r.last_affected.as_deref().unwrap_or("")));
    }
    if let Some(b) = r.build_before {
        match v.build_or_stamp() {
            Some(x) if x < b => text.push(format!("build < {b}")),
            _ => return None,
        }
    }
    Some((true, text.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dev<'a>(v: &'a str, p: &'a str, t: &'a str, fw: &'a str) -> DeviceIdentity<'a> {
        DeviceIdentity {
            vendor: Some(v),
            product: Some(p),
            device_type: Some(t),
            firmware: Some(fw),
        }
    }

    fn ids(db: &AdvisoryDb, d: &DeviceIdentity<'_>) -> Vec<String> {
        db.matches(d)
            .iter()
            .map(|m| m.advisory.id.clone())
            .collect()
    }

    #[test]
    fn builtin_loads_with_the_shared_advisories_and_kev() {
        let db = AdvisoryDb::builtin();
        assert!(db.len() >= 50, "{}", db.len());
        let hik = db
            .advisories
            .iter()
            .find(|a| a.id == "CVE-2021-36260")
            .unwrap();
        assert!(hik.known_exploited);
        assert_eq!(hik.kev_date_added.as_deref(), Some("2022-01-10"));
        assert_eq!(hik.cvss, Some(9.8));
    }

    #[test]
    fn hikvision_builds_before_the_fix_are_vulnerable() {
        let db = AdvisoryDb::builtin();
        let vuln = dev(
            "Hikvision",
            "DS-2CD2043G2-I",
            "camera",
            "V5.5.52 build 180620",
        );
        assert_eq!(ids(&db, &vuln), ["CVE-2021-36260"]);
        let m = &db.matches(&vuln)[0];
        assert!(m.version_checked);
        assert!(m.range.contains("build < 210628"), "{}", m.range);
        for fixed in [
            "V5.5.800 build 210628",
            "V5.7.3 build 220112",
            "V5.7.15 build 230203",
        ] {
            let d = dev("Hikvision", "DS-2CD2043G2-I", "camera", fixed);
            assert!(ids(&db, &d).is_empty(), "{fixed}");
        }
        // a platform string with its date stamp
        let d = dev(
            "Hikvision",
            "DS-2CD2T42WD",
            "camera",
            "IPC_G3_EN_STD_5.5.160_210416",
        );
        assert_eq!(ids(&db, &d), ["CVE-2021-36260"]);
        // legacy platforms: 5.4.x whatever the build
        let d = dev("Hikvision", "DS-2CD2032-I", "camera", "V5.4.5");
        assert_eq!(ids(&db, &d), ["CVE-2021-36260"]);
        // not a camera or recorder
        let d = dev(
            "Hikvision",
            "DS-K1T671",
            "access-control",
            "V5.5.52 build 180620",
        );
        assert!(ids(&db, &d).is_empty());
        // unknown firmware: no claim
        let d = DeviceIdentity {
            firmware: None,
            ..vuln
        };
        assert!(ids(&db, &d).is_empty());
    }

    #[test]
    fn axeda_agent_ranges_use_build_numbers() {
        let db = AdvisoryDb::builtin();
        let d = dev("PTC", "Axeda agent", "gateway", "6.9.2 build 1000");
        assert!(ids(&db, &d).contains(&"CVE-2022-25247".to_string()));
        let d = dev("PTC", "Axeda agent", "gateway", "6.9.2 build 1049");
        assert!(ids(&db, &d).is_empty());
        let d = dev("PTC", "Axeda agent", "gateway", "6.9.3 build 1051");
        assert!(ids(&db, &d).is_empty());
    }

    #[test]
    fn kev_entries_match_named_models_without_version() {
        let db = AdvisoryDb::builtin();
        let d = DeviceIdentity {
            vendor: Some("D-Link"),
            product: Some("DCS-2530L"),
            device_type: Some("camera"),
            firmware: None,
        };
        let m = db.matches(&d);
        let cves: Vec<_> = m.iter().map(|m| m.advisory.id.as_str()).collect();
        assert!(cves.contains(&"CVE-2020-25078"), "{cves:?}");
        assert!(m.iter().all(|m| !m.version_checked));
        // another model of the vendor: nothing
        let d = DeviceIdentity {
            product: Some("DCS-8000LH"),
            ..d
        };
        assert!(db.matches(&d).is_empty());
    }

    #[test]
    fn user_files_are_checked() {
        let ok = r#"{"advisories":[{"id":"ACME-1","title":"t","remediation":"r",
            "affected":[{"vendor":"Acme","products":["Cam-*"],"ranges":[{"introduced":"2.0","fixed":"2.4.1"}]}]}]}"#;
        let db = AdvisoryDb::builtin_with(ok, "acme.json").unwrap();
        assert_eq!(
            ids(&db, &dev("ACME", "cam-9", "camera", "2.3.9")),
            ["ACME-1"]
        );
        assert!(ids(&db, &dev("ACME", "cam-9", "camera", "2.4.1")).is_empty());
        assert!(ids(&db, &dev("ACME", "cam-9", "camera", "1.9")).is_empty());
        assert!(ids(&db, &dev("ACME", "door-9", "camera", "2.3")).is_empty());

        let both = ok.replace(r#""fixed":"2.4.1""#, r#""fixed":"2.4.1","all":true"#);
        let e = AdvisoryDb::from_json(&both, "u.json")
            .unwrap_err()
            .to_string();
        assert!(e.contains("ACME-1") && e.contains("either"), "{e}");
        let e = AdvisoryDb::from_json("{\"advisories\": [1]}", "u.json")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("u.json:") && e.contains("line 1"), "{e}");
    }

    #[test]
    fn globs() {
        assert!(glob(b"ds-2cd*", b"ds-2cd2043g2-i"));
        assert!(glob(b"*-i", b"ds-2cd2043g2-i"));
        assert!(glob(b"a?c*", b"abcdef"));
        assert!(!glob(b"a?c", b"abcd"));
        assert!(glob(b"*", b""));
        assert!(!glob(b"x*", b""));
        assert!(glob(
            b"*a*a*a*b",
            &[b'a'; 200].iter().chain(b"b").copied().collect::<Vec<_>>()
        ));
    }
}
