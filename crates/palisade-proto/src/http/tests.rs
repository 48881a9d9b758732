use super::*;
use crate::buffers::BUFFERS;
use crate::conversations::{from_pcap, shared_pcap};
use crate::parser::{AppTx, Dir, LoginOutcome, Secret};
use crate::registry::PROTOCOLS;
use crate::testing::{
    assert_resegmentation, buffer, feed, run, run_flow, Inspect, Recording, XorShift,
};
use crate::Transport;
use flate2::write::{GzEncoder, ZlibEncoder};
use flate2::Compression;
use serde_json::json;
use std::collections::BTreeMap;
use std::io::Write;

const S: Dir = Dir::ToServer;
const C: Dir = Dir::ToClient;

fn gzip(d: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(d).unwrap();
    e.finish().unwrap()
}

fn zlib(d: &[u8]) -> Vec<u8> {
    let mut e = ZlibEncoder::new(Vec::new(), Compression::default());
    e.write_all(d).unwrap();
    e.finish().unwrap()
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// An owned copy of a credential, as the detectors would see it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Cred {
    username: Vec<u8>,
    plain: Option<Vec<u8>>,
    digest: Option<BTreeMap<&'static str, Vec<u8>>>,
    outcome: LoginOutcome,
}

/// What a test wants of each completed transaction: its buffers and its
/// credential (the usual records are in `Grab::out`).
#[derive(Default)]
struct Grabbed {
    bufs: Vec<BTreeMap<&'static str, Vec<Vec<u8>>>>,
    creds: Vec<Option<Cred>>,
}

type Grab = Recording<Grabbed>;

impl Inspect for Grabbed {
    fn inspect(&mut self, tx: &dyn AppTx) {
        let mut m = BTreeMap::new();
        for b in BUFFERS
            .iter()
            .filter(|b| b.app_proto == "http" || b.name == "file.data")
        {
            let v = buffer(tx, b.name);
            if !v.is_empty() {
                m.insert(b.name, v);
            }
        }
        self.bufs.push(m);
        self.creds.push(tx.credential().map(|c| Cred {
            username: c.username.to_vec(),
            plain: match c.secret {
                Secret::Plain(p) => Some(p.to_vec()),
                _ => None,
            },
            digest: match c.secret {
                Secret::Digest(d) => Some(BTreeMap::from([
                    ("method", d.method.to_vec()),
                    ("realm", d.realm.to_vec()),
                    ("nonce", d.nonce.to_vec()),
                    ("uri", d.uri.to_vec()),
                    ("qop", d.qop.to_vec()),
                    ("nc", d.nc.to_vec()),
                    ("cnonce", d.cnonce.to_vec()),
                    ("algorithm", d.algorithm.to_vec()),
                    ("response", d.response.to_vec()),
                ])),
                _ => None,
            },
            outcome: c.outcome,
        }));
    }
}

/// Chunks fed to a parser; `None` is a gap of the given length.
fn grab_with_gaps(chunks: &[(Dir, Option<&[u8]>, u64)]) -> Grab {
    let mut p = (SPEC.new_parser)();
    let mut g = Grab::default();
    for &(dir, data, gap) in chunks {
        match data {
            Some(d) => feed(p.as_mut(), &mut g, &[(dir, d)]),
            None => p.gap(dir, gap, &mut g),
        }
    }
    p.finish(&mut g);
    g
}

fn grab(chunks: &[(Dir, &[u8])]) -> Grab {
    let v: Vec<(Dir, Option<&[u8]>, u64)> = chunks.iter().map(|(d, c)| (*d, Some(*c), 0)).collect();
    grab_with_gaps(&v)
}

fn buf<'a>(g: &'a Grab, tx: usize, name: &str) -> Vec<&'a [u8]> {
    g.bufs[tx]
        .get(name)
        .map(|v| v.iter().map(|x| &x[..]).collect())
        .unwrap_or_default()
}

fn one<'a>(g: &'a Grab, tx: usize, name: &str) -> &'a [u8] {
    let v = buf(g, tx, name);
    assert_eq!(v.len(), 1, "{name}: {v:?}");
    v[0]
}

const REQ: &[u8] = b"GET /index.html?a=1 HTTP/1.1\r\n\
Host: Example.COM:8080\r\n\
User-Agent: curl/8.0\r\n\
Accept: */*\r\n\
Accept-Encoding: gzip\r\n\
Accept-Language: en\r\n\
Referer: http://example.com/\r\n\
Cookie: session=abc\r\n\
Connection: keep-alive\r\n\
X-Forwarded-For: 10.0.0.1\r\n\
\r\n";

const RESP: &[u8] = b"HTTP/1.1 302 Found\r\n\
Server: lighttpd/1.4\r\n\
Location: /login.html\r\n\
Content-Type: text/html; charset=UTF-8\r\n\
Set-Cookie: id=1\r\n\
Content-Length: 5\r\n\
\r\n\
hello";

// ---------------------------------------------------------------- probe

fn probe_of(data: &[u8]) -> Probe {
    (SPEC.probe)(&ProbeInput {
        dir: S,
        data,
        server_port: 80,
        on_port: true,
    })
}

#[test]
fn probe_requests_responses_and_not_rtsp() {
    assert_eq!(probe_of(b"GET / HTTP/1.1\r\n"), Probe::Match);
    assert_eq!(probe_of(b"\r\nPOST /x HTTP/1.0\n"), Probe::Match);
    assert_eq!(probe_of(b"FOOBAR /x HTTP/1.1\r\n"), Probe::Match);
    assert_eq!(probe_of(b"HTTP/1.1 200 OK\r\n"), Probe::Match);
    assert_eq!(probe_of(b"HTTP/1."), Probe::Match);
    for prefix in [
        &b"G"[..],
        b"GET",
        b"GET ",
        b"GET /index",
        b"HTTP/",
        b"H",
        b"\r\n",
    ] {
        assert_eq!(probe_of(prefix), Probe::NeedMore, "{prefix:?}");
    }
    assert_eq!(probe_of(b"OPTIONS rtsp://h/ RTSP/1.0\r\n"), Probe::NoMatch);
    assert_eq!(probe_of(b"OPTIONS rtsp://h/ RTSP/1.0"), Probe::NoMatch);
    assert_eq!(probe_of(b"RTSP/1.0 200 OK\r\n"), Probe::NoMatch);
    assert_eq!(probe_of(b"INVITE sip:a@b SIP/2.0\r\n"), Probe::NoMatch);
    assert_eq!(probe_of(b"SSH-2.0-x\r\n"), Probe::NoMatch);
    assert_eq!(probe_of(b"\x16\x03\x01\x02\x00"), Probe::NoMatch);
    assert_eq!(probe_of(b"GET /\x00\x01 HTTP/1.1"), Probe::NoMatch);
    assert_eq!(probe_of(b"GET / FTP/1.0\r\n"), Probe::NoMatch);
    // A long URI without its version yet: HTTP-only methods match.
    let mut long = b"GET /".to_vec();
    long.extend(std::iter::repeat_n(b'a', 2000));
    assert_eq!(probe_of(&long), Probe::Match);
    long[..3].copy_from_slice(b"XYZ");
    assert_eq!(probe_of(&long), Probe::NeedMore);
}

#[test]
fn identified_on_and_off_port_tcp_only() {
    for port in [80, 7547, 12345] {
        let (proto, out) = run_flow(
            Transport::Tcp,
            port,
            &[(S, &REQ[..3]), (S, &REQ[3..]), (C, RESP)],
        );
        assert_eq!(proto, Some("http"), "port {port}");
        assert_eq!(out.txs.len(), 1);
    }
    // Response first (one-sided capture).
    let (proto, _) = run_flow(Transport::Tcp, 8080, &[(C, RESP)]);
    assert_eq!(proto, Some("http"));
    // SSDP is HTTP over UDP: not this protocol.
    let (proto, _) = run_flow(
        Transport::Udp,
        1900,
        &[(
            S,
            b"M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\n\r\n",
        )],
    );
    // HTTP is TCP only: over UDP this is SSDP's.
    assert_eq!(proto, Some("ssdp"));
}

#[test]
fn real_rtsp_and_ssdp_captures_are_not_http() {
    for pcap in [
        "ndpi/rtsp.pcap",
        "ndpi/ssdp-m-search.pcap",
        "ndpi/upnp.pcap",
    ] {
        let convs = from_pcap(&shared_pcap(pcap));
        assert!(!convs.is_empty(), "{pcap}");
        for c in &convs {
            let (proto, _) = run_flow(c.transport, c.server_port, &c.borrowed());
            assert_ne!(proto, Some("http"), "{pcap} flow {}", c.flow_id);
        }
    }
}

// ---------------------------------------------------------------- basics

#[test]
fn request_response_eve_and_buffers() {
    let out = assert_resegmentation(&SPEC, &[(S, REQ), (C, RESP)]);
    assert_eq!(out.txs.len(), 1);
    assert_eq!(
        out.txs[0].log,
        json!({
            "hostname": "example.com",
            "http_port": 8080,
            "url": "/index.html?a=1",
            "http_user_agent": "curl/8.0",
            "xff": "10.0.0.1",
            "http_content_type": "text/html",
            "http_refer": "http://example.com/",
            "http_method": "GET",
            "protocol": "HTTP/1.1",
            "status": 302,
            "redirect": "/login.html",
            "length": 5,
        })
    );
    assert_eq!(out.updates, vec![(0, S)]);
    assert!(out.txs[0].events.is_empty(), "{:?}", out.txs[0].events);
    assert_eq!(out.txs[0].event_type, "http");

    let g = grab(&[(S, REQ), (C, RESP)]);
    assert_eq!(one(&g, 0, "http.uri"), b"/index.html?a=1");
    assert_eq!(one(&g, 0, "http.uri.raw"), b"/index.html?a=1");
    assert_eq!(one(&g, 0, "http.method"), b"GET");
    assert_eq!(
        buf(&g, 0, "http.protocol"),
        vec![&b"HTTP/1.1"[..], b"HTTP/1.1"]
    );
    assert_eq!(
        one(&g, 0, "http.request_line"),
        b"GET /index.html?a=1 HTTP/1.1"
    );
    assert_eq!(one(&g, 0, "http.host"), b"example.com");
    assert_eq!(one(&g, 0, "http.host.raw"), b"Example.COM:8080");
    assert_eq!(one(&g, 0, "http.user_agent"), b"curl/8.0");
    assert_eq!(one(&g, 0, "http.accept"), b"*/*");
    assert_eq!(one(&g, 0, "http.accept_enc"), b"gzip");
    assert_eq!(one(&g, 0, "http.accept_lang"), b"en");
    assert_eq!(one(&g, 0, "http.referer"), b"http://example.com/");
    assert_eq!(
        buf(&g, 0, "http.cookie"),
        vec![&b"session=abc"[..], b"id=1"]
    );
    assert_eq!(buf(&g, 0, "http.connection"), vec![&b"keep-alive"[..]]);
    assert_eq!(one(&g, 0, "http.stat_code"), b"302");
    assert_eq!(one(&g, 0, "http.stat_msg"), b"Found");
    assert_eq!(one(&g, 0, "http.response_line"), b"HTTP/1.1 302 Found");
    assert_eq!(one(&g, 0, "http.server"), b"lighttpd/1.4");
    assert_eq!(one(&g, 0, "http.location"), b"/login.html");
    assert_eq!(one(&g, 0, "http.content_type"), b"text/html; charset=UTF-8");
    assert_eq!(one(&g, 0, "http.content_len"), b"5");
    assert_eq!(one(&g, 0, "http.response_body"), b"hello");
    assert_eq!(one(&g, 0, "file.data"), b"hello");
    assert!(buf(&g, 0, "http.request_body").is_empty());
    assert!(buf(&g, 0, "http.header.authorization").is_empty());
    // Normalised headers: Cookie / Set-Cookie left out, no final CRLF.
    let hdr = buf(&g, 0, "http.header");
    assert_eq!(
        hdr[0],
        &b"Host: Example.COM:8080\r\nUser-Agent: curl/8.0\r\nAccept: */*\r\n\
Accept-Encoding: gzip\r\nAccept-Language: en\r\nReferer: http://example.com/\r\n\
Connection: keep-alive\r\nX-Forwarded-For: 10.0.0.1\r\n"[..]
    );
    assert_eq!(
        hdr[1],
        &b"Server: lighttpd/1.4\r\nLocation: /login.html\r\n\
Content-Type: text/html; charset=UTF-8\r\nContent-Length: 5\r\n"[..]
    );
    let raw = buf(&g, 0, "http.header.raw");
    assert_eq!(
        raw[0],
        &REQ[REQ.iter().position(|&b| b == b'\n').unwrap() + 1..]
    );
    assert!(raw[1].starts_with(b"Server: lighttpd/1.4\r\n") && raw[1].ends_with(b"\r\n\r\n"));
    let names = buf(&g, 0, "http.header_names");
    assert_eq!(
        names[1],
        &b"\r\nServer\r\nLocation\r\nContent-Type\r\nSet-Cookie\r\nContent-Length\r\n\r\n"[..]
    );
    let start = buf(&g, 0, "http.start");
    assert!(start[0].starts_with(b"GET /index.html?a=1 HTTP/1.1\r\nHost: Example.COM:8080\r\n"));
    assert!(start[0].ends_with(
        b"Cookie: session=abc\r\nConnection: keep-alive\r\nX-Forwarded-For: 10.0.0.1\r\n\r\n"
    ));
    assert_eq!(g.creds[0], None);
}

#[test]
fn tolerant_request_lines() {
    // Bare LF, lowercase and unknown methods, tabs, spaces in the URI,
    // leading empty lines, absolute URI.
    let reqs: &[u8] = b"\r\n\r\nget /a b\tHTTP/1.0\n\nNOTIFY /upnp/event HTTP/1.1\nHost: h\n\n\
GET http://User@Cam.Local:81/x/../cgi-bin/%2e%2e/y.cgi HTTP/1.1\r\nHost: cam.local:81\r\n\r\n";
    let out = assert_resegmentation(&SPEC, &[(S, reqs)]);
    assert_eq!(out.txs.len(), 3);
    assert_eq!(out.txs[0].log["http_method"], "get");
    assert_eq!(out.txs[0].log["url"], "/a b");
    assert_eq!(out.txs[0].events, vec!["http.uri_delim_non_compliant"]);
    assert_eq!(out.txs[1].log["http_method"], "NOTIFY");
    assert_eq!(out.txs[2].log["hostname"], "cam.local");
    assert_eq!(out.txs[2].log["http_port"], 81);
    assert!(out.txs[2].events.is_empty(), "{:?}", out.txs[2].events);
    let g = grab(&[(S, reqs)]);
    assert_eq!(one(&g, 2, "http.uri"), b"/y.cgi");
    assert_eq!(one(&g, 2, "http.host"), b"cam.local");
    assert!(out.events.is_empty());
}

#[test]
fn pipelined_requests_pair_in_order() {
    let reqs = b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\n\
POST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc\
HEAD /3 HTTP/1.1\r\nHost: a\r\n\r\n";
    let resps = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nr1\
HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nr2\r\n0\r\n\r\n\
HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n";
    let out = assert_resegmentation(&SPEC, &[(S, reqs), (C, resps)]);
    let ids: Vec<u64> = out.txs.iter().map(|t| t.id).collect();
    assert_eq!(ids, vec![0, 1, 2]);
    let urls: Vec<_> = out.txs.iter().map(|t| t.log["url"].clone()).collect();
    assert_eq!(urls, vec!["/1", "/2", "/3"]);
    let st: Vec<_> = out.txs.iter().map(|t| t.log["status"].clone()).collect();
    assert_eq!(st, vec![200, 201, 200]);
    // HEAD: the Content-Length of the answer announces no body.
    assert_eq!(out.txs[2].log["length"], 0);
    assert_eq!(out.updates, vec![(0, S), (1, S), (2, S)]);
    let g = grab(&[(S, reqs), (C, resps)]);
    assert_eq!(one(&g, 1, "http.request_body"), b"abc");
    assert_eq!(buf(&g, 1, "file.data"), vec![&b"r2"[..], b"abc"]);
    // Requests and responses interleaved one by one.
    let chunks: Vec<(Dir, &[u8])> = vec![
        (S, b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"),
        (C, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
        (S, b"GET /2 HTTP/1.1\r\nHost: a\r\n\r\n"),
        (C, b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"),
    ];
    let out = assert_resegmentation(&SPEC, &chunks);
    assert_eq!(out.txs.len(), 2);
    assert_eq!(out.txs[1].log["status"], 404);
}

#[test]
fn bodies_length_chunked_until_close() {
    let chunks: Vec<(Dir, &[u8])> = vec![
        (
            S,
            b"POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nab",
        ),
        (S, b"cd\r\n3;ext=1\r\nefg\r\n0\r\nX-Trailer: t\r\n\r\n"),
        (
            C,
            b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil ",
        ),
        (C, b"the end"),
    ];
    let out = assert_resegmentation(&SPEC, &chunks);
    assert_eq!(out.txs.len(), 1);
    assert_eq!(out.txs[0].log["length"], 13);
    let g = grab(&chunks);
    assert_eq!(one(&g, 0, "http.request_body"), b"abcdefg");
    assert_eq!(one(&g, 0, "http.response_body"), b"until the end");
    // The trailer joins the request's headers.
    assert!(buf(&g, 0, "http.header")[0].ends_with(b"X-Trailer: t\r\n"));
    assert!(buf(&g, 0, "http.header.raw")[0].ends_with(b"X-Trailer: t\r\n\r\n"));
    // Bare LF chunk framing.
    let out = assert_resegmentation(
        &SPEC,
        &[(
            C,
            b"HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n3\nabc\n0\n\n",
        )],
    );
    assert_eq!(out.txs[0].log["length"], 3);
}

#[test]
fn no_body_statuses_and_interim_responses() {
    let reqs = b"GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n\
POST /c HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok";
    let resps = b"HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n\
HTTP/1.1 204 No Content\r\n\r\n\
HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK";
    let out = assert_resegmentation(&SPEC, &[(S, reqs), (C, resps)]);
    let st: Vec<_> = out.txs.iter().map(|t| t.log["status"].clone()).collect();
    assert_eq!(st, vec![304, 204, 200]);
    assert_eq!(out.txs[2].log["length"], 2);
    assert!(out.txs.iter().all(|t| t.events.is_empty()));
}

#[test]
fn gzip_and_deflate_bodies_any_segmentation() {
    let page: Vec<u8> = (0..300)
        .flat_map(|i| format!("<p>row {i}</p>\n").into_bytes())
        .collect();
    let gz = gzip(&page);
    // gzip inside chunked framing, split into odd chunks.
    let mut resp =
        b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for c in gz.chunks(100) {
        resp.extend_from_slice(format!("{:x}\r\n", c.len()).as_bytes());
        resp.extend_from_slice(c);
        resp.extend_from_slice(b"\r\n");
    }
    resp.extend_from_slice(b"0\r\n\r\n");
    let zl = zlib(b"user=admin&pass=x");
    let req = cat(&[
        format!(
            "POST /login HTTP/1.1\r\nHost: h\r\nContent-Encoding: deflate\r\nContent-Length: {}\r\n\r\n",
            zl.len()
        )
        .as_bytes(),
        &zl,
    ]);
    let chunks: Vec<(Dir, &[u8])> = vec![(S, &req), (C, &resp)];
    let out = assert_resegmentation(&SPEC, &chunks);
    assert_eq!(out.txs.len(), 1);
    assert!(out.txs[0].events.is_empty(), "{:?}", out.txs[0].events);
    assert_eq!(out.txs[0].log["length"], gz.len());
    let g = grab(&chunks);
    assert_eq!(one(&g, 0, "http.response_body"), &page[..]);
    assert_eq!(one(&g, 0, "http.request_body"), b"user=admin&pass=x");
}

#[test]
fn corrupt_gzip_raises_event_and_keeps_raw() {
    let resp: &[u8] =
        b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 12\r\n\r\nnot gzipped!";
    let out = assert_resegmentation(&SPEC, &[(C, resp)]);
    assert_eq!(
        out.txs[0].events,
        vec![
            "http.unable_to_match_response_to_request",
            "http.gzip_decompression_failed"
        ]
    );
    let g = grab(&[(C, resp)]);
    assert_eq!(one(&g, 0, "http.response_body"), b"not gzipped!");
}

#[test]
fn header_folding_duplicates_and_case() {
    let req: &[u8] = b"GET / HTTP/1.1\r\nhost: h\r\nX-Long: one\r\n  two\r\n\tthree\r\n\
X-Dup: a\r\nx-dup: b\r\nCONTENT-TYPE: text/plain\r\n\r\n";
    let out = assert_resegmentation(&SPEC, &[(S, req)]);
    assert_eq!(out.txs[0].events, vec!["http.request_header_repetition"]);
    let g = grab(&[(S, req)]);
    assert_eq!(
        buf(&g, 0, "http.header")[0],
        b"host: h\r\nX-Long: one two three\r\nX-Dup: a, b\r\nCONTENT-TYPE: text/plain\r\n"
    );
    assert_eq!(one(&g, 0, "http.content_type"), b"text/plain");
    assert_eq!(one(&g, 0, "http.host"), b"h");
    assert_eq!(
        one(&g, 0, "http.header_names"),
        b"\r\nhost\r\nX-Long\r\nX-Dup\r\nCONTENT-TYPE\r\n\r\n"
    );
}

#[test]
fn malformed_heads_raise_events() {
    let req: &[u8] = b"GET / HTTP/1.1\r\n: empty\r\nno colon here\r\n  folded-first\r\n\r\n";
    let out = assert_resegmentation(&SPEC, &[(S, req)]);
    assert_eq!(
        out.txs[0].events,
        vec![
            "http.request_header_invalid",
            "http.request_field_missing_colon",
            "http.missing_host_header",
        ]
    );
    // Folding right after the request line has nothing to extend.
    let out = run(&SPEC, &[(S, b"GET / HTTP/1.0\r\n folded\r\n\r\n")]);
    assert_eq!(
        out.txs[0].events,
        vec!["http.invalid_request_field_folding"]
    );
    // Framing errors.
    let out = run(
        &SPEC,
        &[
            (
                S,
                b"POST / HTTP/1.0\r\nContent-Length: 12x\r\nTransfer-Encoding: gzip\r\n\r\n",
            ),
            (
                C,
                b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\ncontent-length: 2\r\n\r\nx",
            ),
        ],
    );
    assert_eq!(
        out.txs[0].events,
        vec![
            "http.invalid_transfer_encoding_value_in_request",
            "http.invalid_content_length_field_in_request",
            "http.response_header_repetition",
            "http.duplicate_content_length_field_in_response",
        ]
    );
    assert_eq!(out.txs[0].log["length"], 1);
    // A bad chunk size ends the body; the next request is still found.
    let out = assert_resegmentation(
        &SPEC,
        &[(
            S,
            b"POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\ngarbage\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n",
        )],
    );
    assert_eq!(out.txs.len(), 2);
    assert_eq!(out.txs[0].events, vec!["http.invalid_request_chunk_len"]);
    assert_eq!(out.txs[1].log["url"], "/b");
    // Garbage where a request line should be.
    let out = assert_resegmentation(
        &SPEC,
        &[(
            S,
            b"\x16\x03\x01garbage\r\nmore garbage\r\nGET /ok HTTP/1.1\r\nHost: h\r\n\r\n",
        )],
    );
    assert_eq!(out.events, vec![(S, "http.request_line_invalid")]);
    assert_eq!(out.txs.len(), 1);
    // Status line oddities.
    let out = run(
        &SPEC,
        &[(
            C,
            b"HTTP/1.1 2xx Odd\r\nContent-Length: 0\r\n\r\nnot http\r\n",
        )],
    );
    assert_eq!(out.txs[0].log["status_string"], "2xx");
    assert!(out.txs[0].events.contains(&"http.response_invalid_status"));
    assert_eq!(out.events, vec![(C, "http.response_invalid_protocol")]);
}

// ---------------------------------------------------------------- one-sided

#[test]
fn response_only_flow() {
    let resps = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc\
HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"Camera\"\r\nContent-Length: 0\r\n\r\n";
    let out = assert_resegmentation(&SPEC, &[(C, resps)]);
    assert_eq!(out.txs.len(), 2);
    assert_eq!(
        out.txs[1].log,
        json!({
            "status": 401,
            "length": 0,
            "www_authenticate": {"scheme": "basic", "realm": "Camera"},
        })
    );
    assert_eq!(
        out.txs[0].events,
        vec!["http.unable_to_match_response_to_request"]
    );
    assert!(out.updates.is_empty());
}

#[test]
fn requests_without_response_complete_at_finish() {
    let reqs = b"GET /a HTTP/1.1\r\nHost: h\r\n\r\nPOST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\npartial";
    let out = assert_resegmentation(&SPEC, &[(S, reqs)]);
    assert_eq!(out.txs.len(), 2);
    assert_eq!(out.updates, vec![(0, S)]);
    assert_eq!(out.txs[1].log["url"], "/b");
    assert_eq!(out.txs[1].log["length"], 0);
    // A head cut by the end of the flow is still reported.
    let out = run(
        &SPEC,
        &[(S, b"GET /cut HTTP/1.1\r\nHost: h\r\nUser-Agent: x\r\n")],
    );
    assert_eq!(out.txs.len(), 1);
    assert_eq!(out.txs[0].log["http_user_agent"], "x");
}

// ---------------------------------------------------------------- credentials

#[test]
fn basic_credentials_rfc2617() {
    let req: &[u8] = b"GET /private/index.html HTTP/1.1\r\nHost: cam\r\n\
Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n\r\n";
    for (resp, outcome) in [
        (
            Some(&b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"[..]),
            LoginOutcome::Success,
        ),
        (
            Some(b"HTTP/1.1 301 Moved\r\nContent-Length: 0\r\n\r\n"),
            LoginOutcome::Success,
        ),
        (
            Some(b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n"),
            LoginOutcome::Failure,
        ),
        (
            Some(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"),
            LoginOutcome::Failure,
        ),
        (
            Some(b"HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n"),
            LoginOutcome::Unknown,
        ),
        (None, LoginOutcome::Unknown),
    ] {
        let mut chunks = vec![(S, req)];
        chunks.extend(resp.map(|r| (C, r)));
        let g = grab(&chunks);
        assert_eq!(
            g.creds[0],
            Some(Cred {
                username: b"Aladdin".to_vec(),
                plain: Some(b"open sesame".to_vec()),
                digest: None,
                outcome,
            })
        );
        assert_eq!(
            one(&g, 0, "http.header.authorization"),
            b"Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
        let log = &g.out.txs[0].log;
        assert_eq!(
            log["http_auth"],
            json!({"scheme": "basic", "username": "Aladdin", "password_present": true, "password_length": 11})
        );
        // The password appears nowhere in the record.
        assert!(!log.to_string().contains("sesame"));
        assert!(!log.to_string().contains("QWxhZGRpbjpvcGVuIHNlc2FtZQ"));
    }
    // Proxy-Authorization, and 407.
    let g = grab(&[
        (S, b"GET http://x/ HTTP/1.1\r\nHost: x\r\nProxy-Authorization: Basic YWRtaW46YWRtaW4=\r\n\r\n"),
        (C, b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n"),
    ]);
    let c = g.creds[0].clone().unwrap();
    assert_eq!(
        (c.username, c.plain, c.outcome),
        (
            b"admin".to_vec(),
            Some(b"admin".to_vec()),
            LoginOutcome::Failure
        )
    );
    assert_eq!(g.out.txs[0].log["http_auth"]["proxy"], true);
}

#[test]
fn digest_credentials_rfc2617_example() {
    use md5::{Digest, Md5};
    // RFC 2617 §3.5, header folded over several lines as in the RFC.
    let lines = [
        "GET /dir/index.html HTTP/1.1",
        "Host: testrealm.example",
        "Authorization: Digest username=\"Mufasa\",",
        "                 realm=\"testrealm@host.com\",",
        "                 nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\",",
        "                 uri=\"/dir/index.html\",",
        "                 qop=auth,",
        "                 nc=00000001,",
        "                 cnonce=\"0a4f113b\",",
        "                 response=\"6629fae49393a05397450978507c4ef1\",",
        "                 opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"",
        "",
        "",
    ];
    let req = lines.join("\r\n");
    let req = req.as_bytes();
    let resp: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    assert_resegmentation(&SPEC, &[(S, req), (C, resp)]);
    let g = grab(&[(S, req), (C, resp)]);
    let c = g.creds[0].clone().unwrap();
    assert_eq!(c.username, b"Mufasa");
    assert_eq!(c.outcome, LoginOutcome::Success);
    let d = c.digest.unwrap();
    assert_eq!(d["method"], b"GET");
    assert_eq!(d["realm"], b"testrealm@host.com");
    assert_eq!(d["nonce"], b"dcd98b7102dd2f0e8b11d0f600bfb0c093");
    assert_eq!(d["uri"], b"/dir/index.html");
    assert_eq!(d["qop"], b"auth");
    assert_eq!(d["nc"], b"00000001");
    assert_eq!(d["cnonce"], b"0a4f113b");
    assert_eq!(d["algorithm"], b"");
    assert_eq!(d["response"], b"6629fae49393a05397450978507c4ef1");
    // The parameters are enough to test the RFC's password.
    let hex = |b: &[u8]| -> String { Md5::digest(b).iter().map(|x| format!("{x:02x}")).collect() };
    let ha1 = hex(b"Mufasa:testrealm@host.com:Circle Of Life");
    let ha2 = hex(&cat(&[&d["method"], b":", &d["uri"]]));
    let r = hex(&cat(&[
        ha1.as_bytes(),
        b":",
        &d["nonce"],
        b":",
        &d["nc"],
        b":",
        &d["cnonce"],
        b":",
        &d["qop"],
        b":",
        ha2.as_bytes(),
    ]));
    assert_eq!(r.as_bytes(), &d["response"][..]);
    let log = &g.out.txs[0].log;
    assert_eq!(
        log["http_auth"],
        json!({"scheme": "digest", "username": "Mufasa", "realm": "testrealm@host.com",
               "uri": "/dir/index.html", "qop": "auth", "response_present": true})
    );
    assert!(!log.to_string().contains("6629fae4"));
}

#[test]
fn other_auth_schemes_and_url_passwords() {
    let out = run(
        &SPEC,
        &[(S, b"GET http://root:toor@10.0.0.1/ HTTP/1.1\r\nHost: 10.0.0.1\r\nAuthorization: NTLM TlRMTVNTUAABAAAA\r\n\r\n")],
    );
    assert_eq!(out.txs[0].log["url"], "http://root:***@10.0.0.1/");
    assert_eq!(out.txs[0].log["http_auth"], json!({"scheme": "ntlm"}));
    assert_eq!(out.txs[0].events, vec!["http.request_auth_unrecognized"]);
    let g = grab(&[(
        S,
        b"GET / HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer eyJ\r\n\r\n",
    )]);
    assert_eq!(g.creds[0], None);
}

#[test]
fn header_arrays_when_switched_on() {
    let _on = log::test_headers(true);
    let req: &[u8] = b"GET / HTTP/1.1\r\nHost: h\r\nAuthorization: Basic YWRtaW46c2VjcmV0\r\n\r\n";
    let out = run(&SPEC, &[(S, req), (C, RESP)]);
    let log = &out.txs[0].log;
    assert_eq!(
        log["request_headers"],
        json!([{"name": "Host", "value": "h"}, {"name": "Authorization", "value": "Basic [redacted]"}])
    );
    assert_eq!(
        log["response_headers"][0],
        json!({"name": "Server", "value": "lighttpd/1.4"})
    );
    assert_eq!(log["response_headers"].as_array().unwrap().len(), 5);
    assert!(!log.to_string().contains("YWRtaW46c2VjcmV0"));
    drop(_on);
    let out = run(&SPEC, &[(S, req)]);
    assert!(out.txs[0].log.get("request_headers").is_none());
}

// ---------------------------------------------------------------- bounds

#[test]
fn long_lines_and_endless_headers_stay_bounded() {
    // A URI longer than a line: cut, the rest skipped, parsing goes on.
    let long = cat(&[
        b"GET /",
        &vec![b'A'; MAX_LINE + 5000],
        b" HTTP/1.1\r\nHost: h\r\n\r\n",
    ]);
    let out = run(
        &SPEC,
        &[
            (S, &long),
            (C, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
        ],
    );
    assert_eq!(out.txs.len(), 1);
    assert_eq!(out.txs[0].events, vec!["http.request_field_too_long"]);
    assert_eq!(out.txs[0].log["status"], 200);
    assert_eq!(out.txs[0].log["url"].as_str().unwrap().len(), MAX_LINE - 4);
    // Endless headers without the end of the head.
    let mut p = (SPEC.new_parser)();
    let mut g = Grab::default();
    feed(p.as_mut(), &mut g, &[(S, b"GET / HTTP/1.1\r\n")]);
    for i in 0..20_000 {
        let h = format!("X-H{i}: {}\r\n", "v".repeat(20));
        feed(p.as_mut(), &mut g, &[(S, h.as_bytes())]);
    }
    feed(p.as_mut(), &mut g, &[(S, b"\r\n")]);
    p.finish(&mut g);
    assert_eq!(g.out.txs.len(), 1);
    assert_eq!(
        g.out.txs[0].events,
        vec![
            "http.request_too_many_headers",
            "http.request_field_too_long",
            "http.missing_host_header"
        ]
    );
    assert!(buf(&g, 0, "http.header.raw")[0].len() <= MAX_HEAD);
    assert!(buf(&g, 0, "http.header_names")[0].len() < MAX_HEAD);
    // A header line without end.
    let out = run(
        &SPEC,
        &[(S, b"GET / HTTP/1.0\r\nX: "), (S, &vec![b'y'; 200_000])],
    );
    assert_eq!(out.txs.len(), 1);
    assert_eq!(out.txs[0].events, vec!["http.request_field_too_long"]);
}

#[test]
fn huge_lengths_and_big_bodies_stay_bounded() {
    // A body far bigger than what is kept, in pieces.
    let mut chunks: Vec<(Dir, Vec<u8>)> = vec![(
        C,
        b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999\r\n\r\n".to_vec(),
    )];
    for _ in 0..50 {
        chunks.push((C, vec![b'z'; 10_000]));
    }
    let borrowed: Vec<(Dir, &[u8])> = chunks.iter().map(|(d, c)| (*d, &c[..])).collect();
    let g = grab(&borrowed);
    assert_eq!(g.out.txs.len(), 1);
    assert_eq!(g.out.txs[0].log["length"], 500_000);
    assert_eq!(one(&g, 0, "http.response_body").len(), RESPONSE_BODY_LIMIT);
    assert!(g.out.txs[0].events.contains(&"http.body_truncated"));
    // Chunk sizes that overflow are invalid, not huge allocations.
    let out = run(
        &SPEC,
        &[(
            C,
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\nabc",
        )],
    );
    assert!(out.txs[0]
        .events
        .contains(&"http.invalid_response_chunk_len"));
    // A gzip bomb is cut at the decompression limit.
    let bomb = gzip(&vec![0u8; 8 << 20]);
    let resp = cat(&[
        format!(
            "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: {}\r\n\r\n",
            bomb.len()
        )
        .as_bytes(),
        &bomb,
    ]);
    let g = grab(&[(C, &resp)]);
    assert_eq!(one(&g, 0, "http.response_body").len(), RESPONSE_BODY_LIMIT);
    assert!(g.out.txs[0].events.contains(&"http.compression_bomb"));
}

#[test]
fn too_many_pipelined_requests() {
    let mut reqs = Vec::new();
    for i in 0..MAX_TXS + 10 {
        reqs.extend_from_slice(
            format!("POST /{i} HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nbody").as_bytes(),
        );
    }
    let mut resps = Vec::new();
    for _ in 0..MAX_TXS + 10 {
        resps.extend_from_slice(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    }
    let out = run(&SPEC, &[(S, &reqs), (C, &resps)]);
    assert_eq!(out.txs.len(), MAX_TXS + 10 + 10);
    // The 10 oldest were dropped to make room, and their responses are
    // logged on their own; the others still pair with their request.
    let dropped: Vec<u64> = out.txs[..10].iter().map(|t| t.id).collect();
    assert_eq!(dropped, (0..10).collect::<Vec<_>>());
    assert!(out.txs[10..20].iter().all(|t| t.log.get("url").is_none()));
    let paired = &out.txs[20];
    assert_eq!(paired.log["url"], "/10");
    assert_eq!(paired.log["status"], 200);
    let flagged = out
        .txs
        .iter()
        .filter(|t| t.events.contains(&"http.too_many_transactions"))
        .count();
    assert_eq!(flagged, 10);
}

#[test]
fn flow_body_budget_is_shared() {
    // Pipelined uploads with no answers: each keeps its body until the
    // flow budget is spent.
    let body = vec![b'b'; 60_000];
    let mut reqs = Vec::new();
    for _ in 0..30 {
        reqs.extend_from_slice(b"PUT /f HTTP/1.1\r\nHost: h\r\nContent-Length: 60000\r\n\r\n");
        reqs.extend_from_slice(&body);
    }
    let g = grab(&[(S, &reqs)]);
    let kept: usize = (0..30)
        .map(|i| {
            buf(&g, i, "http.request_body")
                .first()
                .map_or(0, |b| b.len())
        })
        .sum();
    assert_eq!(kept, FLOW_BODY_BUDGET);
}

// ---------------------------------------------------------------- gaps and tunnels

#[test]
fn gaps_resync() {
    // Gap inside a body of known length: the framing holds.
    let g = grab_with_gaps(&[
        (
            S,
            Some(b"POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nab"),
            0,
        ),
        (S, None, 5),
        (S, Some(b"fghGET /b HTTP/1.1\r\nHost: h\r\n\r\n"), 0),
    ]);
    assert_eq!(g.out.txs.len(), 2);
    assert_eq!(one(&g, 0, "http.request_body"), b"ab");
    assert!(g.out.txs[0].events.contains(&"http.body_truncated"));
    assert_eq!(g.out.txs[1].log["url"], "/b");
    // Gap in a head: the partial request is dropped, the next line that
    // is a request line with a version resyncs.
    let g = grab_with_gaps(&[
        (S, Some(b"GET /lost HTTP/1.1\r\nHo"), 0),
        (S, None, 100),
        (
            S,
            Some(b"st: x\r\nGET /not-a-request\r\nbody\r\nGET /c HTTP/1.1\r\nHost: h\r\n\r\n"),
            0,
        ),
        (C, Some(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), 0),
    ]);
    assert_eq!(g.out.txs.len(), 1);
    assert_eq!(g.out.txs[0].log["url"], "/c");
    assert_eq!(g.out.txs[0].log["status"], 200);
    assert!(g.out.events.is_empty());
    // Gap in a chunked response: body ends, next status line resyncs.
    let g = grab_with_gaps(&[
        (
            S,
            Some(b"GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n"),
            0,
        ),
        (
            C,
            Some(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab"),
            0,
        ),
        (C, None, 1000),
        (
            C,
            Some(b"xx\r\n0\r\n\r\nHTTP/1.1 404 NF\r\nContent-Length: 0\r\n\r\n"),
            0,
        ),
    ]);
    assert_eq!(g.out.txs.len(), 2);
    assert_eq!(one(&g, 0, "http.response_body"), b"ab");
    assert_eq!(g.out.txs[1].log["status"], 404);
    // Gap during a read-until-close body.
    let g = grab_with_gaps(&[
        (C, Some(b"HTTP/1.0 200 OK\r\n\r\nabc"), 0),
        (C, None, 10),
        (C, Some(b"def"), 0),
    ]);
    assert_eq!(one(&g, 0, "http.response_body"), b"abc");
    assert_eq!(g.out.txs[0].log["length"], 6);
}

#[test]
fn connect_and_upgrade_become_tunnels() {
    let chunks: Vec<(Dir, &[u8])> = vec![
        (
            S,
            b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
        ),
        (C, b"HTTP/1.1 200 Connection established\r\n\r\n"),
        (S, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"),
        (C, b"\x16\x03\x03\x00\x5d\x02\x00\x00"),
    ];
    let out = assert_resegmentation(&SPEC, &chunks);
    assert_eq!(out.txs.len(), 1);
    assert_eq!(out.txs[0].log["url"], "example.com:443");
    assert_eq!(out.txs[0].log["hostname"], "example.com");
    assert_eq!(out.txs[0].log["http_port"], 443);
    assert!(out.events.is_empty());
    let chunks: Vec<(Dir, &[u8])> = vec![
        (
            S,
            b"GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
        ),
        (
            C,
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello",
        ),
        (S, b"\x81\x85abcd\x01\x02\x03\x04\x05"),
    ];
    let out = assert_resegmentation(&SPEC, &chunks);
    assert_eq!(out.txs.len(), 1);
    assert_eq!(out.txs[0].log["status"], 101);
    assert!(out.events.is_empty());
}

#[test]
fn http09_request() {
    let out = run(&SPEC, &[(S, b"GET /old\r\n"), (C, b"<html>raw</html>")]);
    assert_eq!(out.txs.len(), 1);
    assert_eq!(out.txs[0].log["url"], "/old");
    assert!(out.txs[0].log.get("protocol").is_none());
}

#[test]
fn fuzz_driver_survives_hostile_http() {
    // A few hand-made hostile inputs through the shared fuzz driver.
    let sel = PROTOCOLS.iter().position(|p| p.name == "http").unwrap() as u8;
    let mut input = vec![sel];
    for piece in [
        &b"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"[..],
        b"ffffffff\r\n",
        b"\x00",
        b"HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\n\r\n\x78\x9c",
    ] {
        for c in piece.chunks(0x7f) {
            input.push(c.len() as u8);
            input.extend_from_slice(c);
        }
        input.push(0);
    }
    crate::testing::fuzz_drive(&input);
}

// ---------------------------------------------------------------- robustness

/// Mutated conversations (bytes changed, removed, inserted, cut) give the
/// same records fed whole or byte by byte.
#[test]
fn mutations_resegment_equal() {
    let base: Vec<(Dir, Vec<u8>)> = vec![
        (Dir::ToServer, b"POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n5\r\nabcde\r\n0\r\nT: 1\r\n\r\nGET /b HTTP/1.1\r\nHost: x:1\r\nAuthorization: Digest username=\"a\", realm=\"b\"\r\n\r\n".to_vec()),
        (Dir::ToClient, b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcHTTP/1.0 401 X\r\nWWW-Authenticate: Basic realm=\"r\"\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n\r\nrest".to_vec()),
    ];
    let mut st = XorShift::new(0x1234_5678_9abc_def0);
    let seps: &[&[u8]] = &[
        b"\r\n",
        b"\n",
        b" ",
        b":",
        b"0",
        b"HTTP/1.1 ",
        b"GET / HTTP/1.1\r\n",
        b"\x1f\x8b\x08\x00",
        b"\t",
        b"\r\n\r\n",
        b"ffff\r\n",
    ];
    for it in 0..400 {
        let mut conv = base.clone();
        let n = 1 + st.next_u64() % 6;
        for _ in 0..n {
            let ci = (st.next_u64() % conv.len() as u64) as usize;
            let c = &mut conv[ci].1;
            if c.is_empty() {
                continue;
            }
            let pos = (st.next_u64() % c.len() as u64) as usize;
            match st.next_u64() % 4 {
                0 => c[pos] = st.next_u64() as u8,
                1 => {
                    c.remove(pos);
                }
                2 => {
                    let s = seps[(st.next_u64() % seps.len() as u64) as usize];
                    for (k, b) in s.iter().enumerate() {
                        c.insert(pos + k, *b);
                    }
                }
                _ => c.truncate(pos),
            }
        }
        // split conversation into interleaved chunks
        let mut chunks: Vec<(Dir, &[u8])> = Vec::new();
        for (d, c) in &conv {
            let mid = c.len() / 2;
            chunks.push((*d, &c[..mid]));
            chunks.push((*d, &c[mid..]));
        }
        chunks.retain(|c| !c.1.is_empty());
        let whole = run(&SPEC, &chunks);
        let bytes: Vec<(Dir, &[u8])> = chunks
            .iter()
            .flat_map(|(d, c)| c.chunks(1).map(move |b| (*d, b)))
            .collect();
        let one = run(&SPEC, &bytes);
        // timestamps differ per chunk index, compare logs/events only
        let strip = |c: &crate::parser::Collect| {
            (
                c.txs
                    .iter()
                    .map(|t| (t.id, t.log.clone(), t.events.clone()))
                    .collect::<Vec<_>>(),
                c.updates.clone(),
                c.events.clone(),
            )
        };
        assert_eq!(
            strip(&whole),
            strip(&one),
            "iteration {it}: {:?}",
            conv.iter()
                .map(|(d, c)| (d, String::from_utf8_lossy(c).into_owned()))
                .collect::<Vec<_>>()
        );
    }
}

/// Hostile chunk sequences (dictionary pieces, random bytes, gaps)
/// through the shared fuzz driver: nothing panics.
#[test]
fn random_fuzz_drive() {
    let sel = crate::registry::PROTOCOLS
        .iter()
        .position(|p| p.name == "http")
        .unwrap() as u8;
    let mut st = XorShift::new(0xdead_beef_1234_5678);
    let dict: &[&[u8]] = &[
        b"GET / HTTP/1.1\r\n",
        b"HTTP/1.1 200 OK\r\n",
        b"Content-Length: 5\r\n",
        b"Transfer-Encoding: chunked\r\n",
        b"\r\n",
        b"Content-Encoding: gzip\r\n",
        b"Content-Encoding: deflate\r\n",
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03",
        b"\x78\x9c",
        b"5\r\nabcde\r\n",
        b"0\r\n\r\n",
        b"HEAD /",
        b"CONNECT a:1 HTTP/1.1\r\n",
        b"HTTP/1.1 101 S\r\n",
        b" folded\r\n",
        b"Authorization: Basic YTpi\r\n",
        b"Authorization: Digest a=\"b\r\n",
    ];
    for _ in 0..3000 {
        let mut input = vec![sel];
        let n = st.next_u64() % 12;
        for _ in 0..n {
            let mut piece = Vec::new();
            for _ in 0..(1 + st.next_u64() % 4) {
                if st.next_u64().is_multiple_of(3) {
                    for _ in 0..(st.next_u64() % 20) {
                        piece.push(st.next_u64() as u8);
                    }
                } else {
                    piece.extend_from_slice(dict[(st.next_u64() % dict.len() as u64) as usize]);
                }
            }
            piece.truncate(0x7f);
            let dirbit = if st.next_u64().is_multiple_of(2) {
                0x80
            } else {
                0
            };
            if st.next_u64().is_multiple_of(10) {
                input.push(dirbit);
                continue;
            }
            input.push(piece.len() as u8 | dirbit);
            input.extend_from_slice(&piece);
        }
        crate::testing::fuzz_drive(&input);
    }
}
