//! palisade's signature engine: Suricata rules compiled into signatures,
//! grouped by protocol and inspection kind, prefiltered by one Aho-Corasick
//! automaton per buffer, and evaluated with Suricata's semantics on packets,
//! reassembled streams and app-layer transactions.
//!
//! Layout: `keywords/` and `payload/` hold one file per keyword (parsing,
//! semantics, tests); `signature` compiles a parsed rule; `ruleset` builds
//! the immutable, shareable rule set; `detect` runs it. `tx` (the
//! interface the protocol parsers implement), `buffers` (the sticky
//! buffers) and `fields` (integer fields such as `mqtt.type`) come from
//! palisade-proto and are re-exported here.
#![forbid(unsafe_code)]

pub mod detect;
pub mod header;
pub mod keywords;
pub mod packet;
pub mod payload;
pub mod portmap;
pub mod prefilter;
pub mod registry;
pub mod ruleset;
pub mod signature;

pub use buffers::BufferId;
pub use detect::{Alert, DetectStats, DetectThread, FlowDetect};
pub use packet::{FlowView, IcmpView, PacketView, TcpView};
pub use palisade_proto::{buffers, fields, tx};
pub use registry::{keyword_table, KeywordInfo};
pub use ruleset::{BuildOptions, LoadFailure, LoadReport, RuleSet, RuleSource};
pub use signature::{SigKind, Signature};
pub use tx::Transaction;
