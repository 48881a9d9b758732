//! Flows: the table, TCP tracking and reassembly, IP defragmentation.
//!
//! Shaped after Suricata's flow/stream split, minus its globals: a
//! [`FlowEngine`] belongs to one worker thread and holds everything that
//! worker tracks, so the per-packet path takes no lock. The engine never
//! decides what is an attack; it reports flows, ordered stream chunks and
//! gaps, and anomalies to a [`FlowObserver`].
//!
//! - [`key`]: bidirectional flow keys and the worker-selection hash.
//! - [`engine`]: the table, timeouts, memcap eviction and flow records.
//! - [`tcp`]: TCP session state and the two directions.
//! - [`stream`]: one direction's reassembly (overlaps, gaps, depth, memory).
//! - [`defrag`]: IPv4/IPv6 fragment reassembly.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod config;
pub mod defrag;
pub mod engine;
pub mod key;
pub mod stream;
pub mod tcp;

pub use config::{DefragConfig, EngineConfig, FlowConfig, StreamConfig, Timeouts};
pub use engine::{EngineStats, Flow, FlowEngine, FlowObserver, FlowRef, PacketMeta};
pub use tcp::Direction;
