//! RTSP (RFC 2326): the control connection of IP cameras and NVRs.
//!
//! Cameras are a favourite IoT target: RTSP with default credentials
//! gives away the video, and scanners walk stream paths (`/live.sdp`,
//! `/h264/ch1/main/av_stream`) on port 554. palisade wants each request
//! with its response (method, URI, status, server and client software,
//! session, transport) and every Authorization, Basic or Digest, for the
//! credential detectors.
//!
//! Requests and responses are paired by `CSeq` (the oldest unanswered
//! request when it does not match); a server may also send requests
//! (ANNOUNCE, GET_PARAMETER), answered from the client side. A
//! Content-Length body is counted through, its first [`MAX_BODY`] bytes
//! kept ([`Message::body`]: the SDP description of DESCRIBE). When the
//! media is interleaved on the connection (`$`, channel, 16-bit length,
//! RTP/RTCP packet), which is almost all of a camera flow's bytes, the
//! frames are skipped by counting straight from the input, never held or
//! copied, across any segmentation. After a gap inside a frame or body the
//! count goes on; elsewhere the parser resynchronises at the next line
//! that starts a request or response.
//!
//! Suricata has no RTSP parser; palisade's EVE object (`event_type`
//! `rtsp`), present fields only:
//!
//! ```json
//! "rtsp": {
//!   "method": "DESCRIBE", "uri": "rtsp://10.2.2.2:8554/", "cseq": 3,
//!   "status": 401,
//!   "server": "VLC/3.0.12",                  // response Server
//!   "user_agent": "LibVLC/3.0.16 (LIVE555 Streaming Media v2016.11.28)",
//!   "session": "8c30e102191f49d1",           // response's, else request's (id only)
//!   "auth_scheme": "Digest", "username": "admin",
//!   "realm": "IP Camera",                    // WWW-Authenticate (else Digest) realm
//!   "transport": "RTP/AVP;unicast;client_port=55664-55665",  // response's, else request's
//!   "content_type": "application/sdp", "content_length": 695  // response's, else request's
//! }
//! ```
//!
//! Never logged: the Basic password and the Digest response. Sticky
//! buffers: `rtsp.method`, `rtsp.uri` (requests). Events:
//! `rtsp.header_too_long` (a head over [`MAX_HEAD`] bytes, skipped),
//! `rtsp.invalid_message` (a head that is not RTSP; the direction
//! resynchronises), `rtsp.too_many_transactions` (over [`MAX_PENDING`]
//! requests unanswered: the oldest is logged without response) on the
//! flow; `rtsp.body_truncated` on a transaction.
//!
//! Not handled: RTSP tunnelled in HTTP (`x-sessioncookie`), RTSP 2.0
//! specifics, and bodies without Content-Length (RTSP requires one).

mod parser;
mod state;

pub use parser::{message_start, parse_head, MessageStart, StartLine, METHODS};
pub use state::{Auth, Message, RtspParser, RtspTx, MAX_BODY, MAX_HEAD, MAX_PENDING, MAX_VALUE};

use crate::registry::{Probe, ProbeInput, ProtoSpec, Transport};
use crate::util::line;

/// Registry entry.
pub static SPEC: ProtoSpec = ProtoSpec {
    name: "rtsp",
    transport: Transport::Tcp,
    ports: &[554, 8554],
    probe,
    new_parser: || Box::new(RtspParser::default()),
};

/// Longest request line the probe waits for.
const MAX_PROBE_LINE: usize = 2048;

/// A response line (`RTSP/1.0 200 OK`), or a request line with an RTSP
/// method and an `RTSP/` version (OPTIONS alone would also be HTTP), on
/// any port. On the RTSP ports an interleaved frame header is accepted
/// too, for flows picked up in the middle of a stream.
fn probe(p: &ProbeInput<'_>) -> Probe {
    let data = p.data;
    if p.on_port && data.first() == Some(&b'$') {
        return match data.get(1) {
            _ if data.len() < 4 => Probe::NeedMore,
            Some(&channel) if channel < 0x20 => Probe::Match,
            _ => Probe::NoMatch,
        };
    }
    match message_start(data) {
        MessageStart::No => return Probe::NoMatch,
        MessageStart::Maybe => return Probe::NeedMore,
        MessageStart::Yes => {}
    }
    if data.starts_with(b"RTSP/") {
        return Probe::Match;
    }
    match line(data) {
        Some((l, _)) => match parse_head(l) {
            Some(_) => Probe::Match,
            None => Probe::NoMatch,
        },
        None if data.len() < MAX_PROBE_LINE => Probe::NeedMore,
        None => Probe::NoMatch,
    }
}

#[cfg(test)]
mod tests;
