use super::parser::find_head_end;
use super::*;
use crate::conversations::{from_pcap, shared_pcap};
use crate::parser::{AppTx, Collect, DigestParams, Dir, LoginOutcome, Parser, Secret};
use crate::registry::ProbeInput;
use crate::testing::{assert_resegmentation, buffer, feed, run, run_flow, Inspect, Recording};
use serde_json::json;

const S: Dir = Dir::ToServer;
const C: Dir = Dir::ToClient;

/// One interleaved frame: `$`, channel, length, payload.
fn frame(channel: u8, len: usize) -> Vec<u8> {
    let mut f = vec![b'$', channel];
    f.extend_from_slice(&(len as u16).to_be_bytes());
    // Payload bytes that look like RTSP, to prove they are skipped.
    f.extend(b"RTSP/1.0 200 OK\r\n\r\n".iter().cycle().take(len));
    f
}

const DIGEST_AUTH: &[u8] = b"Authorization: Digest username=\"admin\", realm=\"IP Camera(21388)\", nonce=\"4b3e1a\", uri=\"rtsp://192.168.1.64:554/Streaming/Channels/101\", response=\"0f2c6a5b3d1e9c8b7a6f5e4d3c2b1a09\"\r\n";

/// A camera session: 401 with a Digest challenge, authenticated DESCRIBE
/// with an SDP body, SETUP over TCP interleaved, PLAY, media frames both
/// ways around a GET_PARAMETER keep-alive, TEARDOWN.
fn camera() -> Vec<(Dir, Vec<u8>)> {
    let mut describe2 =
        b"DESCRIBE rtsp://192.168.1.64:554/Streaming/Channels/101 RTSP/1.0\r\nCSeq: 3\r\n".to_vec();
    describe2.extend_from_slice(DIGEST_AUTH);
    describe2.extend_from_slice(b"User-Agent: LibVLC/3.0.16\r\nAccept: application/sdp\r\n\r\n");
    let sdp = b"v=0\r\no=- 1 1 IN IP4 192.168.1.64\r\ns=Media Presentation\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n";
    let mut describe_ok = format!(
        "RTSP/1.0 200 OK\r\nCSeq: 3\r\nContent-Type: application/sdp\r\nContent-Base: rtsp://192.168.1.64:554/Streaming/Channels/101/\r\nContent-Length: {}\r\n\r\n",
        sdp.len()
    )
    .into_bytes();
    describe_ok.extend_from_slice(sdp);
    let mut media = frame(0, 120);
    media.extend(frame(1, 28));
    media.extend_from_slice(b"RTSP/1.0 200 OK\r\nCSeq: 7\r\nSession: 12345678\r\n\r\n");
    media.extend(frame(0, 40));
    let mut play = b"PLAY rtsp://192.168.1.64:554/Streaming/Channels/101/ RTSP/1.0\r\nCSeq: 6\r\nSession: 12345678\r\n".to_vec();
    play.extend_from_slice(DIGEST_AUTH);
    play.extend_from_slice(b"Range: npt=0.000-\r\n\r\n");
    vec![
        (S, b"OPTIONS rtsp://192.168.1.64:554/Streaming/Channels/101 RTSP/1.0\r\nCSeq: 1\r\nUser-Agent: LibVLC/3.0.16\r\n\r\n".to_vec()),
        (C, b"RTSP/1.0 200 OK\r\nCSeq: 1\r\nPublic: OPTIONS, DESCRIBE, PLAY, PAUSE, SETUP, TEARDOWN, SET_PARAMETER, GET_PARAMETER\r\nDate:  Wed, Jan 01 2020 00:00:00 GMT\r\n\r\n".to_vec()),
        (S, b"DESCRIBE rtsp://192.168.1.64:554/Streaming/Channels/101 RTSP/1.0\r\nCSeq: 2\r\nUser-Agent: LibVLC/3.0.16\r\nAccept: application/sdp\r\n\r\n".to_vec()),
        (C, b"RTSP/1.0 401 Unauthorized\r\nCSeq: 2\r\nWWW-Authenticate: Digest realm=\"IP Camera(21388)\", nonce=\"4b3e1a\", stale=\"FALSE\"\r\nWWW-Authenticate: Basic realm=\"IP Camera(21388)\"\r\nDate:  Wed, Jan 01 2020 00:00:00 GMT\r\n\r\n".to_vec()),
        (S, describe2),
        (C, describe_ok),
        (S, b"SETUP rtsp://192.168.1.64:554/Streaming/Channels/101/trackID=1 RTSP/1.0\r\nCSeq: 5\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n\r\n".to_vec()),
        (C, b"RTSP/1.0 200 OK\r\nCSeq: 5\r\nSession: 12345678;timeout=60\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1;ssrc=5f3a2c1b;mode=\"play\"\r\nServer: Hikvision-Webs\r\n\r\n".to_vec()),
        (S, play),
        (C, b"RTSP/1.0 200 OK\r\nCSeq: 6\r\nSession: 12345678\r\nRTP-Info: url=rtsp://192.168.1.64:554/Streaming/Channels/101/trackID=1;seq=1;rtptime=0\r\n\r\n".to_vec()),
        (C, frame(0, 200)),
        (S, frame(1, 52)),
        (S, b"GET_PARAMETER rtsp://192.168.1.64:554/Streaming/Channels/101/ RTSP/1.0\r\nCSeq: 7\r\nSession: 12345678\r\n\r\n".to_vec()),
        (C, media),
        (S, b"TEARDOWN rtsp://192.168.1.64:554/Streaming/Channels/101/ RTSP/1.0\r\nCSeq: 8\r\nSession: 12345678\r\n\r\n".to_vec()),
        (C, b"RTSP/1.0 200 OK\r\nCSeq: 8\r\n\r\n".to_vec()),
    ]
}

#[derive(Debug, PartialEq)]
enum Got {
    Plain(Vec<u8>, Vec<u8>, LoginOutcome),
    Digest(Vec<u8>, Vec<Vec<u8>>, LoginOutcome),
}

/// The credentials of completed transactions, and each one's method and
/// URI (the last instance of the buffers, empty when absent).
#[derive(Default)]
struct Seen {
    creds: Vec<(u64, Got)>,
    bufs: Vec<(Vec<u8>, Vec<u8>)>,
}

impl Inspect for Seen {
    fn inspect(&mut self, tx: &dyn AppTx) {
        if let Some(c) = tx.credential() {
            assert_eq!(c.service, "rtsp");
            let got = match c.secret {
                Secret::Plain(p) => Got::Plain(c.username.to_vec(), p.to_vec(), c.outcome),
                Secret::Digest(d) => {
                    let DigestParams {
                        method,
                        realm,
                        nonce,
                        uri,
                        qop,
                        nc,
                        cnonce,
                        algorithm,
                        response,
                    } = d;
                    let v = [
                        method, realm, nonce, uri, qop, nc, cnonce, algorithm, response,
                    ];
                    Got::Digest(
                        c.username.to_vec(),
                        v.iter().map(|s| s.to_vec()).collect(),
                        c.outcome,
                    )
                }
                Secret::None => panic!("no secret"),
            };
            self.creds.push((tx.id(), got));
        }
        let last = |name| buffer(tx, name).pop().unwrap_or_default();
        self.bufs.push((last("rtsp.method"), last("rtsp.uri")));
    }
}

type CredSink = Recording<Seen>;

#[test]
fn camera_session() {
    let owned = camera();
    let chunks: Vec<(Dir, &[u8])> = owned.iter().map(|(d, c)| (*d, &c[..])).collect();
    let out = assert_resegmentation(&SPEC, &chunks);
    assert!(out.events.is_empty(), "{:?}", out.events);
    let summary: Vec<(u64, &str, u64)> = out
        .txs
        .iter()
        .map(|t| {
            (
                t.id,
                t.log["method"].as_str().unwrap(),
                t.log["status"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (0, "OPTIONS", 200),
            (1, "DESCRIBE", 401),
            (2, "DESCRIBE", 200),
            (3, "SETUP", 200),
            (4, "PLAY", 200),
            (5, "GET_PARAMETER", 200),
            (6, "TEARDOWN", 200),
        ]
    );
    assert_eq!(
        out.txs[1].log,
        json!({"method": "DESCRIBE", "uri": "rtsp://192.168.1.64:554/Streaming/Channels/101",
               "cseq": 2, "status": 401, "user_agent": "LibVLC/3.0.16",
               "realm": "IP Camera(21388)"})
    );
    assert_eq!(
        out.txs[2].log,
        json!({"method": "DESCRIBE", "uri": "rtsp://192.168.1.64:554/Streaming/Channels/101",
               "cseq": 3, "status": 200, "user_agent": "LibVLC/3.0.16",
               "auth_scheme": "Digest", "username": "admin", "realm": "IP Camera(21388)",
               "content_type": "application/sdp", "content_length": 102})
    );
    assert_eq!(
        out.txs[3].log,
        json!({"method": "SETUP",
               "uri": "rtsp://192.168.1.64:554/Streaming/Channels/101/trackID=1",
               "cseq": 5, "status": 200, "server": "Hikvision-Webs", "session": "12345678",
               "transport": "RTP/AVP/TCP;unicast;interleaved=0-1;ssrc=5f3a2c1b;mode=\"play\""})
    );
    let all = serde_json::to_string(&out.txs.iter().map(|t| &t.log).collect::<Vec<_>>()).unwrap();
    assert!(!all.contains("0f2c6a5b"));
    // Each request was reported when it was complete.
    assert_eq!(out.updates, (0..7).map(|i| (i, S)).collect::<Vec<_>>());

    let mut p = RtspParser::default();
    let mut sink = CredSink::default();
    feed(&mut p, &mut sink, &chunks);
    p.finish(&mut sink);
    assert_eq!(p.frames, [1, 4]);
    let digest_of = |method: &[u8], uri: &[u8]| {
        vec![
            method.to_vec(),
            b"IP Camera(21388)".to_vec(),
            b"4b3e1a".to_vec(),
            uri.to_vec(),
            vec![],
            vec![],
            vec![],
            vec![],
            b"0f2c6a5b3d1e9c8b7a6f5e4d3c2b1a09".to_vec(),
        ]
    };
    let uri = b"rtsp://192.168.1.64:554/Streaming/Channels/101";
    assert_eq!(
        sink.creds,
        vec![
            (
                2,
                Got::Digest(
                    b"admin".to_vec(),
                    digest_of(b"DESCRIBE", uri),
                    LoginOutcome::Success
                )
            ),
            (
                4,
                Got::Digest(
                    b"admin".to_vec(),
                    digest_of(b"PLAY", uri),
                    LoginOutcome::Success
                )
            ),
        ]
    );
    assert_eq!(
        sink.bufs[0],
        (
            b"OPTIONS".to_vec(),
            b"rtsp://192.168.1.64:554/Streaming/Channels/101".to_vec()
        )
    );
}

#[test]
fn basic_auth_failure_then_success() {
    let chunks: &[(Dir, &[u8])] = &[
        (S, b"DESCRIBE rtsp://cam/live.sdp RTSP/1.0\r\nCSeq: 1\r\nAuthorization: Basic YWRtaW46MTIzNDU=\r\n\r\n"),
        (C, b"RTSP/1.0 401 Unauthorized\r\nCSeq: 1\r\nWWW-Authenticate: Basic realm=\"cam\"\r\n\r\n"),
        (S, b"DESCRIBE rtsp://cam/live.sdp RTSP/1.0\r\nCSeq: 2\r\nAuthorization: Basic YWRtaW46YWRtaW4=\r\n\r\n"),
        (C, b"RTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Length: 0\r\n\r\n"),
    ];
    let out = assert_resegmentation(&SPEC, chunks);
    assert_eq!(
        out.txs[0].log,
        json!({"method": "DESCRIBE", "uri": "rtsp://cam/live.sdp", "cseq": 1, "status": 401,
               "auth_scheme": "Basic", "username": "admin", "realm": "cam"})
    );
    assert_eq!(out.txs[1].log["content_length"], 0);
    let mut p = RtspParser::default();
    let mut sink = CredSink::default();
    feed(&mut p, &mut sink, chunks);
    assert_eq!(
        sink.creds,
        vec![
            (
                0,
                Got::Plain(b"admin".to_vec(), b"12345".to_vec(), LoginOutcome::Failure)
            ),
            (
                1,
                Got::Plain(b"admin".to_vec(), b"admin".to_vec(), LoginOutcome::Success)
            ),
        ]
    );
}

#[test]
fn cseq_pairing_and_server_requests() {
    let chunks: &[(Dir, &[u8])] = &[
        (S, b"OPTIONS * RTSP/1.0\r\nCSeq: 10\r\n\r\nDESCRIBE rtsp://a/ RTSP/1.0\r\nCSeq: 11\r\n\r\n"),
        // Answered out of order.
        (C, b"RTSP/1.0 404 Not Found\r\nCSeq: 11\r\n\r\nRTSP/1.0 200 OK\r\nCSeq: 10\r\n\r\n"),
        // The server asks, the client answers.
        (C, b"GET_PARAMETER rtsp://a/ RTSP/1.0\r\nCSeq: 1\r\n\r\n"),
        (S, b"RTSP/1.0 200 OK\r\nCSeq: 1\r\n\r\n"),
        // A response nobody asked for.
        (C, b"RTSP/1.0 200 OK\r\n\r\n"),
    ];
    let out = assert_resegmentation(&SPEC, chunks);
    let got: Vec<(u64, serde_json::Value, u64)> = out
        .txs
        .iter()
        .map(|t| {
            (
                t.id,
                t.log["method"].clone(),
                t.log["status"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (1, json!("DESCRIBE"), 404),
            (0, json!("OPTIONS"), 200),
            (2, json!("GET_PARAMETER"), 200),
            (3, serde_json::Value::Null, 200),
        ]
    );
    assert_eq!(out.updates, vec![(0, S), (1, S), (2, C)]);
}

#[test]
fn probe_rtsp() {
    use crate::Probe::*;
    let pr = |dir, data: &[u8], on_port| {
        (SPEC.probe)(&ProbeInput {
            dir,
            data,
            server_port: if on_port { 554 } else { 8080 },
            on_port,
        })
    };
    assert_eq!(
        pr(S, b"OPTIONS rtsp://a/ RTSP/1.0\r\nCSeq: 1\r\n", false),
        Match
    );
    assert_eq!(pr(S, b"OPTIONS * HTTP/1.1\r\n", false), NoMatch);
    assert_eq!(pr(S, b"GET_PARAM", false), NeedMore);
    assert_eq!(pr(S, b"DESCRIBE rtsp://a/", false), NeedMore);
    assert_eq!(pr(S, b"GET / HTTP/1.1\r\n", true), NoMatch);
    assert_eq!(pr(C, b"RTSP/1.0 200 OK\r\n", false), Match);
    assert_eq!(pr(C, b"RTS", false), NeedMore);
    assert_eq!(pr(C, b"HTTP/1.0 200 OK\r\n", true), NoMatch);
    assert_eq!(pr(C, b"$\x00\x05\xdc\x80\x60", true), Match);
    assert_eq!(pr(C, b"$\x00", true), NeedMore);
    assert_eq!(pr(C, b"$\x00\x05\xdc\x80\x60", false), NoMatch);
    let (p, out) = run_flow(
        crate::Transport::Tcp,
        8080,
        &[
            (S, b"PLAY rtsp://a/ RTSP/1.0\r\nCSeq: 4\r\n\r\n"),
            (C, b"RTSP/1.0 454 Session Not Found\r\nCSeq: 4\r\n\r\n"),
        ],
    );
    assert_eq!(p, Some("rtsp"));
    assert_eq!(out.txs[0].log["status"], 454);
}

#[test]
fn wire_helpers() {
    let mut st = 0;
    assert_eq!(find_head_end(&mut st, b"A\r\nB: c\r\n\r\nbody"), Some(11));
    assert_eq!(st, 0);
    assert_eq!(find_head_end(&mut st, b"A\nB\n"), None);
    assert_eq!(find_head_end(&mut st, b"\nX"), Some(1));
    assert_eq!(find_head_end(&mut st, b"A\r\n\r"), None);
    assert_eq!(find_head_end(&mut st, b"\n"), Some(1));
    let h = parse_head(
        b"SETUP rtsp://a/t=1 RTSP/1.0\r\nCSeq: 5\r\n  folded\r\nbad line\r\nX:y\r\n\r\n",
    )
    .unwrap();
    assert_eq!(
        h.start,
        StartLine::Request {
            method: b"SETUP",
            uri: b"rtsp://a/t=1"
        }
    );
    let hs: Vec<(&[u8], &[u8])> = h.headers().collect();
    assert_eq!(hs, vec![(&b"CSeq"[..], &b"5"[..]), (&b"X"[..], &b"y"[..])]);
    assert!(parse_head(b"RTSP/1.0 20 OK\r\n").is_none());
    assert!(parse_head(b"GET / HTTP/1.1\r\n").is_none());
    assert!(parse_head(b"play rtsp://a/ RTSP/1.0\r\n").is_none());
    assert_eq!(message_start(b"PLAY "), MessageStart::Yes);
    assert_eq!(message_start(b"PLA"), MessageStart::Maybe);
    assert_eq!(message_start(b"PLAYX"), MessageStart::No);
    assert_eq!(message_start(b"RTSP/"), MessageStart::Yes);
    // The Authorization / WWW-Authenticate views are HTTP's: tested in
    // crate::auth (`borrowed_views`).
}

#[test]
fn bounds_and_resync() {
    // An oversize head is skipped; the next message parses.
    let mut big = b"OPTIONS rtsp://a/ RTSP/1.0\r\n".to_vec();
    for _ in 0..(MAX_HEAD / 20) {
        big.extend_from_slice(b"X-Pad: 0123456789ab\r\n");
    }
    big.extend_from_slice(b"\r\nOPTIONS rtsp://b/ RTSP/1.0\r\nCSeq: 2\r\n\r\n");
    let out = run(&SPEC, &[(S, &big)]);
    assert_eq!(out.events, vec![(S, "rtsp.header_too_long")]);
    assert_eq!(out.txs.len(), 1);
    assert_eq!(out.txs[0].log["uri"], "rtsp://b/");
    let (first, second) = big.split_at(MAX_HEAD + 100);
    assert_eq!(run(&SPEC, &[(S, first), (S, second)]), out);
    // Garbage, then a message at a line start.
    let chunks: &[(Dir, &[u8])] = &[
        (S, b"HELLO there\r\n\r\nnoise\r\nPLA"),
        (S, b"Y rtsp://a/ RTSP/1.0\r\nCSeq: 3\r\n\r\n"),
    ];
    let out = assert_resegmentation(&SPEC, chunks);
    assert_eq!(out.events, vec![(S, "rtsp.invalid_message")]);
    assert_eq!(out.txs[0].log["method"], "PLAY");
    // A long body keeps its start.
    let mut ann = format!(
        "ANNOUNCE rtsp://a/ RTSP/1.0\r\nCSeq: 1\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n",
        MAX_BODY + 10
    )
    .into_bytes();
    ann.extend(std::iter::repeat_n(b'v', MAX_BODY + 10));
    ann.extend_from_slice(b"TEARDOWN rtsp://a/ RTSP/1.0\r\nCSeq: 2\r\n\r\n");
    let out = run(&SPEC, &[(S, &ann)]);
    assert_eq!(out.txs.len(), 2);
    assert_eq!(out.txs[0].events, vec!["rtsp.body_truncated"]);
    assert_eq!(out.txs[1].log["method"], "TEARDOWN");
    // Unanswered requests are bounded.
    let many = b"GET_PARAMETER rtsp://a/ RTSP/1.0\r\n\r\n".repeat(MAX_PENDING + 2);
    let out = run(&SPEC, &[(S, &many)]);
    assert_eq!(out.txs.len(), MAX_PENDING + 2);
    assert_eq!(out.events, vec![(S, "rtsp.too_many_transactions"); 2]);
}

#[test]
fn gaps_in_frames_keep_step() {
    let mut p = RtspParser::default();
    let mut out = Collect::default();
    let f = frame(0, 1000);
    // A gap inside a frame: the count goes on.
    feed(&mut p, &mut out, &[(C, &f[..100])]);
    p.gap(C, 500, &mut out);
    feed(
        &mut p,
        &mut out,
        &[
            (C, &f[600..]),
            (S, b"TEARDOWN rtsp://a/ RTSP/1.0\r\nCSeq: 9\r\n\r\n"),
        ],
    );
    feed(
        &mut p,
        &mut out,
        &[(C, b"RTSP/1.0 200 OK\r\nCSeq: 9\r\n\r\n")],
    );
    assert_eq!(out.txs.len(), 1);
    assert_eq!(out.txs[0].log["status"], 200);
    // A gap in a head: resynchronise at the next message line.
    p.gap(S, 10, &mut out);
    feed(
        &mut p,
        &mut out,
        &[(
            S,
            b"Seq: 10\r\n\r\nPAUSE rtsp://a/ RTSP/1.0\r\nCSeq: 11\r\n\r\n",
        )],
    );
    p.finish(&mut out);
    assert_eq!(out.txs.len(), 2);
    assert_eq!(out.txs[1].log["method"], "PAUSE");
}

#[test]
fn interleaved_media_is_skipped_cheaply() {
    // 2 MB of media in 1400-byte segments: every frame header lands at a
    // different offset of a segment.
    let mut stream = Vec::new();
    for i in 0..1500 {
        stream.extend(frame((i % 2) as u8, 1200 + (i % 300)));
    }
    stream.extend_from_slice(b"RTSP/1.0 200 OK\r\nCSeq: 9\r\n\r\n");
    let mut p = RtspParser::default();
    let mut out = Collect::default();
    feed(
        &mut p,
        &mut out,
        &[(S, b"TEARDOWN rtsp://a/ RTSP/1.0\r\nCSeq: 9\r\n\r\n")],
    );
    let segs: Vec<(Dir, &[u8])> = stream.chunks(1400).map(|c| (C, c)).collect();
    feed(&mut p, &mut out, &segs);
    assert_eq!(p.frames, [0, 1500]);
    assert_eq!(out.txs.len(), 1);
    assert_eq!(out.txs[0].log["method"], "TEARDOWN");
    assert!(out.events.is_empty());
}

/// ndpi/rtsp.pcap: VLC (LIVE555) playing from a VLC server on 8554, seven
/// connections. Expected values from
/// `tshark -2 -r rtsp.pcap -d tcp.port==8554,rtsp -Y rtsp -T fields
/// -e tcp.stream -e rtsp.method -e rtsp.url -e rtsp.status` (requests
/// repeated there once per segment are counted once): streams 1, 2, 4, 5
/// are OPTIONS, DESCRIBE, SETUP trackID=0, SETUP trackID=1, PLAY (each
/// 200) and an unanswered GET_PARAMETER; streams 3 and 6 end after PLAY;
/// stream 0 is one unanswered GET_PARAMETER.
#[test]
fn ndpi_capture() {
    let convs = from_pcap(&shared_pcap("ndpi/rtsp.pcap"));
    assert_eq!(convs.len(), 7);
    let base = "rtsp://10.2.2.2:8554/";
    let full: Vec<(String, String, Option<u64>)> = [
        ("OPTIONS", "", Some(200)),
        ("DESCRIBE", "", Some(200)),
        ("SETUP", "trackID=0", Some(200)),
        ("SETUP", "trackID=1", Some(200)),
        ("PLAY", "", Some(200)),
        ("GET_PARAMETER", "", None),
    ]
    .iter()
    .map(|(m, u, s)| (m.to_string(), format!("{base}{u}"), *s))
    .collect();
    let mut seen = Vec::new();
    for c in &convs {
        assert_eq!(c.server_port, 8554);
        let chunks = c.borrowed();
        let (proto, out) = run_flow(crate::Transport::Tcp, 8554, &chunks);
        assert_eq!(proto, Some("rtsp"));
        assert!(out.events.is_empty(), "{:?}", out.events);
        let got: Vec<(String, String, Option<u64>)> = out
            .txs
            .iter()
            .map(|t| {
                (
                    t.log["method"].as_str().unwrap().to_string(),
                    t.log["uri"].as_str().unwrap().to_string(),
                    t.log["status"].as_u64(),
                )
            })
            .collect();
        seen.push(got.len());
        match got.len() {
            1 => assert_eq!(got, full[5..]),
            5 => assert_eq!(got, full[..5]),
            _ => assert_eq!(got, full),
        }
        if got.len() >= 5 {
            let describe = &out.txs[1].log;
            assert_eq!(describe["server"], "VLC/3.0.12");
            assert_eq!(describe["content_type"], "application/sdp");
            assert_eq!(describe["content_length"], 695);
            assert_eq!(
                describe["user_agent"],
                "LibVLC/3.0.16 (LIVE555 Streaming Media v2016.11.28)"
            );
            assert!(out.txs[3].log["session"].as_str().unwrap().len() >= 15);
        }
    }
    seen.sort_unstable();
    assert_eq!(seen, vec![1, 5, 5, 6, 6, 6, 6]);
    // Every cut of the start of a session (OPTIONS, DESCRIBE with its SDP
    // body) gives the same records.
    let longest = convs.iter().max_by_key(|c| c.chunks.len()).unwrap();
    let chunks = longest.borrowed();
    let end = chunks
        .iter()
        .position(|(_, c)| c.starts_with(b"SETUP"))
        .unwrap();
    let out = assert_resegmentation(&SPEC, &chunks[..end]);
    let methods: Vec<&str> = out
        .txs
        .iter()
        .map(|t| t.log["method"].as_str().unwrap())
        .collect();
    assert_eq!(methods, vec!["OPTIONS", "DESCRIBE"]);
    assert_eq!(out.txs[1].log["content_length"], 695);
}
