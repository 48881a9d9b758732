//! Packet sources for palisade: pcap and pcapng files, directories of them,
//! `.gz` files and stdin, merged in packet-time order; and capture writers.
//!
//! # Shape
//!
//! - [`CaptureReader`] reads one input. It detects gzip (`1f 8b`), then pcap
//!   or pcapng by magic, and hands out [`Packet`]s: slices into its own
//!   read buffer, valid until the next call.
//! - [`InputSet`] merges several inputs (and directories, expanded
//!   recursively) by timestamp. It is what the binary and the flow engine
//!   read from.
//! - [`PcapWriter`] and [`PcapNgWriter`] write captures (testbed, exports,
//!   rolling capture).
//!
//! # Why own buffering and hand-written parsing
//!
//! The pipeline's target is millions of packets per second on one core, so
//! the per-packet cost of reading must be a few loads and compares. Each
//! reader owns one large buffer ([`READ_BUFFER_SIZE`], 1 MiB) filled with big
//! reads; records are parsed in place and the packet handed out is a slice of
//! that buffer: no copy and no allocation per packet. When a record does not
//! fit in what is left, the unconsumed tail is shifted to the front and the
//! buffer refilled. Parsing by hand (rather than with `pcap-parser`'s block
//! parsers) keeps the fast path inlined, avoids per-block allocations, and
//! lets every check know the absolute byte offset it is looking at, which
//! the error model needs.
//!
//! Memory is bounded whatever a file says: every declared length is checked
//! against a named limit ([`MAX_PCAP_CAPLEN`], [`MAX_BLOCK_LEN`],
//! [`MAX_INTERFACES`]) before anything is buffered for it, so a block claiming
//! 4 GiB is reported as corrupt rather than allocated.
//!
//! # The merge
//!
//! [`InputSet`] runs a k-way merge over a binary heap keyed by
//! (timestamp, input index), so ties go to the input opened first. Each
//! input's next packet waits in place in its own reader's buffer, so the merge
//! copies nothing either. A directory of thousands of rolled files does not
//! open thousands of files: past [`MAX_OPEN_INPUTS`], inputs are probed for
//! their first timestamp, closed, and reopened when the merge reaches them;
//! an input is closed as soon as it is exhausted.
//!
//! # Errors
//!
//! A [`CaptureError`] names the file, the byte offset of the header, record
//! or block that failed, and an [`ErrorKind`]: `Io`, `NotACapture` (unknown
//! magic, at offset 0), `Truncated` (the file ends inside a header or record;
//! the offset is where that record starts) or `Corrupt` (bad lengths, bad
//! blocks, unknown interface ids, lengths past a bound). Every packet before
//! the fault has been delivered; a reader returns nothing after an error. In
//! an [`InputSet`] a failing input stops and the others go on; its errors are
//! collected for [`InputSet::take_errors`]. For a `.gz` input, offsets are in
//! the decompressed stream.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod error;
pub mod input_set;
pub mod reader;
pub mod writer;

pub use error::{CaptureError, ErrorKind};
pub use input_set::{InputSet, MAX_OPEN_INPUTS};
pub use reader::{
    CaptureReader, Packet, MAX_BLOCK_LEN, MAX_INTERFACES, MAX_PCAP_CAPLEN, READ_BUFFER_SIZE,
};
pub use writer::{PcapNgWriter, PcapWriter};

/// LINKTYPE_ values (tcpdump.org link types) palisade decodes.
pub mod linktype {
    /// BSD loopback: a 4-byte address family in host byte order.
    pub const NULL: u32 = 0;
    /// Ethernet II / 802.3.
    pub const ETHERNET: u32 = 1;
    /// Raw IPv4 or IPv6, version from the first nibble.
    pub const RAW: u32 = 101;
    /// DLT_RAW as some writers (OpenBSD's numbering) emit it; same as [`RAW`].
    pub const RAW_OPENBSD: u32 = 12;
    /// OpenBSD loopback: a 4-byte address family in network byte order.
    pub const LOOP: u32 = 108;
    /// Linux "cooked" capture, version 1.
    pub const LINUX_SLL: u32 = 113;
    /// Raw IPv4.
    pub const IPV4: u32 = 228;
    /// Raw IPv6.
    pub const IPV6: u32 = 229;
    /// Linux "cooked" capture, version 2.
    pub const LINUX_SLL2: u32 = 276;
}

#[cfg(test)]
mod tests {
    fn assert_send<T: Send>() {}

    #[test]
    fn readers_move_between_threads() {
        // the binary reads on one thread and decodes on others
        assert_send::<crate::CaptureReader>();
        assert_send::<crate::InputSet>();
        assert_send::<crate::CaptureError>();
        assert_send::<crate::PcapNgWriter<std::fs::File>>();
    }
}
