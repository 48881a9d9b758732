//! Telnet: option negotiation and the login dialogue.
//!
//! Negotiation (RFC 854/855): the server's WILL ECHO and WILL SUPPRESS-GO-
//! AHEAD are accepted (DO), as every client does; every other WILL is
//! refused (DONT) and every DO is refused (WONT), so the session stays a
//! plain NVT. Subnegotiations are skipped. The parser keeps its state
//! across reads, so a sequence split over two segments is handled.
//!
//! Dialogue: wait for a user prompt (`login:`, `username:`, `user:`) and
//! send the user, wait for `password:` and send the password (a device
//! asking only for a password gets only the password), then read until a
//! failure text (`incorrect`, `failed`, `invalid`, `denied`, a new login
//! prompt) or a shell prompt (the last line ends in `$`, `#`, `>` or `%`).

use super::{connect, lockout_text, recv, send, ClientConfig};
use crate::Outcome;
use std::net::SocketAddr;

/// IAC and commands.
const IAC: u8 = 255;
const DONT: u8 = 254;
const DO: u8 = 253;
const WONT: u8 = 252;
const WILL: u8 = 251;
const SB: u8 = 250;
const SE: u8 = 240;
/// Options.
const ECHO: u8 = 1;
const SGA: u8 = 3;

/// Longest subnegotiation skipped before the connection is given up.
const MAX_SB: usize = 1024;

/// Where the parser is within the byte stream.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum NegState {
    /// Plain data.
    #[default]
    Data,
    /// After IAC.
    Iac,
    /// After IAC WILL/WONT/DO/DONT: the option byte follows.
    Opt(u8),
    /// Inside SB ... (bytes skipped so far).
    Sb(usize),
    /// IAC inside SB.
    SbIac(usize),
}

/// Feeds server bytes: data goes to `data`, answers to negotiation to
/// `reply`. Returns false if a subnegotiation is longer than allowed.
pub fn negotiate(input: &[u8], st: &mut NegState, data: &mut Vec<u8>, reply: &mut Vec<u8>) -> bool {
    for &b in input {
        *st = match *st {
            NegState::Data => {
                if b == IAC {
                    NegState::Iac
                } else {
                    if b != 0 {
                        data.push(b);
                    }
                    NegState::Data
                }
            }
            NegState::Iac => match b {
                IAC => {
                    data.push(IAC);
                    NegState::Data
                }
                WILL | WONT | DO | DONT => NegState::Opt(b),
                SB => NegState::Sb(0),
                _ => NegState::Data, // NOP, GA, ... carry nothing
            },
            NegState::Opt(cmd) => {
                match cmd {
                    WILL if b == ECHO || b == SGA => reply.extend_from_slice(&[IAC, DO, b]),
                    WILL => reply.extend_from_slice(&[IAC, DONT, b]),
                    DO => reply.extend_from_slice(&[IAC, WONT, b]),
                    _ => {} // WONT / DONT: already off
                }
                NegState::Data
            }
            NegState::Sb(n) => {
                if n >= MAX_SB {
                    return false;
                }
                if b == IAC {
                    NegState::SbIac(n + 1)
                } else {
                    NegState::Sb(n + 1)
                }
            }
            NegState::SbIac(n) => {
                if b == SE {
                    NegState::Data
                } else {
                    NegState::Sb(n + 1)
                }
            }
        };
    }
    true
}

/// What the text read so far asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Prompt {
    /// Nothing recognised yet.
    None,
    /// A user name prompt.
    User,
    /// A password prompt.
    Password,
}

/// The prompt at the end of `text` (only the last line counts).
pub fn prompt(text: &str) -> Prompt {
    let last = text
        .trim_end()
        .rsplit(['\n', '\r'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    if last.ends_with("password:") || last.ends_with("passwd:") {
        Prompt::Password
    } else if last.ends_with("login:") || last.ends_with("username:") || last.ends_with("user:") {
        Prompt::User
    } else {
        Prompt::None
    }
}

/// What the text after the password says, when it is conclusive: a new
/// login or password prompt is a refusal, a shell prompt at the end an
/// acceptance. A failure text alone is not conclusive (a successful login
/// may report earlier failed attempts), see [`failure_text`].
pub fn verdict(text: &str) -> Option<Outcome> {
    let lower = text.to_ascii_lowercase();
    if lockout_text(&lower) {
        return Some(Outcome::Lockout(first_line_with(&lower, "too many")));
    }
    if prompt(&lower) != Prompt::None {
        return Some(Outcome::Rejected);
    }
    if lower.trim_end().ends_with(['$', '#', '>', '%']) {
        return Some(Outcome::Accepted);
    }
    None
}

/// Whether the text says the login failed.
pub fn failure_text(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    [
        "incorrect",
        "failed",
        "invalid",
        "denied",
        "bad password",
        "wrong",
    ]
    .iter()
    .any(|w| lower.contains(w))
}

fn first_line_with(text: &str, w: &str) -> String {
    text.lines()
        .find(|l| l.contains(w))
        .unwrap_or("lockout")
        .trim()
        .chars()
        .take(80)
        .collect()
}

/// One login attempt.
pub async fn attempt(addr: SocketAddr, user: &str, pass: &str, cfg: &ClientConfig) -> Outcome {
    let mut s = match connect(addr, cfg).await {
        Ok(s) => s,
        Err(o) => return o,
    };
    let mut st = NegState::Data;
    let mut raw = Vec::new();
    let mut text = Vec::new();
    // 0: waiting for a prompt, 1: user sent, 2: password sent
    let mut phase = 0u8;
    let mut after_pass = 0usize;
    loop {
        raw.clear();
        match recv(&mut s, &mut raw, cfg).await {
            Ok(0) if phase == 2 => return Outcome::Rejected,
            Ok(0) => return Outcome::Error("connection closed before login".into()),
            Ok(_) => {}
            // the failure text came, then nothing conclusive
            Err(_) if phase == 2 && failure_text(&String::from_utf8_lossy(&text)) => {
                return Outcome::Rejected
            }
            Err(o) => return o,
        }
        let mut reply = Vec::new();
        if !negotiate(&raw, &mut st, &mut text, &mut reply) {
            return Outcome::Error("subnegotiation too long".into());
        }
        if !reply.is_empty() {
            if let Err(o) = send(&mut s, &reply, cfg).await {
                return o;
            }
        }
        if text.len() > super::MAX_REPLY {
            return Outcome::Error("no prompt within 16 KiB".into());
        }
        let t = String::from_utf8_lossy(&text).into_owned();
        match phase {
            0 | 1 => match prompt(&t) {
                Prompt::User if phase == 0 => {
                    if let Err(o) = send(&mut s, format!("{user}\r\n").as_bytes(), cfg).await {
                        return o;
                    }
                    text.clear();
                    phase = 1;
                }
                Prompt::Password => {
                    if let Err(o) = send(&mut s, format!("{pass}\r\n").as_bytes(), cfg).await {
                        return o;
                    }
                    text.clear();
                    phase = 2;
                }
                Prompt::User => return Outcome::Rejected, // asked again: user refused
                Prompt::None => {
                    if phase == 0 && lockout_text(&t) {
                        return Outcome::Lockout("refused before login".into());
                    }
                }
            },
            _ => {
                after_pass += 1;
                // the echo of the newline and banners may come first
                if let Some(v) = verdict(&t) {
                    return v;
                }
                if after_pass > 64 {
                    return Outcome::Error("no verdict after the password".into());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_refuses_and_accepts() {
        let mut st = NegState::Data;
        let (mut data, mut reply) = (Vec::new(), Vec::new());
        // DO TTYPE, WILL ECHO, WILL SGA, DO NAWS, WILL STATUS, SB TTYPE SEND IAC SE
        let input = [
            IAC, DO, 24, IAC, WILL, ECHO, IAC, WILL, SGA, IAC, DO, 31, IAC, WILL, 5, IAC, SB, 24,
            1, IAC, SE, b'l', b'o', b'g', IAC, IAC, b'\r', 0,
        ];
        // split in the middle of a sequence
        assert!(negotiate(&input[..4], &mut st, &mut data, &mut reply));
        assert!(negotiate(&input[4..], &mut st, &mut data, &mut reply));
        assert_eq!(
            reply,
            vec![IAC, WONT, 24, IAC, DO, ECHO, IAC, DO, SGA, IAC, WONT, 31, IAC, DONT, 5]
        );
        assert_eq!(data, vec![b'l', b'o', b'g', IAC, b'\r']);
        assert_eq!(st, NegState::Data);
        let mut st = NegState::Data;
        let long: Vec<u8> = [IAC, SB]
            .into_iter()
            .chain(std::iter::repeat_n(7, 2000))
            .collect();
        assert!(!negotiate(&long, &mut st, &mut data, &mut reply));
    }

    #[test]
    fn prompts_and_verdicts() {
        assert_eq!(prompt("Debian GNU/Linux 12\r\nhost login: "), Prompt::User);
        assert_eq!(prompt("Username:"), Prompt::User);
        assert_eq!(prompt("\r\nPassword: "), Prompt::Password);
        assert_eq!(prompt("Welcome"), Prompt::None);
        assert_eq!(
            verdict("\r\n\r\nLogin incorrect\r\nhost login: "),
            Some(Outcome::Rejected)
        );
        assert_eq!(verdict("Authentication failed"), None);
        assert!(failure_text("Authentication failed"));
        assert!(!failure_text("Welcome"));
        assert_eq!(
            verdict("There were 2 failed login attempts\r\n# "),
            Some(Outcome::Accepted)
        );
        assert_eq!(
            verdict("\r\nLinux host 6.1\r\n~ # "),
            Some(Outcome::Accepted)
        );
        assert_eq!(verdict("\r\nuser@host:~$ "), Some(Outcome::Accepted));
        assert_eq!(verdict("\r\nLast login: Mon"), None);
        assert!(matches!(
            verdict("Too many failed login attempts"),
            Some(Outcome::Lockout(_))
        ));
    }
}
