//! TFTP (RFC 1350) over UDP port 69.
//!
//! IoT devices fetch firmware and configuration over TFTP, and botnets
//! use it to drop their binaries onto devices: the file name a device
//! reads or writes is what rules look for (`tftp.file`).
//!
//! **Transactions.** One per read or write request (RRQ/WRQ): file name,
//! mode and RFC 2347 options (`blksize`, `tsize`, `timeout`, ...). It is
//! reported when the request arrives and completes at the next request,
//! at an ERROR, or when the flow ends. DATA, ACK and ERROR packets that
//! arrive on the same flow are counted into it. Note that a real TFTP
//! server answers from a new port (RFC 1350 §4), so the transfer itself
//! is a different UDP flow, which the probe does not recognise (a DATA
//! packet has no signature): the counters stay at zero unless client and
//! server keep port 69.
//!
//! **Probe.** Opcode 1 or 2, a NUL-terminated file name and a
//! NUL-terminated mode `netascii`, `octet` or `mail` (any case). On port
//! 69 any mode is accepted and an unknown one raises `tftp.invalid_mode`.
//!
//! **Events** (palisade's own; Suricata has none for TFTP):
//! `tftp.invalid_mode`, `tftp.too_many_options` (more than 16 pairs,
//! the rest dropped), and the flow event `tftp.malformed_data` (a
//! datagram that is no TFTP packet).
//!
//! **Buffer.** `tftp.file`.
//!
//! **EVE.** Suricata's `{"packet": "read"|"write", "file", "mode"}` (mode
//! lowercased); palisade adds `options` (name → value), `data_packets`,
//! `data_bytes`, `ack_packets`, `error_code`, `error_message` when seen.

mod parser;
mod state;

pub use state::{TftpParser, TftpTx};

use crate::registry::{Probe, ProbeInput, ProtoSpec, Transport};
use parser::{mode_ok, packet, Packet};

/// Registry entry.
pub static SPEC: ProtoSpec = ProtoSpec {
    name: "tftp",
    transport: Transport::Udp,
    ports: &[69],
    probe,
    new_parser: || Box::new(TftpParser::default()),
};

fn probe(p: &ProbeInput<'_>) -> Probe {
    match packet(p.data) {
        Some(Packet::Request { file, mode, .. })
            if (p.on_port || mode_ok(mode)) && file.len() <= 512 =>
        {
            Probe::Match
        }
        _ => Probe::NoMatch,
    }
}

#[cfg(test)]
mod tests;
