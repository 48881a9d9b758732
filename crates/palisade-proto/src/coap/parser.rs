//! CoAP messages over UDP (RFC 7252 §3) as borrowed views of a datagram.

/// Message types.
pub const CON: u8 = 0;
/// Non-confirmable.
pub const NON: u8 = 1;
/// Acknowledgement.
pub const ACK: u8 = 2;
/// Reset.
pub const RST: u8 = 3;

/// Why a datagram's fixed part is not CoAP.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum HeaderError {
    /// Fewer than 4 bytes.
    Short,
    /// Version other than 1.
    Version,
    /// Token length 9 to 15 (reserved).
    TokenLength,
    /// The token runs past the datagram.
    Truncated,
}

/// Why the options could not be read to the end.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum OptionError {
    /// A delta or length nibble of 15 that is not the payload marker.
    Reserved,
    /// An extended delta/length or a value runs past the datagram.
    Truncated,
    /// The option number passes 65535.
    NumberOverflow,
    /// A payload marker with no payload after it.
    EmptyPayload,
}

/// The 4-byte header and the token.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Message<'a> {
    /// CON, NON, ACK or RST.
    pub mtype: u8,
    /// Code: class in the top 3 bits, detail in the low 5.
    pub code: u8,
    /// Message ID.
    pub message_id: u16,
    /// Token (0 to 8 bytes).
    pub token: &'a [u8],
    /// Options and payload, still encoded: see [`Message::options`].
    rest: &'a [u8],
}

impl<'a> Message<'a> {
    /// The options in order, then (once exhausted) the payload.
    pub fn options(&self) -> Options<'a> {
        Options {
            rest: self.rest,
            number: 0,
            payload: None,
            done: false,
        }
    }

    /// Nothing after the header and token.
    pub fn is_bare(&self) -> bool {
        self.rest.is_empty()
    }

    /// Code class (0 request, 2 success, 4 client error, 5 server error).
    pub fn class(&self) -> u8 {
        self.code >> 5
    }
}

/// Reads the header and token of a datagram.
pub fn message(data: &[u8]) -> Result<Message<'_>, HeaderError> {
    let Some((&[b0, code, m0, m1], rest)) = data.split_first_chunk::<4>() else {
        return Err(HeaderError::Short);
    };
    if b0 >> 6 != 1 {
        return Err(HeaderError::Version);
    }
    let tkl = usize::from(b0 & 0x0f);
    if tkl > 8 {
        return Err(HeaderError::TokenLength);
    }
    let (token, rest) = rest.split_at_checked(tkl).ok_or(HeaderError::Truncated)?;
    Ok(Message {
        mtype: (b0 >> 4) & 0x03,
        code,
        message_id: u16::from_be_bytes([m0, m1]),
        token,
        rest,
    })
}

/// One option.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Opt<'a> {
    /// Option number (the running sum of deltas).
    pub number: u16,
    /// Value bytes.
    pub value: &'a [u8],
}

/// Iterator of [`Message::options`]; an error ends it.
#[derive(Clone, Debug)]
pub struct Options<'a> {
    rest: &'a [u8],
    number: u16,
    payload: Option<&'a [u8]>,
    done: bool,
}

impl<'a> Options<'a> {
    /// The payload after the marker, once the options were read to it.
    pub fn payload(&self) -> Option<&'a [u8]> {
        self.payload
    }
}

/// Extends a delta or length nibble (RFC 7252 §3.1): 13 and 14 take one
/// and two more bytes, 15 is reserved.
fn extended(nibble: u8, rest: &mut &[u8]) -> Result<u32, OptionError> {
    match nibble {
        0..=12 => Ok(u32::from(nibble)),
        13 => {
            let (&b, r) = rest.split_first().ok_or(OptionError::Truncated)?;
            *rest = r;
            Ok(u32::from(b) + 13)
        }
        14 => {
            let (&[a, b], r) = rest
                .split_first_chunk::<2>()
                .ok_or(OptionError::Truncated)?;
            *rest = r;
            Ok(u32::from(u16::from_be_bytes([a, b])) + 269)
        }
        _ => Err(OptionError::Reserved),
    }
}

impl<'a> Iterator for Options<'a> {
    type Item = Result<Opt<'a>, OptionError>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let r = self.read();
        if !matches!(r, Some(Ok(_))) {
            self.done = true;
        }
        r
    }
}

impl<'a> Options<'a> {
    fn read(&mut self) -> Option<Result<Opt<'a>, OptionError>> {
        let (&b, mut rest) = self.rest.split_first()?;
        if b == 0xff {
            if rest.is_empty() {
                return Some(Err(OptionError::EmptyPayload));
            }
            self.payload = Some(rest);
            return None;
        }
        let r = (|| {
            let delta = extended(b >> 4, &mut rest)?;
            let len = extended(b & 0x0f, &mut rest)?;
            let number = u32::from(self.number)
                .checked_add(delta)
                .and_then(|n| u16::try_from(n).ok())
                .ok_or(OptionError::NumberOverflow)?;
            let len = usize::try_from(len).map_err(|_| OptionError::Truncated)?;
            let (value, r) = rest.split_at_checked(len).ok_or(OptionError::Truncated)?;
            rest = r;
            Ok(Opt { number, value })
        })();
        if let Ok(o) = &r {
            self.number = o.number;
            self.rest = rest;
        }
        Some(r)
    }
}

/// Option numbers (RFC 7252 §5.10, RFC 7641, RFC 7959, RFC 8613,
/// RFC 7967, RFC 9175).
pub mod opt {
    /// If-Match.
    pub const IF_MATCH: u16 = 1;
    /// Uri-Host.
    pub const URI_HOST: u16 = 3;
    /// ETag.
    pub const ETAG: u16 = 4;
    /// If-None-Match.
    pub const IF_NONE_MATCH: u16 = 5;
    /// Observe.
    pub const OBSERVE: u16 = 6;
    /// Uri-Port.
    pub const URI_PORT: u16 = 7;
    /// Location-Path.
    pub const LOCATION_PATH: u16 = 8;
    /// OSCORE.
    pub const OSCORE: u16 = 9;
    /// Uri-Path.
    pub const URI_PATH: u16 = 11;
    /// Content-Format.
    pub const CONTENT_FORMAT: u16 = 12;
    /// Max-Age.
    pub const MAX_AGE: u16 = 14;
    /// Uri-Query.
    pub const URI_QUERY: u16 = 15;
    /// Accept.
    pub const ACCEPT: u16 = 17;
    /// Location-Query.
    pub const LOCATION_QUERY: u16 = 20;
    /// Block2.
    pub const BLOCK2: u16 = 23;
    /// Block1.
    pub const BLOCK1: u16 = 27;
    /// Size2.
    pub const SIZE2: u16 = 28;
    /// Proxy-Uri.
    pub const PROXY_URI: u16 = 35;
    /// Proxy-Scheme.
    pub const PROXY_SCHEME: u16 = 39;
    /// Size1.
    pub const SIZE1: u16 = 60;
    /// Echo.
    pub const ECHO: u16 = 252;
    /// No-Response.
    pub const NO_RESPONSE: u16 = 258;
    /// Request-Tag.
    pub const REQUEST_TAG: u16 = 292;

    /// Every registered number above.
    pub const KNOWN: &[u16] = &[
        IF_MATCH,
        URI_HOST,
        ETAG,
        IF_NONE_MATCH,
        OBSERVE,
        URI_PORT,
        LOCATION_PATH,
        OSCORE,
        URI_PATH,
        CONTENT_FORMAT,
        MAX_AGE,
        URI_QUERY,
        ACCEPT,
        LOCATION_QUERY,
        BLOCK2,
        BLOCK1,
        SIZE2,
        PROXY_URI,
        PROXY_SCHEME,
        SIZE1,
        ECHO,
        NO_RESPONSE,
        REQUEST_TAG,
    ];
}

/// An unsigned-integer option value (0 to 4 bytes, big-endian).
pub fn uint(v: &[u8]) -> Option<u32> {
    if v.len() > 4 {
        return None;
    }
    Some(v.iter().fold(0u32, |a, &b| (a << 8) | u32::from(b)))
}

/// Type name.
pub fn type_name(t: u8) -> &'static str {
    match t {
        CON => "CON",
        NON => "NON",
        ACK => "ACK",
        _ => "RST",
    }
}

/// `class.detail`, as RFC 7252 writes codes (`0.01`, `2.05`, `4.04`).
pub fn code_string(code: u8) -> String {
    format!("{}.{:02}", code >> 5, code & 0x1f)
}

/// Request method names (RFC 7252, RFC 8132).
pub fn method_name(code: u8) -> Option<&'static str> {
    Some(match code {
        1 => "GET",
        2 => "POST",
        3 => "PUT",
        4 => "DELETE",
        5 => "FETCH",
        6 => "PATCH",
        7 => "iPATCH",
        _ => return None,
    })
}

/// Whether the code is registered: a method, or a response code of
/// RFC 7252, RFC 7959 (2.31, 4.08, 4.13), RFC 8132 (4.09, 4.22) or
/// RFC 8768 (5.08).
pub fn code_known(code: u8) -> bool {
    let detail = code & 0x1f;
    match code >> 5 {
        0 => method_name(code).is_some(),
        2 => matches!(detail, 1..=5 | 31),
        4 => matches!(detail, 0..=6 | 8 | 9 | 12 | 13 | 15 | 22 | 29),
        5 => matches!(detail, 0..=5 | 8),
        _ => false,
    }
}

/// Whether `data` looks like CoAP. On the CoAP port: version 1, a token
/// length up to 8 and a code of class 0, 2, 4 or 5. Elsewhere (where 4
/// bytes are too easy to match by chance) the whole message must read,
/// with a registered code and only registered options; a request must
/// be CON or NON and carry an option; an empty message does not count.
pub fn looks_like(data: &[u8], on_port: bool) -> bool {
    let Ok(m) = message(data) else {
        return false;
    };
    if !matches!(m.class(), 0 | 2 | 4 | 5) {
        return false;
    }
    if on_port {
        return true;
    }
    if !code_known(m.code) {
        return false;
    }
    let mut n = 0usize;
    let mut opts = m.options();
    for o in opts.by_ref() {
        match o {
            Ok(o) if opt::KNOWN.contains(&o.number) => n += 1,
            _ => return false,
        }
    }
    if m.class() == 0 {
        matches!(m.mtype, CON | NON) && n > 0
    } else {
        m.mtype != RST
    }
}
