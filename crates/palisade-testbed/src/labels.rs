//! Ground truth written beside the capture.
//!
//! The labels say what is in the pcap so that a detector's output can be
//! scored: which devices exist (with their real vendor OUIs), which servers
//! they talk to, how many conversations of each transport the capture holds,
//! and, for attack scenarios, which attacks ran when, from where, to where.

use palisade_event::Timestamp;
use serde::{Deserialize, Serialize};

/// Ground truth for one generated capture.
///
/// Readers should ignore fields they do not know: later versions may add
/// some.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Labels {
    /// The scenario name.
    pub scenario: String,
    /// The seed the capture was generated from.
    pub seed: u64,
    /// `palisade-testbed <version>`.
    pub generator: String,
    /// Capture start (EVE timestamp format).
    pub start: String,
    /// Time of the last packet written (EVE format); the start if none was.
    pub end: String,
    /// Packets written.
    pub packets: u64,
    /// Sum of the written frame lengths (Ethernet header included, padding to
    /// the 60-byte minimum included, no FCS).
    pub bytes: u64,
    /// The gateway first, then every fleet device.
    pub devices: Vec<DeviceLabel>,
    /// Servers the fleet talks to, on the gateway and on the internet.
    pub servers: Vec<ServerLabel>,
    /// Distinct conversations present in the capture, by transport.
    pub conversations: ConversationCounts,
    /// Attacks in the capture; empty for normal-traffic scenarios.
    pub attacks: Vec<AttackLabel>,
    /// Posture facts a detector should report as findings (not attacks):
    /// devices that send or take passwords in clear, ... Empty in labels
    /// written before posture was labelled.
    #[serde(default)]
    pub posture: Vec<PostureLabel>,
}

/// A posture fact of the capture: what a finding should report.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PostureLabel {
    /// Finding class (`cleartext-credentials`, `weak-tls`, ...).
    pub class: String,
    /// The fleet device concerned (IPv4 address).
    pub device: String,
    /// The service (`mqtt`, `telnet`, `https`, ...).
    pub service: String,
    /// What the capture shows, in a sentence.
    pub description: String,
}

/// One device of the fleet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceLabel {
    /// Stable identifier within the capture, e.g. `camera-03`.
    pub id: String,
    /// MAC address, lowercase colon-separated; its first three bytes are an
    /// IEEE OUI registered to the vendor (or to the vendor's Wi-Fi module
    /// maker, e.g. Espressif for Shelly devices).
    pub mac: String,
    /// IPv4 address.
    pub ip: String,
    /// Brand.
    pub vendor: String,
    /// Model.
    pub product: String,
    /// `camera`, `nvr`, `sensor`, `plug`, `hub`, `thermostat`, `bridge`, `gateway`.
    pub kind: String,
    /// Firmware version string the device reports (HTTP firmware checks).
    pub firmware: String,
}

/// A server the fleet talks to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerLabel {
    /// Host name (the DNS name devices resolve), or `gateway`.
    pub name: String,
    /// IPv4 address.
    pub ip: String,
    /// `dns`, `ntp`, `mqtt-broker`, `vendor-cloud`, `firmware-update`.
    pub role: String,
}

/// Distinct conversations in the capture, by transport.
///
/// A TCP or UDP conversation is an unordered 5-tuple (the two address:port
/// ends and the protocol); an ICMP conversation is an echo exchange, keyed by
/// the unordered address pair and the echo identifier. A conversation counts
/// once at least one of its packets is in the capture, so a conversation cut
/// by the end of the generation counts too. Every conversation uses a fresh
/// ephemeral port (or echo identifier), so these are also the numbers a
/// 5-tuple flow table sees.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationCounts {
    /// TCP connections.
    pub tcp: u64,
    /// UDP exchanges (DNS, NTP).
    pub udp: u64,
    /// ICMP echo sessions.
    pub icmp: u64,
}

/// One attack in an attack scenario.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttackLabel {
    /// Identifier, unique within the capture (e.g. `scan-1`).
    pub id: String,
    /// One of palisade's detector classes: `default-credentials`,
    /// `brute-force`, `scan`, `ddos`.
    pub class: String,
    /// Technique, preferably a MITRE ATT&CK id with a name (`T1046 Network Service Discovery`).
    pub technique: String,
    /// First packet time of the attack (EVE format), as written.
    pub start: String,
    /// Last packet time of the attack written (EVE format): an attack cut by
    /// the end of the capture ends there.
    pub end: String,
    /// Attacker address; for floods from spoofed or many sources, the
    /// CIDR range(s) they come from, comma-separated.
    pub src: String,
    /// Target address or CIDR range.
    pub dst: String,
    /// Target port when the attack has one.
    pub dst_port: Option<u16>,
    /// What happens, in a sentence or two.
    pub description: String,
}

/// An attack as a scenario plans it, before the capture end is known.
#[derive(Clone, Debug)]
pub(crate) struct PlannedAttack {
    pub id: String,
    pub class: String,
    pub technique: String,
    pub start: Timestamp,
    pub end: Timestamp,
    pub src: String,
    pub dst: String,
    pub dst_port: Option<u16>,
    pub description: String,
}

/// Turns planned attacks into labels for a capture that ended at `end`:
/// attacks that had not started are dropped, the others' ends are clipped.
pub(crate) fn finish_attacks(planned: &[PlannedAttack], end: Timestamp) -> Vec<AttackLabel> {
    planned
        .iter()
        .filter(|a| a.start <= end)
        .map(|a| AttackLabel {
            id: a.id.clone(),
            class: a.class.clone(),
            technique: a.technique.clone(),
            start: a.start.to_string(),
            end: a.end.min(end).to_string(),
            src: a.src.clone(),
            dst: a.dst.clone(),
            dst_port: a.dst_port,
            description: a.description.clone(),
        })
        .collect()
}

/// The planned attacks with the times of their first and last packets as
/// written (`seen`, by attack index); attacks none of whose packets made it
/// into the capture are dropped.
pub(crate) fn observed(
    planned: &[PlannedAttack],
    seen: &[Option<(u64, u64)>],
) -> Vec<PlannedAttack> {
    planned
        .iter()
        .zip(seen)
        .filter_map(|(a, w)| {
            let (first, last) = (*w)?;
            Some(PlannedAttack {
                start: Timestamp::from_nanos(first),
                end: Timestamp::from_nanos(last),
                ..a.clone()
            })
        })
        .collect()
}

/// `aa:bb:cc:dd:ee:ff`.
pub(crate) fn mac_string(mac: [u8; 6]) -> String {
    let mut s = String::with_capacity(17);
    for (i, b) in mac.iter().enumerate() {
        if i > 0 {
            s.push(':');
        }
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// Dotted quad.
pub(crate) fn ip_string(ip: [u8; 4]) -> String {
    std::net::Ipv4Addr::from(ip).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn planned(start: u64, end: u64) -> PlannedAttack {
        PlannedAttack {
            id: "scan-1".into(),
            class: "recon".into(),
            technique: "T1046 Network Service Discovery".into(),
            start: Timestamp::from_secs_nanos(start, 0),
            end: Timestamp::from_secs_nanos(end, 0),
            src: "10.10.0.66".into(),
            dst: "10.10.0.0/16".into(),
            dst_port: Some(23),
            description: "telnet sweep".into(),
        }
    }

    #[test]
    fn attacks_are_clipped_to_the_capture() {
        let end = Timestamp::from_secs_nanos(100, 0);
        let out = finish_attacks(&[planned(10, 50), planned(90, 200), planned(150, 160)], end);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].end, Timestamp::from_secs_nanos(50, 0).to_string());
        assert_eq!(out[1].start, Timestamp::from_secs_nanos(90, 0).to_string());
        assert_eq!(out[1].end, end.to_string());
        assert_eq!(out[1].dst_port, Some(23));
    }

    #[test]
    fn address_strings() {
        assert_eq!(
            mac_string([0x44, 0x47, 0xcc, 0, 0x0a, 0xff]),
            "44:47:cc:00:0a:ff"
        );
        assert_eq!(ip_string([10, 10, 0, 1]), "10.10.0.1");
    }

    #[test]
    fn labels_round_trip_through_json() {
        let l = Labels {
            scenario: "fleet".into(),
            seed: 1,
            generator: "palisade-testbed 0.1.0".into(),
            start: "2026-01-05T08:00:00.000000+0000".into(),
            end: "2026-01-05T08:30:00.000000+0000".into(),
            packets: 3,
            bytes: 180,
            devices: vec![DeviceLabel {
                id: "gateway".into(),
                mac: "74:83:c2:00:00:01".into(),
                ip: "10.10.0.1".into(),
                vendor: "Ubiquiti".into(),
                product: "UniFi Dream Machine".into(),
                kind: "gateway".into(),
                firmware: "4.0.6".into(),
            }],
            servers: vec![],
            conversations: ConversationCounts {
                tcp: 1,
                udp: 2,
                icmp: 0,
            },
            attacks: finish_attacks(&[planned(0, 1)], Timestamp::from_secs_nanos(5, 0)),
            posture: Vec::new(),
        };
        let json = serde_json::to_string(&l).unwrap();
        let back: Labels = serde_json::from_str(&json).unwrap();
        assert_eq!(back, l);
        assert!(json.contains("\"dst_port\":23"));
    }
}
