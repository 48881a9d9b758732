//! Wire formats: the record header, the SSLv2-compatible ClientHello, and
//! borrowed views of the handshake messages palisade reads (ClientHello,
//! ServerHello, Certificate), built with `tls-parser` and `x509-parser`.
//!
//! Nothing here keeps state; `state.rs` feeds whole handshake messages in.
//! Every list taken from the wire is bounded by the message it comes from
//! (itself bounded by [`super::MAX_HANDSHAKE`]), and the lists a
//! transaction keeps are cut at [`MAX_LIST`] items.

use sha1::{Digest, Sha1};
use tls_parser::nom;
use tls_parser::{
    parse_tls_client_hello_extension, parse_tls_handshake_client_hello,
    parse_tls_handshake_msg_certificate, parse_tls_handshake_server_hello,
    parse_tls_server_hello_extension, SNIType, TlsExtension, TlsMessageHandshake,
};
use x509_parser::error::X509Error;

/// Record content types (RFC 8446 §5.1, RFC 6520).
pub const CT_CHANGE_CIPHER_SPEC: u8 = 20;
/// Alert record.
pub const CT_ALERT: u8 = 21;
/// Handshake record.
pub const CT_HANDSHAKE: u8 = 22;
/// Application data record (also every encrypted TLS 1.3 record).
pub const CT_APPLICATION_DATA: u8 = 23;
/// Heartbeat record.
pub const CT_HEARTBEAT: u8 = 24;

/// Handshake message types palisade acts on.
pub const HS_CLIENT_HELLO: u8 = 1;
/// ServerHello (and TLS 1.3 HelloRetryRequest, which shares its type).
pub const HS_SERVER_HELLO: u8 = 2;
/// Certificate.
pub const HS_CERTIFICATE: u8 = 11;
/// ServerHelloDone: the server's plaintext flight is over (TLS ≤ 1.2).
pub const HS_SERVER_HELLO_DONE: u8 = 14;

/// Longest record payload: 2^14 plaintext plus the 2048 bytes of expansion
/// TLS 1.2 allows a protected record (RFC 5246 §6.2.3).
pub const MAX_RECORD_LEN: usize = 16384 + 2048;

/// Items kept from one wire list (ciphers, extensions, groups, ALPNs, ...).
/// Real clients send well under 100; the cap bounds what a hostile hello
/// can make a transaction keep (a JA3 string is ~6 bytes per item).
pub const MAX_LIST: usize = 256;

/// TLS 1.3 HelloRetryRequest is a ServerHello with this random (RFC 8446
/// §4.1.3).
const HRR_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// A TLS record header.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct RecordHeader {
    /// Content type.
    pub ctype: u8,
    /// Record-layer version.
    pub version: u16,
    /// Payload length.
    pub len: usize,
}

/// Reads a 5-byte record header.
pub fn record_header(h: &[u8; 5]) -> RecordHeader {
    RecordHeader {
        ctype: h[0],
        version: u16::from_be_bytes([h[1], h[2]]),
        len: usize::from(u16::from_be_bytes([h[3], h[4]])),
    }
}

/// What is wrong with a record header.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum BadRecord {
    /// Content type outside 20..=24: not a record boundary.
    Type,
    /// Version major not 3 (or minor above TLS 1.3): not a record boundary.
    Version,
    /// Longer than [`MAX_RECORD_LEN`]: a record, but not a valid one.
    Length,
}

impl BadRecord {
    /// Suricata's event name.
    pub fn event(self) -> &'static str {
        match self {
            BadRecord::Type => "tls.invalid_record_type",
            BadRecord::Version => "tls.invalid_record_version",
            BadRecord::Length => "tls.invalid_record_length",
        }
    }
}

/// Checks a record header.
pub fn check_record_header(h: &RecordHeader) -> Result<(), BadRecord> {
    if !(CT_CHANGE_CIPHER_SPEC..=CT_HEARTBEAT).contains(&h.ctype) {
        return Err(BadRecord::Type);
    }
    if h.version >> 8 != 3 || h.version & 0xff > 4 {
        return Err(BadRecord::Version);
    }
    if h.len > MAX_RECORD_LEN {
        return Err(BadRecord::Length);
    }
    Ok(())
}

/// GREASE values (RFC 8701): `0x?a?a` with both bytes equal. JA3 and JA4
/// ignore them so a client's fingerprint does not change from one
/// connection to the next.
pub fn is_grease(v: u16) -> bool {
    v & 0x0f0f == 0x0a0a && v >> 8 == v & 0xff
}

/// Why a handshake message or one of its parts could not be read: the
/// event to raise.
pub type Bad = &'static str;

fn nom_event<E>(e: &nom::Err<E>) -> Bad {
    match e {
        nom::Err::Incomplete(_) => "tls.handshake_invalid_length",
        _ => "tls.invalid_handshake_message",
    }
}

/// Pushes onto a list unless it holds [`MAX_LIST`] items; returns false
/// when the item was dropped.
fn push_capped<T>(v: &mut Vec<T>, item: T) -> bool {
    crate::util::push_bounded(v, item, MAX_LIST)
}

/// The first [`MAX_LIST`] items of a list of `len`, noting a cut.
fn capped<T>(it: impl Iterator<Item = T>, len: usize, bad: &mut Vec<Bad>) -> Vec<T> {
    if len > MAX_LIST {
        bad.push("tls.list_too_long");
    }
    it.take(MAX_LIST).collect()
}

/// A ClientHello (borrowed from the handshake message).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ClientHello<'a> {
    /// `legacy_version` (0x0303 for TLS 1.2 and 1.3 clients).
    pub version: u16,
    /// Session id (empty when none).
    pub session_id: &'a [u8],
    /// Cipher suites in wire order, GREASE included.
    pub ciphers: Vec<u16>,
    /// Extension types in wire order, GREASE included.
    pub extensions: Vec<u16>,
    /// First host_name of the server_name extension.
    pub sni: Option<&'a [u8]>,
    /// ALPN protocol names in order.
    pub alpns: Vec<&'a [u8]>,
    /// supported_groups (elliptic_curves) in order.
    pub groups: Vec<u16>,
    /// ec_point_formats.
    pub point_formats: Vec<u8>,
    /// signature_algorithms in order.
    pub sig_algs: Vec<u16>,
    /// supported_versions in order.
    pub supported_versions: Vec<u16>,
    /// Anomalies found while reading it (events to raise).
    pub bad: Vec<Bad>,
}

/// A ServerHello (or HelloRetryRequest).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ServerHello<'a> {
    /// `legacy_version`.
    pub version: u16,
    /// Session id (empty when none).
    pub session_id: &'a [u8],
    /// Chosen cipher suite.
    pub cipher: u16,
    /// Extension types in wire order.
    pub extensions: Vec<u16>,
    /// supported_versions' selected version (TLS 1.3).
    pub selected_version: Option<u16>,
    /// ALPN protocol the server picked.
    pub alpn: Option<&'a [u8]>,
    /// It is a TLS 1.3 HelloRetryRequest.
    pub hello_retry: bool,
    /// Anomalies found while reading it.
    pub bad: Vec<Bad>,
}

impl ServerHello<'_> {
    /// The version the server picked: supported_versions if present.
    pub fn negotiated(&self) -> u16 {
        self.selected_version.unwrap_or(self.version)
    }
}

/// Splits an extensions block into (type, whole extension bytes including
/// its 4-byte header) in order. Stops at a truncated extension and reports
/// it, keeping what came before (JA3 needs the types even when a body is
/// odd).
fn extension_list<'a>(mut b: &'a [u8], bad: &mut Vec<Bad>) -> Vec<(u16, &'a [u8])> {
    let mut out = Vec::new();
    while !b.is_empty() {
        let Some((hdr, _)) = b.split_at_checked(4) else {
            bad.push("tls.handshake_invalid_length");
            break;
        };
        let typ = u16::from_be_bytes([hdr[0], hdr[1]]);
        let len = usize::from(u16::from_be_bytes([hdr[2], hdr[3]]));
        let Some((ext, rest)) = b.split_at_checked(4 + len) else {
            bad.push("tls.handshake_invalid_length");
            break;
        };
        if !push_capped(&mut out, (typ, ext)) {
            bad.push("tls.list_too_long");
            break;
        }
        b = rest;
    }
    out
}

/// Reads a ClientHello message body.
pub fn client_hello(body: &[u8]) -> Result<ClientHello<'_>, Bad> {
    let (rest, ch) = parse_tls_handshake_client_hello(body).map_err(|e| nom_event(&e))?;
    let mut out = ClientHello {
        version: ch.version.0,
        session_id: ch.session_id.unwrap_or_default(),
        ..ClientHello::default()
    };
    out.ciphers = capped(
        ch.ciphers.iter().map(|c| c.0),
        ch.ciphers.len(),
        &mut out.bad,
    );
    // tls-parser drops an extensions block whose length overruns the
    // message; say so instead of silently losing it.
    if ch.ext.is_none() && rest.len() >= 2 {
        out.bad.push("tls.handshake_invalid_length");
    }
    let exts = extension_list(ch.ext.unwrap_or_default(), &mut out.bad);
    let mut sni_seen = false;
    for (typ, raw) in exts {
        out.extensions.push(typ);
        let Ok((_, ext)) = parse_tls_client_hello_extension(raw) else {
            if typ == 0 {
                out.bad.push("tls.invalid_sni_length");
            }
            continue;
        };
        match ext {
            TlsExtension::SNI(names) => {
                if sni_seen {
                    out.bad.push("tls.multiple_sni_extensions");
                    continue;
                }
                sni_seen = true;
                match names.first() {
                    Some((t, _)) if *t != SNIType::HostName => out.bad.push("tls.invalid_sni_type"),
                    // A DNS name is at most 255 bytes (Suricata's check).
                    Some((_, n)) if n.is_empty() || n.len() > 255 => {
                        out.bad.push("tls.invalid_sni_length")
                    }
                    Some((_, n)) => out.sni = Some(n),
                    None => {}
                }
            }
            TlsExtension::ALPN(v) => {
                for p in v {
                    if !push_capped(&mut out.alpns, p) {
                        out.bad.push("tls.list_too_long");
                        break;
                    }
                }
            }
            TlsExtension::EllipticCurves(v) => {
                out.groups = capped(v.iter().map(|g| g.0), v.len(), &mut out.bad);
            }
            TlsExtension::EcPointFormats(v) => {
                out.point_formats = capped(v.iter().copied(), v.len(), &mut out.bad);
            }
            TlsExtension::SignatureAlgorithms(v) => {
                out.sig_algs = capped(v.iter().copied(), v.len(), &mut out.bad);
            }
            TlsExtension::SupportedVersions(v) => {
                out.supported_versions = capped(v.iter().map(|v| v.0), v.len(), &mut out.bad);
            }
            _ => {}
        }
    }
    Ok(out)
}

/// Reads a ServerHello message body.
pub fn server_hello(body: &[u8]) -> Result<ServerHello<'_>, Bad> {
    let (rest, sh) = parse_tls_handshake_server_hello(body).map_err(|e| nom_event(&e))?;
    let mut out = ServerHello {
        version: sh.version.0,
        session_id: sh.session_id.unwrap_or_default(),
        cipher: sh.cipher.0,
        hello_retry: sh.random == HRR_RANDOM,
        ..ServerHello::default()
    };
    if sh.ext.is_none() && rest.len() >= 2 {
        out.bad.push("tls.handshake_invalid_length");
    }
    let exts = extension_list(sh.ext.unwrap_or_default(), &mut out.bad);
    for (typ, raw) in exts {
        out.extensions.push(typ);
        match parse_tls_server_hello_extension(raw) {
            Ok((_, TlsExtension::SupportedVersions(v))) => {
                out.selected_version = v.first().map(|v| v.0);
            }
            Ok((_, TlsExtension::ALPN(v))) => out.alpn = v.first().copied(),
            _ => {}
        }
    }
    Ok(out)
}

/// The certificate list of a (TLS ≤ 1.2) Certificate message: each DER.
pub fn certificate_chain(body: &[u8]) -> Result<Vec<&[u8]>, Bad> {
    let (_, msg) =
        parse_tls_handshake_msg_certificate(body).map_err(|_| "tls.invalid_certificate")?;
    let TlsMessageHandshake::Certificate(c) = msg else {
        return Err("tls.invalid_certificate");
    };
    let chain: Vec<&[u8]> = c.cert_chain.iter().map(|c| c.data).collect();
    // tls-parser stops quietly at an entry whose length overruns the list;
    // the entries must add up to the list length.
    let declared = body.get(..3).map_or(0, |b| {
        usize::from(b[0]) << 16 | usize::from(b[1]) << 8 | usize::from(b[2])
    });
    let used: usize = chain.iter().map(|c| c.len() + 3).sum();
    if used != declared {
        return Err("tls.invalid_certificate");
    }
    Ok(chain)
}

/// What palisade keeps of the server's first certificate, in Suricata's
/// formats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    /// Subject DN as x509-parser prints it (`C=DE, O=Acme, CN=cam.local`).
    pub subject: String,
    /// Issuer DN, same format.
    pub issuer: String,
    /// Serial: raw DER integer bytes, upper-case hex, `:`-separated.
    pub serial: String,
    /// notBefore, seconds since the epoch.
    pub not_before: i64,
    /// notAfter, seconds since the epoch.
    pub not_after: i64,
    /// SHA-1 of the DER, lower-case hex, `:`-separated.
    pub fingerprint: String,
}

fn hex_sep(b: &[u8], upper: bool) -> String {
    let mut s = String::with_capacity(b.len() * 3);
    for (i, x) in b.iter().enumerate() {
        if i > 0 {
            s.push(':');
        }
        if upper {
            s.push_str(&format!("{x:02X}"));
        } else {
            s.push_str(&format!("{x:02x}"));
        }
    }
    s
}

/// Parses one certificate; the error is Suricata's event for the failure.
pub fn cert_info(der: &[u8]) -> Result<CertInfo, Bad> {
    let (_, c) = x509_parser::parse_x509_certificate(der).map_err(|e| match e {
        x509_parser::nom::Err::Incomplete(_) => "tls.certificate_invalid_length",
        x509_parser::nom::Err::Error(e) | x509_parser::nom::Err::Failure(e) => match e {
            X509Error::InvalidVersion => "tls.certificate_invalid_version",
            X509Error::InvalidSerial => "tls.certificate_invalid_serial",
            X509Error::InvalidAlgorithmIdentifier => "tls.certificate_invalid_algorithmidentifier",
            X509Error::InvalidX509Name => "tls.certificate_invalid_x509name",
            X509Error::InvalidDate => "tls.certificate_invalid_date",
            X509Error::InvalidExtensions => "tls.certificate_invalid_extensions",
            X509Error::Der(_) => "tls.certificate_invalid_der",
            _ => "tls.invalid_certificate",
        },
    })?;
    Ok(CertInfo {
        subject: c.subject().to_string(),
        issuer: c.issuer().to_string(),
        serial: hex_sep(c.raw_serial(), true),
        not_before: c.validity().not_before.timestamp(),
        not_after: c.validity().not_after.timestamp(),
        fingerprint: hex_sep(&Sha1::digest(der), false),
    })
}

/// An SSLv2-format ClientHello (the 2-byte header form, RFC 6101 E.1 /
/// RFC 5246 E.2), sent by old clients to reach SSLv3/TLS servers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sslv2Hello {
    /// Version offered (0x0002 for SSLv2 itself, 0x0300..0x0303 otherwise).
    pub version: u16,
    /// Cipher specs (3 bytes each, as u32).
    pub cipher_specs: Vec<u32>,
}

/// Length of an SSLv2 record (header included) from its first 2 bytes.
pub fn sslv2_record_len(b0: u8, b1: u8) -> usize {
    2 + (usize::from(b0 & 0x7f) << 8 | usize::from(b1))
}

/// Reads a whole SSLv2 record holding a CLIENT-HELLO.
pub fn sslv2_client_hello(rec: &[u8]) -> Option<Sslv2Hello> {
    let body = rec.get(2..)?;
    let (fixed, rest) = body.split_at_checked(9)?;
    if fixed[0] != 1 {
        return None;
    }
    let u = |i: usize| usize::from(u16::from_be_bytes([fixed[i], fixed[i + 1]]));
    let (cs_len, sid_len, ch_len) = (u(3), u(5), u(7));
    if cs_len % 3 != 0 || cs_len + sid_len + ch_len > rest.len() {
        return None;
    }
    let specs = rest.get(..cs_len)?;
    Some(Sslv2Hello {
        version: u16::from_be_bytes([fixed[1], fixed[2]]),
        cipher_specs: specs
            .chunks_exact(3)
            .take(MAX_LIST)
            .map(|c| u32::from(c[0]) << 16 | u32::from(c[1]) << 8 | u32::from(c[2]))
            .collect(),
    })
}

/// Suricata's name for a version (`SSLVersionToString`): `TLS 1.2`,
/// `TLSv1`, `SSLv3`, `UNDETERMINED` for none.
pub fn version_name(v: u16) -> String {
    match v {
        0 => "UNDETERMINED".into(),
        0x0002 | 0x0200 => "SSLv2".into(),
        0x0300 => "SSLv3".into(),
        0x0301 => "TLSv1".into(),
        0x0302 => "TLS 1.1".into(),
        0x0303 => "TLS 1.2".into(),
        0x0304 => "TLS 1.3".into(),
        0x7f10..=0x7f1c => format!("TLS 1.3 draft-{}", v & 0xff),
        _ => format!("0x{v:04x}"),
    }
}

/// Seconds since the epoch as Suricata prints certificate dates
/// (`2016-11-03T00:00:00`, UTC).
pub fn iso_time(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}
