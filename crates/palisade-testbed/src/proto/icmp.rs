//! ICMP echo: a device checking it can reach the gateway, iputils style (56
//! data bytes: a timeval then the 0x10.. pattern), one second apart, with one
//! echo identifier per session.

use crate::scheduler::Ctx;
use crate::world::HostId;

/// One ping session.
#[derive(Debug)]
pub(crate) struct PingConv {
    src: HostId,
    dst: HostId,
    ident: u16,
    seq: u16,
    count: u16,
    reply_next: bool,
    data: [u8; 56],
}

/// iputils' payload: a `struct timeval` (little-endian on x86-64 and ARM)
/// followed by bytes 0x10, 0x11, ...
pub(crate) fn payload(ns: u64) -> [u8; 56] {
    let mut d = [0u8; 56];
    d[..8].copy_from_slice(&(ns / 1_000_000_000).to_le_bytes());
    d[8..16].copy_from_slice(&(ns % 1_000_000_000 / 1000).to_le_bytes());
    for (i, b) in d[16..].iter_mut().enumerate() {
        *b = 0x10 + i as u8;
    }
    d
}

impl PingConv {
    /// `None` when the host has used every echo identifier.
    pub(crate) fn new(cx: &mut Ctx<'_>, src: HostId, dst: HostId, count: u16) -> Option<Self> {
        let h = &mut cx.world.hosts[src as usize];
        if h.icmp_used >= 65_536 {
            return None;
        }
        let ident = h.icmp_id;
        h.icmp_id = ident.wrapping_add(1);
        h.icmp_used += 1;
        Some(PingConv {
            src,
            dst,
            ident,
            seq: 1,
            count,
            reply_next: false,
            data: [0; 56],
        })
    }

    pub(crate) fn step(&mut self, cx: &mut Ctx<'_>) -> Option<u64> {
        let now = cx.now;
        if !self.reply_next {
            if self.seq == 1 {
                cx.counts.icmp += 1;
            }
            self.data = payload(now);
            let ip = cx.world.ip(self.src, self.dst);
            cx.frame
                .icmp_echo(&ip, false, self.ident, self.seq, &self.data);
            self.reply_next = true;
            return Some(now + cx.rng.range(150_000, 2_500_000));
        }
        let ip = cx.world.ip(self.dst, self.src);
        cx.frame
            .icmp_echo(&ip, true, self.ident, self.seq, &self.data);
        self.reply_next = false;
        if self.seq >= self.count {
            return None;
        }
        self.seq += 1;
        Some(now + cx.rng.range(998_000_000, 1_002_000_000))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn payload_pattern() {
        let d = super::payload(1_767_600_000_123_456_789);
        assert_eq!(
            u64::from_le_bytes(d[..8].try_into().unwrap()),
            1_767_600_000
        );
        assert_eq!(u64::from_le_bytes(d[8..16].try_into().unwrap()), 123_456);
        assert_eq!(d[16], 0x10);
        assert_eq!(d[55], 0x37);
    }
}
