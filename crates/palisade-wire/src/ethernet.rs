//! Ethernet II frames (IEEE 802.3 with an EtherType) and the EtherType
//! registry palisade names.

use crate::bytes::{array, be16, wire_enum};
use crate::error::{Error, Result};

mod field {
    use crate::bytes::Field;
    pub const DESTINATION: Field = 0..6;
    pub const SOURCE: Field = 6..12;
    pub const ETHERTYPE: usize = 12;
    pub const PAYLOAD: usize = 14;
}

/// Length of an Ethernet II header.
pub const HEADER_LEN: usize = field::PAYLOAD;

/// Largest value of the type/length field that is a length (IEEE 802.3);
/// values from 0x0600 are EtherTypes.
pub const MAX_8023_LENGTH: u16 = 1500;

wire_enum! {
    /// EtherType (also the GRE protocol type and the SLL protocol field).
    pub enum EtherType(u16) {
        /// IPv4
        Ipv4 = 0x0800,
        /// ARP
        Arp = 0x0806,
        /// IEEE 802.1Q VLAN tag
        Vlan = 0x8100,
        /// IPv6
        Ipv6 = 0x86dd,
        /// IEEE 802.1ad service VLAN tag (QinQ)
        QinQ = 0x88a8,
        /// Pre-standard QinQ tag used by some switches
        QinQ9100 = 0x9100,
        /// Transparent Ethernet bridging (GRE payload is an Ethernet frame)
        TransparentEthernet = 0x6558,
        /// ERSPAN type I/II (GRE)
        ErspanII = 0x88be,
        /// ERSPAN type III (GRE)
        ErspanIII = 0x22eb,
    }
}

impl EtherType {
    /// True for the three VLAN tag types palisade walks.
    #[inline]
    pub fn is_vlan(self) -> bool {
        matches!(
            self,
            EtherType::Vlan | EtherType::QinQ | EtherType::QinQ9100
        )
    }
}

/// True for the three VLAN tag type values (0x8100, 0x88a8, 0x9100).
#[inline]
pub fn is_vlan_ethertype(et: u16) -> bool {
    matches!(et, 0x8100 | 0x88a8 | 0x9100)
}

/// A view of an Ethernet II frame; the 14-byte header is checked once.
#[derive(Clone, Copy, Debug)]
pub struct EthernetFrame<'a> {
    hdr: &'a [u8; HEADER_LEN],
    payload: &'a [u8],
}

impl<'a> EthernetFrame<'a> {
    /// Checks that `buf` holds a whole header.
    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self> {
        match buf.split_first_chunk::<HEADER_LEN>() {
            Some((hdr, payload)) => Ok(EthernetFrame { hdr, payload }),
            None => Err(Error::Truncated),
        }
    }

    /// Destination MAC address.
    #[inline]
    pub fn dst(&self) -> [u8; 6] {
        array(self.hdr, field::DESTINATION.start)
    }

    /// Source MAC address.
    #[inline]
    pub fn src(&self) -> [u8; 6] {
        array(self.hdr, field::SOURCE.start)
    }

    /// The type/length field as on the wire.
    #[inline]
    pub fn ethertype_raw(&self) -> u16 {
        be16(self.hdr, field::ETHERTYPE)
    }

    /// The EtherType (meaningful when above [`MAX_8023_LENGTH`]).
    #[inline]
    pub fn ethertype(&self) -> EtherType {
        EtherType::from(self.ethertype_raw())
    }

    /// True when the type/length field is an 802.3 length (LLC frame).
    #[inline]
    pub fn is_8023_length(&self) -> bool {
        self.ethertype_raw() <= MAX_8023_LENGTH
    }

    /// The header bytes.
    #[inline]
    pub fn header(&self) -> &'a [u8; HEADER_LEN] {
        self.hdr
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

    const FRAME: [u8; 16] = [
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // dst
        0x00, 0x11, 0x22, 0x33, 0x44, 0x55, // src
        0x08, 0x06, // ARP
        0xab, 0xcd,
    ];

    #[test]
    fn reads_fields() {
        let f = EthernetFrame::new_checked(&FRAME).unwrap();
        assert_eq!(f.dst(), [0xff; 6]);
        assert_eq!(f.src(), [0x00, 0x11, 0x22, 0x33, 0x44, 0x55]);
        assert_eq!(f.ethertype(), EtherType::Arp);
        assert_eq!(f.ethertype_raw(), 0x0806);
        assert!(!f.is_8023_length());
        assert_eq!(f.payload(), &[0xab, 0xcd]);
        assert_eq!(f.header()[12], 0x08);
    }

    #[test]
    fn truncated_at_every_length() {
        for n in 0..HEADER_LEN {
            assert_eq!(
                EthernetFrame::new_checked(&FRAME[..n]).unwrap_err(),
                Error::Truncated
            );
        }
        let f = EthernetFrame::new_checked(&FRAME[..HEADER_LEN]).unwrap();
        assert!(f.payload().is_empty());
    }

    #[test]
    fn ethertypes() {
        assert_eq!(EtherType::from(0x86dd), EtherType::Ipv6);
        assert_eq!(EtherType::from(0x88cc), EtherType::Unknown(0x88cc));
        assert!(EtherType::from(0x88a8).is_vlan());
        assert!(EtherType::QinQ9100.is_vlan());
        assert!(!EtherType::Ipv4.is_vlan());
        assert!(is_vlan_ethertype(0x8100) && !is_vlan_ethertype(0x0800));
        let mut llc = FRAME;
        llc[12] = 0x00;
        llc[13] = 0x26;
        assert!(EthernetFrame::new_checked(&llc).unwrap().is_8023_length());
    }
}
