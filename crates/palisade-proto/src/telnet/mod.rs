//! Telnet (RFC 854): the login dialogue of IoT devices' consoles.
//!
//! Telnet is how most IoT botnets (Mirai and its descendants) spread:
//! default credentials typed at a `login:` prompt. What palisade wants
//! from a Telnet flow is therefore each login attempt, with the user name,
//! whether it worked, and the password handed to the credential
//! detectors (never logged).
//!
//! Parsing has two layers:
//! - Option negotiation (`IAC WILL/WONT/DO/DONT opt`, `IAC SB ... IAC SE`,
//!   `IAC IAC` for a 0xFF data byte) is stripped byte by byte, so it may be
//!   split anywhere between segments; the negotiations are recorded
//!   (distinct sender/command/option triples, bounded) as a fingerprint of
//!   the client and server.
//! - The remaining text follows the dialogue: server banner, login prompt,
//!   the user name the client types (a line at once or one character per
//!   segment with the server echoing), password prompt, password, verdict.
//!   A verdict is a failure line (`Login incorrect`, `Authentication
//!   failed`, `denied`, ...), the login or password prompt shown again
//!   (failure), or a shell prompt (`$ `, `# `, `> `, `%`), a welcome,
//!   last-login notice or BusyBox banner (success). Each attempt is one
//!   transaction; after a success no more attempts are tracked and the
//!   attempt stays open until its `telnet.data` windows are full (the first
//!   commands of the session, where droppers show) or the flow ends.
//!
//! Prompts are unfinished lines, so they are only recognised when the
//! client starts to answer (or the flow ends): the decision never depends
//! on where a segment ended.
//!
//! Suricata has no Telnet logger; palisade's EVE object (`event_type`
//! `telnet`) is:
//!
//! ```json
//! "telnet": {
//!   "banner": "OpenBSD/i386 (oof) (ttyp2)",  // server lines before the first prompt
//!   "login_prompt": "login:",
//!   "username": "fake",
//!   "password_present": true,               // a password line was sent
//!   "password_length": 4,                   // only when present; never the password
//!   "outcome": "success",                   // success | failure | unknown
//!   "options": [{"from": "server", "cmd": "DO", "option": "echo"},
//!               {"from": "client", "cmd": "WILL", "option": 200}]
//! }
//! ```
//!
//! Absent values are left out (`banner` is only on the first attempt).
//! Sticky buffer: `telnet.data` (the attempt's client text and server text,
//! negotiation removed, [`MAX_TEXT`] bytes each). Events:
//! `telnet.too_many_transactions` (more than [`MAX_TXS`] attempts),
//! `telnet.too_many_options`, `telnet.subnegotiation_too_long` (flow);
//! `telnet.username_too_long`, `telnet.password_too_long` (transaction).
//!
//! Not handled: credentials typed ahead before their prompt appears (only
//! the user name is taken then), and Telnet encryption/authentication
//! options (their subnegotiations are skipped like any other).

mod parser;
mod state;

pub use parser::{Piece, Prompt, Stripper, Verdict, MAX_SUBNEG};
pub use state::{OptionRecord, TelnetParser, TelnetTx, MAX_TEXT, MAX_TXS};

use crate::registry::{Probe, ProbeInput, ProtoSpec, Transport};
use parser::{DO, DONT, IAC, SB, WILL, WONT};

/// Registry entry.
pub static SPEC: ProtoSpec = ProtoSpec {
    name: "telnet",
    transport: Transport::Tcp,
    ports: &[23, 2323],
    probe,
    new_parser: || Box::new(TelnetParser::default()),
};

/// Negotiation at the start of either direction is Telnet on any port;
/// plain text (a banner or a prompt, or a client typing) only on the
/// Telnet ports, as so many protocols start with text.
fn probe(p: &ProbeInput<'_>) -> Probe {
    match p.data {
        [IAC] => Probe::NeedMore,
        [IAC, cmd, ..] if matches!(*cmd, SB | WILL | WONT | DO | DONT) => Probe::Match,
        _ if p.on_port => {
            // Text up to the first negotiation, if any.
            let end = memchr::memchr(IAC, p.data).unwrap_or(p.data.len());
            let head = p.data.get(..end).unwrap_or_default();
            let text = head
                .iter()
                .all(|&b| (0x20..0x7f).contains(&b) || matches!(b, b'\r' | b'\n' | b'\t' | 0));
            if !head.is_empty() && text {
                Probe::Match
            } else {
                Probe::NoMatch
            }
        }
        _ => Probe::NoMatch,
    }
}

#[cfg(test)]
mod tests;
