//! Flow, stream and defragmentation settings (the `[flow]`, `[stream]` and
//! `[defrag]` tables of palisade.toml). Every limit is here with its default,
//! and every limit hit is counted and raised as an anomaly.

use serde::{Deserialize, Serialize};

/// Flow table settings.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct FlowConfig {
    /// Memory for flow state, in bytes, shared out evenly among workers. When
    /// a worker reaches its share, the flow closest to its timeout is evicted
    /// (reason `forced`) to make room. Default 256 MiB.
    pub memcap: u64,
    /// Idle timeouts per protocol and state, in seconds.
    pub timeouts: Timeouts,
}

impl Default for FlowConfig {
    fn default() -> Self {
        FlowConfig {
            memcap: 256 << 20,
            timeouts: Timeouts::default(),
        }
    }
}

/// Idle timeouts in seconds (Suricata's defaults).
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Timeouts {
    /// TCP before the handshake completes.
    pub tcp_new: u64,
    /// TCP established.
    pub tcp_established: u64,
    /// TCP after FIN/RST.
    pub tcp_closed: u64,
    /// UDP seen one way.
    pub udp_new: u64,
    /// UDP seen both ways.
    pub udp_established: u64,
    /// ICMP seen one way.
    pub icmp_new: u64,
    /// ICMP seen both ways.
    pub icmp_established: u64,
    /// Other protocols seen one way.
    pub other_new: u64,
    /// Other protocols seen both ways.
    pub other_established: u64,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            tcp_new: 60,
            tcp_established: 600,
            tcp_closed: 60,
            udp_new: 30,
            udp_established: 300,
            icmp_new: 30,
            icmp_established: 300,
            other_new: 30,
            other_established: 300,
        }
    }
}

/// TCP tracking and reassembly settings.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct StreamConfig {
    /// Pick up TCP sessions whose handshake was not seen. Off by default, as
    /// in Suricata: such flows are still counted but not reassembled.
    pub midstream: bool,
    /// Bytes reassembled per direction before reassembly stops for that
    /// direction (0 = unlimited). Default 1 MiB.
    pub reassembly_depth: u64,
    /// Memory for buffered segments and retained data, in bytes, shared out
    /// among workers. Default 256 MiB.
    pub reassembly_memcap: u64,
    /// Out-of-order bytes buffered per direction; beyond it the missing data
    /// is declared a gap. Default 1 MiB.
    pub max_buffered_per_direction: u64,
    /// Delivered bytes kept per direction (until the peer acknowledges them)
    /// to compare retransmissions against. Default 64 KiB.
    pub retain_bytes: u64,
}

impl Default for StreamConfig {
    fn default() -> Self {
        StreamConfig {
            midstream: false,
            reassembly_depth: 1 << 20,
            reassembly_memcap: 256 << 20,
            max_buffered_per_direction: 1 << 20,
            retain_bytes: 64 << 10,
        }
    }
}

/// IP defragmentation settings.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DefragConfig {
    /// Memory for fragment trackers, in bytes, shared out among workers.
    /// Fragments arriving beyond it are dropped and counted. Default 32 MiB.
    pub memcap: u64,
    /// Seconds a tracker waits for its missing fragments. Default 60.
    pub timeout: u64,
    /// Most fragments per datagram; more drops the tracker. Default 256.
    pub max_fragments: u32,
}

impl Default for DefragConfig {
    fn default() -> Self {
        DefragConfig {
            memcap: 32 << 20,
            timeout: 60,
            max_fragments: 256,
        }
    }
}

/// All settings of the flow engine.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EngineConfig {
    /// Flow table.
    pub flow: FlowConfig,
    /// TCP.
    pub stream: StreamConfig,
    /// Defragmentation.
    pub defrag: DefragConfig,
}
