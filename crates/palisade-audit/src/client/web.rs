//! HTTP and RTSP logins: one request shape, two protocols. A probe without
//! credentials must get 401 with a challenge the audit speaks (Basic, or
//! Digest MD5 / MD5-sess); each attempt then sends the request with
//! `Authorization` (Digest first fetches a fresh nonce). 2xx and 3xx after
//! authentication are a login, 401 and 403 a refusal, 429 and 503 a rate
//! limit (lockout sign).

use super::httpauth::{authorization, best, Challenge};
use super::{connect, recv, send, ClientConfig};
use crate::Outcome;
use std::net::SocketAddr;

/// Which protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// HTTP/1.1 GET
    Http,
    /// RTSP/1.0 DESCRIBE
    Rtsp,
}

/// A response head.
#[derive(Debug, PartialEq, Eq)]
pub struct Head {
    /// Status code.
    pub status: u16,
    /// `WWW-Authenticate` values.
    pub challenges: Vec<String>,
}

/// Parses a response head once `buf` holds one (up to the blank line).
pub fn parse_head(buf: &[u8]) -> Option<Head> {
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
    let text = String::from_utf8_lossy(buf.get(..end)?);
    let mut lines = text.split("\r\n");
    let status_line = lines.next()?;
    let mut parts = status_line.split_whitespace();
    let proto = parts.next()?;
    if !proto.starts_with("HTTP/") && !proto.starts_with("RTSP/") {
        return None;
    }
    let status: u16 = parts.next()?.parse().ok()?;
    let challenges = lines
        .filter_map(|l| l.split_once(':'))
        .filter(|(k, _)| k.trim().eq_ignore_ascii_case("www-authenticate"))
        .map(|(_, v)| v.trim().to_string())
        .take(8)
        .collect();
    Some(Head { status, challenges })
}

fn target(kind: Kind, addr: SocketAddr, cfg: &ClientConfig) -> (String, String) {
    let host = match addr {
        SocketAddr::V4(a) => a.ip().to_string(),
        SocketAddr::V6(a) => format!("[{}]", a.ip()),
    };
    match kind {
        Kind::Http => (host, cfg.http_path.clone()),
        Kind::Rtsp => (
            host.clone(),
            format!("rtsp://{host}:{}{}", addr.port(), cfg.rtsp_path),
        ),
    }
}

/// One request, the response head.
async fn request(
    kind: Kind,
    addr: SocketAddr,
    auth: Option<String>,
    cfg: &ClientConfig,
) -> Result<Head, Outcome> {
    let (host, uri) = target(kind, addr, cfg);
    let auth = auth
        .map(|a| format!("Authorization: {a}\r\n"))
        .unwrap_or_default();
    let req = match kind {
        Kind::Http => format!(
            "GET {uri} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: palisade-audit\r\nAccept: */*\r\n{auth}Connection: close\r\n\r\n"
        ),
        Kind::Rtsp => format!(
            "DESCRIBE {uri} RTSP/1.0\r\nCSeq: 2\r\nUser-Agent: palisade-audit\r\nAccept: application/sdp\r\n{auth}\r\n"
        ),
    };
    let mut s = connect(addr, cfg).await?;
    send(&mut s, req.as_bytes(), cfg).await?;
    let mut buf = Vec::new();
    loop {
        if recv(&mut s, &mut buf, cfg).await? == 0 {
            return parse_head(&buf).ok_or(Outcome::Error(
                "connection closed without a response".into(),
            ));
        }
        if let Some(h) = parse_head(&buf) {
            return Ok(h);
        }
    }
}

fn method_uri(kind: Kind, addr: SocketAddr, cfg: &ClientConfig) -> (&'static str, String) {
    let (_, uri) = target(kind, addr, cfg);
    match kind {
        Kind::Http => ("GET", uri),
        Kind::Rtsp => ("DESCRIBE", uri),
    }
}

/// The challenge an unauthenticated request gets, or why no attempt makes
/// sense.
pub async fn probe(kind: Kind, addr: SocketAddr, cfg: &ClientConfig) -> Result<Challenge, Outcome> {
    let h = request(kind, addr, None, cfg).await?;
    if h.status != 401 {
        return Err(Outcome::NotApplicable(format!(
            "no authentication asked (status {})",
            h.status
        )));
    }
    best(h.challenges.iter().map(String::as_str))
        .ok_or_else(|| Outcome::NotApplicable("no Basic or Digest (MD5) challenge".into()))
}

/// The outcome of an authenticated response's status.
pub fn status_outcome(status: u16) -> Outcome {
    match status {
        200..=399 => Outcome::Accepted,
        401 | 403 => Outcome::Rejected,
        429 | 503 => Outcome::Lockout(format!("status {status}")),
        s => Outcome::Error(format!("status {s}")),
    }
}

/// One login attempt against a server that sent `challenge` to the probe.
pub async fn attempt(
    kind: Kind,
    addr: SocketAddr,
    challenge: &Challenge,
    user: &str,
    pass: &str,
    cfg: &ClientConfig,
) -> Outcome {
    let (method, uri) = method_uri(kind, addr, cfg);
    let fresh;
    let c = match challenge {
        Challenge::Basic => challenge,
        Challenge::Digest(_) => {
            // nonces expire; take the current one
            fresh = match probe(kind, addr, cfg).await {
                Ok(c) => c,
                Err(o) => return o,
            };
            &fresh
        }
    };
    match request(
        kind,
        addr,
        Some(authorization(c, user, pass, method, &uri)),
        cfg,
    )
    .await
    {
        Ok(h) => status_outcome(h.status),
        Err(o) => o,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads() {
        let h = parse_head(
            b"HTTP/1.1 401 Unauthorized\r\nServer: nginx\r\nWWW-Authenticate: Basic realm=\"x\"\r\n\r\nbody",
        )
        .unwrap();
        assert_eq!(h.status, 401);
        assert_eq!(h.challenges, vec!["Basic realm=\"x\"".to_string()]);
        let r = parse_head(b"RTSP/1.0 401 Unauthorized\r\nCSeq: 2\r\nWWW-Authenticate: Digest realm=\"cam\", nonce=\"abc\"\r\n\r\n").unwrap();
        assert_eq!(r.status, 401);
        assert!(parse_head(b"HTTP/1.1 200 OK\r\n").is_none());
        assert!(parse_head(b"SSH-2.0-x\r\n\r\n").is_none());
        assert_eq!(status_outcome(200), Outcome::Accepted);
        assert_eq!(status_outcome(302), Outcome::Accepted);
        assert_eq!(status_outcome(401), Outcome::Rejected);
        assert!(matches!(status_outcome(429), Outcome::Lockout(_)));
    }
}
