//! The one list of protocols. Identification, the pipeline, the fuzz
//! target and `palisade` reports all read [`PROTOCOLS`]; adding a protocol
//! is a folder plus one line here.

use crate::parser::{Dir, Parser};

/// Transport a protocol runs over.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Transport {
    /// TCP streams.
    Tcp,
    /// UDP datagrams.
    Udp,
    /// Either (DNS).
    Both,
}

impl Transport {
    /// Whether a flow over `t` (Tcp or Udp) may carry this protocol.
    pub fn allows(self, t: Transport) -> bool {
        self == Transport::Both || self == t
    }
}

/// What a probe concluded from the first bytes of one direction.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Probe {
    /// The bytes are this protocol.
    Match,
    /// They are not.
    NoMatch,
    /// Too few bytes to tell; ask again with more.
    NeedMore,
}

/// The bytes a probe looks at.
#[derive(Copy, Clone, Debug)]
pub struct ProbeInput<'a> {
    /// Direction of `data`.
    pub dir: Dir,
    /// First bytes of the direction (or of the first datagram).
    pub data: &'a [u8],
    /// The flow's server port.
    pub server_port: u16,
    /// The server port is one of this protocol's well-known ports. Weak
    /// probes (Telnet text, a bare DNS header) should only match here.
    pub on_port: bool,
}

/// One protocol.
pub struct ProtoSpec {
    /// Suricata's app-layer protocol name (`http`, `dns`, `tls`, ...).
    pub name: &'static str,
    /// Transport.
    pub transport: Transport,
    /// Well-known server ports: probed first, and a flow on them whose
    /// protocol cannot be identified raises an anomaly.
    pub ports: &'static [u16],
    /// Decides from the first bytes of one direction. Must not panic.
    pub probe: fn(&ProbeInput<'_>) -> Probe,
    /// A parser for a new flow.
    pub new_parser: fn() -> Box<dyn Parser>,
}

impl std::fmt::Debug for ProtoSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProtoSpec")
            .field("name", &self.name)
            .field("transport", &self.transport)
            .field("ports", &self.ports)
            .finish()
    }
}

/// Every protocol palisade parses. Order matters only among probes that
/// could both match the same bytes: earlier wins.
pub static PROTOCOLS: &[&ProtoSpec] = &[
    &crate::ssh::SPEC,
    &crate::http::SPEC,
    &crate::mqtt::SPEC,
    &crate::tls::SPEC,
    &crate::snmp::SPEC,
    &crate::ssdp::SPEC,
    &crate::coap::SPEC,
    &crate::wsd::SPEC,
    &crate::dns::SPEC,
    &crate::dhcp::SPEC,
    &crate::tftp::SPEC,
    &crate::kalay::SPEC,
    &crate::telnet::SPEC,
    &crate::ftp::SPEC,
    &crate::rtsp::SPEC,
];

/// A protocol by name.
pub fn by_name(name: &str) -> Option<&'static ProtoSpec> {
    PROTOCOLS.iter().copied().find(|p| p.name == name)
}

/// Names of every protocol.
pub fn names() -> impl Iterator<Item = &'static str> {
    PROTOCOLS.iter().map(|p| p.name)
}
