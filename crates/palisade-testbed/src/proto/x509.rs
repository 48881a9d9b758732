//! A minimal DER X.509 certificate for the servers' TLS 1.2 handshakes.
//!
//! Structurally valid (an X.509 parser reads subject, issuer, validity, the
//! P-256 key and the SAN), signed with random bytes: nothing verifies it, but
//! an IDS logging `tls.subject`, `tls.issuerdn` or `tls.notafter` sees
//! plausible values.

use super::civil;
use crate::prng::Rng;

const OID_ECDSA_SHA256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
const OID_EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const OID_C: &[u8] = &[0x55, 0x04, 0x06];
const OID_O: &[u8] = &[0x55, 0x04, 0x0a];
const OID_CN: &[u8] = &[0x55, 0x04, 0x03];
const OID_KEY_USAGE: &[u8] = &[0x55, 0x1d, 0x0f];
const OID_BASIC_CONSTRAINTS: &[u8] = &[0x55, 0x1d, 0x13];
const OID_SAN: &[u8] = &[0x55, 0x1d, 0x11];

const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;

/// Appends tag, minimal DER length and whatever `body` writes.
fn tlv(out: &mut Vec<u8>, tag: u8, body: impl FnOnce(&mut Vec<u8>)) {
    out.push(tag);
    let at = out.len();
    body(out);
    let len = out.len() - at;
    let mut hdr = [0u8; 5];
    let n = if len < 0x80 {
        hdr[0] = len as u8;
        1
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        let m = bytes.len() - skip;
        hdr[0] = 0x80 | m as u8;
        hdr[1..=m].copy_from_slice(&bytes[skip..]);
        m + 1
    };
    out.splice(at..at, hdr[..n].iter().copied());
}

fn raw(out: &mut Vec<u8>, tag: u8, bytes: &[u8]) {
    tlv(out, tag, |o| o.extend_from_slice(bytes));
}

/// A positive INTEGER from random bytes, minimally encoded.
fn random_int(out: &mut Vec<u8>, rng: &mut Rng, n: usize) {
    let mut v = [0u8; 33];
    rng.fill(&mut v[1..=n]);
    v[1] |= 1 << rng.below(7); // never a leading zero byte
    let body = if v[1] & 0x80 != 0 {
        &v[..=n]
    } else {
        &v[1..=n]
    };
    raw(out, 0x02, body);
}

fn name_attr(out: &mut Vec<u8>, oid: &[u8], string_tag: u8, value: &str) {
    tlv(out, SET, |o| {
        tlv(o, SEQUENCE, |o| {
            raw(o, 0x06, oid);
            raw(o, string_tag, value.as_bytes());
        })
    });
}

fn utc_time(out: &mut Vec<u8>, secs: u64) {
    let c = civil(secs);
    let s = format!(
        "{:02}{:02}{:02}{:02}{:02}{:02}Z",
        c.year % 100,
        c.month,
        c.day,
        c.hour,
        c.min,
        c.sec
    );
    raw(out, 0x17, s.as_bytes());
}

/// A leaf certificate for `host`, valid from `not_before` to `not_after`
/// (Unix seconds), issued by an ECDSA intermediate.
pub(crate) fn certificate(rng: &mut Rng, host: &str, not_before: u64, not_after: u64) -> Vec<u8> {
    certificate_by(rng, host, not_before, not_after, false)
}

/// A certificate for `host` signed by itself (issuer = subject = `CN=host`),
/// as cameras and NVRs generate at first boot.
pub(crate) fn self_signed_certificate(
    rng: &mut Rng,
    host: &str,
    not_before: u64,
    not_after: u64,
) -> Vec<u8> {
    certificate_by(rng, host, not_before, not_after, true)
}

fn certificate_by(
    rng: &mut Rng,
    host: &str,
    not_before: u64,
    not_after: u64,
    self_signed: bool,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(512);
    tlv(&mut out, SEQUENCE, |o| {
        tlv(o, SEQUENCE, |o| {
            tlv(o, 0xa0, |o| raw(o, 0x02, &[2])); // v3
            random_int(o, rng, 16);
            tlv(o, SEQUENCE, |o| raw(o, 0x06, OID_ECDSA_SHA256));
            if self_signed {
                tlv(o, SEQUENCE, |o| name_attr(o, OID_CN, 0x0c, host));
            } else {
                tlv(o, SEQUENCE, |o| {
                    name_attr(o, OID_C, 0x13, "US");
                    name_attr(o, OID_O, 0x13, "Let's Encrypt");
                    name_attr(o, OID_CN, 0x13, "E5");
                });
            }
            tlv(o, SEQUENCE, |o| {
                utc_time(o, not_before);
                utc_time(o, not_after);
            });
            tlv(o, SEQUENCE, |o| name_attr(o, OID_CN, 0x0c, host));
            tlv(o, SEQUENCE, |o| {
                tlv(o, SEQUENCE, |o| {
                    raw(o, 0x06, OID_EC_PUBLIC_KEY);
                    raw(o, 0x06, OID_P256);
                });
                tlv(o, 0x03, |o| {
                    o.extend_from_slice(&[0x00, 0x04]);
                    let at = o.len();
                    o.resize(at + 64, 0);
                    rng.fill(&mut o[at..]);
                });
            });
            tlv(o, 0xa3, |o| {
                tlv(o, SEQUENCE, |o| {
                    tlv(o, SEQUENCE, |o| {
                        raw(o, 0x06, OID_KEY_USAGE);
                        raw(o, 0x01, &[0xff]);
                        tlv(o, 0x04, |o| raw(o, 0x03, &[0x07, 0x80]));
                    });
                    tlv(o, SEQUENCE, |o| {
                        raw(o, 0x06, OID_BASIC_CONSTRAINTS);
                        raw(o, 0x01, &[0xff]);
                        tlv(o, 0x04, |o| tlv(o, SEQUENCE, |_| {}));
                    });
                    tlv(o, SEQUENCE, |o| {
                        raw(o, 0x06, OID_SAN);
                        tlv(o, 0x04, |o| {
                            tlv(o, SEQUENCE, |o| raw(o, 0x82, host.as_bytes()))
                        });
                    });
                });
            });
        });
        tlv(o, SEQUENCE, |o| raw(o, 0x06, OID_ECDSA_SHA256));
        tlv(o, 0x03, |o| {
            o.push(0);
            tlv(o, SEQUENCE, |o| {
                random_int(o, rng, 32);
                random_int(o, rng, 32);
            });
        });
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads one TLV, checking minimal length encoding; returns (tag, body, rest).
    fn read(b: &[u8]) -> (u8, &[u8], &[u8]) {
        let tag = b[0];
        let (len, hl) = if b[1] < 0x80 {
            (b[1] as usize, 2)
        } else {
            let n = (b[1] & 0x7f) as usize;
            assert!(b[2] != 0, "non-minimal length");
            let len = b[2..2 + n].iter().fold(0usize, |a, &x| a << 8 | x as usize);
            assert!(len >= 0x80, "long form for a short length");
            (len, 2 + n)
        };
        (tag, &b[hl..hl + len], &b[hl + len..])
    }

    #[test]
    fn certificate_is_well_formed_der() {
        let mut rng = Rng::new(3);
        let c = certificate(
            &mut rng,
            "dev.hik-connect.com",
            1_765_000_000,
            1_772_776_000,
        );
        let (tag, body, rest) = read(&c);
        assert_eq!(tag, SEQUENCE);
        assert!(rest.is_empty());
        let (tag, tbs, after) = read(body);
        assert_eq!(tag, SEQUENCE);
        let (tag, alg, after) = read(after);
        assert_eq!(tag, SEQUENCE);
        assert_eq!(read(alg).1, OID_ECDSA_SHA256);
        let (tag, sig, end) = read(after);
        assert_eq!(tag, 0x03);
        assert!(end.is_empty());
        assert_eq!(read(&sig[1..]).0, SEQUENCE);
        // tbs: version, serial, alg, issuer, validity, subject, spki, extensions
        let mut fields = Vec::new();
        let mut t = tbs;
        while !t.is_empty() {
            let (tag, body, r) = read(t);
            fields.push((tag, body));
            t = r;
        }
        let tags: Vec<u8> = fields.iter().map(|f| f.0).collect();
        assert_eq!(tags, [0xa0, 0x02, 0x30, 0x30, 0x30, 0x30, 0x30, 0xa3]);
        let serial = fields[1].1;
        assert!(serial[0] != 0 || serial[1] & 0x80 != 0);
        let validity = fields[4].1;
        let (_, nb, r) = read(validity);
        let (_, na, _) = read(r);
        assert_eq!(nb, b"251206054640Z");
        assert_eq!(na, b"260306054640Z");
        let text = String::from_utf8_lossy(&c);
        assert_eq!(text.matches("dev.hik-connect.com").count(), 2); // CN and SAN
        assert!(text.contains("Let's Encrypt"));
    }
}
