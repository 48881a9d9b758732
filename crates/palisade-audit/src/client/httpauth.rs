//! HTTP authentication schemes, shared by HTTP and RTSP: parsing
//! `WWW-Authenticate` challenges, and the `Authorization` value for Basic
//! (RFC 7617) and Digest (RFC 7616: MD5 and MD5-sess, qop `auth` or the
//! RFC 2069 form without qop).

use base64::Engine as _;
use md5::{Digest as _, Md5};

/// A challenge the server sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Challenge {
    /// `Basic realm=...`
    Basic,
    /// `Digest ...`
    Digest(DigestChallenge),
}

/// The parameters of a Digest challenge.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DigestChallenge {
    /// realm
    pub realm: String,
    /// nonce
    pub nonce: String,
    /// opaque, echoed back
    pub opaque: Option<String>,
    /// algorithm (`MD5` when absent)
    pub algorithm: String,
    /// qop options offered (`auth`, `auth-int`)
    pub qop: Vec<String>,
}

/// Splits `k=v, k="v, w"` parameters (at most 32; peer data, so no
/// indexing: every byte is read with `get`).
fn params(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let at = |i: usize| b.get(i).copied();
    let mut i = 0;
    while i < b.len() && out.len() < 32 {
        while matches!(at(i), Some(c) if c == b',' || c.is_ascii_whitespace()) {
            i += 1;
        }
        let ks = i;
        while matches!(at(i), Some(c) if c != b'=' && c != b',') {
            i += 1;
        }
        let key = s.get(ks..i).unwrap_or("").trim().to_ascii_lowercase();
        if at(i) != Some(b'=') {
            continue;
        }
        i += 1;
        let mut val = Vec::new();
        if at(i) == Some(b'"') {
            i += 1;
            while let Some(c) = at(i) {
                if c == b'"' {
                    break;
                }
                if c == b'\\' {
                    i += 1;
                    match at(i) {
                        Some(e) => val.push(e),
                        None => break,
                    }
                } else {
                    val.push(c);
                }
                i += 1;
            }
            i += 1;
        } else {
            while let Some(c) = at(i) {
                if c == b',' {
                    break;
                }
                val.push(c);
                i += 1;
            }
        }
        let val = String::from_utf8_lossy(&val).trim().to_string();
        if !key.is_empty() {
            out.push((key, val));
        }
    }
    out
}

/// One `WWW-Authenticate` header value; None for schemes the audit does
/// not speak (Bearer, NTLM, ...) or Digest algorithms it cannot compute.
pub fn parse_challenge(value: &str) -> Option<Challenge> {
    let v = value.trim();
    let (scheme, rest) = v.split_once(' ').unwrap_or((v, ""));
    if scheme.eq_ignore_ascii_case("basic") {
        return Some(Challenge::Basic);
    }
    if !scheme.eq_ignore_ascii_case("digest") {
        return None;
    }
    let mut d = DigestChallenge {
        algorithm: "MD5".into(),
        ..Default::default()
    };
    for (k, val) in params(rest) {
        match k.as_str() {
            "realm" => d.realm = val,
            "nonce" => d.nonce = val,
            "opaque" => d.opaque = Some(val),
            "algorithm" => d.algorithm = val,
            "qop" => {
                d.qop = val
                    .split(',')
                    .map(|q| q.trim().to_ascii_lowercase())
                    .collect()
            }
            _ => {}
        }
    }
    let algo_ok =
        d.algorithm.eq_ignore_ascii_case("MD5") || d.algorithm.eq_ignore_ascii_case("MD5-sess");
    let qop_ok = d.qop.is_empty() || d.qop.iter().any(|q| q == "auth");
    (algo_ok && qop_ok && !d.nonce.is_empty()).then_some(Challenge::Digest(d))
}

/// The best challenge among several headers: Digest before Basic (a
/// server offering both takes either; Digest keeps the password off the
/// wire).
pub fn best<'a>(values: impl IntoIterator<Item = &'a str>) -> Option<Challenge> {
    let mut found: Option<Challenge> = None;
    for v in values {
        match parse_challenge(v) {
            Some(c @ Challenge::Digest(_)) => return Some(c),
            Some(c) => found = found.or(Some(c)),
            None => {}
        }
    }
    found
}

fn md5_hex(parts: &[&str]) -> String {
    let mut h = Md5::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            h.update(b":");
        }
        h.update(p.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The Digest `response` value (RFC 7616 §3.4.1).
#[allow(clippy::too_many_arguments)]
pub fn digest_response(
    d: &DigestChallenge,
    user: &str,
    pass: &str,
    method: &str,
    uri: &str,
    nc: &str,
    cnonce: &str,
) -> String {
    let mut ha1 = md5_hex(&[user, &d.realm, pass]);
    if d.algorithm.eq_ignore_ascii_case("MD5-sess") {
        ha1 = md5_hex(&[&ha1, &d.nonce, cnonce]);
    }
    let ha2 = md5_hex(&[method, uri]);
    if d.qop.iter().any(|q| q == "auth") {
        md5_hex(&[&ha1, &d.nonce, nc, cnonce, "auth", &ha2])
    } else {
        md5_hex(&[&ha1, &d.nonce, &ha2])
    }
}

/// The `Authorization` header value for a challenge.
pub fn authorization(c: &Challenge, user: &str, pass: &str, method: &str, uri: &str) -> String {
    match c {
        Challenge::Basic => format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
        ),
        Challenge::Digest(d) => {
            let cnonce = format!("{:016x}", rand::random::<u64>());
            let nc = "00000001";
            let resp = digest_response(d, user, pass, method, uri, nc, &cnonce);
            let q = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
            let mut h = format!(
                "Digest username=\"{}\", realm=\"{}\", nonce=\"{}\", uri=\"{}\", algorithm={}, response=\"{}\"",
                q(user),
                q(&d.realm),
                q(&d.nonce),
                q(uri),
                d.algorithm,
                resp
            );
            if d.qop.iter().any(|x| x == "auth") {
                h.push_str(&format!(", qop=auth, nc={nc}, cnonce=\"{cnonce}\""));
            }
            if let Some(o) = &d.opaque {
                h.push_str(&format!(", opaque=\"{}\"", q(o)));
            }
            h
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7616 §3.9.1: the MD5 example.
    #[test]
    fn rfc7616_md5_example() {
        let c = parse_challenge(
            "Digest realm=\"http-auth@example.org\", qop=\"auth, auth-int\", algorithm=MD5, \
             nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", \
             opaque=\"FQhe/qaQ625hqhyEZ9fyO7b76bP5XKd9aKoEF0vMNBfAz8crnqvFn3WXVfpyYf5O\"",
        )
        .unwrap();
        let Challenge::Digest(d) = c else {
            panic!("not digest")
        };
        assert_eq!(d.realm, "http-auth@example.org");
        assert_eq!(d.qop, vec!["auth", "auth-int"]);
        let r = digest_response(
            &d,
            "Mufasa",
            "Circle of Life",
            "GET",
            "/dir/index.html",
            "00000001",
            "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
        );
        assert_eq!(r, "8ca523f5e9506fed4657c9700eebdbec");
        let h = authorization(
            &Challenge::Digest(d),
            "Mufasa",
            "Circle of Life",
            "GET",
            "/x",
        );
        assert!(h.starts_with("Digest username=\"Mufasa\""), "{h}");
        assert!(h.contains("qop=auth, nc=00000001"), "{h}");
        assert!(h.contains("opaque=\"FQhe"), "{h}");
    }

    /// RFC 2617 §3.5 (no qop... its example uses qop=auth): MD5.
    #[test]
    fn rfc2617_example_and_sess() {
        let d = DigestChallenge {
            realm: "testrealm@host.com".into(),
            nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093".into(),
            opaque: None,
            algorithm: "MD5".into(),
            qop: vec!["auth".into()],
        };
        let r = digest_response(
            &d,
            "Mufasa",
            "Circle Of Life",
            "GET",
            "/dir/index.html",
            "00000001",
            "0a4f113b",
        );
        assert_eq!(r, "6629fae49393a05397450978507c4ef1");
        // MD5-sess differs (HA1 folds in nonce and cnonce)
        let s = DigestChallenge {
            algorithm: "MD5-sess".into(),
            ..d.clone()
        };
        assert_ne!(
            digest_response(
                &s,
                "Mufasa",
                "Circle Of Life",
                "GET",
                "/dir/index.html",
                "00000001",
                "0a4f113b"
            ),
            r
        );
        // RFC 2069 form without qop
        let n = DigestChallenge { qop: vec![], ..d };
        assert_eq!(n.qop.len(), 0);
        assert_eq!(digest_response(&n, "a", "b", "GET", "/", "", "").len(), 32);
    }

    #[test]
    fn challenges() {
        assert_eq!(
            parse_challenge("Basic realm=\"Restricted\""),
            Some(Challenge::Basic)
        );
        assert_eq!(parse_challenge("Bearer realm=\"x\""), None);
        assert_eq!(
            parse_challenge("Digest realm=\"x\", nonce=\"n\", algorithm=SHA-512-256"),
            None
        );
        assert_eq!(
            parse_challenge("Digest realm=\"x\", nonce=\"n\", qop=\"auth-int\""),
            None
        );
        let b = best(["Basic realm=\"a\"", "Digest realm=\"b\", nonce=\"n\""]);
        assert!(matches!(b, Some(Challenge::Digest(_))));
        assert_eq!(
            authorization(&Challenge::Basic, "admin", "admin", "GET", "/"),
            "Basic YWRtaW46YWRtaW4="
        );
        // quoted commas and escapes; garbage never panics
        let Some(Challenge::Digest(d)) =
            parse_challenge("Digest realm=\"a, \\\"b\\\"\", nonce=xyz , opaque=\"o\"")
        else {
            panic!("digest expected")
        };
        assert_eq!((d.realm.as_str(), d.nonce.as_str()), ("a, \"b\"", "xyz"));
        assert_eq!(d.opaque.as_deref(), Some("o"));
        let _ = parse_challenge("Digest \"=,=\"\\");
        let _ = parse_challenge("Digest realm=\"unterminated");
        let _ = parse_challenge("Digest realm=\"x\\");
        let _ = parse_challenge("Digest ,,,=,=\u{e9}=\"\u{e9}");
    }
}
