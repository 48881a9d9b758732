//! TZSP, the TaZmen Sniffer Protocol (MikroTik and others stream mirrored
//! frames in it over UDP 37008): version 1, type, encapsulation, then a
//! list of tagged fields ending with TAG_END, then the frame.
//!
//! The tag walk is bounded by [`MAX_TAGS`] so that a list of padding bytes
//! cannot make the decoder spin.

use crate::bytes::{be16, byte, clamp, tail, wire_enum};
use crate::error::{Error, Result};

mod field {
    pub const VERSION: usize = 0;
    pub const TYPE: usize = 1;
    pub const ENCAPSULATION: usize = 2;
    pub const TAGS: usize = 4;
}

/// Length of the fixed TZSP header.
pub const HEADER_LEN: usize = field::TAGS;
/// The only TZSP version.
pub const VERSION: u8 = 1;
/// Default UDP port.
pub const PORT: u16 = 37008;
/// Padding tag (one byte, no length).
pub const TAG_PADDING: u8 = 0x00;
/// End of the tag list (one byte, no length).
pub const TAG_END: u8 = 0x01;
/// Most tags (padding included) walked before the header is malformed.
pub const MAX_TAGS: usize = 64;

wire_enum! {
    /// TZSP packet type.
    pub enum TzspType(u8) {
        /// A received frame with its tag list.
        ReceivedTagList = 0,
        /// A frame for transmission.
        PacketForTransmit = 1,
        /// Reserved.
        Reserved = 2,
        /// Configuration.
        Configuration = 3,
        /// Keepalive (no frame).
        Keepalive = 4,
        /// Port opener (no frame).
        PortOpener = 5,
    }
}

impl TzspType {
    /// True for the types that carry a frame.
    #[inline]
    pub fn carries_frame(self) -> bool {
        matches!(
            self,
            TzspType::ReceivedTagList | TzspType::PacketForTransmit
        )
    }
}

wire_enum! {
    /// Encapsulation of the carried frame.
    pub enum TzspEncapsulation(u16) {
        /// Ethernet
        Ethernet = 1,
        /// IEEE 802.11
        Ieee80211 = 18,
        /// Prism header
        Prism = 119,
        /// AVS WLAN header
        WlanAvs = 127,
    }
}

/// One tagged field (neither padding nor end).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TzspTag<'a> {
    /// Tag number (e.g. 10 signal, 40 rx channel, 60 original length).
    pub tag: u8,
    /// Tag data.
    pub data: &'a [u8],
}

/// A view of a TZSP packet. `new_checked` walks the tag list once to find
/// where the frame starts.
#[derive(Clone, Copy, Debug)]
pub struct TzspPacket<'a> {
    hdr: &'a [u8; HEADER_LEN],
    buf: &'a [u8],
    data_offset: usize,
}

impl<'a> TzspPacket<'a> {
    /// Checks the fixed header and walks the tag list to TAG_END (at most
    /// [`MAX_TAGS`] tags). A list without TAG_END is `Truncated`; a list
    /// longer than the bound is `Malformed`.
    pub fn new_checked(buf: &'a [u8]) -> Result<Self> {
        let hdr = buf.first_chunk::<HEADER_LEN>().ok_or(Error::Truncated)?;
        let mut at = HEADER_LEN;
        let mut n = 0;
        loop {
            if n >= MAX_TAGS {
                return Err(Error::Malformed);
            }
            n += 1;
            let tag = *buf.get(at).ok_or(Error::Truncated)?;
            match tag {
                TAG_END => {
                    at += 1;
                    break;
                }
                TAG_PADDING => at += 1,
                _ => {
                    let len = *buf.get(at + 1).ok_or(Error::Truncated)? as usize;
                    at += 2 + len;
                    if at > buf.len() {
                        return Err(Error::Truncated);
                    }
                }
            }
        }
        Ok(TzspPacket {
            hdr,
            buf,
            data_offset: at,
        })
    }

    /// Version (1).
    #[inline]
    pub fn version(&self) -> u8 {
        byte(self.hdr, field::VERSION)
    }

    /// Packet type.
    #[inline]
    pub fn packet_type(&self) -> TzspType {
        TzspType::from(byte(self.hdr, field::TYPE))
    }

    /// Encapsulation, as on the wire.
    #[inline]
    pub fn encapsulation_raw(&self) -> u16 {
        be16(self.hdr, field::ENCAPSULATION)
    }

    /// Encapsulation.
    #[inline]
    pub fn encapsulation(&self) -> TzspEncapsulation {
        TzspEncapsulation::from(self.encapsulation_raw())
    }

    /// The tagged fields (padding and end skipped).
    #[inline]
    pub fn tags(&self) -> TzspTagIter<'a> {
        TzspTagIter {
            rest: clamp(self.buf, HEADER_LEN, self.data_offset),
        }
    }

    /// Where the carried frame starts.
    #[inline]
    pub fn header_len(&self) -> usize {
        self.data_offset
    }

    /// The carried frame.
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        tail(self.buf, self.data_offset)
    }
}

/// Iterator over the tagged fields of a checked TZSP packet.
#[derive(Clone, Debug)]
pub struct TzspTagIter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for TzspTagIter<'a> {
    type Item = TzspTag<'a>;

    fn next(&mut self) -> Option<TzspTag<'a>> {
        loop {
            let (&tag, after) = self.rest.split_first()?;
            match tag {
                TAG_PADDING => self.rest = after,
                TAG_END => {
                    self.rest = &[];
                    return None;
                }
                _ => {
                    let (&len, after) = after.split_first()?;
                    let (data, rest) = after.split_at_checked(len as usize)?;
                    self.rest = rest;
                    return Some(TzspTag { tag, data });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PKT: [u8; 14] = [
        0x01, 0x00, 0x00, 0x01, // v1, received, Ethernet
        0x00, // padding
        0x0a, 0x01, 0xc4, // signal -60
        0x28, 0x02, 0x00, 0x06, // rx channel 6
        0x01, // end
        0xee, // frame
    ];

    #[test]
    fn reads_fields_and_tags() {
        let t = TzspPacket::new_checked(&PKT).unwrap();
        assert_eq!(t.version(), VERSION);
        assert_eq!(t.packet_type(), TzspType::ReceivedTagList);
        assert!(t.packet_type().carries_frame());
        assert_eq!(t.encapsulation(), TzspEncapsulation::Ethernet);
        assert_eq!(t.encapsulation_raw(), 1);
        assert_eq!(t.header_len(), 13);
        assert_eq!(t.payload(), &[0xee]);
        let tags: Vec<_> = t.tags().collect();
        assert_eq!(
            tags,
            vec![
                TzspTag {
                    tag: 10,
                    data: &[0xc4]
                },
                TzspTag {
                    tag: 40,
                    data: &[0, 6]
                }
            ]
        );
    }

    #[test]
    fn truncated_at_every_length() {
        for n in 0..13 {
            assert_eq!(
                TzspPacket::new_checked(&PKT[..n]).unwrap_err(),
                Error::Truncated,
                "{n}"
            );
        }
        assert!(TzspPacket::new_checked(&PKT[..13])
            .unwrap()
            .payload()
            .is_empty());
    }

    #[test]
    fn bounded_walk() {
        let mut b = vec![1, 0, 0, 1];
        b.extend(std::iter::repeat_n(TAG_PADDING, MAX_TAGS));
        b.push(TAG_END);
        assert_eq!(TzspPacket::new_checked(&b).unwrap_err(), Error::Malformed);
        let mut b = vec![1, 4, 0, 1];
        b.extend(std::iter::repeat_n(TAG_PADDING, MAX_TAGS - 1));
        b.push(TAG_END);
        let t = TzspPacket::new_checked(&b).unwrap();
        assert_eq!(t.packet_type(), TzspType::Keepalive);
        assert!(!t.packet_type().carries_frame());
        assert_eq!(t.tags().count(), 0);
        assert_eq!(TzspType::from(9), TzspType::Unknown(9));
        assert_eq!(TzspEncapsulation::from(18), TzspEncapsulation::Ieee80211);
    }
}
