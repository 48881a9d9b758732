//! The IoT detectors in the pipeline: workers summarise packets and login
//! attempts (`PacketObs`, `LoginObs`); the output thread runs the
//! detectors over them (`output::run_eve_writer`) and writes what they
//! raise. This module builds the set from the configuration, the
//! summaries from frames, and EVE alert records from detector alerts.

use crate::config::DetectorsSection;
use palisade_detectors::creds::CredDb;
use palisade_detectors::{DetectorAlert, DetectorSet, LoginObs, PacketObs};
use palisade_event::{AlertRecord, AlertSignature, Timestamp};
use palisade_flow::{FlowEngine, FlowRef};
use palisade_wire::{Frame, L4};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

/// The default-credential database: the compiled-in one plus the
/// configured file.
pub fn credential_db(cfg: &DetectorsSection) -> anyhow::Result<Arc<CredDb>> {
    use anyhow::Context;
    let bad = cfg.ddos.invalid_home_net();
    if !bad.is_empty() {
        anyhow::bail!("detectors.ddos.home_net: not a network: {}", bad.join(", "));
    }
    let bad = cfg.exposure.invalid_home_net();
    if !bad.is_empty() {
        anyhow::bail!(
            "detectors.exposure.home_net: not a network: {}",
            bad.join(", ")
        );
    }
    let bad = cfg.kalay.invalid_vendor_servers();
    if !bad.is_empty() {
        anyhow::bail!(
            "detectors.kalay.vendor_servers: not a network: {}",
            bad.join(", ")
        );
    }
    let bad = cfg.axeda.invalid_nets();
    if !bad.is_empty() {
        anyhow::bail!("detectors.axeda: not a network: {}", bad.join(", "));
    }
    let extra = match &cfg.credentials_file {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("reading credentials file {}", p.display()))?;
            CredDb::from_csv_text(&text, "user-file")
                .with_context(|| format!("credentials file {}", p.display()))?
        }
        None => CredDb::from_csv_text("", "user-file")?,
    };
    Ok(Arc::new(CredDb::builtin_with(extra)))
}

/// The detectors the configuration enables, in a fixed order; fails when
/// a configured MUD file cannot be read or parsed.
pub fn build(cfg: &DetectorsSection, db: Arc<CredDb>) -> anyhow::Result<DetectorSet> {
    use palisade_detectors::{
        axeda, brute_force, cleartext, ddos, default_creds, exposure, kalay, mirai, profile, scan,
        shared_cred, weak_tls,
    };
    let mut set: Vec<Box<dyn palisade_detectors::Detector>> = vec![
        Box::new(scan::Scan::new(cfg.scan.clone())),
        Box::new(mirai::Mirai::new(cfg.mirai.clone())),
        Box::new(ddos::Ddos::new(cfg.ddos.clone())),
        Box::new(default_creds::DefaultCreds::with_db(
            cfg.default_credentials.clone(),
            db,
        )),
        Box::new(cleartext::Cleartext::new(cfg.cleartext_credentials.clone())),
        Box::new(brute_force::BruteForce::new(cfg.brute_force.clone())),
        Box::new(weak_tls::WeakTls::new(cfg.weak_tls.clone())),
        Box::new(exposure::Exposure::new(cfg.exposure.clone())),
        Box::new(kalay::Kalay::new(cfg.kalay.clone())),
        Box::new(axeda::Axeda::new(cfg.axeda.clone())),
        Box::new(shared_cred::SharedCred::new(cfg.shared_credential.clone())),
    ];
    if cfg.profile.enabled {
        set.push(Box::new(
            profile::Profile::load(cfg.profile.clone()).map_err(anyhow::Error::msg)?,
        ));
    }
    Ok(DetectorSet::new(set))
}

/// Digest checks remembered per flow: a Digest check tries every default
/// password of the user (hundreds of hashes), and a camera's RTSP or HTTP
/// client repeats the same credential on every request of a session. The
/// result for (flow, user, realm) is reused until an attempt fails (then
/// the next one may carry another password and is checked again).
#[derive(Default)]
pub struct DigestMemo {
    map: std::collections::HashMap<(u64, u64), (Option<u32>, palisade_proto::LoginOutcome)>,
}

/// Remembered Digest checks per worker; the memo is emptied when full.
pub const DIGEST_MEMO_MAX: usize = 8192;

/// What a worker needs to describe login attempts to the detectors.
pub struct LoginCheck {
    /// The default-credential database.
    pub db: Arc<CredDb>,
    /// Fingerprint salt.
    pub salt: Vec<u8>,
}

impl LoginCheck {
    /// The observation of a login attempt: the secret is tested here and
    /// only the matching entry and a salted fingerprint go on.
    #[allow(clippy::too_many_arguments)]
    pub fn observe(
        &self,
        memo: &mut DigestMemo,
        c: &palisade_proto::Credential<'_>,
        ts: Timestamp,
        flow_id: u64,
        tx_id: u64,
        client: (IpAddr, u16),
        server: (IpAddr, u16),
        final_outcome: bool,
    ) -> LoginObs {
        use palisade_detectors::obs::SecretKind;
        use palisade_proto::Secret;
        let (secret, fingerprint) = match c.secret {
            Secret::Plain(p) => (
                SecretKind::Plain,
                Some(palisade_detectors::creds::fingerprint(
                    &self.salt, c.service, c.username, p,
                )),
            ),
            Secret::Digest(_) => (SecretKind::Digest, None),
            Secret::None => (SecretKind::None, None),
        };
        let default_entry = match c.secret {
            Secret::Digest(d) => {
                use std::hash::{Hash, Hasher};
                let mut h = std::collections::hash_map::DefaultHasher::new();
                c.username.hash(&mut h);
                d.realm.hash(&mut h);
                let key = (flow_id, h.finish());
                match memo.map.get(&key) {
                    Some((e, last)) if *last != palisade_proto::LoginOutcome::Failure => {
                        let e = *e;
                        memo.map.insert(key, (e, c.outcome));
                        e
                    }
                    _ => {
                        let e = self.db.check(c);
                        if memo.map.len() >= DIGEST_MEMO_MAX {
                            memo.map.clear();
                        }
                        memo.map.insert(key, (e, c.outcome));
                        e
                    }
                }
            }
            _ => self.db.check(c),
        };
        LoginObs {
            ts,
            flow_id,
            tx_id,
            client: client.0,
            client_port: client.1,
            server: server.0,
            server_port: server.1,
            service: c.service,
            username: String::from_utf8_lossy(c.username).into_owned(),
            secret,
            default_entry,
            fingerprint,
            outcome: c.outcome,
            final_outcome,
        }
    }
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
        payload_len: u32::try_from(frame.payload.len()).unwrap_or(u32::MAX),
        new_flow,
        macs: None,
    }
}

/// The TLS facts the weak-TLS detector needs, read from the TLS
/// transaction's EVE object (the logger is the one place that turns the
/// handshake into Suricata's names for versions and certificate fields).
pub fn tls_obs(
    log: &serde_json::Map<String, serde_json::Value>,
    ts: Timestamp,
    flow_id: u64,
    client: IpAddr,
    server: (IpAddr, u16),
) -> palisade_detectors::TlsObs {
    let s = |k: &str| log.get(k).and_then(|v| v.as_str()).map(str::to_string);
    let b = |k: &str| log.get(k).and_then(|v| v.as_bool());
    palisade_detectors::TlsObs {
        ts,
        flow_id,
        client,
        server: server.0,
        server_port: server.1,
        version: s("version").unwrap_or_default(),
        sni: s("sni"),
        subject: s("subject"),
        not_after: s("notafter"),
        cert_expired: b("cert_expired"),
        self_signed: b("self_signed"),
    }
}

/// The Kalay facts the `kalay` detector needs, read from the Kalay
/// transaction's EVE object (as [`tls_obs`] does for TLS): None when the
/// message names no UID. `sender`/`receiver` are the datagram's ends.
pub fn kalay_obs(
    log: &serde_json::Map<String, serde_json::Value>,
    ts: Timestamp,
    flow_id: u64,
    sender: (IpAddr, u16),
    receiver: (IpAddr, u16),
) -> Option<palisade_detectors::KalayObs> {
    let uid = log.get("uid")?.as_str()?.to_string();
    let msg_type = log
        .get("msg_type")
        .and_then(|v| v.as_str())
        .and_then(|s| u16::from_str_radix(s.trim_start_matches("0x"), 16).ok())
        .unwrap_or(0);
    Some(palisade_detectors::KalayObs {
        ts,
        flow_id,
        src: sender.0,
        src_port: sender.1,
        dst: receiver.0,
        dst_port: receiver.1,
        uid,
        msg_type,
        registration: log.get("registration").and_then(|v| v.as_bool()) == Some(true),
    })
}

/// The names and addresses of a DNS response, read from the DNS
/// transaction's EVE object (Suricata's version 3 format: `queries`,
/// `answers` with `rrname` / `rrtype` / `ttl` / `rdata`); None for a
/// request without a response or a response without addresses.
pub fn dns_obs(
    log: &serde_json::Map<String, serde_json::Value>,
    ts: Timestamp,
    client: IpAddr,
    server: IpAddr,
) -> Option<palisade_detectors::DnsObs> {
    use palisade_detectors::obs::{DNS_OBS_MAX_ADDRS, DNS_OBS_MAX_NAMES};
    if log.get("type").and_then(|v| v.as_str()) != Some("response") {
        return None;
    }
    let norm = |s: &str| s.trim_end_matches('.').to_ascii_lowercase();
    let mut names: Vec<String> = Vec::new();
    let add = |n: String, names: &mut Vec<String>| {
        if !n.is_empty() && names.len() < DNS_OBS_MAX_NAMES && !names.contains(&n) {
            names.push(n);
        }
    };
    for q in log
        .get("queries")
        .and_then(|v| v.as_array())
        .into_iter()
        .flatten()
    {
        if let Some(n) = q.get("rrname").and_then(|v| v.as_str()) {
            add(norm(n), &mut names);
        }
    }
    let mut addrs = Vec::new();
    let mut ttl = u32::MAX;
    for a in log
        .get("answers")
        .and_then(|v| v.as_array())
        .into_iter()
        .flatten()
    {
        let rrtype = a.get("rrtype").and_then(|v| v.as_str()).unwrap_or("");
        let rdata = a.get("rdata").and_then(|v| v.as_str()).unwrap_or("");
        match rrtype {
            "CNAME" => add(norm(rdata), &mut names),
            "A" | "AAAA" => {
                if let Ok(ip) = rdata.parse::<IpAddr>() {
                    if addrs.len() < DNS_OBS_MAX_ADDRS && !addrs.contains(&ip) {
                        addrs.push(ip);
                    }
                    let t = a.get("ttl").and_then(|v| v.as_u64()).unwrap_or(0);
                    ttl = ttl.min(u32::try_from(t).unwrap_or(u32::MAX));
                }
            }
            _ => {}
        }
    }
    if addrs.is_empty() || names.is_empty() {
        return None;
    }
    Some(palisade_detectors::DnsObs {
        ts,
        client,
        server,
        names,
        addrs,
        ttl,
    })
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
        capture_file: None,
        // a detector alert sums up packets that may have come from
        // several sources: none is named
        source: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_facts_from_the_dns_record() {
        let log = serde_json::json!({
            "version": 3, "type": "response", "rcode": "NOERROR",
            "queries": [{"rrname": "A1.TuyaEU.com", "rrtype": "A"}],
            "answers": [
                {"rrname": "a1.tuyaeu.com", "rrtype": "CNAME", "ttl": 600, "rdata": "a1.edge-eu.tuyaeu.com"},
                {"rrname": "a1.edge-eu.tuyaeu.com", "rrtype": "A", "ttl": 300, "rdata": "203.0.113.10"},
                {"rrname": "a1.edge-eu.tuyaeu.com", "rrtype": "AAAA", "ttl": 60,
                 "rdata": "2001:0db8:0a00:0000:0000:0000:0000:0001"}
            ]
        });
        let ip = |d| IpAddr::V4(Ipv4Addr::new(10, 0, 0, d));
        let d = dns_obs(
            log.as_object().unwrap(),
            Timestamp::from_secs_nanos(5, 0),
            ip(9),
            ip(1),
        )
        .unwrap();
        assert_eq!(d.names, vec!["a1.tuyaeu.com", "a1.edge-eu.tuyaeu.com"]);
        assert_eq!(d.addrs.len(), 2);
        assert_eq!(d.addrs[1], "2001:db8:a00::1".parse::<IpAddr>().unwrap());
        assert_eq!((d.ttl, d.client, d.server), (60, ip(9), ip(1)));
        // a request, or NXDOMAIN without addresses: nothing
        let q = serde_json::json!({"type": "request", "queries": [{"rrname": "x.example"}]});
        assert!(dns_obs(q.as_object().unwrap(), Timestamp::ZERO, ip(9), ip(1)).is_none());
        let nx = serde_json::json!({"type": "response", "rcode": "NXDOMAIN",
            "queries": [{"rrname": "x.example"}]});
        assert!(dns_obs(nx.as_object().unwrap(), Timestamp::ZERO, ip(9), ip(1)).is_none());
    }

    #[test]
    fn tls_facts_from_the_tls_record() {
        let log = serde_json::json!({
            "version": "TLSv1", "sni": "cam.local", "subject": "CN=cam.local",
            "notafter": "2020-01-01T00:00:00", "cert_expired": true, "self_signed": true
        });
        let ip = |d| IpAddr::V4(Ipv4Addr::new(10, 0, 0, d));
        let t = tls_obs(
            log.as_object().unwrap(),
            Timestamp::from_secs_nanos(5, 0),
            7,
            ip(9),
            (ip(5), 443),
        );
        assert_eq!(t.version, "TLSv1");
        assert_eq!((t.server, t.server_port, t.client), (ip(5), 443, ip(9)));
        assert_eq!(t.cert_expired, Some(true));
        assert_eq!(t.self_signed, Some(true));
        assert_eq!(t.sni.as_deref(), Some("cam.local"));
        // the weak-TLS detector reports all three weaknesses of it
        struct Rec(Vec<String>);
        impl palisade_detectors::Emit for Rec {
            fn alert(&mut self, _: DetectorAlert) {}
            fn finding(&mut self, f: palisade_event::FindingRecord) {
                self.0
                    .push(f.evidence["weakness"].as_str().unwrap_or("").to_string());
            }
        }
        let mut set = build(
            &DetectorsSection::default(),
            Arc::new(CredDb::builtin_with(
                CredDb::from_csv_text("", "t").unwrap(),
            )),
        )
        .unwrap();
        let mut r = Rec(Vec::new());
        set.observe(t.ts, palisade_detectors::Observation::Tls(&t), &mut r);
        assert_eq!(
            r.0,
            vec![
                "obsolete-protocol",
                "expired-certificate",
                "self-signed-certificate"
            ]
        );
    }

    #[test]
    fn kalay_facts_from_the_kalay_record() {
        let ip = |d| IpAddr::V4(Ipv4Addr::new(10, 0, 0, d));
        let log = serde_json::json!({
            "msg_type": "0x0210", "direction": "device_to_server",
            "uid": "ABCD1234EFGH5678JKLM", "registration": true
        });
        let ts = Timestamp::from_secs_nanos(5, 0);
        let k = kalay_obs(
            log.as_object().unwrap(),
            ts,
            3,
            (ip(5), 4000),
            (ip(9), 10240),
        )
        .unwrap();
        assert_eq!(
            (k.src, k.src_port, k.dst, k.dst_port),
            (ip(5), 4000, ip(9), 10240)
        );
        assert_eq!((k.msg_type, k.registration), (0x0210, true));
        assert_eq!(k.uid, "ABCD1234EFGH5678JKLM");
        let none = serde_json::json!({"msg_type": "0x0428", "registration": false});
        assert!(kalay_obs(none.as_object().unwrap(), ts, 3, (ip(5), 1), (ip(9), 2)).is_none());
        // a second device registering the UID alerts through the built set
        struct Rec(Vec<u32>);
        impl palisade_detectors::Emit for Rec {
            fn alert(&mut self, a: DetectorAlert) {
                self.0.push(a.sid);
            }
            fn finding(&mut self, _: palisade_event::FindingRecord) {}
        }
        let mut set = build(
            &DetectorsSection::default(),
            Arc::new(CredDb::builtin_with(
                CredDb::from_csv_text("", "t").unwrap(),
            )),
        )
        .unwrap();
        let mut r = Rec(Vec::new());
        set.observe(ts, palisade_detectors::Observation::Kalay(&k), &mut r);
        let mut k2 = k.clone();
        k2.src = ip(66);
        set.observe(ts, palisade_detectors::Observation::Kalay(&k2), &mut r);
        assert_eq!(r.0, vec![palisade_detectors::kalay::SID_SECOND_DEVICE]);
    }
}
