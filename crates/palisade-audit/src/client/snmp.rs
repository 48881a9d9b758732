//! SNMP v2c: a GetRequest for sysDescr.0 (1.3.6.1.2.1.1.1.0) per
//! community. An agent answers only communities it knows (a wrong one is
//! dropped silently), so any Response carrying our request id means the
//! community was accepted.
//!
//! The BER here is the minimum for that: definite lengths (short and long
//! form up to 4 bytes), INTEGER, OCTET STRING, NULL, OID, SEQUENCE and the
//! two PDU tags. Decoding checks every length against the datagram.
//!
//! All communities go out on one socket, then the replies are collected
//! until the timeout; request ids tell which community was answered, so a
//! silent agent costs one timeout, not one per community.

use super::ClientConfig;
use crate::Outcome;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::UdpSocket;
use tokio::time::{timeout_at, Instant};

/// sysDescr.0
pub const SYS_DESCR: &[u8] = &[0x2b, 6, 1, 2, 1, 1, 1, 0];

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const OCTET_STRING: u8 = 0x04;
const NULL: u8 = 0x05;
const OID: u8 = 0x06;
const GET_REQUEST: u8 = 0xa0;
const RESPONSE: u8 = 0xa2;

fn tlv(out: &mut Vec<u8>, tag: u8, value: &[u8]) {
    out.push(tag);
    let n = value.len();
    if n < 128 {
        out.push(n as u8);
    } else {
        let bytes = (n as u32).to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        let used = bytes.get(skip..).unwrap_or(&[]);
        out.push(0x80 | used.len() as u8);
        out.extend_from_slice(used);
    }
    out.extend_from_slice(value);
}

fn int(out: &mut Vec<u8>, v: i32) {
    let b = v.to_be_bytes();
    // shortest two's complement form
    let mut i = 0;
    while i < 3 {
        let (cur, next) = (b[i], b[i + 1]);
        if (cur == 0 && next & 0x80 == 0) || (cur == 0xff && next & 0x80 != 0) {
            i += 1;
        } else {
            break;
        }
    }
    tlv(out, INTEGER, &b[i..]);
}

/// A v2c GetRequest of sysDescr.0.
pub fn get_request(community: &[u8], request_id: i32) -> Vec<u8> {
    let mut varbind = Vec::new();
    tlv(&mut varbind, OID, SYS_DESCR);
    tlv(&mut varbind, NULL, &[]);
    let mut vb = Vec::new();
    tlv(&mut vb, SEQUENCE, &varbind);
    let mut list = Vec::new();
    tlv(&mut list, SEQUENCE, &vb);
    let mut pdu = Vec::new();
    int(&mut pdu, request_id);
    int(&mut pdu, 0);
    int(&mut pdu, 0);
    pdu.extend_from_slice(&list);
    let mut msg = Vec::new();
    int(&mut msg, 1); // version: v2c
    tlv(&mut msg, OCTET_STRING, community);
    tlv(&mut msg, GET_REQUEST, &pdu);
    let mut out = Vec::new();
    tlv(&mut out, SEQUENCE, &msg);
    out
}

/// Reads one TLV at the start of `b`: (tag, value, rest).
fn read_tlv(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = b.split_first()?;
    let (&l, rest) = rest.split_first()?;
    let (len, rest) = if l & 0x80 == 0 {
        (usize::from(l), rest)
    } else {
        let n = usize::from(l & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let (lb, rest) = (rest.get(..n)?, rest.get(n..)?);
        (
            lb.iter().fold(0usize, |a, &x| (a << 8) | usize::from(x)),
            rest,
        )
    };
    Some((tag, rest.get(..len)?, rest.get(len..)?))
}

fn read_int(v: &[u8]) -> Option<i64> {
    if v.is_empty() || v.len() > 8 {
        return None;
    }
    let first = *v.first()?;
    let init: i64 = if first & 0x80 != 0 { -1 } else { 0 };
    Some(v.iter().fold(init, |a, &x| (a << 8) | i64::from(x)))
}

/// What a response says.
#[derive(Debug, PartialEq, Eq)]
pub struct Response<'a> {
    /// Community echoed.
    pub community: &'a [u8],
    /// Request id.
    pub request_id: i64,
    /// Error status (0: none).
    pub error_status: i64,
    /// The first varbind's value if it is an OCTET STRING (sysDescr).
    pub value: Option<&'a [u8]>,
}

/// Decodes a v1/v2c Response; None for anything else or anything
/// malformed.
pub fn parse_response(b: &[u8]) -> Option<Response<'_>> {
    let (tag, msg, _) = read_tlv(b)?;
    if tag != SEQUENCE {
        return None;
    }
    let (tag, _version, rest) = read_tlv(msg)?;
    if tag != INTEGER {
        return None;
    }
    let (tag, community, rest) = read_tlv(rest)?;
    if tag != OCTET_STRING {
        return None;
    }
    let (tag, pdu, _) = read_tlv(rest)?;
    if tag != RESPONSE {
        return None;
    }
    let (t1, rid, rest) = read_tlv(pdu)?;
    let (t2, es, rest) = read_tlv(rest)?;
    let (t3, _ei, rest) = read_tlv(rest)?;
    if t1 != INTEGER || t2 != INTEGER || t3 != INTEGER {
        return None;
    }
    let value = read_tlv(rest)
        .and_then(|(_, list, _)| read_tlv(list))
        .and_then(|(_, vb, _)| read_tlv(vb))
        .and_then(|(_, _oid, rest)| read_tlv(rest))
        .and_then(|(t, v, _)| (t == OCTET_STRING).then_some(v));
    Some(Response {
        community,
        request_id: read_int(rid)?,
        error_status: read_int(es)?,
        value,
    })
}

/// Result of a community sweep.
#[derive(Debug, PartialEq, Eq)]
pub enum Sweep {
    /// Indices (into the list sent) of the communities answered.
    Answered(Vec<usize>),
    /// ICMP port unreachable: no agent.
    Closed,
    /// The socket failed.
    Error(String),
}

/// Sends one GetRequest per community (waiting `gap` between sends: the
/// per-target rate), then collects answers until `cfg.timeout` after the
/// last send. Returns the result and how many requests were sent (a
/// closed port ends the sweep early).
pub async fn sweep(
    addr: SocketAddr,
    communities: &[&str],
    gap: Duration,
    cfg: &ClientConfig,
) -> (Sweep, usize) {
    let mut sent = 0;
    let r = sweep_inner(addr, communities, gap, cfg, &mut sent).await;
    (r, sent)
}

async fn sweep_inner(
    addr: SocketAddr,
    communities: &[&str],
    gap: Duration,
    cfg: &ClientConfig,
    sent: &mut usize,
) -> Sweep {
    let bind: SocketAddr = if addr.is_ipv4() {
        ([0, 0, 0, 0], 0).into()
    } else {
        (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let sock = match UdpSocket::bind(bind).await {
        Ok(s) => s,
        Err(e) => return Sweep::Error(format!("bind: {e}")),
    };
    if let Err(e) = sock.connect(addr).await {
        return Sweep::Error(format!("connect: {e}"));
    }
    let base: i32 = rand::random::<i32>() & 0x3fff_0000;
    let mut answered = Vec::new();
    let mut buf = vec![0u8; 4096];
    let mut deadline = Instant::now() + cfg.timeout;
    for (i, c) in communities.iter().enumerate() {
        if i > 0 && !gap.is_zero() {
            // listen while pacing
            let until = Instant::now() + gap;
            if let Some(r) = collect(&sock, &mut buf, base, communities, &mut answered, until).await
            {
                return r;
            }
            if !answered.is_empty() {
                // one community is enough: send no more
                break;
            }
        }
        let rid = base.wrapping_add(i as i32);
        if let Err(e) = sock.send(&get_request(c.as_bytes(), rid)).await {
            if matches!(
                e.kind(),
                std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::HostUnreachable
            ) {
                return Sweep::Closed;
            }
            return Sweep::Error(format!("send: {e}"));
        }
        *sent += 1;
        deadline = Instant::now() + cfg.timeout;
    }
    if answered.is_empty() {
        if let Some(r) = collect(&sock, &mut buf, base, communities, &mut answered, deadline).await
        {
            return r;
        }
    }
    answered.sort_unstable();
    answered.dedup();
    Sweep::Answered(answered)
}

/// Reads answers until `until` or the first accepted answer; Some(..) on
/// a definite end (closed port).
async fn collect(
    sock: &UdpSocket,
    buf: &mut [u8],
    base: i32,
    communities: &[&str],
    answered: &mut Vec<usize>,
    until: Instant,
) -> Option<Sweep> {
    loop {
        match timeout_at(until, sock.recv(buf)).await {
            Err(_) => return None,
            Ok(Err(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::HostUnreachable
                ) =>
            {
                return Some(Sweep::Closed)
            }
            Ok(Err(e)) => return Some(Sweep::Error(format!("recv: {e}"))),
            Ok(Ok(n)) => {
                let Some(r) = buf.get(..n).and_then(parse_response) else {
                    continue;
                };
                let idx = r.request_id - i64::from(base);
                if let Ok(i) = usize::try_from(idx) {
                    if communities
                        .get(i)
                        .is_some_and(|c| c.as_bytes() == r.community)
                    {
                        answered.push(i);
                        return None; // an answer ends the wait
                    }
                }
            }
        }
    }
}

/// The outcome for one community of a sweep.
pub fn outcome_of(s: &Sweep, i: usize) -> Outcome {
    match s {
        Sweep::Answered(v) if v.contains(&i) => Outcome::Accepted,
        Sweep::Answered(_) => Outcome::Rejected,
        Sweep::Closed => Outcome::Closed,
        Sweep::Error(e) => Outcome::Error(e.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_request_bytes() {
        // as net-snmp's snmpget -v2c -c public sends it (request id 0x1234)
        let p = get_request(b"public", 0x1234);
        let expect: Vec<u8> = vec![
            0x30, 0x27, 0x02, 0x01, 0x01, 0x04, 0x06, b'p', b'u', b'b', b'l', b'i', b'c', 0xa0,
            0x1a, 0x02, 0x02, 0x12, 0x34, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00, 0x30, 0x0e, 0x30,
            0x0c, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x01, 0x00, 0x05, 0x00,
        ];
        assert_eq!(p, expect);
        // integers: shortest form, sign kept
        let mut v = Vec::new();
        int(&mut v, 128);
        assert_eq!(v, vec![2, 2, 0, 128]);
        v.clear();
        int(&mut v, -1);
        assert_eq!(v, vec![2, 1, 0xff]);
        // long-form length
        let long = get_request(&[b'a'; 200], 1);
        assert_eq!(&long[..2], &[0x30, 0x81]);
        assert_eq!(long.len(), 3 + usize::from(long[2]));
    }

    #[test]
    fn response_parse() {
        let mut req = get_request(b"public", 77);
        // turn the request into a response carrying sysDescr = "Linux"
        req[13] = RESPONSE;
        let end = req.len() - 2; // replace NULL with OCTET STRING "Linux"
        req.truncate(end);
        req.extend_from_slice(&[OCTET_STRING, 5, b'L', b'i', b'n', b'u', b'x']);
        // fix the lengths: varbind, list, pdu, message each grew by 5
        for i in [1usize, 14, 25, 27] {
            req[i] += 5;
        }
        let r = parse_response(&req).unwrap();
        assert_eq!(r.community, b"public");
        assert_eq!(r.request_id, 77);
        assert_eq!(r.error_status, 0);
        assert_eq!(r.value, Some(&b"Linux"[..]));
        // a request is not a response; truncations never panic
        assert!(parse_response(&get_request(b"public", 1)).is_none());
        for n in 0..req.len() {
            assert!(parse_response(&req[..n]).is_none());
        }
        assert!(parse_response(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]).is_none());
    }
}
