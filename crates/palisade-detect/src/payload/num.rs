//! Number scanning shared by the payload keywords.
//!
//! Suricata reads rule numbers with C's `strtol`/`strtoull` family and, for
//! `byte_*` keywords with `string`, reads the *packet* bytes the same way. Two
//! flavours exist here:
//!
//! * [`strtoull`] reproduces C's scan exactly (leading whitespace, sign, `0x`
//!   prefix, base 0 auto-detection, stop at the first non-digit, overflow),
//!   because packet data must be read the way Suricata reads it;
//! * [`parse_int`] is the *strict* form Suricata uses for most rule values
//!   (`StringParse*`): the whole token must be a number.

/// What scanning a number out of some bytes gave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StrNum {
    /// A value, and how many bytes of the input the scan used (whitespace,
    /// sign and prefix included), as C's `endptr - ptr`.
    Value { value: u64, consumed: usize },
    /// No digit at all.
    NoDigits,
    /// The value does not fit in 64 bits (C's `ERANGE`).
    Overflow,
}

/// `isspace` in the C locale.
pub(crate) fn is_c_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn digit(c: u8) -> Option<u32> {
    match c {
        b'0'..=b'9' => Some(u32::from(c - b'0')),
        b'a'..=b'z' => Some(u32::from(c - b'a') + 10),
        b'A'..=b'Z' => Some(u32::from(c - b'A') + 10),
        _ => None,
    }
}

/// C's `strtoull(s, &end, base)` on a byte slice that stops at the first NUL
/// (Suricata copies the bytes into a NUL-terminated buffer first). `base` is
/// 0 (auto: `0x` hex, leading `0` octal, else decimal), 8, 10 or 16.
pub(crate) fn strtoull(s: &[u8], base: u32) -> StrNum {
    let s = match memchr::memchr(0, s) {
        Some(nul) => s.get(..nul).unwrap_or(s),
        None => s,
    };
    let mut i = 0;
    while s.get(i).is_some_and(|&c| is_c_space(c)) {
        i += 1;
    }
    let mut neg = false;
    if let Some(&c) = s.get(i) {
        if c == b'+' || c == b'-' {
            neg = c == b'-';
            i += 1;
        }
    }
    let hex_prefix = s.get(i) == Some(&b'0')
        && matches!(s.get(i + 1), Some(b'x' | b'X'))
        && s.get(i + 2).is_some_and(|c| c.is_ascii_hexdigit());
    let mut base = base;
    if (base == 0 || base == 16) && hex_prefix {
        i += 2;
        base = 16;
    } else if base == 0 {
        base = if s.get(i) == Some(&b'0') { 8 } else { 10 };
    }
    let start = i;
    let mut value: u64 = 0;
    let mut overflow = false;
    while let Some(d) = s.get(i).and_then(|&c| digit(c)) {
        if d >= base {
            break;
        }
        match value
            .checked_mul(u64::from(base))
            .and_then(|v| v.checked_add(u64::from(d)))
        {
            Some(v) => value = v,
            None => overflow = true,
        }
        i += 1;
    }
    if i == start {
        return StrNum::NoDigits;
    }
    if overflow {
        return StrNum::Overflow;
    }
    let value = if neg { value.wrapping_neg() } else { value };
    StrNum::Value { value, consumed: i }
}

/// Strict integer parse of a rule token: optional sign, then digits in
/// `base` (0 = auto-detect like C: `0x` hex, leading `0` octal), and nothing
/// else. `None` on any junk or on overflow of the (wide) intermediate.
pub(crate) fn parse_int(s: &str, base: u32) -> Option<i128> {
    let b = s.trim().as_bytes();
    let (neg, rest) = match b.first() {
        Some(b'-') => (true, b.get(1..)?),
        Some(b'+') => (false, b.get(1..)?),
        _ => (false, b),
    };
    if rest
        .first()
        .is_some_and(|&c| is_c_space(c) || c == b'+' || c == b'-')
    {
        return None;
    }
    match strtoull(rest, base) {
        StrNum::Value { value, consumed } if consumed == rest.len() => {
            let v = i128::from(value);
            Some(if neg { -v } else { v })
        }
        _ => None,
    }
}

/// Strict parse into an integer range `[min, max]`.
pub(crate) fn parse_in_range(s: &str, base: u32, min: i128, max: i128) -> Option<i64> {
    let v = parse_int(s, base)?;
    if v < min || v > max {
        return None;
    }
    i64::try_from(v).ok()
}

/// Suricata treats a value whose first character is a letter as the name of a
/// `byte_extract`/`byte_math` variable.
pub(crate) fn is_var_name(s: &str) -> bool {
    s.as_bytes()
        .first()
        .is_some_and(|c| c.is_ascii_alphabetic())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(value: u64, consumed: usize) -> StrNum {
        StrNum::Value { value, consumed }
    }

    #[test]
    fn strtoull_like_c() {
        assert_eq!(strtoull(b"1234", 10), v(1234, 4));
        assert_eq!(strtoull(b"12ab", 10), v(12, 2));
        assert_eq!(strtoull(b"12ab", 16), v(0x12ab, 4));
        assert_eq!(strtoull(b"0x1f", 16), v(0x1f, 4));
        assert_eq!(strtoull(b"0x1f", 0), v(0x1f, 4));
        assert_eq!(strtoull(b"017", 0), v(0o17, 3));
        assert_eq!(strtoull(b"017", 8), v(0o17, 3));
        assert_eq!(strtoull(b"019", 8), v(1, 2));
        assert_eq!(strtoull(b"  42", 10), v(42, 4));
        assert_eq!(strtoull(b"-1", 10), v(u64::MAX, 2));
        assert_eq!(strtoull(b"+7", 10), v(7, 2));
        assert_eq!(strtoull(b"0xg", 16), v(0, 1));
        assert_eq!(strtoull(b"", 10), StrNum::NoDigits);
        assert_eq!(strtoull(b"abc", 10), StrNum::NoDigits);
        assert_eq!(strtoull(b" - ", 10), StrNum::NoDigits);
        assert_eq!(strtoull(b"12\x0034", 10), v(12, 2));
        assert_eq!(strtoull(b"99999999999999999999", 10), StrNum::Overflow);
        assert_eq!(strtoull(b"18446744073709551615", 10), v(u64::MAX, 20));
    }

    #[test]
    fn strict_parse() {
        assert_eq!(parse_int("12", 10), Some(12));
        assert_eq!(parse_int("-12", 10), Some(-12));
        assert_eq!(parse_int("0x10", 0), Some(16));
        assert_eq!(parse_int("0x10", 10), None);
        assert_eq!(parse_int("12a", 10), None);
        assert_eq!(parse_int("", 10), None);
        assert_eq!(parse_int("-", 10), None);
        assert_eq!(parse_int("--1", 10), None);
        assert_eq!(parse_in_range("70000", 10, 0, 65535), None);
        assert_eq!(parse_in_range("-5", 10, -65535, 65535), Some(-5));
    }

    #[test]
    fn var_names() {
        assert!(is_var_name("size"));
        assert!(!is_var_name("5"));
        assert!(!is_var_name("-5"));
        assert!(!is_var_name(""));
    }
}
