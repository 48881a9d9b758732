//! Request targets: splitting an absolute URI, the normalised `http.uri`
//! (see the module docs of `http` for the rules) and host/port parsing.

use memchr::memchr;

/// A request target split into what the buffers need (borrowed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Target<'a> {
    /// Authority of an absolute URI (`user@host:port`), or the whole target
    /// of CONNECT.
    pub authority: Option<&'a [u8]>,
    /// Path, query and fragment (`/a/b?q#f`); the whole target for origin
    /// form, CONNECT, `*` and anything unrecognised.
    pub path_and_query: &'a [u8],
}

/// Splits a target: `scheme://authority/path?query` → authority and
/// `/path?query`; CONNECT's `host:port` → authority only.
pub fn split_target<'a>(uri: &'a [u8], connect: bool) -> Target<'a> {
    if connect {
        return Target {
            authority: Some(uri),
            path_and_query: uri,
        };
    }
    if let Some(after) = strip_scheme(uri) {
        let end = after
            .iter()
            .position(|&b| matches!(b, b'/' | b'?' | b'#'))
            .unwrap_or(after.len());
        let (authority, rest) = after.split_at(end);
        return Target {
            authority: Some(authority),
            path_and_query: rest,
        };
    }
    Target {
        authority: None,
        path_and_query: uri,
    }
}

/// The part after `scheme://` when `uri` starts with a scheme.
fn strip_scheme(uri: &[u8]) -> Option<&[u8]> {
    let colon = uri.iter().position(|&b| b == b':')?;
    let (scheme, rest) = uri.split_at(colon);
    let ok = scheme.first().is_some_and(u8::is_ascii_alphabetic)
        && scheme
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    if !ok {
        return None;
    }
    rest.strip_prefix(b"://")
}

/// The normalised URI of a request target (see the module docs): the path
/// decoded and cleaned, the query and fragment kept raw.
pub fn normalize(target: &Target<'_>) -> Vec<u8> {
    let pq = target.path_and_query;
    if target.authority.is_some() && pq.is_empty() {
        // `http://host` has the root path.
        return b"/".to_vec();
    }
    let split = pq
        .iter()
        .position(|&b| b == b'?' || b == b'#')
        .unwrap_or(pq.len());
    let (path, rest) = pq.split_at(split);
    let decoded = decode_path(path);
    let compressed = compress_slashes(&decoded);
    let mut out = remove_dot_segments(&compressed);
    out.extend_from_slice(rest);
    out
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

/// Percent escapes (`%` + 2 hex digits) and `%u` + 4 hex digits decoded, `\` turned into `/`; invalid escapes kept.
fn decode_path(path: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(path.len());
    let mut i = path;
    while let Some((&b, rest)) = i.split_first() {
        i = rest;
        match b {
            b'\\' => out.push(b'/'),
            b'%' => {
                if let [b'u' | b'U', a, b, c, d, tail @ ..] = rest {
                    if let (Some(a), Some(b), Some(c), Some(d)) =
                        (hex(*a), hex(*b), hex(*c), hex(*d))
                    {
                        let code = u16::from(a) << 12
                            | u16::from(b) << 8
                            | u16::from(c) << 4
                            | u16::from(d);
                        let byte = u8::try_from(code).unwrap_or(b'?');
                        out.push(if byte == b'\\' { b'/' } else { byte });
                        i = tail;
                        continue;
                    }
                }
                if let [h, l, tail @ ..] = rest {
                    if let (Some(h), Some(l)) = (hex(*h), hex(*l)) {
                        let byte = h << 4 | l;
                        out.push(if byte == b'\\' { b'/' } else { byte });
                        i = tail;
                        continue;
                    }
                }
                out.push(b'%');
            }
            _ => out.push(b),
        }
    }
    out
}

fn compress_slashes(p: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(p.len());
    for &b in p {
        if b == b'/' && out.last() == Some(&b'/') {
            continue;
        }
        out.push(b);
    }
    out
}

/// RFC 3986 §5.2.4.
fn remove_dot_segments(input: &[u8]) -> Vec<u8> {
    fn pop_segment(out: &mut Vec<u8>) {
        match out.iter().rposition(|&b| b == b'/') {
            Some(p) => out.truncate(p),
            None => out.clear(),
        }
    }
    let mut out: Vec<u8> = Vec::with_capacity(input.len());
    let mut i: &[u8] = input;
    while !i.is_empty() {
        if let Some(r) = i.strip_prefix(b"../") {
            i = r;
        } else if let Some(r) = i.strip_prefix(b"./") {
            i = r;
        } else if let Some(r) = i.strip_prefix(b"/./") {
            // keep the leading '/' of what follows
            i = i.get(2..).unwrap_or(r);
        } else if i == b"/." {
            i = b"/";
        } else if i.starts_with(b"/../") {
            i = i.get(3..).unwrap_or_default();
            pop_segment(&mut out);
        } else if i == b"/.." {
            i = b"/";
            pop_segment(&mut out);
        } else if i == b"." || i == b".." {
            i = b"";
        } else {
            let skip = usize::from(i.first() == Some(&b'/'));
            let end = i
                .get(skip..)
                .and_then(|r| memchr(b'/', r))
                .map_or(i.len(), |p| p + skip);
            let (seg, rest) = i.split_at(end.min(i.len()));
            out.extend_from_slice(seg);
            i = rest;
        }
    }
    out
}

/// Host and port of an authority or Host value: `user@` dropped, IPv6
/// brackets kept, the port split off. The port is None when absent, and
/// `Some(Err(()))` when present but not a number.
pub fn host_port(authority: &[u8]) -> (&[u8], Option<Result<u16, ()>>) {
    let a = match authority.iter().rposition(|&b| b == b'@') {
        Some(p) => authority.get(p + 1..).unwrap_or_default(),
        None => authority,
    };
    let a = crate::util::trim(a);
    let colon = if a.first() == Some(&b'[') {
        // [v6]:port
        a.iter()
            .position(|&b| b == b']')
            .and_then(|e| (a.get(e + 1) == Some(&b':')).then_some(e + 1))
    } else {
        memchr(b':', a)
    };
    let Some(c) = colon else {
        return (a, None);
    };
    let (host, port) = a.split_at(c);
    let port = port.get(1..).unwrap_or_default();
    if port.is_empty() {
        return (host, None);
    }
    let p = super::parser::content_length(port)
        .and_then(|p| u16::try_from(p).ok())
        .ok_or(());
    (host, Some(p))
}

/// The normalised host name: lowercased, trailing dot removed.
pub fn normalize_host(host: &[u8]) -> Vec<u8> {
    let h = host.strip_suffix(b".").unwrap_or(host);
    h.to_ascii_lowercase()
}

/// The userinfo of an absolute URI with its password replaced, for
/// logging: `http://admin:secret@h/` → `http://admin:***@h/`. None when
/// the URI carries no password.
pub fn redact_password(uri: &[u8]) -> Option<Vec<u8>> {
    let after = strip_scheme(uri)?;
    let prefix_len = uri.len() - after.len();
    let end = after
        .iter()
        .position(|&b| matches!(b, b'/' | b'?' | b'#'))
        .unwrap_or(after.len());
    let authority = after.get(..end)?;
    let at = authority.iter().rposition(|&b| b == b'@')?;
    let userinfo = authority.get(..at)?;
    let colon = memchr(b':', userinfo)?;
    let mut out = Vec::with_capacity(uri.len());
    out.extend_from_slice(uri.get(..prefix_len + colon + 1)?);
    out.extend_from_slice(b"***");
    out.extend_from_slice(uri.get(prefix_len + at..)?);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(u: &[u8]) -> Vec<u8> {
        normalize(&split_target(u, false))
    }

    #[test]
    fn normalisation() {
        assert_eq!(norm(b"/index.html"), b"/index.html");
        assert_eq!(norm(b"/a//b///c"), b"/a/b/c");
        assert_eq!(norm(b"/a/./b/../c"), b"/a/c");
        assert_eq!(norm(b"/../../etc/passwd"), b"/etc/passwd");
        assert_eq!(norm(b"/cgi-bin/%2e%2e/%2e%2e/bin/sh"), b"/bin/sh");
        assert_eq!(norm(b"/a%20b?x=%20&y=../z"), b"/a b?x=%20&y=../z");
        assert_eq!(norm(b"/a\\b\\..\\c"), b"/a/c");
        assert_eq!(norm(b"/a%2fb"), b"/a/b");
        assert_eq!(norm(b"/%u0041%uFF0E%zz%4"), b"/A?%zz%4");
        assert_eq!(norm(b"/x/."), b"/x/");
        assert_eq!(norm(b"/x/.."), b"/");
        assert_eq!(norm(b"*"), b"*");
        assert_eq!(norm(b"http://Example.com:8080/a/../b?q"), b"/b?q");
        assert_eq!(norm(b"http://example.com"), b"/");
        assert_eq!(norm(b""), b"");
        let t = split_target(b"example.com:443", true);
        assert_eq!(t.authority, Some(&b"example.com:443"[..]));
        assert_eq!(normalize(&t), b"example.com:443");
    }

    #[test]
    fn hosts() {
        assert_eq!(
            host_port(b"Example.COM:8080"),
            (&b"Example.COM"[..], Some(Ok(8080)))
        );
        assert_eq!(host_port(b"example.com"), (&b"example.com"[..], None));
        assert_eq!(host_port(b"example.com:"), (&b"example.com"[..], None));
        assert_eq!(host_port(b"h:99999"), (&b"h"[..], Some(Err(()))));
        assert_eq!(host_port(b"[::1]:81"), (&b"[::1]"[..], Some(Ok(81))));
        assert_eq!(host_port(b"[::1]"), (&b"[::1]"[..], None));
        assert_eq!(host_port(b"u:p@h:1"), (&b"h"[..], Some(Ok(1))));
        assert_eq!(normalize_host(b"Example.COM."), b"example.com");
        assert_eq!(
            redact_password(b"http://admin:secret@h/x").unwrap(),
            b"http://admin:***@h/x"
        );
        assert_eq!(redact_password(b"http://admin@h/x"), None);
        assert_eq!(redact_password(b"/a:b@c"), None);
    }
}
