//! HTTP authentication as HTTP and RTSP both send it (RTSP, RFC 2326
//! §D.2, reuses HTTP's): `Authorization` / `Proxy-Authorization`
//! credentials (RFC 7617 Basic, RFC 7616/2617 Digest) and
//! `WWW-Authenticate` / `Proxy-Authenticate` challenges (RFC 7235).
//!
//! Parsing borrows from the header value ([`split_scheme`], [`params`],
//! [`digest`], [`challenge`]: values as sent, quoted strings without
//! their quotes but with their backslash escapes); what a transaction
//! keeps is an owned, unescaped copy ([`DigestAuth`], [`unescape`],
//! [`Auth`]), from which [`DigestAuth::params`] lends the credential
//! detectors their [`DigestParams`].
//!
//! What is decoded here is a secret: it is kept in the transaction only so
//! that [`crate::parser::AppTx::credential`] can hand it to the credential
//! detectors, and the EVE logs only say that a password was sent.

use crate::parser::DigestParams;
use crate::util::trim;
use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;

/// Longest scheme name kept for [`Auth::Other`] and [`parse_challenge`].
const MAX_SCHEME: usize = 32;
/// Parameters read from one Digest header or challenge.
const MAX_PARAMS: usize = 32;

/// Digest parameters of an Authorization value (borrowed, as sent: see
/// [`digest`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DigestView<'a> {
    /// `username`.
    pub username: &'a [u8],
    /// `realm`.
    pub realm: &'a [u8],
    /// `nonce`.
    pub nonce: &'a [u8],
    /// `uri`.
    pub uri: &'a [u8],
    /// `qop`.
    pub qop: &'a [u8],
    /// `nc`.
    pub nc: &'a [u8],
    /// `cnonce`.
    pub cnonce: &'a [u8],
    /// `algorithm`.
    pub algorithm: &'a [u8],
    /// `response`.
    pub response: &'a [u8],
}

/// Parameters of a Digest credential read from a header (owned and
/// unescaped: the transaction keeps them).
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

impl From<DigestView<'_>> for DigestAuth {
    /// Copies the values, with their quoted-string escapes undone.
    fn from(d: DigestView<'_>) -> DigestAuth {
        DigestAuth {
            username: unescape(d.username),
            realm: unescape(d.realm),
            nonce: unescape(d.nonce),
            uri: unescape(d.uri),
            qop: unescape(d.qop),
            nc: unescape(d.nc),
            cnonce: unescape(d.cnonce),
            algorithm: unescape(d.algorithm),
            response: unescape(d.response),
        }
    }
}

impl DigestAuth {
    /// Cuts every value to `max` bytes (a protocol that bounds what each
    /// transaction keeps per value).
    pub fn truncate(&mut self, max: usize) {
        for v in [
            &mut self.username,
            &mut self.realm,
            &mut self.nonce,
            &mut self.uri,
            &mut self.qop,
            &mut self.nc,
            &mut self.cnonce,
            &mut self.algorithm,
            &mut self.response,
        ] {
            v.truncate(max);
        }
    }

    /// What the credential detectors need to test a password guess, with
    /// the request's `method` (the response hash covers it).
    pub fn params<'a>(&'a self, method: &'a [u8]) -> DigestParams<'a> {
        DigestParams {
            method,
            realm: &self.realm,
            nonce: &self.nonce,
            uri: &self.uri,
            qop: &self.qop,
            nc: &self.nc,
            cnonce: &self.cnonce,
            algorithm: &self.algorithm,
            response: &self.response,
        }
    }
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

/// The scheme of an Authorization / WWW-Authenticate value and the rest
/// (trimmed), split at the first space or tab.
pub fn split_scheme(v: &[u8]) -> (&[u8], &[u8]) {
    let v = trim(v);
    let end = v
        .iter()
        .position(|&b| b == b' ' || b == b'\t')
        .unwrap_or(v.len());
    let (scheme, rest) = v.split_at(end);
    (scheme, trim(rest))
}

/// A Basic credential (the part after the scheme): the user name and,
/// when the decoded value has a colon, the password; None when it is not
/// base64.
pub fn basic(token: &[u8]) -> Option<(Vec<u8>, Option<Vec<u8>>)> {
    let token = trim(token)
        .split(|&b| b == b' ' || b == b'\t')
        .next()
        .unwrap_or_default();
    let plain = B64.decode(token).ok()?;
    Some(match plain.iter().position(|&b| b == b':') {
        Some(c) => {
            let (user, password) = plain.split_at(c);
            let password = password.get(1..).unwrap_or_default();
            (user.to_vec(), Some(password.to_vec()))
        }
        None => (plain, None),
    })
}

/// Digest parameters of an Authorization value's parameter part
/// (borrowed, escapes as sent; [`DigestAuth::from`] undoes them).
pub fn digest(params_part: &[u8]) -> DigestView<'_> {
    let mut d = DigestView::default();
    for (k, v) in params(params_part) {
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
        *slot = v;
    }
    d
}

/// The scheme (as sent) and `realm` (borrowed, escapes as sent) of the
/// first challenge of a `WWW-Authenticate` / `Proxy-Authenticate` value.
pub fn challenge(v: &[u8]) -> (&[u8], Option<&[u8]>) {
    let (scheme, rest) = split_scheme(v);
    let realm = params(rest)
        .find(|(k, _)| k.eq_ignore_ascii_case(b"realm"))
        .map(|(_, v)| v);
    (scheme, realm)
}

/// Parses an `Authorization` (or `Proxy-Authorization`) value.
pub fn parse_authorization(v: &[u8]) -> Auth {
    let (scheme, rest) = split_scheme(v);
    if scheme.eq_ignore_ascii_case(b"basic") {
        return match basic(rest) {
            Some((user, password)) => Auth::Basic { user, password },
            None => Auth::BasicInvalid,
        };
    }
    if scheme.eq_ignore_ascii_case(b"digest") {
        return Auth::Digest(digest(rest).into());
    }
    if scheme.eq_ignore_ascii_case(b"bearer") {
        return Auth::Bearer;
    }
    let mut s = scheme.to_ascii_lowercase();
    s.truncate(MAX_SCHEME);
    Auth::Other(s)
}

/// A `WWW-Authenticate` / `Proxy-Authenticate` challenge: the scheme
/// (lowercased) and realm (unescaped) of the first challenge.
pub fn parse_challenge(v: &[u8]) -> (Vec<u8>, Option<Vec<u8>>) {
    let (scheme, realm) = challenge(v);
    let mut s = scheme.to_ascii_lowercase();
    s.truncate(MAX_SCHEME);
    (s, realm.map(unescape))
}

/// `k=v` / `k="quoted \" value"` pairs separated by commas, at most
/// `MAX_PARAMS` (32); quoted values without their quotes, escapes left as
/// sent (see [`unescape`]), the rest of the input when unterminated.
pub fn params(mut s: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
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
                (trim(v), a)
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

/// A quoted string's content (after the opening quote, escapes kept) and
/// what follows its closing quote (nothing when unterminated).
fn quoted(s: &[u8]) -> (&[u8], &[u8]) {
    let mut it = s.iter().enumerate();
    while let Some((i, &b)) = it.next() {
        match b {
            b'"' => {
                let (content, after) = s.split_at(i);
                return (content, after.get(1..).unwrap_or_default());
            }
            b'\\' => {
                it.next();
            }
            _ => {}
        }
    }
    (s, &[])
}

/// A parameter value with its quoted-pair escapes (`\"`, `\\`) undone; a
/// lone backslash at the end is dropped.
pub fn unescape(v: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len());
    let mut it = v.iter();
    while let Some(&b) = it.next() {
        match b {
            b'\\' => out.extend(it.next()),
            _ => out.push(b),
        }
    }
    out
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

    /// The borrowed views RTSP reads its Authorization and
    /// WWW-Authenticate headers with.
    #[test]
    fn borrowed_views() {
        let ps: Vec<(&[u8], &[u8])> =
            params(b"a=\"x, y\" ,b=2,, c = \"q\\\"r\", d=\"open").collect();
        assert_eq!(
            ps,
            vec![
                (&b"a"[..], &b"x, y"[..]),
                (&b"b"[..], &b"2"[..]),
                (&b"c"[..], &b"q\\\"r"[..]),
                (&b"d"[..], &b"open"[..]),
            ]
        );
        let d = digest(b"username=\"u\", qop=auth, nc=00000001, cnonce=\"c\", algorithm=MD5");
        assert_eq!(
            (d.username, d.qop, d.nc, d.cnonce),
            (&b"u"[..], &b"auth"[..], &b"00000001"[..], &b"c"[..])
        );
        assert_eq!(d.algorithm, b"MD5");
        assert_eq!(
            super::basic(b"dXNlcjpwOnc="),
            Some((b"user".to_vec(), Some(b"p:w".to_vec())))
        );
        assert_eq!(super::basic(b"!!!"), None);
        // The views keep escapes as sent; what a transaction keeps has
        // them undone.
        assert_eq!(
            challenge(br#" Digest  realm="a\"b", nonce="n""#),
            (&b"Digest"[..], Some(&br#"a\"b"#[..]))
        );
        assert_eq!(challenge(b"Negotiate"), (&b"Negotiate"[..], None));
        assert_eq!(unescape(br#"a\"b\\c\"#), b"a\"b\\c");
        let d = DigestAuth::from(digest(br#"username="Mu\"fasa", realm=r"#));
        assert_eq!(
            (&d.username[..], &d.realm[..]),
            (&b"Mu\"fasa"[..], &b"r"[..])
        );
        let mut d = d;
        d.truncate(2);
        assert_eq!(d.username, b"Mu");
        let p = d.params(b"DESCRIBE");
        assert_eq!((p.method, p.realm), (&b"DESCRIBE"[..], &b"r"[..]));
    }
}
