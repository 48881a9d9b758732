//! MQTT 3.1.1 (OASIS, 2014) CONNECT with user name and password. CONNACK
//! return code 0 is a login; 4 (bad user name or password) and 5 (not
//! authorised) are refusals. [`probe_anonymous`] connects without
//! credentials first: a broker that takes that needs no password at all
//! (its own finding), and would take any credential too.

use super::{connect, recv, send, ClientConfig};
use crate::Outcome;
use std::net::SocketAddr;

/// The CONNECT packet (clean session, keep-alive 30 s).
pub fn connect_packet(client_id: &str, creds: Option<(&str, &str)>) -> Vec<u8> {
    fn string(out: &mut Vec<u8>, s: &[u8]) {
        let n = s.len().min(u16::MAX as usize);
        out.extend_from_slice(&(n as u16).to_be_bytes());
        out.extend_from_slice(s.get(..n).unwrap_or(s));
    }
    let mut body = Vec::new();
    string(&mut body, b"MQTT");
    body.push(4); // protocol level 3.1.1
    let mut flags = 0x02; // clean session
    if creds.is_some() {
        flags |= 0x80 | 0x40;
    }
    body.push(flags);
    body.extend_from_slice(&30u16.to_be_bytes());
    string(&mut body, client_id.as_bytes());
    if let Some((u, p)) = creds {
        string(&mut body, u.as_bytes());
        string(&mut body, p.as_bytes());
    }
    let mut out = vec![0x10];
    let mut len = body.len();
    loop {
        let mut byte = (len % 128) as u8;
        len /= 128;
        if len > 0 {
            byte |= 0x80;
        }
        out.push(byte);
        if len == 0 {
            break;
        }
    }
    out.extend_from_slice(&body);
    out
}

/// A CONNACK's return code, if `buf` starts with a complete one; Err if it
/// starts with something else.
pub fn connack(buf: &[u8]) -> Result<Option<u8>, String> {
    match buf {
        [] | [0x20] | [0x20, 2] | [0x20, 2, _] => Ok(None),
        [0x20, 2, _, rc, ..] => Ok(Some(*rc)),
        [t, ..] => Err(format!("expected CONNACK, got packet type {:#04x}", t)),
    }
}

/// The outcome of a return code.
pub fn outcome(rc: u8) -> Outcome {
    match rc {
        0 => Outcome::Accepted,
        4 | 5 => Outcome::Rejected,
        1 => Outcome::NotApplicable("broker refuses MQTT 3.1.1".into()),
        n => Outcome::Error(format!("CONNACK return code {n}")),
    }
}

async fn exchange(addr: SocketAddr, creds: Option<(&str, &str)>, cfg: &ClientConfig) -> Outcome {
    let mut s = match connect(addr, cfg).await {
        Ok(s) => s,
        Err(o) => return o,
    };
    let id = format!("palisade-audit-{:08x}", rand::random::<u32>());
    if let Err(o) = send(&mut s, &connect_packet(&id, creds), cfg).await {
        return o;
    }
    let mut buf = Vec::new();
    loop {
        match recv(&mut s, &mut buf, cfg).await {
            Ok(0) => return Outcome::Rejected, // some brokers just close
            Ok(_) => {}
            Err(o) => return o,
        }
        match connack(&buf) {
            Ok(Some(rc)) => {
                if rc == 0 {
                    let _ = send(&mut s, &[0xe0, 0], cfg).await; // DISCONNECT
                }
                return outcome(rc);
            }
            Ok(None) => {}
            Err(e) => return Outcome::Error(e),
        }
    }
}

/// One login attempt.
pub async fn attempt(addr: SocketAddr, user: &str, pass: &str, cfg: &ClientConfig) -> Outcome {
    exchange(addr, Some((user, pass)), cfg).await
}

/// A connection without credentials: Accepted means the broker is open to
/// anyone.
pub async fn probe_anonymous(addr: SocketAddr, cfg: &ClientConfig) -> Outcome {
    exchange(addr, None, cfg).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_encoding() {
        let p = connect_packet("c", Some(("admin", "pw")));
        let expect: Vec<u8> = [
            &[0x10, 24][..],
            &[0, 4, b'M', b'Q', b'T', b'T', 4, 0xc2, 0, 30],
            &[0, 1, b'c'],
            &[0, 5, b'a', b'd', b'm', b'i', b'n'],
            &[0, 2, b'p', b'w'],
        ]
        .concat();
        assert_eq!(p, expect);
        let anon = connect_packet("c", None);
        assert_eq!(anon[9], 0x02);
        assert_eq!(anon[1] as usize, anon.len() - 2);
        // remaining length above 127 takes two bytes
        let long = connect_packet(&"x".repeat(200), None);
        assert_eq!(&long[1..3], &[(212 % 128) as u8 | 0x80, 1]);
    }

    #[test]
    fn connack_codes() {
        assert_eq!(connack(&[0x20, 2, 0, 0]), Ok(Some(0)));
        assert_eq!(connack(&[0x20, 2, 0, 5]), Ok(Some(5)));
        assert_eq!(connack(&[0x20, 2]), Ok(None));
        assert!(connack(&[0x30, 2, 0, 0]).is_err());
        assert_eq!(outcome(0), Outcome::Accepted);
        assert_eq!(outcome(4), Outcome::Rejected);
        assert_eq!(outcome(5), Outcome::Rejected);
        assert!(matches!(outcome(3), Outcome::Error(_)));
    }
}
