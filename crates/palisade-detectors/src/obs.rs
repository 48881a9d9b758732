//! The observations detectors read: compact, owned, secret-free.

use palisade_event::Timestamp;
use palisade_proto::LoginOutcome;
use std::net::IpAddr;

/// One packet, summarised (per frame; tunnelled packets give their inner
/// frame).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PacketObs {
    /// Packet time.
    pub ts: Timestamp,
    /// Flow id, when tracked.
    pub flow_id: Option<u64>,
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// Source port (0 without ports).
    pub sport: u16,
    /// Destination port.
    pub dport: u16,
    /// IP protocol.
    pub proto: u8,
    /// TCP flags (0 for other protocols).
    pub tcp_flags: u8,
    /// TCP sequence number (0 for other protocols).
    pub tcp_seq: u32,
    /// ICMP type (None for other protocols).
    pub icmp_type: Option<u8>,
    /// IP length in bytes.
    pub len: u32,
    /// Transport payload length in bytes (TCP/UDP data; 0 for a bare
    /// SYN or ACK).
    pub payload_len: u32,
    /// The packet created its flow.
    pub new_flow: bool,
    /// Outermost Ethernet source and destination, for packets seen on
    /// layer 2 (not inside a tunnel): the inventory keys devices by MAC.
    pub macs: Option<([u8; 6], [u8; 6])>,
}

/// What proved knowledge of the password.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecretKind {
    /// Sent in clear (Telnet, FTP, HTTP Basic, MQTT, RTSP Basic, SNMP).
    Plain,
    /// HTTP/RTSP Digest.
    Digest,
    /// No secret seen.
    None,
}

/// A login attempt, as the worker that parsed it describes it. The secret
/// stayed in that worker: it tested it against the default-credential
/// database and kept only which entry matched and a salted fingerprint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoginObs {
    /// Time.
    pub ts: Timestamp,
    /// Flow id.
    pub flow_id: u64,
    /// Transaction id within the flow.
    pub tx_id: u64,
    /// Client (who logs in).
    pub client: IpAddr,
    /// Client port.
    pub client_port: u16,
    /// Server (the device).
    pub server: IpAddr,
    /// Server port.
    pub server_port: u16,
    /// Service (`telnet`, `ftp`, `http`, `rtsp`, `mqtt`, `snmp`).
    pub service: &'static str,
    /// User name as sent (empty for SNMP).
    pub username: String,
    /// What proved the password.
    pub secret: SecretKind,
    /// Id of the default-credential entry the secret matched, if any.
    pub default_entry: Option<u32>,
    /// Salted 64-bit fingerprint of (service, user, secret), for "one
    /// credential on many devices" without keeping the secret; None for
    /// Digest and for no secret.
    pub fingerprint: Option<u64>,
    /// Outcome as known now.
    pub outcome: LoginOutcome,
    /// The outcome will not change (the transaction completed).
    pub final_outcome: bool,
}

/// What a TLS handshake showed of a server (a device), for posture
/// findings: the version it agreed to and its certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsObs {
    /// Time of the handshake's completion.
    pub ts: Timestamp,
    /// Flow id.
    pub flow_id: u64,
    /// Client.
    pub client: IpAddr,
    /// Server (the device or service whose posture this is).
    pub server: IpAddr,
    /// Server port.
    pub server_port: u16,
    /// Negotiated version as Suricata names it (`TLS 1.2`, `TLSv1`,
    /// `SSLv3`, `UNDETERMINED`).
    pub version: String,
    /// Server name asked for.
    pub sni: Option<String>,
    /// Certificate subject.
    pub subject: Option<String>,
    /// Certificate notAfter (EVE format).
    pub not_after: Option<String>,
    /// notAfter before the handshake.
    pub cert_expired: Option<bool>,
    /// Subject equals issuer.
    pub self_signed: Option<bool>,
}

/// A ThroughTek Kalay (TUTK IOTC) message that names a device by UID, as
/// the `kalay` parser logged it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KalayObs {
    /// Time.
    pub ts: Timestamp,
    /// Flow id.
    pub flow_id: u64,
    /// Sender of the message (the registering device for a registration).
    pub src: IpAddr,
    /// Sender port.
    pub src_port: u16,
    /// Receiver (the server for a registration).
    pub dst: IpAddr,
    /// Receiver port.
    pub dst_port: u16,
    /// The 20-character UID.
    pub uid: String,
    /// IOTC message type.
    pub msg_type: u16,
    /// A device → server registration carrying the UID.
    pub registration: bool,
}

/// What a DNS answer told a client: the names it asked for (and the CNAME
/// targets on the way) and the addresses it got, so detectors can resolve
/// the names of profiles and allow-lists to the addresses devices really
/// use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DnsObs {
    /// Time of the response.
    pub ts: Timestamp,
    /// Who asked (a device, usually).
    pub client: IpAddr,
    /// The resolver that answered.
    pub server: IpAddr,
    /// The queried names and CNAME targets, lower case, without the
    /// trailing dot (at most [`DNS_OBS_MAX_NAMES`]).
    pub names: Vec<String>,
    /// A and AAAA addresses in the answer (at most
    /// [`DNS_OBS_MAX_ADDRS`]).
    pub addrs: Vec<IpAddr>,
    /// Smallest TTL of the address records, seconds.
    pub ttl: u32,
}

/// Names kept per [`DnsObs`].
pub const DNS_OBS_MAX_NAMES: usize = 8;
/// Addresses kept per [`DnsObs`].
pub const DNS_OBS_MAX_ADDRS: usize = 32;
