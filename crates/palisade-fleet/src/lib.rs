//! palisade's knowledge of the fleet: which devices exist and what they
//! are, learnt from traffic.
//!
//! - [`inventory`]: devices per MAC (per IP without layer 2), addresses over
//!   time, services, peers, traffic totals; bounded.
//! - [`fingerprint`]: fingerprints and host names from application records.
//! - [`oui`]: MAC vendors (IEEE OUI table compiled from `data/oui/`).
#![forbid(unsafe_code)]

pub mod fingerprint;
pub mod inventory;
pub mod net;
pub mod oui;

pub use inventory::{Device, DeviceKey, Inventory, InventoryConfig, PacketFacts};
