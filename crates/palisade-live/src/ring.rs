//! The walk over one TPACKET_V3 block, in safe code on a byte slice.
//!
//! The kernel fills a block with a `tpacket_block_desc` (status, number of
//! packets, offset of the first packet, bytes used) followed by packets,
//! each a `tpacket3_hdr` (offset of the next packet, time, captured and wire
//! length, offset of the frame from the header) and its frame. Nothing here
//! trusts those numbers: every offset and length is checked against the
//! block before a slice is taken, so a corrupt ring (a kernel bug, a
//! foreign writer to a shared mapping, memory corruption) ends the block's
//! walk with a [`RingError`] that the caller counts, never with a panic or
//! an out-of-bounds read. Integers are read in host byte order, as the
//! kernel writes them. The layout constants are checked against `libc`'s
//! struct definitions in the tests.
#![forbid(unsafe_code)]

use std::ops::Range;

/// `offsetof(tpacket_block_desc, hdr.bh1.block_status)`.
pub(crate) const BD_STATUS: usize = 8;
const BD_NUM_PKTS: usize = 12;
const BD_OFFSET_TO_FIRST: usize = 16;
const BD_BLK_LEN: usize = 20;
/// `sizeof(tpacket_block_desc)`.
pub(crate) const BLOCK_DESC_LEN: usize = 48;

const PH_NEXT_OFFSET: usize = 0;
const PH_SEC: usize = 4;
const PH_NSEC: usize = 8;
const PH_SNAPLEN: usize = 12;
const PH_LEN: usize = 16;
const PH_STATUS: usize = 20;
const PH_MAC: usize = 24;
const PH_VLAN_TCI: usize = 32;
const PH_VLAN_TPID: usize = 36;
/// The `sockaddr_ll` the kernel writes after each packet header.
const SLL_LEN: usize = 20;
/// Bytes of an 802.1Q tag.
pub(crate) const VLAN_TAG_LEN: usize = 4;
const TP_STATUS_VLAN_VALID: u32 = 1 << 4;
const TP_STATUS_VLAN_TPID_VALID: u32 = 1 << 6;
/// `sizeof(tpacket3_hdr)`.
pub(crate) const PKT_HDR_LEN: usize = 48;

/// How a block's bookkeeping is inconsistent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RingError {
    /// The block is shorter than its descriptor, or `blk_len` is outside
    /// the block.
    BlockLength,
    /// `offset_to_first_pkt` points outside the used part of the block.
    FirstOffset,
    /// A packet header does not fit in the used part of the block.
    PacketHeader,
    /// `tp_mac + tp_snaplen` runs past the used part of the block, the
    /// frame overlaps its header, or `tp_snaplen > tp_len`.
    Frame,
    /// `tp_next_offset` of a packet that is not the last does not lead to
    /// a whole header further on in the block.
    NextOffset,
}

impl std::fmt::Display for RingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RingError::BlockLength => "block length out of bounds",
            RingError::FirstOffset => "first packet offset out of bounds",
            RingError::PacketHeader => "packet header out of bounds",
            RingError::Frame => "frame out of bounds",
            RingError::NextOffset => "next packet offset out of bounds",
        })
    }
}

impl std::error::Error for RingError {}

/// One packet of a block: where its frame is and what the kernel said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PacketRec {
    pub sec: u32,
    pub nsec: u32,
    /// The captured bytes, as a range of the block.
    pub frame: Range<usize>,
    /// Length on the wire (`tp_len`).
    pub wire_len: u32,
    /// Offset of the packet's header in the block.
    pub hdr: usize,
    /// The VLAN tag the kernel took off the frame (TPID, TCI).
    pub vlan: Option<(u16, u16)>,
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    let end = at.checked_add(4)?;
    Some(u32::from_ne_bytes(b.get(at..end)?.try_into().ok()?))
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    let end = at.checked_add(2)?;
    Some(u16::from_ne_bytes(b.get(at..end)?.try_into().ok()?))
}

/// A walk over the packets of one block owned by user space.
#[derive(Clone, Debug)]
pub(crate) struct BlockWalk {
    /// Bytes of the block in use (`blk_len`), at most the block's length.
    limit: usize,
    next: usize,
    remaining: u32,
}

impl BlockWalk {
    /// Reads and checks the block descriptor.
    pub fn new(block: &[u8]) -> Result<BlockWalk, RingError> {
        let num = u32_at(block, BD_NUM_PKTS).ok_or(RingError::BlockLength)?;
        let first = u32_at(block, BD_OFFSET_TO_FIRST).ok_or(RingError::BlockLength)? as usize;
        let limit = u32_at(block, BD_BLK_LEN).ok_or(RingError::BlockLength)? as usize;
        if block.len() < BLOCK_DESC_LEN || limit < BLOCK_DESC_LEN || limit > block.len() {
            return Err(RingError::BlockLength);
        }
        if num > 0 && (first < BLOCK_DESC_LEN || first >= limit) {
            return Err(RingError::FirstOffset);
        }
        Ok(BlockWalk {
            limit,
            next: first,
            remaining: num,
        })
    }

    /// The next packet, `None` at the end of the block. After an error the
    /// walk is over (the rest of the block cannot be located).
    pub fn next(&mut self, block: &[u8]) -> Option<Result<PacketRec, RingError>> {
        if self.remaining == 0 {
            return None;
        }
        let r = self.step(block);
        if r.is_err() {
            self.remaining = 0;
        }
        Some(r)
    }

    fn step(&mut self, block: &[u8]) -> Result<PacketRec, RingError> {
        // `limit <= block.len()` (checked in `new`), so slicing to it holds.
        let used = block.get(..self.limit).ok_or(RingError::BlockLength)?;
        let at = self.next;
        let hdr_end = at.checked_add(PKT_HDR_LEN).ok_or(RingError::PacketHeader)?;
        let hdr = used.get(at..hdr_end).ok_or(RingError::PacketHeader)?;
        let field = |o| u32_at(hdr, o).ok_or(RingError::PacketHeader);
        let next_off = field(PH_NEXT_OFFSET)? as usize;
        let sec = field(PH_SEC)?;
        let nsec = field(PH_NSEC)?;
        let snaplen = field(PH_SNAPLEN)?;
        let wire_len = field(PH_LEN)?;
        let status = field(PH_STATUS)?;
        let vlan = (status & TP_STATUS_VLAN_VALID != 0).then(|| {
            let tci = u32_at(hdr, PH_VLAN_TCI).unwrap_or(0) as u16;
            let tpid = match u16_at(hdr, PH_VLAN_TPID) {
                Some(t) if status & TP_STATUS_VLAN_TPID_VALID != 0 && t != 0 => t,
                _ => 0x8100,
            };
            (tpid, tci)
        });
        let mac = u16_at(hdr, PH_MAC).ok_or(RingError::PacketHeader)? as usize;
        if mac < PKT_HDR_LEN || snaplen > wire_len {
            return Err(RingError::Frame);
        }
        let start = at + mac;
        let end = start
            .checked_add(snaplen as usize)
            .ok_or(RingError::Frame)?;
        if end > self.limit {
            return Err(RingError::Frame);
        }
        self.remaining -= 1;
        if self.remaining > 0 {
            // the next header must start after this frame and fit whole
            let next = at.checked_add(next_off).ok_or(RingError::NextOffset)?;
            let fits = next
                .checked_add(PKT_HDR_LEN)
                .is_some_and(|e| e <= self.limit);
            if next < end || !fits {
                return Err(RingError::NextOffset);
            }
            self.next = next;
        }
        Ok(PacketRec {
            sec,
            nsec,
            frame: start..end,
            wire_len,
            hdr: at,
            vlan,
        })
    }
}

/// Puts back the VLAN tag the kernel took off a frame (it hands tags over
/// out of band, so a trunk or mirror port would otherwise look untagged
/// and flows of different VLANs would merge): moves the two MAC addresses
/// four bytes down, into the room before the frame, and writes the tag
/// after them, as libpcap does. The room is the socket's `PACKET_RESERVE`;
/// it must lie after the packet's header and `sockaddr_ll`. Returns false,
/// leaving the frame untouched, when there is no tag, no room or the frame
/// is shorter than two addresses.
pub(crate) fn restore_vlan(block: &mut [u8], rec: &mut PacketRec) -> bool {
    let Some((tpid, tci)) = rec.vlan else {
        return false;
    };
    let start = rec.frame.start;
    let floor = rec.hdr + PKT_HDR_LEN + SLL_LEN;
    if rec.frame.len() < 12 || start < floor + VLAN_TAG_LEN || rec.frame.end > block.len() {
        return false;
    }
    let new = start - VLAN_TAG_LEN;
    block.copy_within(start..start + 12, new);
    let Some(tag) = block.get_mut(new + 12..new + 16) else {
        return false;
    };
    tag[..2].copy_from_slice(&tpid.to_be_bytes());
    tag[2..].copy_from_slice(&tci.to_be_bytes());
    rec.frame = new..rec.frame.end;
    rec.wire_len = rec.wire_len.saturating_add(VLAN_TAG_LEN as u32);
    true
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A fake block as the kernel lays it out: descriptor, then packets
    /// 8-aligned, each frame at `tp_mac` = 86 (where the kernel puts an
    /// Ethernet frame with `PACKET_RESERVE` 4: the network header at
    /// align16(68 + 16) + 4).
    pub(crate) struct FakeBlock {
        pub buf: Vec<u8>,
        pub at: usize,
        pub last_hdr: Option<usize>,
        pub num: u32,
    }

    pub(crate) const MAC: usize = 86;

    impl FakeBlock {
        pub fn new(size: usize) -> FakeBlock {
            let mut b = FakeBlock {
                buf: vec![0; size],
                at: BLOCK_DESC_LEN,
                last_hdr: None,
                num: 0,
            };
            b.put32(BD_OFFSET_TO_FIRST, BLOCK_DESC_LEN as u32);
            b.put32(BD_BLK_LEN, BLOCK_DESC_LEN as u32);
            b
        }

        pub fn put32(&mut self, at: usize, v: u32) {
            self.buf[at..at + 4].copy_from_slice(&v.to_ne_bytes());
        }

        pub fn push(&mut self, sec: u32, nsec: u32, frame: &[u8], wire_len: u32) -> usize {
            let h = self.at;
            if let Some(prev) = self.last_hdr {
                self.put32(prev + PH_NEXT_OFFSET, (h - prev) as u32);
            }
            self.put32(h + PH_SEC, sec);
            self.put32(h + PH_NSEC, nsec);
            self.put32(h + PH_SNAPLEN, frame.len() as u32);
            self.put32(h + PH_LEN, wire_len);
            self.buf[h + PH_MAC..h + PH_MAC + 2].copy_from_slice(&(MAC as u16).to_ne_bytes());
            self.buf[h + MAC..h + MAC + frame.len()].copy_from_slice(frame);
            self.at = (h + MAC + frame.len()).next_multiple_of(8);
            self.last_hdr = Some(h);
            self.num += 1;
            self.put32(BD_NUM_PKTS, self.num);
            self.put32(BD_BLK_LEN, self.at as u32);
            self.put32(BD_STATUS, 1);
            h
        }
    }

    fn walk_all(block: &[u8]) -> Result<Vec<(PacketRec, Vec<u8>)>, RingError> {
        let mut w = BlockWalk::new(block)?;
        let mut out = Vec::new();
        while let Some(r) = w.next(block) {
            let r = r?;
            let data = block[r.frame.clone()].to_vec();
            out.push((r, data));
        }
        Ok(out)
    }

    #[test]
    fn layout_matches_libc() {
        use std::mem::{offset_of, size_of};
        assert_eq!(size_of::<libc::tpacket_block_desc>(), BLOCK_DESC_LEN);
        assert_eq!(size_of::<libc::tpacket3_hdr>(), PKT_HDR_LEN);
        let h = offset_of!(libc::tpacket_block_desc, hdr);
        assert_eq!(
            h + offset_of!(libc::tpacket_hdr_v1, block_status),
            BD_STATUS
        );
        assert_eq!(h + offset_of!(libc::tpacket_hdr_v1, num_pkts), BD_NUM_PKTS);
        assert_eq!(
            h + offset_of!(libc::tpacket_hdr_v1, offset_to_first_pkt),
            BD_OFFSET_TO_FIRST
        );
        assert_eq!(h + offset_of!(libc::tpacket_hdr_v1, blk_len), BD_BLK_LEN);
        assert_eq!(
            offset_of!(libc::tpacket3_hdr, tp_next_offset),
            PH_NEXT_OFFSET
        );
        assert_eq!(offset_of!(libc::tpacket3_hdr, tp_sec), PH_SEC);
        assert_eq!(offset_of!(libc::tpacket3_hdr, tp_nsec), PH_NSEC);
        assert_eq!(offset_of!(libc::tpacket3_hdr, tp_snaplen), PH_SNAPLEN);
        assert_eq!(offset_of!(libc::tpacket3_hdr, tp_len), PH_LEN);
        assert_eq!(offset_of!(libc::tpacket3_hdr, tp_mac), PH_MAC);
    }

    #[test]
    fn walks_packets_in_order() {
        let mut b = FakeBlock::new(4096);
        b.push(10, 5, &[1; 60], 60);
        b.push(11, 999_999_999, &[2; 100], 1514);
        b.push(12, 0, &[], 0);
        let got = walk_all(&b.buf).unwrap();
        assert_eq!(got.len(), 3);
        assert_eq!(
            (got[0].0.sec, got[0].0.nsec, got[0].0.wire_len),
            (10, 5, 60)
        );
        assert_eq!(got[0].1, vec![1; 60]);
        assert_eq!(got[0].0.frame.start, BLOCK_DESC_LEN + MAC);
        assert_eq!(
            (got[1].0.sec, got[1].0.nsec, got[1].0.wire_len),
            (11, 999_999_999, 1514)
        );
        assert_eq!(got[1].1, vec![2; 100]);
        assert_eq!(got[2].0.frame.len(), 0);
        // the last packet's next offset (0, as the kernel leaves it) is ignored
        let empty = FakeBlock::new(4096);
        assert!(walk_all(&empty.buf).unwrap().is_empty());
    }

    #[test]
    fn frame_up_to_the_last_used_byte() {
        let mut b = FakeBlock::new(4096);
        b.push(1, 0, &[7; 30], 30);
        // blk_len exactly at the frame's end (no alignment padding)
        let end = (BLOCK_DESC_LEN + MAC + 30) as u32;
        b.put32(BD_BLK_LEN, end);
        assert_eq!(walk_all(&b.buf).unwrap()[0].1, vec![7; 30]);
        b.put32(BD_BLK_LEN, end - 1);
        assert_eq!(walk_all(&b.buf).unwrap_err(), RingError::Frame);
    }

    #[test]
    fn corrupt_descriptors() {
        let mut b = FakeBlock::new(1024);
        b.push(1, 0, &[0; 40], 40);
        // blk_len past the block, below the descriptor
        for bad in [1025, 47, u32::MAX] {
            let mut c = b.buf.clone();
            c[BD_BLK_LEN..BD_BLK_LEN + 4].copy_from_slice(&bad.to_ne_bytes());
            assert_eq!(
                BlockWalk::new(&c).unwrap_err(),
                RingError::BlockLength,
                "{bad}"
            );
        }
        // first packet inside the descriptor or past the used bytes
        for bad in [0, 47, b.at as u32, u32::MAX] {
            let mut c = b.buf.clone();
            c[BD_OFFSET_TO_FIRST..BD_OFFSET_TO_FIRST + 4].copy_from_slice(&bad.to_ne_bytes());
            assert_eq!(
                BlockWalk::new(&c).unwrap_err(),
                RingError::FirstOffset,
                "{bad}"
            );
        }
        // a block shorter than its descriptor
        assert_eq!(
            BlockWalk::new(&b.buf[..20]).unwrap_err(),
            RingError::BlockLength
        );
        assert_eq!(
            BlockWalk::new(&b.buf[..47]).unwrap_err(),
            RingError::BlockLength
        );
    }

    #[test]
    fn corrupt_packets() {
        let mut b = FakeBlock::new(2048);
        let h0 = b.push(1, 0, &[1; 64], 64);
        let h1 = b.push(2, 0, &[2; 64], 64);
        let clean = b.buf.clone();
        let set_all = |fields: &[(usize, u32)]| {
            let mut c = clean.clone();
            for &(at, v) in fields {
                c[at..at + 4].copy_from_slice(&v.to_ne_bytes());
            }
            c
        };
        let set = |at: usize, v: u32| set_all(&[(at, v)]);
        // snaplen past the used bytes, or absurd (wire length raised too,
        // so that only the bounds are wrong)
        for bad in [2000, 100_000, u32::MAX] {
            let c = set_all(&[(h1 + PH_SNAPLEN, bad), (h1 + PH_LEN, u32::MAX)]);
            let mut w = BlockWalk::new(&c).unwrap();
            assert!(w.next(&c).unwrap().is_ok());
            assert_eq!(w.next(&c).unwrap().unwrap_err(), RingError::Frame, "{bad}");
            assert!(w.next(&c).is_none(), "the walk stops after an error");
        }
        // snaplen above the wire length
        let c = set(h0 + PH_LEN, 63);
        assert_eq!(walk_all(&c).unwrap_err(), RingError::Frame);
        // tp_mac inside the header, or past everything
        for mac in [0u16, 47, u16::MAX] {
            let mut c = clean.clone();
            c[h0 + PH_MAC..h0 + PH_MAC + 2].copy_from_slice(&mac.to_ne_bytes());
            assert_eq!(walk_all(&c).unwrap_err(), RingError::Frame, "{mac}");
        }
        // next offset: zero (no progress), into the frame, past the block
        for bad in [0, 8, (MAC + 63) as u32, 1900, u32::MAX] {
            let c = set(h0 + PH_NEXT_OFFSET, bad);
            assert_eq!(walk_all(&c).unwrap_err(), RingError::NextOffset, "{bad}");
        }
        // more packets announced than present: the walk runs off the end
        let mut c = clean.clone();
        c[BD_NUM_PKTS..BD_NUM_PKTS + 4].copy_from_slice(&u32::MAX.to_ne_bytes());
        let mut w = BlockWalk::new(&c).unwrap();
        assert!(w.next(&c).unwrap().is_ok());
        assert!(w.next(&c).unwrap().is_err());
        assert!(w.next(&c).is_none());
        // a header at the very end of the used bytes
        let c = set(BD_BLK_LEN, (h1 + PKT_HDR_LEN - 1) as u32);
        let mut w = BlockWalk::new(&c).unwrap();
        assert_eq!(w.next(&c).unwrap().unwrap_err(), RingError::NextOffset);
    }

    #[test]
    fn restores_vlan_tags() {
        let frame: Vec<u8> = (0..60u8).collect(); // dst 0..6, src 6..12, type 12..14
        let mut b = FakeBlock::new(4096);
        let h = b.push(1, 0, &frame, 60);
        b.put32(
            h + PH_STATUS,
            TP_STATUS_VLAN_VALID | TP_STATUS_VLAN_TPID_VALID,
        );
        b.put32(h + PH_VLAN_TCI, 0x2000 | 42);
        b.buf[h + PH_VLAN_TPID..h + PH_VLAN_TPID + 2].copy_from_slice(&0x88a8u16.to_ne_bytes());
        let h2 = b.push(2, 0, &frame, 60);
        b.put32(h2 + PH_STATUS, TP_STATUS_VLAN_VALID); // no TPID: 802.1Q
        b.put32(h2 + PH_VLAN_TCI, 7);
        b.push(3, 0, &frame, 60); // untagged
        let mut block = b.buf.clone();
        let mut w = BlockWalk::new(&block).unwrap();
        let mut out = Vec::new();
        while let Some(r) = w.next(&block) {
            let mut r = r.unwrap();
            let restored = restore_vlan(&mut block, &mut r);
            out.push((restored, r.wire_len, block[r.frame.clone()].to_vec()));
        }
        let tagged = |tpid: u16, tci: u16| {
            let mut f = frame[..12].to_vec();
            f.extend_from_slice(&tpid.to_be_bytes());
            f.extend_from_slice(&tci.to_be_bytes());
            f.extend_from_slice(&frame[12..]);
            f
        };
        assert_eq!(out[0], (true, 64, tagged(0x88a8, 0x2000 | 42)));
        assert_eq!(out[1], (true, 64, tagged(0x8100, 7)));
        assert_eq!(out[2], (false, 60, frame.clone()));
        // no room before the frame (it would overwrite the sockaddr_ll)
        let mut rec = PacketRec {
            sec: 0,
            nsec: 0,
            frame: 100..160,
            wire_len: 60,
            hdr: 100 - PKT_HDR_LEN - SLL_LEN - 3,
            vlan: Some((0x8100, 1)),
        };
        let mut buf = vec![0u8; 200];
        assert!(!restore_vlan(&mut buf, &mut rec));
        assert_eq!(rec.frame, 100..160);
        // a frame shorter than two addresses, a range past the block
        rec.hdr = 0;
        rec.frame = 100..111;
        assert!(!restore_vlan(&mut buf, &mut rec));
        rec.frame = 100..201;
        assert!(!restore_vlan(&mut buf, &mut rec));
        rec.frame = 100..112;
        assert!(restore_vlan(&mut buf, &mut rec));
        assert_eq!(rec.frame, 96..112);
    }

    #[test]
    fn random_blocks_never_panic() {
        // xorshift: deterministic garbage, including garbage that starts
        // from a valid block
        let mut s: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut rnd = move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        let mut base = FakeBlock::new(512);
        base.push(1, 0, &[9; 50], 50);
        base.push(2, 0, &[8; 50], 50);
        base.push(3, 0, &[7; 50], 50);
        for i in 0..20_000 {
            let mut c = if i % 2 == 0 {
                base.buf.clone()
            } else {
                (0..(rnd() % 600) as usize).map(|_| rnd() as u8).collect()
            };
            if !c.is_empty() {
                for _ in 0..(rnd() % 6) {
                    let at = (rnd() as usize) % c.len();
                    c[at] = rnd() as u8;
                }
            }
            if let Ok(mut w) = BlockWalk::new(&c) {
                let mut n = 0;
                let mut c = c.clone();
                while let Some(r) = w.next(&c) {
                    if let Ok(mut p) = r {
                        assert!(p.frame.end <= c.len());
                        restore_vlan(&mut c, &mut p);
                        assert!(p.frame.end <= c.len());
                    }
                    n += 1;
                    assert!(n <= c.len() / PKT_HDR_LEN + 1, "walk must progress");
                }
            }
        }
    }
}
