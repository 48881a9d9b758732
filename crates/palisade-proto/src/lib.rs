//! palisade's application-layer protocols.
//!
//! Each protocol lives in its own folder (`http/`, `dns/`, `mqtt/`, ...)
//! with the same split as Suricata's `rust/src/<proto>`: a parser of wire
//! messages, a state that turns messages into transactions, the sticky
//! buffers a transaction exposes to rules, and its EVE log. Every protocol
//! is registered once in [`registry::PROTOCOLS`]; identification, the
//! pipeline, the fuzz target and the segmentation tests all read that list.
//!
//! The contract between a parser and its consumer (the pipeline) is
//! [`parser::Parser`] fed with ordered bytes of one direction (TCP) or one
//! datagram (UDP), reporting transactions through [`parser::Sink`]. A
//! parser never panics on input, bounds everything it keeps per flow, and
//! raises an app-layer event when a bound is hit.
//!
//! `buffers` and `tx` are the contract with the signature engine
//! (palisade-detect): which named buffers and integer fields exist, and how
//! a transaction hands them out.
#![forbid(unsafe_code)]

// Lets `conversations.rs` name this crate the same way from inside it (unit
// tests) and from the examples that include it.
extern crate self as palisade_proto;

pub mod auth;
pub mod buffers;
pub mod coap;
#[cfg(test)]
#[allow(dead_code)] // used by the protocols' tests as they arrive
pub(crate) mod conversations;
pub mod dhcp;
pub mod dns;
pub mod fields;
pub mod ftp;
pub mod http;
pub mod identify;
pub mod kalay;
pub mod mqtt;
pub mod parser;
pub mod registry;
pub mod rtsp;
pub mod snmp;
pub mod ssdp;
pub mod ssh;
pub mod telnet;
pub mod testing;
pub mod tftp;
pub mod tls;
pub mod tx;
pub mod util;
pub mod wsd;

pub use buffers::BufferId;
pub use fields::IntFieldId;
pub use identify::AppFlow;
pub use parser::{
    AppTx, Credential, DigestParams, Dir, Expectation, FlowEnd, Input, LoginOutcome, ParseError,
    Parser, Secret, Sink, TxUpdate,
};
pub use registry::{Probe, ProbeInput, ProtoSpec, Transport, PROTOCOLS};
pub use tx::Transaction;
