//! DNS over UDP: a device resolving a cloud name through the gateway.
//!
//! One exchange is one conversation from a fresh ephemeral port: an A query,
//! often an AAAA query right behind it on the same socket (as glibc does),
//! and their answers. Answers compress names with pointers (RFC 1035 §4.1.4):
//! the owner of the first answer points at the question, a CNAME target
//! shares the question's domain suffix, an SOA in the authority section of an
//! AAAA NODATA answer points at both. Query ids are random per query.

use crate::actor::{self, Launch};
use crate::scheduler::Ctx;
use crate::world::{DevId, Service, SvcId, GATEWAY};

pub(crate) const TYPE_A: u16 = 1;
pub(crate) const TYPE_CNAME: u16 = 5;
pub(crate) const TYPE_SOA: u16 = 6;
pub(crate) const TYPE_AAAA: u16 = 28;
const CLASS_IN: u16 = 1;

/// Remembers where name suffixes were written so later names can point at
/// them. Offsets are from the start of the DNS message.
struct Compressor<'a> {
    entries: [(&'a str, u16); 16],
    n: usize,
}

impl<'a> Compressor<'a> {
    fn new() -> Self {
        Compressor {
            entries: [("", 0); 16],
            n: 0,
        }
    }

    fn find(&self, suffix: &str) -> Option<u16> {
        self.entries[..self.n]
            .iter()
            .find(|e| e.0 == suffix)
            .map(|e| e.1)
    }

    /// Writes `prefix` (one uncompressed label, may be empty) then `name`,
    /// compressing the longest suffix already written. Returns the offset
    /// the name starts at.
    fn write(&mut self, b: &mut Vec<u8>, msg: usize, prefix: &str, name: &'a str) -> u16 {
        let start = (b.len() - msg) as u16;
        if !prefix.is_empty() {
            b.push(prefix.len() as u8);
            b.extend_from_slice(prefix.as_bytes());
        }
        let mut rest = name;
        loop {
            if rest.is_empty() {
                b.push(0);
                return start;
            }
            if let Some(off) = self.find(rest) {
                b.extend_from_slice(&(0xc000 | off).to_be_bytes());
                return start;
            }
            let off = (b.len() - msg) as u16;
            if self.n < self.entries.len() && off < 0x3fff {
                self.entries[self.n] = (rest, off);
                self.n += 1;
            }
            let (label, tail) = rest.split_once('.').unwrap_or((rest, ""));
            b.push(label.len() as u8);
            b.extend_from_slice(label.as_bytes());
            rest = tail;
        }
    }
}

fn header(b: &mut Vec<u8>, id: u16, flags: u16, qd: u16, an: u16, ns: u16) {
    b.extend_from_slice(&id.to_be_bytes());
    b.extend_from_slice(&flags.to_be_bytes());
    for n in [qd, an, ns, 0] {
        b.extend_from_slice(&n.to_be_bytes());
    }
}

/// A recursive query for `name`.
pub(crate) fn write_query(b: &mut Vec<u8>, id: u16, name: &str, qtype: u16) {
    let msg = b.len();
    header(b, id, 0x0100, 1, 0, 0);
    Compressor::new().write(b, msg, "", name);
    b.extend_from_slice(&qtype.to_be_bytes());
    b.extend_from_slice(&CLASS_IN.to_be_bytes());
}

fn rr_head(b: &mut Vec<u8>, owner: u16, rtype: u16, ttl: u32) {
    b.extend_from_slice(&(0xc000 | owner).to_be_bytes());
    b.extend_from_slice(&rtype.to_be_bytes());
    b.extend_from_slice(&CLASS_IN.to_be_bytes());
    b.extend_from_slice(&ttl.to_be_bytes());
}

/// The gateway's answer to a query for `svc` resolving to `ip`.
pub(crate) fn write_response(
    b: &mut Vec<u8>,
    id: u16,
    qtype: u16,
    svc: &Service,
    ip: [u8; 4],
    ttl: u32,
) {
    let msg = b.len();
    header(b, id, 0x8180, 1, 0, 0);
    let mut comp = Compressor::new();
    let mut owner = comp.write(b, msg, "", svc.name);
    b.extend_from_slice(&qtype.to_be_bytes());
    b.extend_from_slice(&CLASS_IN.to_be_bytes());
    let (mut an, mut ns) = (0u16, 0u16);
    if let Some(cname) = &svc.cname {
        rr_head(b, owner, TYPE_CNAME, ttl.max(60) * 2);
        let len_at = b.len();
        b.extend_from_slice(&[0, 0]);
        owner = comp.write(b, msg, "", cname);
        let rdlen = (b.len() - len_at - 2) as u16;
        b[len_at..len_at + 2].copy_from_slice(&rdlen.to_be_bytes());
        an += 1;
    }
    match (qtype, svc.aaaa) {
        (TYPE_A, _) => {
            rr_head(b, owner, TYPE_A, ttl);
            b.extend_from_slice(&4u16.to_be_bytes());
            b.extend_from_slice(&ip);
            an += 1;
        }
        (_, Some(v6)) => {
            rr_head(b, owner, TYPE_AAAA, ttl);
            b.extend_from_slice(&16u16.to_be_bytes());
            b.extend_from_slice(&v6);
            an += 1;
        }
        (_, None) => {
            // NODATA: the zone's SOA in the authority section.
            let zone = svc.name.split_once('.').map(|x| x.1).unwrap_or(svc.name);
            // Owner: a pointer into the question's name.
            comp.write(b, msg, "", zone);
            b.extend_from_slice(&TYPE_SOA.to_be_bytes());
            b.extend_from_slice(&CLASS_IN.to_be_bytes());
            b.extend_from_slice(&900u32.to_be_bytes());
            let len_at = b.len();
            b.extend_from_slice(&[0, 0]);
            comp.write(b, msg, "ns1", zone);
            comp.write(b, msg, "hostmaster", zone);
            for v in [2_026_010_501u32, 7200, 3600, 1_209_600, 300] {
                b.extend_from_slice(&v.to_be_bytes());
            }
            let rdlen = (b.len() - len_at - 2) as u16;
            b[len_at..len_at + 2].copy_from_slice(&rdlen.to_be_bytes());
            ns += 1;
        }
    }
    b[msg + 6..msg + 8].copy_from_slice(&an.to_be_bytes());
    b[msg + 8..msg + 10].copy_from_slice(&ns.to_be_bytes());
}

/// One DNS exchange between a device and the gateway.
#[derive(Debug)]
pub(crate) struct DnsConv {
    dev: DevId,
    svc: SvcId,
    port: u16,
    ids: [u16; 2],
    aaaa: bool,
    step: u8,
    /// Gateway answer latency (cache miss upstream or hit).
    latency: u64,
    ttl: u32,
    /// What the device does with the answer.
    then: Option<Launch>,
}

impl DnsConv {
    /// `None` when the device has no ephemeral port left.
    pub(crate) fn new(
        cx: &mut Ctx<'_>,
        dev: DevId,
        svc: SvcId,
        then: Option<Launch>,
    ) -> Option<Self> {
        let host = cx.world.devices[dev as usize].host;
        let port = cx.world.hosts[host as usize].ports.next()?;
        let s = &cx.world.services[svc as usize];
        let miss = cx.rng.chance(400);
        let ttl = if miss {
            s.dns_ttl
        } else {
            s.dns_ttl - cx.rng.below(s.dns_ttl as u64 / 2) as u32
        };
        Some(DnsConv {
            dev,
            svc,
            port,
            ids: [cx.rng.next_u16(), cx.rng.next_u16()],
            aaaa: cx.world.hosts[host as usize].stack == crate::catalog::Stack::Linux
                && cx.rng.chance(700),
            step: 0,
            latency: if miss {
                cx.rng.range(8_000_000, 80_000_000)
            } else {
                cx.rng.range(150_000, 1_500_000)
            },
            ttl,
            then,
        })
    }

    /// Emits the next packet; `None` after the last.
    pub(crate) fn step(&mut self, cx: &mut Ctx<'_>) -> Option<u64> {
        let dev_host = cx.world.devices[self.dev as usize].host;
        let svc = &cx.world.services[self.svc as usize];
        let name = svc.name;
        let ip_answer = cx.world.hosts[svc.host as usize].ip;
        // Order: query A, [query AAAA], answer A, [answer AAAA].
        let (is_query, qtype) = match (self.step, self.aaaa) {
            (0, _) => (true, TYPE_A),
            (1, true) => (true, TYPE_AAAA),
            (1, false) | (2, true) => (false, TYPE_A),
            _ => (false, TYPE_AAAA),
        };
        let id = self.ids[(qtype == TYPE_AAAA) as usize];
        if self.step == 0 {
            cx.counts.udp += 1;
        }
        if is_query {
            let ip = cx.world.ip(dev_host, GATEWAY);
            cx.frame
                .udp(&ip, self.port, 53, |b| write_query(b, id, name, qtype));
        } else {
            let ip = cx.world.ip(GATEWAY, dev_host);
            let svc = &cx.world.services[self.svc as usize];
            let ttl = self.ttl;
            cx.frame.udp(&ip, 53, self.port, |b| {
                write_response(b, id, qtype, svc, ip_answer, ttl)
            });
        }
        self.step += 1;
        let last = self.step == if self.aaaa { 4 } else { 2 };
        let now = cx.now;
        if last {
            let expiry = now + self.ttl as u64 * 1_000_000_000;
            cx.world.devices[self.dev as usize].cache(self.svc, expiry);
            if let Some(l) = self.then.take() {
                let at = now + cx.rng.range(200_000, 5_000_000);
                actor::launch(cx, at, l);
            }
            return None;
        }
        let gap = match (self.aaaa, self.step) {
            (true, 1) => cx.rng.range(20_000, 300_000),
            (true, 2) | (false, 1) => self.latency,
            _ => cx.rng.range(30_000, 2_000_000),
        };
        Some(now + gap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::Role;

    fn svc(cname: Option<&str>, aaaa: Option<[u8; 16]>) -> Service {
        Service {
            name: "a1.tuyaeu.com",
            host: 1,
            role: Role::Cloud,
            port: 443,
            cname: cname.map(String::from),
            aaaa,
            dns_ttl: 300,
            tls13: true,
            cert: Vec::new(),
        }
    }

    /// Reads a possibly compressed name at `off`; returns it and the offset
    /// after it in the original position.
    fn read_name(m: &[u8], mut off: usize) -> (String, usize) {
        let mut out = Vec::new();
        let mut end = None;
        let mut hops = 0;
        loop {
            let l = m[off] as usize;
            if l & 0xc0 == 0xc0 {
                let p = (l & 0x3f) << 8 | m[off + 1] as usize;
                assert!(p < off, "pointer must point backwards");
                end.get_or_insert(off + 2);
                off = p;
                hops += 1;
                assert!(hops < 10);
                continue;
            }
            if l == 0 {
                end.get_or_insert(off + 1);
                break;
            }
            out.push(String::from_utf8(m[off + 1..off + 1 + l].to_vec()).unwrap());
            off += 1 + l;
        }
        (out.join("."), end.unwrap())
    }

    #[test]
    fn query_layout() {
        let mut b = Vec::new();
        write_query(&mut b, 0xbeef, "a1.tuyaeu.com", TYPE_AAAA);
        assert_eq!(&b[..12], &[0xbe, 0xef, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
        assert_eq!(&b[12..27], b"\x02a1\x06tuyaeu\x03com\x00");
        assert_eq!(&b[27..], &[0, 28, 0, 1]);
    }

    #[test]
    fn answer_with_cname_compresses_against_the_question() {
        let mut b = vec![0xaa; 5]; // the message need not start at 0
        let s = svc(Some("a1.edge-eu.tuyaeu.com"), None);
        write_response(&mut b, 7, TYPE_A, &s, [203, 0, 113, 10], 300);
        let m = &b[5..];
        assert_eq!(&m[2..4], &[0x81, 0x80]);
        assert_eq!(u16::from_be_bytes([m[6], m[7]]), 2);
        let (q, mut off) = read_name(m, 12);
        assert_eq!(q, "a1.tuyaeu.com");
        off += 4;
        assert_eq!(&m[off..off + 2], &[0xc0, 12]);
        let (owner, o) = read_name(m, off);
        assert_eq!(owner, "a1.tuyaeu.com");
        assert_eq!(u16::from_be_bytes([m[o], m[o + 1]]), TYPE_CNAME);
        let rdlen = u16::from_be_bytes([m[o + 8], m[o + 9]]) as usize;
        let (target, t_end) = read_name(m, o + 10);
        assert_eq!(target, "a1.edge-eu.tuyaeu.com");
        assert_eq!(t_end, o + 10 + rdlen);
        assert!(
            rdlen < "a1.edge-eu.tuyaeu.com".len() + 2,
            "target compressed"
        );
        let (owner2, o2) = read_name(m, t_end);
        assert_eq!(owner2, "a1.edge-eu.tuyaeu.com");
        assert_eq!(u16::from_be_bytes([m[o2], m[o2 + 1]]), TYPE_A);
        assert_eq!(&m[o2 + 10..o2 + 14], &[203, 0, 113, 10]);
        assert_eq!(o2 + 14, m.len());
    }

    #[test]
    fn aaaa_nodata_carries_a_compressed_soa() {
        let mut b = Vec::new();
        write_response(&mut b, 9, TYPE_AAAA, &svc(None, None), [0; 4], 300);
        assert_eq!(u16::from_be_bytes([b[6], b[7]]), 0);
        assert_eq!(u16::from_be_bytes([b[8], b[9]]), 1);
        let (_, mut off) = read_name(&b, 12);
        off += 4;
        let (zone, o) = read_name(&b, off);
        assert_eq!(zone, "tuyaeu.com");
        assert_eq!(u16::from_be_bytes([b[o], b[o + 1]]), TYPE_SOA);
        let (mname, o2) = read_name(&b, o + 10);
        assert_eq!(mname, "ns1.tuyaeu.com");
        let (rname, o3) = read_name(&b, o2);
        assert_eq!(rname, "hostmaster.tuyaeu.com");
        assert_eq!(o3 + 20, b.len());

        let mut b = Vec::new();
        let v6 = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
        write_response(&mut b, 9, TYPE_AAAA, &svc(None, Some(v6)), [0; 4], 300);
        assert_eq!(u16::from_be_bytes([b[6], b[7]]), 1);
        assert_eq!(&b[b.len() - 16..], &v6);
    }
}
