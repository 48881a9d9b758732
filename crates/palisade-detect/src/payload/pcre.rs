//! `pcre:[!]"/<regex>/<flags>[, <capture names>]"`: match a Perl-compatible
//! regular expression (PCRE2, byte mode, JIT when available).
//!
//! Flags:
//!
//! * `i` caseless, `s` dot matches newline, `m` multi-line, `x` extended;
//! * `A` anchored at the search start (compiled as `\G`), `E` `$` matches
//!   only at the very end (rewritten to `\z` outside character classes,
//!   unless `m`), `G` ungreedy (`(?U)`);
//! * `R` relative: the subject starts at the previous match end, so `^` and
//!   lookbehinds see only the rest of the buffer (Suricata passes the
//!   sub-buffer to PCRE); `O` (own match limits) and `B` are accepted;
//! * buffer flags, honoured only outside sticky buffers (Suricata ignores
//!   them inside one): `U` http.uri, `I` http.uri.raw, `P`
//!   http.request_body, `Q` file.data, `H` http.header, `D` http.header.raw,
//!   `M` http.method, `C` http.cookie, `S` http.stat_code, `Y`
//!   http.stat_msg, `V` http.user_agent, `W` http.host, `Z` http.host.raw.
//!   Only one per pcre; `B` conflicts with most of them; `W` rejects a
//!   caseless-less regex with uppercase letters (the host buffer is
//!   lowercase). The builder then exposes the buffer name through
//!   [`super::PayloadBuilder::pending_buffer`] and the engine moves the pcre
//!   with [`super::PayloadBuilder::move_last_to`]. Any other flag is an
//!   error.
//!
//! Capture names after the flags (`, pkt:x, flow:y`) are validated and
//! ignored: palisade does not export pcre captures.
//!
//! Matching follows Suricata: the match end becomes the position for later
//! relative keywords; when a later relative keyword fails, the regex is run
//! again from one byte after the previous match start. A negated pcre
//! matches when the regex does not. Match limits are Suricata's defaults
//! (match limit 3500, depth limit 1500); hitting one counts as no match,
//! also for a negated pcre.

use super::builder::{PayloadBuilder, Placement};
use super::content::split_negation;
use super::{Matcher, PayloadError};
use pcre2::bytes::{Regex, RegexBuilder};

const KW: &str = "pcre";

/// Suricata's default `pcre.match-limit`.
pub const MATCH_LIMIT: u32 = 3500;
/// Suricata's default `pcre.match-limit-recursion` (PCRE2 depth limit).
pub const DEPTH_LIMIT: u32 = 1500;

/// A compiled `pcre`.
#[derive(Clone, Debug)]
pub struct Pcre {
    regex: Regex,
    source: String,
    negated: bool,
    relative: bool,
    relative_next: bool,
    buffer: Option<&'static str>,
}

impl Pcre {
    /// The rule text of the regex (between the slashes).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// `!pcre`.
    pub fn negated(&self) -> bool {
        self.negated
    }

    /// `R` flag.
    pub fn relative(&self) -> bool {
        self.relative
    }

    /// The buffer a buffer flag named, if any.
    pub fn buffer_flag(&self) -> Option<&'static str> {
        self.buffer
    }

    /// A later keyword of the list is relative to this match (so it is
    /// re-run when that keyword fails).
    pub fn relative_next(&self) -> bool {
        self.relative_next
    }

    pub(super) fn set_relative_next(&mut self) {
        self.relative_next = true;
    }

    /// First match in `subject` at or after `start`: `Ok(Some((s, e)))`,
    /// `Ok(None)` for no match, `Err(())` for a matching error (limits).
    pub(super) fn find_at(
        &self,
        subject: &[u8],
        start: usize,
    ) -> Result<Option<(usize, usize)>, ()> {
        if start > subject.len() {
            return Ok(None);
        }
        match self.regex.find_at(subject, start) {
            Ok(Some(m)) => Ok(Some((m.start().min(m.end()), m.end()))),
            Ok(None) => Ok(None),
            Err(_) => Err(()),
        }
    }
}

#[derive(Default)]
struct Flags {
    caseless: bool,
    dotall: bool,
    multiline: bool,
    extended: bool,
    anchored: bool,
    dollar_endonly: bool,
    ungreedy: bool,
    relative: bool,
    rawbytes: bool,
    buffer: Option<&'static str>,
}

fn buffer_for(flag: char) -> Option<&'static str> {
    Some(match flag {
        'U' => "http.uri",
        'I' => "http.uri.raw",
        'P' => "http.request_body",
        'Q' => "file.data",
        'H' => "http.header",
        'D' => "http.header.raw",
        'M' => "http.method",
        'C' => "http.cookie",
        'S' => "http.stat_code",
        'Y' => "http.stat_msg",
        'V' => "http.user_agent",
        'W' => "http.host",
        'Z' => "http.host.raw",
        _ => return None,
    })
}

fn parse_flags(s: &str) -> Result<Flags, PayloadError> {
    let mut f = Flags::default();
    for c in s.chars() {
        match c {
            'i' => f.caseless = true,
            's' => f.dotall = true,
            'm' => f.multiline = true,
            'x' => f.extended = true,
            'A' => f.anchored = true,
            'E' => f.dollar_endonly = true,
            'G' => f.ungreedy = true,
            'R' => f.relative = true,
            'O' => {}
            'B' => {
                if f.buffer.is_some() {
                    return Err(PayloadError::kw(
                        KW,
                        "flag B is inconsistent with the chosen buffer",
                    ));
                }
                f.rawbytes = true;
            }
            _ => {
                let Some(buf) = buffer_for(c) else {
                    return Err(PayloadError::kw(
                        KW,
                        format!("unknown regex flag `{}`", c.escape_default()),
                    ));
                };
                if f.buffer.is_some() {
                    return Err(PayloadError::kw(KW, "only one flag may select a buffer"));
                }
                if f.rawbytes && matches!(c, 'U' | 'V' | 'W' | 'Z' | 'H' | 'I' | 'M' | 'C') {
                    return Err(PayloadError::kw(
                        KW,
                        format!("flag {c} is inconsistent with B"),
                    ));
                }
                f.buffer = Some(buf);
            }
        }
    }
    Ok(f)
}

/// Splits `/re/flags[, captures]` (quotes and negation already removed).
///
/// Capture names may themselves contain `/` (`flow:ua/ubuntu/repo`), so, as
/// Suricata does, the capture list is cut off first: at the first `pkt:`,
/// `flow:` or `alert:` preceded by a comma or a space, when what is before
/// it is a complete `/regex/flags`.
fn split_regex(v: &str) -> Result<(&str, &str, Option<&str>), PayloadError> {
    for (i, _) in v.match_indices(':') {
        let head = v.get(..i).unwrap_or("");
        let Some(word_start) = ["pkt", "flow", "alert"]
            .iter()
            .find(|w| head.ends_with(*w))
            .map(|w| i - w.len())
        else {
            continue;
        };
        let before = v.get(..word_start).unwrap_or("");
        if !before.ends_with([',', ' ']) {
            continue;
        }
        let regex_part = before.trim_end_matches([',', ' ']);
        if let Ok((re, flags, None)) = split_regex_only(regex_part) {
            if flags.chars().all(|c| c.is_ascii_alphabetic()) {
                return Ok((re, flags, v.get(word_start..)));
            }
        }
    }
    split_regex_only(v)
}

fn split_regex_only(v: &str) -> Result<(&str, &str, Option<&str>), PayloadError> {
    let body = v
        .strip_prefix('/')
        .ok_or_else(|| PayloadError::kw(KW, "expected \"/regex/flags\""))?;
    // the closing slash is the last one not escaped by a backslash
    let bytes = body.as_bytes();
    let mut close = None;
    for (i, &c) in bytes.iter().enumerate().rev() {
        if c != b'/' {
            continue;
        }
        let backslashes = bytes
            .get(..i)
            .map(|p| p.iter().rev().take_while(|&&b| b == b'\\').count())
            .unwrap_or(0);
        if backslashes % 2 == 0 {
            close = Some(i);
            break;
        }
    }
    let close = close.ok_or_else(|| PayloadError::kw(KW, "missing closing `/` after the regex"))?;
    let re = body.get(..close).unwrap_or("");
    let rest = body.get(close + 1..).unwrap_or("");
    let (flags, captures) = match rest.split_once(',') {
        Some((f, c)) => (f.trim(), Some(c.trim())),
        None => (rest.trim(), None),
    };
    Ok((re, flags, captures))
}

fn check_captures(c: &str) -> Result<(), PayloadError> {
    for name in c.split(',').map(str::trim) {
        let ok = ["pkt:", "flow:", "alert:"]
            .iter()
            .any(|p| name.strip_prefix(p).is_some_and(|n| !n.is_empty()));
        if !ok {
            return Err(PayloadError::kw(
                KW,
                format!("capture name `{name}` must start with pkt:, flow: or alert:"),
            ));
        }
    }
    Ok(())
}

/// Suricata's check for `W`: an uppercase letter outside escapes.
fn has_uppercase(re: &str) -> bool {
    let mut chars = re.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if chars.next() == Some('x') {
                chars.next();
                chars.next();
            }
        } else if c.is_ascii_uppercase() {
            return true;
        }
    }
    false
}

/// Splits leading PCRE2 start-of-pattern items like `(*UTF)`.
fn split_leading_verbs(re: &str) -> (&str, &str) {
    let mut end = 0;
    while let Some(rest) = re.get(end..) {
        if !rest.starts_with("(*") {
            break;
        }
        match rest.find(')') {
            Some(close) => end += close + 1,
            None => break,
        }
    }
    (re.get(..end).unwrap_or(""), re.get(end..).unwrap_or(re))
}

/// `E` (PCRE_DOLLAR_ENDONLY): every `$` outside a character class, an escape
/// or a `\Q..\E` span becomes `\z`.
fn dollar_endonly(re: &str) -> String {
    let mut out = String::with_capacity(re.len() + 8);
    let mut chars = re.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                out.push('\\');
                match chars.next() {
                    Some('Q') => {
                        out.push('Q');
                        while let Some(q) = chars.next() {
                            out.push(q);
                            if q == '\\' && chars.peek() == Some(&'E') {
                                out.push('E');
                                chars.next();
                                break;
                            }
                        }
                    }
                    Some(n) => out.push(n),
                    None => {}
                }
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    out.push(']');
                    chars.next();
                }
            }
            '[' if in_class && chars.peek() == Some(&':') => {
                // POSIX class [:alpha:]
                out.push('[');
                for p in chars.by_ref() {
                    out.push(p);
                    if p == ']' {
                        break;
                    }
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            '$' if !in_class => out.push_str("\\z"),
            _ => out.push(c),
        }
    }
    out
}

/// Compiles a `pcre` value (negation and quotes included).
pub(super) fn compile(value: &str) -> Result<Pcre, PayloadError> {
    let (negated, rest) = split_negation(value);
    let unquoted = match rest.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        Some(inner) if rest.len() >= 2 => inner,
        _ => rest,
    };
    let (re, flags, captures) = split_regex(unquoted.trim())?;
    let f = parse_flags(flags)?;
    if let Some(c) = captures {
        check_captures(c)?;
    }
    if f.buffer == Some("http.host") && !f.caseless && has_uppercase(re) {
        return Err(PayloadError::kw(
            KW,
            "the W (http.host) buffer is lowercase, so the regex must not contain uppercase letters",
        ));
    }
    let (verbs, body) = split_leading_verbs(re);
    let body = if f.dollar_endonly && !f.multiline {
        dollar_endonly(body)
    } else {
        body.to_string()
    };
    let mut pattern = format!("(*LIMIT_MATCH={MATCH_LIMIT})(*LIMIT_DEPTH={DEPTH_LIMIT}){verbs}");
    if f.ungreedy {
        pattern.push_str("(?U)");
    }
    if f.anchored {
        pattern.push_str("\\G(?:");
        pattern.push_str(&body);
        if f.extended {
            pattern.push('\n');
        }
        pattern.push(')');
    } else {
        pattern.push_str(&body);
    }
    let regex = RegexBuilder::new()
        .caseless(f.caseless)
        .dotall(f.dotall)
        .multi_line(f.multiline)
        .extended(f.extended)
        .jit_if_available(true)
        .build(&pattern)
        .map_err(|e| PayloadError::kw(KW, format!("regex `{re}` does not compile: {e}")))?;
    Ok(Pcre {
        regex,
        source: re.to_string(),
        negated,
        relative: f.relative,
        relative_next: false,
        buffer: f.buffer,
    })
}

pub(super) fn setup(b: &mut PayloadBuilder, value: &str) -> Result<(), PayloadError> {
    let p = compile(value)?;
    let buffer = if b.is_sticky() { None } else { p.buffer };
    let target = b.target(Placement::Payload);
    b.push(target, Matcher::Pcre(p));
    b.pending_buffer = buffer;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::tests::{check, err};
    use super::*;

    #[test]
    fn splitting() {
        assert_eq!(split_regex("/abc/i").unwrap(), ("abc", "i", None));
        assert_eq!(split_regex("/a\\/b/").unwrap(), ("a\\/b", "", None));
        assert_eq!(split_regex("/a\\\\/R").unwrap(), ("a\\\\", "R", None));
        assert_eq!(split_regex("/a/b/c/s").unwrap(), ("a/b/c", "s", None));
        assert_eq!(
            split_regex("/(a)/, flow:x").unwrap(),
            ("(a)", "", Some("flow:x"))
        );
        assert_eq!(
            split_regex(
                "/([a-z]+)\\/(.+)\\/changelog$/GUR, flow:ua/ubuntu/repo,flow:ua/ubuntu/pkg/base"
            )
            .unwrap(),
            (
                "([a-z]+)\\/(.+)\\/changelog$",
                "GUR",
                Some("flow:ua/ubuntu/repo,flow:ua/ubuntu/pkg/base")
            )
        );
        assert_eq!(split_regex("/a flow:b/").unwrap(), ("a flow:b", "", None));
        assert!(split_regex("abc/").is_err());
        assert!(split_regex("/abc").is_err());
    }

    #[test]
    fn dollar_rewrite() {
        assert_eq!(dollar_endonly("a$"), "a\\z");
        assert_eq!(dollar_endonly("[$]$"), "[$]\\z");
        assert_eq!(dollar_endonly("\\$$"), "\\$\\z");
        assert_eq!(dollar_endonly("[]$]x$"), "[]$]x\\z");
        assert_eq!(dollar_endonly("[[:alpha:]$]$"), "[[:alpha:]$]\\z");
        assert_eq!(dollar_endonly("\\Q$\\E$"), "\\Q$\\E\\z");
    }

    #[test]
    fn basic_matching() {
        check(r#"pcre:"/[0-9]{6}/";"#, b"ab123456cd", true);
        check(r#"pcre:"/[0-9]{6}/";"#, b"ab12345cd", false);
        check(
            r#"pcre:/NICK .*USA.*[0-9]{3,}/i;"#,
            b"nick fooUSAbar123",
            true,
        );
        check(r#"pcre:!"/admin/";"#, b"user page", true);
        check(r#"pcre:!"/admin/";"#, b"admin page", false);
        check(r#"pcre:"/a\;b/";"#, b"a;b", true);
        check(r#"pcre:"/a\x00b/";"#, b"a\x00b", true);
        check(r#"pcre:"/\xff/";"#, b"\xfe\xff", true);
    }

    #[test]
    fn flags() {
        check(r#"pcre:"/a.b/";"#, b"a\nb", false);
        check(r#"pcre:"/a.b/s";"#, b"a\nb", true);
        check(r#"pcre:"/^b/";"#, b"a\nb", false);
        check(r#"pcre:"/^b/m";"#, b"a\nb", true);
        check(r#"pcre:"/a b/x";"#, b"ab", true);
        check(r#"pcre:"/b/A";"#, b"ab", false);
        check(r#"pcre:"/a|b/A";"#, b"ba", true);
        check(r#"pcre:"/ab$/";"#, b"ab\n", true);
        check(r#"pcre:"/ab$/E";"#, b"ab\n", false);
        check(r#"pcre:"/ab$/E";"#, b"xab", true);
        check(
            r#"pcre:"/a.+/G"; content:"c"; distance:0; within:1;"#,
            b"abc",
            true,
        );
        check(
            r#"pcre:"/a.+/"; content:"c"; distance:0; within:1;"#,
            b"abc",
            false,
        );
        check(r#"pcre:"/a.+/"; content:"c"; distance:0;"#, b"abc", false);
        check(r#"pcre:"/ABC/Oi";"#, b"abc", true);
        check(r#"pcre:"/ABC/B";"#, b"ABC", true);
    }

    #[test]
    fn relative_and_backtracking() {
        check(r#"content:"GET"; pcre:"/^ \//R";"#, b"GET /x", true);
        check(r#"content:"GET"; pcre:"/^\//R";"#, b"GET /x", false);
        check(r#"content:"x"; pcre:"/^y/R";"#, b"xzxy", true);
        check(r#"content:"x"; pcre:"/(?<=x)y/R";"#, b"xy", false);
        check(
            r#"pcre:"/a./"; content:"Z"; distance:0; within:1;"#,
            b"abaXZ",
            true,
        );
        check(
            r#"pcre:"/a./"; content:"Z"; distance:0; within:1;"#,
            b"abaX",
            false,
        );
        check(r#"pcre:"/a/"; pcre:"/^b/R";"#, b"acab", true);
        check(
            r#"pcre:"/x*/"; content:"y"; distance:0; within:1;"#,
            b"aay",
            true,
        );
    }

    #[test]
    fn pcre_limits_count_as_no_match() {
        let evil = format!("{}!", "a".repeat(64));
        check(r#"pcre:"/(a+)+$/";"#, evil.as_bytes(), false);
        check(r#"pcre:!"/(a+)+$/";"#, evil.as_bytes(), false);
    }

    #[test]
    fn buffer_flags() {
        for (flag, name) in [
            ('U', "http.uri"),
            ('I', "http.uri.raw"),
            ('P', "http.request_body"),
            ('Q', "file.data"),
            ('H', "http.header"),
            ('D', "http.header.raw"),
            ('M', "http.method"),
            ('C', "http.cookie"),
            ('S', "http.stat_code"),
            ('Y', "http.stat_msg"),
            ('V', "http.user_agent"),
            ('W', "http.host"),
            ('Z', "http.host.raw"),
        ] {
            let p = compile(&format!("\"/abc/{flag}\"")).unwrap();
            assert_eq!(p.buffer_flag(), Some(name), "{flag}");
        }
    }

    #[test]
    fn errors() {
        err(r#"pcre:"abc";"#, "expected \"/regex/flags\"");
        err(r#"pcre:"/abc";"#, "missing closing");
        err(r#"pcre:"/abc/K";"#, "unknown regex flag `K`");
        err(r#"pcre:"/abc/7";"#, "unknown regex flag");
        err(r#"pcre:"/abc/i s";"#, "unknown regex flag");
        err(r#"pcre:"/abc/UH";"#, "only one flag");
        err(r#"pcre:"/abc/BU";"#, "inconsistent with B");
        err(r#"pcre:"/abc/UB";"#, "inconsistent with the chosen buffer");
        err(r#"pcre:"/Host/W";"#, "uppercase");
        err(r#"pcre:"/(abc/";"#, "does not compile");
        err(r#"pcre:"/(a)/, foo:x";"#, "capture name");
        err(
            r#"pcre:"/abc/R";"#,
            "/R (relative) needs a preceding content",
        );
        assert!(compile("\"/Host/Wi\"").is_ok());
        assert!(compile("\"/(a)/, pkt:x, flow:y\"").is_ok());
    }
}
