//! The flow's handshake transaction and the per-direction record and
//! handshake readers.
//!
//! Records are walked by their 5-byte headers and never held: handshake
//! record payloads stream into the handshake-message reassembly, every
//! other payload is skipped by count. Only a handshake message split
//! across calls (or records) is copied, up to [`MAX_HANDSHAKE`].

use super::fingerprint;
use super::parser::{
    self, check_record_header, record_header, BadRecord, CertInfo, RecordHeader,
    CT_APPLICATION_DATA, CT_CHANGE_CIPHER_SPEC, CT_HANDSHAKE, CT_HEARTBEAT, HS_CERTIFICATE,
    HS_CLIENT_HELLO, HS_SERVER_HELLO, HS_SERVER_HELLO_DONE,
};
use crate::buffers::{by_sticky_name, BufferId};
use crate::fields::{by_name, IntFieldId};
use crate::parser::{AppTx, Dir, Input, ParseError, Parser, Sink, TxUpdate};
use crate::tx::Transaction;
use crate::util::{text, StreamBuf};
use palisade_event::Timestamp;
use serde_json::{json, Map, Value};
use std::sync::OnceLock;

/// Largest handshake message reassembled (a long certificate chain is the
/// biggest legitimate one). Larger ones are skipped by their length with
/// `tls.handshake_too_large`.
pub const MAX_HANDSHAKE: usize = 64 * 1024;
/// Events kept on the transaction (distinct names).
pub const MAX_EVENTS: usize = 16;

/// The TLS transaction: what the handshake showed of both sides.
#[derive(Debug, Default, Clone)]
pub struct TlsTx {
    /// ClientHello `legacy_version` (0x0200 for an SSLv2 hello).
    pub client_version: Option<u16>,
    /// The client spoke the SSLv2 hello format.
    pub sslv2_hello: bool,
    /// Server name indication.
    pub sni: Option<Vec<u8>>,
    /// ALPN protocols the client offered.
    pub client_alpns: Vec<Vec<u8>>,
    /// JA3 (string, MD5).
    pub ja3: Option<(String, String)>,
    /// JA4.
    pub ja4: Option<String>,
    client_session_id: Vec<u8>,
    /// The version the server picked (supported_versions for TLS 1.3).
    pub server_version: Option<u16>,
    /// ALPN protocol the server picked.
    pub server_alpn: Option<Vec<u8>>,
    /// Cipher suite the server picked.
    pub cipher: Option<u16>,
    /// JA3S (string, MD5).
    pub ja3s: Option<(String, String)>,
    /// The server resumed the client's session (same non-empty session
    /// id, no certificate).
    pub session_resumed: bool,
    /// The server's first certificate.
    pub cert: Option<CertInfo>,
    /// Its notAfter is before the time of the packet carrying it.
    pub cert_expired: Option<bool>,
    /// Every certificate of the chain, DER.
    pub chain: Vec<Vec<u8>>,
    events: Vec<&'static str>,
}

impl TlsTx {
    /// The negotiated version, else the one the client offered.
    pub fn version(&self) -> Option<u16> {
        self.server_version.or(self.client_version)
    }

    fn has_content(&self) -> bool {
        self.client_version.is_some() || self.server_version.is_some() || !self.events.is_empty()
    }

    fn push_event(&mut self, name: &'static str) {
        if !self.events.contains(&name) && self.events.len() < MAX_EVENTS {
            self.events.push(name);
        }
    }
}

struct Ids {
    sni: BufferId,
    subject: BufferId,
    issuer: BufferId,
    serial: BufferId,
    fingerprint: BufferId,
    certs: BufferId,
    ja3_hash: BufferId,
    ja3_string: BufferId,
    ja3s_hash: BufferId,
    ja3s_string: BufferId,
    ja4: BufferId,
    version: IntFieldId,
    expired: IntFieldId,
}

fn ids() -> &'static Ids {
    static IDS: OnceLock<Ids> = OnceLock::new();
    IDS.get_or_init(|| {
        let b = |n| by_sticky_name(n).unwrap_or(BufferId(u16::MAX));
        let f = |n| by_name(n).unwrap_or(IntFieldId(u16::MAX));
        Ids {
            sni: b("tls.sni"),
            subject: b("tls.cert_subject"),
            issuer: b("tls.cert_issuer"),
            serial: b("tls.cert_serial"),
            fingerprint: b("tls.cert_fingerprint"),
            certs: b("tls.certs"),
            ja3_hash: b("ja3.hash"),
            ja3_string: b("ja3.string"),
            ja3s_hash: b("ja3s.hash"),
            ja3s_string: b("ja3s.string"),
            ja4: b("ja4.hash"),
            version: f("tls.version"),
            expired: f("tls.cert_expired"),
        }
    })
}

impl Transaction for TlsTx {
    fn app_proto(&self) -> &'static str {
        "tls"
    }
    fn buffer(&self, id: BufferId, f: &mut dyn FnMut(&[u8])) {
        let i = ids();
        let cert = self.cert.as_ref();
        let one: Option<&[u8]> = if id == i.sni {
            self.sni.as_deref()
        } else if id == i.subject {
            cert.map(|c| c.subject.as_bytes())
        } else if id == i.issuer {
            cert.map(|c| c.issuer.as_bytes())
        } else if id == i.serial {
            cert.map(|c| c.serial.as_bytes())
        } else if id == i.fingerprint {
            cert.map(|c| c.fingerprint.as_bytes())
        } else if id == i.ja3_hash {
            self.ja3.as_ref().map(|j| j.1.as_bytes())
        } else if id == i.ja3_string {
            self.ja3.as_ref().map(|j| j.0.as_bytes())
        } else if id == i.ja3s_hash {
            self.ja3s.as_ref().map(|j| j.1.as_bytes())
        } else if id == i.ja3s_string {
            self.ja3s.as_ref().map(|j| j.0.as_bytes())
        } else if id == i.ja4 {
            self.ja4.as_ref().map(|j| j.as_bytes())
        } else {
            None
        };
        if let Some(b) = one {
            f(b);
        } else if id == i.certs {
            for c in &self.chain {
                f(c);
            }
        }
    }
    fn integer(&self, id: IntFieldId, f: &mut dyn FnMut(u64)) {
        let i = ids();
        if id == i.version {
            if let Some(v) = self.version() {
                f(u64::from(v));
            }
        } else if id == i.expired {
            if let Some(e) = self.cert_expired {
                f(u64::from(e));
            }
        }
    }
    fn events(&self) -> &[&'static str] {
        &self.events
    }
    fn id(&self) -> u64 {
        0
    }
}

fn strings(v: &[Vec<u8>]) -> Value {
    Value::Array(v.iter().map(|s| Value::String(text(s))).collect())
}

impl AppTx for TlsTx {
    fn log(&self, out: &mut Map<String, Value>) {
        if let Some(c) = &self.cert {
            out.insert("subject".into(), json!(c.subject));
            out.insert("issuerdn".into(), json!(c.issuer));
            out.insert("serial".into(), json!(c.serial));
            out.insert("fingerprint".into(), json!(c.fingerprint));
            out.insert("notbefore".into(), json!(parser::iso_time(c.not_before)));
            out.insert("notafter".into(), json!(parser::iso_time(c.not_after)));
            out.insert("self_signed".into(), json!(c.subject == c.issuer));
        }
        if let Some(e) = self.cert_expired {
            out.insert("cert_expired".into(), json!(e));
        }
        if self.session_resumed {
            out.insert("session_resumed".into(), json!(true));
        }
        if let Some(s) = &self.sni {
            out.insert("sni".into(), json!(text(s)));
        }
        out.insert(
            "version".into(),
            json!(parser::version_name(self.server_version.unwrap_or(0))),
        );
        if let Some(v) = self.client_version {
            out.insert("client_version".into(), json!(parser::version_name(v)));
        }
        if self.sslv2_hello {
            out.insert("sslv2_hello".into(), json!(true));
        }
        if let Some((s, h)) = &self.ja3 {
            out.insert("ja3".into(), json!({"hash": h, "string": s}));
        }
        if let Some((s, h)) = &self.ja3s {
            out.insert("ja3s".into(), json!({"hash": h, "string": s}));
        }
        if let Some(j) = &self.ja4 {
            out.insert("ja4".into(), json!(j));
        }
        if !self.client_alpns.is_empty() {
            out.insert("client_alpns".into(), strings(&self.client_alpns));
        }
        if let Some(a) = &self.server_alpn {
            out.insert("server_alpns".into(), strings(std::slice::from_ref(a)));
        }
    }
}

/// SSLv2 record being collected (the first record of the client
/// direction, when it is in SSLv2 form).
#[derive(Default)]
struct V2 {
    buf: Vec<u8>,
    active: bool,
}

#[derive(Default)]
struct DirState {
    /// Partial record header.
    hdr: [u8; 5],
    hdr_len: usize,
    /// Type and bytes left of the record whose payload is being read.
    rec_type: u8,
    rec_left: usize,
    /// A record header was read (the SSLv2 form is only possible first).
    seen_record: bool,
    /// Handshake-message reassembly.
    hs: StreamBuf,
    /// Bytes of a too-large (or lost) handshake message still to drop.
    hs_skip: usize,
    /// Handshake content is no longer read (after a gap in it).
    hs_off: bool,
    v2: V2,
    /// Past ChangeCipherSpec / application data: records are only skipped.
    encrypted: bool,
    /// Lost sync: nothing more is read.
    stopped: bool,
}

/// Parser state of one flow.
#[derive(Default)]
pub struct TlsParser {
    tx: TlsTx,
    logged: bool,
    client_hello_seen: bool,
    /// The server picked TLS 1.3: its ChangeCipherSpec is a compatibility
    /// dummy and everything after its ServerHello is encrypted.
    tls13: bool,
    dirs: [DirState; 2],
}

impl TlsParser {
    /// An event on the transaction while it is held, else on the flow.
    fn event(&mut self, dir: Dir, name: &'static str, sink: &mut dyn Sink) {
        if self.logged {
            sink.event(dir, name);
        } else {
            self.tx.push_event(name);
        }
    }

    /// Reports the transaction as complete (once) and drops it.
    fn complete(&mut self, sink: &mut dyn Sink) {
        if self.logged {
            return;
        }
        self.logged = true;
        sink.tx(
            &self.tx,
            TxUpdate {
                dir: Dir::ToClient,
                complete: true,
            },
        );
        self.tx = TlsTx::default();
        // Nothing more is read from handshakes: drop partial messages.
        for d in &mut self.dirs {
            d.hs = StreamBuf::default();
            d.hs_off = true;
        }
    }

    /// Walks records of one direction.
    fn records(&mut self, dir: Dir, mut data: &[u8], ts: Timestamp, sink: &mut dyn Sink) {
        let d = dir.index();
        while !data.is_empty() && !self.dirs[d].stopped {
            if self.dirs[d].v2.active {
                data = self.sslv2(dir, data, sink);
                continue;
            }
            let st = &mut self.dirs[d];
            if st.rec_left > 0 {
                let n = st.rec_left.min(data.len());
                let (payload, rest) = data.split_at(n);
                st.rec_left -= n;
                data = rest;
                if st.rec_type == CT_HANDSHAKE && !st.encrypted && !st.hs_off {
                    self.handshake_bytes(dir, payload, ts, sink);
                }
                continue;
            }
            if st.hdr_len == 0 && !st.seen_record {
                if let Some(&b0) = data.first() {
                    if b0 & 0x80 != 0 {
                        st.v2.active = true;
                        continue;
                    }
                }
            }
            let take = (5 - st.hdr_len).min(data.len());
            let (part, rest) = data.split_at(take);
            if let Some(dst) = st.hdr.get_mut(st.hdr_len..st.hdr_len + take) {
                dst.copy_from_slice(part);
            }
            st.hdr_len += take;
            data = rest;
            if st.hdr_len < 5 {
                break;
            }
            st.hdr_len = 0;
            st.seen_record = true;
            let h = record_header(&st.hdr);
            self.on_record(dir, h, sink);
        }
    }

    fn on_record(&mut self, dir: Dir, h: RecordHeader, sink: &mut dyn Sink) {
        let (d, ctype, len) = (dir.index(), h.ctype, h.len);
        match check_record_header(&h) {
            Err(e @ (BadRecord::Type | BadRecord::Version)) => {
                // Not a record boundary after all: sync is lost.
                self.event(dir, e.event(), sink);
                self.dirs[d].stopped = true;
                return;
            }
            Err(e @ BadRecord::Length) => {
                // Too long to be TLS, but the header still says where the
                // next record starts: skip it whole.
                self.event(dir, e.event(), sink);
                let st = &mut self.dirs[d];
                st.rec_type = 0;
                st.rec_left = len;
                return;
            }
            Ok(()) => {}
        }
        let st = &mut self.dirs[d];
        st.rec_type = ctype;
        st.rec_left = len;
        match ctype {
            CT_CHANGE_CIPHER_SPEC if !self.tls13 => {
                st.encrypted = true;
                if dir == Dir::ToClient {
                    self.complete(sink);
                }
            }
            CT_APPLICATION_DATA => {
                st.encrypted = true;
                if dir == Dir::ToClient {
                    self.complete(sink);
                }
            }
            CT_HEARTBEAT => self.event(dir, "tls.heartbeat_message", sink),
            // Handshake payloads are read as they arrive; alerts and the
            // TLS 1.3 dummy ChangeCipherSpec are skipped.
            _ => {}
        }
    }

    /// Collects and reads an SSLv2-format first record; returns the input
    /// after it.
    fn sslv2<'a>(&mut self, dir: Dir, data: &'a [u8], sink: &mut dyn Sink) -> &'a [u8] {
        let v2 = &mut self.dirs[dir.index()].v2;
        // The 2-byte header first, then the rest of the record it announces.
        let mut data = data;
        for _ in 0..2 {
            let need = match v2.buf.as_slice() {
                [b0, b1, ..] => parser::sslv2_record_len(*b0, *b1),
                _ => 2,
            };
            let take = need.saturating_sub(v2.buf.len()).min(data.len());
            let (part, rest) = data.split_at(take);
            v2.buf.extend_from_slice(part);
            data = rest;
        }
        let complete = match v2.buf.as_slice() {
            [b0, b1, ..] => v2.buf.len() >= parser::sslv2_record_len(*b0, *b1),
            _ => false,
        };
        if !complete {
            return data;
        }
        let rest = data;
        let rec = std::mem::take(&mut v2.buf);
        v2.active = false;
        self.dirs[dir.index()].seen_record = true;
        match (dir, rec.get(2)) {
            (Dir::ToServer, _) => match parser::sslv2_client_hello(&rec) {
                Some(h) if !self.client_hello_seen => {
                    self.client_hello_seen = true;
                    // SSLv2 numbers itself 0x0002; tls.version says 0x0200.
                    let v = if h.version == 0x0002 {
                        0x0200
                    } else {
                        h.version
                    };
                    self.tx.client_version = Some(v);
                    self.tx.sslv2_hello = true;
                    sink.tx(
                        &self.tx,
                        TxUpdate {
                            dir,
                            complete: false,
                        },
                    );
                }
                Some(_) => {}
                None => {
                    self.event(dir, "tls.invalid_ssl_record", sink);
                    self.dirs[dir.index()].stopped = true;
                }
            },
            // SERVER-HELLO: the server speaks SSLv2; what follows on both
            // sides is SSLv2, which is not parsed further.
            (Dir::ToClient, Some(4)) => {
                self.tx.server_version = Some(0x0200);
                for d in &mut self.dirs {
                    d.stopped = true;
                }
                self.complete(sink);
            }
            (Dir::ToClient, _) => {
                self.event(dir, "tls.invalid_ssl_record", sink);
                self.dirs[dir.index()].stopped = true;
            }
        }
        rest
    }

    /// Handshake-record payload bytes of one direction.
    fn handshake_bytes(&mut self, dir: Dir, mut data: &[u8], ts: Timestamp, sink: &mut dyn Sink) {
        let d = dir.index();
        let skip = self.dirs[d].hs_skip.min(data.len());
        self.dirs[d].hs_skip -= skip;
        data = data.get(skip..).unwrap_or_default();
        if data.is_empty() {
            return;
        }
        let mut hs = std::mem::take(&mut self.dirs[d].hs);
        let r = hs.feed(data, MAX_HANDSHAKE + 4, |b| self.messages(dir, b, ts, sink));
        if self.dirs[d].hs_off {
            // The transaction completed meanwhile.
            return;
        }
        self.dirs[d].hs = hs;
        if r.is_err() {
            self.event(dir, "tls.handshake_too_large", sink);
        }
    }

    /// Reads whole handshake messages; returns the bytes used.
    fn messages(&mut self, dir: Dir, b: &[u8], ts: Timestamp, sink: &mut dyn Sink) -> usize {
        let mut off = 0;
        while let Some(hdr) = b.get(off..off + 4) {
            let typ = hdr[0];
            let len = usize::from(hdr[1]) << 16 | usize::from(hdr[2]) << 8 | usize::from(hdr[3]);
            if len > MAX_HANDSHAKE {
                self.event(dir, "tls.handshake_too_large", sink);
                let avail = b.len() - off - 4;
                let now = len.min(avail);
                self.dirs[dir.index()].hs_skip = len - now;
                off += 4 + now;
                continue;
            }
            let Some(body) = b.get(off + 4..off + 4 + len) else {
                break;
            };
            off += 4 + len;
            self.message(dir, typ, body, ts, sink);
            if self.dirs[dir.index()].hs_off {
                return b.len();
            }
        }
        off
    }

    fn message(&mut self, dir: Dir, typ: u8, body: &[u8], ts: Timestamp, sink: &mut dyn Sink) {
        match (dir, typ) {
            (Dir::ToServer, HS_CLIENT_HELLO) => self.client_hello(body, sink),
            (Dir::ToClient, HS_SERVER_HELLO) => self.server_hello(body, sink),
            (Dir::ToClient, HS_CERTIFICATE) if !self.tls13 => self.certificate(body, ts, sink),
            (Dir::ToClient, HS_SERVER_HELLO_DONE) => self.complete(sink),
            // hello_request, session ticket, end_of_early_data, HRR
            // (draft), encrypted_extensions, certificate through finished,
            // certificate_url/status, key_update, next_protocol.
            (_, 0..=6 | 8 | 11..=16 | 20..=24 | 67 | 254) => {}
            _ => self.event(dir, "tls.invalid_handshake_message", sink),
        }
    }

    fn client_hello(&mut self, body: &[u8], sink: &mut dyn Sink) {
        if self.client_hello_seen {
            // The second hello after a HelloRetryRequest, or a
            // renegotiation: the first one fingerprints the client.
            return;
        }
        let ch = match parser::client_hello(body) {
            Ok(ch) => ch,
            Err(e) => {
                self.event(Dir::ToServer, e, sink);
                return;
            }
        };
        self.client_hello_seen = true;
        for e in &ch.bad {
            self.tx.push_event(e);
        }
        let tx = &mut self.tx;
        tx.client_version = Some(ch.version);
        tx.sni = ch.sni.map(<[u8]>::to_vec);
        tx.client_alpns = ch.alpns.iter().map(|a| a.to_vec()).collect();
        tx.client_session_id = ch.session_id.to_vec();
        tx.ja3 = Some(fingerprint::ja3(&ch));
        tx.ja4 = Some(fingerprint::ja4(&ch));
        sink.tx(
            &self.tx,
            TxUpdate {
                dir: Dir::ToServer,
                complete: false,
            },
        );
    }

    fn server_hello(&mut self, body: &[u8], sink: &mut dyn Sink) {
        let sh = match parser::server_hello(body) {
            Ok(sh) => sh,
            Err(e) => {
                self.event(Dir::ToClient, e, sink);
                return;
            }
        };
        for e in &sh.bad {
            self.tx.push_event(e);
        }
        let v = sh.negotiated();
        self.tls13 = v == 0x0304 || v >> 8 == 0x7f;
        let tx = &mut self.tx;
        tx.server_version = Some(v);
        tx.cipher = Some(sh.cipher);
        tx.server_alpn = sh.alpn.map(<[u8]>::to_vec);
        tx.ja3s = Some(fingerprint::ja3s(&sh));
        tx.session_resumed = !self.tls13
            && !sh.hello_retry
            && !sh.session_id.is_empty()
            && sh.session_id == tx.client_session_id.as_slice();
    }

    fn certificate(&mut self, body: &[u8], ts: Timestamp, sink: &mut dyn Sink) {
        match parser::certificate_chain(body) {
            Ok(chain) => {
                if let Some(first) = chain.first() {
                    match parser::cert_info(first) {
                        Ok(c) => {
                            let now = i64::try_from(ts.secs()).unwrap_or(i64::MAX);
                            self.tx.cert_expired = Some(c.not_after < now);
                            self.tx.cert = Some(c);
                            self.tx.session_resumed = false;
                        }
                        Err(e) => self.tx.push_event(e),
                    }
                }
                self.tx.chain = chain.iter().map(|c| c.to_vec()).collect();
            }
            Err(e) => self.tx.push_event(e),
        }
        self.complete(sink);
    }
}

impl Parser for TlsParser {
    fn parse(&mut self, input: Input<'_>, sink: &mut dyn Sink) -> Result<(), ParseError> {
        self.records(input.dir, input.data, input.ts, sink);
        Ok(())
    }

    fn gap(&mut self, dir: Dir, len: u64, _sink: &mut dyn Sink) {
        let st = &mut self.dirs[dir.index()];
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        if st.hdr_len == 0 && !st.v2.active && st.rec_left >= len && st.seen_record {
            // The loss is inside one record's payload: the next header is
            // still where this one said, so the record layer stays in sync.
            st.rec_left -= len;
            if st.rec_type == CT_HANDSHAKE && !st.encrypted {
                // ...but handshake messages cannot be rebuilt.
                st.hs = StreamBuf::default();
                st.hs_off = true;
            }
            return;
        }
        // No way to find the next record boundary in TLS: stop reading.
        st.stopped = true;
        st.hs = StreamBuf::default();
        st.v2 = V2::default();
    }

    fn finish(&mut self, sink: &mut dyn Sink) {
        if !self.logged && self.tx.has_content() {
            self.complete(sink);
        }
    }
}
