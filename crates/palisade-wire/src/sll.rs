//! Linux "cooked" captures: SLL (LINKTYPE_LINUX_SLL, 16 bytes) and SLL2
//! (LINKTYPE_LINUX_SLL2, 20 bytes), what `tcpdump -i any` writes.

use crate::bytes::{be16, be32, byte, clamp};
use crate::error::{Error, Result};
use crate::ethernet::EtherType;

mod sll_field {
    pub const PKTTYPE: usize = 0;
    pub const HATYPE: usize = 2;
    pub const HALEN: usize = 4;
    pub const ADDR: usize = 6;
    pub const PROTOCOL: usize = 14;
    pub const PAYLOAD: usize = 16;
}

mod sll2_field {
    pub const PROTOCOL: usize = 0;
    pub const RESERVED: usize = 2;
    pub const IFINDEX: usize = 4;
    pub const HATYPE: usize = 8;
    pub const PKTTYPE: usize = 10;
    pub const HALEN: usize = 11;
    pub const ADDR: usize = 12;
    pub const PAYLOAD: usize = 20;
}

/// Length of an SLL header.
pub const SLL_HEADER_LEN: usize = sll_field::PAYLOAD;
/// Length of an SLL2 header.
pub const SLL2_HEADER_LEN: usize = sll2_field::PAYLOAD;
/// Room for the link-layer address in both headers.
pub const ADDR_ROOM: usize = 8;

/// A view of an SLL header.
#[derive(Clone, Copy, Debug)]
pub struct SllHeader<'a> {
    hdr: &'a [u8; SLL_HEADER_LEN],
    payload: &'a [u8],
}

impl<'a> SllHeader<'a> {
    /// Checks that the 16-byte header is present.
    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self> {
        match buf.split_first_chunk::<SLL_HEADER_LEN>() {
            Some((hdr, payload)) => Ok(SllHeader { hdr, payload }),
            None => Err(Error::Truncated),
        }
    }

    /// Packet type (0 to us, 1 broadcast, 2 multicast, 3 other host, 4
    /// outgoing).
    #[inline]
    pub fn packet_type(&self) -> u16 {
        be16(self.hdr, sll_field::PKTTYPE)
    }

    /// ARPHRD_ type of the interface (1 Ethernet, 772 loopback, ...).
    #[inline]
    pub fn hardware_type(&self) -> u16 {
        be16(self.hdr, sll_field::HATYPE)
    }

    /// Link-layer address length.
    #[inline]
    pub fn addr_len(&self) -> u16 {
        be16(self.hdr, sll_field::HALEN)
    }

    /// Link-layer address (at most 8 bytes).
    #[inline]
    pub fn addr(&self) -> &'a [u8] {
        let n = (self.addr_len() as usize).min(ADDR_ROOM);
        clamp(self.hdr, sll_field::ADDR, sll_field::ADDR + n)
    }

    /// Protocol (an EtherType for most hardware types).
    #[inline]
    pub fn protocol_raw(&self) -> u16 {
        be16(self.hdr, sll_field::PROTOCOL)
    }

    /// Protocol as an EtherType.
    #[inline]
    pub fn protocol(&self) -> EtherType {
        EtherType::from(self.protocol_raw())
    }

    /// Bytes after the header.
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        self.payload
    }
}

/// A view of an SLL2 header.
#[derive(Clone, Copy, Debug)]
pub struct Sll2Header<'a> {
    hdr: &'a [u8; SLL2_HEADER_LEN],
    payload: &'a [u8],
}

impl<'a> Sll2Header<'a> {
    /// Checks that the 20-byte header is present.
    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self> {
        match buf.split_first_chunk::<SLL2_HEADER_LEN>() {
            Some((hdr, payload)) => Ok(Sll2Header { hdr, payload }),
            None => Err(Error::Truncated),
        }
    }

    /// Protocol (an EtherType for most hardware types).
    #[inline]
    pub fn protocol_raw(&self) -> u16 {
        be16(self.hdr, sll2_field::PROTOCOL)
    }

    /// Protocol as an EtherType.
    #[inline]
    pub fn protocol(&self) -> EtherType {
        EtherType::from(self.protocol_raw())
    }

    /// Reserved (must be zero).
    #[inline]
    pub fn reserved(&self) -> u16 {
        be16(self.hdr, sll2_field::RESERVED)
    }

    /// Interface index.
    #[inline]
    pub fn interface_index(&self) -> u32 {
        be32(self.hdr, sll2_field::IFINDEX)
    }

    /// ARPHRD_ type of the interface.
    #[inline]
    pub fn hardware_type(&self) -> u16 {
        be16(self.hdr, sll2_field::HATYPE)
    }

    /// Packet type.
    #[inline]
    pub fn packet_type(&self) -> u8 {
        byte(self.hdr, sll2_field::PKTTYPE)
    }

    /// Link-layer address length.
    #[inline]
    pub fn addr_len(&self) -> u8 {
        byte(self.hdr, sll2_field::HALEN)
    }

    /// Link-layer address (at most 8 bytes).
    #[inline]
    pub fn addr(&self) -> &'a [u8] {
        let n = (self.addr_len() as usize).min(ADDR_ROOM);
        clamp(self.hdr, sll2_field::ADDR, sll2_field::ADDR + n)
    }

    /// Bytes after the header.
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        self.payload
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sll() {
        let b = [
            0x00, 0x04, 0x00, 0x01, 0x00, 0x06, 1, 2, 3, 4, 5, 6, 0, 0, 0x86, 0xdd, 0x60,
        ];
        let h = SllHeader::new_checked(&b).unwrap();
        assert_eq!(h.packet_type(), 4);
        assert_eq!(h.hardware_type(), 1);
        assert_eq!(h.addr_len(), 6);
        assert_eq!(h.addr(), &[1, 2, 3, 4, 5, 6]);
        assert_eq!(h.protocol(), EtherType::Ipv6);
        assert_eq!(h.protocol_raw(), 0x86dd);
        assert_eq!(h.payload(), &[0x60]);
        for n in 0..SLL_HEADER_LEN {
            assert_eq!(
                SllHeader::new_checked(&b[..n]).unwrap_err(),
                Error::Truncated
            );
        }
        let mut c = b;
        c[5] = 200; // absurd address length is clamped to the room
        assert_eq!(SllHeader::new_checked(&c).unwrap().addr().len(), 8);
    }

    #[test]
    fn sll2() {
        let b = [
            0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x01, 0x00, 0x06, 1, 2, 3, 4, 5,
            6, 0, 0, 0x45,
        ];
        let h = Sll2Header::new_checked(&b).unwrap();
        assert_eq!(h.protocol(), EtherType::Ipv4);
        assert_eq!(h.protocol_raw(), 0x0800);
        assert_eq!(h.reserved(), 0);
        assert_eq!(h.interface_index(), 3);
        assert_eq!(h.hardware_type(), 1);
        assert_eq!(h.packet_type(), 0);
        assert_eq!(h.addr_len(), 6);
        assert_eq!(h.addr(), &[1, 2, 3, 4, 5, 6]);
        assert_eq!(h.payload(), &[0x45]);
        for n in 0..SLL2_HEADER_LEN {
            assert_eq!(
                Sll2Header::new_checked(&b[..n]).unwrap_err(),
                Error::Truncated
            );
        }
    }
}
