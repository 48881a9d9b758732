//! NTP: a device's client request (mode 3) and the gateway's server reply
//! (mode 4), both 48 bytes, from a fresh ephemeral client port.

use super::ntp_time;
use crate::catalog::Stack;
use crate::scheduler::Ctx;
use crate::world::{DevId, GATEWAY};

/// NTP packet length without extensions.
pub(crate) const NTP_LEN: usize = 48;

/// The client request: version 4, mode 3. Full clients (Linux) fill poll
/// and precision; SNTP clients (lwIP) only the transmit timestamp.
pub(crate) fn write_request(b: &mut Vec<u8>, full: bool, poll: u8, xmt: u64) {
    let start = b.len();
    b.resize(start + NTP_LEN, 0);
    let p = &mut b[start..];
    p[0] = 0x23; // LI 0, VN 4, mode 3
    if full {
        p[2] = poll;
        p[3] = 0xe9; // precision 2^-23
        p[4..8].copy_from_slice(&0x0000_0100u32.to_be_bytes()); // root delay
        p[8..12].copy_from_slice(&0x0000_0200u32.to_be_bytes()); // root dispersion
    }
    p[40..48].copy_from_slice(&xmt.to_be_bytes());
}

/// The gateway's reply: stratum 2, synchronised to an upstream server.
pub(crate) fn write_reply(
    b: &mut Vec<u8>,
    poll: u8,
    origin: u64,
    recv: u64,
    xmt: u64,
    reference: u64,
) {
    let start = b.len();
    b.resize(start + NTP_LEN, 0);
    let p = &mut b[start..];
    p[0] = 0x24; // LI 0, VN 4, mode 4
    p[1] = 2;
    p[2] = poll;
    p[3] = 0xe7; // precision 2^-25
    p[4..8].copy_from_slice(&0x0000_0a3du32.to_be_bytes());
    p[8..12].copy_from_slice(&0x0000_0319u32.to_be_bytes());
    p[12..16].copy_from_slice(&[192, 0, 2, 123]); // refid: upstream server
    p[16..24].copy_from_slice(&reference.to_be_bytes());
    p[24..32].copy_from_slice(&origin.to_be_bytes());
    p[32..40].copy_from_slice(&recv.to_be_bytes());
    p[40..48].copy_from_slice(&xmt.to_be_bytes());
}

/// One NTP exchange.
#[derive(Debug)]
pub(crate) struct NtpConv {
    dev: DevId,
    port: u16,
    poll: u8,
    /// Client transmit timestamp, echoed as the reply's origin.
    xmt: u64,
    sent: bool,
}

impl NtpConv {
    /// `None` when the device has no ephemeral port left.
    pub(crate) fn new(cx: &mut Ctx<'_>, dev: DevId, poll: u8) -> Option<Self> {
        let host = cx.world.devices[dev as usize].host;
        let port = cx.world.hosts[host as usize].ports.next()?;
        Some(NtpConv {
            dev,
            port,
            poll,
            xmt: 0,
            sent: false,
        })
    }

    pub(crate) fn step(&mut self, cx: &mut Ctx<'_>) -> Option<u64> {
        let host = cx.world.devices[self.dev as usize].host;
        let now = cx.now;
        if !self.sent {
            cx.counts.udp += 1;
            let full = cx.world.hosts[host as usize].stack == Stack::Linux;
            // The client's clock is a little off.
            self.xmt = ntp_time(now + cx.rng.range(0, 40_000_000));
            let ip = cx.world.ip(host, GATEWAY);
            let (poll, xmt) = (self.poll, self.xmt);
            cx.frame
                .udp(&ip, self.port, 123, |b| write_request(b, full, poll, xmt));
            self.sent = true;
            return Some(now + cx.rng.range(120_000, 900_000));
        }
        let recv = ntp_time(now - 60_000);
        let xmt = ntp_time(now - 20_000);
        let reference = ntp_time(now - cx.rng.range(16, 1024) * 1_000_000_000);
        let ip = cx.world.ip(GATEWAY, host);
        let (poll, origin) = (self.poll, self.xmt);
        cx.frame.udp(&ip, 123, self.port, |b| {
            write_reply(b, poll, origin, recv, xmt, reference)
        });
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_and_reply_layout() {
        let mut b = Vec::new();
        write_request(&mut b, true, 6, 0x1122_3344_5566_7788);
        assert_eq!(b.len(), 48);
        assert_eq!(b[0] & 7, 3);
        assert_eq!(b[0] >> 3 & 7, 4);
        assert_eq!(b[2], 6);
        assert_eq!(&b[40..], &0x1122_3344_5566_7788u64.to_be_bytes());
        let mut r = Vec::new();
        write_reply(&mut r, 6, 0x1122_3344_5566_7788, 5, 6, 4);
        assert_eq!(r.len(), 48);
        assert_eq!(r[0] & 7, 4);
        assert_eq!(r[1], 2);
        assert_eq!(&r[24..32], &b[40..48]);
        let mut sntp = Vec::new();
        write_request(&mut sntp, false, 0, 9);
        assert!(sntp[1..40].iter().all(|&x| x == 0));
    }
}
