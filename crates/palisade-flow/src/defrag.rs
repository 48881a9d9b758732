//! IPv4 and IPv6 defragmentation.
//!
//! Policy: **first wins**. Bytes already received for a datagram keep their
//! first value; a later fragment that overlaps them raises
//! `decoder.ipv4.frag_overlap` / `decoder.ipv6.frag_overlap` (once per
//! datagram) whatever its data, since overlapping fragments have no benign
//! use and are the classic evasion (Ptacek & Newsham). Suricata's default
//! policy is "bsd"; first-wins differs from it only for overlaps that start
//! before an existing fragment, and is what most IoT stacks (lwIP) do.
//!
//! Limits, each counted and raised as an anomaly: a tracker waits `timeout`
//! seconds of packet time for its missing pieces; at most `max_fragments` per
//! datagram; a datagram may not pass 65,535 bytes; all trackers of a worker
//! share a memory budget, beyond which new fragments are dropped.
//!
//! The reassembled datagram is rebuilt as a plain IP packet (IPv4: the first
//! fragment's header with length, flags and checksum fixed; IPv6: the fixed
//! header with the fragment's next header, extension headers before the
//! fragment header left out) and decoded again like any packet.

use crate::config::DefragConfig;
use crate::stream::MemBudget;
use hashbrown::HashMap;
use palisade_event::Timestamp;
use palisade_wire::{checksum, Addr, FragInfo, Frame, MAX_VLANS};
use std::collections::VecDeque;

/// Largest IP datagram (payload for IPv6, whole packet for IPv4).
const MAX_DATAGRAM: u32 = 65_535;

/// Defragmentation anomalies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefragEvent {
    /// Overlapping IPv4 fragments.
    Ipv4Overlap,
    /// Overlapping IPv6 fragments.
    Ipv6Overlap,
    /// IPv4 fragments reaching past 65,535 bytes.
    Ipv4TooLarge,
    /// IPv6 fragments reaching past 65,535 bytes.
    Ipv6TooLarge,
    /// A datagram had more fragments than allowed.
    MaxFragments,
    /// A datagram's fragments did not all arrive in time.
    Timeout,
    /// The defrag memcap refused a fragment.
    Memcap,
}

impl DefragEvent {
    /// EVE event name (Suricata's where it has one).
    pub fn name(self) -> &'static str {
        match self {
            DefragEvent::Ipv4Overlap => "decoder.ipv4.frag_overlap",
            DefragEvent::Ipv6Overlap => "decoder.ipv6.frag_overlap",
            DefragEvent::Ipv4TooLarge => "decoder.ipv4.frag_pkt_too_large",
            DefragEvent::Ipv6TooLarge => "decoder.ipv6.frag_pkt_too_large",
            DefragEvent::MaxFragments => "defrag.max_fragments_reached",
            DefragEvent::Timeout => "defrag.tracker_timeout",
            DefragEvent::Memcap => "defrag.memcap_reached",
        }
    }
}

/// Defragmentation counters (Suricata's `defrag.*`).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DefragStats {
    /// IPv4 fragments received.
    pub ipv4_fragments: u64,
    /// IPv4 datagrams reassembled.
    pub ipv4_reassembled: u64,
    /// IPv6 fragments received.
    pub ipv6_fragments: u64,
    /// IPv6 datagrams reassembled.
    pub ipv6_reassembled: u64,
    /// Datagrams with overlapping fragments.
    pub overlaps: u64,
    /// Trackers dropped for too many fragments.
    pub max_frag_hits: u64,
    /// Trackers dropped for exceeding the maximum datagram size.
    pub too_large: u64,
    /// Trackers that timed out incomplete.
    pub timeouts: u64,
    /// Fragments dropped by the memcap.
    pub memcap_drops: u64,
    /// Trackers currently open.
    pub trackers_active: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct DefragKey {
    src: Addr,
    dst: Addr,
    id: u32,
    proto: u8,
    is_v4: bool,
    vlans: [u16; MAX_VLANS],
    tunnel: u32,
}

#[derive(Debug, Default)]
struct Tracker {
    stamp: u64,
    data: Vec<u8>,
    /// Sorted, disjoint, non-adjacent-merged byte ranges received.
    covered: Vec<(u32, u32)>,
    total: Option<u32>,
    header: Vec<u8>,
    fragments: u32,
    overlapped: bool,
    charged: u64,
}

impl Tracker {
    fn complete(&self) -> bool {
        match (self.total, self.covered.first()) {
            (Some(t), Some(&(0, e))) => {
                self.covered.len() == 1 && e >= t && !self.header.is_empty()
            }
            (Some(0), None) => !self.header.is_empty(),
            _ => false,
        }
    }

    /// Adds [s, e); returns whether it overlapped bytes already received.
    /// Only bytes not yet covered are written (first wins).
    fn add(&mut self, s: u32, bytes: &[u8]) -> bool {
        let e = s + bytes.len() as u32;
        let mut overlap = false;
        let mut cursor = s;
        let mut i = 0;
        // Write the uncovered parts.
        while cursor < e {
            // next covered range that ends after cursor
            while i < self.covered.len() && self.covered[i].1 <= cursor {
                i += 1;
            }
            let (cs, ce) = self.covered.get(i).copied().unwrap_or((e, e));
            if cs > cursor {
                let w_end = cs.min(e);
                let (from, to) = ((cursor - s) as usize, (w_end - s) as usize);
                if let (Some(dst), Some(src)) = (
                    self.data.get_mut(cursor as usize..w_end as usize),
                    bytes.get(from..to),
                ) {
                    dst.copy_from_slice(src);
                }
                cursor = w_end;
            } else {
                overlap = true;
                cursor = ce.min(e).max(cursor);
            }
        }
        // Merge [s, e) into the covered list.
        let mut merged = (s, e);
        self.covered.retain(|&(a, b)| {
            if b < merged.0 || a > merged.1 {
                true
            } else {
                merged = (merged.0.min(a), merged.1.max(b));
                false
            }
        });
        let pos = self.covered.partition_point(|&(a, _)| a < merged.0);
        self.covered.insert(pos, merged);
        overlap
    }
}

/// Reassembles IP fragments of one worker.
pub struct Defragmenter {
    cfg: DefragConfig,
    trackers: HashMap<DefragKey, Tracker>,
    order: VecDeque<(u64, DefragKey, u64)>,
    mem: MemBudget,
    next_stamp: u64,
    /// Counters.
    pub stats: DefragStats,
}

impl Defragmenter {
    /// A defragmenter with `memcap` bytes of tracker memory.
    pub fn new(cfg: &DefragConfig, memcap: u64) -> Self {
        Defragmenter {
            cfg: cfg.clone(),
            trackers: HashMap::new(),
            order: VecDeque::new(),
            mem: MemBudget {
                used: 0,
                cap: memcap,
                refused: 0,
            },
            next_stamp: 1,
            stats: DefragStats::default(),
        }
    }

    /// Memory held by trackers.
    pub fn memory(&self) -> u64 {
        self.mem.used
    }

    /// Takes one fragment. When it completes its datagram, the rebuilt IP
    /// packet is written to `out` and true is returned.
    pub fn insert(
        &mut self,
        frame: &Frame,
        frag: &FragInfo,
        now: Timestamp,
        out: &mut Vec<u8>,
        events: &mut Vec<DefragEvent>,
    ) -> bool {
        let is_v4 = frame.ip.is_v4;
        if is_v4 {
            self.stats.ipv4_fragments += 1;
        } else {
            self.stats.ipv6_fragments += 1;
        }
        let Some(bytes) = frame.ip.packet.get(frag.data_offset as usize..) else {
            return false;
        };
        let key = DefragKey {
            src: frame.ip.src,
            dst: frame.ip.dst,
            id: frag.id,
            proto: frag.next_proto,
            is_v4,
            vlans: frame.vlans,
            tunnel: frame.tunnel_id,
        };
        let hdr_len = if is_v4 { frame.ip.header_len as u32 } else { 0 };
        let end = frag.offset.saturating_add(bytes.len() as u32);
        if end.saturating_add(hdr_len) > MAX_DATAGRAM {
            self.stats.too_large += 1;
            events.push(if is_v4 {
                DefragEvent::Ipv4TooLarge
            } else {
                DefragEvent::Ipv6TooLarge
            });
            self.drop_tracker(&key);
            return false;
        }
        if !self.trackers.contains_key(&key) {
            let stamp = self.next_stamp;
            self.next_stamp += 1;
            self.trackers.insert(
                key,
                Tracker {
                    stamp,
                    ..Default::default()
                },
            );
            self.order
                .push_back((now.add_secs(self.cfg.timeout).as_nanos(), key, stamp));
            self.stats.trackers_active += 1;
        }
        let Some(t) = self.trackers.get_mut(&key) else {
            return false;
        };
        t.fragments += 1;
        if t.fragments > self.cfg.max_fragments {
            self.stats.max_frag_hits += 1;
            events.push(DefragEvent::MaxFragments);
            self.drop_tracker(&key);
            return false;
        }
        // Memory: grow the data buffer to cover this fragment.
        let need = (end as usize).max(t.data.len());
        let header_need = if frag.offset == 0 && t.header.is_empty() {
            if is_v4 {
                frame.ip.header_len as usize
            } else {
                40
            }
        } else {
            0
        };
        let extra = (need - t.data.len() + header_need) as u64;
        if extra > 0 && !self.mem.try_take(extra) {
            self.stats.memcap_drops += 1;
            events.push(DefragEvent::Memcap);
            return false;
        }
        t.charged += extra;
        if need > t.data.len() {
            t.data.resize(need, 0);
        }
        if header_need > 0 {
            if let Some(h) = frame.ip.packet.get(..header_need) {
                t.header.extend_from_slice(h);
            }
        }
        if !frag.more {
            match t.total {
                None => t.total = Some(end),
                // two "last" fragments disagree: treat as overlap
                Some(prev) if prev != end && !t.overlapped => {
                    t.overlapped = true;
                    self.stats.overlaps += 1;
                    events.push(overlap_event(is_v4));
                }
                _ => {}
            }
        }
        if t.add(frag.offset, bytes) && !t.overlapped {
            t.overlapped = true;
            self.stats.overlaps += 1;
            events.push(overlap_event(is_v4));
        }
        if !t.complete() {
            return false;
        }
        let Some(t) = self.trackers.remove(&key) else {
            return false;
        };
        self.stats.trackers_active -= 1;
        self.mem.give(t.charged);
        let total = t.total.unwrap_or(0) as usize;
        let data = t.data.get(..total).unwrap_or(&t.data);
        out.clear();
        if is_v4 {
            self.stats.ipv4_reassembled += 1;
            let hl = t.header.len();
            out.extend_from_slice(&t.header);
            out.extend_from_slice(data);
            let tot = (hl + data.len()).min(65_535) as u16;
            if out.len() >= 20 {
                out[2..4].copy_from_slice(&tot.to_be_bytes());
                out[6] = 0;
                out[7] = 0;
                out[10] = 0;
                out[11] = 0;
                let c = checksum::checksum(&out[..hl.min(out.len())]);
                out[10..12].copy_from_slice(&c.to_be_bytes());
            }
        } else {
            self.stats.ipv6_reassembled += 1;
            out.extend_from_slice(&t.header);
            out.extend_from_slice(data);
            if out.len() >= 40 {
                out[4..6].copy_from_slice(&(data.len() as u16).to_be_bytes());
                out[6] = frag.next_proto;
            }
        }
        true
    }

    fn drop_tracker(&mut self, key: &DefragKey) {
        if let Some(t) = self.trackers.remove(key) {
            self.mem.give(t.charged);
            self.stats.trackers_active -= 1;
        }
    }

    /// Drops trackers whose time is up.
    pub fn expire(&mut self, now: Timestamp, events: &mut Vec<DefragEvent>) {
        while let Some(&(exp, key, stamp)) = self.order.front() {
            if exp > now.as_nanos() {
                break;
            }
            self.order.pop_front();
            if self.trackers.get(&key).map(|t| t.stamp) == Some(stamp) {
                self.stats.timeouts += 1;
                events.push(DefragEvent::Timeout);
                self.drop_tracker(&key);
            }
        }
    }
}

fn overlap_event(is_v4: bool) -> DefragEvent {
    if is_v4 {
        DefragEvent::Ipv4Overlap
    } else {
        DefragEvent::Ipv6Overlap
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_wire::IpInfo;

    /// An IPv4 fragment frame over `pkt` (20-byte header + data).
    fn v4_frag<'a>(
        pkt: &'a mut Vec<u8>,
        id: u16,
        off: u32,
        more: bool,
        data: &[u8],
    ) -> (Frame<'a>, FragInfo) {
        pkt.clear();
        pkt.extend_from_slice(&[
            0x45, 0, 0, 0, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
        ]);
        pkt[4..6].copy_from_slice(&id.to_be_bytes());
        let tot = (20 + data.len()) as u16;
        pkt[2..4].copy_from_slice(&tot.to_be_bytes());
        pkt.extend_from_slice(data);
        let mut src = [0u8; 16];
        src[..4].copy_from_slice(&[10, 0, 0, 1]);
        let mut dst = [0u8; 16];
        dst[..4].copy_from_slice(&[10, 0, 0, 2]);
        let fi = FragInfo {
            id: id as u32,
            offset: off,
            more,
            next_proto: 17,
            data_offset: 20,
        };
        let f = Frame {
            ip: IpInfo {
                is_v4: true,
                src,
                dst,
                proto: 17,
                header_len: 20,
                packet: pkt.as_slice(),
                frag: Some(fi),
                ..Default::default()
            },
            ..Default::default()
        };
        (f, fi)
    }

    #[allow(clippy::too_many_arguments)]
    fn feed(
        d: &mut Defragmenter,
        id: u16,
        off: u32,
        more: bool,
        data: &[u8],
        t: u64,
        out: &mut Vec<u8>,
        ev: &mut Vec<DefragEvent>,
    ) -> bool {
        let mut pkt = Vec::new();
        let (f, fi) = v4_frag(&mut pkt, id, off, more, data);
        d.insert(&f, &fi, Timestamp::from_secs_nanos(t, 0), out, ev)
    }

    #[test]
    fn reassembles_out_of_order_and_fixes_header() {
        let mut d = Defragmenter::new(&DefragConfig::default(), 1 << 20);
        let (mut out, mut ev) = (Vec::new(), Vec::new());
        assert!(!feed(
            &mut d,
            7,
            8,
            false,
            b"89abcdef",
            0,
            &mut out,
            &mut ev
        ));
        assert!(feed(&mut d, 7, 0, true, b"01234567", 0, &mut out, &mut ev));
        assert_eq!(&out[20..], b"0123456789abcdef");
        assert_eq!(u16::from_be_bytes([out[2], out[3]]), 36);
        assert_eq!(checksum::checksum(&out[..20]), 0, "header checksum valid");
        assert!(ev.is_empty());
        assert_eq!(d.stats.ipv4_reassembled, 1);
        assert_eq!(d.memory(), 0);
        assert_eq!(d.stats.trackers_active, 0);
    }

    #[test]
    fn overlap_first_wins_and_is_reported_once() {
        let mut d = Defragmenter::new(&DefragConfig::default(), 1 << 20);
        let (mut out, mut ev) = (Vec::new(), Vec::new());
        feed(&mut d, 1, 0, true, b"AAAAAAAA", 0, &mut out, &mut ev);
        feed(&mut d, 1, 0, true, b"BBBBBBBBCC", 0, &mut out, &mut ev);
        assert!(feed(&mut d, 1, 8, false, b"ZZZZZZZZ", 0, &mut out, &mut ev));
        assert_eq!(&out[20..], b"AAAAAAAACCZZZZZZ");
        assert_eq!(ev, vec![DefragEvent::Ipv4Overlap]);
    }

    #[test]
    fn timeout_drops_incomplete_trackers() {
        let mut d = Defragmenter::new(&DefragConfig::default(), 1 << 20);
        let (mut out, mut ev) = (Vec::new(), Vec::new());
        feed(&mut d, 1, 0, true, b"AAAAAAAA", 100, &mut out, &mut ev);
        d.expire(Timestamp::from_secs_nanos(159, 0), &mut ev);
        assert!(ev.is_empty());
        d.expire(Timestamp::from_secs_nanos(160, 0), &mut ev);
        assert_eq!(ev, vec![DefragEvent::Timeout]);
        assert_eq!(d.memory(), 0);
        // the late last fragment starts a new tracker and does not complete
        assert!(!feed(
            &mut d,
            1,
            8,
            false,
            b"BBBBBBBB",
            161,
            &mut out,
            &mut ev
        ));
    }

    #[test]
    fn limits_fragment_count_size_and_memory() {
        let cfg = DefragConfig {
            max_fragments: 3,
            ..Default::default()
        };
        let mut d = Defragmenter::new(&cfg, 1 << 20);
        let (mut out, mut ev) = (Vec::new(), Vec::new());
        for i in 0..4 {
            feed(
                &mut d,
                2,
                i * 8 + 64,
                true,
                b"12345678",
                0,
                &mut out,
                &mut ev,
            );
        }
        assert_eq!(ev, vec![DefragEvent::MaxFragments]);
        ev.clear();
        feed(&mut d, 3, 65_528, true, b"12345678", 0, &mut out, &mut ev);
        assert_eq!(ev, vec![DefragEvent::Ipv4TooLarge]);
        ev.clear();
        let mut small = Defragmenter::new(&DefragConfig::default(), 100);
        feed(&mut small, 4, 1000, true, b"12345678", 0, &mut out, &mut ev);
        assert_eq!(ev, vec![DefragEvent::Memcap]);
        assert_eq!(small.memory(), 0);
    }
}
