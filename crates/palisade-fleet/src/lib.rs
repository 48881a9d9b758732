//! palisade's knowledge of the fleet: which devices exist and what they
//! are, learnt from traffic.
//!
//! - [`inventory`]: devices per MAC (per IP without layer 2), addresses over
//!   time, services, peers, traffic totals; bounded.
//! - [`fingerprint`]: fingerprints and host names from application records.
//! - [`oui`]: MAC vendors (IEEE OUI table compiled from `data/oui/`).
//! - [`classify`]: vendor, product, type and firmware from fingerprints, by
//!   rules kept as data (`data/classifier/rules.toml`).
//! - [`version`]: vendor firmware version formats and their order.
//! - [`advisory`]: known vulnerabilities matched to classified devices
//!   (`data/advisories/`).
#![forbid(unsafe_code)]

pub mod advisory;
pub mod classify;
pub mod fingerprint;
pub mod inventory;
pub mod net;
pub mod oui;
pub mod posture;
pub mod text;
pub mod version;

pub use inventory::{Device, DeviceKey, Inventory, InventoryConfig, PacketFacts};
