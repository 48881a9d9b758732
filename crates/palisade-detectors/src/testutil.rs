//! Test helpers shared by the detectors' tests.

use crate::{DetectorAlert, Emit, PacketObs};
use palisade_event::{FindingRecord, Timestamp};
use std::net::IpAddr;

/// Records what detectors emit.
#[derive(Default)]
pub struct Rec {
    pub alerts: Vec<DetectorAlert>,
    pub findings: Vec<FindingRecord>,
}

impl Emit for Rec {
    fn alert(&mut self, a: DetectorAlert) {
        self.alerts.push(a);
    }
    fn finding(&mut self, f: FindingRecord) {
        self.findings.push(f);
    }
}

impl Rec {
    /// Evidence `key` of alert `i`.
    pub fn ev(&self, i: usize, key: &str) -> Option<&str> {
        self.alerts
            .get(i)?
            .evidence
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// A packet at second `s`, no ports or flags, 60 bytes.
pub fn pkt(src: IpAddr, dst: IpAddr, proto: u8, s: u64) -> PacketObs {
    PacketObs {
        ts: Timestamp::from_secs_nanos(s, 0),
        flow_id: None,
        src,
        dst,
        sport: 0,
        dport: 0,
        proto,
        tcp_flags: 0,
        tcp_seq: 0,
        icmp_type: None,
        len: 60,
        payload_len: 0,
        new_flow: false,
        macs: None,
    }
}
