//! TCP (RFC 9293) and its options: MSS, window scale, SACK-permitted, SACK,
//! timestamps. Malformed option lists are walked as far as they can be and
//! the problem reported, never trusted.

use crate::bytes::{be16, be32, byte, clamp, tail};
use crate::error::{Error, Result};

mod field {
    pub const SRC_PORT: usize = 0;
    pub const DST_PORT: usize = 2;
    pub const SEQ_NUM: usize = 4;
    pub const ACK_NUM: usize = 8;
    pub const DATA_OFF: usize = 12;
    pub const FLAGS: usize = 13;
    pub const WIN_SIZE: usize = 14;
    pub const CHECKSUM: usize = 16;
    pub const URGENT: usize = 18;
    pub const OPTIONS: usize = 20;
}

/// Length of the fixed TCP header.
pub const HEADER_LEN: usize = field::OPTIONS;

/// TCP option kinds palisade names.
pub mod opt {
    /// End of option list.
    pub const EOL: u8 = 0;
    /// No operation.
    pub const NOP: u8 = 1;
    /// Maximum segment size (length 4).
    pub const MSS: u8 = 2;
    /// Window scale (length 3).
    pub const WSCALE: u8 = 3;
    /// SACK permitted (length 2).
    pub const SACK_PERMITTED: u8 = 4;
    /// SACK blocks (length 2 + 8n, n = 1..4).
    pub const SACK: u8 = 5;
    /// Timestamps (length 10).
    pub const TIMESTAMP: u8 = 8;
}

/// A view of a TCP segment.
#[derive(Clone, Copy, Debug)]
pub struct TcpPacket<'a> {
    hdr: &'a [u8; HEADER_LEN],
    buf: &'a [u8],
}

impl<'a> TcpPacket<'a> {
    /// Checks that the fixed 20-byte header is present. The data offset is
    /// left for the caller to judge ([`Self::check`]).
    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self> {
        match buf.first_chunk::<HEADER_LEN>() {
            Some(hdr) => Ok(TcpPacket { hdr, buf }),
            None => Err(Error::Truncated),
        }
    }

    /// Strict check: data offset ≥ 5 words and within the buffer.
    pub fn check(&self) -> Result<()> {
        let hl = self.header_len();
        if hl < HEADER_LEN {
            Err(Error::Malformed)
        } else if hl > self.buf.len() {
            Err(Error::Truncated)
        } else {
            Ok(())
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

    /// Sequence number.
    #[inline]
    pub fn seq_number(&self) -> u32 {
        be32(self.hdr, field::SEQ_NUM)
    }

    /// Acknowledgement number.
    #[inline]
    pub fn ack_number(&self) -> u32 {
        be32(self.hdr, field::ACK_NUM)
    }

    /// Header length in bytes (data offset × 4; may be below 20).
    #[inline]
    pub fn header_len(&self) -> usize {
        (byte(self.hdr, field::DATA_OFF) >> 4) as usize * 4
    }

    /// The NS (ECN nonce, RFC 3540, historic) bit.
    #[inline]
    pub fn ns(&self) -> bool {
        byte(self.hdr, field::DATA_OFF) & 1 != 0
    }

    /// Flags byte (see [`crate::tcp_flags`]).
    #[inline]
    pub fn flags(&self) -> u8 {
        byte(self.hdr, field::FLAGS)
    }

    /// Window, unscaled.
    #[inline]
    pub fn window(&self) -> u16 {
        be16(self.hdr, field::WIN_SIZE)
    }

    /// Checksum field.
    #[inline]
    pub fn checksum(&self) -> u16 {
        be16(self.hdr, field::CHECKSUM)
    }

    /// Urgent pointer.
    #[inline]
    pub fn urgent(&self) -> u16 {
        be16(self.hdr, field::URGENT)
    }

    /// Option bytes as far as they were captured.
    #[inline]
    pub fn options(&self) -> &'a [u8] {
        clamp(self.buf, HEADER_LEN, self.header_len())
    }

    /// Iterates over the options.
    #[inline]
    pub fn options_iter(&self) -> TcpOptionIter<'a> {
        TcpOptionIter::new(self.options())
    }

    /// Segment data after the header (empty if the header is longer than
    /// the buffer).
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        tail(self.buf, self.header_len().max(HEADER_LEN))
    }

    /// The whole segment.
    #[inline]
    pub fn segment(&self) -> &'a [u8] {
        self.buf
    }
}

/// SACK blocks of a SACK option, as (left edge, right edge) pairs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SackBlocks<'a> {
    data: &'a [u8],
}

impl<'a> SackBlocks<'a> {
    /// Number of blocks.
    #[inline]
    pub fn len(&self) -> usize {
        self.data.len() / 8
    }

    /// True when there are no blocks.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Iterates over (left, right) edges.
    pub fn iter(&self) -> impl Iterator<Item = (u32, u32)> + 'a {
        self.data.chunks_exact(8).map(|c| (be32(c, 0), be32(c, 4)))
    }
}

/// One TCP option.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TcpOption<'a> {
    /// End of option list (the iterator stops after it).
    EndOfList,
    /// No operation.
    Nop,
    /// Maximum segment size.
    Mss(u16),
    /// Window scale shift count (as sent; RFC 7323 caps use at 14).
    WindowScale(u8),
    /// SACK permitted.
    SackPermitted,
    /// SACK blocks.
    Sack(SackBlocks<'a>),
    /// Timestamps.
    Timestamps {
        /// TSval
        tsval: u32,
        /// TSecr
        tsecr: u32,
    },
    /// Another option (kind, data after the length byte).
    Unknown {
        /// Option kind.
        kind: u8,
        /// Option data.
        data: &'a [u8],
    },
}

/// A problem found while walking TCP options.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TcpOptionError {
    /// The option's length byte is below 2 or runs past the header; the
    /// walk stops.
    Overrun,
    /// A known option with a length its kind does not allow; the walk goes
    /// on after it.
    BadLength {
        /// The option kind.
        kind: u8,
    },
}

/// Iterator over TCP options.
#[derive(Clone, Debug)]
pub struct TcpOptionIter<'a> {
    rest: &'a [u8],
}

impl<'a> TcpOptionIter<'a> {
    /// Walks `options` (the bytes after the fixed header).
    #[inline]
    pub fn new(options: &'a [u8]) -> Self {
        TcpOptionIter { rest: options }
    }
}

impl<'a> Iterator for TcpOptionIter<'a> {
    type Item = core::result::Result<TcpOption<'a>, TcpOptionError>;

    fn next(&mut self) -> Option<Self::Item> {
        let (&kind, after) = self.rest.split_first()?;
        match kind {
            opt::EOL => {
                self.rest = &[];
                return Some(Ok(TcpOption::EndOfList));
            }
            opt::NOP => {
                self.rest = after;
                return Some(Ok(TcpOption::Nop));
            }
            _ => {}
        }
        let len = match after.first() {
            Some(&l) if l >= 2 && (l as usize) <= self.rest.len() => l as usize,
            _ => {
                self.rest = &[];
                return Some(Err(TcpOptionError::Overrun));
            }
        };
        let data = clamp(self.rest, 2, len);
        self.rest = tail(self.rest, len);
        let bad = Err(TcpOptionError::BadLength { kind });
        Some(match kind {
            opt::MSS if len == 4 => Ok(TcpOption::Mss(be16(data, 0))),
            opt::WSCALE if len == 3 => Ok(TcpOption::WindowScale(byte(data, 0))),
            opt::SACK_PERMITTED if len == 2 => Ok(TcpOption::SackPermitted),
            opt::SACK if (10..=34).contains(&len) && (len - 2) & 7 == 0 => {
                Ok(TcpOption::Sack(SackBlocks { data }))
            }
            opt::TIMESTAMP if len == 10 => Ok(TcpOption::Timestamps {
                tsval: be32(data, 0),
                tsecr: be32(data, 4),
            }),
            opt::MSS | opt::WSCALE | opt::SACK_PERMITTED | opt::SACK | opt::TIMESTAMP => bad,
            _ => Ok(TcpOption::Unknown { kind, data }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SYN 40000 -> 80 with MSS 1460, SACK-perm, TS, NOP, WS 7 (data offset 10).
    pub const SYN: [u8; 40] = [
        0x9c, 0x40, 0x00, 0x50, 0x11, 0x22, 0x33, 0x44, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02, 0xfa,
        0xf0, 0xab, 0xcd, 0x00, 0x00, // fixed
        0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
        0x00, 0x01, 0x03, 0x03, 0x07,
    ];

    #[test]
    fn reads_fields() {
        let t = TcpPacket::new_checked(&SYN).unwrap();
        assert_eq!(t.src_port(), 40000);
        assert_eq!(t.dst_port(), 80);
        assert_eq!(t.seq_number(), 0x1122_3344);
        assert_eq!(t.ack_number(), 0);
        assert_eq!(t.header_len(), 40);
        assert!(!t.ns());
        assert_eq!(t.flags(), crate::tcp_flags::SYN);
        assert_eq!(t.window(), 0xfaf0);
        assert_eq!(t.checksum(), 0xabcd);
        assert_eq!(t.urgent(), 0);
        assert_eq!(t.check(), Ok(()));
        assert!(t.payload().is_empty());
        assert_eq!(t.segment().len(), 40);
        let o: Vec<_> = t.options_iter().collect();
        assert_eq!(
            o,
            vec![
                Ok(TcpOption::Mss(1460)),
                Ok(TcpOption::SackPermitted),
                Ok(TcpOption::Timestamps { tsval: 1, tsecr: 0 }),
                Ok(TcpOption::Nop),
                Ok(TcpOption::WindowScale(7)),
            ]
        );
    }

    #[test]
    fn truncated_at_every_length() {
        for n in 0..HEADER_LEN {
            assert_eq!(
                TcpPacket::new_checked(&SYN[..n]).unwrap_err(),
                Error::Truncated
            );
        }
        for n in HEADER_LEN..SYN.len() {
            let t = TcpPacket::new_checked(&SYN[..n]).unwrap();
            assert_eq!(t.check(), Err(Error::Truncated));
            assert!(t.payload().is_empty());
            // the option walk on a cut list never panics
            let _ = t.options_iter().count();
        }
        let mut b = SYN;
        b[12] = 0x40;
        assert_eq!(
            TcpPacket::new_checked(&b).unwrap().check(),
            Err(Error::Malformed)
        );
        assert_eq!(TcpPacket::new_checked(&b).unwrap().payload().len(), 20);
    }

    #[test]
    fn sack_and_malformed_options() {
        let sack = [
            opt::NOP,
            opt::NOP,
            opt::SACK,
            18,
            0,
            0,
            0,
            1,
            0,
            0,
            0,
            2,
            0,
            0,
            0,
            3,
            0,
            0,
            0,
            4,
        ];
        let v: Vec<_> = TcpOptionIter::new(&sack).collect();
        match v[2] {
            Ok(TcpOption::Sack(s)) => {
                assert_eq!(s.len(), 2);
                assert!(!s.is_empty());
                assert_eq!(s.iter().collect::<Vec<_>>(), vec![(1, 2), (3, 4)]);
            }
            ref other => panic!("{other:?}"),
        }
        // MSS with length 3 -> bad length, walk continues
        let v: Vec<_> = TcpOptionIter::new(&[opt::MSS, 3, 5, opt::SACK_PERMITTED, 2]).collect();
        assert_eq!(
            v,
            vec![
                Err(TcpOptionError::BadLength { kind: 2 }),
                Ok(TcpOption::SackPermitted)
            ]
        );
        // length 0 / 1 / past the end -> overrun, walk stops
        for bad in [
            &[opt::MSS, 0, 0, 0][..],
            &[opt::MSS, 1][..],
            &[opt::TIMESTAMP, 10, 0][..],
            &[opt::MSS][..],
        ] {
            let v: Vec<_> = TcpOptionIter::new(bad).collect();
            assert_eq!(v, vec![Err(TcpOptionError::Overrun)], "{bad:?}");
        }
        // EOL stops; unknown kept
        let v: Vec<_> = TcpOptionIter::new(&[30, 3, 9, opt::EOL, opt::MSS, 4, 0, 0]).collect();
        assert_eq!(
            v,
            vec![
                Ok(TcpOption::Unknown {
                    kind: 30,
                    data: &[9]
                }),
                Ok(TcpOption::EndOfList)
            ]
        );
        // sack lengths that are not 2 + 8n
        for len in [2u8, 9, 11, 42] {
            let mut b = vec![opt::SACK, len];
            b.resize(len.max(2) as usize, 0);
            let v: Vec<_> = TcpOptionIter::new(&b).collect();
            assert_eq!(
                v,
                vec![Err(TcpOptionError::BadLength { kind: opt::SACK })],
                "{len}"
            );
        }
    }
}
