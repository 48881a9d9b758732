//! DNS wire format (RFC 1035 §4.1): header, questions and resource
//! records, with name compression (§4.1.4).
//!
//! The decoder reads one whole message (a UDP datagram, or the payload of
//! one length-prefixed TCP frame) and copies out only what a transaction
//! keeps: names have to be assembled from compression pointers anyway, so
//! they are owned. Everything is bounded whatever the header claims:
//! names by [`MAX_NAME_WIRE`] octets, [`MAX_LABELS`] labels and
//! [`MAX_JUMPS`] pointer jumps; the entries kept per message by
//! [`MAX_QUESTIONS`] and [`MAX_RECORDS`]; the rdata kept per record by
//! [`MAX_TXT_BYTES`] and [`MAX_RDATA_KEPT`]. Limits that real traffic
//! never reaches are reported as anomalies (Suricata's events) and the
//! decoder carries on where it can, so an attacker's crafted name still
//! leaves the rest of the message inspectable.

/// Size of the fixed header.
pub const HEADER_LEN: usize = 12;
/// Longest name on the wire, length octets and root label included
/// (RFC 1035 §2.3.4). Longer names raise `dns.name_too_long` and are kept
/// truncated.
pub const MAX_NAME_WIRE: usize = 255;
/// Labels in one name. 255 wire octets hold at most 127 labels, so more
/// only happen in crafted names (`dns.too_many_labels`).
pub const MAX_LABELS: usize = 128;
/// Compression pointers followed in one name. Each legitimate jump leads
/// to at least one label, so real names need far fewer; more means a
/// pointer loop (`dns.infinite_loop`).
pub const MAX_JUMPS: usize = 64;
/// Questions kept per message (real queries have one; mDNS a few).
pub const MAX_QUESTIONS: usize = 16;
/// Resource records kept per message over all sections. Zone transfers
/// carry thousands; the rest are parsed for anomalies but not kept.
pub const MAX_RECORDS: usize = 256;
/// TXT bytes kept per record.
pub const MAX_TXT_BYTES: usize = 1024;
/// Rdata bytes kept (as hex in the log) for types not decoded.
pub const MAX_RDATA_KEPT: usize = 256;

/// RR type numbers used by the decoder.
pub mod rrtype {
    /// IPv4 address.
    pub const A: u16 = 1;
    /// Name server.
    pub const NS: u16 = 2;
    /// Canonical name.
    pub const CNAME: u16 = 5;
    /// Start of authority.
    pub const SOA: u16 = 6;
    /// Domain name pointer.
    pub const PTR: u16 = 12;
    /// Mail exchange.
    pub const MX: u16 = 15;
    /// Text strings.
    pub const TXT: u16 = 16;
    /// IPv6 address.
    pub const AAAA: u16 = 28;
    /// Service location.
    pub const SRV: u16 = 33;
    /// EDNS(0) pseudo-record.
    pub const OPT: u16 = 41;
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    let s = b.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes(s.try_into().ok()?))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes(s.try_into().ok()?))
}

/// The fixed 12-byte header.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Header {
    /// Query id, copied into the response.
    pub id: u16,
    /// QR, opcode, AA, TC, RD, RA, Z, AD, CD, rcode.
    pub flags: u16,
    /// Questions.
    pub qdcount: u16,
    /// Answer records.
    pub ancount: u16,
    /// Authority records.
    pub nscount: u16,
    /// Additional records.
    pub arcount: u16,
}

impl Header {
    /// The header at the start of `b`, if it is long enough.
    pub fn parse(b: &[u8]) -> Option<Header> {
        Some(Header {
            id: be16(b, 0)?,
            flags: be16(b, 2)?,
            qdcount: be16(b, 4)?,
            ancount: be16(b, 6)?,
            nscount: be16(b, 8)?,
            arcount: be16(b, 10)?,
        })
    }
    /// A response.
    pub fn qr(&self) -> bool {
        self.flags & 0x8000 != 0
    }
    /// Opcode (0 query, 1 inverse query, 2 status, 4 notify, 5 update, 6 DSO).
    pub fn opcode(&self) -> u8 {
        ((self.flags >> 11) & 0xf) as u8
    }
    /// Response code (low 4 bits of the flags).
    pub fn rcode(&self) -> u8 {
        (self.flags & 0xf) as u8
    }
    /// The reserved Z bit (0x0040); AD and CD (0x0020, 0x0010) are not Z.
    pub fn z(&self) -> bool {
        self.flags & 0x0040 != 0
    }
    /// Records in the three RR sections.
    pub fn rr_count(&self) -> usize {
        usize::from(self.ancount) + usize::from(self.nscount) + usize::from(self.arcount)
    }
    /// Whether the counts can fit in `body` bytes after the header: a
    /// question takes at least 5 bytes, a record at least 11. A cheap test
    /// that rejects headers claiming far more than the message holds.
    pub fn counts_fit(&self, body: usize) -> bool {
        usize::from(self.qdcount) * 5 + self.rr_count() * 11 <= body
    }
}

/// A decoded name in presentation form (labels joined by `.`, as
/// Suricata does: bytes are not escaped; the root is empty).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Name {
    /// The name.
    pub value: Vec<u8>,
    /// Cut short by a limit (too long, too many labels, a pointer loop).
    pub truncated: bool,
}

/// Anomalies met while decoding one message; they become events.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Anomalies {
    /// Header, a question or an answer could not be decoded
    /// (`dns.malformed_data`).
    pub malformed: bool,
    /// The authority section could not be decoded (`dns.invalid_authorities`).
    pub invalid_authorities: bool,
    /// The additional section could not be decoded (`dns.invalid_additionals`).
    pub invalid_additionals: bool,
    /// A name over [`MAX_NAME_WIRE`] octets (`dns.name_too_long`).
    pub name_too_long: bool,
    /// A name over [`MAX_LABELS`] labels (`dns.too_many_labels`).
    pub too_many_labels: bool,
    /// A compression pointer loop (`dns.infinite_loop`).
    pub infinite_loop: bool,
    /// More entries than [`MAX_QUESTIONS`]/[`MAX_RECORDS`]: the rest were
    /// checked but not kept (`dns.too_many_records`, palisade's own).
    pub too_many_records: bool,
}

/// Why a name could not be read.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum NameError {
    /// It runs past the bytes available (a pointer past them included).
    Short,
    /// A reserved label type (0x40, 0x80).
    Invalid,
}

/// Reads the name starting at `start` of `msg` (the whole message, for
/// pointers). Returns it and the offset just after it in the original
/// position (after the first pointer when one was followed).
///
/// Limits never make it fail when the end of the name is known: after a
/// pointer the end is fixed, and without one the labels are scanned to
/// their terminator (bounded by the message) without being kept.
pub fn name(msg: &[u8], start: usize, an: &mut Anomalies) -> Result<(Name, usize), NameError> {
    let mut pos = start;
    let mut end: Option<usize> = None;
    let mut jumps = 0usize;
    let mut labels = 0usize;
    // Wire length so far, counting the root label's octet.
    let mut wire = 1usize;
    let mut out: Vec<u8> = Vec::new();
    let mut truncated = false;
    loop {
        let &len = msg.get(pos).ok_or(NameError::Short)?;
        match len & 0xc0 {
            0x00 if len == 0 => {
                pos += 1;
                break;
            }
            0x00 => {
                let l = usize::from(len);
                let label = msg.get(pos + 1..pos + 1 + l).ok_or(NameError::Short)?;
                pos += 1 + l;
                labels += 1;
                wire += 1 + l;
                if labels > MAX_LABELS {
                    an.too_many_labels = true;
                    truncated = true;
                }
                if wire > MAX_NAME_WIRE {
                    an.name_too_long = true;
                    truncated = true;
                }
                if truncated {
                    if end.is_some() {
                        break;
                    }
                    continue;
                }
                if !out.is_empty() {
                    out.push(b'.');
                }
                out.extend_from_slice(label);
            }
            0xc0 => {
                let &lo = msg.get(pos + 1).ok_or(NameError::Short)?;
                let target = usize::from(len & 0x3f) << 8 | usize::from(lo);
                if end.is_none() {
                    end = Some(pos + 2);
                }
                jumps += 1;
                if target == pos || jumps > MAX_JUMPS {
                    an.infinite_loop = true;
                    truncated = true;
                    break;
                }
                if truncated {
                    break;
                }
                if target >= msg.len() {
                    return Err(NameError::Short);
                }
                pos = target;
            }
            _ => return Err(NameError::Invalid),
        }
    }
    Ok((
        Name {
            value: out,
            truncated,
        },
        end.unwrap_or(pos),
    ))
}

/// One question.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Question {
    /// QNAME.
    pub name: Name,
    /// QTYPE.
    pub qtype: u16,
    /// QCLASS (bit 15 is mDNS's unicast-response bit).
    pub qclass: u16,
}

/// Reads a question at `start`; returns it and the offset after it.
pub fn question(
    msg: &[u8],
    start: usize,
    an: &mut Anomalies,
) -> Result<(Question, usize), NameError> {
    let (name, pos) = name(msg, start, an)?;
    let qtype = be16(msg, pos).ok_or(NameError::Short)?;
    let qclass = be16(msg, pos + 2).ok_or(NameError::Short)?;
    Ok((
        Question {
            name,
            qtype,
            qclass,
        },
        pos + 4,
    ))
}

/// SOA rdata.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Soa {
    /// Primary name server.
    pub mname: Name,
    /// Responsible mailbox.
    pub rname: Name,
    /// Serial.
    pub serial: u32,
    /// Refresh interval.
    pub refresh: u32,
    /// Retry interval.
    pub retry: u32,
    /// Expire limit.
    pub expire: u32,
    /// Minimum (negative caching) TTL.
    pub minimum: u32,
}

/// Decoded rdata.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RData {
    /// A (4 bytes) or AAAA (16 bytes).
    Addr(Vec<u8>),
    /// CNAME, NS, PTR target.
    Name(Name),
    /// MX.
    Mx {
        /// Preference.
        preference: u16,
        /// Exchange host.
        exchange: Name,
    },
    /// TXT character-strings (kept up to [`MAX_TXT_BYTES`]).
    Txt {
        /// The strings.
        strings: Vec<Vec<u8>>,
        /// Some were dropped.
        truncated: bool,
    },
    /// SOA.
    Soa(Soa),
    /// SRV.
    Srv {
        /// Priority.
        priority: u16,
        /// Weight.
        weight: u16,
        /// Port.
        port: u16,
        /// Target host.
        target: Name,
    },
    /// EDNS(0) options as (code, data).
    Opt(Vec<(u16, Vec<u8>)>),
    /// Anything else (also an A/AAAA of the wrong size, or the empty rdata
    /// of a dynamic update's deletes): the first [`MAX_RDATA_KEPT`] bytes.
    Other {
        /// Bytes kept.
        data: Vec<u8>,
        /// More bytes were present.
        truncated: bool,
    },
}

/// One resource record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// Owner name.
    pub name: Name,
    /// TYPE.
    pub rrtype: u16,
    /// CLASS (the UDP payload size for OPT).
    pub rrclass: u16,
    /// TTL (extended rcode and flags for OPT).
    pub ttl: u32,
    /// Rdata.
    pub data: RData,
}

/// A name inside rdata `[start, end)`: it must end within the rdata.
fn rdata_name(
    msg: &[u8],
    start: usize,
    end: usize,
    an: &mut Anomalies,
) -> Result<(Name, usize), NameError> {
    let (n, after) = name(msg, start, an)?;
    if after > end {
        return Err(NameError::Invalid);
    }
    Ok((n, after))
}

fn other(data: &[u8]) -> RData {
    RData::Other {
        data: data.iter().copied().take(MAX_RDATA_KEPT).collect(),
        truncated: data.len() > MAX_RDATA_KEPT,
    }
}

/// Decodes the rdata of `rrtype` at `[start, end)` of `msg`.
fn rdata(
    msg: &[u8],
    rrtype: u16,
    start: usize,
    end: usize,
    an: &mut Anomalies,
) -> Result<RData, NameError> {
    let data = msg.get(start..end).ok_or(NameError::Short)?;
    // Dynamic updates delete with empty rdata; nothing to decode. (An
    // empty TXT or OPT is still one: no strings, no options.)
    if data.is_empty() && !matches!(rrtype, rrtype::TXT | rrtype::OPT) {
        return Ok(other(data));
    }
    let bad = NameError::Invalid;
    Ok(match rrtype {
        rrtype::A | rrtype::AAAA if data.len() == if rrtype == rrtype::A { 4 } else { 16 } => {
            RData::Addr(data.to_vec())
        }
        rrtype::CNAME | rrtype::NS | rrtype::PTR => RData::Name(rdata_name(msg, start, end, an)?.0),
        rrtype::MX => {
            let preference = be16(data, 0).ok_or(bad)?;
            let (exchange, _) = rdata_name(msg, start + 2, end, an)?;
            RData::Mx {
                preference,
                exchange,
            }
        }
        rrtype::SRV => {
            let priority = be16(data, 0).ok_or(bad)?;
            let weight = be16(data, 2).ok_or(bad)?;
            let port = be16(data, 4).ok_or(bad)?;
            let (target, _) = rdata_name(msg, start + 6, end, an)?;
            RData::Srv {
                priority,
                weight,
                port,
                target,
            }
        }
        rrtype::SOA => {
            let (mname, p) = rdata_name(msg, start, end, an)?;
            let (rname, p) = rdata_name(msg, p, end, an)?;
            let nums = msg.get(p..end).ok_or(bad)?;
            let n = |i: usize| be32(nums, i * 4).ok_or(bad);
            RData::Soa(Soa {
                mname,
                rname,
                serial: n(0)?,
                refresh: n(1)?,
                retry: n(2)?,
                expire: n(3)?,
                minimum: n(4)?,
            })
        }
        rrtype::TXT => {
            let mut strings = Vec::new();
            let mut kept = 0usize;
            let mut truncated = false;
            let mut rest = data;
            while let Some((&l, tail)) = rest.split_first() {
                let (s, tail) = tail.split_at_checked(usize::from(l)).ok_or(bad)?;
                rest = tail;
                if kept + s.len() > MAX_TXT_BYTES {
                    truncated = true;
                    continue;
                }
                kept += s.len();
                strings.push(s.to_vec());
            }
            RData::Txt { strings, truncated }
        }
        rrtype::OPT => {
            let mut opts = Vec::new();
            let mut kept = 0usize;
            let mut rest = data;
            while !rest.is_empty() {
                let code = be16(rest, 0).ok_or(bad)?;
                let l = usize::from(be16(rest, 2).ok_or(bad)?);
                let d = rest.get(4..4 + l).ok_or(bad)?;
                rest = rest.get(4 + l..).unwrap_or_default();
                kept += d.len();
                if kept <= MAX_RDATA_KEPT {
                    opts.push((code, d.to_vec()));
                }
            }
            RData::Opt(opts)
        }
        _ => other(data),
    })
}

/// Reads a resource record at `start`; returns it and the offset after it.
pub fn record(msg: &[u8], start: usize, an: &mut Anomalies) -> Result<(Record, usize), NameError> {
    let (name, pos) = name(msg, start, an)?;
    let rrtype = be16(msg, pos).ok_or(NameError::Short)?;
    let rrclass = be16(msg, pos + 2).ok_or(NameError::Short)?;
    let ttl = be32(msg, pos + 4).ok_or(NameError::Short)?;
    let rdlen = usize::from(be16(msg, pos + 8).ok_or(NameError::Short)?);
    let start = pos + 10;
    let end = start + rdlen;
    if end > msg.len() {
        return Err(NameError::Short);
    }
    let data = rdata(msg, rrtype, start, end, an)?;
    Ok((
        Record {
            name,
            rrtype,
            rrclass,
            ttl,
            data,
        },
        end,
    ))
}

/// A decoded message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Message {
    /// Header.
    pub header: Header,
    /// Questions kept.
    pub questions: Vec<Question>,
    /// Answer records kept.
    pub answers: Vec<Record>,
    /// Authority records kept.
    pub authorities: Vec<Record>,
    /// Additional records kept.
    pub additionals: Vec<Record>,
}

/// The result of [`parse`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parsed {
    /// What was decoded (up to the first undecodable entry).
    pub message: Message,
    /// Anomalies met.
    pub anomalies: Anomalies,
    /// Offset just after the last entry decoded.
    pub end: usize,
}

impl Parsed {
    /// Every section decoded.
    pub fn complete(&self) -> bool {
        let a = &self.anomalies;
        !(a.malformed || a.invalid_authorities || a.invalid_additionals)
    }
}

/// Decodes a whole message; None when it is shorter than a header.
pub fn parse(msg: &[u8]) -> Option<Parsed> {
    let header = Header::parse(msg)?;
    let mut an = Anomalies::default();
    let mut m = Message {
        header,
        ..Message::default()
    };
    let mut pos = HEADER_LEN;
    let mut kept = 0usize;
    let done = |m: Message, an: Anomalies, end: usize| {
        Some(Parsed {
            message: m,
            anomalies: an,
            end,
        })
    };
    for _ in 0..header.qdcount {
        match question(msg, pos, &mut an) {
            Ok((q, after)) => {
                pos = after;
                if m.questions.len() < MAX_QUESTIONS {
                    m.questions.push(q);
                } else {
                    an.too_many_records = true;
                }
            }
            Err(_) => {
                an.malformed = true;
                return done(m, an, pos);
            }
        }
    }
    for section in 0..3 {
        let count = [header.ancount, header.nscount, header.arcount][section];
        for _ in 0..count {
            match record(msg, pos, &mut an) {
                Ok((r, after)) => {
                    pos = after;
                    if kept >= MAX_RECORDS {
                        an.too_many_records = true;
                        continue;
                    }
                    kept += 1;
                    match section {
                        0 => m.answers.push(r),
                        1 => m.authorities.push(r),
                        _ => m.additionals.push(r),
                    }
                }
                Err(_) => {
                    match section {
                        0 => an.malformed = true,
                        1 => an.invalid_authorities = true,
                        _ => an.invalid_additionals = true,
                    }
                    return done(m, an, pos);
                }
            }
        }
    }
    done(m, an, pos)
}
