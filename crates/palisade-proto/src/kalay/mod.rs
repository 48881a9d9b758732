//! ThroughTek Kalay (TUTK IOTC) over UDP: the P2P platform of many IP
//! cameras, baby monitors and DVRs.
//!
//! Parsed for CVE-2021-28372 (Mandiant FEYE-2021-0020, CISA
//! ICSA-21-229-01): Kalay servers registered a device on its 20-character
//! UID alone, so an attacker who knows a victim's UID can register a rogue
//! device under it and receive the owner's app connections and
//! credentials. What a network sensor can see of that is the registration
//! itself: a UID registered from a second device, or sent to a server that
//! is not the vendor's (the `kalay` detector decides; this parser reports
//! each message's UID, type and direction).
//!
//! **Wire format** (public reverse engineering; go2rtc `pkg/tutk`, the
//! CuboAI IOTC write-up): every datagram is scrambled with the "Charlie"
//! block transform ([`scramble`]); descrambled, it starts with a 16-byte
//! header — magic `04 02`, version byte, flags byte, u16 LE body length
//! (datagram length − 16), u16 sequence, u16 LE message type, a direction
//! byte (sender/receiver roles), fixed bytes — and most messages that name
//! a device carry its UID at offset 16. Only the first 64 bytes of a
//! datagram are descrambled, so the cost per datagram is bounded.
//!
//! **Registration.** The published samples show the app ↔ device (0x21 /
//! 0x12) and app ↔ server (0x34 / 0x43) direction codes; palisade takes
//! 0x14 (device → server) carrying a UID as a device's registration. The
//! device-login message type itself is not in the public sources we found,
//! so it is recognised by direction, not by type (any type value).
//!
//! **Probe.** Magic and exact length after descrambling (or in clear):
//! about 2^-32 for random datagrams, strict enough not to take other UDP
//! traffic. No well-known ports are claimed (the master servers' ports vary
//! by vendor: 10240, 32100 and others; 32100 is also CS2 PPPP's), so no
//! `proto_detection_failed` anomaly is raised for other traffic there.
//!
//! **Transactions.** One per datagram, complete at once; nothing is held
//! between datagrams.
//!
//! **Events** (palisade's own): the flow event `kalay.malformed_data` (a
//! datagram on a Kalay flow that is no IOTC message).
//!
//! **Buffer.** `kalay.uid` (the UID of a message that carries one), so a
//! rule can watch one device: `alert kalay any any -> any any
//! (kalay.uid; content:"ABCD1234EFGH5678JKLM"; ...)`.
//!
//! **EVE** (palisade's own object, Suricata has no Kalay logger):
//! `{"msg_type": "0x0428", "msg_name": "ping", "direction":
//! "device_to_client", "direction_code": "0x12", "version": 25,
//! "scrambled": true, "length": 24, "uid": "...", "registration": false}`.

mod parser;
pub mod scramble;
mod state;

pub use parser::{direction_name, message, type_name, Message, UID_LEN};
pub use state::{ev, KalayParser, KalayTx};

use crate::registry::{Probe, ProbeInput, ProtoSpec, Transport};

/// Registry entry.
pub static SPEC: ProtoSpec = ProtoSpec {
    name: "kalay",
    transport: Transport::Udp,
    ports: &[],
    probe,
    new_parser: || Box::new(KalayParser::default()),
};

fn probe(p: &ProbeInput<'_>) -> Probe {
    if message(p.data).is_some() {
        Probe::Match
    } else {
        Probe::NoMatch
    }
}

/// An IOTC datagram as a device or app would send it (scrambled): header
/// with `msg_type` and `direction`, then `body` (a UID first where the
/// message carries one). For the testbed and tests.
pub fn build(version: u8, msg_type: u16, direction: u8, body: &[u8]) -> Vec<u8> {
    let mut m = vec![0u8; 16];
    if let Some(h) = m.get_mut(0..16) {
        h[0] = 4;
        h[1] = 2;
        h[2] = version;
        let len = u16::try_from(body.len()).unwrap_or(u16::MAX);
        h[4..6].copy_from_slice(&len.to_le_bytes());
        h[8..10].copy_from_slice(&msg_type.to_le_bytes());
        h[10] = direction;
    }
    m.extend_from_slice(body.get(..usize::from(u16::MAX)).unwrap_or(body));
    scramble::encode(&m)
}

#[cfg(test)]
mod tests;
