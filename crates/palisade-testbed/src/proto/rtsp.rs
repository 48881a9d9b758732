//! RTSP 1.0 (RFC 2326) between an NVR and a camera, video interleaved on the
//! same TCP connection.
//!
//! OPTIONS, DESCRIBE (challenged with Digest, retried with credentials, then
//! answered with an SDP body of exact `Content-Length`), SETUP with
//! `RTP/AVP/TCP;interleaved=0-1`, PLAY; then H.264 over RTP (RFC 6184: SPS and
//! PPS before each IDR, FU-A fragments sized to the MSS, marker bit on the
//! last packet of a frame) in `$`-framed interleaved packets on channel 0,
//! RTCP sender and receiver reports on channel 1, a GET_PARAMETER keep-alive
//! every 30 s, and TEARDOWN at the end.

use super::base64;
use super::http::http_date;
use crate::tcp::{App, AppCtx, AppStep, Side};
use crate::world::DevId;
use std::io::Write;

/// Sequence parameter set of the 640x360 baseline sub stream.
const SPS: &[u8] = &[
    0x67, 0x42, 0xc0, 0x1e, 0x95, 0xa0, 0x50, 0x17, 0xfc, 0xb8, 0x0b, 0x50, 0x10, 0x10, 0x14, 0x00,
    0x00, 0x0f, 0xa0, 0x00, 0x03, 0xa9, 0x82, 0x10,
];
/// Picture parameter set.
const PPS: &[u8] = &[0x68, 0xce, 0x3c, 0x80];
/// Dynamic RTP payload type announced in the SDP.
const PT_H264: u8 = 96;
/// 90 kHz clock ticks per frame at 15 fps.
const TICKS_PER_FRAME: u32 = 6000;
const FRAME_NS: u64 = 66_666_667;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    Options,
    Describe,
    DescribeAuth,
    Setup,
    Play,
    Streaming,
    Teardown,
    Close,
}

/// The H.264 packetiser state.
#[derive(Debug)]
struct Video {
    seq: u16,
    ts: u32,
    frame_no: u32,
    gop: u32,
    /// Bytes of the current frame's NAL still to send.
    left: usize,
    /// Parameter sets still to send before the current IDR (2, 1, 0).
    pre: u8,
    /// FU-A start already sent for the current frame.
    started: bool,
    idr: bool,
    next_frame_at: u64,
    bytes_per_sec: u64,
    packets: u32,
    octets: u32,
}

impl Video {
    fn start_frame(&mut self, rng: &mut crate::prng::Rng) {
        self.frame_no += 1;
        self.ts = self.ts.wrapping_add(TICKS_PER_FRAME);
        self.idr = self.frame_no % self.gop == 1 || self.gop == 1;
        let gop_bytes = self.bytes_per_sec * self.gop as u64 / 15;
        self.pre = if self.idr { 2 } else { 0 };
        let size = if self.idr {
            rng.jitter(gop_bytes / 5, 20)
        } else {
            rng.jitter(gop_bytes * 4 / 5 / (self.gop as u64 - 1).max(1), 60)
        };
        self.left = size.max(40) as usize;
        self.started = false;
    }

    /// Writes one interleaved RTP packet (at most `mss` bytes) of the
    /// current frame; returns true when the frame is complete.
    fn packet(&mut self, cx: &mut AppCtx<'_>, ssrc: u32, mss: usize, buf: &mut Vec<u8>) -> bool {
        buf.extend_from_slice(&[b'$', 0, 0, 0]);
        let room = mss - 4 - 12;
        let hdr_at = buf.len();
        buf.extend_from_slice(&[0x80, PT_H264]);
        buf.extend_from_slice(&self.seq.to_be_bytes());
        buf.extend_from_slice(&self.ts.to_be_bytes());
        buf.extend_from_slice(&ssrc.to_be_bytes());
        self.seq = self.seq.wrapping_add(1);
        let mut done = false;
        if self.pre == 2 {
            buf.extend_from_slice(SPS);
            self.pre = 1;
        } else if self.pre == 1 {
            buf.extend_from_slice(PPS);
            self.pre = 0;
        } else {
            let (nri_type, ty) = if self.idr { (0x60, 5) } else { (0x40, 1) };
            if !self.started && self.left < room {
                buf.push(nri_type | ty);
                cx.world.pool.push(cx.rng, buf, self.left);
                self.left = 0;
            } else {
                let chunk = self.left.min(room - 2);
                let mut fu = ty;
                if !self.started {
                    fu |= 0x80;
                }
                if chunk == self.left {
                    fu |= 0x40;
                }
                buf.extend_from_slice(&[nri_type | 28, fu]);
                cx.world.pool.push(cx.rng, buf, chunk);
                self.left -= chunk;
                self.started = true;
            }
            if self.left == 0 {
                buf[hdr_at + 1] |= 0x80; // marker: last packet of the frame
                done = true;
            }
        }
        let len = (buf.len() - 4) as u16;
        buf[2..4].copy_from_slice(&len.to_be_bytes());
        self.packets += 1;
        self.octets = self.octets.wrapping_add((buf.len() - hdr_at - 12) as u32);
        done
    }
}

/// One RTSP session pulling a camera's sub stream.
#[derive(Debug)]
pub(crate) struct RtspSession {
    nvr: DevId,
    cam: DevId,
    step: Step,
    cseq: u32,
    session: u32,
    ssrc: u32,
    nonce: [u8; 16],
    /// Request that still needs its 200 OK, and when it is due.
    reply_due: Option<(u64, &'static str)>,
    video: Video,
    next_sr: u64,
    next_rr: u64,
    next_keepalive: u64,
    end_at: u64,
    rr_ssrc: u32,
}

impl RtspSession {
    pub(crate) fn new(nvr: DevId, cam: DevId, now: u64, rng: &mut crate::prng::Rng) -> Self {
        let mut nonce = [0u8; 16];
        rng.fill(&mut nonce);
        RtspSession {
            nvr,
            cam,
            step: Step::Options,
            cseq: 0,
            session: rng.next_u32() | 0x1000_0000,
            ssrc: rng.next_u32(),
            nonce,
            reply_due: None,
            video: Video {
                seq: rng.next_u16(),
                ts: rng.next_u32(),
                frame_no: 0,
                gop: *rng.pick(&[15, 30, 30, 50]),
                left: 0,
                pre: 0,
                started: false,
                idr: false,
                next_frame_at: 0,
                bytes_per_sec: rng.range(16_000, 64_000),
                packets: 0,
                octets: 0,
            },
            next_sr: u64::MAX,
            next_rr: u64::MAX,
            next_keepalive: u64::MAX,
            end_at: now + rng.range(300, 3600) * 1_000_000_000,
            rr_ssrc: rng.next_u32(),
        }
    }

    fn uri(&self, cx: &AppCtx<'_>, buf: &mut Vec<u8>) {
        let cam = &cx.world.devices[self.cam as usize];
        let ip = cx.world.hosts[cam.host as usize].ip;
        let _ = write!(
            buf,
            "rtsp://{}.{}.{}.{}:554{}",
            ip[0], ip[1], ip[2], ip[3], cam.product.rtsp_path
        );
    }

    /// The camera this session records.
    pub(crate) fn cam(&self) -> DevId {
        self.cam
    }

    fn realm(&self, cx: &AppCtx<'_>) -> &'static str {
        cx.world.devices[self.cam as usize].product.vendor
    }

    /// `METHOD uri[suffix] RTSP/1.0`, CSeq, User-Agent, and credentials once
    /// challenged.
    fn request(
        &mut self,
        cx: &mut AppCtx<'_>,
        buf: &mut Vec<u8>,
        method: &str,
        suffix: &str,
        auth: bool,
    ) {
        self.cseq += 1;
        let _ = write!(buf, "{method} ");
        self.uri(cx, buf);
        let _ = write!(
            buf,
            "{suffix} RTSP/1.0\r\nCSeq: {}\r\nUser-Agent: {}\r\n",
            self.cseq, cx.world.devices[self.nvr as usize].product.user_agent
        );
        if auth {
            let _ = write!(
                buf,
                "Authorization: Digest username=\"admin\", realm=\"{} IP Camera\", nonce=\"",
                self.realm(cx)
            );
            hex(&self.nonce, buf);
            buf.extend_from_slice(b"\", uri=\"");
            self.uri(cx, buf);
            let _ = write!(buf, "{suffix}\", response=\"");
            cx.rng.push_hex(buf, 32);
            buf.extend_from_slice(b"\"\r\n");
        }
    }

    fn reply_head(&self, cx: &AppCtx<'_>, buf: &mut Vec<u8>, status: &str) {
        let _ = write!(buf, "RTSP/1.0 {status}\r\nCSeq: {}\r\nDate: ", self.cseq);
        http_date(cx.now, buf);
        buf.extend_from_slice(b"\r\n");
    }

    fn sdp(&self, cx: &AppCtx<'_>, out: &mut Vec<u8>) {
        let cam = &cx.world.devices[self.cam as usize];
        let ip = cx.world.hosts[cam.host as usize].ip;
        let _ = write!(
            out,
            "v=0\r\no=- {} 1 IN IP4 {}.{}.{}.{}\r\ns=Media Presentation\r\ne=NONE\r\nb=AS:{}\r\nt=0 0\r\na=control:",
            cx.world.start / 1_000_000_000,
            ip[0], ip[1], ip[2], ip[3],
            self.video.bytes_per_sec * 8 / 1000
        );
        self.uri(cx, out);
        let _ = write!(
            out,
            "/\r\nm=video 0 RTP/AVP {PT_H264}\r\nc=IN IP4 0.0.0.0\r\na=recvonly\r\na=x-dimensions:640,360\r\na=control:"
        );
        self.uri(cx, out);
        let _ = write!(
            out,
            "/trackID=1\r\na=rtpmap:{PT_H264} H264/90000\r\na=fmtp:{PT_H264} profile-level-id=42c01e; packetization-mode=1; sprop-parameter-sets="
        );
        base64(SPS, out);
        out.push(b',');
        base64(PPS, out);
        out.extend_from_slice(b"\r\n");
    }

    /// RTCP sender report + SDES CNAME (camera) on channel 1.
    fn sender_report(&self, cx: &AppCtx<'_>, buf: &mut Vec<u8>) {
        buf.extend_from_slice(&[b'$', 1, 0, 0]);
        buf.extend_from_slice(&[0x80, 200, 0, 6]);
        buf.extend_from_slice(&self.ssrc.to_be_bytes());
        buf.extend_from_slice(&super::ntp_time(cx.now).to_be_bytes());
        buf.extend_from_slice(&self.video.ts.to_be_bytes());
        buf.extend_from_slice(&self.video.packets.to_be_bytes());
        buf.extend_from_slice(&self.video.octets.to_be_bytes());
        self.sdes(self.ssrc, b"camera", buf);
        let len = (buf.len() - 4) as u16;
        buf[2..4].copy_from_slice(&len.to_be_bytes());
    }

    /// RTCP receiver report + SDES CNAME (NVR) on channel 1.
    fn receiver_report(&self, cx: &mut AppCtx<'_>, buf: &mut Vec<u8>) {
        buf.extend_from_slice(&[b'$', 1, 0, 0]);
        buf.extend_from_slice(&[0x81, 201, 0, 7]);
        buf.extend_from_slice(&self.rr_ssrc.to_be_bytes());
        buf.extend_from_slice(&self.ssrc.to_be_bytes());
        buf.extend_from_slice(&[0, 0, 0, 0]); // fraction lost, cumulative lost
        buf.extend_from_slice(&(self.video.seq as u32).to_be_bytes());
        buf.extend_from_slice(&(cx.rng.range(0, 40) as u32).to_be_bytes()); // jitter
        let lsr = (super::ntp_time(cx.now.saturating_sub(2_000_000_000)) >> 16) as u32;
        buf.extend_from_slice(&lsr.to_be_bytes());
        buf.extend_from_slice(&(2u32 << 16).to_be_bytes()); // delay since last SR: 2 s
        self.sdes(self.rr_ssrc, b"nvr", buf);
        let len = (buf.len() - 4) as u16;
        buf[2..4].copy_from_slice(&len.to_be_bytes());
    }

    fn sdes(&self, ssrc: u32, cname: &[u8], buf: &mut Vec<u8>) {
        // Chunk: SSRC, CNAME item, END, padded to 32 bits.
        let item = 2 + cname.len();
        let chunk = (4 + item + 1).div_ceil(4) * 4;
        buf.extend_from_slice(&[0x81, 202]);
        buf.extend_from_slice(&((chunk / 4) as u16).to_be_bytes());
        buf.extend_from_slice(&ssrc.to_be_bytes());
        buf.extend_from_slice(&[1, cname.len() as u8]);
        buf.extend_from_slice(cname);
        buf.resize(buf.len() + chunk - 4 - item, 0);
    }
}

fn hex(bytes: &[u8], out: &mut Vec<u8>) {
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
}

impl App for RtspSession {
    fn next(&mut self, cx: &mut AppCtx<'_>, buf: &mut Vec<u8>) -> AppStep {
        let proc = cx.rng.range(300_000, 4_000_000);
        let think = cx.rng.range(100_000, 2_000_000);
        if let Some((due, method)) = self.reply_due {
            let due_before_video = self.step != Step::Streaming
                || (self.video.left == 0 && self.video.pre == 0 && due <= self.video.next_frame_at);
            if due_before_video {
                self.reply_due = None;
                let delay = due.saturating_sub(cx.now);
                match method {
                    "OPTIONS" => {
                        self.reply_head(cx, buf, "200 OK");
                        buf.extend_from_slice(b"Public: OPTIONS, DESCRIBE, PLAY, PAUSE, SETUP, TEARDOWN, SET_PARAMETER, GET_PARAMETER\r\n\r\n");
                    }
                    "DESCRIBE401" => {
                        self.reply_head(cx, buf, "401 Unauthorized");
                        let _ = write!(
                            buf,
                            "WWW-Authenticate: Digest realm=\"{} IP Camera\", nonce=\"",
                            self.realm(cx)
                        );
                        hex(&self.nonce, buf);
                        buf.extend_from_slice(b"\", stale=\"FALSE\"\r\n\r\n");
                    }
                    "DESCRIBE" => {
                        let mut sdp = Vec::with_capacity(512);
                        self.sdp(cx, &mut sdp);
                        self.reply_head(cx, buf, "200 OK");
                        buf.extend_from_slice(b"Content-Type: application/sdp\r\nContent-Base: ");
                        self.uri(cx, buf);
                        let _ = write!(buf, "/\r\nContent-Length: {}\r\n\r\n", sdp.len());
                        buf.extend_from_slice(&sdp);
                    }
                    "SETUP" => {
                        self.reply_head(cx, buf, "200 OK");
                        let _ = write!(
                            buf,
                            "Session: {:08X};timeout=60\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1;ssrc={:08X};mode=\"play\"\r\n\r\n",
                            self.session, self.ssrc
                        );
                    }
                    "PLAY" => {
                        self.reply_head(cx, buf, "200 OK");
                        let _ = write!(buf, "Session: {:08X}\r\nRTP-Info: url=", self.session);
                        self.uri(cx, buf);
                        let _ = write!(
                            buf,
                            "/trackID=1;seq={};rtptime={}\r\n\r\n",
                            self.video.seq,
                            self.video.ts.wrapping_add(TICKS_PER_FRAME)
                        );
                        self.step = Step::Streaming;
                        let t = cx.now + delay;
                        self.video.next_frame_at = t + cx.rng.range(5_000_000, 40_000_000);
                        self.next_sr = t + 5_000_000_000;
                        self.next_rr = t + cx.rng.range(4_000_000_000, 6_000_000_000);
                        self.next_keepalive = t + cx.rng.range(25_000_000_000, 30_000_000_000);
                    }
                    "TEARDOWN" => {
                        self.reply_head(cx, buf, "200 OK");
                        let _ = write!(buf, "Session: {:08X}\r\n\r\n", self.session);
                        self.step = Step::Close;
                    }
                    _ => {
                        self.reply_head(cx, buf, "200 OK");
                        let _ = write!(buf, "Session: {:08X}\r\n\r\n", self.session);
                    }
                }
                return AppStep::Send {
                    from: Side::Server,
                    delay,
                };
            }
        }
        let mss = cx.mss[Side::Server as usize] as usize;
        match self.step {
            Step::Options => {
                self.request(cx, buf, "OPTIONS", "", false);
                buf.extend_from_slice(b"\r\n");
                self.step = Step::Describe;
                self.reply_due = Some((cx.now + think + proc, "OPTIONS"));
                AppStep::Send {
                    from: Side::Client,
                    delay: think,
                }
            }
            Step::Describe => {
                self.request(cx, buf, "DESCRIBE", "", false);
                buf.extend_from_slice(b"Accept: application/sdp\r\n\r\n");
                self.step = Step::DescribeAuth;
                self.reply_due = Some((cx.now + think + proc, "DESCRIBE401"));
                AppStep::Send {
                    from: Side::Client,
                    delay: think,
                }
            }
            Step::DescribeAuth => {
                self.request(cx, buf, "DESCRIBE", "", true);
                buf.extend_from_slice(b"Accept: application/sdp\r\n\r\n");
                self.step = Step::Setup;
                self.reply_due = Some((cx.now + think + proc, "DESCRIBE"));
                AppStep::Send {
                    from: Side::Client,
                    delay: think,
                }
            }
            Step::Setup => {
                self.request(cx, buf, "SETUP", "/trackID=1", true);
                buf.extend_from_slice(b"Transport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n\r\n");
                self.step = Step::Play;
                self.reply_due = Some((cx.now + think + proc, "SETUP"));
                AppStep::Send {
                    from: Side::Client,
                    delay: think,
                }
            }
            Step::Play => {
                self.request(cx, buf, "PLAY", "/", true);
                let _ = write!(
                    buf,
                    "Session: {:08X}\r\nRange: npt=0.000-\r\n\r\n",
                    self.session
                );
                // Stays in Play until the reply switches to Streaming.
                self.reply_due = Some((cx.now + think + proc, "PLAY"));
                AppStep::Send {
                    from: Side::Client,
                    delay: think,
                }
            }
            Step::Streaming => {
                let mid_frame = self.video.left > 0 || self.video.pre > 0;
                let video_at = if mid_frame {
                    cx.now + cx.rng.range(20_000, 120_000)
                } else {
                    self.video.next_frame_at
                };
                let reply_at = self.reply_due.map(|r| r.0).unwrap_or(u64::MAX);
                // One request outstanding at a time: no keep-alive or
                // TEARDOWN while a reply is owed.
                let (keepalive, end) = if self.reply_due.is_some() {
                    (u64::MAX, u64::MAX)
                } else {
                    (self.next_keepalive, self.end_at)
                };
                let t = video_at
                    .min(self.next_sr)
                    .min(self.next_rr)
                    .min(keepalive)
                    .min(end)
                    .min(reply_at);
                let delay = t.saturating_sub(cx.now);
                if t == video_at {
                    if !mid_frame {
                        self.video.start_frame(cx.rng);
                        self.video.next_frame_at += cx.rng.jitter(FRAME_NS, 3);
                        if self.video.next_frame_at < t {
                            self.video.next_frame_at = t + FRAME_NS / 2;
                        }
                    }
                    self.video.packet(cx, self.ssrc, mss, buf);
                    return AppStep::Send {
                        from: Side::Server,
                        delay,
                    };
                }
                if t == reply_at {
                    // A keep-alive answer squeezed between frames.
                    self.reply_due = None;
                    self.reply_head(cx, buf, "200 OK");
                    let _ = write!(buf, "Session: {:08X}\r\n\r\n", self.session);
                    return AppStep::Send {
                        from: Side::Server,
                        delay,
                    };
                }
                if t == self.next_sr {
                    self.sender_report(cx, buf);
                    self.next_sr = t + 5_000_000_000;
                    return AppStep::Send {
                        from: Side::Server,
                        delay,
                    };
                }
                if t == self.next_rr {
                    self.receiver_report(cx, buf);
                    self.next_rr = t + cx.rng.range(4_000_000_000, 6_000_000_000);
                    return AppStep::Send {
                        from: Side::Client,
                        delay,
                    };
                }
                if t == keepalive {
                    self.request(cx, buf, "GET_PARAMETER", "/", true);
                    let _ = write!(buf, "Session: {:08X}\r\n\r\n", self.session);
                    self.next_keepalive = t + cx.rng.range(25_000_000_000, 30_000_000_000);
                    self.reply_due = Some((t + proc, "GET_PARAMETER"));
                    return AppStep::Send {
                        from: Side::Client,
                        delay,
                    };
                }
                // Session over.
                self.request(cx, buf, "TEARDOWN", "/", true);
                let _ = write!(buf, "Session: {:08X}\r\n\r\n", self.session);
                self.step = Step::Teardown;
                self.reply_due = Some((t + proc, "TEARDOWN"));
                AppStep::Send {
                    from: Side::Client,
                    delay,
                }
            }
            Step::Teardown => {
                // Waiting for the TEARDOWN reply, which the check above sends.
                let due = self.reply_due.map(|r| r.0).unwrap_or(cx.now);
                self.reply_due = None;
                self.reply_head(cx, buf, "200 OK");
                let _ = write!(buf, "Session: {:08X}\r\n\r\n", self.session);
                self.step = Step::Close;
                AppStep::Send {
                    from: Side::Server,
                    delay: due.saturating_sub(cx.now),
                }
            }
            Step::Close => AppStep::Close {
                from: Side::Client,
                delay: cx.rng.range(100_000, 5_000_000),
                rst: false,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prng::Rng;

    #[test]
    fn sdes_chunks_are_word_aligned() {
        let s = RtspSession::new(0, 1, 0, &mut Rng::new(1));
        for name in [&b"nvr"[..], b"camera", b"ab"] {
            let mut b = Vec::new();
            s.sdes(7, name, &mut b);
            assert_eq!(b.len() % 4, 0);
            let words = u16::from_be_bytes([b[2], b[3]]) as usize;
            assert_eq!((words + 1) * 4, b.len());
        }
    }

    #[test]
    fn frame_sizes_follow_the_gop() {
        let mut rng = Rng::new(2);
        let mut s = RtspSession::new(0, 1, 0, &mut rng);
        s.video.gop = 30;
        s.video.start_frame(&mut rng);
        assert!(s.video.idr && s.video.pre == 2);
        let idr = s.video.left;
        s.video.start_frame(&mut rng);
        assert!(!s.video.idr && s.video.pre == 0);
        assert!(s.video.left < idr);
    }
}
