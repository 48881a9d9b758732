//! Weak TLS on devices (a posture finding, not an attack): a device that
//! accepts SSL 3 or TLS 1.0/1.1, or presents an expired or self-signed
//! certificate. One finding per (device, port, weakness); the TLS parser
//! supplies what the handshake showed (`TlsObs`).

use crate::obs::TlsObs;
use crate::recent::RecentSet;
use crate::{Detector, Emit, Observation};
use palisade_event::{FindingRecord, Tuple};

/// `[detectors.weak_tls]`
#[derive(serde::Deserialize, serde::Serialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct WeakTlsConfig {
    /// Report self-signed device certificates (common on cameras and NVRs
    /// that generate their own; severity 3).
    pub self_signed: bool,
    /// (device, port, weakness) keys remembered so a finding is not
    /// repeated; beyond, the oldest is forgotten (and may be reported
    /// again).
    pub max_reported: usize,
}

impl Default for WeakTlsConfig {
    fn default() -> Self {
        WeakTlsConfig {
            self_signed: true,
            max_reported: 65_536,
        }
    }
}

/// The weak-TLS detector.
pub struct WeakTls {
    cfg: WeakTlsConfig,
    reported: RecentSet<(std::net::IpAddr, u16, &'static str)>,
}

impl WeakTls {
    /// With `cfg`.
    pub fn new(cfg: WeakTlsConfig) -> Self {
        WeakTls {
            reported: RecentSet::new(cfg.max_reported.max(1)),
            cfg,
        }
    }

    fn weaknesses(&self, t: &TlsObs) -> Vec<(&'static str, u8, &'static str)> {
        let mut w = Vec::new();
        match t.version.as_str() {
            "SSLv2" | "SSLv3" => w.push((
                "obsolete-protocol",
                1,
                "The device accepts SSL, broken since POODLE (2014). Update its firmware or \
                 disable SSL in its settings; put it behind a TLS 1.2+ proxy if it cannot.",
            )),
            "TLSv1" | "TLS 1.1" => w.push((
                "obsolete-protocol",
                2,
                "The device negotiated TLS 1.0/1.1, deprecated by RFC 8996. Update its \
                 firmware or require TLS 1.2+ in its settings.",
            )),
            _ => {}
        }
        if t.cert_expired == Some(true) {
            w.push((
                "expired-certificate",
                2,
                "The device presents an expired certificate, so clients either fail or are \
                 configured to ignore validation (which allows interception). Renew or \
                 re-provision the certificate.",
            ));
        }
        if self.cfg.self_signed && t.self_signed == Some(true) {
            w.push((
                "self-signed-certificate",
                3,
                "The device presents a self-signed certificate: clients cannot tell it from \
                 an impostor. Provision a certificate from the fleet's CA.",
            ));
        }
        w
    }
}

impl Detector for WeakTls {
    fn name(&self) -> &'static str {
        "weak-tls"
    }

    fn observe(&mut self, obs: Observation<'_>, out: &mut dyn Emit) {
        let Observation::Tls(t) = obs else {
            return;
        };
        for (weakness, severity, remediation) in self.weaknesses(t) {
            if !self.reported.insert((t.server, t.server_port, weakness)) {
                continue;
            }
            out.finding(FindingRecord {
                timestamp: t.ts,
                flow_id: Some(t.flow_id),
                tuple: Some(Tuple {
                    src_ip: t.client,
                    src_port: None,
                    dest_ip: t.server,
                    dest_port: Some(t.server_port),
                    proto: 6,
                }),
                class: "weak-tls",
                severity,
                device: t.server,
                evidence: serde_json::json!({
                    "weakness": weakness,
                    "version": t.version,
                    "port": t.server_port,
                    "sni": t.sni,
                    "subject": t.subject,
                    "notafter": t.not_after,
                    "client": t.client,
                }),
                remediation: remediation.into(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DetectorAlert;
    use palisade_event::Timestamp;
    use std::net::{IpAddr, Ipv4Addr};

    #[derive(Default)]
    struct Rec(Vec<FindingRecord>);
    impl Emit for Rec {
        fn alert(&mut self, _: DetectorAlert) {}
        fn finding(&mut self, f: FindingRecord) {
            self.0.push(f);
        }
    }

    fn tls(server: u8, version: &str, expired: bool, self_signed: bool) -> TlsObs {
        TlsObs {
            ts: Timestamp::from_secs_nanos(100, 0),
            flow_id: 1,
            client: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 9)),
            server: IpAddr::V4(Ipv4Addr::new(10, 0, 0, server)),
            server_port: 443,
            version: version.into(),
            sni: None,
            subject: Some("CN=cam".into()),
            not_after: Some("2020-01-01T00:00:00".into()),
            cert_expired: Some(expired),
            self_signed: Some(self_signed),
        }
    }

    #[test]
    fn each_weakness_once_per_device_and_port() {
        let mut d = WeakTls::new(WeakTlsConfig::default());
        let mut r = Rec::default();
        d.observe(Observation::Tls(&tls(5, "TLS 1.3", false, false)), &mut r);
        assert!(r.0.is_empty(), "a sound handshake is no finding");
        let weak = tls(5, "TLSv1", true, true);
        d.observe(Observation::Tls(&weak), &mut r);
        d.observe(Observation::Tls(&weak), &mut r);
        let kinds: Vec<&str> =
            r.0.iter()
                .map(|f| f.evidence["weakness"].as_str().unwrap())
                .collect();
        assert_eq!(
            kinds,
            vec![
                "obsolete-protocol",
                "expired-certificate",
                "self-signed-certificate"
            ]
        );
        assert_eq!(
            r.0.iter().map(|f| f.severity).collect::<Vec<_>>(),
            vec![2, 2, 3]
        );
        assert!(r
            .0
            .iter()
            .all(|f| f.class == "weak-tls" && !f.remediation.is_empty()));
        // SSL 3 is severity 1; another device is reported on its own
        d.observe(Observation::Tls(&tls(6, "SSLv3", false, false)), &mut r);
        assert_eq!(r.0.last().map(|f| f.severity), Some(1));
        // self-signed can be turned off
        let mut d = WeakTls::new(WeakTlsConfig {
            self_signed: false,
            ..WeakTlsConfig::default()
        });
        let mut r = Rec::default();
        d.observe(Observation::Tls(&tls(7, "TLS 1.2", false, true)), &mut r);
        assert!(r.0.is_empty());
    }
}
