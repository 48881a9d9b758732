//! Suricata's rule language, standalone: rule text to an AST with spans,
//! variables, address and port sets, classification.config and
//! threshold.config.
//!
//! This crate knows the grammar, not the keywords: option values are kept
//! raw (quotes and escapes intact) and each keyword of the engine
//! (`palisade-detect`) parses its own value. That keeps a rule linter or
//! formatter free of any engine dependency, and lets the engine decide which
//! keywords it supports.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod address;
pub mod classification;
pub mod parser;
pub mod port;
pub mod rule;
pub mod span;
pub mod threshold;
pub mod vars;

pub use address::{AddressExpr, IpSet};
pub use classification::{Classification, Classifications};
pub use parser::{parse_rule, parse_rule_at, parse_rules, ParseError, RuleEntry, RuleFile};
pub use port::{PortExpr, PortSet};
pub use rule::{parse_metadata, unquote, Action, Direction, Rule, RuleOption};
pub use span::{LineCol, LineIndex, Span, Spanned};
pub use threshold::{
    parse_threshold_value, ThresholdConfig, ThresholdEntry, ThresholdEntryKind, ThresholdKind,
    ThresholdSpec, Track,
};
pub use vars::{VarError, Vars};
