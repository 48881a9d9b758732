//! Rule addresses: `any`, `$VAR`, `10.0.0.1`, `10.0.0.0/8`, `10.0.0.0/255.0.0.0`,
//! `10.0.0.1-10.0.0.9`, IPv6 forms, groups `[a,b,...]` and negation `!a`.
//!
//! Parsing keeps the expression (with spans); [`AddressExpr::resolve`] turns
//! it into an [`IpSet`] once the variables are known. Set semantics follow
//! Suricata: inside a group the positive items are united and the negated
//! ones subtracted (`[10.0.0.0/8,!10.0.0.5]`); a group with only negations
//! starts from "any"; `!x` outside a group is the complement. A set that
//! resolves to nothing is an error, as in Suricata.

use crate::span::Span;
use crate::vars::{VarError, Vars};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Nesting limit for groups and variables (Suricata refuses deep recursion too).
pub const MAX_DEPTH: usize = 32;

/// A parsed address expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AddressExpr {
    /// `any`
    Any,
    /// `$NAME` (name without the `$`)
    Var(String, Span),
    /// A network, `lo..=hi` for v4 or v6.
    Range(IpRange, Span),
    /// `[a,b,...]`
    Group(Vec<AddressExpr>, Span),
    /// `!a`
    Not(Box<AddressExpr>, Span),
}

/// An inclusive range of addresses of one family.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum IpRange {
    /// IPv4 `lo..=hi`.
    V4(u32, u32),
    /// IPv6 `lo..=hi`.
    V6(u128, u128),
}

/// Error in an address or port expression.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ExprError {
    /// What was wrong.
    pub message: String,
    /// Where.
    pub span: Span,
}

impl ExprError {
    pub(crate) fn new(message: impl Into<String>, span: Span) -> Self {
        ExprError {
            message: message.into(),
            span,
        }
    }
}

/// A resolved set of addresses: sorted, merged ranges per family.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IpSet {
    v4: Vec<(u32, u32)>,
    v6: Vec<(u128, u128)>,
}

impl IpSet {
    /// Every address.
    pub fn any() -> IpSet {
        IpSet {
            v4: vec![(0, u32::MAX)],
            v6: vec![(0, u128::MAX)],
        }
    }

    /// True if the set holds every address of both families.
    pub fn is_any(&self) -> bool {
        self.v4 == [(0, u32::MAX)] && self.v6 == [(0, u128::MAX)]
    }

    /// True if the set is empty.
    pub fn is_empty(&self) -> bool {
        self.v4.is_empty() && self.v6.is_empty()
    }

    /// Membership test (binary search over the ranges).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match ip {
            IpAddr::V4(a) => contains(&self.v4, u32::from(a)),
            // v4-mapped v6 addresses match as v6, as in Suricata.
            IpAddr::V6(a) => contains(&self.v6, u128::from(a)),
        }
    }

    /// IPv4 membership on the raw address.
    pub fn contains_v4(&self, a: u32) -> bool {
        contains(&self.v4, a)
    }

    /// IPv6 membership on the raw address.
    pub fn contains_v6(&self, a: u128) -> bool {
        contains(&self.v6, a)
    }

    /// The IPv4 ranges.
    pub fn v4_ranges(&self) -> &[(u32, u32)] {
        &self.v4
    }

    /// The IPv6 ranges.
    pub fn v6_ranges(&self) -> &[(u128, u128)] {
        &self.v6
    }

    fn add(&mut self, r: IpRange) {
        match r {
            IpRange::V4(lo, hi) => self.v4.push((lo, hi)),
            IpRange::V6(lo, hi) => self.v6.push((lo, hi)),
        }
    }

    fn normalize(&mut self) {
        merge(&mut self.v4);
        merge(&mut self.v6);
    }

    /// Union.
    pub fn union(&self, other: &IpSet) -> IpSet {
        let mut out = self.clone();
        out.v4.extend_from_slice(&other.v4);
        out.v6.extend_from_slice(&other.v6);
        out.normalize();
        out
    }

    /// Difference `self − other`.
    pub fn subtract(&self, other: &IpSet) -> IpSet {
        IpSet {
            v4: subtract(&self.v4, &other.v4),
            v6: subtract(&self.v6, &other.v6),
        }
    }

    /// Complement.
    pub fn complement(&self) -> IpSet {
        IpSet::any().subtract(self)
    }
}

/// Integer types that ranges are kept in.
pub(crate) trait RangeInt: Copy + Ord {
    fn inc(self) -> Option<Self>;
    fn dec(self) -> Option<Self>;
}

macro_rules! range_int {
    ($t:ty) => {
        impl RangeInt for $t {
            fn inc(self) -> Option<Self> {
                self.checked_add(1)
            }
            fn dec(self) -> Option<Self> {
                self.checked_sub(1)
            }
        }
    };
}
range_int!(u16);
range_int!(u32);
range_int!(u128);

pub(crate) fn contains<T: RangeInt>(ranges: &[(T, T)], v: T) -> bool {
    // Ranges are sorted and disjoint: find the last range starting <= v.
    let i = ranges.partition_point(|r| r.0 <= v);
    i > 0 && ranges.get(i - 1).is_some_and(|r| v <= r.1)
}

pub(crate) fn merge<T: RangeInt>(ranges: &mut Vec<(T, T)>) {
    ranges.sort_unstable();
    let mut out: Vec<(T, T)> = Vec::with_capacity(ranges.len());
    for &(lo, hi) in ranges.iter() {
        if let Some(last) = out.last_mut() {
            let adjacent = last.1.inc().is_none_or(|n| lo <= n);
            if adjacent {
                if hi > last.1 {
                    last.1 = hi;
                }
                continue;
            }
        }
        out.push((lo, hi));
    }
    *ranges = out;
}

pub(crate) fn subtract<T: RangeInt>(a: &[(T, T)], b: &[(T, T)]) -> Vec<(T, T)> {
    let mut out = Vec::new();
    for &(lo, hi) in a {
        let mut cur = Some(lo);
        for &(blo, bhi) in b {
            let Some(c) = cur else { break };
            if bhi < c || blo > hi {
                continue;
            }
            if blo > c {
                if let Some(end) = blo.dec() {
                    out.push((c, end));
                }
            }
            cur = bhi.inc().filter(|n| *n <= hi);
        }
        if let Some(c) = cur {
            out.push((c, hi));
        }
    }
    out
}

impl AddressExpr {
    /// Parses an address field; `base` is the field's byte offset in the
    /// source, so spans point into the file.
    pub fn parse(text: &str, base: usize) -> Result<AddressExpr, ExprError> {
        let mut p = ExprParser {
            text,
            pos: 0,
            base,
            depth: 0,
        };
        let e = p.address()?;
        p.skip_ws();
        if p.pos != text.len() {
            return Err(ExprError::new(
                format!("unexpected `{}` in address", &text[p.pos..]),
                p.span(p.pos, text.len()),
            ));
        }
        Ok(e)
    }

    /// Resolves variables and set operations into an [`IpSet`].
    pub fn resolve(&self, vars: &Vars) -> Result<IpSet, VarError> {
        let set = self.resolve_depth(vars, 0)?;
        if set.is_empty() {
            return Err(VarError::Empty {
                what: "address".into(),
            });
        }
        Ok(set)
    }

    pub(crate) fn resolve_depth(&self, vars: &Vars, depth: usize) -> Result<IpSet, VarError> {
        if depth > MAX_DEPTH {
            return Err(VarError::TooDeep);
        }
        Ok(match self {
            AddressExpr::Any => IpSet::any(),
            AddressExpr::Var(name, _) => vars.address(name, depth + 1)?,
            AddressExpr::Range(r, _) => {
                let mut s = IpSet::default();
                s.add(*r);
                s
            }
            AddressExpr::Not(inner, _) => inner.resolve_depth(vars, depth + 1)?.complement(),
            AddressExpr::Group(items, _) => {
                let mut pos = IpSet::default();
                let mut neg = IpSet::default();
                let mut any_positive = false;
                for item in items {
                    match item {
                        AddressExpr::Not(inner, _) => {
                            neg = neg.union(&inner.resolve_depth(vars, depth + 1)?);
                        }
                        other => {
                            any_positive = true;
                            pos = pos.union(&other.resolve_depth(vars, depth + 1)?);
                        }
                    }
                }
                if !any_positive {
                    pos = IpSet::any();
                }
                pos.subtract(&neg)
            }
        })
    }
}

struct ExprParser<'a> {
    text: &'a str,
    pos: usize,
    base: usize,
    depth: usize,
}

impl ExprParser<'_> {
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

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn address(&mut self) -> Result<AddressExpr, ExprError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ExprError::new(
                "address groups nested too deeply",
                self.span(self.pos, self.pos),
            ));
        }
        self.skip_ws();
        let start = self.pos;
        let r = match self.peek() {
            Some(b'!') => {
                self.pos += 1;
                let inner = self.address()?;
                Ok(AddressExpr::Not(
                    Box::new(inner),
                    self.span(start, self.pos),
                ))
            }
            Some(b'[') => {
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    self.skip_ws();
                    if self.peek() == Some(b']') && !items.is_empty() {
                        self.pos += 1;
                        break;
                    }
                    items.push(self.address()?);
                    self.skip_ws();
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b']') => {
                            self.pos += 1;
                            break;
                        }
                        _ => {
                            return Err(ExprError::new(
                                "unterminated address group (missing `]`)",
                                self.span(start, self.text.len()),
                            ))
                        }
                    }
                }
                Ok(AddressExpr::Group(items, self.span(start, self.pos)))
            }
            _ => {
                let end = self.text[self.pos..]
                    .find(|c: char| c == ',' || c == ']' || c.is_whitespace())
                    .map_or(self.text.len(), |i| self.pos + i);
                let atom = &self.text[self.pos..end];
                self.pos = end;
                let span = self.span(start, end);
                if atom.is_empty() {
                    Err(ExprError::new("empty address", span))
                } else if atom.eq_ignore_ascii_case("any") {
                    Ok(AddressExpr::Any)
                } else if let Some(name) = atom.strip_prefix('$') {
                    if name.is_empty()
                        || !name
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
                    {
                        Err(ExprError::new(format!("bad variable name `{atom}`"), span))
                    } else {
                        Ok(AddressExpr::Var(name.to_string(), span))
                    }
                } else {
                    parse_ip_atom(atom)
                        .map(|r| AddressExpr::Range(r, span))
                        .ok_or_else(|| ExprError::new(format!("bad address `{atom}`"), span))
                }
            }
        };
        self.depth -= 1;
        r
    }
}

/// Parses `ip`, `ip/len`, `ip/dotted-mask`, `ip-ip`.
pub fn parse_ip_atom(atom: &str) -> Option<IpRange> {
    if let Some((a, b)) = atom.split_once('/') {
        let ip: IpAddr = a.parse().ok()?;
        match ip {
            IpAddr::V4(v4) => {
                let bits: u32 = if let Ok(n) = b.parse::<u32>() {
                    if n > 32 {
                        return None;
                    }
                    n
                } else {
                    let m = u32::from(b.parse::<Ipv4Addr>().ok()?);
                    // A mask must be contiguous ones.
                    if m.leading_ones() + m.trailing_zeros() != 32 {
                        return None;
                    }
                    m.leading_ones()
                };
                let mask = if bits == 0 {
                    0
                } else {
                    u32::MAX << (32 - bits)
                };
                let lo = u32::from(v4) & mask;
                Some(IpRange::V4(lo, lo | !mask))
            }
            IpAddr::V6(v6) => {
                let bits: u32 = b.parse().ok()?;
                if bits > 128 {
                    return None;
                }
                let mask = if bits == 0 {
                    0
                } else {
                    u128::MAX << (128 - bits)
                };
                let lo = u128::from(v6) & mask;
                Some(IpRange::V6(lo, lo | !mask))
            }
        }
    } else if let Some((a, b)) = atom.split_once('-') {
        match (a.parse::<IpAddr>().ok()?, b.parse::<IpAddr>().ok()?) {
            (IpAddr::V4(x), IpAddr::V4(y)) if x <= y => {
                Some(IpRange::V4(u32::from(x), u32::from(y)))
            }
            (IpAddr::V6(x), IpAddr::V6(y)) if x <= y => {
                Some(IpRange::V6(u128::from(x), u128::from(y)))
            }
            _ => None,
        }
    } else {
        match atom.parse::<IpAddr>().ok()? {
            IpAddr::V4(x) => Some(IpRange::V4(u32::from(x), u32::from(x))),
            IpAddr::V6(x) => Some(IpRange::V6(u128::from(x), u128::from(x))),
        }
    }
}

/// Helper for tests and callers: `Ipv6Addr` of a raw value.
pub fn v6(raw: u128) -> Ipv6Addr {
    Ipv6Addr::from(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(text: &str) -> IpSet {
        AddressExpr::parse(text, 0)
            .unwrap()
            .resolve(&Vars::suricata_defaults())
            .unwrap()
    }

    fn has(s: &IpSet, ip: &str) -> bool {
        s.contains(ip.parse().unwrap())
    }

    #[test]
    fn atoms() {
        assert!(has(&set("10.0.0.0/8"), "10.255.0.1"));
        assert!(!has(&set("10.0.0.0/8"), "11.0.0.1"));
        assert!(has(&set("10.0.0.0/255.255.0.0"), "10.0.3.1"));
        assert!(!has(&set("10.0.0.0/255.255.0.0"), "10.1.3.1"));
        assert!(has(&set("1.1.1.1-1.1.1.5"), "1.1.1.3"));
        assert!(!has(&set("1.1.1.1-1.1.1.5"), "1.1.1.6"));
        assert!(has(&set("2001:db8::/32"), "2001:db8::1"));
        assert!(!has(&set("2001:db8::/32"), "10.0.0.1"));
        assert!(has(&set("any"), "::1"));
        assert!(AddressExpr::parse("10.0.0.0/33", 0).is_err());
        assert!(AddressExpr::parse("10.0.0.0/255.0.255.0", 0).is_err());
        assert!(AddressExpr::parse("[10.0.0.1", 0).is_err());
        assert!(AddressExpr::parse("foo", 0).is_err());
    }

    #[test]
    fn groups_and_negation() {
        let s = set("[10.0.0.0/8,!10.0.0.5]");
        assert!(has(&s, "10.0.0.4"));
        assert!(!has(&s, "10.0.0.5"));
        assert!(has(&s, "10.0.0.6"));
        let s = set("[!10.0.0.5]");
        assert!(has(&s, "8.8.8.8"));
        assert!(!has(&s, "10.0.0.5"));
        let s = set("!$HOME_NET");
        assert!(has(&s, "8.8.8.8"));
        assert!(!has(&s, "192.168.1.1"));
        assert!(!has(&s, "172.16.0.1"));
        assert!(has(&s, "172.32.0.1"));
        let s = set("[$HOME_NET, 8.8.8.8]");
        assert!(has(&s, "8.8.8.8"));
        assert!(has(&s, "10.1.1.1"));
        assert!(set("0.0.0.0/0").contains_v4(0));
    }

    #[test]
    fn empty_set_is_an_error() {
        let e = AddressExpr::parse("[10.0.0.0/8,!10.0.0.0/8]", 0).unwrap();
        assert!(e.resolve(&Vars::suricata_defaults()).is_err());
        let e = AddressExpr::parse("!any", 0).unwrap();
        assert!(e.resolve(&Vars::suricata_defaults()).is_err());
    }

    #[test]
    fn range_ops() {
        let mut r = vec![(5u32, 9), (1, 3), (4, 4), (20, 30)];
        merge(&mut r);
        assert_eq!(r, vec![(1, 9), (20, 30)]);
        assert_eq!(
            subtract(&r, &[(3, 5), (25, 40)]),
            vec![(1, 2), (6, 9), (20, 24)]
        );
        assert_eq!(subtract(&[(0u16, u16::MAX)], &[(0, u16::MAX)]), vec![]);
        assert_eq!(subtract(&[(0u16, 10)], &[(10, 10)]), vec![(0, 9)]);
        assert!(contains(&[(1u32, 2), (5, 6)], 5));
        assert!(!contains(&[(1u32, 2), (5, 6)], 3));
    }
}
