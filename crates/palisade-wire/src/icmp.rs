//! ICMPv4 (RFC 792 and later registrations).

use crate::bytes::{be16, be32, byte, tail};
use crate::error::{Error, Result};

mod field {
    pub const TYPE: usize = 0;
    pub const CODE: usize = 1;
    pub const CHECKSUM: usize = 2;
    pub const ECHO_IDENT: usize = 4;
    pub const ECHO_SEQNO: usize = 6;
    pub const REST: usize = 4;
    pub const PAYLOAD: usize = 8;
}

/// Length of the ICMPv4 header palisade reads (type, code, checksum and the
/// 4-byte rest-of-header).
pub const HEADER_LEN: usize = field::PAYLOAD;

/// ICMPv4 message types palisade names.
pub mod types {
    /// Echo reply.
    pub const ECHO_REPLY: u8 = 0;
    /// Destination unreachable.
    pub const DEST_UNREACH: u8 = 3;
    /// Source quench (deprecated).
    pub const SOURCE_QUENCH: u8 = 4;
    /// Redirect.
    pub const REDIRECT: u8 = 5;
    /// Echo request.
    pub const ECHO: u8 = 8;
    /// Router advertisement.
    pub const ROUTER_ADVERT: u8 = 9;
    /// Router solicitation.
    pub const ROUTER_SOLICIT: u8 = 10;
    /// Time exceeded.
    pub const TIME_EXCEEDED: u8 = 11;
    /// Parameter problem.
    pub const PARAM_PROBLEM: u8 = 12;
    /// Timestamp request.
    pub const TIMESTAMP: u8 = 13;
    /// Timestamp reply.
    pub const TIMESTAMP_REPLY: u8 = 14;
    /// Information request (deprecated).
    pub const INFO_REQUEST: u8 = 15;
    /// Information reply (deprecated).
    pub const INFO_REPLY: u8 = 16;
    /// Address mask request (deprecated).
    pub const ADDRESS_MASK: u8 = 17;
    /// Address mask reply (deprecated).
    pub const ADDRESS_MASK_REPLY: u8 = 18;
    /// Extended echo request (RFC 8335).
    pub const EXT_ECHO: u8 = 42;
    /// Extended echo reply (RFC 8335).
    pub const EXT_ECHO_REPLY: u8 = 43;
}

/// Whether a type is one palisade knows, and whether `code` is valid for it:
/// `None` for an unknown type, `Some(valid)` otherwise.
pub fn code_valid(icmp_type: u8, code: u8) -> Option<bool> {
    use types::*;
    Some(match icmp_type {
        ECHO_REPLY | SOURCE_QUENCH | ECHO | ROUTER_SOLICIT | TIMESTAMP | TIMESTAMP_REPLY
        | INFO_REQUEST | INFO_REPLY | ADDRESS_MASK | ADDRESS_MASK_REPLY | EXT_ECHO => code == 0,
        DEST_UNREACH => code <= 15,
        REDIRECT => code <= 3,
        ROUTER_ADVERT => code == 0 || code == 16,
        TIME_EXCEEDED => code <= 1,
        PARAM_PROBLEM => code <= 2,
        EXT_ECHO_REPLY => code <= 4,
        _ => return None,
    })
}

/// True for the types whose rest-of-header is an identifier and a sequence
/// number (echo, timestamp, information, address mask).
#[inline]
pub fn has_ident_seq(icmp_type: u8) -> bool {
    use types::*;
    matches!(
        icmp_type,
        ECHO_REPLY
            | ECHO
            | TIMESTAMP
            | TIMESTAMP_REPLY
            | INFO_REQUEST
            | INFO_REPLY
            | ADDRESS_MASK
            | ADDRESS_MASK_REPLY
    )
}

/// A view of an ICMPv4 message.
#[derive(Clone, Copy, Debug)]
pub struct Icmpv4Packet<'a> {
    hdr: &'a [u8; HEADER_LEN],
    buf: &'a [u8],
}

impl<'a> Icmpv4Packet<'a> {
    /// Checks that the 8-byte header is present.
    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self> {
        match buf.first_chunk::<HEADER_LEN>() {
            Some(hdr) => Ok(Icmpv4Packet { hdr, buf }),
            None => Err(Error::Truncated),
        }
    }

    /// Message type.
    #[inline]
    pub fn msg_type(&self) -> u8 {
        byte(self.hdr, field::TYPE)
    }

    /// Message code.
    #[inline]
    pub fn code(&self) -> u8 {
        byte(self.hdr, field::CODE)
    }

    /// Checksum field.
    #[inline]
    pub fn checksum(&self) -> u16 {
        be16(self.hdr, field::CHECKSUM)
    }

    /// The 4 bytes after the checksum.
    #[inline]
    pub fn rest_of_header(&self) -> u32 {
        be32(self.hdr, field::REST)
    }

    /// Echo (and timestamp, information, mask) identifier; 0 for other types.
    #[inline]
    pub fn echo_ident(&self) -> u16 {
        if has_ident_seq(self.msg_type()) {
            be16(self.hdr, field::ECHO_IDENT)
        } else {
            0
        }
    }

    /// Echo (and timestamp, information, mask) sequence; 0 for other types.
    #[inline]
    pub fn echo_seq(&self) -> u16 {
        if has_ident_seq(self.msg_type()) {
            be16(self.hdr, field::ECHO_SEQNO)
        } else {
            0
        }
    }

    /// Body after the 8-byte header (echo data, or the invoking packet of
    /// an error message).
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        tail(self.buf, HEADER_LEN)
    }

    /// The whole message.
    #[inline]
    pub fn message(&self) -> &'a [u8] {
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo() {
        let b = [8, 0, 0xf7, 0xfc, 0x00, 0x01, 0x00, 0x02, b'h', b'i'];
        let p = Icmpv4Packet::new_checked(&b).unwrap();
        assert_eq!(p.msg_type(), types::ECHO);
        assert_eq!(p.code(), 0);
        assert_eq!(p.checksum(), 0xf7fc);
        assert_eq!(p.echo_ident(), 1);
        assert_eq!(p.echo_seq(), 2);
        assert_eq!(p.rest_of_header(), 0x0001_0002);
        assert_eq!(p.payload(), b"hi");
        assert_eq!(p.message().len(), 10);
        for n in 0..HEADER_LEN {
            assert_eq!(
                Icmpv4Packet::new_checked(&b[..n]).unwrap_err(),
                Error::Truncated
            );
        }
    }

    #[test]
    fn unreachable_has_no_ident() {
        let b = [3, 3, 0, 0, 0x12, 0x34, 0x56, 0x78];
        let p = Icmpv4Packet::new_checked(&b).unwrap();
        assert_eq!(p.echo_ident(), 0);
        assert_eq!(p.echo_seq(), 0);
        assert!(p.payload().is_empty());
    }

    #[test]
    fn codes() {
        assert_eq!(code_valid(3, 15), Some(true));
        assert_eq!(code_valid(3, 16), Some(false));
        assert_eq!(code_valid(8, 1), Some(false));
        assert_eq!(code_valid(9, 16), Some(true));
        assert_eq!(code_valid(11, 1), Some(true));
        assert_eq!(code_valid(12, 3), Some(false));
        assert_eq!(code_valid(5, 3), Some(true));
        assert_eq!(code_valid(43, 4), Some(true));
        assert_eq!(code_valid(44, 0), None);
        assert_eq!(code_valid(255, 0), None);
    }
}
