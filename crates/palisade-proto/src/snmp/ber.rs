//! A small bounded BER reader: just what SNMP messages need.
//!
//! Why not `der-parser`/`asn1-rs` (both already in the tree through
//! x509-parser)? SNMP is BER, not DER: agents send non-minimal lengths
//! (`0x82 0x00 0x2f`) and integers with redundant leading bytes, which a
//! DER parser rejects or has to be told to tolerate; those crates also
//! build owned objects (`BerObject`, `Oid` with a `Cow`) for every element
//! and parse constructed values recursively on their own. SNMP needs five
//! primitive types and a fixed nesting, so a reader of borrowed
//! tag/length/value views is shorter than the glue to those crates, and
//! every bound is visible here:
//!
//! - definite lengths only (the indefinite form `0x80` is refused: SNMP
//!   forbids it and it would need a recursive scan to find the end);
//! - long-form lengths of at most 4 bytes, checked against the bytes
//!   actually present before anything is sliced;
//! - tags in the low-tag-number form, or the high form with at most 3
//!   continuation bytes;
//! - constructed values are entered through [`Reader::enter`], which
//!   counts depth and refuses to go deeper than [`MAX_DEPTH`];
//! - nothing is ever allocated from a length: a value is a sub-slice of
//!   the datagram.

/// Deepest nesting [`Reader::enter`] allows. An SNMPv3 message with a
/// plaintext scoped PDU and a varbind is 5 deep (message, scoped PDU, PDU,
/// varbind list, varbind); 8 leaves room without allowing a depth bomb.
pub const MAX_DEPTH: u8 = 8;

/// Longest INTEGER read as a number (bytes): an `i64`.
pub const MAX_INT_BYTES: usize = 8;

/// Why a TLV could not be read.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum BerError {
    /// The header or value runs past the end of the data.
    Truncated,
    /// Indefinite length (`0x80`), not allowed in SNMP.
    Indefinite,
    /// A long-form length of more than 4 bytes.
    LengthTooLong,
    /// A high-form tag number of more than 3 bytes.
    TagTooLong,
    /// Nesting deeper than [`MAX_DEPTH`].
    TooDeep,
    /// Another type than the one expected.
    UnexpectedTag,
    /// An INTEGER that is empty or longer than [`MAX_INT_BYTES`].
    BadInteger,
}

/// Tag class (bits 8-7 of the identifier).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Class {
    /// ASN.1 universal types (INTEGER, SEQUENCE, ...).
    Universal,
    /// `[APPLICATION n]`: SNMP's IpAddress, Counter32, TimeTicks, ...
    Application,
    /// `[n]`: SNMP's PDU types and varbind exceptions.
    Context,
    /// Private.
    Private,
}

/// One element: a borrowed view of its identifier and value.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Tlv<'a> {
    /// Class.
    pub class: Class,
    /// Constructed (holds other elements) or primitive.
    pub constructed: bool,
    /// Tag number.
    pub tag: u32,
    /// The first identifier byte as sent (`0x30` SEQUENCE, `0xa2`
    /// Response, `0x41` Counter32): SNMP names its types by it.
    pub ident: u8,
    /// Value bytes.
    pub value: &'a [u8],
}

/// Universal INTEGER.
pub const INTEGER: u8 = 0x02;
/// Universal OCTET STRING.
pub const OCTET_STRING: u8 = 0x04;
/// Universal NULL.
pub const NULL: u8 = 0x05;
/// Universal OBJECT IDENTIFIER.
pub const OID: u8 = 0x06;
/// Universal SEQUENCE (constructed).
pub const SEQUENCE: u8 = 0x30;

/// Reads one element at the start of `data`; returns it and the rest.
pub fn read_tlv(data: &[u8]) -> Result<(Tlv<'_>, &[u8]), BerError> {
    let (&ident, mut rest) = data.split_first().ok_or(BerError::Truncated)?;
    let class = match ident >> 6 {
        0 => Class::Universal,
        1 => Class::Application,
        2 => Class::Context,
        _ => Class::Private,
    };
    let constructed = ident & 0x20 != 0;
    let mut tag = u32::from(ident & 0x1f);
    if tag == 0x1f {
        tag = 0;
        let mut n = 0;
        loop {
            let (&b, r) = rest.split_first().ok_or(BerError::Truncated)?;
            rest = r;
            n += 1;
            if n > 3 {
                return Err(BerError::TagTooLong);
            }
            tag = (tag << 7) | u32::from(b & 0x7f);
            if b & 0x80 == 0 {
                break;
            }
        }
    }
    let (&l0, r) = rest.split_first().ok_or(BerError::Truncated)?;
    rest = r;
    let len = if l0 < 0x80 {
        usize::from(l0)
    } else if l0 == 0x80 {
        return Err(BerError::Indefinite);
    } else {
        let n = usize::from(l0 & 0x7f);
        if n > 4 {
            return Err(BerError::LengthTooLong);
        }
        let (bytes, r) = rest.split_at_checked(n).ok_or(BerError::Truncated)?;
        rest = r;
        // At most 4 bytes: fits in u64 and then in usize on every target
        // we build for; a value past the data is refused below anyway.
        let v = bytes.iter().fold(0u64, |a, &b| (a << 8) | u64::from(b));
        usize::try_from(v).map_err(|_| BerError::Truncated)?
    };
    let (value, rest) = rest.split_at_checked(len).ok_or(BerError::Truncated)?;
    Ok((
        Tlv {
            class,
            constructed,
            tag,
            ident,
            value,
        },
        rest,
    ))
}

/// Reads elements in order from the value of a constructed element,
/// tracking how deep it is.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Reader<'a> {
    data: &'a [u8],
    depth: u8,
}

impl<'a> Reader<'a> {
    /// A reader of the top level of `data` (depth 0).
    pub fn new(data: &'a [u8]) -> Reader<'a> {
        Reader { data, depth: 0 }
    }

    /// Bytes not read yet.
    pub fn rest(&self) -> &'a [u8] {
        self.data
    }

    /// Nothing left.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Nesting depth of this reader.
    pub fn depth(&self) -> u8 {
        self.depth
    }

    /// The next element, whatever it is.
    pub fn any(&mut self) -> Result<Tlv<'a>, BerError> {
        let (t, rest) = read_tlv(self.data)?;
        self.data = rest;
        Ok(t)
    }

    /// The next element, which must have identifier byte `ident`.
    pub fn expect(&mut self, ident: u8) -> Result<Tlv<'a>, BerError> {
        let (t, rest) = read_tlv(self.data)?;
        if t.ident != ident {
            return Err(BerError::UnexpectedTag);
        }
        self.data = rest;
        Ok(t)
    }

    /// A reader of the value of constructed element `t`, one level deeper.
    pub fn enter(&self, t: &Tlv<'a>) -> Result<Reader<'a>, BerError> {
        if !t.constructed {
            return Err(BerError::UnexpectedTag);
        }
        let depth = self.depth.checked_add(1).ok_or(BerError::TooDeep)?;
        if depth > MAX_DEPTH {
            return Err(BerError::TooDeep);
        }
        Ok(Reader {
            data: t.value,
            depth,
        })
    }

    /// The next element as an INTEGER.
    pub fn integer(&mut self) -> Result<i64, BerError> {
        let t = self.expect(INTEGER)?;
        int_value(t.value)
    }

    /// The next element as an OCTET STRING.
    pub fn octets(&mut self) -> Result<&'a [u8], BerError> {
        Ok(self.expect(OCTET_STRING)?.value)
    }

    /// The next element as a SEQUENCE, entered.
    pub fn sequence(&mut self) -> Result<Reader<'a>, BerError> {
        let t = self.expect(SEQUENCE)?;
        self.enter(&t)
    }
}

/// A two's-complement INTEGER value of 1 to 8 bytes. BER allows
/// redundant leading bytes; we take at most 8 bytes whatever they are,
/// which covers every SNMP integer (request ids and error fields are
/// 32-bit, Counter64 is unsigned 64-bit and only its type is kept).
pub fn int_value(v: &[u8]) -> Result<i64, BerError> {
    let (&first, _) = v.split_first().ok_or(BerError::BadInteger)?;
    if v.len() > MAX_INT_BYTES {
        return Err(BerError::BadInteger);
    }
    let init: i64 = if first & 0x80 != 0 { -1 } else { 0 };
    Ok(v.iter().fold(init, |a, &b| (a << 8) | i64::from(b)))
}

/// Whether `v` is a well-formed OBJECT IDENTIFIER encoding: at least one
/// byte, every arc fits in 64 bits, and the last byte ends an arc.
pub fn oid_valid(v: &[u8]) -> bool {
    oid_arcs(v).is_some_and(|mut it| it.all(|a| a.is_some()))
}

/// The arcs of an OID encoding (the first subidentifier split into two
/// arcs as X.690 says); an item is None where an arc overflows 64 bits or
/// the encoding ends in the middle of an arc, and nothing follows it.
/// None for an empty value.
pub fn oid_arcs(v: &[u8]) -> Option<OidArcs<'_>> {
    if v.is_empty() {
        return None;
    }
    Some(OidArcs {
        rest: v,
        second: None,
        started: false,
        done: false,
    })
}

/// Iterator of [`oid_arcs`].
#[derive(Clone, Debug)]
pub struct OidArcs<'a> {
    rest: &'a [u8],
    second: Option<u64>,
    started: bool,
    done: bool,
}

impl Iterator for OidArcs<'_> {
    type Item = Option<u64>;
    fn next(&mut self) -> Option<Option<u64>> {
        if let Some(b) = self.second.take() {
            return Some(Some(b));
        }
        if self.done || self.rest.is_empty() {
            return None;
        }
        let mut acc: u64 = 0;
        let mut ended = false;
        while let Some((&b, r)) = self.rest.split_first() {
            self.rest = r;
            let Some(next) = acc
                .checked_mul(128)
                .and_then(|x| x.checked_add(u64::from(b & 0x7f)))
            else {
                self.done = true;
                return Some(None);
            };
            acc = next;
            if b & 0x80 == 0 {
                ended = true;
                break;
            }
        }
        if !ended {
            self.done = true;
            return Some(None);
        }
        if self.started {
            return Some(Some(acc));
        }
        self.started = true;
        let (a, b) = match acc {
            0..=39 => (0, acc),
            40..=79 => (1, acc - 40),
            _ => (2, acc - 80),
        };
        self.second = Some(b);
        Some(Some(a))
    }
}

/// The dotted form of an OID encoding (`1.3.6.1.2.1.1.1.0`); an arc that
/// cannot be decoded is written `?` and ends the string.
pub fn oid_string(v: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let Some(arcs) = oid_arcs(v) else {
        return s;
    };
    for (i, a) in arcs.enumerate() {
        if i > 0 {
            s.push('.');
        }
        match a {
            Some(a) => {
                let _ = write!(s, "{a}");
            }
            None => {
                s.push('?');
                break;
            }
        }
    }
    s
}
