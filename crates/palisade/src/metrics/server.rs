//! The `/metrics` HTTP endpoint: a minimal HTTP/1.1 server on one thread.
//!
//! Written on `std::net` (about a hundred lines) rather than with an HTTP
//! crate: it answers one GET, one connection at a time, and everything a
//! hostile client could use is bounded here in plain sight — the request
//! head (8 KiB), the time a connection may take ([`ServerLimits`]), and
//! the answer (always `Connection: close`). Prometheus scrapes one
//! endpoint every few seconds; one connection at a time is plenty, and a
//! client that holds the connection open without sending is cut off at
//! the deadline, so the next scrape waits at most that long.

use super::Metrics;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Longest request head read (request line and headers).
pub const MAX_REQUEST: usize = 8 * 1024;

/// Longest wait for the client to close after the answer.
const LINGER: Duration = Duration::from_millis(250);

/// Pause after a failed accept (EMFILE and the like), instead of spinning.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);

/// Time limits of one connection.
#[derive(Clone, Copy, Debug)]
pub struct ServerLimits {
    /// The whole request head must arrive within this.
    pub request_deadline: Duration,
    /// Writing the answer may take this long.
    pub write_timeout: Duration,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            request_deadline: Duration::from_secs(5),
            write_timeout: Duration::from_secs(5),
        }
    }
}

/// Why the server did not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The address is not `HOST:PORT`.
    #[error("metrics listen address '{0}': expected IP:PORT (e.g. 127.0.0.1:9477)")]
    Address(String),
    /// Binding failed (address taken, no permission).
    #[error("metrics: cannot listen on {addr}")]
    Bind {
        /// The address.
        addr: String,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The thread did not start.
    #[error("metrics: starting the server thread: {0}")]
    Thread(std::io::Error),
}

/// A running `/metrics` server; stops when dropped or [`stop`](Self::stop)ped.
pub struct MetricsServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl MetricsServer {
    /// Listens on `addr` (`IP:PORT`; port 0 picks a free one) and serves
    /// `metrics` until stopped.
    pub fn start(addr: &str, metrics: Arc<Metrics>) -> Result<MetricsServer, ServerError> {
        Self::start_with(addr, metrics, ServerLimits::default())
    }

    /// [`start`](Self::start) with other time limits.
    pub fn start_with(
        addr: &str,
        metrics: Arc<Metrics>,
        limits: ServerLimits,
    ) -> Result<MetricsServer, ServerError> {
        let sa: SocketAddr = addr
            .trim()
            .parse()
            .map_err(|_| ServerError::Address(addr.to_string()))?;
        let bind = |e| ServerError::Bind {
            addr: sa.to_string(),
            source: e,
        };
        let listener = TcpListener::bind(sa).map_err(bind)?;
        let local = listener.local_addr().map_err(bind)?;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("metrics-http".into())
            .spawn(move || serve(listener, &metrics, &flag, limits))
            .map_err(ServerError::Thread)?;
        Ok(MetricsServer {
            addr: local,
            stop,
            thread: Some(thread),
        })
    }

    /// The address listened on (the real port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops the server and waits for its thread.
    pub fn stop(mut self) {
        self.shutdown();
    }

    /// Sets the stop flag and wakes the blocking accept() with a
    /// connection of its own; if that connection fails (a firewall on
    /// loopback), the thread is left to end with the process rather than
    /// waited for.
    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let Some(t) = self.thread.take() else {
            return;
        };
        let mut wake = self.addr;
        if wake.ip().is_unspecified() {
            wake.set_ip(match wake {
                SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
            });
        }
        if TcpStream::connect_timeout(&wake, Duration::from_secs(1)).is_ok() {
            let _ = t.join();
        }
    }
}

impl Drop for MetricsServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn serve(listener: TcpListener, metrics: &Metrics, stop: &AtomicBool, limits: ServerLimits) {
    loop {
        let accepted = listener.accept();
        if stop.load(Ordering::Relaxed) {
            return;
        }
        match accepted {
            Ok((conn, peer)) => {
                if let Err(e) = handle(conn, metrics, limits) {
                    tracing::debug!(%peer, error = %e, "metrics: connection ended");
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "metrics: accept failed");
                std::thread::sleep(ACCEPT_RETRY);
            }
        }
    }
}

/// What the request asked for.
#[derive(Debug, PartialEq, Eq)]
pub enum Route {
    /// GET (or HEAD: `head`) `/metrics`.
    Metrics {
        /// HEAD: headers only.
        head: bool,
    },
    /// Another path: 404.
    NotFound,
    /// Another method: 405.
    BadMethod,
    /// Not an HTTP/1.x request line: 400.
    BadRequest,
    /// Head beyond the limit: 431.
    TooLarge,
}

/// Reads the request head within the deadline: at most [`MAX_REQUEST`]
/// bytes, until the blank line.
fn read_head(conn: &mut TcpStream, deadline: Instant) -> std::io::Result<Option<Vec<u8>>> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(std::io::ErrorKind::TimedOut.into());
        }
        conn.set_read_timeout(Some(left))?;
        let n = conn.read(&mut chunk)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
        if buf.windows(4).any(|w| w == b"\r\n\r\n") || buf.windows(2).any(|w| w == b"\n\n") {
            return Ok(Some(buf));
        }
        if buf.len() >= MAX_REQUEST {
            return Ok(None);
        }
    }
}

/// What a request head asks for (public for the fuzz harness).
pub fn route(head: &[u8]) -> Route {
    let line_end = head.iter().position(|&b| b == b'\n').unwrap_or(head.len());
    let Ok(line) = std::str::from_utf8(head.get(..line_end).unwrap_or_default()) else {
        return Route::BadRequest;
    };
    let mut parts = line.trim_end_matches('\r').split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Route::BadRequest;
    };
    if !version.starts_with("HTTP/1.") {
        return Route::BadRequest;
    }
    let path = target.split('?').next().unwrap_or_default();
    let head_only = match method {
        "GET" => false,
        "HEAD" => true,
        _ => return Route::BadMethod,
    };
    if path == "/metrics" {
        Route::Metrics { head: head_only }
    } else {
        Route::NotFound
    }
}

fn handle(mut conn: TcpStream, metrics: &Metrics, limits: ServerLimits) -> std::io::Result<()> {
    conn.set_write_timeout(Some(limits.write_timeout))?;
    let route = match read_head(&mut conn, Instant::now() + limits.request_deadline)? {
        Some(head) => route(&head),
        None => Route::TooLarge,
    };
    let (status, body, head_only) = match route {
        Route::Metrics { head } => ("200 OK", metrics.render(), head),
        Route::NotFound => ("404 Not Found", "not found: try /metrics\n".into(), false),
        Route::BadMethod => ("405 Method Not Allowed", "GET only\n".into(), false),
        Route::BadRequest => ("400 Bad Request", "bad request\n".into(), false),
        Route::TooLarge => (
            "431 Request Header Fields Too Large",
            "request too large\n".into(),
            false,
        ),
    };
    let ctype = if matches!(route, Route::Metrics { .. }) {
        "text/plain; version=0.0.4; charset=utf-8"
    } else {
        "text/plain; charset=utf-8"
    };
    let mut out = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n\
         Connection: close\r\n",
        body.len()
    );
    if route == Route::BadMethod {
        out.push_str("Allow: GET, HEAD\r\n");
    }
    out.push_str("\r\n");
    if !head_only {
        out.push_str(&body);
    }
    conn.write_all(out.as_bytes())?;
    conn.flush()?;
    linger(conn);
    Ok(())
}

/// Closes gracefully: after the answer, reads (and drops) what the client
/// still sends, bounded in bytes and time, so that closing with unread
/// input (an oversized request) does not reset the connection before the
/// client has read the answer.
fn linger(mut conn: TcpStream) {
    const MAX: usize = 64 * 1024;
    if conn.shutdown(std::net::Shutdown::Write).is_err() {
        return;
    }
    let _ = conn.set_read_timeout(Some(LINGER));
    let deadline = Instant::now() + LINGER;
    let mut buf = [0u8; 4096];
    let mut total = 0;
    while total < MAX && Instant::now() < deadline {
        match conn.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => total += n,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(
            route(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"),
            Route::Metrics { head: false }
        );
        assert_eq!(
            route(b"HEAD /metrics?x=1 HTTP/1.0\r\n\r\n"),
            Route::Metrics { head: true }
        );
        assert_eq!(route(b"GET / HTTP/1.1\r\n\r\n"), Route::NotFound);
        assert_eq!(route(b"GET /metricsx HTTP/1.1\r\n\r\n"), Route::NotFound);
        assert_eq!(route(b"POST /metrics HTTP/1.1\r\n\r\n"), Route::BadMethod);
        assert_eq!(route(b"GET /metrics\r\n\r\n"), Route::BadRequest);
        assert_eq!(route(b"GET /metrics SPDY/3\r\n\r\n"), Route::BadRequest);
        assert_eq!(route(b"\xff\xfe\r\n\r\n"), Route::BadRequest);
        assert_eq!(route(b""), Route::BadRequest);
    }

    #[test]
    fn bad_addresses_and_taken_ports_fail_clearly() {
        let m = Arc::new(Metrics::new());
        let e = MetricsServer::start("localhost", m.clone()).err().unwrap();
        assert!(e.to_string().contains("expected IP:PORT"), "{e}");
        let first = MetricsServer::start("127.0.0.1:0", m.clone()).unwrap();
        let taken = first.local_addr().to_string();
        let e = MetricsServer::start(&taken, m).err().unwrap();
        assert!(
            e.to_string().contains(&format!("cannot listen on {taken}")),
            "{e}"
        );
        first.stop();
    }
}
