//! Capture writers: classic pcap (for the testbed and exports) and pcapng
//! (several interfaces, nanosecond time; used by the rolling capture).

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

/// One interface of a [`PcapNgWriter`].
#[derive(Clone, Copy, Debug)]
struct NgIface {
    snaplen: u32,
    nanos: bool,
}

/// Writes a little-endian pcapng file: one section, any number of interfaces,
/// enhanced packet blocks (and simple packet blocks on interface 0).
pub struct PcapNgWriter<W: Write> {
    out: W,
    ifaces: Vec<NgIface>,
    packets: u64,
    bytes: u64,
}

const NG_PAD: [u8; 4] = [0; 4];

fn pad4(n: usize) -> usize {
    (n + 3) & !3
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, what.to_string())
}

impl<W: Write> PcapNgWriter<W> {
    /// Starts the file with a section header block (section length unknown).
    pub fn new(mut out: W) -> io::Result<Self> {
        let mut shb = [0u8; 28];
        shb[0..4].copy_from_slice(&0x0A0D_0D0Au32.to_le_bytes());
        shb[4..8].copy_from_slice(&28u32.to_le_bytes());
        shb[8..12].copy_from_slice(&0x1A2B_3C4Du32.to_le_bytes());
        shb[12..14].copy_from_slice(&1u16.to_le_bytes());
        shb[14..16].copy_from_slice(&0u16.to_le_bytes());
        shb[16..24].copy_from_slice(&u64::MAX.to_le_bytes());
        shb[24..28].copy_from_slice(&28u32.to_le_bytes());
        out.write_all(&shb)?;
        Ok(PcapNgWriter {
            out,
            ifaces: Vec::new(),
            packets: 0,
            bytes: 28,
        })
    }

    /// Describes an interface (interface description block) and returns its
    /// id, counted from 0. `snaplen` 0 means no limit; `tsresol_nanos` writes
    /// `if_tsresol` = 9 (nanoseconds) instead of the default microseconds.
    pub fn add_interface(
        &mut self,
        linktype: u32,
        snaplen: u32,
        name: Option<&str>,
        tsresol_nanos: bool,
    ) -> io::Result<u32> {
        let linktype =
            u16::try_from(linktype).map_err(|_| invalid("pcapng link types are 16 bits"))?;
        let name = name.unwrap_or("").as_bytes();
        if name.len() > usize::from(u16::MAX) {
            return Err(invalid("interface name longer than 65535 bytes"));
        }
        let mut opts = Vec::with_capacity(16 + pad4(name.len()));
        if !name.is_empty() {
            opts.extend_from_slice(&2u16.to_le_bytes());
            opts.extend_from_slice(&(name.len() as u16).to_le_bytes());
            opts.extend_from_slice(name);
            opts.extend_from_slice(&NG_PAD[..pad4(name.len()) - name.len()]);
        }
        if tsresol_nanos {
            opts.extend_from_slice(&9u16.to_le_bytes());
            opts.extend_from_slice(&1u16.to_le_bytes());
            opts.extend_from_slice(&[9, 0, 0, 0]);
        }
        if !opts.is_empty() {
            opts.extend_from_slice(&[0, 0, 0, 0]);
        }
        let len = (20 + opts.len()) as u32;
        let mut hdr = [0u8; 16];
        hdr[0..4].copy_from_slice(&1u32.to_le_bytes());
        hdr[4..8].copy_from_slice(&len.to_le_bytes());
        hdr[8..10].copy_from_slice(&linktype.to_le_bytes());
        hdr[12..16].copy_from_slice(&snaplen.to_le_bytes());
        self.out.write_all(&hdr)?;
        self.out.write_all(&opts)?;
        self.out.write_all(&len.to_le_bytes())?;
        self.bytes += u64::from(len);
        self.ifaces.push(NgIface {
            snaplen,
            nanos: tsresol_nanos,
        });
        Ok((self.ifaces.len() - 1) as u32)
    }

    /// Appends an enhanced packet block on interface `iface`; `data` longer
    /// than the interface's snaplen is cut to it and `orig_len` keeps the real
    /// length.
    pub fn write_packet(
        &mut self,
        iface: u32,
        ts: Timestamp,
        data: &[u8],
        orig_len: u32,
    ) -> io::Result<()> {
        let i = *self
            .ifaces
            .get(iface as usize)
            .ok_or_else(|| invalid("write_packet: unknown interface id"))?;
        let caplen = capped(data.len(), i.snaplen)?;
        let units = if i.nanos {
            ts.as_nanos()
        } else {
            ts.as_nanos() / 1000
        };
        let len = 32 + pad4(caplen) as u32;
        let mut hdr = [0u8; 28];
        hdr[0..4].copy_from_slice(&6u32.to_le_bytes());
        hdr[4..8].copy_from_slice(&len.to_le_bytes());
        hdr[8..12].copy_from_slice(&iface.to_le_bytes());
        hdr[12..16].copy_from_slice(&((units >> 32) as u32).to_le_bytes());
        hdr[16..20].copy_from_slice(&(units as u32).to_le_bytes());
        hdr[20..24].copy_from_slice(&(caplen as u32).to_le_bytes());
        hdr[24..28].copy_from_slice(&orig_len.max(caplen as u32).to_le_bytes());
        self.finish_block(&hdr, &data[..caplen], len)
    }

    /// Appends a simple packet block (no timestamp, interface 0).
    ///
    /// A simple packet block does not store its captured length: readers take
    /// min(original length, snaplen, block room). So a packet cut shorter
    /// than its original length must be cut exactly at interface 0's snaplen,
    /// otherwise this returns an `InvalidInput` error.
    pub fn write_simple_packet(&mut self, data: &[u8], orig_len: u32) -> io::Result<()> {
        let i = *self
            .ifaces
            .first()
            .ok_or_else(|| invalid("write_simple_packet: no interface 0"))?;
        let caplen = capped(data.len(), i.snaplen)?;
        let orig_len = orig_len.max(caplen as u32);
        if orig_len as usize > caplen && (i.snaplen == 0 || caplen != i.snaplen as usize) {
            return Err(invalid(
                "write_simple_packet: a cut packet must be cut at the snaplen",
            ));
        }
        let len = 16 + pad4(caplen) as u32;
        let mut hdr = [0u8; 12];
        hdr[0..4].copy_from_slice(&3u32.to_le_bytes());
        hdr[4..8].copy_from_slice(&len.to_le_bytes());
        hdr[8..12].copy_from_slice(&orig_len.to_le_bytes());
        self.finish_block(&hdr, &data[..caplen], len)
    }

    fn finish_block(&mut self, hdr: &[u8], data: &[u8], len: u32) -> io::Result<()> {
        self.out.write_all(hdr)?;
        self.out.write_all(data)?;
        self.out
            .write_all(&NG_PAD[..pad4(data.len()) - data.len()])?;
        self.out.write_all(&len.to_le_bytes())?;
        self.packets += 1;
        self.bytes += u64::from(len);
        Ok(())
    }

    /// Packets written so far.
    pub fn packets(&self) -> u64 {
        self.packets
    }

    /// The underlying writer (to flush it while the file stays open).
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.out
    }

    /// Bytes written so far (for rolling to the next file at a size).
    pub fn bytes_written(&self) -> u64 {
        self.bytes
    }

    /// Flushes and returns the underlying writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

/// The captured length of `len` bytes under `snaplen` (0 = no limit), bounded
/// so a block stays below the reader's block limit.
fn capped(len: usize, snaplen: u32) -> io::Result<usize> {
    let cap = if snaplen == 0 {
        len
    } else {
        len.min(snaplen as usize)
    };
    if cap > crate::reader::MAX_BLOCK_LEN - 64 {
        return Err(invalid("packet longer than the pcapng block limit"));
    }
    Ok(cap)
}
