//! ARP (RFC 826). The fixed 8 bytes are checked with the four addresses
//! their length fields announce, so every address getter is in bounds.

use crate::bytes::{array, be16, byte, clamp, wire_enum};
use crate::decoded::ArpInfo;
use crate::error::{Error, Result};

mod field {
    pub const HTYPE: usize = 0;
    pub const PTYPE: usize = 2;
    pub const HLEN: usize = 4;
    pub const PLEN: usize = 5;
    pub const OPER: usize = 6;
    pub const ADDRESSES: usize = 8;
}

/// Length of the fixed part of an ARP packet.
pub const FIXED_LEN: usize = field::ADDRESSES;
/// Length of an Ethernet/IPv4 ARP packet.
pub const ETHERNET_IPV4_LEN: usize = FIXED_LEN + 2 * (6 + 4);

wire_enum! {
    /// ARP operation.
    pub enum ArpOperation(u16) {
        /// who-has
        Request = 1,
        /// is-at
        Reply = 2,
        /// RARP request
        ReverseRequest = 3,
        /// RARP reply
        ReverseReply = 4,
    }
}

/// A view of an ARP packet.
#[derive(Clone, Copy, Debug)]
pub struct ArpPacket<'a> {
    hdr: &'a [u8; FIXED_LEN],
    buf: &'a [u8],
}

impl<'a> ArpPacket<'a> {
    /// Checks the fixed part and the four addresses it announces.
    pub fn new_checked(buf: &'a [u8]) -> Result<Self> {
        let (hdr, _) = buf
            .split_first_chunk::<FIXED_LEN>()
            .ok_or(Error::Truncated)?;
        let need = FIXED_LEN + 2 * (hdr[field::HLEN] as usize + hdr[field::PLEN] as usize);
        if buf.len() < need {
            return Err(Error::Truncated);
        }
        Ok(ArpPacket { hdr, buf })
    }

    /// Hardware type (1 = Ethernet).
    #[inline]
    pub fn hardware_type(&self) -> u16 {
        be16(self.hdr, field::HTYPE)
    }

    /// Protocol type (0x0800 = IPv4).
    #[inline]
    pub fn protocol_type(&self) -> u16 {
        be16(self.hdr, field::PTYPE)
    }

    /// Hardware address length.
    #[inline]
    pub fn hardware_len(&self) -> u8 {
        byte(self.hdr, field::HLEN)
    }

    /// Protocol address length.
    #[inline]
    pub fn protocol_len(&self) -> u8 {
        byte(self.hdr, field::PLEN)
    }

    /// Operation.
    #[inline]
    pub fn operation(&self) -> ArpOperation {
        ArpOperation::from(be16(self.hdr, field::OPER))
    }

    fn addr(&self, index: usize) -> &'a [u8] {
        let h = self.hardware_len() as usize;
        let p = self.protocol_len() as usize;
        let (start, len) = match index {
            0 => (FIXED_LEN, h),
            1 => (FIXED_LEN + h, p),
            2 => (FIXED_LEN + h + p, h),
            _ => (FIXED_LEN + 2 * h + p, p),
        };
        clamp(self.buf, start, start + len)
    }

    /// Sender hardware address.
    #[inline]
    pub fn sender_hardware_addr(&self) -> &'a [u8] {
        self.addr(0)
    }

    /// Sender protocol address.
    #[inline]
    pub fn sender_protocol_addr(&self) -> &'a [u8] {
        self.addr(1)
    }

    /// Target hardware address.
    #[inline]
    pub fn target_hardware_addr(&self) -> &'a [u8] {
        self.addr(2)
    }

    /// Target protocol address.
    #[inline]
    pub fn target_protocol_addr(&self) -> &'a [u8] {
        self.addr(3)
    }

    /// The facts palisade keeps, for Ethernet/IPv4 ARP only.
    pub fn info(&self) -> Option<ArpInfo> {
        if self.hardware_type() != 1
            || self.protocol_type() != 0x0800
            || self.hardware_len() != 6
            || self.protocol_len() != 4
        {
            return None;
        }
        Some(ArpInfo {
            op: u16::from(self.operation()),
            sender_mac: array(self.sender_hardware_addr(), 0),
            sender_ip: array(self.sender_protocol_addr(), 0),
            target_mac: array(self.target_hardware_addr(), 0),
            target_ip: array(self.target_protocol_addr(), 0),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// who-has 192.168.1.1 tell 192.168.1.10
    const REQ: [u8; 28] = [
        0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, // fixed
        0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 192, 168, 1, 10, // sender
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 192, 168, 1, 1, // target
    ];

    #[test]
    fn request() {
        let a = ArpPacket::new_checked(&REQ).unwrap();
        assert_eq!(a.hardware_type(), 1);
        assert_eq!(a.protocol_type(), 0x0800);
        assert_eq!(a.hardware_len(), 6);
        assert_eq!(a.protocol_len(), 4);
        assert_eq!(a.operation(), ArpOperation::Request);
        assert_eq!(a.sender_protocol_addr(), &[192, 168, 1, 10]);
        assert_eq!(a.target_hardware_addr(), &[0; 6]);
        let i = a.info().unwrap();
        assert_eq!(i.op, 1);
        assert_eq!(i.sender_mac, [0x00, 0x11, 0x22, 0x33, 0x44, 0x55]);
        assert_eq!(i.sender_ip, [192, 168, 1, 10]);
        assert_eq!(i.target_ip, [192, 168, 1, 1]);
        assert_eq!(i.target_mac, [0; 6]);
    }

    #[test]
    fn truncated_at_every_length() {
        for n in 0..REQ.len() {
            assert_eq!(
                ArpPacket::new_checked(&REQ[..n]).unwrap_err(),
                Error::Truncated,
                "{n}"
            );
        }
    }

    #[test]
    fn other_address_sizes_are_read_but_not_summarised() {
        // hlen 8 plen 2: 8 + 2*10 = 28 bytes
        let mut b = REQ;
        b[4] = 8;
        b[5] = 2;
        b[7] = 9;
        let a = ArpPacket::new_checked(&b).unwrap();
        assert_eq!(a.operation(), ArpOperation::Unknown(9));
        assert_eq!(a.sender_hardware_addr().len(), 8);
        assert_eq!(a.target_protocol_addr(), &b[26..28]);
        assert!(a.info().is_none());
        // huge lengths need more bytes than there are
        b[4] = 255;
        assert_eq!(ArpPacket::new_checked(&b).unwrap_err(), Error::Truncated);
    }
}
