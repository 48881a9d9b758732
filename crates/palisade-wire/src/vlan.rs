//! IEEE 802.1Q / 802.1ad VLAN tags (the 4 bytes after a 0x8100, 0x88a8 or
//! 0x9100 type field: TCI then the next EtherType).

use crate::bytes::be16;
use crate::error::{Error, Result};
use crate::ethernet::EtherType;

mod field {
    pub const TCI: usize = 0;
    pub const ETHERTYPE: usize = 2;
    pub const PAYLOAD: usize = 4;
}

/// Length of a VLAN tag.
pub const HEADER_LEN: usize = field::PAYLOAD;

/// A view of one VLAN tag and what follows it.
#[derive(Clone, Copy, Debug)]
pub struct VlanTag<'a> {
    hdr: &'a [u8; HEADER_LEN],
    payload: &'a [u8],
}

impl<'a> VlanTag<'a> {
    /// Checks that `buf` holds a whole tag.
    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self> {
        match buf.split_first_chunk::<HEADER_LEN>() {
            Some((hdr, payload)) => Ok(VlanTag { hdr, payload }),
            None => Err(Error::Truncated),
        }
    }

    /// Tag control information (PCP, DEI, VID).
    #[inline]
    pub fn tci(&self) -> u16 {
        be16(self.hdr, field::TCI)
    }

    /// Priority code point (3 bits).
    #[inline]
    pub fn pcp(&self) -> u8 {
        (self.tci() >> 13) as u8
    }

    /// Drop eligible indicator.
    #[inline]
    pub fn dei(&self) -> bool {
        self.tci() & 0x1000 != 0
    }

    /// VLAN id (12 bits).
    #[inline]
    pub fn vid(&self) -> u16 {
        self.tci() & 0x0fff
    }

    /// The EtherType that follows the tag, as on the wire.
    #[inline]
    pub fn ethertype_raw(&self) -> u16 {
        be16(self.hdr, field::ETHERTYPE)
    }

    /// The EtherType that follows the tag.
    #[inline]
    pub fn ethertype(&self) -> EtherType {
        EtherType::from(self.ethertype_raw())
    }

    /// Bytes after the tag.
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
        // PCP 5, DEI 1, VID 0xabc, then IPv4
        let b = [0xba, 0xbc, 0x08, 0x00, 0x45];
        let t = VlanTag::new_checked(&b).unwrap();
        assert_eq!(t.pcp(), 5);
        assert!(t.dei());
        assert_eq!(t.vid(), 0xabc);
        assert_eq!(t.tci(), 0xbabc);
        assert_eq!(t.ethertype(), EtherType::Ipv4);
        assert_eq!(t.ethertype_raw(), 0x0800);
        assert_eq!(t.payload(), &[0x45]);
        for n in 0..HEADER_LEN {
            assert_eq!(VlanTag::new_checked(&b[..n]).unwrap_err(), Error::Truncated);
        }
    }
}
