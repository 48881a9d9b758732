//! Capture writers: classic pcap (for the testbed and exports).

use palisade_event::Timestamp;
use std::io::{self, Write};

/// Writes a classic little-endian pcap file.
///
/// Microsecond resolution by default (what every tool reads); nanosecond with
/// [`PcapWriter::new_nanos`].
pub struct PcapWriter<W: Write> {
    out: W,
    nanos: bool,
    snaplen: u32,
    packets: u64,
}

impl<W: Write> PcapWriter<W> {
    /// Starts a microsecond-resolution pcap with the given LINKTYPE_ value.
    pub fn new(out: W, linktype: u32, snaplen: u32) -> io::Result<Self> {
        Self::with_resolution(out, linktype, snaplen, false)
    }

    /// Starts a nanosecond-resolution pcap.
    pub fn new_nanos(out: W, linktype: u32, snaplen: u32) -> io::Result<Self> {
        Self::with_resolution(out, linktype, snaplen, true)
    }

    fn with_resolution(mut out: W, linktype: u32, snaplen: u32, nanos: bool) -> io::Result<Self> {
        let magic: u32 = if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 };
        let mut hdr = [0u8; 24];
        hdr[0..4].copy_from_slice(&magic.to_le_bytes());
        hdr[4..6].copy_from_slice(&2u16.to_le_bytes());
        hdr[6..8].copy_from_slice(&4u16.to_le_bytes());
        // thiszone, sigfigs = 0
        hdr[16..20].copy_from_slice(&snaplen.to_le_bytes());
        hdr[20..24].copy_from_slice(&linktype.to_le_bytes());
        out.write_all(&hdr)?;
        Ok(PcapWriter {
            out,
            nanos,
            snaplen,
            packets: 0,
        })
    }

    /// Appends one packet; `data` longer than the snaplen is cut to it and
    /// `orig_len` keeps the real length.
    pub fn write_packet(&mut self, ts: Timestamp, data: &[u8], orig_len: u32) -> io::Result<()> {
        let caplen = data.len().min(self.snaplen as usize);
        let sub = if self.nanos {
            ts.as_nanos() % 1_000_000_000
        } else {
            ts.subsec_micros() as u64
        };
        let mut rec = [0u8; 16];
        rec[0..4].copy_from_slice(&(ts.secs() as u32).to_le_bytes());
        rec[4..8].copy_from_slice(&(sub as u32).to_le_bytes());
        rec[8..12].copy_from_slice(&(caplen as u32).to_le_bytes());
        rec[12..16].copy_from_slice(&orig_len.max(caplen as u32).to_le_bytes());
        self.out.write_all(&rec)?;
        self.out.write_all(&data[..caplen])?;
        self.packets += 1;
        Ok(())
    }

    /// Packets written so far.
    pub fn packets(&self) -> u64 {
        self.packets
    }

    /// Flushes and returns the underlying writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}
