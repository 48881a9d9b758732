//! What `byte_test`, `byte_jump`, `byte_extract` and `byte_math` share:
//! locating the bytes to read and converting them to a number.
//!
//! Locating (Suricata's `Detect*DoMatch`): with `relative` the read starts
//! at `previous match end + offset`, otherwise at `offset` from the buffer
//! start; the read must lie inside the buffer (a negative start or too few
//! bytes is a no-match, never a panic). An empty buffer never matches.
//!
//! Converting: binary reads take 1..=8 bytes big- or little-endian; `string`
//! reads scan the bytes as text the way C's `strtoull` does (leading spaces
//! and a sign allowed, stopping at the first non-digit), in base 8, 10 or 16
//! (or auto-detected when no base is given to `byte_test`/`byte_jump`).

use super::num::{strtoull, StrNum};

/// Byte order of a binary read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endian {
    /// Most significant byte first (the default).
    Big,
    /// Least significant byte first.
    Little,
}

/// How the read bytes become a number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NumberFormat {
    /// Binary integer.
    Binary(Endian),
    /// ASCII text in this base (0 = detect `0x`/leading-`0` like C).
    String(u32),
}

/// Start of a `nbytes` read, or `None` when it falls outside the buffer.
/// `zero_len_ok` is `byte_jump`'s rule: a 0-byte read may sit at the end.
pub(super) fn locate(
    buf_len: usize,
    cursor: usize,
    relative: bool,
    offset: i64,
    nbytes: usize,
    zero_len_ok: bool,
) -> Option<usize> {
    if buf_len == 0 {
        return None;
    }
    let blen = i64::try_from(buf_len).ok()?;
    let base = if relative {
        i64::try_from(cursor).ok()?
    } else {
        0
    };
    let ptr = base.checked_add(offset)?;
    let len = blen.checked_sub(ptr)?;
    if relative && len <= 0 && !(zero_len_ok && nbytes == 0) {
        return None;
    }
    let n = i64::try_from(nbytes).ok()?;
    if ptr < 0 || n > len {
        return None;
    }
    usize::try_from(ptr).ok()
}

/// Reads a number from exactly `bytes`; returns it and how many bytes the
/// conversion used (all of them for binary, the scanned prefix for text).
pub(super) fn read_number(bytes: &[u8], fmt: NumberFormat) -> Option<(u64, usize)> {
    match fmt {
        NumberFormat::Binary(endian) => {
            if bytes.len() > 8 {
                return None;
            }
            let mut v: u64 = 0;
            match endian {
                Endian::Big => {
                    for &b in bytes {
                        v = (v << 8) | u64::from(b);
                    }
                }
                Endian::Little => {
                    for (i, &b) in bytes.iter().enumerate() {
                        v |= u64::from(b) << (8 * i);
                    }
                }
            }
            Some((v, bytes.len()))
        }
        NumberFormat::String(base) => match strtoull(bytes, base) {
            StrNum::Value { value, consumed } if consumed > 0 => Some((value, consumed)),
            _ => None,
        },
    }
}

/// `bitmask`: keep the masked bits, then shift right by the mask's
/// trailing zero count (Suricata shifts only a non-zero result).
pub(super) fn apply_bitmask(v: u64, mask: u32) -> u64 {
    let m = u64::from(mask);
    let r = v & m;
    if r != 0 && mask != 0 {
        r >> mask.trailing_zeros()
    } else {
        r
    }
}

/// Largest string read that can hold a 64-bit number (`"0" + 22 octal
/// digits`), as Suricata.
pub(super) const MAX_STRING_BYTES: usize = 23;

/// Parses the `string` base word.
pub(super) fn base_word(w: &str) -> Option<u32> {
    match w.to_ascii_lowercase().as_str() {
        "hex" => Some(16),
        "dec" => Some(10),
        "oct" => Some(8),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locate_absolute_and_relative() {
        assert_eq!(locate(10, 0, false, 2, 4, false), Some(2));
        assert_eq!(locate(10, 0, false, 7, 4, false), None);
        assert_eq!(locate(10, 0, false, 6, 4, false), Some(6));
        assert_eq!(locate(10, 0, false, -1, 1, false), None);
        assert_eq!(locate(10, 4, true, 2, 4, false), Some(6));
        assert_eq!(locate(10, 4, true, 3, 4, false), None);
        assert_eq!(locate(10, 4, true, -4, 1, false), Some(0));
        assert_eq!(locate(10, 4, true, -5, 1, false), None);
        assert_eq!(locate(10, 10, true, 0, 0, false), None);
        assert_eq!(locate(10, 10, true, 0, 0, true), Some(10));
        assert_eq!(locate(0, 0, false, 0, 1, false), None);
        assert_eq!(locate(10, 0, false, i64::MAX, 1, false), None);
        assert_eq!(locate(10, 0, false, i64::MIN, 1, false), None);
    }

    #[test]
    fn binary_and_string_reads() {
        let be = NumberFormat::Binary(Endian::Big);
        let le = NumberFormat::Binary(Endian::Little);
        assert_eq!(read_number(&[0x01, 0x02], be), Some((0x0102, 2)));
        assert_eq!(read_number(&[0x01, 0x02], le), Some((0x0201, 2)));
        assert_eq!(read_number(&[0xff; 8], be), Some((u64::MAX, 8)));
        assert_eq!(read_number(&[0; 9], be), None);
        assert_eq!(
            read_number(b"1234", NumberFormat::String(10)),
            Some((1234, 4))
        );
        assert_eq!(
            read_number(b"12ab", NumberFormat::String(10)),
            Some((12, 2))
        );
        assert_eq!(read_number(b"ff", NumberFormat::String(16)), Some((255, 2)));
        assert_eq!(read_number(b"17", NumberFormat::String(8)), Some((15, 2)));
        assert_eq!(read_number(b"0x1f", NumberFormat::String(0)), Some((31, 4)));
        assert_eq!(read_number(b"xyz", NumberFormat::String(10)), None);
    }

    #[test]
    fn bitmask() {
        assert_eq!(apply_bitmask(0xabcd, 0xff00), 0xab);
        assert_eq!(apply_bitmask(0xabcd, 0x00f0), 0xc);
        assert_eq!(apply_bitmask(0xabcd, 0), 0);
        assert_eq!(apply_bitmask(0x0f, 0xf0), 0);
        assert_eq!(apply_bitmask(0xff, 0x01), 1);
    }
}
