//! Suricata's unsigned-integer comparison syntax, shared by the integer
//! keywords (`ttl`, `id`, `window`, `itype`, `icode`, `icmp_id`, `icmp_seq`,
//! `tcp.mss`, `dsize`, `urilen`, ...).
//!
//! Accepted forms (spaces allowed around operators and at either end):
//!
//! | form            | meaning                                   |
//! |-----------------|-------------------------------------------|
//! | `N`, `=N`       | equal                                     |
//! | `!N`, `!=N`     | not equal                                 |
//! | `<N` `<=N` `>N` `>=N` | comparisons                         |
//! | `N-M`, `N<>M`   | exclusive range: `N < x < M`              |
//! | `!N-M`          | negated range: `x <= N` or `x >= M`       |
//! | `&M=V`, `&M!=V` | bit mask: `x & M == V` / `x & M != V`     |
//!
//! Values are decimal (with an optional case-insensitive `kb`/`kib`
//! (×1024), `mb`/`mib`, `gb`/`gib` suffix) or `0x` hexadecimal. As in
//! Suricata, a value must fit the keyword's width, a range must hold at
//! least one value (`5-6` is rejected), comparisons that can never or
//! always match at the type's bounds (`<0`, `>=0`, `>max`, `<=max`) are
//! rejected, and a mask form whose value has bits outside the mask is
//! rejected.

/// How a [`UintCmp`] compares.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum UintMode {
    /// `x == arg1`
    Eq,
    /// `x != arg1`
    Ne,
    /// `x < arg1`
    Lt,
    /// `x <= arg1`
    Le,
    /// `x > arg1`
    Gt,
    /// `x >= arg1`
    Ge,
    /// `arg1 < x < arg2`
    Range,
    /// `x <= arg1 || x >= arg2`
    NegRange,
    /// `x & arg1 == arg2`
    Mask,
    /// `x & arg1 != arg2`
    NegMask,
}

/// A parsed integer comparison.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct UintCmp {
    /// The comparison.
    pub mode: UintMode,
    /// First operand (the value, the range start or the mask).
    pub arg1: u64,
    /// Second operand (range end or masked value); 0 otherwise.
    pub arg2: u64,
}

/// Outcome of trying one syntactic form: `Ok(None)` when the form does not
/// apply (try the next), `Err` when it applies but is invalid.
type Attempt<'a> = Result<Option<(UintCmp, &'a str)>, String>;

impl UintCmp {
    /// The largest value that can match (u64::MAX when unbounded).
    pub fn max_matching(&self) -> u64 {
        match self.mode {
            UintMode::Eq => self.arg1,
            UintMode::Lt => self.arg1.saturating_sub(1),
            UintMode::Le => self.arg1,
            UintMode::Range => self.arg2.saturating_sub(1),
            UintMode::Ne
            | UintMode::Gt
            | UintMode::Ge
            | UintMode::NegRange
            | UintMode::Mask
            | UintMode::NegMask => u64::MAX,
        }
    }

    /// Equality with `v`.
    pub fn equal(v: u64) -> UintCmp {
        UintCmp {
            mode: UintMode::Eq,
            arg1: v,
            arg2: 0,
        }
    }

    /// Parses a 64-bit comparison.
    pub fn parse(v: &str) -> Result<Self, String> {
        Self::parse_max(v, u64::MAX)
    }

    /// Parses a comparison for a field whose largest value is `max`
    /// (255 for an 8-bit field, 65535 for 16 bits, ...).
    pub fn parse_max(v: &str, max: u64) -> Result<Self, String> {
        let s = v.trim_start_matches(' ');
        if s.trim().is_empty() {
            return Err("empty value".into());
        }
        let attempts: [fn(&str, u64) -> Attempt<'_>; 4] =
            [parse_mask, parse_interval, parse_equal, parse_symbol];
        for attempt in attempts {
            if let Some((cmp, rest)) = attempt(s, max)? {
                if !rest.trim_matches(' ').is_empty() {
                    return Err(format!("unexpected `{}` after the value", rest.trim()));
                }
                return Ok(cmp);
            }
        }
        Err(format!("`{}` is not an integer expression", v.trim()))
    }

    /// True if `x` satisfies the comparison.
    pub fn matches(&self, x: u64) -> bool {
        match self.mode {
            UintMode::Eq => x == self.arg1,
            UintMode::Ne => x != self.arg1,
            UintMode::Lt => x < self.arg1,
            UintMode::Le => x <= self.arg1,
            UintMode::Gt => x > self.arg1,
            UintMode::Ge => x >= self.arg1,
            UintMode::Range => x > self.arg1 && x < self.arg2,
            UintMode::NegRange => x <= self.arg1 || x >= self.arg2,
            UintMode::Mask => x & self.arg1 == self.arg2,
            UintMode::NegMask => x & self.arg1 != self.arg2,
        }
    }
}

fn skip_spaces(s: &str) -> &str {
    s.trim_start_matches(' ')
}

/// Parses one value at the start of `s`: `0x` hex, or decimal with an
/// optional unit. `Ok(None)` when `s` does not start with a digit.
fn parse_value(s: &str, max: u64) -> Result<Option<(u64, &str)>, String> {
    if let Some(hex) = s.strip_prefix("0x") {
        let end = hex
            .find(|c: char| !c.is_ascii_hexdigit())
            .unwrap_or(hex.len());
        if end > 0 {
            let digits = &hex[..end];
            let v = u64::from_str_radix(digits, 16)
                .map_err(|_| format!("value `0x{digits}` is too large"))?;
            if v > max {
                return Err(format!("value `0x{digits}` exceeds the maximum {max}"));
            }
            return Ok(Some((v, &hex[end..])));
        }
        // "0x" without digits: fall through, "0" parses and "x" is left over.
    }
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    if end == 0 {
        return Ok(None);
    }
    let digits = &s[..end];
    let v: u64 = digits
        .parse()
        .map_err(|_| format!("value `{digits}` is too large"))?;
    if v > max {
        return Err(format!("value {v} exceeds the maximum {max}"));
    }
    let rest = &s[end..];
    let (unit, rest) = parse_unit(rest);
    if let Some(unit) = unit {
        if v >= 1 {
            if max / unit < v {
                return Err(format!("value {v} with its unit exceeds the maximum {max}"));
            }
            return Ok(Some((v * unit, rest)));
        }
    }
    Ok(Some((v, rest)))
}

fn parse_unit(s: &str) -> (Option<u64>, &str) {
    const UNITS: [(&str, u64); 6] = [
        ("kib", 1024),
        ("kb", 1024),
        ("mib", 1024 * 1024),
        ("mb", 1024 * 1024),
        ("gib", 1024 * 1024 * 1024),
        ("gb", 1024 * 1024 * 1024),
    ];
    for (name, mult) in UNITS {
        if s.len() >= name.len()
            && s.is_char_boundary(name.len())
            && s[..name.len()].eq_ignore_ascii_case(name)
        {
            return (Some(mult), &s[name.len()..]);
        }
    }
    (None, s)
}

fn required_value<'a>(s: &'a str, max: u64, what: &str) -> Result<(u64, &'a str), String> {
    parse_value(s, max)?.ok_or_else(|| format!("expected a number {what}"))
}

/// `&M=V` / `&M!=V`
fn parse_mask(s: &str, max: u64) -> Attempt<'_> {
    let Some(rest) = s.strip_prefix('&') else {
        return Ok(None);
    };
    let (mask, rest) = required_value(skip_spaces(rest), max, "after `&`")?;
    let rest = skip_spaces(rest);
    let (neg, rest) = match rest.strip_prefix('!') {
        Some(r) => (true, r),
        None => (false, rest),
    };
    let rest = rest
        .strip_prefix('=')
        .ok_or("bit mask needs `=` or `!=` after the mask")?;
    let (value, rest) = required_value(skip_spaces(rest), max, "after `=`")?;
    if value & mask != value {
        return Err(format!(
            "masked value {value:#x} has bits outside the mask {mask:#x}: it can never match"
        ));
    }
    let mode = if neg {
        UintMode::NegMask
    } else {
        UintMode::Mask
    };
    Ok(Some((
        UintCmp {
            mode,
            arg1: mask,
            arg2: value,
        },
        rest,
    )))
}

/// `[!]N-M` / `[!]N<>M`
fn parse_interval(s: &str, max: u64) -> Attempt<'_> {
    let (neg, body) = match s.strip_prefix('!') {
        Some(r) => (true, r),
        None => (false, s),
    };
    let Some((lo, rest)) = parse_value(body, max)? else {
        return Ok(None);
    };
    let rest = skip_spaces(rest);
    let rest = if let Some(r) = rest.strip_prefix('-') {
        r
    } else if let Some(r) = rest.strip_prefix("<>") {
        r
    } else {
        return Ok(None);
    };
    let (hi, rest) = required_value(skip_spaces(rest), max, "after the range operator")?;
    if hi <= lo || hi - lo <= 1 {
        return Err(format!(
            "range {lo}-{hi} holds no value (ranges are exclusive: {lo} < x < {hi})"
        ));
    }
    let mode = if neg {
        UintMode::NegRange
    } else {
        UintMode::Range
    };
    Ok(Some((
        UintCmp {
            mode,
            arg1: lo,
            arg2: hi,
        },
        rest,
    )))
}

/// `N` / `=N`
fn parse_equal(s: &str, max: u64) -> Attempt<'_> {
    let body = s.strip_prefix('=').unwrap_or(s);
    let Some((v, rest)) = parse_value(skip_spaces(body), max)? else {
        return Ok(None);
    };
    Ok(Some((UintCmp::equal(v), rest)))
}

/// `<N`, `<=N`, `>N`, `>=N`, `!=N`, `!N`
fn parse_symbol(s: &str, max: u64) -> Attempt<'_> {
    const OPS: [(&str, UintMode); 6] = [
        (">=", UintMode::Ge),
        ("<=", UintMode::Le),
        (">", UintMode::Gt),
        ("<", UintMode::Lt),
        ("!=", UintMode::Ne),
        ("!", UintMode::Ne),
    ];
    let Some((op, mode, rest)) = OPS
        .iter()
        .find_map(|(op, mode)| s.strip_prefix(op).map(|r| (*op, *mode, r)))
    else {
        return Ok(None);
    };
    let (v, rest) = required_value(skip_spaces(rest), max, &format!("after `{op}`"))?;
    let never = match mode {
        UintMode::Lt => v == 0,
        UintMode::Ge => v == 0,
        UintMode::Le | UintMode::Gt => v == max,
        _ => false,
    };
    if never {
        return Err(format!(
            "`{op}{v}` always or never matches a value between 0 and {max}"
        ));
    }
    Ok(Some((
        UintCmp {
            mode,
            arg1: v,
            arg2: 0,
        },
        rest,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p8(s: &str) -> Result<UintCmp, String> {
        UintCmp::parse_max(s, 255)
    }

    #[test]
    fn forms() {
        let cases: &[(&str, UintMode, u64, u64)] = &[
            ("19", UintMode::Eq, 19, 0),
            ("=0x13", UintMode::Eq, 19, 0),
            ("= 7", UintMode::Eq, 7, 0),
            ("!0x14", UintMode::Ne, 20, 0),
            ("!=20", UintMode::Ne, 20, 0),
            (">21", UintMode::Gt, 21, 0),
            (">=21", UintMode::Ge, 21, 0),
            ("<22", UintMode::Lt, 22, 0),
            ("<= 22", UintMode::Le, 22, 0),
            ("19-22", UintMode::Range, 19, 22),
            ("19 <> 22", UintMode::Range, 19, 22),
            ("!19-22", UintMode::NegRange, 19, 22),
            ("&0xc0=0x80", UintMode::Mask, 0xc0, 0x80),
            ("&0xc0!=0", UintMode::NegMask, 0xc0, 0),
            ("  5  ", UintMode::Eq, 5, 0),
        ];
        for (s, mode, a1, a2) in cases {
            let c = p8(s).unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!((c.mode, c.arg1, c.arg2), (*mode, *a1, *a2), "{s}");
        }
    }

    #[test]
    fn ranges_are_exclusive() {
        let r = p8("1-4").unwrap();
        let hits: Vec<u64> = (0..=6).filter(|x| r.matches(*x)).collect();
        assert_eq!(hits, vec![2, 3]);
        let n = p8("!1-4").unwrap();
        let hits: Vec<u64> = (0..=6).filter(|x| n.matches(*x)).collect();
        assert_eq!(hits, vec![0, 1, 4, 5, 6]);
        let a = p8("1<>4").unwrap();
        assert_eq!(a, r);
    }

    #[test]
    fn comparisons_match() {
        assert!(p8("<3").unwrap().matches(2));
        assert!(!p8("<3").unwrap().matches(3));
        assert!(p8("<=3").unwrap().matches(3));
        assert!(p8(">3").unwrap().matches(4));
        assert!(!p8(">3").unwrap().matches(3));
        assert!(p8(">=3").unwrap().matches(3));
        assert!(p8("!3").unwrap().matches(4));
        assert!(!p8("!3").unwrap().matches(3));
        assert!(p8("&0x0f=0x01").unwrap().matches(0xf1));
        assert!(!p8("&0x0f=0x01").unwrap().matches(0xf2));
        assert!(p8("&0x0f!=0x01").unwrap().matches(0xf2));
    }

    #[test]
    fn units() {
        let c = UintCmp::parse("2kb").unwrap();
        assert_eq!(c.arg1, 2048);
        assert_eq!(UintCmp::parse(">1MiB").unwrap().arg1, 1024 * 1024);
        assert_eq!(UintCmp::parse("1GB").unwrap().arg1, 1 << 30);
        assert_eq!(UintCmp::parse("0kb").unwrap().arg1, 0);
        assert!(UintCmp::parse_max("64kb", 65535).is_err());
        assert!(UintCmp::parse_max("63kb", 65535).is_ok());
    }

    #[test]
    fn rejects() {
        for bad in [
            "",
            "  ",
            "abc",
            "5-5",
            "5-6",
            "6-5",
            "<0",
            ">=0",
            ">255",
            "<=255",
            "256",
            "0x100",
            "1-256",
            "&0x0f=0x10",
            "&0x0f",
            "5 6",
            "5x",
            "--5",
            "-5",
            "!",
            "<",
            "=",
            "0x",
            "99999999999999999999999",
            "5-",
            "!5-6",
            "1<>",
            "&=1",
        ] {
            assert!(p8(bad).is_err(), "`{bad}` should be rejected");
        }
        assert!(UintCmp::parse("18446744073709551615").is_ok());
        assert!(UintCmp::parse("18446744073709551616").is_err());
        assert!(UintCmp::parse(">18446744073709551615").is_err());
        assert!(UintCmp::parse_max("<=254", 255).is_ok());
    }

    #[test]
    fn never_panics_on_odd_input() {
        for s in [
            "é", "0xé", "1é", "&é", "!é-", "1-é", "1kiB", "\u{0}", "1 - 2", "1- 2 ",
        ] {
            let _ = UintCmp::parse(s);
        }
        assert_eq!(UintCmp::parse("1 - 3").unwrap().mode, UintMode::Range);
        assert_eq!(UintCmp::parse("1kiB").unwrap().arg1, 1024);
    }
}

/// The cases of the payload module's former comparator (bsize used it), kept
/// when the two were merged into this one.
#[cfg(test)]
mod payload_forms {
    use super::*;

    const MAXW: u64 = u16::MAX as u64;

    fn m16(s: &str) -> UintCmp {
        UintCmp::parse_max(s, u64::from(u16::MAX)).unwrap_or_else(|e| panic!("{s}: {e}"))
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
    fn bitmask() {
        let b = UintCmp::parse_max("&0xc0=0x80", 255).unwrap();
        assert!(b.matches(0x80) && b.matches(0xbf) && !b.matches(0xc0));
        let b = UintCmp::parse_max("&0xc0!=0", 255).unwrap();
        assert!(b.matches(0x40) && !b.matches(0x3f));
        assert!(UintCmp::parse_max("&0x0f=0x10", 255).is_err());
    }

    #[test]
    fn units() {
        let u = UintCmp::parse("2kb").unwrap();
        assert!(u.matches(2048));
        let u = UintCmp::parse(">1MiB").unwrap();
        assert!(u.matches(1_048_577) && !u.matches(1_048_576));
        assert!(UintCmp::parse_max("1mb", MAXW).is_err()); // overflows u16
    }

    #[test]
    fn rejects_bad_forms() {
        for bad in [
            "", "abc", "<0", ">65535", "<=65535", ">=0", "5-6", "6-5", "10<>", "1 2", "70000", "=",
            "!", "0x", "&", "&0x10", "5--6",
        ] {
            assert!(
                UintCmp::parse_max(bad, MAXW).is_err(),
                "{bad:?} should fail"
            );
        }
    }

    #[test]
    fn max_matching() {
        assert_eq!(m16("10").max_matching(), 10);
        assert_eq!(m16("<10").max_matching(), 9);
        assert_eq!(m16("<=10").max_matching(), 10);
        assert_eq!(m16("6<>15").max_matching(), 14);
        assert_eq!(m16(">10").max_matching(), u64::MAX);
    }
}
