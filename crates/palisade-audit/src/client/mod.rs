//! One client per protocol. Each `attempt` opens its own connection, tries
//! one credential, and reports an [`Outcome`]; every connect, read and
//! write has a timeout, and every buffer filled from the peer is bounded.
//! None of them panics on what a peer sends.

pub mod ftp;
pub mod httpauth;
pub mod mqtt;
pub mod snmp;
pub mod ssh;
pub mod telnet;
pub mod web;

use crate::Outcome;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

/// Most bytes read from one reply (headers, banners, prompts).
pub const MAX_REPLY: usize = 16 * 1024;

/// Settings every client shares.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// Connect timeout, and the timeout of each read and write.
    pub timeout: Duration,
    /// Path probed by HTTP (`/`).
    pub http_path: String,
    /// Path of the RTSP DESCRIBE (`/`).
    pub rtsp_path: String,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            timeout: Duration::from_secs(5),
            http_path: "/".into(),
            rtsp_path: "/".into(),
        }
    }
}

/// Note of a connect that failed because the host does not answer ARP /
/// neighbour discovery or has no route: no other port of it is tried.
pub const UNREACHABLE: &str = "host unreachable";

/// The outcome of a failed connect.
pub fn connect_outcome(e: &io::Error) -> Outcome {
    match e.kind() {
        io::ErrorKind::ConnectionRefused => Outcome::Closed,
        io::ErrorKind::TimedOut => Outcome::Error("connect timeout".into()),
        io::ErrorKind::HostUnreachable | io::ErrorKind::NetworkUnreachable => {
            Outcome::Error(UNREACHABLE.into())
        }
        _ => Outcome::Error(format!("connect: {e}")),
    }
}

/// Connects with the timeout.
pub async fn connect(addr: SocketAddr, cfg: &ClientConfig) -> Result<TcpStream, Outcome> {
    match timeout(cfg.timeout, TcpStream::connect(addr)).await {
        Ok(Ok(s)) => {
            let _ = s.set_nodelay(true);
            Ok(s)
        }
        Ok(Err(e)) => Err(connect_outcome(&e)),
        Err(_) => Err(Outcome::Error("connect timeout".into())),
    }
}

/// Writes all of `data` with the timeout.
pub async fn send(s: &mut TcpStream, data: &[u8], cfg: &ClientConfig) -> Result<(), Outcome> {
    match timeout(cfg.timeout, s.write_all(data)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(Outcome::Error(format!("write: {e}"))),
        Err(_) => Err(Outcome::Error("write timeout".into())),
    }
}

/// Reads once (up to what fits under [`MAX_REPLY`] in `buf`) with the
/// timeout; Ok(0) at end of stream.
pub async fn recv(
    s: &mut TcpStream,
    buf: &mut Vec<u8>,
    cfg: &ClientConfig,
) -> Result<usize, Outcome> {
    let room = MAX_REPLY.saturating_sub(buf.len());
    if room == 0 {
        return Err(Outcome::Error("reply too long".into()));
    }
    let mut chunk = vec![0u8; room.min(4096)];
    match timeout(cfg.timeout, s.read(&mut chunk)).await {
        Ok(Ok(n)) => {
            buf.extend_from_slice(chunk.get(..n).unwrap_or(&[]));
            Ok(n)
        }
        Ok(Err(e)) => Err(Outcome::Error(format!("read: {e}"))),
        Err(_) => Err(Outcome::Error("read timeout".into())),
    }
}

/// Whether a refusal text hints at lockout or rate limiting.
pub fn lockout_text(text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    [
        "too many",
        "locked",
        "lockout",
        "try again later",
        "temporarily blocked",
    ]
    .iter()
    .any(|w| t.contains(w))
}
