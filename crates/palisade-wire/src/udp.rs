//! UDP (RFC 768).

use crate::bytes::{be16, clamp};
use crate::error::{Error, Result};

mod field {
    pub const SRC_PORT: usize = 0;
    pub const DST_PORT: usize = 2;
    pub const LENGTH: usize = 4;
    pub const CHECKSUM: usize = 6;
    pub const PAYLOAD: usize = 8;
}

/// Length of a UDP header.
pub const HEADER_LEN: usize = field::PAYLOAD;

/// A view of a UDP datagram.
#[derive(Clone, Copy, Debug)]
pub struct UdpPacket<'a> {
    hdr: &'a [u8; HEADER_LEN],
    buf: &'a [u8],
}

impl<'a> UdpPacket<'a> {
    /// Checks that the 8-byte header is present.
    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self> {
        match buf.first_chunk::<HEADER_LEN>() {
            Some(hdr) => Ok(UdpPacket { hdr, buf }),
            None => Err(Error::Truncated),
        }
    }

    /// Source port.
    #[inline]
    pub fn src_port(&self) -> u16 {
        be16(self.hdr, field::SRC_PORT)
    }

    /// Destination port.
    #[inline]
    pub fn dst_port(&self) -> u16 {
        be16(self.hdr, field::DST_PORT)
    }

    /// Length field (header + data).
    #[inline]
    pub fn len(&self) -> u16 {
        be16(self.hdr, field::LENGTH)
    }

    /// True when the length field says there is no data.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() as usize <= HEADER_LEN
    }

    /// Checksum field (0 = none, over IPv4).
    #[inline]
    pub fn checksum(&self) -> u16 {
        be16(self.hdr, field::CHECKSUM)
    }

    /// Data after the header up to the length field, clamped to the buffer
    /// (all of the buffer after the header when the length is below 8).
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        let l = self.len() as usize;
        let end = if l < HEADER_LEN { self.buf.len() } else { l };
        clamp(self.buf, HEADER_LEN, end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_fields() {
        let b = [
            0x30, 0x39, 0x12, 0xb5, 0x00, 0x0a, 0xbe, 0xef, 0x01, 0x02, 0xee,
        ];
        let u = UdpPacket::new_checked(&b).unwrap();
        assert_eq!(u.src_port(), 12345);
        assert_eq!(u.dst_port(), 4789);
        assert_eq!(u.len(), 10);
        assert!(!u.is_empty());
        assert_eq!(u.checksum(), 0xbeef);
        assert_eq!(u.payload(), &[1, 2]);
        for n in 0..HEADER_LEN {
            assert_eq!(
                UdpPacket::new_checked(&b[..n]).unwrap_err(),
                Error::Truncated
            );
        }
        // length below 8: everything after the header
        let mut c = b;
        c[5] = 3;
        assert_eq!(UdpPacket::new_checked(&c).unwrap().payload().len(), 3);
        // length past the buffer: clamped
        c[5] = 200;
        assert_eq!(UdpPacket::new_checked(&c).unwrap().payload().len(), 3);
        c[5] = 8;
        assert!(UdpPacket::new_checked(&c).unwrap().is_empty());
    }
}
