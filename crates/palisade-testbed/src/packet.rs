//! Builds Ethernet frames (IPv4 with TCP, UDP or ICMP; ARP) into one reused
//! buffer, with correct lengths and checksums.
//!
//! One [`Frame`] lives for the whole generation; every packet clears and
//! refills it, so the steady state allocates nothing. Frames shorter than the
//! Ethernet minimum are zero-padded to 60 bytes, as a mirror port delivers
//! them (the IP total length still says where the datagram ends).

use palisade_wire::checksum;

/// Ethernet header length.
pub(crate) const ETH_LEN: usize = 14;
/// IPv4 header length (no options are ever written).
pub(crate) const IPV4_LEN: usize = 20;
/// TCP header length without options.
pub(crate) const TCP_LEN: usize = 20;
/// Shortest Ethernet frame without FCS.
pub(crate) const MIN_FRAME: usize = 60;
/// The broadcast MAC.
pub(crate) const BROADCAST: [u8; 6] = [0xff; 6];

/// TCP flag bits.
pub(crate) mod flags {
    pub const FIN: u8 = 0x01;
    pub const SYN: u8 = 0x02;
    pub const RST: u8 = 0x04;
    pub const PSH: u8 = 0x08;
    pub const ACK: u8 = 0x10;
}

/// Link and network addressing of one packet.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ip {
    pub src_mac: [u8; 6],
    pub dst_mac: [u8; 6],
    pub src: [u8; 4],
    pub dst: [u8; 4],
    pub ttl: u8,
    pub id: u16,
    pub df: bool,
}

/// The TCP header fields of one segment.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tcp<'a> {
    pub sport: u16,
    pub dport: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: u8,
    pub window: u16,
    /// Options, already padded to a multiple of 4 bytes.
    pub options: &'a [u8],
}

/// The reusable frame buffer.
pub(crate) struct Frame {
    buf: Vec<u8>,
    ready: bool,
}

impl Frame {
    pub(crate) fn new() -> Self {
        Frame {
            buf: Vec::with_capacity(2048),
            ready: false,
        }
    }

    /// The frame built by the last call, if any since [`Frame::take`].
    pub(crate) fn take(&mut self) -> Option<&[u8]> {
        if self.ready {
            self.ready = false;
            Some(&self.buf)
        } else {
            None
        }
    }

    fn eth(&mut self, src: [u8; 6], dst: [u8; 6], ethertype: u16) {
        debug_assert!(!self.ready, "a step emits at most one packet");
        self.buf.clear();
        self.buf.extend_from_slice(&dst);
        self.buf.extend_from_slice(&src);
        self.buf.extend_from_slice(&ethertype.to_be_bytes());
    }

    fn ipv4_header(&mut self, ip: &Ip, proto: u8) {
        self.eth(ip.src_mac, ip.dst_mac, 0x0800);
        let b = &mut self.buf;
        b.extend_from_slice(&[0x45, 0x00, 0, 0]); // total length patched later
        b.extend_from_slice(&ip.id.to_be_bytes());
        b.extend_from_slice(&(if ip.df { 0x4000u16 } else { 0 }).to_be_bytes());
        b.extend_from_slice(&[ip.ttl, proto, 0, 0]);
        b.extend_from_slice(&ip.src);
        b.extend_from_slice(&ip.dst);
    }

    /// Patches the IPv4 length and checksum, the L4 checksum at `csum_at`
    /// (offset within the L4 header), pads, and marks the frame ready.
    fn finish_ipv4(&mut self, ip: &Ip, proto: u8, csum_at: usize, pseudo: bool) {
        let total = self.buf.len() - ETH_LEN;
        let b = &mut self.buf;
        b[ETH_LEN + 2..ETH_LEN + 4].copy_from_slice(&(total as u16).to_be_bytes());
        let hc = checksum::checksum(&b[ETH_LEN..ETH_LEN + IPV4_LEN]);
        b[ETH_LEN + 10..ETH_LEN + 12].copy_from_slice(&hc.to_be_bytes());
        let l4 = ETH_LEN + IPV4_LEN;
        let seg_len = total - IPV4_LEN;
        let mut c = if pseudo {
            let p = checksum::pseudo_v4(ip.src, ip.dst, proto, seg_len as u32);
            checksum::upper_layer(p, &b[l4..])
        } else {
            checksum::checksum(&b[l4..])
        };
        if proto == 17 && c == 0 {
            c = 0xffff; // UDP: zero means "no checksum"
        }
        b[l4 + csum_at..l4 + csum_at + 2].copy_from_slice(&c.to_be_bytes());
        if b.len() < MIN_FRAME {
            b.resize(MIN_FRAME, 0);
        }
        self.ready = true;
    }

    /// An IPv4/TCP segment.
    pub(crate) fn tcp(&mut self, ip: &Ip, tcp: &Tcp<'_>, payload: &[u8]) {
        debug_assert!(tcp.options.len().is_multiple_of(4) && tcp.options.len() <= 40);
        self.ipv4_header(ip, 6);
        let b = &mut self.buf;
        b.extend_from_slice(&tcp.sport.to_be_bytes());
        b.extend_from_slice(&tcp.dport.to_be_bytes());
        b.extend_from_slice(&tcp.seq.to_be_bytes());
        b.extend_from_slice(&tcp.ack.to_be_bytes());
        let doff = ((TCP_LEN + tcp.options.len()) / 4) as u8;
        b.extend_from_slice(&[doff << 4, tcp.flags]);
        b.extend_from_slice(&tcp.window.to_be_bytes());
        b.extend_from_slice(&[0, 0, 0, 0]); // checksum, urgent pointer
        b.extend_from_slice(tcp.options);
        b.extend_from_slice(payload);
        self.finish_ipv4(ip, 6, 16, true);
    }

    /// An IPv4/UDP datagram whose payload `write` appends.
    pub(crate) fn udp(
        &mut self,
        ip: &Ip,
        sport: u16,
        dport: u16,
        write: impl FnOnce(&mut Vec<u8>),
    ) {
        self.ipv4_header(ip, 17);
        let start = self.buf.len();
        self.buf.extend_from_slice(&sport.to_be_bytes());
        self.buf.extend_from_slice(&dport.to_be_bytes());
        self.buf.extend_from_slice(&[0, 0, 0, 0]);
        write(&mut self.buf);
        let len = (self.buf.len() - start) as u16;
        self.buf[start + 4..start + 6].copy_from_slice(&len.to_be_bytes());
        self.finish_ipv4(ip, 17, 6, true);
    }

    /// An ICMP echo request (type 8) or reply (type 0).
    pub(crate) fn icmp_echo(&mut self, ip: &Ip, reply: bool, ident: u16, seq: u16, data: &[u8]) {
        self.ipv4_header(ip, 1);
        let b = &mut self.buf;
        b.extend_from_slice(&[if reply { 0 } else { 8 }, 0, 0, 0]);
        b.extend_from_slice(&ident.to_be_bytes());
        b.extend_from_slice(&seq.to_be_bytes());
        b.extend_from_slice(data);
        self.finish_ipv4(ip, 1, 2, false);
    }

    /// An ARP packet for IPv4 over Ethernet.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn arp(
        &mut self,
        eth_src: [u8; 6],
        eth_dst: [u8; 6],
        op: u16,
        sha: [u8; 6],
        spa: [u8; 4],
        tha: [u8; 6],
        tpa: [u8; 4],
    ) {
        self.eth(eth_src, eth_dst, 0x0806);
        let b = &mut self.buf;
        b.extend_from_slice(&[0x00, 0x01, 0x08, 0x00, 6, 4]);
        b.extend_from_slice(&op.to_be_bytes());
        b.extend_from_slice(&sha);
        b.extend_from_slice(&spa);
        b.extend_from_slice(&tha);
        b.extend_from_slice(&tpa);
        b.resize(MIN_FRAME, 0);
        self.ready = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip() -> Ip {
        Ip {
            src_mac: [0x44, 0x47, 0xcc, 1, 2, 3],
            dst_mac: [0x74, 0x83, 0xc2, 4, 5, 6],
            src: [10, 10, 0, 5],
            dst: [203, 0, 113, 10],
            ttl: 64,
            id: 0x1234,
            df: true,
        }
    }

    fn verify_l4(frame: &[u8], proto: u8) {
        let total = u16::from_be_bytes([frame[16], frame[17]]) as usize;
        let l4 = &frame[ETH_LEN + IPV4_LEN..ETH_LEN + total];
        let src: [u8; 4] = frame[26..30].try_into().unwrap();
        let dst: [u8; 4] = frame[30..34].try_into().unwrap();
        assert_eq!(checksum::checksum(&frame[ETH_LEN..ETH_LEN + IPV4_LEN]), 0);
        let p = checksum::pseudo_v4(src, dst, proto, l4.len() as u32);
        assert_eq!(checksum::upper_layer(p, l4), 0);
    }

    #[test]
    fn tcp_segment_layout_and_checksums() {
        let mut f = Frame::new();
        let opts = [2, 4, 0x05, 0xb4];
        f.tcp(
            &ip(),
            &Tcp {
                sport: 40000,
                dport: 443,
                seq: 1,
                ack: 0,
                flags: flags::SYN,
                window: 64240,
                options: &opts,
            },
            &[],
        );
        let b = f.take().unwrap().to_vec();
        assert!(f.take().is_none());
        assert_eq!(b.len(), 60); // 58 bytes padded
        assert_eq!(&b[12..14], &[0x08, 0x00]);
        assert_eq!(u16::from_be_bytes([b[16], b[17]]), 44);
        assert_eq!(b[20] & 0x40, 0x40); // DF
        assert_eq!(b[22], 64);
        assert_eq!(b[ETH_LEN + IPV4_LEN + 12] >> 4, 6); // data offset 24 bytes
        assert_eq!(b[ETH_LEN + IPV4_LEN + 13], flags::SYN);
        verify_l4(&b, 6);

        let payload: Vec<u8> = (0..1001u32).map(|i| i as u8).collect();
        f.tcp(
            &ip(),
            &Tcp {
                sport: 1,
                dport: 2,
                seq: 7,
                ack: 9,
                flags: flags::ACK | flags::PSH,
                window: 501,
                options: &[],
            },
            &payload,
        );
        let b = f.take().unwrap().to_vec();
        assert_eq!(b.len(), ETH_LEN + IPV4_LEN + TCP_LEN + 1001);
        verify_l4(&b, 6);
    }

    #[test]
    fn udp_icmp_arp() {
        let mut f = Frame::new();
        f.udp(&ip(), 50000, 53, |b| {
            b.extend_from_slice(b"hello world, a dns query")
        });
        let b = f.take().unwrap().to_vec();
        assert_eq!(u16::from_be_bytes([b[38], b[39]]), 8 + 24);
        assert_ne!(u16::from_be_bytes([b[40], b[41]]), 0);
        verify_l4(&b, 17);

        f.icmp_echo(&ip(), false, 0x77, 3, &[0xab; 56]);
        let b = f.take().unwrap().to_vec();
        assert_eq!(b[23], 1);
        assert_eq!(b[34], 8);
        assert_eq!(checksum::checksum(&b[34..]), 0);

        f.arp(
            [1; 6],
            BROADCAST,
            1,
            [1; 6],
            [10, 10, 0, 5],
            [0; 6],
            [10, 10, 0, 1],
        );
        let b = f.take().unwrap().to_vec();
        assert_eq!(b.len(), 60);
        assert_eq!(&b[0..6], &BROADCAST);
        assert_eq!(&b[12..14], &[0x08, 0x06]);
        assert_eq!(&b[20..22], &[0, 1]);
        assert_eq!(&b[38..42], &[10, 10, 0, 1]);
    }
}
