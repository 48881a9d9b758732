//! Rule ports: `any`, `$VAR`, `80`, `1024:`, `:1023`, `80:90`, groups
//! `[80,443,8000:8100]` and negation, with the same set semantics as
//! addresses (see [`crate::address`]).

use crate::address::{merge, subtract, ExprError, MAX_DEPTH};
use crate::span::Span;
use crate::vars::{VarError, Vars};

/// A parsed port expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PortExpr {
    /// `any`
    Any,
    /// `$NAME`
    Var(String, Span),
    /// `lo..=hi`
    Range(u16, u16, Span),
    /// `[a,b,...]`
    Group(Vec<PortExpr>, Span),
    /// `!a`
    Not(Box<PortExpr>, Span),
}

/// A resolved port set: sorted, merged inclusive ranges.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PortSet {
    ranges: Vec<(u16, u16)>,
}

impl PortSet {
    /// Every port.
    pub fn any() -> PortSet {
        PortSet {
            ranges: vec![(0, u16::MAX)],
        }
    }

    /// A single port.
    pub fn single(p: u16) -> PortSet {
        PortSet {
            ranges: vec![(p, p)],
        }
    }

    /// True for every port.
    pub fn is_any(&self) -> bool {
        self.ranges == [(0, u16::MAX)]
    }

    /// True if empty.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Membership.
    pub fn contains(&self, port: u16) -> bool {
        crate::address::contains(&self.ranges, port)
    }

    /// The ranges.
    pub fn ranges(&self) -> &[(u16, u16)] {
        &self.ranges
    }

    fn union(&self, o: &PortSet) -> PortSet {
        let mut r = self.ranges.clone();
        r.extend_from_slice(&o.ranges);
        merge(&mut r);
        PortSet { ranges: r }
    }

    fn subtract(&self, o: &PortSet) -> PortSet {
        PortSet {
            ranges: subtract(&self.ranges, &o.ranges),
        }
    }
}

impl PortExpr {
    /// Parses a port field; `base` is its byte offset in the source.
    pub fn parse(text: &str, base: usize) -> Result<PortExpr, ExprError> {
        let mut p = Parser {
            text,
            pos: 0,
            base,
            depth: 0,
        };
        let e = p.port()?;
        p.skip_ws();
        if p.pos != text.len() {
            return Err(ExprError::new(
                format!("unexpected `{}` in port", &text[p.pos..]),
                Span::new(base + p.pos, base + text.len()),
            ));
        }
        Ok(e)
    }

    /// Resolves into a [`PortSet`].
    pub fn resolve(&self, vars: &Vars) -> Result<PortSet, VarError> {
        let s = self.resolve_depth(vars, 0)?;
        if s.is_empty() {
            return Err(VarError::Empty {
                what: "port".into(),
            });
        }
        Ok(s)
    }

    pub(crate) fn resolve_depth(&self, vars: &Vars, depth: usize) -> Result<PortSet, VarError> {
        if depth > MAX_DEPTH {
            return Err(VarError::TooDeep);
        }
        Ok(match self {
            PortExpr::Any => PortSet::any(),
            PortExpr::Var(name, _) => vars.port(name, depth + 1)?,
            PortExpr::Range(lo, hi, _) => PortSet {
                ranges: vec![(*lo, *hi)],
            },
            PortExpr::Not(inner, _) => {
                PortSet::any().subtract(&inner.resolve_depth(vars, depth + 1)?)
            }
            PortExpr::Group(items, _) => {
                let mut pos = PortSet::default();
                let mut neg = PortSet::default();
                let mut any_positive = false;
                for item in items {
                    if let PortExpr::Not(inner, _) = item {
                        neg = neg.union(&inner.resolve_depth(vars, depth + 1)?);
                    } else {
                        any_positive = true;
                        pos = pos.union(&item.resolve_depth(vars, depth + 1)?);
                    }
                }
                if !any_positive {
                    pos = PortSet::any();
                }
                pos.subtract(&neg)
            }
        })
    }
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
    base: usize,
    depth: usize,
}

impl Parser<'_> {
    fn span(&self, a: usize, b: usize) -> Span {
        Span::new(self.base + a, self.base + b)
    }

    fn skip_ws(&mut self) {
        while self
            .text
            .as_bytes()
            .get(self.pos)
            .is_some_and(|b| b.is_ascii_whitespace())
        {
            self.pos += 1;
        }
    }

    fn port(&mut self) -> Result<PortExpr, ExprError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ExprError::new(
                "port groups nested too deeply",
                self.span(self.pos, self.pos),
            ));
        }
        self.skip_ws();
        let start = self.pos;
        let r = match self.text.as_bytes().get(self.pos) {
            Some(b'!') => {
                self.pos += 1;
                let inner = self.port()?;
                Ok(PortExpr::Not(Box::new(inner), self.span(start, self.pos)))
            }
            Some(b'[') => {
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    items.push(self.port()?);
                    self.skip_ws();
                    match self.text.as_bytes().get(self.pos) {
                        Some(b',') => self.pos += 1,
                        Some(b']') => {
                            self.pos += 1;
                            break;
                        }
                        _ => {
                            return Err(ExprError::new(
                                "unterminated port group (missing `]`)",
                                self.span(start, self.text.len()),
                            ))
                        }
                    }
                }
                Ok(PortExpr::Group(items, self.span(start, self.pos)))
            }
            _ => {
                let end = self.text[self.pos..]
                    .find(|c: char| c == ',' || c == ']' || c.is_whitespace())
                    .map_or(self.text.len(), |i| self.pos + i);
                let atom = &self.text[self.pos..end];
                self.pos = end;
                let span = self.span(start, end);
                parse_port_atom(atom, span)
            }
        };
        self.depth -= 1;
        r
    }
}

fn parse_port_atom(atom: &str, span: Span) -> Result<PortExpr, ExprError> {
    let bad = || ExprError::new(format!("bad port `{atom}`"), span);
    if atom.eq_ignore_ascii_case("any") {
        return Ok(PortExpr::Any);
    }
    if let Some(name) = atom.strip_prefix('$') {
        if name.is_empty() {
            return Err(bad());
        }
        return Ok(PortExpr::Var(name.to_string(), span));
    }
    let num = |s: &str| s.trim().parse::<u16>().map_err(|_| bad());
    if let Some((a, b)) = atom.split_once(':') {
        let lo = if a.is_empty() { 0 } else { num(a)? };
        let hi = if b.is_empty() { u16::MAX } else { num(b)? };
        if lo > hi {
            return Err(ExprError::new(
                format!("port range `{atom}` is backwards"),
                span,
            ));
        }
        return Ok(PortExpr::Range(lo, hi, span));
    }
    let p = num(atom)?;
    Ok(PortExpr::Range(p, p, span))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(t: &str) -> PortSet {
        PortExpr::parse(t, 0)
            .unwrap()
            .resolve(&Vars::suricata_defaults())
            .unwrap()
    }

    #[test]
    fn port_forms() {
        assert!(set("80").contains(80));
        assert!(!set("80").contains(81));
        assert!(set("1024:").contains(65535));
        assert!(!set("1024:").contains(1023));
        assert!(set(":1023").contains(0));
        assert!(set("[80,443,8000:8100]").contains(8050));
        assert!(!set("[1:100,!50]").contains(50));
        assert!(set("[1:100,!50]").contains(51));
        assert!(set("!80").contains(81));
        assert!(!set("$SHELLCODE_PORTS").contains(80));
        assert!(set("$HTTP_PORTS").contains(80));
        assert!(set("[$HTTP_PORTS,8080]").contains(8080));
        assert!(PortExpr::parse("70000", 0).is_err());
        assert!(PortExpr::parse("90:80", 0).is_err());
        assert!(PortExpr::parse("[80", 0).is_err());
        assert!(PortExpr::parse("!any", 0)
            .unwrap()
            .resolve(&Vars::suricata_defaults())
            .is_err());
    }
}
