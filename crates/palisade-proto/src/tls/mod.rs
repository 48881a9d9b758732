//! TLS 1.0–1.3 and SSLv3 handshakes (RFC 2246, 4346, 5246, 8446, 6101),
//! with the SSLv2-format ClientHello old clients still send.
//!
//! IoT devices use TLS for MQTT (8883), HTTPS (443/8443) and mail/LDAP;
//! what an IDS can see of it is the plaintext handshake: who the client
//! asks for (SNI, ALPN), how it fingerprints (JA3, JA4: a camera firmware
//! or a malware TLS stack is recognisable), what the server answers
//! (version, JA3S) and, up to TLS 1.2, its certificate (subject, issuer,
//! validity, SHA-1 fingerprint: self-signed and expired certificates are
//! the norm on embedded devices).
//!
//! # Parsing
//! Records are walked by their 5-byte headers in each direction, across
//! any segmentation, several records per segment or one record over many.
//! Handshake record payloads feed a reassembly of handshake messages (a
//! message may span records) bounded at [`MAX_HANDSHAKE`]; every
//! other payload is skipped by count and never held. After a direction's
//! ChangeCipherSpec (TLS ≤ 1.2) or first application-data record (every
//! encrypted TLS 1.3 record) nothing more is read from it but record
//! headers, which keeps the walk in sync at almost no cost. ClientHello
//! and ServerHello are read with `tls-parser`, certificates with
//! `x509-parser`. A first record in SSLv2 form (high bit set) is read as an
//! SSLv2 CLIENT-HELLO (version only: no fingerprint is defined for it); a
//! server answering in SSLv2 ends parsing.
//!
//! A gap inside a record's payload keeps the record walk in sync (the next
//! header is where the last one said); anywhere else the direction stops,
//! as TLS has no marker to resynchronise on.
//!
//! # Transaction
//! One per flow, the handshake. Updated (to-server) when the ClientHello
//! is read; complete when the server's Certificate or ServerHelloDone, or
//! its first encrypted record (ChangeCipherSpec up to TLS 1.2, application
//! data for TLS 1.3) is seen, or when the flow ends. In TLS 1.3 the
//! server's ChangeCipherSpec is a compatibility dummy and does not
//! complete it (a HelloRetryRequest may be followed by one).
//!
//! Buffers: `tls.sni`, `tls.cert_subject`, `tls.cert_issuer`,
//! `tls.cert_serial`, `tls.cert_fingerprint`, `tls.certs` (each
//! certificate of the chain, DER), `ja3.hash`, `ja3.string`, `ja3s.hash`,
//! `ja3s.string`, `ja4.hash`. Integer fields: `tls.version` (the version
//! the server picked, TLS 1.3 from supported_versions; the ClientHello's
//! when no ServerHello was seen; 0x0200 for SSLv2) and `tls.cert_expired`
//! (1 when the first certificate's notAfter is before the time of the
//! packet that carried it).
//!
//! # EVE `tls`
//! Suricata's fields: `subject`, `issuerdn`, `serial` (`00:A1:...`),
//! `fingerprint` (`a1:b2:...`, SHA-1), `notbefore`/`notafter`
//! (`2016-11-03T00:00:00`), `session_resumed`, `sni`, `version` (`TLS 1.2`,
//! `TLS 1.3`, `TLSv1`, `SSLv3`, `SSLv2`, `UNDETERMINED` when the server
//! never answered), `ja3` and `ja3s` (`{"hash", "string"}`), `ja4`,
//! `client_alpns`, `server_alpns`. Palisade extras: `client_version` (the
//! ClientHello's version, same names), `sslv2_hello` (true when the client
//! used the SSLv2 format), `cert_expired` and `self_signed` (subject equals
//! issuer) booleans.
//!
//! Fingerprints are defined in [`fingerprint`].
//!
//! # Events
//! Suricata's names: `tls.invalid_record_type` and
//! `tls.invalid_record_version` (the header is not a TLS record: the
//! direction stops), `tls.invalid_record_length` (longer than
//! 2^14 + 2048: skipped by its length), `tls.invalid_handshake_message`
//! (a hello that does not parse, an unknown handshake type),
//! `tls.handshake_invalid_length` (a length overruns its message),
//! `tls.invalid_sni_type`, `tls.invalid_sni_length`,
//! `tls.multiple_sni_extensions`, `tls.invalid_certificate` (the
//! certificate list does not add up), `tls.certificate_invalid_der`,
//! `_length`, `_version`, `_serial`, `_algorithmidentifier`, `_x509name`,
//! `_date`, `_extensions` (the first certificate is not valid X.509),
//! `tls.heartbeat_message` (a heartbeat record: Heartbleed probes),
//! `tls.invalid_ssl_record` (an SSLv2 record that does not parse).
//! Palisade bounds: `tls.handshake_too_large` (a handshake message over
//! 64 KiB, skipped), `tls.list_too_long` (a hello list over
//! [`parser::MAX_LIST`] items, cut).

pub mod fingerprint;
pub mod parser;
mod state;

pub use state::{TlsParser, TlsTx, MAX_HANDSHAKE};

use crate::parser::Dir;
use crate::registry::{Probe, ProbeInput, ProtoSpec, Transport};

/// Registry entry.
pub static SPEC: ProtoSpec = ProtoSpec {
    name: "tls",
    transport: Transport::Tcp,
    ports: &[443, 8443, 8883, 993, 995, 465, 5061, 636],
    probe,
    new_parser: || Box::new(TlsParser::default()),
};

/// A handshake record starting a ClientHello (to server) or ServerHello
/// (to client), or an SSLv2-format CLIENT-HELLO. Every byte is checked as
/// soon as it is there, so other protocols are turned down at once.
fn probe(p: &ProbeInput<'_>) -> Probe {
    let d = p.data;
    let Some(&b0) = d.first() else {
        return Probe::NeedMore;
    };
    let ok = if b0 == parser::CT_HANDSHAKE {
        let want = match p.dir {
            Dir::ToServer => parser::HS_CLIENT_HELLO,
            Dir::ToClient => parser::HS_SERVER_HELLO,
        };
        let len = match (d.get(3), d.get(4)) {
            (Some(&a), Some(&b)) => Some(usize::from(u16::from_be_bytes([a, b]))),
            _ => None,
        };
        d.get(1).is_none_or(|&v| v == 3)
            && d.get(2).is_none_or(|&v| v <= 4)
            && len.is_none_or(|l| (4..=parser::MAX_RECORD_LEN).contains(&l))
            && d.get(5).is_none_or(|&t| t == want)
    } else if b0 & 0x80 != 0 && p.dir == Dir::ToServer {
        // SSLv2 header: 15-bit length, then CLIENT-HELLO (1) and a version
        // of SSLv2 (0x0002) or SSLv3/TLS (0x0300..0x0303).
        let len = d.get(1).map(|&b1| parser::sslv2_record_len(b0, b1) - 2);
        len.is_none_or(|l| l >= 9)
            && d.get(2).is_none_or(|&t| t == 1)
            && matches!(
                (d.get(3), d.get(4)),
                (Some(0), Some(2)) | (Some(3), Some(0..=3)) | (Some(0 | 3), None) | (None, _)
            )
    } else {
        false
    };
    if !ok {
        Probe::NoMatch
    } else if d.len() < 6 {
        Probe::NeedMore
    } else {
        Probe::Match
    }
}

#[cfg(test)]
mod tests;
