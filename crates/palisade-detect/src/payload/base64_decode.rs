//! `base64_decode[:bytes <n>][, offset <o>][, relative]`: decode base64 from
//! the buffer for the keywords after `base64_data`.
//!
//! * decoding starts at the buffer start, or at the previous match end with
//!   `relative`, plus `offset`; an `offset` at or past the end is a no-match;
//! * at most `bytes` input bytes are decoded (default and maximum 65535);
//! * like Suricata (RFC 4648 mode), decoding stops at the first byte outside
//!   the base64 alphabet (`=` padding included); a trailing partial group
//!   of k characters yields k-1 bytes;
//! * when something was decoded, the `base64_data` list is inspected on it
//!   from position 0, and its result is the result of the whole list:
//!   keywords after `base64_decode` in the same list are not evaluated
//!   (Suricata: "base64 is a terminal list"). Without a `base64_data` list,
//!   or when nothing was decoded, it does not match.
//!
//! It goes to the list of the signature's last payload keyword when no
//! sticky buffer is active, and can't be used after `base64_data`.

use super::builder::{PayloadBuilder, Placement};
use super::num;
use super::{Matcher, PayloadError};

const KW: &str = "base64_decode";

/// Largest number of input bytes decoded.
pub(super) const BASE64_DECODE_MAX: u32 = 65535;

/// A compiled `base64_decode`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Base64Decode {
    /// Input bytes to decode at most.
    pub bytes: u32,
    /// Bytes to skip first.
    pub offset: u32,
    /// `relative`.
    pub relative: bool,
}

impl Base64Decode {
    /// Decodes into `out` (cleared first); false when nothing was decoded.
    pub(super) fn decode(&self, buf: &[u8], cursor: usize, out: &mut Vec<u8>) -> bool {
        out.clear();
        let input = if self.relative {
            buf.get(cursor..).unwrap_or(&[])
        } else {
            buf
        };
        let off = self.offset as usize;
        if off != 0 {
            if off >= input.len() {
                return false;
            }
            let Some(rest) = input.get(off..) else {
                return false;
            };
            return decode_into(rest, self.bytes as usize, out);
        }
        decode_into(input, self.bytes as usize, out)
    }
}

fn decode_into(input: &[u8], max: usize, out: &mut Vec<u8>) -> bool {
    let input = input.get(..max.min(input.len())).unwrap_or(input);
    decode_rfc4648(input, out);
    !out.is_empty()
}

/// RFC 4648 base64, stopping at the first byte outside the alphabet.
pub(super) fn decode_rfc4648(input: &[u8], out: &mut Vec<u8>) {
    let mut quad = [0u8; 4];
    let mut n = 0usize;
    for &c in input {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => break,
        };
        if let Some(slot) = quad.get_mut(n) {
            *slot = v;
        }
        n += 1;
        if n == 4 {
            out.extend_from_slice(&group(&quad));
            n = 0;
        }
    }
    if n > 1 {
        let g = group(&quad);
        out.extend_from_slice(g.get(..n - 1).unwrap_or(&[]));
    }
}

fn group(q: &[u8; 4]) -> [u8; 3] {
    [
        (q[0] << 2) | (q[1] >> 4),
        (q[1] << 4) | (q[2] >> 2),
        (q[2] << 6) | q[3],
    ]
}

pub(super) fn setup(b: &mut PayloadBuilder, value: Option<&str>) -> Result<(), PayloadError> {
    if b.in_base64() {
        return Err(PayloadError::kw(KW, "can't be used after base64_data"));
    }
    let mut bytes: Option<u32> = None;
    let mut offset: Option<u32> = None;
    let mut relative = false;
    if let Some(v) = value {
        if v.trim().is_empty() {
            return Err(PayloadError::kw(KW, "empty value"));
        }
        for item in v.split(',').map(str::trim) {
            let (name, arg) = match item.split_once(char::is_whitespace) {
                Some((n, a)) => (n, Some(a.trim())),
                None => (item, None),
            };
            match (name, arg) {
                ("bytes", Some(a)) if bytes.is_none() => {
                    bytes = Some(
                        num::parse_in_range(a, 10, 0, i128::from(BASE64_DECODE_MAX)).ok_or_else(
                            || PayloadError::kw(KW, format!("invalid bytes `{a}` (0..=65535)")),
                        )? as u32,
                    );
                }
                ("offset", Some(a)) if offset.is_none() => {
                    offset = Some(
                        num::parse_in_range(a, 10, 0, i128::from(u32::MAX))
                            .ok_or_else(|| PayloadError::kw(KW, format!("invalid offset `{a}`")))?
                            as u32,
                    );
                }
                ("relative", None) if !relative => relative = true,
                _ => {
                    return Err(PayloadError::kw(
                        KW,
                        format!(
                            "invalid option `{item}` (expected bytes <n>, offset <n>, relative)"
                        ),
                    ))
                }
            }
        }
    }
    let bytes = match bytes {
        None | Some(0) => BASE64_DECODE_MAX,
        Some(n) => n,
    };
    let target = b.target(Placement::FollowLast);
    b.push(
        target,
        Matcher::Base64Decode(Base64Decode {
            bytes,
            offset: offset.unwrap_or(0),
            relative,
        }),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::tests::{check, err};
    use super::*;

    fn dec(s: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        decode_rfc4648(s, &mut out);
        out
    }

    #[test]
    fn decoder() {
        assert_eq!(dec(b"SGVsbG8gV29ybGQ="), b"Hello World");
        assert_eq!(dec(b"dGVzdA=="), b"test");
        assert_eq!(dec(b"dGVzdA"), b"test");
        assert_eq!(dec(b"dGVzd"), b"tes");
        assert_eq!(dec(b"d"), b"");
        assert_eq!(dec(b"dGVz dA=="), b"tes");
        assert_eq!(dec(b"!abc"), b"");
        assert_eq!(dec(b""), b"");
    }

    #[test]
    fn decode_window() {
        let d = Base64Decode {
            bytes: 8,
            offset: 8,
            relative: false,
        };
        let mut out = Vec::new();
        assert!(d.decode(b"aaaaaaaaSGVsbG8gV29ybGQ=", 0, &mut out));
        assert_eq!(out, b"Hello ");
        let d = Base64Decode {
            bytes: 65535,
            offset: 32,
            relative: false,
        };
        assert!(!d.decode(b"SGVsbG8gV29ybGQ=", 0, &mut out));
        let d = Base64Decode {
            bytes: 65535,
            offset: 0,
            relative: true,
        };
        assert!(d.decode(b"aaaaaaaaSGVsbG8gV29ybGQ=", 8, &mut out));
        assert_eq!(out, b"Hello World");
        assert!(!d.decode(b"aaaa", 4, &mut out));
    }

    #[test]
    fn keyword() {
        check(
            r#"base64_decode; base64_data; content:"Hello";"#,
            b"SGVsbG8gV29ybGQ=",
            true,
        );
        check(
            r#"base64_decode; base64_data; content:"Bye";"#,
            b"SGVsbG8gV29ybGQ=",
            false,
        );
        check(
            r#"base64_decode; content:"SGV";"#,
            b"SGVsbG8gV29ybGQ=",
            false,
        );
        check(
            r#"content:"aaaaaaaa"; base64_decode:relative; base64_data; content:"World"; within:11;"#,
            b"aaaaaaaaSGVsbG8gV29ybGQ=",
            true,
        );
        check(
            r#"base64_decode:bytes 16, offset 8; base64_data; content:"Hello World"; startswith;"#,
            b"aaaaaaaaSGVsbG8gV29ybGQ=",
            true,
        );
        check(
            r#"base64_decode:offset 24; base64_data; content:"H";"#,
            b"aaaaaaaaSGVsbG8gV29ybGQ=",
            false,
        );
        // base64 is terminal: the content after it in the payload list is not evaluated
        check(
            r#"base64_decode; base64_data; content:"Hello"; pkt_data; content:"nothere";"#,
            b"SGVsbG8gV29ybGQ=",
            true,
        );
    }

    #[test]
    fn errors() {
        err(r#"base64_decode:bytes x;"#, "invalid bytes");
        err(r#"base64_decode:relatve;"#, "invalid option");
        err(r#"base64_decode:bytes 1, bytes 2;"#, "invalid option");
        err(
            r#"base64_decode; base64_data; base64_decode;"#,
            "after base64_data",
        );
    }
}
