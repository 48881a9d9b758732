//! FTP control connection (RFC 959, RFC 2428), as Suricata's `ftp`.
//!
//! Cameras, DVRs and routers still run FTP servers with default accounts,
//! and droppers fetch payloads over FTP, so palisade wants every command,
//! every login attempt (USER/PASS with its 230/530 verdict, handed to the
//! credential detectors) and the data-channel ports announced.
//!
//! Each client command line is one transaction, paired in order with its
//! final reply: a multi-line reply (`211-Features:` ... `211 End`) is
//! read whole, and a 1xx preliminary reply (`150 Opening data
//! connection`) keeps the transaction open for the final one. A reply
//! without a command (the `220` greeting) is a transaction of its own, as
//! in Suricata. Lines longer than [`MAX_LINE`] are cut and raise
//! Suricata's `ftp.request_command_too_long` /
//! `ftp.response_command_too_long`.
//!
//! PORT/EPRT arguments and 227/229 replies are parsed into the
//! transaction's `dynamic_port` and into [`FtpParser::expectations`], the
//! data channels the pipeline can use to label the data flow `ftp-data`.
//! After `AUTH TLS` is accepted (234) the connection is encrypted and
//! parsing stops.
//!
//! EVE: Suricata's `ftp` object (`command`, `command_data`,
//! `command_truncated`, `reply` [text after the code], `completion_code`
//! [one per coded line], `dynamic_port`, `mode` for PORT/EPRT,
//! `reply_received` "yes"/"no", `reply_truncated`), except that a PASS
//! command is logged without its `command_data`: palisade never logs a
//! password (rules can still inspect it in `ftp.command_data`).
//!
//! Sticky buffers: `ftp.command` (upper-cased command word),
//! `ftp.command_data` (its argument). Events: the two above on the
//! transaction, `ftp.reply_too_long` (more than [`MAX_REPLY_LINES`] lines
//! or [`MAX_REPLY_BYTES`] bytes kept), and `ftp.too_many_transactions` on
//! the flow (more than [`MAX_PENDING`] commands unanswered: the oldest is
//! logged without its reply).

mod parser;
mod state;

pub use parser::LineReader;
pub use state::{
    DataChannel, FtpParser, FtpTx, MAX_EXPECTATIONS, MAX_LINE, MAX_PENDING, MAX_REPLY_BYTES,
    MAX_REPLY_LINES,
};

use crate::parser::Dir;
use crate::registry::{Probe, ProbeInput, ProtoSpec, Transport};
use crate::util::line;

/// Registry entry.
pub static SPEC: ProtoSpec = ProtoSpec {
    name: "ftp",
    transport: Transport::Tcp,
    ports: &[21],
    probe,
    new_parser: || Box::new(FtpParser::default()),
};

/// Commands a client may open with (RFC 959, 2228, 2389, 2428, 3659).
const OPENING: &[&[u8]] = &[
    b"USER", b"PASS", b"AUTH", b"FEAT", b"SYST", b"OPTS", b"HELP", b"NOOP", b"QUIT", b"PWD",
    b"CWD", b"TYPE", b"PASV", b"EPSV", b"PORT", b"EPRT", b"LIST", b"NLST", b"RETR", b"STOR",
    b"STAT", b"SITE", b"ACCT", b"MODE", b"STRU", b"MLSD", b"CLNT", b"HOST",
];

/// Server: a reply code opens every FTP server's side; on port 21 any
/// code does (a `421 Too many users` is FTP too), elsewhere only a 220
/// greeting whose line says FTP (`220 (vsFTPd 3.0.3)`, `220 ProFTPD`), as
/// SMTP greets with 220 as well. Client: a known command, on port 21 only.
fn probe(p: &ProbeInput<'_>) -> Probe {
    match p.dir {
        Dir::ToClient => probe_reply(p),
        Dir::ToServer if p.on_port => probe_command(p.data),
        Dir::ToServer => Probe::NoMatch,
    }
}

fn probe_reply(p: &ProbeInput<'_>) -> Probe {
    let head = p.data.get(..4).unwrap_or(p.data);
    let ok_prefix = head.iter().enumerate().all(|(i, &b)| match i {
        0..=2 => b.is_ascii_digit(),
        _ => b == b' ' || b == b'-',
    });
    if !ok_prefix {
        return Probe::NoMatch;
    }
    if head.len() < 4 {
        return Probe::NeedMore;
    }
    if p.on_port {
        return Probe::Match;
    }
    if !p.data.starts_with(b"220") {
        return Probe::NoMatch;
    }
    match line(p.data) {
        None => Probe::NeedMore,
        Some((l, _)) if l.windows(3).any(|w| w.eq_ignore_ascii_case(b"ftp")) => Probe::Match,
        Some(_) => Probe::NoMatch,
    }
}

fn probe_command(data: &[u8]) -> Probe {
    let end = data
        .iter()
        .position(|&b| matches!(b, b' ' | b'\r' | b'\n'))
        .unwrap_or(data.len());
    let word = data.get(..end).unwrap_or(data);
    if end < data.len() {
        if OPENING.iter().any(|c| c.eq_ignore_ascii_case(word)) {
            return Probe::Match;
        }
        return Probe::NoMatch;
    }
    let prefix = OPENING.iter().any(|c| {
        c.get(..word.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(word))
    });
    if prefix {
        Probe::NeedMore
    } else {
        Probe::NoMatch
    }
}

#[cfg(test)]
mod tests;
