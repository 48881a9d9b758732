//! FTP: `USER` / `PASS` (RFC 959). 230 is a login, 530 a refusal, 421 a
//! server closing on us (often a rate limit, so a lockout sign).

use super::{connect, lockout_text, recv, send, ClientConfig};
use crate::Outcome;
use std::net::SocketAddr;
use tokio::net::TcpStream;

/// A complete reply's code and text, if `buf` holds one: the last line
/// `DDD text` (after any `DDD-` continuation lines).
pub fn reply(buf: &[u8]) -> Option<(u16, String)> {
    let text = String::from_utf8_lossy(buf);
    if !text.ends_with('\n') {
        return None;
    }
    let mut code = None;
    for line in text.lines() {
        let b = line.as_bytes();
        if b.len() >= 3 && b.iter().take(3).all(u8::is_ascii_digit) {
            let c: u16 = line.get(..3)?.parse().ok()?;
            if b.get(3) != Some(&b'-') {
                code = Some(c);
            }
        }
    }
    code.map(|c| (c, text.trim_end().to_string()))
}

async fn read_reply(s: &mut TcpStream, cfg: &ClientConfig) -> Result<(u16, String), Outcome> {
    let mut buf = Vec::new();
    loop {
        if recv(s, &mut buf, cfg).await? == 0 {
            return Err(Outcome::Error("connection closed".into()));
        }
        if let Some(r) = reply(&buf) {
            return Ok(r);
        }
    }
}

/// One login attempt.
pub async fn attempt(addr: SocketAddr, user: &str, pass: &str, cfg: &ClientConfig) -> Outcome {
    let mut s = match connect(addr, cfg).await {
        Ok(s) => s,
        Err(o) => return o,
    };
    match run(&mut s, user, pass, cfg).await {
        Ok(o) | Err(o) => {
            let _ = send(&mut s, b"QUIT\r\n", cfg).await;
            o
        }
    }
}

async fn run(
    s: &mut TcpStream,
    user: &str,
    pass: &str,
    cfg: &ClientConfig,
) -> Result<Outcome, Outcome> {
    let (code, text) = read_reply(s, cfg).await?;
    match code {
        220 => {}
        421 => return Ok(Outcome::Lockout(text.chars().take(80).collect())),
        _ => return Ok(Outcome::Error(format!("greeting {code}"))),
    }
    send(s, format!("USER {user}\r\n").as_bytes(), cfg).await?;
    let (code, text) = read_reply(s, cfg).await?;
    match code {
        230 => return Ok(Outcome::Accepted), // no password needed
        331 | 332 => {}
        421 => return Ok(Outcome::Lockout(text.chars().take(80).collect())),
        530 if lockout_text(&text) => return Ok(Outcome::Lockout(text.chars().take(80).collect())),
        530 => return Ok(Outcome::Rejected),
        _ => return Ok(Outcome::Error(format!("USER answered {code}"))),
    }
    send(s, format!("PASS {pass}\r\n").as_bytes(), cfg).await?;
    let (code, text) = read_reply(s, cfg).await?;
    Ok(match code {
        230 | 202 => Outcome::Accepted,
        421 => Outcome::Lockout(text.chars().take(80).collect()),
        530 if lockout_text(&text) => Outcome::Lockout(text.chars().take(80).collect()),
        530 | 532 => Outcome::Rejected,
        _ => Outcome::Error(format!("PASS answered {code}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies() {
        assert_eq!(reply(b"220 (vsFTPd 3.0.3)\r\n").map(|r| r.0), Some(220));
        assert_eq!(reply(b"230-Welcome\r\n"), None);
        assert_eq!(
            reply(b"230-Welcome\r\n230 Login successful.\r\n").map(|r| r.0),
            Some(230)
        );
        assert_eq!(reply(b"530 Login incorrect."), None);
        assert_eq!(reply(b"garbage\r\n"), None);
    }
}
