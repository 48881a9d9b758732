//! The rule AST: header fields and options, each with its [`Span`].

use crate::address::AddressExpr;
use crate::port::PortExpr;
use crate::span::{Span, Spanned};

/// A rule's action.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// `alert`
    Alert,
    /// `pass`
    Pass,
    /// `drop`
    Drop,
    /// `reject` (reset/unreachable to the source)
    Reject,
    /// `rejectsrc` (same as reject)
    RejectSrc,
    /// `rejectdst`
    RejectDst,
    /// `rejectboth`
    RejectBoth,
}

impl Action {
    /// Parses an action keyword.
    pub fn from_name(s: &str) -> Option<Action> {
        Some(match s {
            "alert" => Action::Alert,
            "pass" => Action::Pass,
            "drop" => Action::Drop,
            "reject" => Action::Reject,
            "rejectsrc" => Action::RejectSrc,
            "rejectdst" => Action::RejectDst,
            "rejectboth" => Action::RejectBoth,
            _ => return None,
        })
    }

    /// The keyword as written.
    pub fn name(self) -> &'static str {
        match self {
            Action::Alert => "alert",
            Action::Pass => "pass",
            Action::Drop => "drop",
            Action::Reject => "reject",
            Action::RejectSrc => "rejectsrc",
            Action::RejectDst => "rejectdst",
            Action::RejectBoth => "rejectboth",
        }
    }

    /// Suricata's action precedence: pass first, then drop, reject, alert.
    pub fn precedence(self) -> u8 {
        match self {
            Action::Pass => 0,
            Action::Drop => 1,
            Action::Reject | Action::RejectSrc | Action::RejectDst | Action::RejectBoth => 2,
            Action::Alert => 3,
        }
    }
}

/// `->` or `<>`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Direction {
    /// `->`
    ToDestination,
    /// `<>`
    Both,
}

/// One `name[:value];` option.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleOption {
    /// Keyword name, as written.
    pub name: String,
    /// Where the name is.
    pub name_span: Span,
    /// The raw value (trimmed; quotes and escapes kept), if any.
    pub value: Option<String>,
    /// Where the value is.
    pub value_span: Option<Span>,
}

impl RuleOption {
    /// The span of the whole option (name through value).
    pub fn span(&self) -> Span {
        match self.value_span {
            Some(v) => Span {
                start: self.name_span.start,
                end: v.end,
            },
            None => self.name_span,
        }
    }
}

/// A parsed rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// `alert`, `drop`, ...
    pub action: Spanned<Action>,
    /// `tcp`, `http`, ... (validated by the engine, which knows the protocols).
    pub protocol: Spanned<String>,
    /// Source addresses.
    pub source: Spanned<AddressExpr>,
    /// Source ports.
    pub source_ports: Spanned<PortExpr>,
    /// `->` or `<>`.
    pub direction: Spanned<Direction>,
    /// Destination addresses.
    pub destination: Spanned<AddressExpr>,
    /// Destination ports.
    pub destination_ports: Spanned<PortExpr>,
    /// Options in rule order.
    pub options: Vec<RuleOption>,
    /// The whole rule.
    pub span: Span,
}

impl Rule {
    /// The first option called `name`.
    pub fn option(&self, name: &str) -> Option<&RuleOption> {
        self.options.iter().find(|o| o.name == name)
    }

    /// The `sid`, if present and numeric.
    pub fn sid(&self) -> Option<u32> {
        self.option("sid")?.value.as_deref()?.trim().parse().ok()
    }
}

/// Removes the quotes around a string value and Suricata's escapes
/// (`\"`, `\;`, `\\`, `\:` and any other `\x` → `x`). Values without quotes
/// are unescaped as they are.
pub fn unquote(value: &str) -> String {
    let v = value.trim();
    let v = v
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(v);
    let mut out = String::with_capacity(v.len());
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            } else {
                out.push('\\');
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Splits a `metadata` value into key/value pairs (`key value, key value`).
pub fn parse_metadata(value: &str) -> Vec<(String, String)> {
    value
        .split(',')
        .filter_map(|item| {
            let item = item.trim();
            if item.is_empty() {
                return None;
            }
            let (k, v) = item.split_once(char::is_whitespace).unwrap_or((item, ""));
            Some((k.trim().to_string(), v.trim().to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unquote_escapes() {
        assert_eq!(unquote(r#""a\;b\"c\\d""#), r#"a;b"c\d"#);
        assert_eq!(unquote("plain"), "plain");
        assert_eq!(unquote(r#""trailing\""#), "trailing\\");
    }

    #[test]
    fn metadata_pairs() {
        let m = parse_metadata(
            "affected_product Linux, created_at 2021_01_01,signature_severity Major",
        );
        assert_eq!(m.len(), 3);
        assert_eq!(m[0], ("affected_product".into(), "Linux".into()));
        assert_eq!(m[2], ("signature_severity".into(), "Major".into()));
    }
}
