//! The MQTT wire format (3.1, 3.1.1 and 5.0): the fixed header, the
//! variable header and payload of every control packet, and version 5
//! properties.
//!
//! Parsing borrows the message body and yields [`Op`], whose strings and
//! lists are [`Span`]s into that body: the transaction keeps one copy of
//! the body and every field is a view of it, so a SUBSCRIBE with thousands
//! of topic filters costs no allocation per filter. Lists (topic filters,
//! reason codes, properties) are validated once here and iterated lazily
//! where they are used.

/// Control packet types (fixed header bits 7..4; 0 is reserved, Suricata's
/// `UNASSIGNED`).
pub mod kind {
    /// Client request to connect.
    pub const CONNECT: u8 = 1;
    /// Connect acknowledgment.
    pub const CONNACK: u8 = 2;
    /// Publish message.
    pub const PUBLISH: u8 = 3;
    /// Publish acknowledgment (QoS 1).
    pub const PUBACK: u8 = 4;
    /// Publish received (QoS 2, part 1).
    pub const PUBREC: u8 = 5;
    /// Publish release (QoS 2, part 2).
    pub const PUBREL: u8 = 6;
    /// Publish complete (QoS 2, part 3).
    pub const PUBCOMP: u8 = 7;
    /// Subscribe request.
    pub const SUBSCRIBE: u8 = 8;
    /// Subscribe acknowledgment.
    pub const SUBACK: u8 = 9;
    /// Unsubscribe request.
    pub const UNSUBSCRIBE: u8 = 10;
    /// Unsubscribe acknowledgment.
    pub const UNSUBACK: u8 = 11;
    /// Ping request.
    pub const PINGREQ: u8 = 12;
    /// Ping response.
    pub const PINGRESP: u8 = 13;
    /// Disconnect notification.
    pub const DISCONNECT: u8 = 14;
    /// Authentication exchange (5.0).
    pub const AUTH: u8 = 15;

    /// Lower-case name, as the EVE object keys name the messages.
    pub fn name(t: u8) -> &'static str {
        match t {
            CONNECT => "connect",
            CONNACK => "connack",
            PUBLISH => "publish",
            PUBACK => "puback",
            PUBREC => "pubrec",
            PUBREL => "pubrel",
            PUBCOMP => "pubcomp",
            SUBSCRIBE => "subscribe",
            SUBACK => "suback",
            UNSUBSCRIBE => "unsubscribe",
            UNSUBACK => "unsuback",
            PINGREQ => "pingreq",
            PINGRESP => "pingresp",
            DISCONNECT => "disconnect",
            AUTH => "auth",
            _ => "unassigned",
        }
    }
}

/// The stream cannot be MQTT at this point (a remaining-length varint
/// longer than 4 bytes) or a body does not fit its declared layout.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Malformed;

/// Byte range of a field within a message body.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Span {
    /// Offset in the body.
    pub off: u32,
    /// Length.
    pub len: u32,
}

impl Span {
    /// The bytes in `body` (empty if the span does not fit, which parsing
    /// never produces).
    pub fn of(self, body: &[u8]) -> &[u8] {
        let start = self.off as usize;
        let end = start.saturating_add(self.len as usize);
        body.get(start..end).unwrap_or(&[])
    }
}

/// The fixed header: packet type and flags, and the remaining length.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct FixedHeader {
    /// First byte: type (bits 7..4), dup (3), QoS (2..1), retain (0).
    pub byte: u8,
    /// Length of the variable header plus payload.
    pub remaining: u32,
    /// Length of the fixed header itself (2 to 5 bytes).
    pub len: u8,
}

impl FixedHeader {
    /// Control packet type (see [`kind`]).
    pub fn msg_type(self) -> u8 {
        self.byte >> 4
    }
    /// DUP flag.
    pub fn dup(self) -> bool {
        self.byte & 0x08 != 0
    }
    /// QoS level bits (3 is invalid but kept).
    pub fn qos(self) -> u8 {
        (self.byte >> 1) & 0x03
    }
    /// RETAIN flag.
    pub fn retain(self) -> bool {
        self.byte & 0x01 != 0
    }
    /// Whole message length, fixed header included.
    pub fn total(self) -> u64 {
        u64::from(self.len) + u64::from(self.remaining)
    }
}

/// A variable byte integer (1 to 4 bytes, 7 bits each, least significant
/// first): `Ok(None)` when more bytes are needed.
pub fn varint(data: &[u8]) -> Result<Option<(u32, usize)>, Malformed> {
    let mut value = 0u32;
    for (i, &b) in data.iter().enumerate().take(4) {
        value |= u32::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Ok(Some((value, i + 1)));
        }
    }
    if data.len() >= 4 {
        // A fifth byte is never allowed.
        Err(Malformed)
    } else {
        Ok(None)
    }
}

/// The fixed header at the start of `data`; `Ok(None)` when incomplete.
pub fn fixed_header(data: &[u8]) -> Result<Option<FixedHeader>, Malformed> {
    let Some((&byte, rest)) = data.split_first() else {
        return Ok(None);
    };
    Ok(varint(rest)?.map(|(remaining, n)| FixedHeader {
        byte,
        remaining,
        len: n as u8 + 1,
    }))
}

/// CONNECT.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Connect {
    /// Protocol name (`MQTT`, `MQIsdp`).
    pub protocol: Span,
    /// Protocol level (3, 4, 5; bridges may set bit 7).
    pub level: u8,
    /// Connect flags byte.
    pub flags: u8,
    /// Keep alive in seconds.
    pub keepalive: u16,
    /// Properties (5.0), None when absent or empty.
    pub props: Option<Span>,
    /// Client identifier.
    pub client_id: Span,
    /// Will properties (5.0).
    pub will_props: Option<Span>,
    /// Will topic.
    pub will_topic: Option<Span>,
    /// Will message.
    pub will_message: Option<Span>,
    /// User name.
    pub username: Option<Span>,
    /// Password (kept for rules and the credential check, never logged).
    pub password: Option<Span>,
}

/// Connect flag bits.
pub mod connect_flags {
    /// A user name follows.
    pub const USERNAME: u8 = 0x80;
    /// A password follows.
    pub const PASSWORD: u8 = 0x40;
    /// Will message is retained.
    pub const WILL_RETAIN: u8 = 0x20;
    /// A will topic and message follow.
    pub const WILL: u8 = 0x04;
    /// Clean session (3.1.1) / clean start (5.0).
    pub const CLEAN_SESSION: u8 = 0x02;
}

/// CONNACK.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Connack {
    /// Acknowledge flags (bit 0: session present).
    pub ack_flags: u8,
    /// Return code (3.x) / reason code (5.0).
    pub code: u8,
    /// Properties (5.0).
    pub props: Option<Span>,
}

/// PUBLISH.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Publish {
    /// Topic name.
    pub topic: Span,
    /// Packet identifier, present when QoS > 0.
    pub msg_id: Option<u16>,
    /// Properties (5.0).
    pub props: Option<Span>,
    /// Application message.
    pub payload: Span,
}

/// PUBACK, PUBREC, PUBREL, PUBCOMP.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Ack {
    /// Packet identifier.
    pub msg_id: u16,
    /// Reason code (5.0; 0 when omitted).
    pub code: Option<u8>,
    /// Properties (5.0).
    pub props: Option<Span>,
}

/// SUBSCRIBE or UNSUBSCRIBE.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Subscribe {
    /// Packet identifier.
    pub msg_id: u16,
    /// Properties (5.0).
    pub props: Option<Span>,
    /// The topic filter list (see [`sub_topics`], [`unsub_topics`]).
    pub topics: Span,
}

/// SUBACK or UNSUBACK.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct SubAck {
    /// Packet identifier.
    pub msg_id: u16,
    /// Properties (5.0).
    pub props: Option<Span>,
    /// One code per filter: granted QoS or reason code.
    pub codes: Span,
}

/// DISCONNECT or AUTH.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Reason {
    /// Reason code (5.0; AUTH always has one).
    pub code: Option<u8>,
    /// Properties (5.0).
    pub props: Option<Span>,
}

/// A parsed message body.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// Type 0.
    Unassigned,
    /// CONNECT.
    Connect(Connect),
    /// CONNACK.
    Connack(Connack),
    /// PUBLISH.
    Publish(Publish),
    /// PUBACK.
    Puback(Ack),
    /// PUBREC.
    Pubrec(Ack),
    /// PUBREL.
    Pubrel(Ack),
    /// PUBCOMP.
    Pubcomp(Ack),
    /// SUBSCRIBE.
    Subscribe(Subscribe),
    /// SUBACK.
    Suback(SubAck),
    /// UNSUBSCRIBE.
    Unsubscribe(Subscribe),
    /// UNSUBACK.
    Unsuback(SubAck),
    /// PINGREQ.
    Pingreq,
    /// PINGRESP.
    Pingresp,
    /// DISCONNECT.
    Disconnect(Reason),
    /// AUTH.
    Auth(Reason),
    /// A message longer than the limit, skipped unparsed; the length
    /// counts the fixed header too (as Suricata's `skipped_length`).
    Truncated(u64),
}

/// A cursor over a body that hands out spans.
struct Rd<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Rd<'a> {
    fn new(data: &'a [u8]) -> Self {
        Rd { data, pos: 0 }
    }
    fn left(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }
    fn take(&mut self, n: usize) -> Result<Span, Malformed> {
        if n > self.left() {
            return Err(Malformed);
        }
        let s = Span {
            off: self.pos as u32,
            len: n as u32,
        };
        self.pos += n;
        Ok(s)
    }
    fn bytes(&mut self, n: usize) -> Result<&'a [u8], Malformed> {
        let s = self.take(n)?;
        Ok(s.of(self.data))
    }
    fn u8(&mut self) -> Result<u8, Malformed> {
        self.bytes(1)?.first().copied().ok_or(Malformed)
    }
    fn u16(&mut self) -> Result<u16, Malformed> {
        let b: [u8; 2] = self.bytes(2)?.try_into().map_err(|_| Malformed)?;
        Ok(u16::from_be_bytes(b))
    }
    fn u32(&mut self) -> Result<u32, Malformed> {
        let b: [u8; 4] = self.bytes(4)?.try_into().map_err(|_| Malformed)?;
        Ok(u32::from_be_bytes(b))
    }
    fn varint(&mut self) -> Result<u32, Malformed> {
        let rest = self.data.get(self.pos..).unwrap_or(&[]);
        match varint(rest)? {
            Some((v, n)) => {
                self.pos += n;
                Ok(v)
            }
            None => Err(Malformed),
        }
    }
    /// A UTF-8 string or binary data: 2-byte length, then the bytes.
    fn string(&mut self) -> Result<Span, Malformed> {
        let n = self.u16()?;
        self.take(usize::from(n))
    }
    fn rest(&mut self) -> Span {
        let n = self.left();
        // `take` of exactly what is left cannot fail.
        self.take(n).unwrap_or_default()
    }
    /// A properties block (5.0): None when its length is 0, as Suricata
    /// omits the empty object.
    fn props(&mut self) -> Result<Option<Span>, Malformed> {
        let n = self.varint()?;
        let s = self.take(n as usize)?;
        if !props_valid(s.of(self.data)) {
            return Err(Malformed);
        }
        Ok((n > 0).then_some(s))
    }
}

/// Parses one body. `version` is the connection's protocol level (from
/// its CONNECT; 0 when unseen): level 5 bodies carry properties. CONNECT
/// uses its own level.
pub fn parse_body(hdr: FixedHeader, body: &[u8], version: u8) -> Result<Op, Malformed> {
    let v5 = version == 5;
    let mut r = Rd::new(body);
    let op = match hdr.msg_type() {
        kind::CONNECT => Op::Connect(connect(&mut r)?),
        kind::CONNACK => {
            let ack_flags = r.u8()?;
            let code = r.u8()?;
            // A v5 CONNACK seen without its CONNECT (one-sided capture)
            // still shows its properties by being longer than 2 bytes.
            let props = if (v5 || version == 0) && r.left() > 0 {
                r.props()?
            } else {
                None
            };
            Op::Connack(Connack {
                ack_flags,
                code,
                props,
            })
        }
        kind::PUBLISH => {
            let topic = r.string()?;
            let msg_id = if hdr.qos() > 0 { Some(r.u16()?) } else { None };
            let props = if v5 { r.props()? } else { None };
            Op::Publish(Publish {
                topic,
                msg_id,
                props,
                payload: r.rest(),
            })
        }
        t @ (kind::PUBACK | kind::PUBREC | kind::PUBREL | kind::PUBCOMP) => {
            let a = ack(&mut r, v5)?;
            match t {
                kind::PUBACK => Op::Puback(a),
                kind::PUBREC => Op::Pubrec(a),
                kind::PUBREL => Op::Pubrel(a),
                _ => Op::Pubcomp(a),
            }
        }
        kind::SUBSCRIBE => {
            let msg_id = r.u16()?;
            let props = if v5 { r.props()? } else { None };
            let start = r.pos;
            let list = r.rest().of(body);
            let (n, used) = count_topics(list, true);
            if n == 0 {
                return Err(Malformed);
            }
            Op::Subscribe(Subscribe {
                msg_id,
                props,
                topics: Span {
                    off: start as u32,
                    len: used as u32,
                },
            })
        }
        kind::UNSUBSCRIBE => {
            let msg_id = r.u16()?;
            let props = if v5 { r.props()? } else { None };
            let start = r.pos;
            let list = r.rest().of(body);
            let (_, used) = count_topics(list, false);
            Op::Unsubscribe(Subscribe {
                msg_id,
                props,
                topics: Span {
                    off: start as u32,
                    len: used as u32,
                },
            })
        }
        t @ (kind::SUBACK | kind::UNSUBACK) => {
            let msg_id = r.u16()?;
            let props = if v5 { r.props()? } else { None };
            let a = SubAck {
                msg_id,
                props,
                codes: r.rest(),
            };
            if t == kind::SUBACK {
                Op::Suback(a)
            } else {
                Op::Unsuback(a)
            }
        }
        kind::PINGREQ => Op::Pingreq,
        kind::PINGRESP => Op::Pingresp,
        kind::DISCONNECT => Op::Disconnect(if v5 {
            reason(&mut r)?
        } else {
            Reason::default()
        }),
        kind::AUTH => Op::Auth(reason(&mut r)?),
        _ => Op::Unassigned,
    };
    Ok(op)
}

fn connect(r: &mut Rd<'_>) -> Result<Connect, Malformed> {
    use connect_flags::*;
    let protocol = r.string()?;
    let level = r.u8()?;
    let flags = r.u8()?;
    let keepalive = r.u16()?;
    let v5 = level == 5;
    let will = flags & WILL != 0;
    let props = if v5 { r.props()? } else { None };
    let client_id = r.string()?;
    let will_props = if v5 && will { r.props()? } else { None };
    let will_topic = if will { Some(r.string()?) } else { None };
    let will_message = if will { Some(r.string()?) } else { None };
    let username = if flags & USERNAME != 0 {
        Some(r.string()?)
    } else {
        None
    };
    let password = if flags & PASSWORD != 0 {
        Some(r.string()?)
    } else {
        None
    };
    Ok(Connect {
        protocol,
        level,
        flags,
        keepalive,
        props,
        client_id,
        will_props,
        will_topic,
        will_message,
        username,
        password,
    })
}

/// PUBACK..PUBCOMP: 5.0 may omit the reason code (meaning 0) and the
/// properties.
fn ack(r: &mut Rd<'_>, v5: bool) -> Result<Ack, Malformed> {
    let msg_id = r.u16()?;
    if !v5 {
        return Ok(Ack {
            msg_id,
            ..Ack::default()
        });
    }
    let code = if r.left() > 0 { r.u8()? } else { 0 };
    let props = if r.left() > 0 { r.props()? } else { None };
    Ok(Ack {
        msg_id,
        code: Some(code),
        props,
    })
}

/// DISCONNECT (5.0) and AUTH: an empty body means reason code 0.
fn reason(r: &mut Rd<'_>) -> Result<Reason, Malformed> {
    let code = if r.left() > 0 { r.u8()? } else { 0 };
    let props = if r.left() > 0 { r.props()? } else { None };
    Ok(Reason {
        code: Some(code),
        props,
    })
}

/// Counts the whole entries of a topic filter list (string, plus an
/// options byte in SUBSCRIBE) and the bytes they use; a trailing partial
/// entry is ignored, as Suricata does.
fn count_topics(list: &[u8], options: bool) -> (usize, usize) {
    let mut it = TopicIter {
        data: list,
        pos: 0,
        options,
    };
    let mut n = 0;
    while it.next().is_some() {
        n += 1;
    }
    (n, it.pos)
}

/// Iterates a topic filter list.
struct TopicIter<'a> {
    data: &'a [u8],
    pos: usize,
    options: bool,
}

impl<'a> Iterator for TopicIter<'a> {
    type Item = (&'a [u8], u8);
    fn next(&mut self) -> Option<Self::Item> {
        let mut r = Rd {
            data: self.data,
            pos: self.pos,
        };
        let topic = r.string().ok()?.of(self.data);
        let opts = if self.options { r.u8().ok()? } else { 0 };
        self.pos = r.pos;
        Some((topic, opts))
    }
}

/// SUBSCRIBE topic filters with their options byte (QoS in bits 1..0;
/// 5.0 adds no-local, retain-as-published and retain handling).
pub fn sub_topics(list: &[u8]) -> impl Iterator<Item = (&[u8], u8)> + '_ {
    TopicIter {
        data: list,
        pos: 0,
        options: true,
    }
}

/// UNSUBSCRIBE topic filters.
pub fn unsub_topics(list: &[u8]) -> impl Iterator<Item = &[u8]> + '_ {
    TopicIter {
        data: list,
        pos: 0,
        options: false,
    }
    .map(|(t, _)| t)
}

/// How a property's value is encoded.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum PropKind {
    Byte,
    U16,
    U32,
    VarInt,
    Str,
    Bin,
    Pair,
}

/// Property identifiers (MQTT 5.0 §2.2.2.2) with Suricata's EVE names.
fn prop_spec(id: u32) -> Option<(&'static str, PropKind)> {
    use PropKind::*;
    Some(match id {
        1 => ("payload_format_indicator", Byte),
        2 => ("message_expiry_interval", U32),
        3 => ("content_type", Str),
        8 => ("response_topic", Str),
        9 => ("correlation_data", Bin),
        11 => ("subscription_identifier", VarInt),
        17 => ("session_expiry_interval", U32),
        18 => ("assigned_client_identifier", Str),
        19 => ("server_keep_alive", U16),
        21 => ("authentication_method", Str),
        22 => ("authentication_data", Bin),
        23 => ("request_problem_information", Byte),
        24 => ("will_delay_interval", U32),
        25 => ("request_response_information", Byte),
        26 => ("response_information", Str),
        28 => ("server_reference", Str),
        31 => ("reason_string", Str),
        33 => ("receive_maximum", U16),
        34 => ("topic_alias_maximum", U16),
        35 => ("topic_alias", U16),
        36 => ("maximum_qos", Byte),
        37 => ("retain_available", Byte),
        38 => ("user_property", Pair),
        39 => ("maximum_packet_size", U32),
        40 => ("wildcard_subscription_available", Byte),
        41 => ("subscription_identifier_available", Byte),
        42 => ("shared_subscription_available", Byte),
        _ => return None,
    })
}

/// One property.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Prop<'a> {
    /// A number (byte, two- or four-byte integer, variable integer).
    Int(&'static str, u32),
    /// A UTF-8 string.
    Str(&'static str, &'a [u8]),
    /// Binary data.
    Bin(&'static str, &'a [u8]),
    /// A user property: name and value.
    User(&'a [u8], &'a [u8]),
}

/// Iterates a properties block; stops at the end, at an unknown
/// identifier (its length is unknown) or at a truncated value.
pub struct PropIter<'a> {
    r: Rd<'a>,
    /// Stopped on a truncated value (as opposed to the end or an
    /// unknown identifier).
    bad: bool,
}

/// The properties in `block`.
pub fn properties(block: &[u8]) -> PropIter<'_> {
    PropIter {
        r: Rd::new(block),
        bad: false,
    }
}

impl<'a> PropIter<'a> {
    fn value(&mut self) -> Result<Option<Prop<'a>>, Malformed> {
        if self.r.left() == 0 {
            return Ok(None);
        }
        let id = self.r.varint()?;
        let Some((name, k)) = prop_spec(id) else {
            return Ok(None);
        };
        let data = self.r.data;
        Ok(Some(match k {
            PropKind::Byte => Prop::Int(name, u32::from(self.r.u8()?)),
            PropKind::U16 => Prop::Int(name, u32::from(self.r.u16()?)),
            PropKind::U32 => Prop::Int(name, self.r.u32()?),
            PropKind::VarInt => Prop::Int(name, self.r.varint()?),
            PropKind::Str => Prop::Str(name, self.r.string()?.of(data)),
            PropKind::Bin => Prop::Bin(name, self.r.string()?.of(data)),
            PropKind::Pair => {
                let k = self.r.string()?.of(data);
                let v = self.r.string()?.of(data);
                Prop::User(k, v)
            }
        }))
    }
}

impl<'a> Iterator for PropIter<'a> {
    type Item = Prop<'a>;
    fn next(&mut self) -> Option<Prop<'a>> {
        if self.bad {
            return None;
        }
        match self.value() {
            Ok(Some(p)) => Some(p),
            Ok(None) => {
                // End, or unknown identifier: nothing more can be read.
                self.r.pos = self.r.data.len();
                None
            }
            Err(Malformed) => {
                self.bad = true;
                None
            }
        }
    }
}

/// Whether every known property in `block` is whole.
fn props_valid(block: &[u8]) -> bool {
    let mut it = properties(block);
    for _ in it.by_ref() {}
    !it.bad
}
