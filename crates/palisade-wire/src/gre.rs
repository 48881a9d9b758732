//! GRE (RFC 2784 with the key and sequence fields of RFC 2890; RFC 1701
//! source routing entries are walked; version 1 is PPTP's enhanced GRE,
//! RFC 2637, whose header length is computed but which palisade does not
//! decode further).

use crate::bytes::{be16, be32, byte, tail};
use crate::error::{Error, Result};
use crate::ethernet::EtherType;

mod field {
    pub const FLAGS_VERSION: usize = 0;
    pub const PROTOCOL: usize = 2;
    pub const OPTIONAL: usize = 4;
}

/// Length of the fixed GRE header.
pub const HEADER_LEN: usize = field::OPTIONAL;
/// Most RFC 1701 source route entries walked before the header is called
/// malformed.
pub const MAX_SRES: usize = 16;

/// Flag bits of the first 16-bit word.
pub mod flags {
    /// Checksum present.
    pub const CHECKSUM: u16 = 0x8000;
    /// Routing present (RFC 1701).
    pub const ROUTING: u16 = 0x4000;
    /// Key present.
    pub const KEY: u16 = 0x2000;
    /// Sequence number present.
    pub const SEQUENCE: u16 = 0x1000;
    /// Strict source route (RFC 1701).
    pub const STRICT_ROUTE: u16 = 0x0800;
    /// Recursion control (3 bits).
    pub const RECURSION: u16 = 0x0700;
    /// Acknowledgment number present (version 1).
    pub const ACK: u16 = 0x0080;
    /// Reserved flag bits.
    pub const RESERVED: u16 = 0x0078;
    /// Version (3 bits).
    pub const VERSION: u16 = 0x0007;
}

/// A view of a GRE packet; `new_checked` computes where the optional fields
/// end, so the payload getter is exact.
#[derive(Clone, Copy, Debug)]
pub struct GrePacket<'a> {
    hdr: &'a [u8; HEADER_LEN],
    buf: &'a [u8],
    header_len: usize,
    key_at: Option<usize>,
    seq_at: Option<usize>,
    ack_at: Option<usize>,
}

impl<'a> GrePacket<'a> {
    /// Checks the fixed header, the optional fields its flags announce and
    /// any source route entries (bounded by [`MAX_SRES`]).
    pub fn new_checked(buf: &'a [u8]) -> Result<Self> {
        let hdr = buf.first_chunk::<HEADER_LEN>().ok_or(Error::Truncated)?;
        let fv = be16(hdr, field::FLAGS_VERSION);
        let v1 = fv & flags::VERSION == 1;
        let mut at = HEADER_LEN;
        if fv & (flags::CHECKSUM | flags::ROUTING) != 0 {
            at += 4;
        }
        let mut key_at = None;
        // version 1 always carries the key (payload length, call id)
        if fv & flags::KEY != 0 || v1 {
            key_at = Some(at);
            at += 4;
        }
        let mut seq_at = None;
        if fv & flags::SEQUENCE != 0 {
            seq_at = Some(at);
            at += 4;
        }
        let mut ack_at = None;
        if v1 && fv & flags::ACK != 0 {
            ack_at = Some(at);
            at += 4;
        }
        if buf.len() < at {
            return Err(Error::Truncated);
        }
        if fv & flags::ROUTING != 0 && !v1 {
            let mut n = 0;
            loop {
                let sre = buf.get(at..at + 4).ok_or(Error::Truncated)?;
                let af = be16(sre, 0);
                let len = byte(sre, 3) as usize;
                at += 4;
                if af == 0 && len == 0 {
                    break;
                }
                at += len;
                n += 1;
                if n >= MAX_SRES {
                    return Err(Error::Malformed);
                }
            }
            if buf.len() < at {
                return Err(Error::Truncated);
            }
        }
        Ok(GrePacket {
            hdr,
            buf,
            header_len: at,
            key_at,
            seq_at,
            ack_at,
        })
    }

    /// The flags and version word.
    #[inline]
    pub fn flags_version(&self) -> u16 {
        be16(self.hdr, field::FLAGS_VERSION)
    }

    /// Checksum present.
    #[inline]
    pub fn checksum_present(&self) -> bool {
        self.flags_version() & flags::CHECKSUM != 0
    }

    /// Routing present.
    #[inline]
    pub fn routing_present(&self) -> bool {
        self.flags_version() & flags::ROUTING != 0
    }

    /// Key present.
    #[inline]
    pub fn key_present(&self) -> bool {
        self.flags_version() & flags::KEY != 0
    }

    /// Sequence number present.
    #[inline]
    pub fn seq_present(&self) -> bool {
        self.flags_version() & flags::SEQUENCE != 0
    }

    /// Recursion control.
    #[inline]
    pub fn recursion(&self) -> u8 {
        ((self.flags_version() & flags::RECURSION) >> 8) as u8
    }

    /// Version (0 = GRE, 1 = PPTP enhanced GRE).
    #[inline]
    pub fn version(&self) -> u8 {
        (self.flags_version() & flags::VERSION) as u8
    }

    /// Protocol type of the payload, as on the wire.
    #[inline]
    pub fn protocol_type_raw(&self) -> u16 {
        be16(self.hdr, field::PROTOCOL)
    }

    /// Protocol type of the payload.
    #[inline]
    pub fn protocol_type(&self) -> EtherType {
        EtherType::from(self.protocol_type_raw())
    }

    /// Checksum, when the C bit is set.
    #[inline]
    pub fn checksum(&self) -> Option<u16> {
        self.checksum_present().then(|| be16(self.buf, HEADER_LEN))
    }

    /// Key, when the K bit is set (for version 1: payload length and call
    /// id).
    #[inline]
    pub fn key(&self) -> Option<u32> {
        self.key_at.map(|at| be32(self.buf, at))
    }

    /// Sequence number, when the S bit is set.
    #[inline]
    pub fn sequence(&self) -> Option<u32> {
        self.seq_at.map(|at| be32(self.buf, at))
    }

    /// Acknowledgment number (version 1 with the A bit).
    #[inline]
    pub fn ack_number(&self) -> Option<u32> {
        self.ack_at.map(|at| be32(self.buf, at))
    }

    /// Header length including optional fields and source routes.
    #[inline]
    pub fn header_len(&self) -> usize {
        self.header_len
    }

    /// Bytes after the header.
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        tail(self.buf, self.header_len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain() {
        let b = [0x00, 0x00, 0x08, 0x00, 0x45];
        let g = GrePacket::new_checked(&b).unwrap();
        assert_eq!(g.version(), 0);
        assert_eq!(g.protocol_type(), EtherType::Ipv4);
        assert_eq!(g.protocol_type_raw(), 0x0800);
        assert_eq!(g.header_len(), 4);
        assert_eq!(g.payload(), &[0x45]);
        assert!(
            !g.checksum_present() && !g.key_present() && !g.seq_present() && !g.routing_present()
        );
        assert_eq!(
            (g.checksum(), g.key(), g.sequence(), g.ack_number()),
            (None, None, None, None)
        );
        assert_eq!(g.recursion(), 0);
        for n in 0..4 {
            assert_eq!(
                GrePacket::new_checked(&b[..n]).unwrap_err(),
                Error::Truncated
            );
        }
    }

    #[test]
    fn checksum_key_sequence() {
        let b = [
            0xb0, 0x00, 0x88, 0xbe, // C K S, ERSPAN
            0xab, 0xcd, 0x00, 0x00, // checksum, reserved
            0x00, 0x00, 0x01, 0x02, // key
            0x00, 0x00, 0x00, 0x09, // seq
            0x10,
        ];
        let g = GrePacket::new_checked(&b).unwrap();
        assert_eq!(g.checksum(), Some(0xabcd));
        assert_eq!(g.key(), Some(0x0102));
        assert_eq!(g.sequence(), Some(9));
        assert_eq!(g.header_len(), 16);
        assert_eq!(g.payload(), &[0x10]);
        assert_eq!(g.protocol_type(), EtherType::ErspanII);
        for n in 0..16 {
            assert_eq!(
                GrePacket::new_checked(&b[..n]).unwrap_err(),
                Error::Truncated,
                "{n}"
            );
        }
    }

    #[test]
    fn routing_entries() {
        // R set: checksum/offset word, one SRE of 4 bytes, then the null SRE
        let mut b = vec![0x40, 0x00, 0x08, 0x00, 0, 0, 0, 0];
        b.extend_from_slice(&[0x08, 0x00, 0x00, 0x04, 1, 2, 3, 4]);
        b.extend_from_slice(&[0, 0, 0, 0, 0x45]);
        let g = GrePacket::new_checked(&b).unwrap();
        assert!(g.routing_present());
        assert_eq!(g.header_len(), 20);
        assert_eq!(g.payload(), &[0x45]);
        for n in 0..20 {
            assert_eq!(
                GrePacket::new_checked(&b[..n]).unwrap_err(),
                Error::Truncated,
                "{n}"
            );
        }
        // an endless list of SREs is malformed
        let mut b = vec![0x40, 0x00, 0x08, 0x00, 0, 0, 0, 0];
        for _ in 0..MAX_SRES + 1 {
            b.extend_from_slice(&[0x08, 0x00, 0x00, 0x00]);
        }
        b.extend_from_slice(&[0, 0, 0, 0]);
        assert_eq!(GrePacket::new_checked(&b).unwrap_err(), Error::Malformed);
    }

    #[test]
    fn version1_pptp() {
        let b = [
            0x30, 0x81, 0x88, 0x0b, 0x00, 0x10, 0x12, 0x34, 0, 0, 0, 5, 0, 0, 0, 4, 0xff,
        ];
        let g = GrePacket::new_checked(&b).unwrap();
        assert_eq!(g.version(), 1);
        assert_eq!(g.key(), Some(0x0010_1234));
        assert_eq!(g.sequence(), Some(5));
        assert_eq!(g.ack_number(), Some(4));
        assert_eq!(g.header_len(), 16);
        assert_eq!(g.protocol_type(), EtherType::Unknown(0x880b));
    }
}
