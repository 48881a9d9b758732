//! Suricata's unsigned-integer comparison syntax, shared by every keyword that
//! compares one number (`bsize` here; `dsize`, `urilen`, `ttl`, `window`,
//! `itype`, ... in the engine).
//!
//! Accepted forms (Suricata's "integer keywords"), with spaces allowed around
//! operators and at both ends:
//!
//! | text            | matches                                  |
//! |-----------------|------------------------------------------|
//! | `N`, `=N`       | `v == N`                                 |
//! | `!N`, `!=N`     | `v != N`                                 |
//! | `<N`, `<=N`     | `v < N`, `v <= N`                        |
//! | `>N`, `>=N`     | `v > N`, `v >= N`                        |
//! | `N-M`, `N<>M`   | `N < v < M` (ranges are **exclusive**)   |
//! | `!N-M`, `!N<>M` | `v <= N` or `v >= M`                     |
//! | `&MASK=V`       | `v & MASK == V`                          |
//! | `&MASK!=V`      | `v & MASK != V`                          |
//!
//! Numbers are decimal or `0x` hexadecimal; a decimal may carry a
//! case-insensitive unit suffix `kb`/`kib` (1024), `mb`/`mib`, `gb`/`gib`.
//! Like Suricata, forms that can never match are rejected when parsed: `<0`,
//! `>MAX`, a range whose ends leave no value between them, a bitmask whose
//! value has bits outside the mask.
//!
//! [`UintMatch::parse_inclusive`] is the variant some keywords (Suricata's
//! `urilen`) use, where `N-M` / `N<>M` include both ends.

use super::PayloadError;
use std::fmt::Debug;

mod sealed {
    pub trait Sealed {}
    impl Sealed for u8 {}
    impl Sealed for u16 {}
    impl Sealed for u32 {}
    impl Sealed for u64 {}
}

/// The unsigned integer widths a [`UintMatch`] can compare (u8, u16, u32, u64).
pub trait UintType: sealed::Sealed + Copy + Ord + Debug + Send + Sync + 'static {
    /// Largest value of the type.
    const MAX_U64: u64;
    /// Widens to u64.
    fn to_u64(self) -> u64;
    /// Narrows from u64; `None` when the value does not fit.
    fn from_u64(v: u64) -> Option<Self>;
}

macro_rules! uint_type {
    ($t:ty) => {
        impl UintType for $t {
            const MAX_U64: u64 = <$t>::MAX as u64;
            fn to_u64(self) -> u64 {
                u64::from(self)
            }
            fn from_u64(v: u64) -> Option<Self> {
                <$t>::try_from(v).ok()
            }
        }
    };
}
uint_type!(u8);
uint_type!(u16);
uint_type!(u32);
uint_type!(u64);

/// How a [`UintMatch`] compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UintMode {
    /// `v == a`
    Eq,
    /// `v != a`
    Ne,
    /// `v < a`
    Lt,
    /// `v <= a`
    Le,
    /// `v > a`
    Gt,
    /// `v >= a`
    Ge,
    /// `a < v < b`
    Range,
    /// `v <= a || v >= b`
    NegRange,
    /// `v & a == b`
    Bitmask,
    /// `v & a != b`
    NegBitmask,
}

/// A parsed integer comparison, e.g. `bsize:>=10` or `dsize:100<>200`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UintMatch<T> {
    mode: UintMode,
    a: T,
    b: T,
}

impl<T: UintType> UintMatch<T> {
    /// Parses Suricata's integer syntax (exclusive ranges).
    pub fn parse(value: &str) -> Result<Self, PayloadError> {
        Self::parse_with(value, false)
    }

    /// Parses with inclusive ranges: `N-M` matches `N <= v <= M`.
    pub fn parse_inclusive(value: &str) -> Result<Self, PayloadError> {
        Self::parse_with(value, true)
    }

    /// A comparison built from its parts, for callers that compute one.
    pub fn new(mode: UintMode, a: T, b: T) -> Self {
        UintMatch { mode, a, b }
    }

    /// The comparison mode.
    pub fn mode(&self) -> UintMode {
        self.mode
    }

    /// The first operand (the value, the range's low end, or the mask).
    pub fn arg1(&self) -> T {
        self.a
    }

    /// The second operand (the range's high end or the masked value).
    pub fn arg2(&self) -> T {
        self.b
    }

    /// True when `v` satisfies the comparison.
    pub fn matches(&self, v: T) -> bool {
        match self.mode {
            UintMode::Eq => v == self.a,
            UintMode::Ne => v != self.a,
            UintMode::Lt => v < self.a,
            UintMode::Le => v <= self.a,
            UintMode::Gt => v > self.a,
            UintMode::Ge => v >= self.a,
            UintMode::Range => v > self.a && v < self.b,
            UintMode::NegRange => v <= self.a || v >= self.b,
            UintMode::Bitmask => v.to_u64() & self.a.to_u64() == self.b.to_u64(),
            UintMode::NegBitmask => v.to_u64() & self.a.to_u64() != self.b.to_u64(),
        }
    }

    /// Largest value that can match, `None` when unbounded (used by `bsize`
    /// to reject contents that can never fit).
    pub fn max_matching(&self) -> Option<u64> {
        let a = self.a.to_u64();
        let b = self.b.to_u64();
        match self.mode {
            UintMode::Eq => Some(a),
            UintMode::Lt => Some(a.saturating_sub(1)),
            UintMode::Le => Some(a),
            UintMode::Range => Some(b.saturating_sub(1)),
            _ => None,
        }
    }

    fn parse_with(value: &str, inclusive: bool) -> Result<Self, PayloadError> {
        let err = |why: &str| PayloadError(format!("invalid integer value `{value}`: {why}"));
        let s = value.trim();
        if s.is_empty() {
            return Err(err("empty"));
        }
        let mut p = Cursor {
            s: s.as_bytes(),
            i: 0,
        };

        // bitmask: &MASK[!]=V
        if !inclusive && p.peek() == Some(b'&') {
            p.i += 1;
            p.spaces();
            let mask = p.value::<T>().ok_or_else(|| err("bad mask"))?;
            p.spaces();
            let neg = p.eat(b'!');
            if !p.eat(b'=') {
                return Err(err("expected `=` or `!=` after the mask"));
            }
            p.spaces();
            let v = p
                .value::<T>()
                .ok_or_else(|| err("bad value after the mask"))?;
            p.spaces();
            if !p.done() {
                return Err(err("trailing characters"));
            }
            if v.to_u64() & mask.to_u64() != v.to_u64() {
                return Err(err(
                    "the value has bits outside the mask, so it can never match",
                ));
            }
            let mode = if neg {
                UintMode::NegBitmask
            } else {
                UintMode::Bitmask
            };
            return Ok(UintMatch {
                mode,
                a: mask,
                b: v,
            });
        }

        // interval: [!]N (-|<>) M
        {
            let mut q = Cursor { s: p.s, i: p.i };
            let neg = q.eat(b'!');
            if let Some(lo) = q.value::<T>() {
                q.spaces();
                let sep = if q.eat(b'-') {
                    true
                } else if q.peek() == Some(b'<') && q.s.get(q.i + 1) == Some(&b'>') {
                    q.i += 2;
                    true
                } else {
                    false
                };
                if sep {
                    q.spaces();
                    let hi = q.value::<T>().ok_or_else(|| err("bad range end"))?;
                    q.spaces();
                    if !q.done() {
                        return Err(err("trailing characters"));
                    }
                    let (l, h) = (lo.to_u64(), hi.to_u64());
                    let mode = if neg {
                        UintMode::NegRange
                    } else {
                        UintMode::Range
                    };
                    if inclusive {
                        if l == 0 || h <= l || h == T::MAX_U64 {
                            return Err(err("empty or unbounded inclusive range"));
                        }
                        let a = T::from_u64(l - 1).ok_or_else(|| err("range"))?;
                        let b = T::from_u64(h + 1).ok_or_else(|| err("range"))?;
                        return Ok(UintMatch { mode, a, b });
                    }
                    if h <= l || h - l <= 1 {
                        return Err(err(
                            "range ends leave no value between them (ranges are exclusive)",
                        ));
                    }
                    return Ok(UintMatch { mode, a: lo, b: hi });
                }
            }
        }

        // symbol forms
        let mode = if p.eat_str(b">=") {
            UintMode::Ge
        } else if p.eat_str(b"<=") {
            UintMode::Le
        } else if p.eat(b'>') {
            UintMode::Gt
        } else if p.eat(b'<') {
            UintMode::Lt
        } else if p.eat_str(b"!=") || p.eat(b'!') {
            UintMode::Ne
        } else {
            p.eat(b'=');
            UintMode::Eq
        };
        p.spaces();
        let v = p.value::<T>().ok_or_else(|| err("expected a number"))?;
        p.spaces();
        if !p.done() {
            return Err(err("trailing characters"));
        }
        let n = v.to_u64();
        let never = match mode {
            UintMode::Lt | UintMode::Ge => n == 0,
            UintMode::Le | UintMode::Gt => n == T::MAX_U64,
            _ => false,
        };
        if never {
            return Err(err("comparison is always true or never true"));
        }
        Ok(UintMatch { mode, a: v, b: v })
    }
}

struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn eat_str(&mut self, t: &[u8]) -> bool {
        if self.s.get(self.i..self.i + t.len()) == Some(t) {
            self.i += t.len();
            true
        } else {
            false
        }
    }
    fn spaces(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }
    fn done(&self) -> bool {
        self.i >= self.s.len()
    }
    fn value<T: UintType>(&mut self) -> Option<T> {
        if self.eat_str(b"0x") || self.eat_str(b"0X") {
            let start = self.i;
            let mut v: u64 = 0;
            while let Some(c) = self.peek() {
                let d = match (c as char).to_digit(16) {
                    Some(d) => d,
                    None => break,
                };
                v = v.checked_mul(16)?.checked_add(u64::from(d))?;
                self.i += 1;
            }
            if self.i == start {
                return None;
            }
            return T::from_u64(v);
        }
        let start = self.i;
        let mut v: u64 = 0;
        while let Some(c) = self.peek() {
            if !c.is_ascii_digit() {
                break;
            }
            v = v.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
            self.i += 1;
        }
        if self.i == start {
            return None;
        }
        let units: [(&[u8], u64); 6] = [
            (b"kib", 1 << 10),
            (b"kb", 1 << 10),
            (b"mib", 1 << 20),
            (b"mb", 1 << 20),
            (b"gib", 1 << 30),
            (b"gb", 1 << 30),
        ];
        for (name, mult) in units {
            let end = self.i + name.len();
            if let Some(t) = self.s.get(self.i..end) {
                if t.eq_ignore_ascii_case(name) {
                    self.i = end;
                    if v >= 1 {
                        v = v.checked_mul(mult)?;
                    }
                    break;
                }
            }
        }
        T::from_u64(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m16(s: &str) -> UintMatch<u16> {
        UintMatch::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn equality_and_inequality() {
        assert!(m16("10").matches(10));
        assert!(!m16("10").matches(11));
        assert!(m16("=10").matches(10));
        assert!(m16(" = 10 ").matches(10));
        assert!(m16("!10").matches(11));
        assert!(!m16("!10").matches(10));
        assert!(m16("!=10").matches(9));
        assert!(m16("0x10").matches(16));
    }

    #[test]
    fn relational() {
        assert!(m16("<10").matches(9));
        assert!(!m16("<10").matches(10));
        assert!(m16("<=10").matches(10));
        assert!(m16(">10").matches(11));
        assert!(!m16(">10").matches(10));
        assert!(m16(">= 10").matches(10));
        assert!(!m16(">=10").matches(9));
    }

    #[test]
    fn ranges_are_exclusive() {
        let r = m16("6<>15");
        assert!(!r.matches(6));
        assert!(r.matches(7));
        assert!(r.matches(14));
        assert!(!r.matches(15));
        let r = m16("1-4");
        assert!(r.matches(2) && r.matches(3) && !r.matches(1) && !r.matches(4));
        let r = m16("!1-4");
        assert!(r.matches(1) && r.matches(4) && r.matches(0) && !r.matches(2));
        let r = m16("1 - 4");
        assert!(r.matches(3));
    }

    #[test]
    fn inclusive_ranges() {
        let r = UintMatch::<u16>::parse_inclusive("5<>10").unwrap();
        assert!(r.matches(5) && r.matches(10) && !r.matches(4) && !r.matches(11));
        assert!(UintMatch::<u16>::parse_inclusive("7").unwrap().matches(7));
    }

    #[test]
    fn bitmask() {
        let b = UintMatch::<u8>::parse("&0xc0=0x80").unwrap();
        assert!(b.matches(0x80) && b.matches(0xbf) && !b.matches(0xc0));
        let b = UintMatch::<u8>::parse("&0xc0!=0").unwrap();
        assert!(b.matches(0x40) && !b.matches(0x3f));
        assert!(UintMatch::<u8>::parse("&0x0f=0x10").is_err());
    }

    #[test]
    fn units() {
        let u = UintMatch::<u64>::parse("2kb").unwrap();
        assert!(u.matches(2048));
        let u = UintMatch::<u64>::parse(">1MiB").unwrap();
        assert!(u.matches(1_048_577) && !u.matches(1_048_576));
        assert!(UintMatch::<u16>::parse("1mb").is_err()); // overflows u16
    }

    #[test]
    fn rejects_bad_forms() {
        for bad in [
            "", "abc", "<0", ">65535", "<=65535", ">=0", "5-6", "6-5", "10<>", "1 2", "70000", "=",
            "!", "0x", "&", "&0x10", "5--6",
        ] {
            assert!(UintMatch::<u16>::parse(bad).is_err(), "{bad:?} should fail");
        }
    }

    #[test]
    fn max_matching() {
        assert_eq!(m16("10").max_matching(), Some(10));
        assert_eq!(m16("<10").max_matching(), Some(9));
        assert_eq!(m16("<=10").max_matching(), Some(10));
        assert_eq!(m16("6<>15").max_matching(), Some(14));
        assert_eq!(m16(">10").max_matching(), None);
    }
}
