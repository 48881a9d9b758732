//! ICMPv6 (RFC 4443, neighbour discovery RFC 4861, MLD RFC 2710/3810).

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

/// Length of the ICMPv6 header palisade reads.
pub const HEADER_LEN: usize = field::PAYLOAD;

/// ICMPv6 message types palisade names.
pub mod types {
    /// Destination unreachable.
    pub const DEST_UNREACH: u8 = 1;
    /// Packet too big.
    pub const PACKET_TOO_BIG: u8 = 2;
    /// Time exceeded.
    pub const TIME_EXCEEDED: u8 = 3;
    /// Parameter problem.
    pub const PARAM_PROBLEM: u8 = 4;
    /// Echo request.
    pub const ECHO_REQUEST: u8 = 128;
    /// Echo reply.
    pub const ECHO_REPLY: u8 = 129;
    /// MLD query.
    pub const MLD_QUERY: u8 = 130;
    /// Router solicitation.
    pub const ROUTER_SOLICIT: u8 = 133;
    /// Neighbour solicitation.
    pub const NEIGHBOR_SOLICIT: u8 = 135;
    /// Router renumbering.
    pub const ROUTER_RENUMBERING: u8 = 138;
    /// Node information query.
    pub const NODE_INFO_QUERY: u8 = 139;
    /// Node information reply.
    pub const NODE_INFO_REPLY: u8 = 140;
    /// MLDv2 report.
    pub const MLD2_REPORT: u8 = 143;
    /// Extended echo request (RFC 8335).
    pub const EXT_ECHO: u8 = 160;
    /// Extended echo reply (RFC 8335).
    pub const EXT_ECHO_REPLY: u8 = 161;
}

/// Whether a type is one palisade knows, and whether `code` is valid for it:
/// `None` for an unknown type, `Some(valid)` otherwise.
pub fn code_valid(icmp_type: u8, code: u8) -> Option<bool> {
    Some(match icmp_type {
        1 => code <= 8,
        2 => code == 0,
        3 => code <= 1,
        4 => code <= 10,
        // echo, MLD, ND, inverse ND, MLDv2, mobile IPv6, SEND, multicast
        // router discovery, extended echo request
        128..=137 | 141..=153 | 160 => code == 0,
        138 => code <= 1 || code == 255,
        139 | 140 => code <= 2,
        // FMIPv6, RPL, DAR/DAC: codes are subtypes
        154 | 155 | 157 | 158 => true,
        161 => code <= 4,
        // private experimentation
        100 | 101 | 200 | 201 => true,
        _ => return None,
    })
}

/// A view of an ICMPv6 message.
#[derive(Clone, Copy, Debug)]
pub struct Icmpv6Packet<'a> {
    hdr: &'a [u8; HEADER_LEN],
    buf: &'a [u8],
}

impl<'a> Icmpv6Packet<'a> {
    /// Checks that the 8-byte header is present.
    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self> {
        match buf.first_chunk::<HEADER_LEN>() {
            Some(hdr) => Ok(Icmpv6Packet { hdr, buf }),
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

    /// The 4 bytes after the checksum (MTU of packet-too-big, pointer of
    /// parameter-problem, ...).
    #[inline]
    pub fn rest_of_header(&self) -> u32 {
        be32(self.hdr, field::REST)
    }

    /// True for echo request/reply.
    #[inline]
    pub fn is_echo(&self) -> bool {
        matches!(self.msg_type(), types::ECHO_REQUEST | types::ECHO_REPLY)
    }

    /// Echo identifier (0 for other types).
    #[inline]
    pub fn echo_ident(&self) -> u16 {
        if self.is_echo() {
            be16(self.hdr, field::ECHO_IDENT)
        } else {
            0
        }
    }

    /// Echo sequence (0 for other types).
    #[inline]
    pub fn echo_seq(&self) -> u16 {
        if self.is_echo() {
            be16(self.hdr, field::ECHO_SEQNO)
        } else {
            0
        }
    }

    /// Body after the 8-byte header.
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
    fn echo_and_others() {
        let b = [128, 0, 0x12, 0x34, 0x00, 0x07, 0x00, 0x09, 0xaa];
        let p = Icmpv6Packet::new_checked(&b).unwrap();
        assert_eq!(p.msg_type(), types::ECHO_REQUEST);
        assert_eq!(p.code(), 0);
        assert_eq!(p.checksum(), 0x1234);
        assert!(p.is_echo());
        assert_eq!(p.echo_ident(), 7);
        assert_eq!(p.echo_seq(), 9);
        assert_eq!(p.rest_of_header(), 0x0007_0009);
        assert_eq!(p.payload(), &[0xaa]);
        assert_eq!(p.message().len(), 9);
        for n in 0..HEADER_LEN {
            assert_eq!(
                Icmpv6Packet::new_checked(&b[..n]).unwrap_err(),
                Error::Truncated
            );
        }
        let ns = [135, 0, 0, 0, 0, 0, 0, 0];
        let p = Icmpv6Packet::new_checked(&ns).unwrap();
        assert!(!p.is_echo());
        assert_eq!(p.echo_ident(), 0);
        assert_eq!(p.echo_seq(), 0);
    }

    #[test]
    fn codes() {
        assert_eq!(code_valid(1, 4), Some(true));
        assert_eq!(code_valid(1, 9), Some(false));
        assert_eq!(code_valid(135, 0), Some(true));
        assert_eq!(code_valid(135, 1), Some(false));
        assert_eq!(code_valid(138, 255), Some(true));
        assert_eq!(code_valid(138, 2), Some(false));
        assert_eq!(code_valid(155, 9), Some(true));
        assert_eq!(code_valid(161, 5), Some(false));
        assert_eq!(code_valid(5, 0), None);
        assert_eq!(code_valid(127, 0), None);
    }
}
