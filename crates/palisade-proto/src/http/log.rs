//! The EVE `http` object: Suricata's fields (output-json-http.c, basic
//! and extended), then palisade's `http_auth` and `www_authenticate`.
//! Secrets never appear: Authorization values are cut to their scheme in
//! the header arrays, a password in the URL is masked, and `http_auth`
//! says only that (and how long) a password was sent.

use super::transaction::{HttpTx, Message};
use super::uri::redact_password;
use crate::auth::Auth;
use crate::util::text;
use serde_json::{json, Map, Value};
use std::sync::atomic::Ordering;

/// Header values longer than this are cut in the header arrays (as
/// Suricata's `MAX_SIZE_HEADER_VALUE`).
const MAX_LOGGED_VALUE: usize = 2048;
/// Header names likewise (`MAX_SIZE_HEADER_NAME`).
const MAX_LOGGED_NAME: usize = 256;

#[cfg(test)]
thread_local! {
    /// Per-thread override of [`super::LOG_HEADERS`] so that tests of the
    /// header arrays do not change the records of tests running beside.
    static HEADERS_OVERRIDE: std::cell::Cell<Option<bool>> = const { std::cell::Cell::new(None) };
}

/// Clears the override when dropped.
#[cfg(test)]
pub(super) struct HeadersOverride;

#[cfg(test)]
impl Drop for HeadersOverride {
    fn drop(&mut self) {
        HEADERS_OVERRIDE.with(|c| c.set(None));
    }
}

/// Logs header arrays (or not) on this thread until the guard drops.
#[cfg(test)]
pub(super) fn test_headers(on: bool) -> HeadersOverride {
    HEADERS_OVERRIDE.with(|c| c.set(Some(on)));
    HeadersOverride
}

fn log_headers() -> bool {
    #[cfg(test)]
    if let Some(on) = HEADERS_OVERRIDE.with(std::cell::Cell::get) {
        return on;
    }
    super::LOG_HEADERS.load(Ordering::Relaxed)
}

fn set(out: &mut Map<String, Value>, k: &str, v: &[u8]) {
    out.insert(k.into(), Value::String(text(v)));
}

/// Fills the `http` object of `tx`.
pub fn eve(tx: &HttpTx, out: &mut Map<String, Value>) {
    let req = tx.request.as_ref();
    let resp = tx.response.as_ref();
    if let Some(r) = req {
        if let Some(h) = &r.host {
            set(out, "hostname", h);
        }
        if let Some(p) = r.port {
            out.insert("http_port".into(), p.into());
        }
        let url = redact_password(&r.uri_raw);
        set(out, "url", url.as_deref().unwrap_or(&r.uri_raw));
        if let Some(v) = r.header(b"user-agent") {
            set(out, "http_user_agent", v);
        }
        if let Some(v) = r.header(b"x-forwarded-for") {
            set(out, "xff", v);
        }
    }
    if let Some(r) = resp {
        if let Some(v) = r.header(b"content-type") {
            let end = v.iter().position(|&b| b == b';').unwrap_or(v.len());
            set(out, "http_content_type", v.get(..end).unwrap_or(v));
        }
        if let Some(v) = r.header(b"content-range") {
            let mut cr = Map::new();
            set(&mut cr, "raw", v);
            if let Some((s, e, z)) = super::parser::content_range(v) {
                for (k, n) in [("start", s), ("end", e), ("size", z)] {
                    if let Some(n) = n {
                        cr.insert(k.into(), n.into());
                    }
                }
            }
            out.insert("content_range".into(), Value::Object(cr));
        }
    }
    if let Some(r) = req {
        if let Some(v) = r.header(b"referer") {
            set(out, "http_refer", v);
        }
        set(out, "http_method", &r.method);
        if !r.protocol.is_empty() {
            set(out, "protocol", &r.protocol);
        }
    }
    if let Some(r) = resp {
        match r.status {
            Some(s) => {
                out.insert("status".into(), s.into());
            }
            None => set(out, "status_string", &r.code),
        }
        if let Some(v) = r.header(b"location") {
            set(out, "redirect", v);
        }
    }
    let length = resp.and_then(|r| r.body.as_ref()).map_or(0, |b| b.len);
    out.insert("length".into(), length.into());
    if log_headers() {
        for (key, m) in [("request_headers", req), ("response_headers", resp)] {
            if let Some(a) = m.map(header_array).filter(|a| !a.is_empty()) {
                out.insert(key.into(), Value::Array(a));
            }
        }
    }
    if let Some((auth, proxy)) = req.and_then(|r| r.auth.as_ref()) {
        out.insert("http_auth".into(), auth_json(auth, *proxy));
    }
    if let Some((scheme, realm)) = resp.and_then(|r| r.challenge.as_ref()) {
        let mut c = Map::new();
        set(&mut c, "scheme", scheme);
        if let Some(r) = realm {
            set(&mut c, "realm", r);
        }
        out.insert("www_authenticate".into(), Value::Object(c));
    }
}

fn header_array(m: &Message) -> Vec<Value> {
    m.headers
        .iter()
        .map(|h| {
            let name = h.name.get(..MAX_LOGGED_NAME).unwrap_or(&h.name);
            let secret = h.name.eq_ignore_ascii_case(b"authorization")
                || h.name.eq_ignore_ascii_case(b"proxy-authorization");
            let value = if secret {
                // Scheme only: the rest is a credential.
                let scheme = h
                    .value
                    .split(|&b| b == b' ' || b == b'\t')
                    .next()
                    .unwrap_or_default();
                let mut v = scheme.to_vec();
                v.extend_from_slice(b" [redacted]");
                v
            } else {
                h.value.get(..MAX_LOGGED_VALUE).unwrap_or(&h.value).to_vec()
            };
            json!({"name": text(name), "value": text(&value)})
        })
        .collect()
}

fn auth_json(auth: &Auth, proxy: bool) -> Value {
    let mut a = Map::new();
    set(&mut a, "scheme", auth.scheme());
    if proxy {
        a.insert("proxy".into(), true.into());
    }
    match auth {
        Auth::Basic { user, password } => {
            set(&mut a, "username", user);
            a.insert("password_present".into(), password.is_some().into());
            if let Some(p) = password {
                a.insert("password_length".into(), p.len().into());
            }
        }
        Auth::BasicInvalid => {
            a.insert("invalid".into(), true.into());
        }
        Auth::Digest(d) => {
            set(&mut a, "username", &d.username);
            for (k, v) in [
                ("realm", &d.realm),
                ("uri", &d.uri),
                ("algorithm", &d.algorithm),
                ("qop", &d.qop),
            ] {
                if !v.is_empty() {
                    set(&mut a, k, v);
                }
            }
            a.insert("response_present".into(), (!d.response.is_empty()).into());
        }
        Auth::Bearer | Auth::Other(_) => {}
    }
    Value::Object(a)
}
