//! IPv6 (RFC 8200) and its extension headers: hop-by-hop options, routing,
//! fragment, destination options and AH (RFC 4302).
//!
//! The fixed 40-byte header is checked once. Extension headers are views of
//! their own, each checked against the length it declares.

use crate::bytes::{array, be16, be32, byte, clamp, tail};
use crate::error::{Error, Result};

mod field {
    use crate::bytes::Field;
    pub const VER_TC_FLOW: usize = 0;
    pub const LENGTH: usize = 4;
    pub const NXT_HDR: usize = 6;
    pub const HOP_LIMIT: usize = 7;
    pub const SRC_ADDR: Field = 8..24;
    pub const DST_ADDR: Field = 24..40;
    pub const PAYLOAD: usize = 40;
}

/// Length of the fixed IPv6 header.
pub const HEADER_LEN: usize = field::PAYLOAD;

/// IPv6 next-header values for the extension headers palisade walks (and
/// the ones that end the walk).
pub mod ext {
    /// Hop-by-hop options.
    pub const HOP_BY_HOP: u8 = 0;
    /// Routing header.
    pub const ROUTING: u8 = 43;
    /// Fragment header.
    pub const FRAGMENT: u8 = 44;
    /// Encapsulating security payload (opaque: ends the walk).
    pub const ESP: u8 = 50;
    /// Authentication header.
    pub const AH: u8 = 51;
    /// No next header.
    pub const NONE: u8 = 59;
    /// Destination options.
    pub const DEST_OPTS: u8 = 60;
    /// Mobility header (ends the walk).
    pub const MOBILITY: u8 = 135;
    /// Host identity protocol (ends the walk).
    pub const HIP: u8 = 139;
    /// Shim6 (ends the walk).
    pub const SHIM6: u8 = 140;
}

/// A view of an IPv6 packet.
#[derive(Clone, Copy, Debug)]
pub struct Ipv6Packet<'a> {
    hdr: &'a [u8; HEADER_LEN],
    buf: &'a [u8],
}

impl<'a> Ipv6Packet<'a> {
    /// Checks that the fixed 40-byte header is present.
    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self> {
        match buf.first_chunk::<HEADER_LEN>() {
            Some(hdr) => Ok(Ipv6Packet { hdr, buf }),
            None => Err(Error::Truncated),
        }
    }

    /// Version (6 for IPv6).
    #[inline]
    pub fn version(&self) -> u8 {
        self.hdr[field::VER_TC_FLOW] >> 4
    }

    /// Traffic class.
    #[inline]
    pub fn traffic_class(&self) -> u8 {
        (be16(self.hdr, field::VER_TC_FLOW) >> 4) as u8
    }

    /// Flow label (20 bits).
    #[inline]
    pub fn flow_label(&self) -> u32 {
        be32(self.hdr, field::VER_TC_FLOW) & 0x000f_ffff
    }

    /// Payload length field.
    #[inline]
    pub fn payload_len(&self) -> u16 {
        be16(self.hdr, field::LENGTH)
    }

    /// Next header after the fixed header.
    #[inline]
    pub fn next_header(&self) -> u8 {
        byte(self.hdr, field::NXT_HDR)
    }

    /// Hop limit.
    #[inline]
    pub fn hop_limit(&self) -> u8 {
        byte(self.hdr, field::HOP_LIMIT)
    }

    /// Source address.
    #[inline]
    pub fn src_addr(&self) -> [u8; 16] {
        array(self.hdr, field::SRC_ADDR.start)
    }

    /// Destination address.
    #[inline]
    pub fn dst_addr(&self) -> [u8; 16] {
        array(self.hdr, field::DST_ADDR.start)
    }

    /// The packet trimmed to 40 + payload length (or to what was captured).
    #[inline]
    pub fn packet(&self) -> &'a [u8] {
        clamp(self.buf, 0, HEADER_LEN + self.payload_len() as usize)
    }

    /// Bytes after the fixed header, up to the payload length (clamped).
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        clamp(
            self.buf,
            HEADER_LEN,
            HEADER_LEN + self.payload_len() as usize,
        )
    }
}

/// A hop-by-hop, routing, destination options or AH header: a next-header
/// byte, a length byte, and data, checked against the declared length.
#[derive(Clone, Copy, Debug)]
pub struct Ipv6ExtHeader<'a> {
    kind: u8,
    buf: &'a [u8],
    len: usize,
}

impl<'a> Ipv6ExtHeader<'a> {
    /// Checks a header of type `kind` (one of [`ext::HOP_BY_HOP`],
    /// [`ext::ROUTING`], [`ext::DEST_OPTS`], [`ext::AH`] or
    /// [`ext::FRAGMENT`]) at the start of `buf`.
    pub fn new_checked(kind: u8, buf: &'a [u8]) -> Result<Self> {
        let lenbyte = match buf.get(1) {
            Some(&b) => b as usize,
            None => return Err(Error::Truncated),
        };
        let len = match kind {
            ext::AH => (lenbyte + 2) * 4,
            ext::FRAGMENT => 8,
            _ => (lenbyte + 1) * 8,
        };
        if buf.len() < len {
            return Err(Error::Truncated);
        }
        Ok(Ipv6ExtHeader { kind, buf, len })
    }

    /// The header type this view was built for.
    #[inline]
    pub fn kind(&self) -> u8 {
        self.kind
    }

    /// Next header.
    #[inline]
    pub fn next_header(&self) -> u8 {
        byte(self.buf, 0)
    }

    /// Header length in bytes.
    #[inline]
    pub fn header_len(&self) -> usize {
        self.len
    }

    /// The header bytes.
    #[inline]
    pub fn header(&self) -> &'a [u8] {
        clamp(self.buf, 0, self.len)
    }

    /// Bytes after the two fixed bytes, up to the header length (the options
    /// of hop-by-hop and destination options headers).
    #[inline]
    pub fn data(&self) -> &'a [u8] {
        clamp(self.buf, 2, self.len)
    }

    /// Bytes after this header.
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        tail(self.buf, self.len)
    }

    /// Options of a hop-by-hop or destination options header.
    #[inline]
    pub fn options(&self) -> Ipv6OptionIter<'a> {
        Ipv6OptionIter { rest: self.data() }
    }

    /// Routing header: routing type.
    #[inline]
    pub fn routing_type(&self) -> u8 {
        byte(self.buf, 2)
    }

    /// Routing header: segments left.
    #[inline]
    pub fn segments_left(&self) -> u8 {
        byte(self.buf, 3)
    }

    /// Routing header: the final destination named by the header, for the
    /// pseudo-header of upper-layer checksums (RFC 8200 §8.1). `None` when
    /// no segments are left or the type carries no address list.
    pub fn routing_final_destination(&self) -> Option<[u8; 16]> {
        if self.kind != ext::ROUTING || self.segments_left() == 0 {
            return None;
        }
        let addrs = clamp(self.buf, 8, self.len);
        match self.routing_type() {
            // type 0 (deprecated) and 2 (mobile IPv6): last address
            0 | 2 if addrs.len() >= 16 => Some(array(addrs, (addrs.len() / 16 - 1) * 16)),
            // segment routing header: segment list[0] is the final segment
            4 if addrs.len() >= 16 => Some(array(addrs, 0)),
            _ => None,
        }
    }

    /// AH: reserved field (must be zero).
    #[inline]
    pub fn ah_reserved(&self) -> u16 {
        be16(self.buf, 2)
    }

    /// AH: security parameters index.
    #[inline]
    pub fn ah_spi(&self) -> u32 {
        be32(self.buf, 4)
    }

    /// AH: sequence number.
    #[inline]
    pub fn ah_seq(&self) -> u32 {
        be32(self.buf, 8)
    }
}

/// A view of the IPv6 Fragment extension header (8 bytes).
#[derive(Clone, Copy, Debug)]
pub struct Ipv6FragmentHeader<'a> {
    hdr: &'a [u8; 8],
    payload: &'a [u8],
}

impl<'a> Ipv6FragmentHeader<'a> {
    /// Length of a fragment header.
    pub const LEN: usize = 8;

    /// Checks that `buf` holds the 8 bytes.
    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self> {
        match buf.split_first_chunk::<8>() {
            Some((hdr, payload)) => Ok(Ipv6FragmentHeader { hdr, payload }),
            None => Err(Error::Truncated),
        }
    }

    /// Next header of the reassembled payload.
    #[inline]
    pub fn next_header(&self) -> u8 {
        self.hdr[0]
    }

    /// The reserved byte (must be zero).
    #[inline]
    pub fn reserved(&self) -> u8 {
        self.hdr[1]
    }

    /// The two reserved bits beside the M flag (must be zero).
    #[inline]
    pub fn reserved_bits(&self) -> u8 {
        ((be16(self.hdr, 2) >> 1) & 0x3) as u8
    }

    /// Fragment offset in bytes.
    #[inline]
    pub fn frag_offset(&self) -> u32 {
        (be16(self.hdr, 2) >> 3) as u32 * 8
    }

    /// More fragments.
    #[inline]
    pub fn more_frags(&self) -> bool {
        be16(self.hdr, 2) & 1 != 0
    }

    /// Identification.
    #[inline]
    pub fn ident(&self) -> u32 {
        be32(self.hdr, 4)
    }

    /// Fragment data.
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        self.payload
    }
}

/// IPv6 option types palisade names (hop-by-hop and destination options).
pub mod opt {
    /// One byte of padding.
    pub const PAD1: u8 = 0x00;
    /// N bytes of padding.
    pub const PADN: u8 = 0x01;
    /// Tunnel encapsulation limit (RFC 2473, destination options).
    pub const TUNNEL_LIMIT: u8 = 0x04;
    /// Router alert (RFC 2711).
    pub const ROUTER_ALERT: u8 = 0x05;
    /// CALIPSO (RFC 5570).
    pub const CALIPSO: u8 = 0x07;
    /// SMF duplicate packet detection (RFC 6621).
    pub const SMF_DPD: u8 = 0x08;
    /// Performance and diagnostic metrics (RFC 8250).
    pub const PDM: u8 = 0x0f;
    /// Quick-start (RFC 4782).
    pub const QUICK_START: u8 = 0x26;
    /// IOAM (RFC 9486).
    pub const IOAM: u8 = 0x31;
    /// RPL option (RFC 6553).
    pub const RPL: u8 = 0x63;
    /// MPL option (RFC 7731).
    pub const MPL: u8 = 0x6d;
    /// Jumbo payload (RFC 2675).
    pub const JUMBO: u8 = 0xc2;
    /// Home address (RFC 6275, destination options).
    pub const HOME_ADDRESS: u8 = 0xc9;
}

/// One option of a hop-by-hop or destination options header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv6Option<'a> {
    /// Option type.
    pub kind: u8,
    /// Option data (empty for Pad1).
    pub data: &'a [u8],
}

/// Iterator over hop-by-hop / destination options; yields `Err` once and
/// stops when an option's length runs past the header.
#[derive(Clone, Debug)]
pub struct Ipv6OptionIter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Ipv6OptionIter<'a> {
    type Item = core::result::Result<Ipv6Option<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let (&kind, after) = self.rest.split_first()?;
        if kind == opt::PAD1 {
            self.rest = after;
            return Some(Ok(Ipv6Option { kind, data: &[] }));
        }
        let Some((&len, after)) = after.split_first() else {
            self.rest = &[];
            return Some(Err(Error::Truncated));
        };
        match after.split_at_checked(len as usize) {
            Some((data, rest)) => {
                self.rest = rest;
                Some(Ok(Ipv6Option { kind, data }))
            }
            None => {
                self.rest = &[];
                Some(Err(Error::Truncated))
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// fe80::1 -> ff02::1, next header 58, payload length 8.
    pub const HDR: [u8; 40] = [
        0x60, 0x01, 0x23, 0x45, 0x00, 0x08, 58, 255, // ver, tc 0x00, flow 0x12345
        0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, // src
        0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, // dst
    ];

    #[test]
    fn reads_fields() {
        let mut b = HDR.to_vec();
        b.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8, 0xee, 0xee]);
        let p = Ipv6Packet::new_checked(&b).unwrap();
        assert_eq!(p.version(), 6);
        assert_eq!(p.traffic_class(), 0x00);
        assert_eq!(p.flow_label(), 0x12345);
        assert_eq!(p.payload_len(), 8);
        assert_eq!(p.next_header(), 58);
        assert_eq!(p.hop_limit(), 255);
        assert_eq!(p.src_addr()[0..2], [0xfe, 0x80]);
        assert_eq!(p.dst_addr()[15], 1);
        assert_eq!(p.payload(), &[1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(p.packet().len(), 48);
        for n in 0..HEADER_LEN {
            assert_eq!(
                Ipv6Packet::new_checked(&b[..n]).unwrap_err(),
                Error::Truncated
            );
        }
        let mut tc = HDR;
        tc[0] = 0x6a;
        tc[1] = 0xb0;
        assert_eq!(Ipv6Packet::new_checked(&tc).unwrap().traffic_class(), 0xab);
    }

    #[test]
    fn ext_headers() {
        // hop-by-hop: next 44, len 0, PadN(4)
        let hbh = [44, 0, opt::PADN, 4, 0, 0, 0, 0, 0xaa];
        let h = Ipv6ExtHeader::new_checked(ext::HOP_BY_HOP, &hbh).unwrap();
        assert_eq!(h.kind(), ext::HOP_BY_HOP);
        assert_eq!(h.next_header(), 44);
        assert_eq!(h.header_len(), 8);
        assert_eq!(h.header().len(), 8);
        assert_eq!(h.payload(), &[0xaa]);
        let opts: Vec<_> = h.options().collect();
        assert_eq!(
            opts,
            vec![Ok(Ipv6Option {
                kind: opt::PADN,
                data: &[0, 0, 0, 0]
            })]
        );
        for n in 0..8 {
            assert_eq!(
                Ipv6ExtHeader::new_checked(ext::HOP_BY_HOP, &hbh[..n]).unwrap_err(),
                Error::Truncated
            );
        }
        // AH: len 4 -> (4+2)*4 = 24 bytes
        let mut ah = [0u8; 24];
        ah[0] = 6;
        ah[1] = 4;
        ah[4..8].copy_from_slice(&0x1234_5678u32.to_be_bytes());
        ah[8..12].copy_from_slice(&7u32.to_be_bytes());
        let a = Ipv6ExtHeader::new_checked(ext::AH, &ah).unwrap();
        assert_eq!(a.header_len(), 24);
        assert_eq!(a.ah_reserved(), 0);
        assert_eq!(a.ah_spi(), 0x1234_5678);
        assert_eq!(a.ah_seq(), 7);
        assert_eq!(
            Ipv6ExtHeader::new_checked(ext::AH, &ah[..23]).unwrap_err(),
            Error::Truncated
        );
        // fragment kind is always 8 bytes
        assert_eq!(
            Ipv6ExtHeader::new_checked(ext::FRAGMENT, &[6, 0xff, 0, 0, 0, 0, 0, 0])
                .unwrap()
                .header_len(),
            8
        );
    }

    #[test]
    fn routing_final_destination() {
        // type 0, 2 addresses, segments left 2
        let mut rh = vec![6, 4, 0, 2, 0, 0, 0, 0];
        rh.extend_from_slice(&[0x11; 16]);
        rh.extend_from_slice(&[0x22; 16]);
        let r = Ipv6ExtHeader::new_checked(ext::ROUTING, &rh).unwrap();
        assert_eq!(r.routing_type(), 0);
        assert_eq!(r.segments_left(), 2);
        assert_eq!(r.routing_final_destination(), Some([0x22; 16]));
        rh[2] = 4; // SRH: list[0] is final
        let r = Ipv6ExtHeader::new_checked(ext::ROUTING, &rh).unwrap();
        assert_eq!(r.routing_final_destination(), Some([0x11; 16]));
        rh[3] = 0;
        let r = Ipv6ExtHeader::new_checked(ext::ROUTING, &rh).unwrap();
        assert_eq!(r.routing_final_destination(), None);
        rh[2] = 3;
        rh[3] = 1;
        let r = Ipv6ExtHeader::new_checked(ext::ROUTING, &rh).unwrap();
        assert_eq!(r.routing_final_destination(), None);
        let short = [6, 0, 2, 1, 0, 0, 0, 0];
        let r = Ipv6ExtHeader::new_checked(ext::ROUTING, &short).unwrap();
        assert_eq!(r.routing_final_destination(), None);
    }

    #[test]
    fn fragment_header() {
        // next 17, offset 185 words, res bits 0, M=1, id 0xdeadbeef
        let off: u16 = (185 << 3) | 1;
        let mut b = vec![17, 0];
        b.extend_from_slice(&off.to_be_bytes());
        b.extend_from_slice(&0xdead_beefu32.to_be_bytes());
        b.push(0x99);
        let f = Ipv6FragmentHeader::new_checked(&b).unwrap();
        assert_eq!(f.next_header(), 17);
        assert_eq!(f.reserved(), 0);
        assert_eq!(f.reserved_bits(), 0);
        assert_eq!(f.frag_offset(), 185 * 8);
        assert!(f.more_frags());
        assert_eq!(f.ident(), 0xdead_beef);
        assert_eq!(f.payload(), &[0x99]);
        b[3] |= 0x6;
        assert_eq!(
            Ipv6FragmentHeader::new_checked(&b).unwrap().reserved_bits(),
            3
        );
        for n in 0..8 {
            assert!(Ipv6FragmentHeader::new_checked(&b[..n]).is_err());
        }
    }

    #[test]
    fn option_iterator_malformed() {
        let v: Vec<_> = Ipv6OptionIter {
            rest: &[opt::PAD1, opt::PADN, 5, 0],
        }
        .collect();
        assert_eq!(
            v,
            vec![Ok(Ipv6Option { kind: 0, data: &[] }), Err(Error::Truncated)]
        );
        let v: Vec<_> = Ipv6OptionIter {
            rest: &[opt::ROUTER_ALERT],
        }
        .collect();
        assert_eq!(v, vec![Err(Error::Truncated)]);
        let v: Vec<_> = Ipv6OptionIter {
            rest: &[opt::ROUTER_ALERT, 2, 0, 0],
        }
        .collect();
        assert_eq!(
            v,
            vec![Ok(Ipv6Option {
                kind: 5,
                data: &[0, 0]
            })]
        );
    }
}
