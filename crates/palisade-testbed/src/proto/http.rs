//! Plain-HTTP firmware checks: `GET /firmware/check?model=..&version=..`
//! answered by a JSON document with an exact `Content-Length`; the server
//! closes first (`Connection: close`).

use super::civil;
use crate::tcp::{App, AppCtx, AppStep, Side};
use crate::world::{DevId, SvcId};
use std::io::Write;

/// Appends `s` percent-encoded for a query value (RFC 3986 unreserved kept).
pub(crate) fn url_encode(s: &str, out: &mut Vec<u8>) {
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
}

/// Appends an IMF-fixdate (`Mon, 05 Jan 2026 08:00:00 GMT`).
pub(crate) fn http_date(ns: u64, out: &mut Vec<u8>) {
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let c = civil(ns / 1_000_000_000);
    let _ = write!(
        out,
        "{}, {:02} {} {} {:02}:{:02}:{:02} GMT",
        DAYS[c.weekday as usize],
        c.day,
        MONTHS[c.month as usize - 1],
        c.year,
        c.hour,
        c.min,
        c.sec
    );
}

/// Appends `s` as a JSON string (quotes and backslashes escaped).
fn json_str(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    for &b in s.as_bytes() {
        match b {
            b'"' | b'\\' => {
                out.push(b'\\');
                out.push(b);
            }
            0..=0x1f => {
                let _ = write!(out, "\\u{b:04x}");
            }
            _ => out.push(b),
        }
    }
    out.push(b'"');
}

/// One firmware check.
#[derive(Debug)]
pub(crate) struct FirmwareCheck {
    dev: DevId,
    svc: SvcId,
    step: u8,
}

impl FirmwareCheck {
    pub(crate) fn new(dev: DevId, svc: SvcId) -> Self {
        FirmwareCheck { dev, svc, step: 0 }
    }
}

impl App for FirmwareCheck {
    fn next(&mut self, cx: &mut AppCtx<'_>, buf: &mut Vec<u8>) -> AppStep {
        let d = &cx.world.devices[self.dev as usize];
        let host = cx.world.services[self.svc as usize].name;
        self.step += 1;
        match self.step {
            1 => {
                buf.extend_from_slice(b"GET /firmware/check?model=");
                url_encode(d.product.product, buf);
                buf.extend_from_slice(b"&version=");
                url_encode(d.firmware, buf);
                let _ = write!(
                    buf,
                    " HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {}\r\nAccept: application/json\r\nConnection: close\r\n\r\n",
                    d.product.user_agent
                );
                AppStep::Send {
                    from: Side::Client,
                    delay: cx.rng.range(50_000, 2_000_000),
                }
            }
            2 => {
                let latest = d.product.firmwares[0];
                let update = latest != d.firmware;
                let mut body = Vec::with_capacity(256);
                body.extend_from_slice(b"{\"model\":");
                json_str(d.product.product, &mut body);
                body.extend_from_slice(b",\"current\":");
                json_str(d.firmware, &mut body);
                body.extend_from_slice(b",\"latest\":");
                json_str(latest, &mut body);
                let _ = write!(body, ",\"update_available\":{update}");
                if update {
                    body.extend_from_slice(b",\"url\":\"http://");
                    body.extend_from_slice(host.as_bytes());
                    body.extend_from_slice(b"/firmware/");
                    url_encode(latest, &mut body);
                    let _ = write!(
                        body,
                        ".bin\",\"size\":{},\"sha256\":\"",
                        cx.rng.range(4, 60) << 20
                    );
                    cx.rng.push_hex(&mut body, 64);
                    body.push(b'"');
                }
                body.push(b'}');
                let _ = write!(buf, "HTTP/1.1 200 OK\r\nServer: nginx/1.24.0\r\nDate: ");
                http_date(cx.now, buf);
                let _ = write!(
                    buf,
                    "\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                buf.extend_from_slice(&body);
                AppStep::Send {
                    from: Side::Server,
                    delay: cx.rng.range(1_000_000, 30_000_000),
                }
            }
            _ => AppStep::Close {
                from: Side::Server,
                delay: cx.rng.range(50_000, 1_000_000),
                rst: false,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoders() {
        let mut o = Vec::new();
        url_encode("V5.7.3 build 220112&x/y", &mut o);
        assert_eq!(o, b"V5.7.3%20build%20220112%26x%2Fy");
        let mut d = Vec::new();
        http_date(1_767_600_012_000_000_000, &mut d);
        assert_eq!(d, b"Mon, 05 Jan 2026 08:00:12 GMT");
        let mut j = Vec::new();
        json_str("a\"b\\c\n", &mut j);
        assert_eq!(j, b"\"a\\\"b\\\\c\\u000a\"");
    }
}
