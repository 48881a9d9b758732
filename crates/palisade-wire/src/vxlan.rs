//! VXLAN (RFC 7348): an 8-byte header with the I flag and a 24-bit VNI,
//! then an Ethernet frame.

use crate::bytes::{be32, byte};
use crate::error::{Error, Result};

mod field {
    pub const FLAGS: usize = 0;
    pub const VNI: usize = 4;
    pub const PAYLOAD: usize = 8;
}

/// Length of a VXLAN header.
pub const HEADER_LEN: usize = field::PAYLOAD;
/// The I flag: the VNI is valid.
pub const FLAG_I: u8 = 0x08;
/// IANA port for VXLAN.
pub const PORT: u16 = 4789;

/// A view of a VXLAN header and its inner frame.
#[derive(Clone, Copy, Debug)]
pub struct VxlanPacket<'a> {
    hdr: &'a [u8; HEADER_LEN],
    payload: &'a [u8],
}

impl<'a> VxlanPacket<'a> {
    /// Checks that the 8-byte header is present (the I flag is left to the
    /// caller).
    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self> {
        match buf.split_first_chunk::<HEADER_LEN>() {
            Some((hdr, payload)) => Ok(VxlanPacket { hdr, payload }),
            None => Err(Error::Truncated),
        }
    }

    /// Flags byte.
    #[inline]
    pub fn flags(&self) -> u8 {
        byte(self.hdr, field::FLAGS)
    }

    /// I flag: the VNI is valid.
    #[inline]
    pub fn vni_valid(&self) -> bool {
        self.flags() & FLAG_I != 0
    }

    /// VXLAN network identifier (24 bits).
    #[inline]
    pub fn vni(&self) -> u32 {
        be32(self.hdr, field::VNI) >> 8
    }

    /// The inner Ethernet frame.
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        self.payload
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_fields() {
        let b = [0x08, 0, 0, 0, 0x12, 0x34, 0x56, 0x00, 0xaa];
        let v = VxlanPacket::new_checked(&b).unwrap();
        assert_eq!(v.flags(), 0x08);
        assert!(v.vni_valid());
        assert_eq!(v.vni(), 0x123456);
        assert_eq!(v.payload(), &[0xaa]);
        for n in 0..HEADER_LEN {
            assert_eq!(
                VxlanPacket::new_checked(&b[..n]).unwrap_err(),
                Error::Truncated
            );
        }
        let mut c = b;
        c[0] = 0;
        assert!(!VxlanPacket::new_checked(&c).unwrap().vni_valid());
    }
}
