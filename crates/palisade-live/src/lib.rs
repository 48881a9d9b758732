//! Live packet sources for `palisade sensor`: capture on an interface
//! ([`afpacket::AfPacket`], AF_PACKET with a TPACKET_V3 memory-mapped ring,
//! no libpcap) and intake of mirrored traffic
//! ([`mirror::MirrorListener`], VXLAN or TZSP over UDP;
//! [`gre::GreListener`], GRE and ERSPAN on a raw socket).
//!
//! # Shape
//!
//! Every source implements [`LiveSource`]: `next(timeout)` waits at most
//! `timeout` and returns one [`LivePacket`] (a view borrowed from the
//! source's ring or buffer, valid until the next call) or `None`, so a
//! worker loop can check a stop flag between calls; `stats()` returns
//! running [`LiveStats`] (packets handed out, kernel counters, invalid
//! input). [`SourceSpec`] parses the command line's `--interface IF` and
//! `--mirror vxlan://ADDR:PORT` / `gre://ADDR` and opens a [`Source`] (an
//! enum over all three, so a worker needs no trait object).
//!
//! One source per worker thread: for N workers on one interface, open it N
//! times with the same [`afpacket::AfPacketConfig::fanout_group`] and the
//! kernel splits the traffic by flow hash.
//!
//! # Wiring into a pipeline
//!
//! ```no_run
//! use std::time::Duration;
//! use palisade_live::{AfPacketConfig, LiveSource, SourceSpec};
//! use palisade_wire::{DecodedPacket, Decoder, DecoderConfig, Link, TunnelKind};
//!
//! # fn main() -> palisade_live::Result<()> {
//! let spec = SourceSpec::interface("eth0")?; // or SourceSpec::mirror("vxlan://0.0.0.0:4789")?
//! let mut src = spec.open(&AfPacketConfig::default())?;
//! let mut dec = Decoder::new(DecoderConfig::default());
//! # let stop = false;
//! while !stop {
//!     let Some(p) = src.next(Duration::from_millis(100))? else { continue };
//!     // `p.data` borrows the ring until the next call: decode, track and
//!     // inspect it now, or copy it (as batches to other workers must)
//!     let mut out = DecodedPacket::default();
//!     dec.decode(Link::from_linktype(p.linktype), p.data, p.wire_len, &mut out);
//!     if let Some(m) = p.mirror {
//!         // key the flows on the session as well: e.g. the VXLAN tunnel id
//!         let _tunnel = TunnelKind::Vxlan.tunnel_id(m.session_id);
//!     }
//!     // ... flows, detection; p.ts is the packet time
//! }
//! let stats = src.stats()?; // kernel_drops for the `stats` record / metrics
//! # let _ = stats;
//! # Ok(())
//! # }
//! ```
//!
//! Left for later: compiling tcpdump filter expressions (a filter is given compiled, see
//! [`bpf`]), a larger receive buffer for mirror sockets (`SO_RCVBUF`; the
//! kernel's default drops under bursts, and those drops are counted), a
//! libpcap source.
//!
//! # Why `unsafe` is allowed here
//!
//! The other palisade crates forbid `unsafe` (palisade-capture allows it
//! for its file mapping only). An mmap'd packet ring cannot
//! be had without it: socket options take raw pointers, the ring is memory
//! shared with the kernel, and its status words are written concurrently.
//! So `unsafe` is denied crate-wide and allowed in [`afpacket`] alone, each
//! block minimal and with a `// SAFETY:` comment; everything that
//! interprets the kernel's bytes (the block walk in `ring`) is safe code
//! that bounds-checks every offset, so a corrupt ring is counted
//! ([`LiveStats::invalid`]), not undefined behaviour.
#![deny(missing_docs)]
#![deny(unsafe_code)]
#![deny(unsafe_op_in_unsafe_fn)]

#[allow(unsafe_code)]
pub mod afpacket;
pub mod bpf;
mod error;
pub mod gre;
pub mod mirror;
mod recv;
mod ring;
mod spec;

use std::time::Duration;

use palisade_event::Timestamp;

pub use afpacket::{AfPacket, AfPacketConfig};
pub use bpf::BpfInsn;
pub use error::{Error, Result};
pub use gre::GreListener;
pub use mirror::{MirrorKind, MirrorListener, MirrorOrigin};
pub use ring::RingError;
pub use spec::SourceSpec;

/// One packet from a live source, borrowed from the source until its next
/// call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LivePacket<'a> {
    /// Capture time (the kernel's receive time for AF_PACKET; arrival of
    /// the datagram for mirrors).
    pub ts: Timestamp,
    /// LINKTYPE of `data` (1 Ethernet, 101 raw IP, ...), as
    /// `palisade_wire::Link::from_linktype` takes it.
    pub linktype: u32,
    /// The captured bytes.
    pub data: &'a [u8],
    /// Length on the wire (at least `data.len()`).
    pub wire_len: u32,
    /// For mirrored traffic: where it came from.
    pub mirror: Option<MirrorOrigin>,
}

/// Running counters of a source.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LiveStats {
    /// Packets handed out by `next`.
    pub packets: u64,
    /// Bytes handed out (captured lengths).
    pub bytes: u64,
    /// AF_PACKET: packets the kernel passed to the socket, drops included
    /// (`tp_packets` of `PACKET_STATISTICS`, summed over reads).
    pub kernel_packets: u64,
    /// Packets the kernel dropped for want of room: AF_PACKET ring full
    /// (`tp_drops`, summed); mirror socket buffer full (the socket's
    /// `drops` in `/proc/net/udp`, `/proc/net/raw` for GRE).
    pub kernel_drops: u64,
    /// AF_PACKET: times the queue was frozen (`tp_freeze_q_cnt`).
    pub kernel_freeze_q: u64,
    /// Corrupt ring blocks (the rest of the block is skipped) or mirror
    /// datagrams that are not valid encapsulation (for GRE: not an
    /// IPv4/GRE datagram).
    pub invalid: u64,
    /// Valid input without a frame (TZSP keepalives; GRE of version 1 or
    /// of a protocol type that carries no mirrored frame).
    pub ignored: u64,
}

/// A source of live packets.
pub trait LiveSource {
    /// Waits at most `timeout` for a packet; `Ok(None)` when none came.
    /// Errors are the source's own failures (the socket went away), never
    /// a bad packet.
    fn next(&mut self, timeout: Duration) -> Result<Option<LivePacket<'_>>>;

    /// Counters so far. AF_PACKET reads the kernel's counters here (they
    /// reset on read and are summed), so call it periodically, not per
    /// packet.
    fn stats(&mut self) -> Result<LiveStats>;
}

/// Any live source, as [`SourceSpec::open`] returns it.
#[derive(Debug)]
pub enum Source {
    /// AF_PACKET capture on an interface.
    Interface(AfPacket),
    /// A UDP mirror listener (VXLAN, TZSP).
    Mirror(MirrorListener),
    /// A raw-socket GRE/ERSPAN mirror listener.
    Gre(GreListener),
}

impl LiveSource for Source {
    fn next(&mut self, timeout: Duration) -> Result<Option<LivePacket<'_>>> {
        match self {
            Source::Interface(s) => s.next(timeout),
            Source::Mirror(s) => s.next(timeout),
            Source::Gre(s) => s.next(timeout),
        }
    }

    fn stats(&mut self) -> Result<LiveStats> {
        match self {
            Source::Interface(s) => s.stats(),
            Source::Mirror(s) => s.stats(),
            Source::Gre(s) => s.stats(),
        }
    }
}

#[cfg(test)]
mod tests {
    /// Workers own their source on their own thread.
    #[test]
    fn sources_move_to_worker_threads() {
        fn send<T: Send>() {}
        send::<super::Source>();
        send::<super::AfPacket>();
        send::<super::MirrorListener>();
        send::<super::GreListener>();
    }
}
