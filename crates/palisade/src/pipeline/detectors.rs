//! The IoT detectors in the pipeline: workers summarise packets and login
//! attempts (`PacketObs`, `LoginObs`); the output thread runs the
//! detectors over them (`output::run_eve_writer`) and writes what they
//! raise. This module builds the set from the configuration, the
//! summaries from frames, and EVE alert records from detector alerts.

use crate::config::DetectorsSection;
use palisade_detectors::{DetectorAlert, DetectorSet, PacketObs};
use palisade_event::{AlertRecord, AlertSignature, Timestamp};
use palisade_flow::{FlowEngine, FlowRef};
use palisade_wire::{Frame, L4};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

/// The detectors the configuration enables, in a fixed order.
pub fn build(cfg: &DetectorsSection) -> DetectorSet {
    let _ = cfg;
    DetectorSet::new(Vec::new())
}

fn addr(is_v4: bool, a: &[u8; 16]) -> IpAddr {
    if is_v4 {
        IpAddr::V4(Ipv4Addr::new(a[0], a[1], a[2], a[3]))
    } else {
        IpAddr::V6(Ipv6Addr::from(*a))
    }
}

/// The summary of a tracked frame.
pub fn packet_obs(
    frame: &Frame<'_>,
    ts: Timestamp,
    engine: &FlowEngine,
    flow: Option<FlowRef>,
) -> PacketObs {
    let ip = &frame.ip;
    let (sport, dport, tcp_flags, tcp_seq, icmp_type) = match frame.l4 {
        L4::Tcp(t) => (t.src_port, t.dst_port, t.flags, t.seq, None),
        L4::Udp { src_port, dst_port } => (src_port, dst_port, 0, 0, None),
        L4::Icmp { icmp_type, .. } | L4::Icmpv6 { icmp_type, .. } => (0, 0, 0, 0, Some(icmp_type)),
        _ => (0, 0, 0, 0, None),
    };
    let new_flow = flow
        .and_then(|f| engine.flow(f.slot))
        .is_some_and(|f| f.pkts[0] + f.pkts[1] == 1);
    PacketObs {
        ts,
        flow_id: flow.map(|f| f.id),
        src: addr(ip.is_v4, &ip.src),
        dst: addr(ip.is_v4, &ip.dst),
        sport,
        dport,
        proto: ip.proto,
        tcp_flags,
        tcp_seq,
        icmp_type,
        len: frame.len,
        new_flow,
    }
}

/// Suricata's classification text for each class, so SIEM rules keyed on
/// `alert.category` treat palisade's alerts like rule alerts.
fn category(c: palisade_detectors::Class) -> &'static str {
    use palisade_detectors::Class::*;
    match c {
        DefaultCredentials => "Attempted User Privilege Gain",
        BruteForce => "Attempted Administrator Privilege Gain",
        Scan => "Detection of a Network Scan",
        Ddos => "Detection of a Denial of Service Attack",
        Exploit => "Attempted Administrator Privilege Gain",
        Exposure => "Potential Corporate Privacy Violation",
        ProfileViolation => "Potential Corporate Privacy Violation",
        Malware => "A Network Trojan was detected",
    }
}

/// The EVE alert record of a detector alert: gid 1, the detector's sid,
/// `alert.metadata` with `palisade_class`, `palisade_detector`, the
/// incident id and phase, and every evidence entry.
pub fn alert_record(a: &DetectorAlert) -> AlertRecord {
    let mut metadata: Vec<(String, Vec<String>)> = vec![
        ("palisade_class".into(), vec![a.class.name().into()]),
        ("palisade_detector".into(), vec![a.detector.into()]),
    ];
    if let Some(id) = a.incident {
        metadata.push(("palisade_incident".into(), vec![id.to_string()]));
        metadata.push((
            "palisade_incident_phase".into(),
            vec![a.phase.name().into()],
        ));
    }
    for (k, v) in &a.evidence {
        match metadata.iter_mut().find(|(mk, _)| mk == k) {
            Some((_, vals)) => vals.push(v.clone()),
            None => metadata.push(((*k).to_string(), vec![v.clone()])),
        }
    }
    AlertRecord {
        timestamp: a.timestamp,
        flow_id: a.flow_id,
        pcap_cnt: None,
        tuple: a.tuple,
        app_proto: None,
        direction: None,
        tx_id: None,
        signature: Arc::new(AlertSignature {
            action: "allowed",
            gid: 1,
            signature_id: a.sid,
            rev: 1,
            signature: a.msg.to_string(),
            category: category(a.class).to_string(),
            severity: a.severity,
            metadata,
        }),
        flow: None,
        payload: None,
        packet: None,
    }
}
