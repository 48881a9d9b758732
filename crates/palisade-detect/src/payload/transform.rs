//! Transforms: keywords written right after a sticky-buffer keyword that
//! change the buffer before its list is inspected, applied in rule order.
//!
//! | keyword | effect (as Suricata) |
//! |---|---|
//! | `dotprefix` | prepend `.` (an empty buffer stays empty) |
//! | `to_lowercase` / `to_uppercase` | ASCII case mapping |
//! | `strip_whitespace` | remove space, `\t`, `\n`, `\v`, `\f`, `\r` |
//! | `compress_whitespace` | keep only the first whitespace byte of each run |
//! | `url_decode` | `%HH` to the byte, `+` to space; malformed `%` kept |
//! | `xor:"<hex key>"` | XOR with the key repeated (1..=255 bytes) |
//! | `header_lowercase` | lowercase each line up to its first `:` |
//! | `to_md5` / `to_sha1` / `to_sha256` | replace by the binary digest |
//!
//! Like Suricata, a non-negated content that a transform makes impossible
//! (uppercase after `to_lowercase`, whitespace after `strip_whitespace`,
//! two whitespace bytes in a row after `compress_whitespace`, ...) is
//! rejected. [`apply_transforms`] works in one reused output buffer, so it
//! does not allocate once the buffer has grown to the largest input.

use super::num::is_c_space;
use super::PayloadError;
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// Most transforms on one buffer (Suricata's `DETECT_TRANSFORMS_MAX`).
pub(super) const MAX_TRANSFORMS: usize = 16;

/// A buffer transform.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Transform {
    /// `dotprefix`
    DotPrefix,
    /// `to_lowercase`
    ToLowercase,
    /// `to_uppercase`
    ToUppercase,
    /// `strip_whitespace`
    StripWhitespace,
    /// `compress_whitespace`
    CompressWhitespace,
    /// `url_decode`
    UrlDecode,
    /// `xor:"key"`
    Xor(Vec<u8>),
    /// `header_lowercase`
    HeaderLowercase,
    /// `to_md5`
    ToMd5,
    /// `to_sha1`
    ToSha1,
    /// `to_sha256`
    ToSha256,
}

impl Transform {
    /// The rule keyword.
    pub fn name(&self) -> &'static str {
        match self {
            Transform::DotPrefix => "dotprefix",
            Transform::ToLowercase => "to_lowercase",
            Transform::ToUppercase => "to_uppercase",
            Transform::StripWhitespace => "strip_whitespace",
            Transform::CompressWhitespace => "compress_whitespace",
            Transform::UrlDecode => "url_decode",
            Transform::Xor(_) => "xor",
            Transform::HeaderLowercase => "header_lowercase",
            Transform::ToMd5 => "to_md5",
            Transform::ToSha1 => "to_sha1",
            Transform::ToSha256 => "to_sha256",
        }
    }

    /// Why `pattern` can never match after this transform, if so.
    pub(super) fn incompatible_content(&self, pattern: &[u8]) -> Option<&'static str> {
        match self {
            Transform::ToLowercase if pattern.iter().any(u8::is_ascii_uppercase) => {
                Some("it contains uppercase letters")
            }
            Transform::ToUppercase if pattern.iter().any(u8::is_ascii_lowercase) => {
                Some("it contains lowercase letters")
            }
            Transform::StripWhitespace if pattern.iter().any(|&c| is_c_space(c)) => {
                Some("it contains whitespace")
            }
            Transform::CompressWhitespace
                if pattern.windows(2).any(|w| w.iter().all(|&c| is_c_space(c))) =>
            {
                Some("it contains consecutive whitespace")
            }
            _ => None,
        }
    }

    /// Applies the transform to `buf` in place.
    pub fn apply(&self, buf: &mut Vec<u8>) {
        match self {
            Transform::DotPrefix => {
                if !buf.is_empty() {
                    buf.insert(0, b'.');
                }
            }
            Transform::ToLowercase => buf.make_ascii_lowercase(),
            Transform::ToUppercase => buf.make_ascii_uppercase(),
            Transform::StripWhitespace => buf.retain(|&c| !is_c_space(c)),
            Transform::CompressWhitespace => {
                let mut prev_space = false;
                buf.retain(|&c| {
                    let space = is_c_space(c);
                    let keep = !(space && prev_space);
                    prev_space = space;
                    keep
                });
            }
            Transform::UrlDecode => url_decode_in_place(buf),
            Transform::Xor(key) => {
                if !key.is_empty() {
                    for (b, k) in buf.iter_mut().zip(key.iter().cycle()) {
                        *b ^= k;
                    }
                }
            }
            Transform::HeaderLowercase => {
                let mut in_value = false;
                for b in buf.iter_mut() {
                    if in_value {
                        if *b == b'\n' {
                            in_value = false;
                        }
                    } else if *b == b':' {
                        in_value = true;
                    } else {
                        b.make_ascii_lowercase();
                    }
                }
            }
            Transform::ToMd5 => {
                let d = Md5::digest(buf.as_slice());
                buf.clear();
                buf.extend_from_slice(&d);
            }
            Transform::ToSha1 => {
                let d = Sha1::digest(buf.as_slice());
                buf.clear();
                buf.extend_from_slice(&d);
            }
            Transform::ToSha256 => {
                let d = Sha256::digest(buf.as_slice());
                buf.clear();
                buf.extend_from_slice(&d);
            }
        }
    }
}

fn hex_val(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

fn url_decode_in_place(buf: &mut Vec<u8>) {
    let mut r = 0;
    let mut w = 0;
    let len = buf.len();
    while r < len {
        let c = buf.get(r).copied().unwrap_or(0);
        let out = if c == b'%' {
            match (
                buf.get(r + 1).copied().and_then(hex_val),
                buf.get(r + 2).copied().and_then(hex_val),
            ) {
                (Some(h), Some(l)) => {
                    r += 2;
                    (h << 4) | l
                }
                _ => c,
            }
        } else if c == b'+' {
            b' '
        } else {
            c
        };
        if let Some(slot) = buf.get_mut(w) {
            *slot = out;
        }
        w += 1;
        r += 1;
    }
    buf.truncate(w);
}

/// Applies `ts` in order to `input`, leaving the result in `out` (cleared
/// first; its allocation is reused).
pub fn apply_transforms(ts: &[Transform], input: &[u8], out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(input);
    for t in ts {
        t.apply(out);
    }
}

/// Parses a transform keyword and its value.
pub(super) fn parse(kw: &str, value: Option<&str>) -> Result<Transform, PayloadError> {
    let value = value.map(str::trim).filter(|v| !v.is_empty());
    let t = match kw {
        "dotprefix" => Transform::DotPrefix,
        "to_lowercase" => Transform::ToLowercase,
        "to_uppercase" => Transform::ToUppercase,
        "strip_whitespace" => Transform::StripWhitespace,
        "compress_whitespace" => Transform::CompressWhitespace,
        "url_decode" => Transform::UrlDecode,
        "header_lowercase" => Transform::HeaderLowercase,
        "to_md5" => Transform::ToMd5,
        "to_sha1" => Transform::ToSha1,
        "to_sha256" => Transform::ToSha256,
        "xor" => {
            let v =
                value.ok_or_else(|| PayloadError::kw(kw, "needs a hex key, e.g. xor:\"0d0a\""))?;
            let key = v
                .strip_prefix('"')
                .and_then(|s| s.strip_suffix('"'))
                .filter(|_| v.len() >= 2)
                .unwrap_or(v);
            if key.is_empty() || key.len() % 2 != 0 {
                return Err(PayloadError::kw(
                    kw,
                    "the key must be an even number of hex digits",
                ));
            }
            if key.len() / 2 > 255 {
                return Err(PayloadError::kw(kw, "the key is longer than 255 bytes"));
            }
            let mut bytes = Vec::with_capacity(key.len() / 2);
            for pair in key.as_bytes().chunks(2) {
                match pair {
                    [h, l] => match (hex_val(*h), hex_val(*l)) {
                        (Some(h), Some(l)) => bytes.push((h << 4) | l),
                        _ => return Err(PayloadError::kw(kw, "the key must be hexadecimal")),
                    },
                    _ => {
                        return Err(PayloadError::kw(
                            kw,
                            "the key must be an even number of hex digits",
                        ))
                    }
                }
            }
            return Ok(Transform::Xor(bytes));
        }
        _ => return Err(PayloadError::kw(kw, "unknown transform")),
    };
    if let Some(v) = value {
        return Err(PayloadError::kw(kw, format!("takes no value (got `{v}`)")));
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::super::tests::{check, err};
    use super::*;

    fn run(ts: &[Transform], input: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        apply_transforms(ts, input, &mut out);
        out
    }

    #[test]
    fn each_transform() {
        assert_eq!(
            run(&[Transform::DotPrefix], b"example.com"),
            b".example.com"
        );
        assert_eq!(run(&[Transform::DotPrefix], b""), b"");
        assert_eq!(run(&[Transform::ToLowercase], b"AbC\xc9"), b"abc\xc9");
        assert_eq!(run(&[Transform::ToUppercase], b"AbC"), b"ABC");
        assert_eq!(
            run(&[Transform::StripWhitespace], b" a\tb\r\nc \x0b"),
            b"abc"
        );
        assert_eq!(
            run(&[Transform::CompressWhitespace], b" A B C D "),
            b" A B C D "
        );
        assert_eq!(run(&[Transform::CompressWhitespace], b"I  \t J"), b"I J");
        assert_eq!(run(&[Transform::CompressWhitespace], b"a\t\n b"), b"a\tb");
        assert_eq!(
            run(&[Transform::UrlDecode], b"%41%2fb+c%zz%4"),
            b"A/b c%zz%4"
        );
        assert_eq!(run(&[Transform::UrlDecode], b"%41"), b"A");
        assert_eq!(run(&[Transform::UrlDecode], b"%"), b"%");
        assert_eq!(
            run(&[Transform::Xor(vec![0x0d, 0x0a])], b"\x0d\x0a\x0d"),
            b"\0\0\0"
        );
        assert_eq!(
            run(
                &[Transform::HeaderLowercase],
                b"Host: ABC\r\nUser-Agent: X\r\n"
            ),
            b"host: ABC\r\nuser-agent: X\r\n"
        );
        assert_eq!(
            run(&[Transform::ToMd5], b"abc"),
            b"\x90\x01\x50\x98\x3c\xd2\x4f\xb0\xd6\x96\x3f\x7d\x28\xe1\x7f\x72"
        );
        assert_eq!(run(&[Transform::ToSha1], b"abc").len(), 20);
        assert_eq!(
            run(&[Transform::ToSha256], b"abc").get(..4),
            Some(&[0xba, 0x78, 0x16, 0xbf][..])
        );
        // chains apply in order
        assert_eq!(
            run(
                &[
                    Transform::UrlDecode,
                    Transform::ToLowercase,
                    Transform::DotPrefix
                ],
                b"A%42"
            ),
            b".ab"
        );
    }

    #[test]
    fn parse_values() {
        assert_eq!(
            parse("xor", Some("\"0d0a\"")).unwrap(),
            Transform::Xor(vec![0x0d, 0x0a])
        );
        assert_eq!(
            parse("xor", Some("ff")).unwrap(),
            Transform::Xor(vec![0xff])
        );
        assert!(parse("xor", Some("\"0d0\"")).is_err());
        assert!(parse("xor", Some("\"zz\"")).is_err());
        assert!(parse("xor", None).is_err());
        assert!(parse("xor", Some(&"aa".repeat(256))).is_err());
        assert!(parse("to_lowercase", Some("x")).is_err());
        assert_eq!(parse("dotprefix", None).unwrap(), Transform::DotPrefix);
    }

    #[test]
    fn in_rules() {
        check(r#"@1; to_lowercase; content:"abc";"#, b"xABCx", true);
        check(
            r#"@1; to_uppercase; content:"ABC"; startswith;"#,
            b"abc",
            true,
        );
        check(
            r#"@1; dotprefix; content:".example.com"; endswith;"#,
            b"www.example.com",
            true,
        );
        check(
            r#"@1; dotprefix; content:".example.com"; endswith;"#,
            b"wwwexample.com",
            false,
        );
        check(r#"@1; strip_whitespace; content:"abc";"#, b"a b\tc", true);
        check(
            r#"@1; compress_whitespace; content:"a b";"#,
            b"a    b",
            true,
        );
        check(
            r#"@1; url_decode; content:"/etc/passwd";"#,
            b"/etc%2Fpasswd",
            true,
        );
        check(r#"@1; xor:"01"; content:"abc";"#, b"`cb", true);
        check(
            r#"@1; to_md5; content:"|90 01 50 98 3c d2 4f b0 d6 96 3f 7d 28 e1 7f 72|"; bsize:16;"#,
            b"abc",
            true,
        );
        check(r#"@1; to_lowercase; pcre:"/^get$/";"#, b"GET", true);
    }

    #[test]
    fn incompatible_contents() {
        err(r#"@1; to_uppercase; content:"abc";"#, "lowercase letters");
        err(r#"@1; strip_whitespace; content:"a b";"#, "whitespace");
        err(
            r#"@1; compress_whitespace; content:"a  b";"#,
            "consecutive whitespace",
        );
        err(r#"to_md5;"#, "directly follow a sticky buffer");
        err(
            r#"@1; content:"a"; to_md5;"#,
            "directly follow a sticky buffer",
        );
    }
}
