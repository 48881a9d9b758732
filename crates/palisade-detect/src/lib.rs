//! palisade's signature engine: Suricata rules compiled into signatures,
//! grouped by protocol and inspection kind, prefiltered by one Aho-Corasick
//! automaton per buffer, and evaluated with Suricata's semantics on packets,
//! reassembled streams and app-layer transactions.
//!
//! Layout: `keywords/` and `payload/` hold one file per keyword (parsing,
//! semantics, tests); `signature` compiles a parsed rule; `ruleset` builds
//! the immutable, shareable rule set; `detect` runs it; `tx` is the
//! interface the protocol parsers implement; `buffers` names the sticky
//! buffers.
#![forbid(unsafe_code)]

pub mod buffers;
pub mod detect;
pub mod header;
pub mod keywords;
pub mod packet;
pub mod payload;
pub mod prefilter;
pub mod registry;
pub mod ruleset;
pub mod signature;
pub mod tx;

pub use buffers::BufferId;
pub use detect::{Alert, DetectStats, DetectThread, FlowDetect};
pub use packet::{FlowView, IcmpView, PacketView, TcpView};
pub use registry::{keyword_table, KeywordInfo};
pub use ruleset::{BuildOptions, LoadFailure, LoadReport, RuleSet, RuleSource};
pub use signature::{SigKind, Signature};
pub use tx::Transaction;
