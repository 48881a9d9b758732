//! BSD null / loopback encapsulation (LINKTYPE_NULL 0 and LINKTYPE_LOOP
//! 108): a 4-byte address family. LINKTYPE_NULL writes it in the capturing
//! host's byte order, LINKTYPE_LOOP in network order; since the files do
//! not say which host wrote them, both orders are tried.

use crate::error::{Error, Result};

/// Length of the null/loop header.
pub const HEADER_LEN: usize = 4;

/// AF_INET on every system.
pub const AF_INET: u32 = 2;
/// AF_INET6 on Linux.
pub const AF_INET6_LINUX: u32 = 10;
/// AF_INET6 on NetBSD and OpenBSD (also what libpcap writes for "BSD").
pub const AF_INET6_BSD: u32 = 24;
/// AF_INET6 on FreeBSD and DragonFly.
pub const AF_INET6_FREEBSD: u32 = 28;
/// AF_INET6 on macOS / Darwin.
pub const AF_INET6_DARWIN: u32 = 30;

/// The network protocol a null/loop header announces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NullFamily {
    /// IPv4.
    Ipv4,
    /// IPv6 (any of the BSD, macOS or Linux values).
    Ipv6,
    /// A family palisade does not decode (the value read little-endian).
    Unknown(u32),
}

fn family_of(v: u32) -> Option<NullFamily> {
    match v {
        AF_INET => Some(NullFamily::Ipv4),
        AF_INET6_LINUX | AF_INET6_BSD | AF_INET6_FREEBSD | AF_INET6_DARWIN => {
            Some(NullFamily::Ipv6)
        }
        _ => None,
    }
}

/// A view of a null/loop header.
#[derive(Clone, Copy, Debug)]
pub struct NullHeader<'a> {
    hdr: &'a [u8; HEADER_LEN],
    payload: &'a [u8],
}

impl<'a> NullHeader<'a> {
    /// Checks that the 4-byte header is present.
    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self> {
        match buf.split_first_chunk::<HEADER_LEN>() {
            Some((hdr, payload)) => Ok(NullHeader { hdr, payload }),
            None => Err(Error::Truncated),
        }
    }

    /// The family field as bytes.
    #[inline]
    pub fn family_raw(&self) -> [u8; HEADER_LEN] {
        *self.hdr
    }

    /// The family, trying host (little-endian) then network byte order.
    #[inline]
    pub fn family(&self) -> NullFamily {
        let le = u32::from_le_bytes(*self.hdr);
        family_of(le)
            .or_else(|| family_of(u32::from_be_bytes(*self.hdr)))
            .unwrap_or(NullFamily::Unknown(le))
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
    fn families_in_both_orders() {
        let cases: [([u8; 4], NullFamily); 8] = [
            ([2, 0, 0, 0], NullFamily::Ipv4),
            ([0, 0, 0, 2], NullFamily::Ipv4),
            ([24, 0, 0, 0], NullFamily::Ipv6),
            ([0, 0, 0, 28], NullFamily::Ipv6),
            ([30, 0, 0, 0], NullFamily::Ipv6),
            ([0, 0, 0, 10], NullFamily::Ipv6),
            ([7, 0, 0, 0], NullFamily::Unknown(7)),
            ([0, 0, 0, 7], NullFamily::Unknown(0x0700_0000)),
        ];
        for (b, fam) in cases {
            let h = NullHeader::new_checked(&b).unwrap();
            assert_eq!(h.family(), fam, "{b:?}");
            assert_eq!(h.family_raw(), b);
            assert!(h.payload().is_empty());
        }
        for n in 0..HEADER_LEN {
            assert_eq!(
                NullHeader::new_checked(&[2, 0, 0, 0][..n]).unwrap_err(),
                Error::Truncated
            );
        }
        let b = [2, 0, 0, 0, 0x45];
        assert_eq!(NullHeader::new_checked(&b).unwrap().payload(), &[0x45]);
    }
}
