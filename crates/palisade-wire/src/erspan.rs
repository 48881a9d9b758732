//! ERSPAN, Cisco's encapsulated remote SPAN (draft-foschiano-erspan):
//! type II (GRE protocol 0x88be with the S bit, 8-byte header, version 1)
//! and type III (GRE protocol 0x22eb, 12-byte header, version 2, optional
//! 8-byte platform-specific subheader when the O bit is set). Type I is
//! 0x88be without the S bit and has no ERSPAN header at all: the GRE payload
//! is the mirrored frame.

use crate::bytes::{be16, be32, tail};
use crate::error::{Error, Result};

mod field {
    pub const VER_VLAN: usize = 0;
    pub const COS_SESSION: usize = 2;
    pub const II_INDEX: usize = 4;
    pub const III_TIMESTAMP: usize = 4;
    pub const III_SGT: usize = 8;
    pub const III_FLAGS: usize = 10;
}

/// Length of an ERSPAN type II header.
pub const TYPE2_HEADER_LEN: usize = 8;
/// Length of an ERSPAN type III header without the platform subheader.
pub const TYPE3_HEADER_LEN: usize = 12;
/// Length of the optional type III platform-specific subheader.
pub const TYPE3_PLATFORM_LEN: usize = 8;
/// Version field value of type II.
pub const VERSION_TYPE2: u8 = 1;
/// Version field value of type III.
pub const VERSION_TYPE3: u8 = 2;

/// A view of an ERSPAN type II header.
#[derive(Clone, Copy, Debug)]
pub struct ErspanIIPacket<'a> {
    hdr: &'a [u8; TYPE2_HEADER_LEN],
    payload: &'a [u8],
}

impl<'a> ErspanIIPacket<'a> {
    /// Checks that the 8-byte header is present (the version is left to
    /// the caller).
    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self> {
        match buf.split_first_chunk::<TYPE2_HEADER_LEN>() {
            Some((hdr, payload)) => Ok(ErspanIIPacket { hdr, payload }),
            None => Err(Error::Truncated),
        }
    }

    /// Version (1 for type II).
    #[inline]
    pub fn version(&self) -> u8 {
        self.hdr[field::VER_VLAN] >> 4
    }

    /// VLAN of the mirrored frame.
    #[inline]
    pub fn vlan(&self) -> u16 {
        be16(self.hdr, field::VER_VLAN) & 0x0fff
    }

    /// Class of service.
    #[inline]
    pub fn cos(&self) -> u8 {
        (be16(self.hdr, field::COS_SESSION) >> 13) as u8
    }

    /// Encapsulation type (0 untagged, 1 ISL, 2 802.1Q stripped into the
    /// VLAN field, 3 tag preserved in the frame).
    #[inline]
    pub fn encap_type(&self) -> u8 {
        ((be16(self.hdr, field::COS_SESSION) >> 11) & 0x3) as u8
    }

    /// Truncated bit: the mirrored frame was cut to fit.
    #[inline]
    pub fn truncated(&self) -> bool {
        be16(self.hdr, field::COS_SESSION) & 0x0400 != 0
    }

    /// Session id (10 bits).
    #[inline]
    pub fn session_id(&self) -> u16 {
        be16(self.hdr, field::COS_SESSION) & 0x03ff
    }

    /// Port index (20 bits).
    #[inline]
    pub fn index(&self) -> u32 {
        be32(self.hdr, field::II_INDEX) & 0x000f_ffff
    }

    /// The mirrored Ethernet frame.
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        self.payload
    }
}

/// A view of an ERSPAN type III header (with its platform subheader when
/// the O bit is set).
#[derive(Clone, Copy, Debug)]
pub struct ErspanIIIPacket<'a> {
    hdr: &'a [u8; TYPE3_HEADER_LEN],
    buf: &'a [u8],
}

impl<'a> ErspanIIIPacket<'a> {
    /// Checks the 12-byte header and, when the O bit is set, the 8-byte
    /// platform subheader.
    pub fn new_checked(buf: &'a [u8]) -> Result<Self> {
        let hdr = buf
            .first_chunk::<TYPE3_HEADER_LEN>()
            .ok_or(Error::Truncated)?;
        let p = ErspanIIIPacket { hdr, buf };
        if buf.len() < p.header_len() {
            return Err(Error::Truncated);
        }
        Ok(p)
    }

    /// Version (2 for type III).
    #[inline]
    pub fn version(&self) -> u8 {
        self.hdr[field::VER_VLAN] >> 4
    }

    /// VLAN of the mirrored frame.
    #[inline]
    pub fn vlan(&self) -> u16 {
        be16(self.hdr, field::VER_VLAN) & 0x0fff
    }

    /// Class of service.
    #[inline]
    pub fn cos(&self) -> u8 {
        (be16(self.hdr, field::COS_SESSION) >> 13) as u8
    }

    /// Bad/short/oversized indication (2 bits).
    #[inline]
    pub fn bso(&self) -> u8 {
        ((be16(self.hdr, field::COS_SESSION) >> 11) & 0x3) as u8
    }

    /// Truncated bit.
    #[inline]
    pub fn truncated(&self) -> bool {
        be16(self.hdr, field::COS_SESSION) & 0x0400 != 0
    }

    /// Session id (10 bits).
    #[inline]
    pub fn session_id(&self) -> u16 {
        be16(self.hdr, field::COS_SESSION) & 0x03ff
    }

    /// Timestamp (granularity given by [`Self::gra`]).
    #[inline]
    pub fn timestamp(&self) -> u32 {
        be32(self.hdr, field::III_TIMESTAMP)
    }

    /// Security group tag.
    #[inline]
    pub fn sgt(&self) -> u16 {
        be16(self.hdr, field::III_SGT)
    }

    #[inline]
    fn flags(&self) -> u16 {
        be16(self.hdr, field::III_FLAGS)
    }

    /// P bit: the payload is a native Ethernet frame (1), or of the frame
    /// type given by [`Self::frame_type`] (0).
    #[inline]
    pub fn p(&self) -> bool {
        self.flags() & 0x8000 != 0
    }

    /// Frame type (5 bits: 0 Ethernet, 2 IP).
    #[inline]
    pub fn frame_type(&self) -> u8 {
        ((self.flags() >> 10) & 0x1f) as u8
    }

    /// Hardware id (6 bits).
    #[inline]
    pub fn hw_id(&self) -> u8 {
        ((self.flags() >> 4) & 0x3f) as u8
    }

    /// Direction (0 ingress, 1 egress).
    #[inline]
    pub fn direction(&self) -> bool {
        self.flags() & 0x0008 != 0
    }

    /// Timestamp granularity (2 bits).
    #[inline]
    pub fn gra(&self) -> u8 {
        ((self.flags() >> 1) & 0x3) as u8
    }

    /// O bit: an 8-byte platform-specific subheader follows.
    #[inline]
    pub fn has_platform_subheader(&self) -> bool {
        self.flags() & 0x0001 != 0
    }

    /// The platform-specific subheader, if present.
    #[inline]
    pub fn platform_subheader(&self) -> Option<&'a [u8]> {
        if self.has_platform_subheader() {
            self.buf
                .get(TYPE3_HEADER_LEN..TYPE3_HEADER_LEN + TYPE3_PLATFORM_LEN)
        } else {
            None
        }
    }

    /// Header length (12, or 20 with the platform subheader).
    #[inline]
    pub fn header_len(&self) -> usize {
        if self.has_platform_subheader() {
            TYPE3_HEADER_LEN + TYPE3_PLATFORM_LEN
        } else {
            TYPE3_HEADER_LEN
        }
    }

    /// The mirrored frame.
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        tail(self.buf, self.header_len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type2() {
        // ver 1, vlan 100, cos 5, en 3, t 1, session 0x123, index 0xabcde
        let b = [0x10, 0x64, 0xbd, 0x23, 0x00, 0x0a, 0xbc, 0xde, 0xff];
        let e = ErspanIIPacket::new_checked(&b).unwrap();
        assert_eq!(e.version(), VERSION_TYPE2);
        assert_eq!(e.vlan(), 100);
        assert_eq!(e.cos(), 5);
        assert_eq!(e.encap_type(), 3);
        assert!(e.truncated());
        assert_eq!(e.session_id(), 0x123);
        assert_eq!(e.index(), 0xabcde);
        assert_eq!(e.payload(), &[0xff]);
        for n in 0..TYPE2_HEADER_LEN {
            assert_eq!(
                ErspanIIPacket::new_checked(&b[..n]).unwrap_err(),
                Error::Truncated
            );
        }
    }

    #[test]
    fn type3() {
        let mut b = vec![
            0x20,
            0x0a,
            0x00,
            0x07, // ver 2, vlan 10, session 7
            0x00,
            0x00,
            0x10,
            0x00, // timestamp
            0x00,
            0x42, // sgt
            0x80 | (2 << 2),
            0x1b, // p=1, ft=2, hw=1, d=1, gra=1, o=1
        ];
        b.extend_from_slice(&[9; 8]); // platform subheader
        b.push(0xaa);
        let e = ErspanIIIPacket::new_checked(&b).unwrap();
        assert_eq!(e.version(), VERSION_TYPE3);
        assert_eq!(e.vlan(), 10);
        assert_eq!(e.cos(), 0);
        assert_eq!(e.bso(), 0);
        assert!(!e.truncated());
        assert_eq!(e.session_id(), 7);
        assert_eq!(e.timestamp(), 0x1000);
        assert_eq!(e.sgt(), 0x42);
        assert!(e.p());
        assert_eq!(e.frame_type(), 2);
        assert_eq!(e.hw_id(), 1);
        assert!(e.direction());
        assert_eq!(e.gra(), 1);
        assert!(e.has_platform_subheader());
        assert_eq!(e.platform_subheader(), Some(&[9u8; 8][..]));
        assert_eq!(e.header_len(), 20);
        assert_eq!(e.payload(), &[0xaa]);
        for n in 0..20 {
            assert_eq!(
                ErspanIIIPacket::new_checked(&b[..n]).unwrap_err(),
                Error::Truncated,
                "{n}"
            );
        }
        // without O the payload starts at 12
        b[11] &= !1;
        let e = ErspanIIIPacket::new_checked(&b).unwrap();
        assert!(!e.has_platform_subheader());
        assert_eq!(e.platform_subheader(), None);
        assert_eq!(e.header_len(), 12);
        assert_eq!(e.payload().len(), 9);
        assert!(ErspanIIIPacket::new_checked(&b[..12]).is_ok());
    }
}
