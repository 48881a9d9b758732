//! Rule text → [`Rule`].
//!
//! The grammar is Suricata's: `action proto src sport dir dst dport (opts)`,
//! where each option is `name;` or `name:value;` and a value runs to the
//! next `;` not escaped by a backslash (quotes do not protect a `;`, exactly
//! as in Suricata, so `content:"a;b"` is an error there and here).
//!
//! Rule files: `#` comments, blank lines, and rules continued over several
//! lines with a trailing `\`. Continuations are blanked in place (not
//! removed) so every offset in a rule is also its offset in the file and
//! spans point at the right line and column.

use crate::address::AddressExpr;
use crate::port::PortExpr;
use crate::rule::{Action, Direction, Rule, RuleOption};
use crate::span::{LineIndex, Span, Spanned};

/// Longest rule accepted (Suricata's own limit is 64 KiB of signature text).
pub const MAX_RULE_LEN: usize = 64 * 1024;
/// Most options in one rule.
pub const MAX_OPTIONS: usize = 1024;

/// A syntax error with its position.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ParseError {
    /// What was wrong.
    pub message: String,
    /// Where.
    pub span: Span,
}

impl ParseError {
    fn new(message: impl Into<String>, span: Span) -> Self {
        ParseError {
            message: message.into(),
            span,
        }
    }
}

/// Parses one rule. Spans are offsets into `text` plus `base`.
pub fn parse_rule_at(text: &str, base: usize) -> Result<Rule, ParseError> {
    if text.len() > MAX_RULE_LEN {
        return Err(ParseError::new(
            format!("rule longer than {MAX_RULE_LEN} bytes"),
            Span::new(base, base + text.len()),
        ));
    }
    let bytes = text.as_bytes();
    let mut pos = 0usize;
    let sp = |a: usize, b: usize| Span::new(base + a, base + b);

    // Header: seven fields separated by whitespace outside brackets.
    let mut fields: Vec<(usize, usize)> = Vec::with_capacity(7);
    while fields.len() < 7 {
        while bytes.get(pos).is_some_and(|b| b.is_ascii_whitespace()) {
            pos += 1;
        }
        let start = pos;
        let mut depth = 0i32;
        while let Some(&b) = bytes.get(pos) {
            match b {
                b'[' => depth += 1,
                b']' => depth -= 1,
                b'(' if depth == 0 => break,
                _ if b.is_ascii_whitespace() && depth <= 0 => break,
                _ => {}
            }
            pos += 1;
        }
        if depth > 0 {
            return Err(ParseError::new(
                "unterminated `[` in the rule header",
                sp(start, pos),
            ));
        }
        if start == pos {
            let what = [
                "action",
                "protocol",
                "source address",
                "source port",
                "direction",
                "destination address",
                "destination port",
            ][fields.len()];
            return Err(ParseError::new(
                format!("rule header incomplete: missing {what}"),
                sp(start, start),
            ));
        }
        fields.push((start, pos));
    }
    let field = |i: usize| -> (&str, usize, usize) {
        let (a, b) = fields[i];
        (&text[a..b], a, b)
    };

    let (act, a0, a1) = field(0);
    let action = Action::from_name(act)
        .ok_or_else(|| ParseError::new(format!("unknown action `{act}`"), sp(a0, a1)))?;
    let (proto, p0, p1) = field(1);
    if !proto
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
    {
        return Err(ParseError::new(
            format!("bad protocol `{proto}`"),
            sp(p0, p1),
        ));
    }
    let addr = |i: usize| -> Result<Spanned<AddressExpr>, ParseError> {
        let (t, a, b) = field(i);
        AddressExpr::parse(t, base + a)
            .map(|e| Spanned::new(e, sp(a, b)))
            .map_err(|e| ParseError::new(e.message, e.span))
    };
    let port = |i: usize| -> Result<Spanned<PortExpr>, ParseError> {
        let (t, a, b) = field(i);
        PortExpr::parse(t, base + a)
            .map(|e| Spanned::new(e, sp(a, b)))
            .map_err(|e| ParseError::new(e.message, e.span))
    };
    let source = addr(2)?;
    let source_ports = port(3)?;
    let (dir, d0, d1) = field(4);
    let direction =
        match dir {
            "->" => Direction::ToDestination,
            "<>" => Direction::Both,
            "<-" => return Err(ParseError::new(
                "direction `<-` is not supported (Suricata neither): swap the sides and use `->`",
                sp(d0, d1),
            )),
            _ => {
                return Err(ParseError::new(
                    format!("bad direction `{dir}` (expected `->` or `<>`)"),
                    sp(d0, d1),
                ))
            }
        };
    let destination = addr(5)?;
    let destination_ports = port(6)?;

    // Options.
    while bytes.get(pos).is_some_and(|b| b.is_ascii_whitespace()) {
        pos += 1;
    }
    if bytes.get(pos) != Some(&b'(') {
        return Err(ParseError::new(
            "expected `(` to open the rule options",
            sp(pos, pos + usize::from(pos < bytes.len())),
        ));
    }
    let open = pos;
    pos += 1;
    let mut options = Vec::new();
    loop {
        while bytes.get(pos).is_some_and(|b| b.is_ascii_whitespace()) {
            pos += 1;
        }
        match bytes.get(pos) {
            None => {
                return Err(ParseError::new(
                    "rule options not closed with `)`",
                    sp(open, text.len()),
                ))
            }
            Some(b')') => {
                pos += 1;
                break;
            }
            _ => {}
        }
        if options.len() >= MAX_OPTIONS {
            return Err(ParseError::new(
                format!("more than {MAX_OPTIONS} options"),
                sp(pos, pos),
            ));
        }
        let n0 = pos;
        while bytes
            .get(pos)
            .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
        {
            pos += 1;
        }
        let n1 = pos;
        if n0 == n1 {
            return Err(ParseError::new(
                format!(
                    "expected an option name, found `{}`",
                    text[pos..].chars().next().unwrap_or(' ')
                ),
                sp(pos, pos + 1),
            ));
        }
        let name = text[n0..n1].to_string();
        while bytes.get(pos).is_some_and(|b| *b == b' ' || *b == b'\t') {
            pos += 1;
        }
        match bytes.get(pos) {
            Some(b';') => {
                pos += 1;
                options.push(RuleOption {
                    name,
                    name_span: sp(n0, n1),
                    value: None,
                    value_span: None,
                });
            }
            Some(b':') => {
                pos += 1;
                let v0 = pos;
                let mut escaped = false;
                let mut end = None;
                while let Some(&b) = bytes.get(pos) {
                    if escaped {
                        escaped = false;
                    } else if b == b'\\' {
                        escaped = true;
                    } else if b == b';' {
                        end = Some(pos);
                        break;
                    }
                    pos += 1;
                }
                let Some(v1) = end else {
                    return Err(ParseError::new(
                        format!("option `{name}` not terminated by `;`"),
                        sp(n0, text.len()),
                    ));
                };
                pos += 1;
                let raw = &text[v0..v1];
                let lead = raw.len() - raw.trim_start().len();
                let trimmed = raw.trim();
                if trimmed.is_empty() {
                    return Err(ParseError::new(
                        format!("option `{name}` has an empty value"),
                        sp(n0, v1),
                    ));
                }
                options.push(RuleOption {
                    name,
                    name_span: sp(n0, n1),
                    value: Some(trimmed.to_string()),
                    value_span: Some(sp(v0 + lead, v0 + lead + trimmed.len())),
                });
            }
            _ => {
                return Err(ParseError::new(
                    format!("option `{name}` not terminated by `;`"),
                    sp(n0, n1),
                ))
            }
        }
    }
    if let Some(off) = text[pos..].find(|c: char| !c.is_whitespace()) {
        return Err(ParseError::new(
            "text after the closing `)`",
            sp(pos + off, text.len()),
        ));
    }
    Ok(Rule {
        action: Spanned::new(action, sp(a0, a1)),
        protocol: Spanned::new(proto.to_string(), sp(p0, p1)),
        source,
        source_ports,
        direction: Spanned::new(direction, sp(d0, d1)),
        destination,
        destination_ports,
        options,
        span: sp(0, text.len()),
    })
}

/// Parses one rule with spans relative to its start.
pub fn parse_rule(text: &str) -> Result<Rule, ParseError> {
    parse_rule_at(text, 0)
}

/// One rule found in a rule file.
#[derive(Clone, Debug)]
pub struct RuleEntry {
    /// 1-based line where the rule starts.
    pub line: u32,
    /// The rule text (continuations blanked).
    pub text: String,
    /// The parsed rule or the error.
    pub result: Result<Rule, ParseError>,
}

impl RuleEntry {
    /// The rule's sid, even when it failed to parse (found by a lenient scan).
    pub fn sid(&self) -> Option<u32> {
        match &self.result {
            Ok(r) => r.sid(),
            Err(_) => sid_hint(&self.text),
        }
    }
}

/// Finds `sid:N` in text that may not parse.
pub fn sid_hint(text: &str) -> Option<u32> {
    let mut rest = text;
    while let Some(i) = rest.find("sid") {
        let before = rest[..i].chars().last();
        let after = rest[i + 3..].trim_start();
        rest = &rest[i + 3..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.') {
            continue;
        }
        if let Some(v) = after.strip_prefix(':') {
            let digits: String = v
                .trim_start()
                .chars()
                .take_while(|c| c.is_ascii_digit())
                .collect();
            if let Ok(n) = digits.parse() {
                return Some(n);
            }
        }
    }
    None
}

/// A rule file split into rules, with a line index for error positions.
#[derive(Clone, Debug)]
pub struct RuleFile {
    /// Rules in file order (comments and blank lines are dropped).
    pub entries: Vec<RuleEntry>,
    /// For turning spans into line:column.
    pub lines: LineIndex,
}

/// Splits and parses a rule file.
pub fn parse_rules(text: &str) -> RuleFile {
    let lines = LineIndex::new(text);
    let mut entries = Vec::new();
    let mut offset = 0usize;
    let mut line_no = 0u32;
    let mut pending: Option<(usize, u32, String)> = None;
    for raw in text.split_inclusive('\n') {
        line_no += 1;
        let start = offset;
        offset += raw.len();
        let body = raw.trim_end_matches(['\n', '\r']);
        let (head, continued) = match body.trim_end().strip_suffix('\\') {
            Some(h) => (h, true),
            None => (body, false),
        };
        if let Some((_, _, buf)) = pending.as_mut() {
            buf.push_str(head);
            // Blank the continuation characters so offsets stay true.
            buf.extend(std::iter::repeat_n(' ', raw.len() - head.len()));
        } else {
            let trimmed = head.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let mut buf = String::with_capacity(raw.len());
            buf.push_str(head);
            buf.extend(std::iter::repeat_n(' ', raw.len() - head.len()));
            pending = Some((start, line_no, buf));
        }
        if !continued {
            if let Some((base, line, buf)) = pending.take() {
                entries.push(finish(base, line, buf));
            }
        }
    }
    if let Some((base, line, buf)) = pending.take() {
        entries.push(finish(base, line, buf));
    }
    RuleFile { entries, lines }
}

fn finish(base: usize, line: u32, buf: String) -> RuleEntry {
    let text = buf.trim_end().to_string();
    let lead = text.len() - text.trim_start().len();
    let result = parse_rule_at(&text[lead..], base + lead);
    RuleEntry {
        line,
        text: text.trim().to_string(),
        result,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const R: &str = r#"alert http $HOME_NET any -> $EXTERNAL_NET $HTTP_PORTS (msg:"ET TEST \"quoted\" a\;b"; flow:established,to_server; content:"GET"; http.method; sid:1000001; rev:2;)"#;

    #[test]
    fn parses_a_rule() {
        let r = parse_rule(R).unwrap();
        assert_eq!(r.action.value, Action::Alert);
        assert_eq!(r.protocol.value, "http");
        assert_eq!(r.direction.value, Direction::ToDestination);
        assert_eq!(r.options.len(), 6);
        assert_eq!(r.options[0].name, "msg");
        assert_eq!(
            r.options[0].value.as_deref(),
            Some(r#""ET TEST \"quoted\" a\;b""#)
        );
        assert_eq!(r.options[3].name, "http.method");
        assert_eq!(r.options[3].value, None);
        assert_eq!(r.sid(), Some(1000001));
        let s = r.options[2].value_span.unwrap();
        assert_eq!(&R[s.start as usize..s.end as usize], "\"GET\"");
    }

    #[test]
    fn errors_point_at_the_problem() {
        let e = parse_rule("alert tcp any any => any any (sid:1;)").unwrap_err();
        assert!(e.message.contains("direction"), "{e}");
        assert_eq!(e.span, Span::new(18, 20));
        let e = parse_rule("alert tcp any any -> any any (msg:\"x\"; sid:1)").unwrap_err();
        assert!(e.message.contains("not terminated"), "{e}");
        let e = parse_rule("alert tcp any any -> any any (sid:1;").unwrap_err();
        assert!(e.message.contains("not closed"), "{e}");
        let e = parse_rule("alert tcp any").unwrap_err();
        assert!(e.message.contains("missing source port"), "{e}");
        let e = parse_rule("foo tcp any any -> any any (sid:1;)").unwrap_err();
        assert!(e.message.contains("unknown action"), "{e}");
        let e = parse_rule("alert tcp any any -> any any (sid:1;) x").unwrap_err();
        assert!(e.message.contains("after the closing"), "{e}");
        let e = parse_rule("alert tcp [1.2.3.4 any -> any any (sid:1;)").unwrap_err();
        assert!(e.message.contains("unterminated"), "{e}");
        assert!(parse_rule("alert tcp any any -> any any (content:;)").is_err());
    }

    #[test]
    fn groups_with_spaces_and_bidirectional() {
        let r = parse_rule("drop udp [1.2.3.4, 5.6.7.8] [53,5353] <> any any (sid:7;)").unwrap();
        assert_eq!(r.direction.value, Direction::Both);
        assert_eq!(r.action.value, Action::Drop);
    }

    #[test]
    fn files_with_comments_and_continuations() {
        let text = "# comment\n\n#alert tcp any any -> any any (sid:9;)\nalert tcp any any -> any any (msg:\"a\"; \\\n  content:\"x\"; sid:1;)\nalert tcp any any -> any any (msg:\"b\"; bogus sid:2;)\n";
        let f = parse_rules(text);
        assert_eq!(f.entries.len(), 2);
        assert_eq!(f.entries[0].line, 4);
        let r = f.entries[0].result.as_ref().unwrap();
        let c = r.option("content").unwrap().value_span.unwrap();
        assert_eq!(&text[c.start as usize..c.end as usize], "\"x\"");
        assert_eq!(f.lines.line_col(c.start).line, 5);
        let e = f.entries[1].result.as_ref().unwrap_err();
        let lc = f.lines.line_col(e.span.start);
        assert_eq!(lc.line, 6);
        assert_eq!(f.entries[1].sid(), Some(2));
    }

    #[test]
    fn sid_hint_skips_other_words() {
        assert_eq!(sid_hint("xsid:4; sid: 12;"), Some(12));
        assert_eq!(sid_hint("nothing"), None);
    }
}
