//! SSH: the identification banners of both sides (RFC 4253 §4.2).
//!
//! One transaction per flow holds the client's and the server's
//! `SSH-protoversion-softwareversion comments` lines. It is updated when
//! each banner arrives and completes when both are in (or the flow ends).
//! Everything after a banner is encrypted or binary key exchange and is
//! skipped. Lines a server sends before its banner (allowed by the RFC)
//! are skipped too.

mod parser;
mod state;

pub use state::{SshParser, SshTx};

use crate::registry::{Probe, ProbeInput, ProtoSpec, Transport};

/// Registry entry.
pub static SPEC: ProtoSpec = ProtoSpec {
    name: "ssh",
    transport: Transport::Tcp,
    ports: &[22, 2222],
    probe,
    new_parser: || Box::new(SshParser::default()),
};

fn probe(p: &ProbeInput<'_>) -> Probe {
    const MAGIC: &[u8] = b"SSH-";
    let n = p.data.len().min(MAGIC.len());
    if p.data[..n] != MAGIC[..n] {
        return Probe::NoMatch;
    }
    if n < MAGIC.len() {
        Probe::NeedMore
    } else {
        Probe::Match
    }
}

#[cfg(test)]
mod tests;
