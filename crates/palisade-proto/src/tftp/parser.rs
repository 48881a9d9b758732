//! TFTP packets (RFC 1350 §5, options RFC 2347).
//!
//! ```text
//! RRQ/WRQ  | 01/02 | filename | 0 | mode | 0 | [opt | 0 | value | 0]...
//! DATA     | 03 | block | data...
//! ACK      | 04 | block
//! ERROR    | 05 | code | message | 0
//! OACK     | 06 | [opt | 0 | value | 0]...
//! ```

/// Option pairs kept per request; RFC 2347 options are a handful.
pub const MAX_OPTIONS: usize = 16;

/// A decoded packet (borrowed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Packet<'a> {
    /// RRQ (`write` false) or WRQ.
    Request {
        /// WRQ.
        write: bool,
        /// File name.
        file: &'a [u8],
        /// Transfer mode as sent.
        mode: &'a [u8],
        /// RFC 2347 option pairs (name, value), up to [`MAX_OPTIONS`].
        options: Vec<(&'a [u8], &'a [u8])>,
        /// More pairs were present than kept.
        too_many_options: bool,
    },
    /// DATA.
    Data {
        /// Block number.
        block: u16,
        /// Payload bytes.
        len: usize,
    },
    /// ACK.
    Ack {
        /// Block number.
        block: u16,
    },
    /// ERROR.
    Error {
        /// Error code.
        code: u16,
        /// Message.
        message: &'a [u8],
    },
    /// OACK (option acknowledgement).
    Oack,
}

/// Splits a NUL-terminated string off the front.
fn cstr(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let nul = memchr::memchr(0, b)?;
    Some((b.get(..nul)?, b.get(nul + 1..)?))
}

/// One of RFC 1350's modes, any case.
pub fn mode_ok(m: &[u8]) -> bool {
    [&b"netascii"[..], b"octet", b"mail"]
        .iter()
        .any(|k| m.eq_ignore_ascii_case(k))
}

/// Decodes a datagram; None when it is not a TFTP packet.
pub fn packet(b: &[u8]) -> Option<Packet<'_>> {
    let op = u16::from_be_bytes(b.get(..2)?.try_into().ok()?);
    let rest = b.get(2..)?;
    let u16at = |at: usize| -> Option<u16> {
        Some(u16::from_be_bytes(rest.get(at..at + 2)?.try_into().ok()?))
    };
    Some(match op {
        1 | 2 => {
            let (file, rest) = cstr(rest)?;
            let (mode, mut rest) = cstr(rest)?;
            let mut options = Vec::new();
            let mut too_many_options = false;
            while let Some((name, after)) = cstr(rest) {
                let Some((value, after)) = cstr(after) else {
                    break;
                };
                rest = after;
                // Padding NULs (seen in the wild) are not options, nor is
                // a value without a name.
                if name.is_empty() {
                    continue;
                }
                if options.len() < MAX_OPTIONS {
                    options.push((name, value));
                } else {
                    too_many_options = true;
                }
            }
            Packet::Request {
                write: op == 2,
                file,
                mode,
                options,
                too_many_options,
            }
        }
        3 => Packet::Data {
            block: u16at(0)?,
            len: rest.len().saturating_sub(2),
        },
        4 => Packet::Ack { block: u16at(0)? },
        5 => Packet::Error {
            code: u16at(0)?,
            message: cstr(rest.get(2..)?).map_or(rest.get(2..)?, |(m, _)| m),
        },
        6 => Packet::Oack,
        _ => return None,
    })
}
