//! `content`: match a byte pattern in the buffer.
//!
//! Value syntax (Suricata's `DetectContentDataParse`): an optional `!`
//! (negation), then the pattern in double quotes. Inside the quotes:
//!
//! * `|..|` blocks hold hexadecimal bytes; spaces (and, like Suricata,
//!   commas) between them are ignored; an odd number of digits, a non-hex
//!   character or an unclosed block is an error;
//! * outside hex blocks, `\"`, `\;`, `\:` and `\\` escape those characters;
//!   any other escape (including `\|`: write `|7C|`) and an unescaped `"`
//!   are errors;
//! * the pattern may not be empty and is at most 65535 bytes.
//!
//! Matching (in [`super::inspect()`]): the first occurrence inside the window
//! set by `offset`/`depth` (absolute, from the buffer start) or
//! `distance`/`within` (relative to the end of the previous match); on
//! failure of a later relative keyword the next occurrence is tried. A
//! negated content matches when the pattern is *not* in its window.
//! `nocase` compares ASCII letters case-insensitively, also for bytes
//! written in hex.

use super::builder::{PayloadBuilder, Placement};
use super::transform::Transform;
use super::{Matcher, NumOrVar, PayloadError};
use memchr::memmem::Finder;

const KW: &str = "content";

/// Largest content, as Suricata (its length is a 16-bit field).
pub(super) const MAX_CONTENT_LEN: usize = 65535;

/// How a content takes part in the engine's multi-pattern prefilter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FastPattern {
    /// No `fast_pattern` keyword; the engine chooses.
    None,
    /// `fast_pattern;` (possibly with a chop, see [`Content::chop`]).
    Explicit,
    /// `fast_pattern:only;`.
    Only,
}

/// One `content` and its modifiers.
#[derive(Clone, Debug)]
pub struct Content {
    /// The bytes to find.
    pub pattern: Vec<u8>,
    /// `nocase`: ASCII case-insensitive.
    pub nocase: bool,
    /// `content:!"..."`.
    pub negated: bool,
    /// `fast_pattern` setting.
    pub fast_pattern: FastPattern,
    /// `fast_pattern:offset,length`: only that slice goes to the prefilter.
    pub chop: Option<(u16, u16)>,
    /// `rawbytes` (no effect).
    pub rawbytes: bool,
    /// `offset`: first byte of the buffer the match may start at.
    pub offset: Option<NumOrVar<u32>>,
    /// `depth`: the match must end within this many bytes from `offset`.
    pub depth: Option<NumOrVar<u32>>,
    /// `distance`: start of the search relative to the previous match end.
    pub distance: Option<NumOrVar<i32>>,
    /// `within`: the match must end within this many bytes of the previous
    /// match end (plus `distance`).
    pub within: Option<NumOrVar<i32>>,
    /// `startswith` (implies `depth` = pattern length).
    pub startswith: bool,
    /// `endswith`: the match must end at the end of the buffer.
    pub endswith: bool,
    /// A later keyword of the list is relative to this content's match.
    pub relative_next: bool,
    /// Re-search this content when a later relative keyword fails
    /// (Suricata's `DETECT_CONTENT_WITHIN_NEXT`/`RELATIVE_NEXT`).
    pub(crate) retry: bool,
    finder: Option<Finder<'static>>,
}

impl Content {
    /// A content for `pattern` with no modifiers.
    pub fn new(pattern: Vec<u8>) -> Self {
        let mut c = Content {
            pattern,
            nocase: false,
            negated: false,
            fast_pattern: FastPattern::None,
            chop: None,
            rawbytes: false,
            offset: None,
            depth: None,
            distance: None,
            within: None,
            startswith: false,
            endswith: false,
            relative_next: false,
            retry: false,
            finder: None,
        };
        c.prepare();
        c
    }

    /// The bytes the prefilter should search for (chop applied).
    pub fn fast_pattern_bytes(&self) -> &[u8] {
        match self.chop {
            Some((off, len)) => {
                let (off, len) = (usize::from(off), usize::from(len));
                self.pattern
                    .get(off..off.saturating_add(len))
                    .unwrap_or(&self.pattern)
            }
            None => &self.pattern,
        }
    }

    /// True when this content can be the prefilter pattern and, when the
    /// prefilter found it in the buffer, need not be checked again: it is
    /// not negated, has no position constraint (`offset`, `depth`,
    /// `distance`, `within`, `startswith`, `endswith`), is searched whole
    /// (no chop) and no later keyword depends on where it matched. These are
    /// the conditions under which Suricata accepts `fast_pattern:only`.
    pub fn is_fast_pattern_only_eligible(&self) -> bool {
        !self.negated
            && self.offset.is_none()
            && self.depth.is_none()
            && self.distance.is_none()
            && self.within.is_none()
            && !self.startswith
            && !self.endswith
            && self.chop.is_none()
            && !self.relative_next
    }

    /// True when `distance` or `within` is set.
    pub fn is_relative(&self) -> bool {
        self.distance.is_some() || self.within.is_some()
    }

    /// Builds the search structures; called again after `nocase` changes.
    pub(super) fn prepare(&mut self) {
        self.finder = if self.nocase {
            None
        } else {
            Some(Finder::new(&self.pattern).into_owned())
        };
    }

    /// Position of the first occurrence in `hay`.
    pub(crate) fn find(&self, hay: &[u8]) -> Option<usize> {
        if self.pattern.len() > hay.len() {
            return None;
        }
        if self.nocase {
            return find_nocase(&self.pattern, hay);
        }
        match &self.finder {
            Some(f) => f.find(hay),
            None => memchr::memmem::find(hay, &self.pattern),
        }
    }

    /// True when the pattern occurs at `pos` in `hay`.
    pub(crate) fn occurs_at(&self, hay: &[u8], pos: usize) -> bool {
        match hay.get(pos..pos.saturating_add(self.pattern.len())) {
            Some(w) if w.len() == self.pattern.len() => {
                if self.nocase {
                    w.eq_ignore_ascii_case(&self.pattern)
                } else {
                    w == self.pattern.as_slice()
                }
            }
            _ => false,
        }
    }
}

fn find_nocase(pat: &[u8], hay: &[u8]) -> Option<usize> {
    let first = *pat.first()?;
    let last_start = hay.len().checked_sub(pat.len())?;
    let scan = hay.get(..=last_start)?;
    let (lo, up) = (first.to_ascii_lowercase(), first.to_ascii_uppercase());
    memchr::memchr2_iter(lo, up, scan).find(|&p| {
        hay.get(p..p + pat.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(pat))
    })
}

/// Parses the quoted pattern of a `content` (without the negation).
pub(super) fn parse_pattern(kw: &str, quoted: &str) -> Result<Vec<u8>, PayloadError> {
    let q = quoted.trim();
    let inner = q
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .filter(|_| q.len() >= 2)
        .ok_or_else(|| PayloadError::kw(kw, "the pattern must be enclosed in double quotes"))?;
    let mut out = Vec::with_capacity(inner.len());
    let mut hex = false;
    let mut nibble: Option<u8> = None;
    let mut escape = false;
    for c in inner.bytes() {
        if escape {
            match c {
                b'"' | b';' | b':' | b'\\' => out.push(c),
                b'|' => {
                    return Err(PayloadError::kw(
                        kw,
                        "`\\|` is not an escape; write |7C| for a pipe",
                    ))
                }
                _ => {
                    return Err(PayloadError::kw(
                        kw,
                        format!(
                            "invalid escape `\\{}` (only \\\" \\; \\: \\\\ are allowed)",
                            char::from(c).escape_default()
                        ),
                    ))
                }
            }
            escape = false;
            continue;
        }
        if c == b'|' {
            if hex && nibble.is_some() {
                return Err(PayloadError::kw(
                    kw,
                    "incomplete hex byte (odd number of hex digits)",
                ));
            }
            hex = !hex;
            continue;
        }
        if hex {
            match c {
                b' ' | b',' => {}
                _ => {
                    let d = (c as char).to_digit(16).ok_or_else(|| {
                        PayloadError::kw(
                            kw,
                            format!(
                                "invalid character `{}` in hex block",
                                char::from(c).escape_default()
                            ),
                        )
                    })?;
                    let d = d as u8;
                    match nibble.take() {
                        Some(h) => out.push((h << 4) | d),
                        None => nibble = Some(d),
                    }
                }
            }
            continue;
        }
        match c {
            b'\\' => escape = true,
            b'"' => {
                return Err(PayloadError::kw(
                    kw,
                    "unescaped double quote inside the pattern",
                ))
            }
            _ => out.push(c),
        }
    }
    if escape {
        return Err(PayloadError::kw(kw, "trailing backslash"));
    }
    if hex {
        return Err(PayloadError::kw(kw, "unterminated hex block"));
    }
    if out.is_empty() {
        return Err(PayloadError::kw(kw, "empty pattern"));
    }
    if out.len() > MAX_CONTENT_LEN {
        return Err(PayloadError::kw(
            kw,
            format!("pattern longer than {MAX_CONTENT_LEN} bytes"),
        ));
    }
    Ok(out)
}

/// Splits an optional leading `!` off a value.
pub(super) fn split_negation(v: &str) -> (bool, &str) {
    match v.trim().strip_prefix('!') {
        Some(rest) => (true, rest.trim_start()),
        None => (false, v.trim()),
    }
}

/// Suricata rejects contents a transform makes impossible to match, e.g. an
/// uppercase content after `to_lowercase`.
fn check_transform_compat(pattern: &[u8], transforms: &[Transform]) -> Result<(), PayloadError> {
    for t in transforms {
        if let Some(why) = t.incompatible_content(pattern) {
            return Err(PayloadError::kw(
                KW,
                format!(
                    "pattern can never match after the {} transform: {why}",
                    t.name()
                ),
            ));
        }
    }
    Ok(())
}

pub(super) fn setup(b: &mut PayloadBuilder, value: &str) -> Result<(), PayloadError> {
    let (negated, rest) = split_negation(value);
    let pattern = parse_pattern(KW, rest)?;
    let target = b.target(Placement::Payload);
    if !negated {
        check_transform_compat(&pattern, b.list_transforms(target))?;
    }
    let mut c = Content::new(pattern);
    c.negated = negated;
    b.push(target, Matcher::Content(Box::new(c)));
    Ok(())
}

/// Checks shared by the modifiers that constrain the position of a content.
pub(super) fn check_positional(kw: &str, c: &Content) -> Result<(), PayloadError> {
    if c.negated && c.fast_pattern != FastPattern::None {
        return Err(PayloadError::kw(
            kw,
            "can't be used on a negated content that has fast_pattern",
        ));
    }
    if c.fast_pattern == FastPattern::Only {
        return Err(PayloadError::kw(
            kw,
            "can't be used on a content with fast_pattern:only",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Vec<u8>, PayloadError> {
        parse_pattern(KW, s)
    }

    #[test]
    fn text_hex_and_escapes() {
        assert_eq!(p("\"abc\"").unwrap(), b"abc");
        assert_eq!(p("\"a|0d 0A|b\"").unwrap(), b"a\r\nb");
        assert_eq!(p("\"|61 62|c|63|\"").unwrap(), b"abcc");
        assert_eq!(p("\"|6162|\"").unwrap(), b"ab");
        assert_eq!(p("\"|61,62|\"").unwrap(), b"ab");
        assert_eq!(p("\"a\\;b\\:c\\\"d\\\\e\"").unwrap(), b"a;b:c\"d\\e");
        assert_eq!(p("\"http|3A|//\"").unwrap(), b"http://");
        assert_eq!(p("\"é\"").unwrap(), "é".as_bytes());
    }

    #[test]
    fn malformed_patterns() {
        for (bad, why) in [
            ("abc", "double quotes"),
            ("\"abc", "double quotes"),
            ("\"", "double quotes"),
            ("\"\"", "empty"),
            ("\"||\"", "empty"),
            ("\"|4|\"", "incomplete hex"),
            ("\"|41\"", "unterminated hex"),
            ("\"|4g|\"", "invalid character"),
            ("\"a\\xb\"", "invalid escape"),
            ("\"a\\|b\"", "|7C|"),
            ("\"a\"b\"", "unescaped double quote"),
            ("\"ab\\\"", "trailing backslash"),
        ] {
            let e = p(bad).unwrap_err();
            assert!(e.0.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn negation_prefix() {
        assert_eq!(split_negation("!\"a\""), (true, "\"a\""));
        assert_eq!(split_negation(" ! \"a\""), (true, "\"a\""));
        assert_eq!(split_negation("\"!a\""), (false, "\"!a\""));
    }

    #[test]
    fn search() {
        let c = Content::new(b"bc".to_vec());
        assert_eq!(c.find(b"abcbc"), Some(1));
        assert_eq!(c.find(b"b"), None);
        let mut c = Content::new(b"Bc|".to_vec());
        c.nocase = true;
        c.prepare();
        assert_eq!(c.find(b"xxbC|"), Some(2));
        assert_eq!(c.find(b"xxbD|"), None);
        assert!(c.occurs_at(b"xbc|", 1));
        assert!(!c.occurs_at(b"xbc|", 2));
        let mut c = Content::new(vec![0xff, b'a']);
        c.nocase = true;
        c.prepare();
        assert_eq!(c.find(&[0, 0xff, b'A']), Some(1));
    }

    #[test]
    fn fast_pattern_helpers() {
        let mut c = Content::new(b"abcdef".to_vec());
        assert!(c.is_fast_pattern_only_eligible());
        c.chop = Some((2, 3));
        assert_eq!(c.fast_pattern_bytes(), b"cde");
        assert!(!c.is_fast_pattern_only_eligible());
        c.chop = None;
        c.depth = Some(NumOrVar::Num(10));
        assert!(!c.is_fast_pattern_only_eligible());
        let mut c = Content::new(b"x".to_vec());
        c.negated = true;
        assert!(!c.is_fast_pattern_only_eligible());
        let mut c = Content::new(b"x".to_vec());
        c.relative_next = true;
        assert!(!c.is_fast_pattern_only_eligible());
    }

    #[test]
    fn transform_compatibility() {
        let mut b = PayloadBuilder::new();
        b.switch_to(super::super::BufferKey(1));
        b.add("to_lowercase", None).unwrap();
        let e = b.add("content", Some("\"ABC\"")).unwrap_err();
        assert!(e.0.contains("to_lowercase"), "{e}");
        b.add("content", Some("!\"ABC\"")).unwrap(); // negated is allowed
        b.add("content", Some("\"abc\"")).unwrap();
    }
}
