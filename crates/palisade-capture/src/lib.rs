//! Packet sources for palisade: pcap and pcapng files, directories of them,
//! `.gz` files and stdin, merged in packet-time order; and capture writers.
//!
//! # Shape
//!
//! - [`CaptureReader`] reads one input. It detects gzip (`1f 8b`), then pcap
//!   or pcapng by magic, and hands out [`Packet`]s: slices into its own
//!   read buffer or memory mapping, valid until the next call.
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
//! reads (or maps the whole file: see below); records are parsed in place and the packet handed out is a slice of
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
//! # Memory mapping
//!
//! A plain (not gzip) capture that is a non-empty regular file is
//! memory-mapped whole ([`OpenOptions::mmap`], on by default) and parsed in
//! place, for two reasons measured on the scan pipeline: the kernel's copy in
//! `read()` was about a fifth of single-thread time, and the dispatcher that
//! hands packets to worker threads copied every packet into a batch. A mapped
//! input needs neither: its packets are slices of the mapping, and
//! [`InputSet::shared_bytes`] gives a [`SharedBytes`] (an `Arc` of the
//! mapping, cheap to clone, `Send + Sync`) so another thread can be handed a
//! clone and an offset ([`Packet::offset_in`]) instead of the bytes. The
//! kernel is told the mapping is read sequentially (`madvise`), so it reads
//! ahead aggressively and may drop pages behind.
//!
//! Mapping is not free: the bytes arrive by page faults, TLB misses and cache
//! misses instead of one streaming copy, and unmapping a large file costs
//! kernel time too. A mapped reader therefore reads its bytes in a little
//! ahead of the parser (16 KiB, one load per cache line), which lets those
//! misses overlap; without it each record header was a miss that had to wait
//! for the previous one, and mapped reading ran at about half the buffered
//! speed. Even so, measured on one 1.5 GB, 2-million-packet pcap in the page
//! cache (`examples/readspeed.rs`, on this project's 2-core VM, medians of 9
//! runs), buffered reading was faster: 6.9 against 5.0 million packets/s
//! reading every packet's bytes, and 5.9 (buffered, copying each packet into
//! a batch as the pipeline's dispatcher does) against 5.4 (mapped, handing
//! over a reference). The kernel time the copy cost is spent on faults and
//! unmapping instead. Whether mapping pays end to end depends on the consumer
//! and the machine (virtual machines make page walks dearer): measure with
//! [`OpenOptions::mmap`] on and off.
//!
//! The parser is the same code for both sources: it asks for `n` bytes at
//! the current absolute offset and reads them out of one byte slice. A read
//! buffer refills to answer; a mapping already holds the whole file, so
//! asking past its end is the end of the stream. Offsets, `Truncated` and
//! `Corrupt` errors, the bounds and "nothing after the first error" are
//! therefore identical, and the tests run the truncation-at-every-offset and
//! byte-flip suites through both.
//!
//! `.gz` inputs (decoded as a stream), stdin, pipes and other non-regular
//! files, empty files, and files the system refuses to map are read through
//! the buffer as before.
//!
//! **The hazard.** A mapping shows the file's pages, not a copy. If another
//! process *truncates* a file while palisade has it mapped, touching a page
//! past the new end raises `SIGBUS` and the process dies; no check in Rust
//! can prevent it (this is why mapping is `unsafe`, in one function of this
//! crate, `#![deny(unsafe_code)]` elsewhere). Files that are only appended
//! to, replaced by new files, or rotated by rename or unlink (tcpdump
//! `-C`/`-G`, logrotate's default `create` mode) are safe: the mapping has
//! the length the file had when it was opened and keeps the old file's pages
//! alive. For inputs something may truncate in place (`copytruncate`-style
//! rotation, a capture being rewritten), turn mapping off:
//! `InputSet::open_with(paths, &OpenOptions { mmap: false, ..Default::default() })`.
//! A mapped file also sees only the bytes it had when it was opened, where a
//! buffered read of a growing file would read on to its end at that time.
//!
//! # The merge
//!
//! [`InputSet`] runs a k-way merge over a binary heap keyed by
//! (timestamp, input index), so ties go to the input opened first. Each
//! input's next packet waits in place in its own reader's buffer or mapping,
//! so the merge copies nothing either. A directory of thousands of rolled
//! files does not open thousands of files: past [`MAX_OPEN_INPUTS`], inputs
//! are probed for their first timestamp, closed, and reopened when the merge
//! reaches them; an input is closed as soon as it is exhausted.
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
// The one exception, memory-mapping a file, is `mapped::map_file`.
#![deny(unsafe_code)]

pub mod error;
pub mod input_set;
mod mapped;
pub mod reader;
pub mod writer;

pub use error::{CaptureError, ErrorKind};
pub use input_set::{InputSet, OpenOptions, MAX_OPEN_INPUTS};
pub use mapped::SharedBytes;
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
        assert_send::<crate::SharedBytes>();
        assert_send::<crate::CaptureError>();
        assert_send::<crate::PcapNgWriter<std::fs::File>>();
    }
}
