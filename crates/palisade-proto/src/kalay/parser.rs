//! The IOTC message header and the UID, read from one (descrambled)
//! datagram. Never panics; copies only the 20 UID bytes.

use super::scramble;

/// Header length.
pub const HEADER: usize = 16;
/// UID length (Kalay UIDs are 20 characters, `A-Z0-9`).
pub const UID_LEN: usize = 20;
/// Blocks descrambled per datagram: header, UID and some room.
pub const DECODE_BLOCKS: usize = 4;

/// What one IOTC datagram says about itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// It was scrambled on the wire (the usual case).
    pub scrambled: bool,
    /// Protocol version byte (offset 2; e.g. 0x12, 0x19).
    pub version: u8,
    /// Flags byte (offset 3).
    pub flags: u8,
    /// Message type (u16 LE at offset 8).
    pub msg_type: u16,
    /// Direction code (offset 10): sender role in the high nibble,
    /// receiver role in the low one.
    pub direction: u8,
    /// Datagram length.
    pub len: usize,
    /// The UID at offset 16, when the 20 bytes there are `A-Z0-9`.
    pub uid: Option<[u8; UID_LEN]>,
}

fn header_ok(d: &[u8], len: usize) -> bool {
    match (d.get(0..2), d.get(4..6)) {
        (Some([4, 2]), Some(&[lo, hi])) => {
            usize::from(u16::from_le_bytes([lo, hi])) + HEADER == len
        }
        _ => false,
    }
}

/// The message in `data` (one UDP datagram), plain or scrambled: magic
/// `04 02` at offset 0 and the u16 LE body length at offset 4 equal to the
/// datagram length minus the 16-byte header. Four bytes of fixed structure
/// against a datagram of arbitrary content: a random datagram passes with
/// probability about 2^-32 per reading, so the probe does not take other
/// UDP traffic.
pub fn message(data: &[u8]) -> Option<Message> {
    let len = data.len();
    if len < HEADER || len > usize::from(u16::MAX) + HEADER {
        return None;
    }
    let decoded;
    let (d, scrambled): (&[u8], bool) = if header_ok(data, len) {
        (data, false)
    } else {
        decoded = scramble::decode_prefix(data, DECODE_BLOCKS);
        if !header_ok(&decoded, len) {
            return None;
        }
        (&decoded, true)
    };
    let b = |i: usize| d.get(i).copied().unwrap_or(0);
    let uid = d
        .get(HEADER..HEADER + UID_LEN)
        .and_then(|u| <[u8; UID_LEN]>::try_from(u).ok())
        .filter(|u| {
            u.iter()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        });
    Some(Message {
        scrambled,
        version: b(2),
        flags: b(3),
        msg_type: u16::from_le_bytes([b(8), b(9)]),
        direction: b(10),
        len,
        uid,
    })
}

/// Names of the message types seen in public reverse engineering
/// (go2rtc `pkg/tutk`: LAN search, the query to the server for a device's
/// address, session set-up, ping, data); others are `unknown`.
pub fn type_name(t: u16) -> &'static str {
    match t {
        0x0601 => "lan_search",
        0x0602 => "lan_search_reply",
        0x0203 => "query_device",
        0x0301 => "query_device_reply",
        0x0401 => "session_request",
        0x0402 => "session_ack",
        0x0404 => "session_ok",
        0x1007 => "public_ip_query",
        0x0428 => "ping",
        0x0427 => "ping_ack",
        0x0804 => "data",
        _ => "unknown",
    }
}

/// Role pair of a direction code. The codes seen in published samples are
/// 0x21 (app → device), 0x12 (device → app), 0x34 (app → server) and
/// 0x43 (server → app); by the same nibble roles (1 device, 2 app,
/// 3 app-to-server, 4 server) 0x14 is device → server and 0x41 server →
/// device. That last pair is palisade's inference, not a published sample.
pub fn direction_name(d: u8) -> &'static str {
    match d {
        0x21 => "client_to_device",
        0x12 => "device_to_client",
        0x34 => "client_to_server",
        0x43 => "server_to_client",
        0x14 => "device_to_server",
        0x41 => "server_to_device",
        _ => "unknown",
    }
}

impl Message {
    /// A device registering its UID with a server: a device → server
    /// message that carries a UID (the CVE-2021-28372 registration, which
    /// the servers accepted on the UID alone).
    pub fn is_registration(&self) -> bool {
        self.direction == 0x14 && self.uid.is_some()
    }
}
