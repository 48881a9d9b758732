//! Client and server hello fingerprints: JA3 / JA3S (Salesforce) and JA4
//! (FoxIO, `technical_details/JA4.md`).
//!
//! JA3 = MD5 of `version,ciphers,extensions,groups,point_formats`, decimal
//! values joined by `-`, GREASE removed. JA3S = MD5 of
//! `version,cipher,extensions` of the ServerHello.
//!
//! JA4 = `t` + version (highest supported_versions entry, else the hello
//! version) + `d`/`i` (SNI present or not) + cipher count + extension
//! count (2 digits each, at most 99, GREASE not counted, SNI and ALPN
//! counted) + first and last character of the first ALPN value (`00` when
//! none) `_` first 12 hex of SHA-256 of the sorted 4-hex-digit cipher list
//! `_` first 12 hex of SHA-256 of the sorted extension list without SNI and
//! ALPN, then `_` and the signature algorithms in wire order (no `_` when
//! there are none). An empty list hashes to `000000000000`, as FoxIO's
//! reference implementation does. ALPN ends follow FoxIO's reference
//! implementation: a byte of 0x80 or more shows as `9` (so `ba ad` gives
//! `99`), a one-byte value shows its byte twice, and a control byte at
//! either end gives `99`.

use super::parser::{is_grease, ClientHello, ServerHello};
use md5::Md5;
use sha2::{Digest, Sha256};
use std::fmt::Write;

fn hex(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        let _ = write!(s, "{x:02x}");
    }
    s
}

fn join_dec<T: std::fmt::Display>(it: impl Iterator<Item = T>) -> String {
    let mut s = String::new();
    for (i, v) in it.enumerate() {
        if i > 0 {
            s.push('-');
        }
        let _ = write!(s, "{v}");
    }
    s
}

fn no_grease(v: &[u16]) -> impl Iterator<Item = u16> + '_ {
    v.iter().copied().filter(|&x| !is_grease(x))
}

/// JA3 string and its MD5.
pub fn ja3(ch: &ClientHello<'_>) -> (String, String) {
    let s = format!(
        "{},{},{},{},{}",
        ch.version,
        join_dec(no_grease(&ch.ciphers)),
        join_dec(no_grease(&ch.extensions)),
        join_dec(no_grease(&ch.groups)),
        join_dec(ch.point_formats.iter()),
    );
    let h = hex(&Md5::digest(s.as_bytes()));
    (s, h)
}

/// JA3S string and its MD5.
pub fn ja3s(sh: &ServerHello<'_>) -> (String, String) {
    let s = format!(
        "{},{},{}",
        sh.version,
        sh.cipher,
        join_dec(no_grease(&sh.extensions)),
    );
    let h = hex(&Md5::digest(s.as_bytes()));
    (s, h)
}

fn ja4_version(v: u16) -> &'static str {
    match v {
        0x0304 => "13",
        0x0303 => "12",
        0x0302 => "11",
        0x0301 => "10",
        0x0300 => "s3",
        0x0002 | 0x0200 => "s2",
        0x0100 => "s1",
        _ => "00",
    }
}

/// One end of the first ALPN value: printable ASCII as itself, a byte of
/// 0x80 or more as `9`; None for a control byte.
fn alpn_end(b: u8) -> Option<char> {
    match b {
        0x20..=0x7e => Some(char::from(b)),
        0x80.. => Some('9'),
        _ => None,
    }
}

fn ja4_alpn(first: Option<&[u8]>) -> String {
    let Some((&a, &b)) = first.and_then(|v| Some((v.first()?, v.last()?))) else {
        return "00".into();
    };
    match (alpn_end(a), alpn_end(b)) {
        (Some(a), Some(b)) => format!("{a}{b}"),
        _ => "99".into(),
    }
}

fn hash12(s: &str) -> String {
    if s.is_empty() {
        return "000000000000".into();
    }
    let mut h = hex(&Sha256::digest(s.as_bytes()));
    h.truncate(12);
    h
}

fn hex_list(v: impl Iterator<Item = u16>) -> String {
    let mut s = String::new();
    for (i, x) in v.enumerate() {
        if i > 0 {
            s.push(',');
        }
        let _ = write!(s, "{x:04x}");
    }
    s
}

/// The JA4 raw string (`ja4_r`: sorted lists, unhashed).
pub fn ja4_raw(ch: &ClientHello<'_>) -> (String, String, String) {
    let version = no_grease(&ch.supported_versions)
        .max()
        .unwrap_or(ch.version);
    let mut ciphers: Vec<u16> = no_grease(&ch.ciphers).collect();
    let exts: Vec<u16> = no_grease(&ch.extensions).collect();
    let a = format!(
        "t{}{}{:02}{:02}{}",
        ja4_version(version),
        if exts.contains(&0) { 'd' } else { 'i' },
        ciphers.len().min(99),
        exts.len().min(99),
        ja4_alpn(ch.alpns.first().copied()),
    );
    ciphers.sort_unstable();
    let mut sorted: Vec<u16> = exts.into_iter().filter(|&e| e != 0 && e != 16).collect();
    sorted.sort_unstable();
    let mut c = hex_list(sorted.into_iter());
    let sigs = hex_list(no_grease(&ch.sig_algs));
    if !sigs.is_empty() {
        c.push('_');
        c.push_str(&sigs);
    }
    (a, hex_list(ciphers.into_iter()), c)
}

/// The JA4 fingerprint.
pub fn ja4(ch: &ClientHello<'_>) -> String {
    let (a, b, c) = ja4_raw(ch);
    format!("{a}_{}_{}", hash12(&b), hash12(&c))
}
