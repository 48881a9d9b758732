//! Event records and their EVE JSON form.
//!
//! Field names and formats follow Suricata's EVE schema so that SIEM
//! pipelines built for Suricata ingest palisade unchanged. palisade's own
//! event types use the same envelope (`timestamp`, `flow_id`, `event_type`,
//! the 5-tuple, then an object named after the event type).

use crate::Timestamp;
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use std::net::IpAddr;

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut buf = Vec::with_capacity(32);
        self.write_eve(&mut buf);
        // write_eve only emits ASCII digits and punctuation
        s.serialize_str(std::str::from_utf8(&buf).unwrap_or(""))
    }
}

/// The protocol name Suricata prints for an IP protocol number.
pub fn proto_name(proto: u8) -> ProtoName {
    ProtoName(proto)
}

/// An IP protocol number that serialises as Suricata names it ("TCP", "UDP",
/// "ICMP", "IPv6-ICMP", ...; other numbers as their decimal value in a string).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProtoName(pub u8);

impl ProtoName {
    /// The name, if the protocol has one palisade knows.
    pub fn known(self) -> Option<&'static str> {
        Some(match self.0 {
            1 => "ICMP",
            2 => "IGMP",
            4 => "IPIP",
            6 => "TCP",
            17 => "UDP",
            41 => "IPv6",
            47 => "GRE",
            50 => "ESP",
            51 => "AH",
            58 => "IPv6-ICMP",
            132 => "SCTP",
            _ => return None,
        })
    }
}

impl Serialize for ProtoName {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.known() {
            Some(n) => s.serialize_str(n),
            None => s.collect_str(&format_args!("{:03}", self.0)),
        }
    }
}

/// The 5-tuple of the envelope, oriented as the record wants it (for flows:
/// client to server).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tuple {
    /// Source address.
    pub src_ip: IpAddr,
    /// Source port (absent for protocols without ports).
    pub src_port: Option<u16>,
    /// Destination address.
    pub dest_ip: IpAddr,
    /// Destination port.
    pub dest_port: Option<u16>,
    /// IP protocol number.
    pub proto: u8,
}

/// Why a flow record was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EndReason {
    /// The flow was idle for its state's timeout.
    Timeout,
    /// The flow was evicted early (memcap) or replaced (TCP port reuse).
    Forced,
    /// End of input (or sensor stop) with the flow still open.
    Shutdown,
}

/// A flow's state when it was logged, in Suricata's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FlowState {
    /// Packets from one side only / TCP handshake not complete.
    New,
    /// Both sides seen / TCP handshake complete.
    Established,
    /// TCP closed by FIN or RST.
    Closed,
}

/// The `flow` object of a flow record.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FlowStats {
    /// Packets client to server.
    pub pkts_toserver: u64,
    /// Packets server to client.
    pub pkts_toclient: u64,
    /// Bytes client to server (whole packets, as Suricata counts).
    pub bytes_toserver: u64,
    /// Bytes server to client.
    pub bytes_toclient: u64,
    /// First packet's time.
    pub start: Timestamp,
    /// Last packet's time.
    pub end: Timestamp,
    /// Whole seconds from start to end.
    pub age: u64,
    /// State at logging time.
    pub state: FlowState,
    /// Why it was logged.
    pub reason: EndReason,
    /// Whether an alert fired on the flow.
    pub alerted: bool,
}

/// The `tcp` object of a TCP flow record.
#[derive(Clone, Debug, PartialEq)]
pub struct TcpSummary {
    /// Union of flags seen client to server.
    pub flags_ts: u8,
    /// Union of flags seen server to client.
    pub flags_tc: u8,
    /// TCP tracking state name ("established", "closed", "syn_sent", ...).
    pub state: &'static str,
}

impl Serialize for TcpSummary {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let all = self.flags_ts | self.flags_tc;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("tcp_flags", &format_args!("{all:02x}").to_string())?;
        m.serialize_entry(
            "tcp_flags_ts",
            &format_args!("{:02x}", self.flags_ts).to_string(),
        )?;
        m.serialize_entry(
            "tcp_flags_tc",
            &format_args!("{:02x}", self.flags_tc).to_string(),
        )?;
        for (bit, name) in [
            (0x01, "fin"),
            (0x02, "syn"),
            (0x04, "rst"),
            (0x08, "psh"),
            (0x10, "ack"),
            (0x20, "urg"),
            (0x40, "ecn"),
            (0x80, "cwr"),
        ] {
            if all & bit != 0 {
                m.serialize_entry(name, &true)?;
            }
        }
        m.serialize_entry("state", self.state)?;
        m.end()
    }
}

/// A flow ended (or the input ended with it open).
#[derive(Clone, Debug, PartialEq)]
pub struct FlowRecord {
    /// Flow id, shared by every record of the flow.
    pub flow_id: u64,
    /// Client-to-server tuple.
    pub tuple: Tuple,
    /// VLAN ids of the flow key, outermost first.
    pub vlan: Vec<u16>,
    /// Tunnel id of the flow key (0 = not tunnelled).
    pub tunnel_id: u32,
    /// Application protocol, once known.
    pub app_proto: Option<&'static str>,
    /// Counters and times.
    pub flow: FlowStats,
    /// TCP details for TCP flows.
    pub tcp: Option<TcpSummary>,
    /// Index of the live source the flow's first packet came from (written as
    /// `in_iface` with the source's name by a live sensor; 0 for files).
    pub source: u16,
}

/// Kind of anomaly, Suricata's `anomaly.type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AnomalyType {
    /// Raised by a packet decoder.
    Decode,
    /// Raised by TCP tracking or reassembly.
    Stream,
    /// Raised by an application-layer parser.
    Applayer,
    /// Raised by defragmentation.
    Defrag,
    /// Raised by the flow table.
    Flow,
}

/// Something odd in the traffic or a limit that was hit.
#[derive(Clone, Debug, PartialEq)]
pub struct AnomalyRecord {
    /// When (packet time).
    pub timestamp: Timestamp,
    /// Packet number in the input, when a single packet caused it.
    pub pcap_cnt: Option<u64>,
    /// Flow id, when the anomaly belongs to a flow.
    pub flow_id: Option<u64>,
    /// The packet's tuple, when known.
    pub tuple: Option<Tuple>,
    /// Anomaly kind.
    pub kind: AnomalyType,
    /// Event name (`decoder.ipv4.trunc_pkt`, `stream.reassembly_seq_gap`, ...).
    pub event: &'static str,
    /// Application protocol for app-layer anomalies.
    pub app_proto: Option<&'static str>,
    /// Index of the live source the packet came from (written as
    /// `in_iface` with the source's name by a live sensor; 0 for files).
    pub source: u16,
}

/// What a rule says about itself in every alert it raises (built once per
/// rule when the rule set loads, shared by its alerts).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct AlertSignature {
    /// `allowed` or `blocked`, as Suricata writes it in IDS mode (reject
    /// rules are `blocked` because the reset is sent; drop is `allowed`
    /// because nothing is dropped offline).
    pub action: &'static str,
    /// Generator id.
    pub gid: u32,
    /// Signature id.
    pub signature_id: u32,
    /// Revision.
    pub rev: u32,
    /// `msg`.
    pub signature: String,
    /// Classification description.
    pub category: String,
    /// Severity (priority).
    pub severity: u8,
    /// `metadata`: key → values, keys in first-seen order.
    pub metadata: Vec<(String, Vec<String>)>,
}

/// An alert.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertRecord {
    /// Packet time.
    pub timestamp: Timestamp,
    /// Flow id, when the packet belongs to a flow.
    pub flow_id: Option<u64>,
    /// Packet number in the input.
    pub pcap_cnt: Option<u64>,
    /// The packet's tuple, oriented as the packet (or the stream data's sender).
    pub tuple: Tuple,
    /// App-layer protocol of the flow.
    pub app_proto: Option<&'static str>,
    /// `to_server` or `to_client`, when in a flow.
    pub direction: Option<&'static str>,
    /// Transaction id for app-layer matches.
    pub tx_id: Option<u64>,
    /// The rule.
    pub signature: std::sync::Arc<AlertSignature>,
    /// Flow counters at alert time (client → server orientation).
    pub flow: Option<AlertFlow>,
    /// Base64 of the matched payload, when enabled.
    pub payload: Option<String>,
    /// Base64 of the whole packet, when enabled.
    pub packet: Option<String>,
    /// The pcapng file holding the packets of the alert's flow
    /// (`palisade sensor --capture-dir`).
    pub capture_file: Option<String>,
    /// Index of the live source the packet came from (written as
    /// `in_iface` with the source's name by a live sensor; 0 for files).
    pub source: u16,
}

/// The `flow` object of an alert.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct AlertFlow {
    /// Packets client → server.
    pub pkts_toserver: u64,
    /// Packets server → client.
    pub pkts_toclient: u64,
    /// Bytes client → server.
    pub bytes_toserver: u64,
    /// Bytes server → client.
    pub bytes_toclient: u64,
    /// First packet of the flow.
    pub start: Timestamp,
    /// Client address.
    pub src_ip: IpAddr,
    /// Server address.
    pub dest_ip: IpAddr,
    /// Client port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub src_port: Option<u16>,
    /// Server port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dest_port: Option<u16>,
}

/// A completed app-layer transaction (`http`, `dns`, `mqtt`, ...): the
/// envelope plus the protocol's own object, built by its logger.
#[derive(Clone, Debug, PartialEq)]
pub struct AppRecord {
    /// Time of the packet that completed the transaction.
    pub timestamp: Timestamp,
    /// Flow id.
    pub flow_id: u64,
    /// Packet number of that packet.
    pub pcap_cnt: Option<u64>,
    /// Client → server tuple.
    pub tuple: Tuple,
    /// EVE `event_type` (also the key of `body`).
    pub event_type: &'static str,
    /// Transaction id within the flow.
    pub tx_id: u64,
    /// The protocol's object.
    pub body: serde_json::Value,
    /// Index of the live source the packet came from (written as
    /// `in_iface` with the source's name by a live sensor; 0 for files).
    pub source: u16,
}

/// A posture finding (not an attack): cleartext credentials in use, weak
/// TLS, an exposed service, ... palisade's own EVE type `finding`.
#[derive(Clone, Debug, PartialEq)]
pub struct FindingRecord {
    /// Packet time of the evidence.
    pub timestamp: Timestamp,
    /// Flow of the evidence, if one.
    pub flow_id: Option<u64>,
    /// Tuple of the evidence, if one.
    pub tuple: Option<Tuple>,
    /// Class (`cleartext-credentials`, `weak-tls`, `exposed-service`, ...).
    pub class: &'static str,
    /// 1 (high) to 3 (low).
    pub severity: u8,
    /// The device concerned.
    pub device: IpAddr,
    /// Evidence (service, user name, counts, ...; never a secret).
    pub evidence: serde_json::Value,
    /// What to do about it (built-in texts are static; advisory texts
    /// come from the advisory database).
    pub remediation: std::borrow::Cow<'static, str>,
}

/// One event on palisade's event stream.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// An alert.
    Alert(Box<AlertRecord>),
    /// A flow record.
    Flow(Box<FlowRecord>),
    /// An anomaly record.
    Anomaly(Box<AnomalyRecord>),
    /// An app-layer transaction record.
    App(Box<AppRecord>),
    /// A posture finding.
    Finding(Box<FindingRecord>),
    /// The final (or periodic) statistics record: its `stats` object.
    Stats {
        /// When (packet time of the last packet).
        timestamp: Timestamp,
        /// The `stats` object.
        stats: serde_json::Value,
    },
}

/// Every EVE event type palisade can write (for `--eve-types` validation).
pub const EVENT_TYPES: &[&str] = &[
    "alert", "flow", "anomaly", "stats", "http", "dns", "tls", "ssh", "telnet", "ftp", "mqtt",
    "rtsp", "coap", "snmp", "ssdp", "dhcp", "tftp", "wsd", "kalay", "finding",
];

impl Event {
    /// The EVE `event_type`.
    pub fn event_type(&self) -> &'static str {
        match self {
            Event::Alert(_) => "alert",
            Event::Flow(_) => "flow",
            Event::Anomaly(_) => "anomaly",
            Event::App(a) => a.event_type,
            Event::Finding(_) => "finding",
            Event::Stats { .. } => "stats",
        }
    }

    /// Appends the record's EVE JSON line (with the trailing newline).
    pub fn write_eve(&self, out: &mut Vec<u8>) {
        // Serialising into a Vec cannot fail for these types.
        let _ = serde_json::to_writer(&mut *out, self);
        out.push(b'\n');
    }

    /// The live source the record's packet came from, counted from 1
    /// (0: not live, or not one packet's).
    pub fn source(&self) -> u16 {
        match self {
            Event::Alert(a) => a.source,
            Event::Flow(f) => f.source,
            Event::Anomaly(a) => a.source,
            Event::App(a) => a.source,
            Event::Finding(_) | Event::Stats { .. } => 0,
        }
    }

    /// Appends the EVE line with Suricata's `in_iface` (after
    /// `event_type`) naming the record's live source among `sources`.
    pub fn write_eve_named(&self, out: &mut Vec<u8>, sources: &[String]) {
        let start = out.len();
        self.write_eve(out);
        let Some(name) = usize::from(self.source())
            .checked_sub(1)
            .and_then(|i| sources.get(i))
        else {
            return;
        };
        // the first `"event_type":"..."` is the top-level one: only
        // numbers and timestamps precede it
        const KEY: &[u8] = b"\"event_type\":\"";
        let Some(at) = out[start..].windows(KEY.len()).position(|w| w == KEY) else {
            return;
        };
        let value = start + at + KEY.len();
        let Some(end) = out[value..].iter().position(|b| *b == b'"') else {
            return;
        };
        let mut field = b",\"in_iface\":".to_vec();
        let _ = serde_json::to_writer(&mut field, name);
        let insert_at = value + end + 1;
        out.splice(insert_at..insert_at, field);
    }
}

fn tuple_entries<M: SerializeMap>(m: &mut M, t: &Tuple) -> Result<(), M::Error> {
    m.serialize_entry("src_ip", &t.src_ip)?;
    if let Some(p) = t.src_port {
        m.serialize_entry("src_port", &p)?;
    }
    m.serialize_entry("dest_ip", &t.dest_ip)?;
    if let Some(p) = t.dest_port {
        m.serialize_entry("dest_port", &p)?;
    }
    m.serialize_entry("proto", &ProtoName(t.proto))
}

impl Serialize for Event {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        match self {
            Event::Alert(a) => {
                m.serialize_entry("timestamp", &a.timestamp)?;
                if let Some(id) = a.flow_id {
                    m.serialize_entry("flow_id", &id)?;
                }
                if let Some(c) = a.pcap_cnt {
                    m.serialize_entry("pcap_cnt", &c)?;
                }
                m.serialize_entry("event_type", "alert")?;
                tuple_entries(&mut m, &a.tuple)?;
                if let Some(d) = a.direction {
                    m.serialize_entry("direction", d)?;
                }
                if let Some(t) = a.tx_id {
                    m.serialize_entry("tx_id", &t)?;
                }
                struct Body<'a>(&'a AlertSignature);
                impl Serialize for Body<'_> {
                    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                        let a = self.0;
                        let mut m = s.serialize_map(None)?;
                        m.serialize_entry("action", a.action)?;
                        m.serialize_entry("gid", &a.gid)?;
                        m.serialize_entry("signature_id", &a.signature_id)?;
                        m.serialize_entry("rev", &a.rev)?;
                        m.serialize_entry("signature", &a.signature)?;
                        m.serialize_entry("category", &a.category)?;
                        m.serialize_entry("severity", &a.severity)?;
                        if !a.metadata.is_empty() {
                            struct Meta<'a>(&'a [(String, Vec<String>)]);
                            impl Serialize for Meta<'_> {
                                fn serialize<S: Serializer>(
                                    &self,
                                    s: S,
                                ) -> Result<S::Ok, S::Error> {
                                    let mut m = s.serialize_map(Some(self.0.len()))?;
                                    for (k, v) in self.0 {
                                        m.serialize_entry(k, v)?;
                                    }
                                    m.end()
                                }
                            }
                            m.serialize_entry("metadata", &Meta(&a.metadata))?;
                        }
                        m.end()
                    }
                }
                m.serialize_entry("alert", &Body(&a.signature))?;
                if let Some(p) = a.app_proto {
                    m.serialize_entry("app_proto", p)?;
                }
                if let Some(f) = &a.flow {
                    m.serialize_entry("flow", f)?;
                }
                if let Some(p) = &a.payload {
                    m.serialize_entry("payload", p)?;
                }
                if let Some(p) = &a.packet {
                    m.serialize_entry("packet", p)?;
                }
                if let Some(c) = &a.capture_file {
                    m.serialize_entry("capture_file", c)?;
                }
            }
            Event::Flow(f) => {
                m.serialize_entry("timestamp", &f.flow.start)?;
                m.serialize_entry("flow_id", &f.flow_id)?;
                m.serialize_entry("event_type", "flow")?;
                if !f.vlan.is_empty() {
                    m.serialize_entry("vlan", &f.vlan)?;
                }
                tuple_entries(&mut m, &f.tuple)?;
                if f.tunnel_id != 0 {
                    m.serialize_entry("tunnel_id", &f.tunnel_id)?;
                }
                if let Some(a) = f.app_proto {
                    m.serialize_entry("app_proto", a)?;
                }
                m.serialize_entry("flow", &f.flow)?;
                if let Some(tcp) = &f.tcp {
                    m.serialize_entry("tcp", tcp)?;
                }
            }
            Event::Anomaly(a) => {
                m.serialize_entry("timestamp", &a.timestamp)?;
                if let Some(id) = a.flow_id {
                    m.serialize_entry("flow_id", &id)?;
                }
                if let Some(c) = a.pcap_cnt {
                    m.serialize_entry("pcap_cnt", &c)?;
                }
                m.serialize_entry("event_type", "anomaly")?;
                if let Some(t) = &a.tuple {
                    tuple_entries(&mut m, t)?;
                }
                struct Body<'a>(&'a AnomalyRecord);
                impl Serialize for Body<'_> {
                    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                        let mut m = s.serialize_map(None)?;
                        if let Some(p) = self.0.app_proto {
                            m.serialize_entry("app_proto", p)?;
                        }
                        m.serialize_entry("type", &self.0.kind)?;
                        // App-layer events are named `proto.event` inside
                        // palisade; Suricata writes the bare event name
                        // with the protocol beside it.
                        let ev = match (self.0.kind, self.0.app_proto) {
                            (AnomalyType::Applayer, Some(p)) => self
                                .0
                                .event
                                .strip_prefix(p)
                                .and_then(|r| r.strip_prefix('.'))
                                .unwrap_or(self.0.event),
                            _ => self.0.event,
                        };
                        m.serialize_entry("event", ev)?;
                        if self.0.kind == AnomalyType::Applayer {
                            m.serialize_entry("layer", "proto_parser")?;
                        }
                        m.end()
                    }
                }
                m.serialize_entry("anomaly", &Body(a))?;
            }
            Event::App(a) => {
                m.serialize_entry("timestamp", &a.timestamp)?;
                m.serialize_entry("flow_id", &a.flow_id)?;
                if let Some(c) = a.pcap_cnt {
                    m.serialize_entry("pcap_cnt", &c)?;
                }
                m.serialize_entry("event_type", a.event_type)?;
                tuple_entries(&mut m, &a.tuple)?;
                m.serialize_entry("tx_id", &a.tx_id)?;
                m.serialize_entry(a.event_type, &a.body)?;
            }
            Event::Finding(f) => {
                m.serialize_entry("timestamp", &f.timestamp)?;
                if let Some(id) = f.flow_id {
                    m.serialize_entry("flow_id", &id)?;
                }
                m.serialize_entry("event_type", "finding")?;
                if let Some(t) = &f.tuple {
                    tuple_entries(&mut m, t)?;
                }
                m.serialize_entry(
                    "finding",
                    &serde_json::json!({
                        "class": f.class,
                        "severity": f.severity,
                        "device": f.device,
                        "evidence": f.evidence,
                        "remediation": f.remediation,
                    }),
                )?;
            }
            Event::Stats { timestamp, stats } => {
                m.serialize_entry("timestamp", timestamp)?;
                m.serialize_entry("event_type", "stats")?;
                m.serialize_entry("stats", stats)?;
            }
        }
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn tuple() -> Tuple {
        Tuple {
            src_ip: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
            src_port: Some(40000),
            dest_ip: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)),
            dest_port: Some(80),
            proto: 6,
        }
    }

    #[test]
    fn flow_record_has_suricata_fields() {
        let ev = Event::Flow(Box::new(FlowRecord {
            flow_id: 42,
            tuple: tuple(),
            vlan: vec![],
            tunnel_id: 0,
            app_proto: None,
            flow: FlowStats {
                pkts_toserver: 3,
                pkts_toclient: 2,
                bytes_toserver: 300,
                bytes_toclient: 200,
                start: Timestamp::from_secs_micros(1_767_323_045, 1),
                end: Timestamp::from_secs_micros(1_767_323_047, 9),
                age: 2,
                state: FlowState::Closed,
                reason: EndReason::Timeout,
                alerted: false,
            },
            tcp: Some(TcpSummary {
                flags_ts: 0x1b,
                flags_tc: 0x13,
                state: "closed",
            }),
            source: 0,
        }));
        let mut out = Vec::new();
        ev.write_eve(&mut out);
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["event_type"], "flow");
        assert_eq!(v["timestamp"], "2026-01-02T03:04:05.000001+0000");
        assert_eq!(v["src_ip"], "10.0.0.1");
        assert_eq!(v["dest_port"], 80);
        assert_eq!(v["proto"], "TCP");
        assert_eq!(v["flow"]["pkts_toserver"], 3);
        assert_eq!(v["flow"]["state"], "closed");
        assert_eq!(v["flow"]["reason"], "timeout");
        assert_eq!(v["flow"]["age"], 2);
        assert_eq!(v["tcp"]["tcp_flags"], "1b");
        assert_eq!(v["tcp"]["tcp_flags_tc"], "13");
        assert_eq!(v["tcp"]["syn"], true);
        assert!(v["tcp"].get("rst").is_none());
        assert!(out.ends_with(b"}\n"));
    }

    #[test]
    fn alert_record_shape() {
        let sig = std::sync::Arc::new(AlertSignature {
            action: "allowed",
            gid: 1,
            signature_id: 2034630,
            rev: 3,
            signature: "ET EXPLOIT Hikvision".into(),
            category: "Attempted Administrator Privilege Gain".into(),
            severity: 1,
            metadata: vec![("cve".into(), vec!["CVE_2021_36260".into()])],
        });
        let ev = Event::Alert(Box::new(AlertRecord {
            timestamp: Timestamp::ZERO,
            flow_id: Some(9),
            pcap_cnt: Some(4),
            tuple: tuple(),
            app_proto: Some("http"),
            direction: Some("to_server"),
            tx_id: Some(0),
            signature: sig,
            flow: Some(AlertFlow {
                pkts_toserver: 3,
                pkts_toclient: 1,
                bytes_toserver: 400,
                bytes_toclient: 60,
                start: Timestamp::ZERO,
                src_ip: tuple().src_ip,
                dest_ip: tuple().dest_ip,
                src_port: Some(40000),
                dest_port: Some(80),
            }),
            payload: None,
            packet: None,
            capture_file: None,
            source: 0,
        }));
        let mut out = Vec::new();
        ev.write_eve(&mut out);
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["event_type"], "alert");
        assert_eq!(v["alert"]["signature_id"], 2034630);
        assert_eq!(v["alert"]["action"], "allowed");
        assert_eq!(v["alert"]["metadata"]["cve"][0], "CVE_2021_36260");
        assert_eq!(v["flow"]["pkts_toserver"], 3);
        assert_eq!(v["direction"], "to_server");
        assert_eq!(v["app_proto"], "http");
        assert_eq!(v["pcap_cnt"], 4);
    }

    #[test]
    fn anomaly_record_shape() {
        let ev = Event::Anomaly(Box::new(AnomalyRecord {
            timestamp: Timestamp::ZERO,
            pcap_cnt: Some(7),
            flow_id: None,
            tuple: Some(tuple()),
            kind: AnomalyType::Decode,
            event: "decoder.ipv4.trunc_pkt",
            app_proto: None,
            source: 0,
        }));
        let mut out = Vec::new();
        ev.write_eve(&mut out);
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["anomaly"]["type"], "decode");
        assert_eq!(v["anomaly"]["event"], "decoder.ipv4.trunc_pkt");
        assert_eq!(v["pcap_cnt"], 7);
    }

    #[test]
    fn unknown_protocols_print_as_numbers() {
        assert_eq!(serde_json::to_string(&ProtoName(254)).unwrap(), "\"254\"");
        assert_eq!(serde_json::to_string(&ProtoName(7)).unwrap(), "\"007\"");
        assert_eq!(
            serde_json::to_string(&ProtoName(58)).unwrap(),
            "\"IPv6-ICMP\""
        );
    }

    #[test]
    fn in_iface_names_the_live_source_after_event_type() {
        let ev = Event::Stats {
            timestamp: Timestamp::from_nanos(0),
            stats: serde_json::json!({}),
        };
        let mut plain = Vec::new();
        ev.write_eve_named(&mut plain, &["eth0".into()]);
        assert!(!String::from_utf8_lossy(&plain).contains("in_iface"));
        let rec = AnomalyRecord {
            timestamp: Timestamp::from_nanos(0),
            pcap_cnt: Some(1),
            flow_id: None,
            tuple: None,
            kind: AnomalyType::Decode,
            event: "decoder.ipv4.trunc_pkt",
            app_proto: None,
            source: 2,
        };
        let ev = Event::Anomaly(Box::new(rec.clone()));
        let mut line = b"prefix".to_vec();
        ev.write_eve_named(
            &mut line,
            &["eth0".into(), "vxlan://0.0.0.0:4789 \"x\"".into()],
        );
        let text = String::from_utf8(line[6..].to_vec()).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["in_iface"], "vxlan://0.0.0.0:4789 \"x\"");
        assert!(
            text.contains("\"event_type\":\"anomaly\",\"in_iface\""),
            "{text}"
        );
        // an index beyond the names, or files (no names): nothing added
        for names in [vec!["eth0".to_string()], vec![]] {
            let mut l = Vec::new();
            ev.write_eve_named(&mut l, &names);
            let mut w = Vec::new();
            ev.write_eve(&mut w);
            assert_eq!(l, w);
        }
    }
}
