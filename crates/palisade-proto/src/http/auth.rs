//! `Authorization` / `Proxy-Authorization` credentials (RFC 7617 Basic,
//! RFC 7616/2617 Digest) and `WWW-Authenticate` challenges.
//!
//! What is decoded here is a secret: it is kept in the transaction only so
//! that [`crate::parser::AppTx::credential`] can hand it to the credential
//! detectors, and the EVE log only says that a password was sent.

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;

/// Parameters of a Digest credential read from a header (owned, the
/// transaction keeps them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DigestAuth {
    /// `username`.
    pub username: Vec<u8>,
    /// `realm`.
    pub realm: Vec<u8>,
    /// `nonce`.
    pub nonce: Vec<u8>,
    /// `uri`.
    pub uri: Vec<u8>,
    /// `qop`.
    pub qop: Vec<u8>,
    /// `nc`.
    pub nc: Vec<u8>,
    /// `cnonce`.
    pub cnonce: Vec<u8>,
    /// `algorithm`.
    pub algorithm: Vec<u8>,
    /// `response` (the hash a password guess is tested against).
    pub response: Vec<u8>,
}

/// A parsed `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// `Basic base64(user:pass)`; `password` is None when the decoded
    /// value has no colon, `user` holds the whole value then.
    Basic {
        /// User name.
        user: Vec<u8>,
        /// Password.
        password: Option<Vec<u8>>,
    },
    /// `Basic` with a value that is not base64.
    BasicInvalid,
    /// `Digest k=v, ...`.
    Digest(DigestAuth),
    /// `Bearer token` (nothing to test a password against).
    Bearer,
    /// Any other scheme (lowercased), e.g. `ntlm`, `negotiate`.
    Other(Vec<u8>),
}

impl Auth {
    /// The scheme as logged (lowercase).
    pub fn scheme(&self) -> &[u8] {
        match self {
            Auth::Basic { .. } | Auth::BasicInvalid => b"basic",
            Auth::Digest(_) => b"digest",
            Auth::Bearer => b"bearer",
            Auth::Other(s) => s,
        }
    }
}

/// Base64 as browsers and devices send it: padding optional, trailing
/// bits ignored.
const B64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Longest scheme name kept for [`Auth::Other`].
const MAX_SCHEME: usize = 32;
/// Parameters read from one Digest header or challenge.
const MAX_PARAMS: usize = 32;

fn split_scheme(v: &[u8]) -> (&[u8], &[u8]) {
    let v = crate::util::trim(v);
    let end = v
        .iter()
        .position(|&b| b == b' ' || b == b'\t')
        .unwrap_or(v.len());
    let (scheme, rest) = v.split_at(end);
    (scheme, crate::util::trim(rest))
}

/// Parses an `Authorization` (or `Proxy-Authorization`) value.
pub fn parse_authorization(v: &[u8]) -> Auth {
    let (scheme, rest) = split_scheme(v);
    if scheme.eq_ignore_ascii_case(b"basic") {
        let token = rest
            .split(|&b| b == b' ' || b == b'\t')
            .next()
            .unwrap_or_default();
        let Ok(plain) = B64.decode(token) else {
            return Auth::BasicInvalid;
        };
        return match plain.iter().position(|&b| b == b':') {
            Some(c) => {
                let (u, p) = plain.split_at(c);
                Auth::Basic {
                    user: u.to_vec(),
                    password: Some(p.get(1..).unwrap_or_default().to_vec()),
                }
            }
            None => Auth::Basic {
                user: plain,
                password: None,
            },
        };
    }
    if scheme.eq_ignore_ascii_case(b"digest") {
        let mut d = DigestAuth::default();
        for (k, val) in params(rest) {
            let slot = match k.to_ascii_lowercase().as_slice() {
                b"username" => &mut d.username,
                b"realm" => &mut d.realm,
                b"nonce" => &mut d.nonce,
                b"uri" => &mut d.uri,
                b"qop" => &mut d.qop,
                b"nc" => &mut d.nc,
                b"cnonce" => &mut d.cnonce,
                b"algorithm" => &mut d.algorithm,
                b"response" => &mut d.response,
                _ => continue,
            };
            *slot = val;
        }
        return Auth::Digest(d);
    }
    if scheme.eq_ignore_ascii_case(b"bearer") {
        return Auth::Bearer;
    }
    let mut s = scheme.to_ascii_lowercase();
    s.truncate(MAX_SCHEME);
    Auth::Other(s)
}

/// A `WWW-Authenticate` / `Proxy-Authenticate` challenge: the scheme
/// (lowercased) and realm of the first challenge.
pub fn parse_challenge(v: &[u8]) -> (Vec<u8>, Option<Vec<u8>>) {
    let (scheme, rest) = split_scheme(v);
    let mut s = scheme.to_ascii_lowercase();
    s.truncate(MAX_SCHEME);
    let realm = params(rest)
        .find(|(k, _)| k.eq_ignore_ascii_case(b"realm"))
        .map(|(_, v)| v);
    (s, realm)
}

/// `k=v` / `k="quoted \" value"` pairs separated by commas, at most
/// [`MAX_PARAMS`]; values unescaped.
fn params(mut s: &[u8]) -> impl Iterator<Item = (&[u8], Vec<u8>)> {
    let mut n = 0;
    std::iter::from_fn(move || {
        loop {
            if n >= MAX_PARAMS {
                return None;
            }
            n += 1;
            s = skip(s, |b| b == b',' || b.is_ascii_whitespace());
            if s.is_empty() {
                return None;
            }
            let kend = s
                .iter()
                .position(|&b| b == b'=' || b == b',' || b.is_ascii_whitespace())
                .unwrap_or(s.len());
            let (key, rest) = s.split_at(kend);
            let rest = skip(rest, |b| b == b' ' || b == b'\t');
            let Some(rest) = rest.strip_prefix(b"=") else {
                // A bare token (e.g. the next scheme): skip it.
                s = rest;
                continue;
            };
            let rest = skip(rest, |b| b == b' ' || b == b'\t');
            let (value, after) = if let Some(q) = rest.strip_prefix(b"\"") {
                quoted(q)
            } else {
                let end = rest.iter().position(|&b| b == b',').unwrap_or(rest.len());
                let (v, a) = rest.split_at(end);
                (crate::util::trim(v).to_vec(), a)
            };
            s = after;
            return Some((key, value));
        }
    })
}

fn skip(s: &[u8], f: impl Fn(u8) -> bool) -> &[u8] {
    let n = s.iter().take_while(|&&b| f(b)).count();
    s.get(n..).unwrap_or_default()
}

/// A quoted string's content (after the opening quote) and what follows
/// its closing quote (the rest of the input when unterminated).
fn quoted(s: &[u8]) -> (Vec<u8>, &[u8]) {
    let mut out = Vec::new();
    let mut it = s.iter().enumerate();
    while let Some((i, &b)) = it.next() {
        match b {
            b'"' => return (out, s.get(i + 1..).unwrap_or_default()),
            b'\\' => {
                if let Some((_, &e)) = it.next() {
                    out.push(e);
                }
            }
            _ => out.push(b),
        }
    }
    (out, &s[s.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic() {
        // RFC 2617 §2's example.
        assert_eq!(
            parse_authorization(b"Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="),
            Auth::Basic {
                user: b"Aladdin".to_vec(),
                password: Some(b"open sesame".to_vec())
            }
        );
        assert_eq!(
            parse_authorization(b"basic YWRtaW46"),
            Auth::Basic {
                user: b"admin".to_vec(),
                password: Some(Vec::new())
            }
        );
        assert_eq!(
            parse_authorization(b"Basic YWRtaW4"),
            Auth::Basic {
                user: b"admin".to_vec(),
                password: None
            }
        );
        assert_eq!(parse_authorization(b"Basic !!!"), Auth::BasicInvalid);
        assert_eq!(parse_authorization(b"Bearer abc"), Auth::Bearer);
        assert_eq!(
            parse_authorization(b"NTLM TlRMTVNTUAAB"),
            Auth::Other(b"ntlm".to_vec())
        );
    }

    #[test]
    fn digest_and_challenge() {
        let Auth::Digest(d) = parse_authorization(
            br#"Digest username="Mu\"fasa", realm="r", nonce="n", uri="/", qop=auth, nc=00000001, cnonce="c", response="abc", opaque="o""#,
        ) else {
            panic!("not digest")
        };
        assert_eq!(d.username, b"Mu\"fasa");
        assert_eq!(d.qop, b"auth");
        assert_eq!(d.nc, b"00000001");
        assert_eq!(d.response, b"abc");
        assert_eq!(d.algorithm, b"");
        assert_eq!(
            parse_challenge(br#"Digest realm="testrealm@host.com", qop="auth,auth-int""#),
            (b"digest".to_vec(), Some(b"testrealm@host.com".to_vec()))
        );
        assert_eq!(
            parse_challenge(br#"Basic realm="WebUI""#),
            (b"basic".to_vec(), Some(b"WebUI".to_vec()))
        );
        assert_eq!(parse_challenge(b"Negotiate"), (b"negotiate".to_vec(), None));
        // Unterminated quote and endless params stay bounded.
        let Auth::Digest(d) = parse_authorization(br#"Digest username="abc"#) else {
            panic!()
        };
        assert_eq!(d.username, b"abc");
        let many = "a=1,".repeat(10_000);
        assert!(matches!(
            parse_authorization(format!("Digest {many}").as_bytes()),
            Auth::Digest(_)
        ));
    }
}
