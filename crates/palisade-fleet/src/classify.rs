//! What a device is: vendor, product, device type and firmware version,
//! inferred from its fingerprints by rules kept as data.
//!
//! The built-in rules are compiled in from `data/classifier/rules.toml`
//! (see its header for the format and where each rule's fact comes from);
//! a user file in the same format extends them (`[inventory]
//! classifier_rules`). A rule names one kind of fact (`http.user_agent`,
//! `mqtt.client_id`, `oui.vendor`, `http.url`, ...: the fingerprint kinds
//! of [`crate::fingerprint`], plus `oui.vendor` and `hostname`), a regular
//! expression over its value, and what a match says: fixed values and/or
//! named captures (`(?P<product>...)`, `(?P<firmware>...)`), each with the
//! rule's confidence (0-100). Per field, the value of highest confidence
//! wins (a firmware-update request naming the exact version beats a
//! User-Agent that only names the major version; a User-Agent naming the
//! vendor beats the MAC vendor, which is often the Wi-Fi module's maker).
//!
//! Regular expressions are Rust's `regex` (linear time: fingerprint values
//! come from hostile traffic); captured values are cut to [`MAX_VALUE`]
//! bytes.

use regex::Regex;
use serde::Deserialize;
use std::collections::HashMap;

/// Bytes of a captured value kept at most.
pub const MAX_VALUE: usize = 96;

const BUILTIN: &str = include_str!("../../../data/classifier/rules.toml");

/// A rule file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ClassifierError {
    /// Not TOML, or not the rule format.
    #[error("{origin}: {message}")]
    Format {
        /// Which file.
        origin: String,
        /// What is wrong (with its line and column).
        message: String,
    },
    /// A rule's pattern does not compile.
    #[error("{origin}: rule {id}: pattern: {message}")]
    Pattern {
        /// Which file.
        origin: String,
        /// The rule's id.
        id: String,
        /// Why.
        message: String,
    },
    /// A rule sets nothing, or names an unknown field.
    #[error("{origin}: rule {id}: {message}")]
    Rule {
        /// Which file.
        origin: String,
        /// The rule's id.
        id: String,
        /// Why.
        message: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    #[serde(default)]
    rule: Vec<RuleSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    id: String,
    kind: String,
    pattern: String,
    #[serde(default = "default_confidence")]
    confidence: u8,
    vendor: Option<String>,
    product: Option<String>,
    device_type: Option<String>,
    firmware: Option<String>,
    /// `url`: captured values are percent-decoded.
    #[serde(default)]
    decode: Option<String>,
}

fn default_confidence() -> u8 {
    50
}

/// The fields a rule can set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    /// Maker.
    Vendor,
    /// Model.
    Product,
    /// camera, nvr, plug, sensor, hub, thermostat, light, gateway, ...
    DeviceType,
    /// Firmware version.
    Firmware,
}

impl Field {
    const ALL: [Field; 4] = [
        Field::Vendor,
        Field::Product,
        Field::DeviceType,
        Field::Firmware,
    ];

    /// The field's name (and the capture group that sets it).
    pub fn name(self) -> &'static str {
        match self {
            Field::Vendor => "vendor",
            Field::Product => "product",
            Field::DeviceType => "device_type",
            Field::Firmware => "firmware",
        }
    }
}

struct Rule {
    id: String,
    kind: String,
    re: Regex,
    confidence: u8,
    fixed: Vec<(Field, String)>,
    url_decode: bool,
}

/// One field's value and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inferred {
    /// The value.
    pub value: String,
    /// Confidence of the rule that gave it.
    pub confidence: u8,
    /// That rule's id.
    pub rule: String,
    /// The fact it matched: (kind, value).
    pub fact: (String, String),
}

/// What the rules say of one device.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Classification {
    /// Per field, the best value.
    pub fields: std::collections::BTreeMap<Field, Inferred>,
}

impl Classification {
    /// A field's value.
    pub fn get(&self, f: Field) -> Option<&str> {
        self.fields.get(&f).map(|i| i.value.as_str())
    }

    /// The evidence as JSON: one line per field, "firmware V5.5.52 build
    /// 180620 from http.url /firmware/check?... (rule
    /// firmware-check-query, confidence 90)", so a reader sees what each
    /// value rests on.
    pub fn evidence(&self) -> serde_json::Value {
        self.fields
            .iter()
            .map(|(f, i)| {
                serde_json::Value::String(format!(
                    "{} {} from {} {} (rule {}, confidence {})",
                    f.name(),
                    i.value,
                    i.fact.0,
                    i.fact.1,
                    i.rule,
                    i.confidence
                ))
            })
            .collect()
    }
}

/// The rules, by fact kind.
pub struct Classifier {
    by_kind: HashMap<String, Vec<Rule>>,
    rules: usize,
}

impl Classifier {
    /// The built-in rules.
    pub fn builtin() -> Classifier {
        // The built-in file is tested to load (tests below), so failing
        // here would be a build defect; fall back to no rules rather
        // than abort a scan.
        Classifier::from_toml(BUILTIN, "data/classifier/rules.toml").unwrap_or_else(|_| {
            Classifier {
                by_kind: HashMap::new(),
                rules: 0,
            }
        })
    }

    /// The built-in rules plus a user file's (which win ties: they come
    /// later).
    pub fn builtin_with(text: &str, origin: &str) -> Result<Classifier, ClassifierError> {
        let mut c = Classifier::builtin();
        c.add_toml(text, origin)?;
        Ok(c)
    }

    /// Rules from one TOML text.
    pub fn from_toml(text: &str, origin: &str) -> Result<Classifier, ClassifierError> {
        let mut c = Classifier {
            by_kind: HashMap::new(),
            rules: 0,
        };
        c.add_toml(text, origin)?;
        Ok(c)
    }

    fn add_toml(&mut self, text: &str, origin: &str) -> Result<(), ClassifierError> {
        let file: RuleFile = toml::from_str(text).map_err(|e| ClassifierError::Format {
            origin: origin.into(),
            message: e.to_string(),
        })?;
        for spec in file.rule {
            let rule = compile(spec, origin)?;
            self.by_kind
                .entry(rule.kind.clone())
                .or_default()
                .push(rule);
            self.rules += 1;
        }
        Ok(())
    }

    /// How many rules.
    pub fn len(&self) -> usize {
        self.rules
    }

    /// No rules.
    pub fn is_empty(&self) -> bool {
        self.rules == 0
    }

    /// Whether some rule reads facts of `kind` (the inventory keeps such
    /// facts, e.g. `http.url`, only when a rule can use them).
    pub fn reads(&self, kind: &str) -> bool {
        self.by_kind.contains_key(kind)
    }

    /// Whether a fact would match some rule.
    pub fn matches(&self, kind: &str, value: &str) -> bool {
        self.by_kind
            .get(kind)
            .is_some_and(|rs| rs.iter().any(|r| r.re.is_match(value)))
    }

    /// Classifies a device from its facts (kind, value).
    pub fn classify<'a>(
        &self,
        facts: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Classification {
        let mut out = Classification::default();
        for (kind, value) in facts {
            let Some(rules) = self.by_kind.get(kind) else {
                continue;
            };
            for r in rules {
                let Some(caps) = r.re.captures(value) else {
                    continue;
                };
                let mut set = |f: Field, v: String| {
                    let v = v.trim().to_string();
                    if v.is_empty() {
                        return;
                    }
                    let better = out
                        .fields
                        .get(&f)
                        .is_none_or(|cur| r.confidence >= cur.confidence);
                    if better {
                        out.fields.insert(
                            f,
                            Inferred {
                                value: v,
                                confidence: r.confidence,
                                rule: r.id.clone(),
                                fact: (kind.to_string(), cut(value)),
                            },
                        );
                    }
                };
                for (f, v) in &r.fixed {
                    set(*f, v.clone());
                }
                for f in Field::ALL {
                    if let Some(m) = caps.name(f.name()) {
                        let raw = m.as_str();
                        let v = if r.url_decode {
                            percent_decode(raw)
                        } else {
                            raw.to_string()
                        };
                        set(f, cut(&v));
                    }
                }
            }
        }
        out
    }
}

fn compile(spec: RuleSpec, origin: &str) -> Result<Rule, ClassifierError> {
    let rule_err = |message: String| ClassifierError::Rule {
        origin: origin.into(),
        id: spec.id.clone(),
        message,
    };
    if spec.confidence > 100 {
        return Err(rule_err(format!(
            "confidence {} is above 100",
            spec.confidence
        )));
    }
    let url_decode = match spec.decode.as_deref() {
        None => false,
        Some("url") => true,
        Some(other) => return Err(rule_err(format!("unknown decode `{other}` (known: url)"))),
    };
    let re = regex::RegexBuilder::new(&spec.pattern)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| ClassifierError::Pattern {
            origin: origin.into(),
            id: spec.id.clone(),
            message: e.to_string(),
        })?;
    for name in re.capture_names().flatten() {
        if !Field::ALL.iter().any(|f| f.name() == name) {
            return Err(rule_err(format!(
                "capture group `{name}` is not a field (vendor, product, device_type, firmware)"
            )));
        }
    }
    let mut fixed = Vec::new();
    for (f, v) in [
        (Field::Vendor, &spec.vendor),
        (Field::Product, &spec.product),
        (Field::DeviceType, &spec.device_type),
        (Field::Firmware, &spec.firmware),
    ] {
        if let Some(v) = v {
            fixed.push((f, v.clone()));
        }
    }
    if fixed.is_empty() && re.capture_names().flatten().next().is_none() {
        return Err(rule_err("sets no field".into()));
    }
    Ok(Rule {
        id: spec.id,
        kind: spec.kind,
        re,
        confidence: spec.confidence,
        fixed,
        url_decode,
    })
}

/// At most [`MAX_VALUE`] bytes, on a character boundary.
fn cut(s: &str) -> String {
    crate::text::prefix(s, MAX_VALUE).to_string()
}

/// `%41` → `A`, `+` → space; invalid escapes and non-UTF-8 results are
/// kept as they are (lossily).
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        match c {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => {
                let hex = b
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok());
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(v) => {
                        out.push(v);
                        i += 3;
                    }
                    None => {
                        out.push(c);
                        i += 1;
                    }
                }
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_rules_load() {
        let c = Classifier::from_toml(BUILTIN, "builtin").unwrap();
        assert!(c.len() >= 30, "{} rules", c.len());
        assert!(c.reads("http.url"));
        assert!(c.reads("oui.vendor"));
    }

    #[test]
    fn firmware_check_gives_product_and_exact_firmware() {
        let c = Classifier::builtin();
        let got = c.classify([
            (
                "oui.vendor",
                "Hangzhou Hikvision Digital Technology Co.,Ltd.",
            ),
            ("http.user_agent", "Hikvision-Webs/5.7"),
            (
                "http.url",
                "/firmware/check?model=DS-2CD2043G2-I&version=V5.5.52%20build%20180620",
            ),
        ]);
        assert_eq!(got.get(Field::Vendor), Some("Hikvision"));
        assert_eq!(got.get(Field::Product), Some("DS-2CD2043G2-I"));
        assert_eq!(got.get(Field::DeviceType), Some("camera"));
        assert_eq!(got.get(Field::Firmware), Some("V5.5.52 build 180620"));
        let ev = got.evidence();
        let fw = ev
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|l| l.as_str())
            .find(|l| l.starts_with("firmware "))
            .unwrap();
        assert!(
            fw.contains("from http.url /firmware/check")
                && fw.contains("rule firmware-check-query"),
            "{fw}"
        );
    }

    #[test]
    fn higher_confidence_wins_whatever_the_order() {
        let c = Classifier::builtin();
        let a = c.classify([
            ("mqtt.client_id", "shelly-plug-cf4ac9"),
            ("oui.vendor", "Espressif Inc."),
        ]);
        let b = c.classify([
            ("oui.vendor", "Espressif Inc."),
            ("mqtt.client_id", "shelly-plug-cf4ac9"),
        ]);
        assert_eq!(a, b);
        assert_eq!(a.get(Field::Vendor), Some("Shelly"));
        assert_eq!(a.get(Field::DeviceType), Some("plug"));
    }

    #[test]
    fn realms_name_models_that_advisories_know() {
        let c = Classifier::builtin();
        let got = c.classify([
            ("oui.vendor", "D-Link International"),
            ("http.realm", "DCS-930L"),
        ]);
        assert_eq!(got.get(Field::Vendor), Some("D-Link"));
        assert_eq!(got.get(Field::Product), Some("DCS-930L"));
        let db = crate::advisory::AdvisoryDb::builtin();
        let m = db.matches(&crate::advisory::DeviceIdentity {
            vendor: got.get(Field::Vendor),
            product: got.get(Field::Product),
            device_type: got.get(Field::DeviceType),
            firmware: None,
        });
        assert!(m.iter().any(|m| m.advisory.id == "CVE-2016-11021"), "{m:?}");
        let got = c.classify([("http.realm", "NETGEAR DGN2200")]);
        assert_eq!(got.get(Field::Product), Some("DGN2200"));
    }

    #[test]
    fn oui_alone_names_the_vendor() {
        let c = Classifier::builtin();
        let got = c.classify([("oui.vendor", "Zhejiang Dahua Technology Co., Ltd.")]);
        assert_eq!(got.get(Field::Vendor), Some("Dahua"));
        assert_eq!(got.get(Field::Firmware), None);
    }

    #[test]
    fn user_rules_extend_and_errors_name_the_rule() {
        let user = r#"
[[rule]]
id = "acme-ua"
kind = "http.user_agent"
pattern = '^AcmeCam/(?P<firmware>[0-9.]+)'
vendor = "Acme"
device_type = "camera"
confidence = 80
"#;
        let c = Classifier::builtin_with(user, "acme.toml").unwrap();
        let got = c.classify([("http.user_agent", "AcmeCam/2.1.3")]);
        assert_eq!(got.get(Field::Vendor), Some("Acme"));
        assert_eq!(got.get(Field::Firmware), Some("2.1.3"));

        let bad = "[[rule]]\nid = \"x\"\nkind = \"k\"\npattern = '(?P<colour>a)'\n";
        let e = Classifier::from_toml(bad, "u.toml")
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("rule x") && e.contains("colour"), "{e}");
        let bad = "[[rule]]\nid = \"y\"\nkind = \"k\"\npattern = '('\nvendor = \"v\"\n";
        let e = Classifier::from_toml(bad, "u.toml")
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("rule y") && e.contains("pattern"), "{e}");
        let bad = "[[rule]]\nid = \"z\"\nkind = \"k\"\npattern = 'a'\n";
        assert!(Classifier::from_toml(bad, "u.toml").is_err());
        let bad = "[[rule]]\nid = \"z\"\nkind = \"k\"\npattern = 'a'\nvendor = \"v\"\ncolour = 1\n";
        let e = Classifier::from_toml(bad, "u.toml")
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("colour"), "{e}");
    }

    #[test]
    fn hostile_values_are_cut_and_decoded_safely() {
        let c = Classifier::builtin();
        let long = format!("/firmware/check?model=X&version={}", "9".repeat(10_000));
        let got = c.classify([("http.url", long.as_str())]);
        assert!(got.get(Field::Firmware).unwrap().len() <= MAX_VALUE);
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("%zz%41+b"), "%zzA b");
        assert_eq!(percent_decode("%ff"), "\u{fffd}");
    }
}
