//! Zero-copy, panic-free views of the packet headers palisade decodes, and
//! the [`Decoder`] that walks them.
//!
//! # Packets are hostile
//!
//! Every byte handed to this crate may have been written by an attacker, to
//! crash the sensor, to make it burn CPU, or to make it see something other
//! than what the endpoint sees. So: no `unsafe` (`forbid(unsafe_code)`), no
//! indexing that can go out of bounds, no `unwrap`, no recursion, and every
//! walk over a list in a packet (IPv4 and TCP options, IPv6 extension
//! headers, VLAN tags, GRE source routes, TZSP tags, nested tunnels) is
//! bounded by a named constant. A property test feeds random and bit-flipped
//! packets through every link type to hold the crate to this.
//!
//! # Views with one length check
//!
//! Each protocol has a module with a view in the style of smoltcp's
//! `src/wire`: `new_checked` verifies once that the fixed header is present
//! and keeps it as a `&[u8; N]`, so the length is part of the type and the
//! getters that follow read constant offsets (named in a private `field`
//! module) that cannot fail. Everything that depends on the packet's own
//! length fields (options, payload, declared lengths) is read through
//! clamped slices: an IDS must look at headers whose lengths lie, so a view
//! is built over anything with a whole fixed header, and strict validity is
//! a separate question (`check()`, or the decoder's anomalies). Wire enums
//! keep values they do not name (`Unknown(n)`), because an unknown value is
//! itself a fact worth reporting.
//!
//! Views borrow the capture buffer, and so does everything the decoder
//! produces; nothing is copied and nothing is allocated per packet.
//!
//! # Frames for tunnels
//!
//! A sensor on a mirror port often sees traffic inside VXLAN, GRE/ERSPAN or
//! TZSP, or IP-in-IP. Like Suricata's tunnel pseudo-packets, every IP layer
//! becomes one [`Frame`] of the [`DecodedPacket`], outermost first: the
//! mirror session's UDP or GRE flow is a flow of its own, and so is the
//! mirrored TCP connection inside it. Inner frames carry `depth` + 1 and a
//! nonzero `tunnel_id` ([`TunnelKind::tunnel_id`]) so that the same 5-tuple
//! mirrored from two sessions does not merge into one flow. Nesting is
//! bounded by [`MAX_FRAMES`].
//!
//! # Anomalies, not verdicts
//!
//! The decoder never rejects a packet. What is odd (truncation, bad lengths,
//! SYN+FIN, unknown options, bad checksums when validation is on) becomes a
//! [`DecodeEvent`] with Suricata's event name, attached to the packet and
//! counted in [`DecodeStats`], and decoding goes on with what is there: an
//! endpoint may accept what a strict parser refuses, and an IDS that drops
//! such packets is blind exactly where it is being evaded. Deciding whether
//! an anomaly is an attack is the job of rules and detectors downstream.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod bytes;

pub mod anomaly;
pub mod arp;
pub mod checksum;
pub mod decoded;
pub mod decoder;
pub mod error;
pub mod erspan;
pub mod ethernet;
pub mod gre;
pub mod icmp;
pub mod icmpv6;
pub mod ipv4;
pub mod ipv6;
pub mod link;
pub mod null;
pub mod sll;
pub mod stats;
pub mod tcp;
pub mod tzsp;
pub mod udp;
pub mod vlan;
pub mod vxlan;

pub use anomaly::{DecodeEvent, DECODE_EVENT_COUNT};
pub use decoded::*;
pub use decoder::{
    Decoder, DecoderConfig, FrameContext, TunnelKind, MAX_IPV6_EXT_HEADERS, MAX_VLAN_TAGS,
};
pub use error::Error;
pub use link::Link;
pub use stats::DecodeStats;
