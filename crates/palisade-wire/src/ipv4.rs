//! IPv4 (RFC 791). The view checks the fixed 20 bytes once; everything that
//! depends on the header's own length fields (options, payload) is read
//! through clamped slices, because an IDS must look at headers whose length
//! fields lie.

use crate::anomaly::DecodeEvent;
use crate::bytes::{array, be16, byte, clamp};
use crate::checksum;
use crate::error::{Error, Result};

mod field {
    use crate::bytes::Field;
    pub const VER_IHL: usize = 0;
    pub const DSCP_ECN: usize = 1;
    pub const LENGTH: usize = 2;
    pub const IDENT: usize = 4;
    pub const FLG_OFF: usize = 6;
    pub const TTL: usize = 8;
    pub const PROTOCOL: usize = 9;
    pub const CHECKSUM: usize = 10;
    pub const SRC_ADDR: Field = 12..16;
    pub const DST_ADDR: Field = 16..20;
    pub const OPTIONS: usize = 20;
}

/// Length of the fixed IPv4 header.
pub const HEADER_LEN: usize = field::OPTIONS;
/// Longest IPv4 header (IHL 15).
pub const MAX_HEADER_LEN: usize = 60;

/// IPv4 option types palisade names.
pub mod opt {
    /// End of option list.
    pub const EOL: u8 = 0;
    /// No operation (padding).
    pub const NOP: u8 = 1;
    /// Record route.
    pub const RR: u8 = 7;
    /// Quick-start (RFC 4782).
    pub const QS: u8 = 25;
    /// Timestamp.
    pub const TS: u8 = 68;
    /// Security (RFC 1108).
    pub const SEC: u8 = 130;
    /// Loose source and record route.
    pub const LSRR: u8 = 131;
    /// Extended security.
    pub const ESEC: u8 = 133;
    /// Commercial IP security option.
    pub const CIPSO: u8 = 134;
    /// Stream identifier.
    pub const SID: u8 = 136;
    /// Strict source and record route.
    pub const SSRR: u8 = 137;
    /// Router alert (RFC 2113).
    pub const RTRALT: u8 = 148;
}

/// A view of an IPv4 packet.
#[derive(Clone, Copy, Debug)]
pub struct Ipv4Packet<'a> {
    hdr: &'a [u8; HEADER_LEN],
    buf: &'a [u8],
}

impl<'a> Ipv4Packet<'a> {
    /// Checks that the fixed 20-byte header is present. Version, IHL and
    /// total length are left for the caller to judge (see [`Self::check`]).
    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self> {
        match buf.first_chunk::<HEADER_LEN>() {
            Some(hdr) => Ok(Ipv4Packet { hdr, buf }),
            None => Err(Error::Truncated),
        }
    }

    /// Strict check as a host would do: version 4, IHL ≥ 5, header and total
    /// length within the buffer, total length ≥ header length.
    pub fn check(&self) -> Result<()> {
        let hl = self.header_len();
        let tl = self.total_len() as usize;
        if self.version() != 4 || hl < HEADER_LEN || tl < hl {
            return Err(Error::Malformed);
        }
        if self.buf.len() < tl {
            return Err(Error::Truncated);
        }
        Ok(())
    }

    /// Version (4 for IPv4).
    #[inline]
    pub fn version(&self) -> u8 {
        self.hdr[field::VER_IHL] >> 4
    }

    /// Header length in bytes (IHL × 4; may be below 20 in hostile input).
    #[inline]
    pub fn header_len(&self) -> usize {
        (self.hdr[field::VER_IHL] & 0x0f) as usize * 4
    }

    /// DSCP and ECN byte.
    #[inline]
    pub fn dscp_ecn(&self) -> u8 {
        byte(self.hdr, field::DSCP_ECN)
    }

    /// Total length field.
    #[inline]
    pub fn total_len(&self) -> u16 {
        be16(self.hdr, field::LENGTH)
    }

    /// Identification.
    #[inline]
    pub fn ident(&self) -> u16 {
        be16(self.hdr, field::IDENT)
    }

    #[inline]
    fn flg_off(&self) -> u16 {
        be16(self.hdr, field::FLG_OFF)
    }

    /// Reserved ("evil") flag bit.
    #[inline]
    pub fn reserved_flag(&self) -> bool {
        self.flg_off() & 0x8000 != 0
    }

    /// Don't fragment.
    #[inline]
    pub fn dont_frag(&self) -> bool {
        self.flg_off() & 0x4000 != 0
    }

    /// More fragments.
    #[inline]
    pub fn more_frags(&self) -> bool {
        self.flg_off() & 0x2000 != 0
    }

    /// Fragment offset in bytes.
    #[inline]
    pub fn frag_offset(&self) -> u32 {
        (self.flg_off() & 0x1fff) as u32 * 8
    }

    /// True when this packet is a fragment (MF set or offset ≠ 0).
    #[inline]
    pub fn is_fragment(&self) -> bool {
        self.flg_off() & 0x3fff != 0
    }

    /// Time to live.
    #[inline]
    pub fn ttl(&self) -> u8 {
        byte(self.hdr, field::TTL)
    }

    /// Protocol of the payload.
    #[inline]
    pub fn protocol(&self) -> u8 {
        byte(self.hdr, field::PROTOCOL)
    }

    /// Header checksum field.
    #[inline]
    pub fn checksum(&self) -> u16 {
        be16(self.hdr, field::CHECKSUM)
    }

    /// Source address.
    #[inline]
    pub fn src_addr(&self) -> [u8; 4] {
        array(self.hdr, field::SRC_ADDR.start)
    }

    /// Destination address.
    #[inline]
    pub fn dst_addr(&self) -> [u8; 4] {
        array(self.hdr, field::DST_ADDR.start)
    }

    /// The whole buffer the view was built on (may include link padding).
    #[inline]
    pub fn buffer(&self) -> &'a [u8] {
        self.buf
    }

    /// Header bytes as far as they were captured (IHL × 4, clamped).
    #[inline]
    pub fn header(&self) -> &'a [u8] {
        clamp(self.buf, 0, self.header_len().max(HEADER_LEN))
    }

    /// Option bytes as far as they were captured.
    #[inline]
    pub fn options(&self) -> &'a [u8] {
        clamp(self.buf, HEADER_LEN, self.header_len())
    }

    /// Iterates over the options.
    #[inline]
    pub fn options_iter(&self) -> Ipv4OptionIter<'a> {
        Ipv4OptionIter {
            rest: self.options(),
        }
    }

    /// The packet trimmed to its total length (or to what was captured).
    #[inline]
    pub fn packet(&self) -> &'a [u8] {
        clamp(self.buf, 0, self.total_len() as usize)
    }

    /// Payload from the end of the header to the total length, clamped to
    /// what was captured.
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        clamp(self.buf, self.header_len(), self.total_len() as usize)
    }

    /// True when the header checksum verifies (false if the header was not
    /// wholly captured or IHL < 5).
    pub fn verify_checksum(&self) -> bool {
        let hl = self.header_len();
        match self.buf.get(..hl) {
            Some(h) if hl >= HEADER_LEN => checksum::checksum(h) == 0,
            _ => false,
        }
    }
}

/// One IPv4 option: its type and the bytes after its length byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv4Option<'a> {
    /// Option type (copied flag, class, number).
    pub kind: u8,
    /// Option data (empty for EOL and NOP).
    pub data: &'a [u8],
}

/// Why the option walk stopped early.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ipv4OptionError {
    /// A multi-byte option starts on the last byte: the list needed
    /// end-of-list padding.
    PadRequired,
    /// An option's length byte is below 2 or runs past the header.
    BadLength,
}

/// Iterator over IPv4 options; ends at EOL (which it yields) or at the first
/// error (yielded once).
#[derive(Clone, Debug)]
pub struct Ipv4OptionIter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Ipv4OptionIter<'a> {
    type Item = core::result::Result<Ipv4Option<'a>, Ipv4OptionError>;

    fn next(&mut self) -> Option<Self::Item> {
        let (&kind, after) = self.rest.split_first()?;
        match kind {
            opt::EOL => {
                self.rest = &[];
                Some(Ok(Ipv4Option { kind, data: &[] }))
            }
            opt::NOP => {
                self.rest = after;
                Some(Ok(Ipv4Option { kind, data: &[] }))
            }
            _ => {
                let Some((&len, _)) = after.split_first() else {
                    self.rest = &[];
                    return Some(Err(Ipv4OptionError::PadRequired));
                };
                let len = len as usize;
                match self.rest.get(2..len) {
                    Some(data) if len >= 2 => {
                        self.rest = self.rest.get(len..).unwrap_or(&[]);
                        Some(Ok(Ipv4Option { kind, data }))
                    }
                    _ => {
                        self.rest = &[];
                        Some(Err(Ipv4OptionError::BadLength))
                    }
                }
            }
        }
    }
}

fn opt_slot(kind: u8) -> Option<u32> {
    Some(match kind {
        opt::RR => 0,
        opt::QS => 1,
        opt::TS => 2,
        opt::SEC => 3,
        opt::LSRR => 4,
        opt::ESEC => 5,
        opt::CIPSO => 6,
        opt::SID => 7,
        opt::SSRR => 8,
        opt::RTRALT => 9,
        _ => return None,
    })
}

/// Checks one known option's length and pointer rules (as Suricata does).
fn option_well_formed(o: &Ipv4Option<'_>) -> bool {
    let len = o.data.len() + 2;
    match o.kind {
        opt::RR | opt::LSRR | opt::SSRR => {
            // pointer, then 4-byte addresses
            if len < 3 || (len - 3) & 3 != 0 {
                return false;
            }
            let ptr = byte(o.data, 0) as usize;
            ptr >= 4 && ptr & 3 == 0 && ptr <= len + 1
        }
        opt::TS => {
            if len < 5 {
                return false;
            }
            let ptr = byte(o.data, 0) as usize;
            let flag = byte(o.data, 1) & 0x0f;
            let rec = if flag == 0 { 4 } else { 8 };
            ptr >= 5 && (ptr - 5) & (rec - 1) == 0 && ptr <= len + 1
        }
        opt::SID | opt::RTRALT => len == 4,
        opt::QS => len == 8,
        opt::SEC | opt::ESEC => len >= 3,
        opt::CIPSO => len >= 6,
        _ => true,
    }
}

/// Walks an option list and reports each anomaly (malformed, unknown,
/// duplicate, padding required) to `report`. Allocation-free.
pub fn validate_options(options: &[u8], mut report: impl FnMut(DecodeEvent)) {
    let mut seen: u32 = 0;
    for o in (Ipv4OptionIter { rest: options }) {
        match o {
            Err(Ipv4OptionError::PadRequired) => report(DecodeEvent::Ipv4OptPadRequired),
            Err(Ipv4OptionError::BadLength) => report(DecodeEvent::Ipv4OptMalformed),
            Ok(o) if o.kind == opt::EOL || o.kind == opt::NOP => {}
            Ok(o) => match opt_slot(o.kind) {
                None => report(DecodeEvent::Ipv4OptUnknown),
                Some(slot) => {
                    if seen & (1 << slot) != 0 {
                        report(DecodeEvent::Ipv4OptDuplicate);
                    }
                    seen |= 1 << slot;
                    if !option_well_formed(&o) {
                        report(DecodeEvent::Ipv4OptMalformed);
                    }
                }
            },
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// 192.168.0.1 -> 192.168.0.199 UDP, total length 0x73 (checksum valid).
    pub const HDR: [u8; 20] = [
        0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8, 0x00,
        0x01, 0xc0, 0xa8, 0x00, 0xc7,
    ];

    fn collect(opts: &[u8]) -> Vec<DecodeEvent> {
        let mut v = Vec::new();
        validate_options(opts, |e| v.push(e));
        v
    }

    #[test]
    fn reads_fields() {
        let p = Ipv4Packet::new_checked(&HDR).unwrap();
        assert_eq!(p.version(), 4);
        assert_eq!(p.header_len(), 20);
        assert_eq!(p.dscp_ecn(), 0);
        assert_eq!(p.total_len(), 0x73);
        assert_eq!(p.ident(), 0);
        assert!(p.dont_frag() && !p.more_frags() && !p.reserved_flag() && !p.is_fragment());
        assert_eq!(p.frag_offset(), 0);
        assert_eq!(p.ttl(), 64);
        assert_eq!(p.protocol(), 17);
        assert_eq!(p.checksum(), 0xb861);
        assert_eq!(p.src_addr(), [192, 168, 0, 1]);
        assert_eq!(p.dst_addr(), [192, 168, 0, 199]);
        assert!(p.verify_checksum());
        assert!(p.options().is_empty());
        assert_eq!(p.header().len(), 20);
        assert_eq!(p.buffer().len(), 20);
        assert!(p.payload().is_empty());
        assert_eq!(p.packet().len(), 20);
        // total length 0x73 but only 20 bytes captured
        assert_eq!(p.check(), Err(Error::Truncated));
    }

    #[test]
    fn truncated_at_every_length() {
        for n in 0..HEADER_LEN {
            assert_eq!(
                Ipv4Packet::new_checked(&HDR[..n]).unwrap_err(),
                Error::Truncated
            );
        }
    }

    #[test]
    fn fragment_fields_and_strict_check() {
        let mut b = HDR.to_vec();
        b[2] = 0;
        b[3] = 24;
        b[6] = 0x20 | 0x01; // MF, offset 256 words
        b[7] = 0x00;
        b.extend_from_slice(&[1, 2, 3, 4, 0xee]); // 4 bytes payload + padding
        let p = Ipv4Packet::new_checked(&b).unwrap();
        assert!(p.more_frags() && p.is_fragment());
        assert_eq!(p.frag_offset(), 256 * 8);
        assert_eq!(p.payload(), &[1, 2, 3, 4]);
        assert_eq!(p.packet().len(), 24);
        assert_eq!(p.check(), Ok(()));
        assert!(!p.verify_checksum()); // header changed
        b[0] = 0x44;
        assert_eq!(
            Ipv4Packet::new_checked(&b).unwrap().check(),
            Err(Error::Malformed)
        );
        assert!(!Ipv4Packet::new_checked(&b).unwrap().verify_checksum());
        b[0] = 0x65;
        assert_eq!(
            Ipv4Packet::new_checked(&b).unwrap().check(),
            Err(Error::Malformed)
        );
    }

    #[test]
    fn option_iterator() {
        let opts = [opt::NOP, opt::RTRALT, 4, 0, 0, opt::EOL, 0, 0];
        let v: Vec<_> = Ipv4OptionIter { rest: &opts }.collect();
        assert_eq!(v.len(), 3);
        assert_eq!(
            v[1],
            Ok(Ipv4Option {
                kind: opt::RTRALT,
                data: &[0, 0]
            })
        );
        assert_eq!(
            v[2],
            Ok(Ipv4Option {
                kind: opt::EOL,
                data: &[]
            })
        );
        let v: Vec<_> = Ipv4OptionIter {
            rest: &[opt::NOP, opt::RR],
        }
        .collect();
        assert_eq!(v[1], Err(Ipv4OptionError::PadRequired));
        let v: Vec<_> = Ipv4OptionIter {
            rest: &[opt::RR, 1, 0],
        }
        .collect();
        assert_eq!(v, vec![Err(Ipv4OptionError::BadLength)]);
        let v: Vec<_> = Ipv4OptionIter {
            rest: &[opt::RR, 9, 0],
        }
        .collect();
        assert_eq!(v, vec![Err(Ipv4OptionError::BadLength)]);
    }

    #[test]
    fn options_validated() {
        // good record route with one slot, router alert, EOL
        let good = [opt::RR, 7, 4, 0, 0, 0, 0, opt::RTRALT, 4, 0, 0, opt::EOL];
        assert!(collect(&good).is_empty());
        // bad pointer
        assert_eq!(
            collect(&[opt::RR, 7, 3, 0, 0, 0, 0, 0]),
            vec![DecodeEvent::Ipv4OptMalformed]
        );
        // bad RR length
        assert_eq!(
            collect(&[opt::LSRR, 6, 4, 0, 0, 0]),
            vec![DecodeEvent::Ipv4OptMalformed]
        );
        // timestamp: len 8, ptr 5, flag 0 -> fine; ptr 6 -> malformed
        assert!(collect(&[opt::TS, 8, 5, 0, 0, 0, 0, 0]).is_empty());
        assert_eq!(
            collect(&[opt::TS, 8, 6, 0, 0, 0, 0, 0]),
            vec![DecodeEvent::Ipv4OptMalformed]
        );
        assert_eq!(
            collect(&[opt::TS, 4, 5, 0]),
            vec![DecodeEvent::Ipv4OptMalformed]
        );
        assert!(collect(&[opt::TS, 12, 5, 1, 0, 0, 0, 0, 0, 0, 0, 0]).is_empty());
        // duplicate
        assert_eq!(
            collect(&[opt::RTRALT, 4, 0, 0, opt::RTRALT, 4, 0, 0]),
            vec![DecodeEvent::Ipv4OptDuplicate]
        );
        // unknown
        assert_eq!(
            collect(&[0x55, 2, opt::EOL, 0]),
            vec![DecodeEvent::Ipv4OptUnknown]
        );
        // length runs past the header
        assert_eq!(
            collect(&[opt::SEC, 40, 0, 0]),
            vec![DecodeEvent::Ipv4OptMalformed]
        );
        // multi-byte option on the last byte
        assert_eq!(
            collect(&[opt::NOP, opt::NOP, opt::NOP, opt::SID]),
            vec![DecodeEvent::Ipv4OptPadRequired]
        );
        // wrong fixed lengths
        assert_eq!(
            collect(&[opt::SID, 3, 0, 0]),
            vec![DecodeEvent::Ipv4OptMalformed]
        );
        assert_eq!(
            collect(&[opt::QS, 4, 0, 0]),
            vec![DecodeEvent::Ipv4OptMalformed]
        );
        assert_eq!(
            collect(&[opt::CIPSO, 4, 0, 0]),
            vec![DecodeEvent::Ipv4OptMalformed]
        );
        assert!(collect(&[opt::SEC, 3, 0, opt::EOL]).is_empty());
        assert!(collect(&[opt::ESEC, 3, 0, opt::EOL]).is_empty());
        assert!(collect(&[opt::QS, 8, 0, 0, 0, 0, 0, 0]).is_empty());
        assert!(collect(&[opt::CIPSO, 6, 0, 0, 0, 0, 0, 0]).is_empty());
        // every prefix of an option list is walked without panicking
        for n in 0..good.len() {
            let _ = collect(&good[..n]);
        }
    }
}
