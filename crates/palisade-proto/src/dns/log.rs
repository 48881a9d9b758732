//! The EVE `dns` object in Suricata's version 3 format (Suricata 8.0,
//! `rust/src/dns/log.rs`): one object per message with `type`
//! `request`/`response`, the header fields, a `queries` array, detailed
//! `answers` plus `grouped` answers, `authorities` and `additionals`.

use super::parser::{Message, Name, RData, Record};
use crate::util::text;
use serde_json::{json, Map, Value};

/// Suricata's name of an RR type; types it has no name for are logged as
/// their number, as Suricata does.
pub fn rrtype_name(t: u16) -> String {
    let s = match t {
        1 => "A",
        2 => "NS",
        3 => "MD",
        4 => "MF",
        5 => "CNAME",
        6 => "SOA",
        7 => "MB",
        8 => "MG",
        9 => "MR",
        10 => "NULL",
        11 => "WKS",
        12 => "PTR",
        13 => "HINFO",
        14 => "MINFO",
        15 => "MX",
        16 => "TXT",
        17 => "RP",
        18 => "AFSDB",
        19 => "X25",
        20 => "ISDN",
        21 => "RT",
        22 => "NSAP",
        23 => "NSAPPTR",
        24 => "SIG",
        25 => "KEY",
        26 => "PX",
        27 => "GPOS",
        28 => "AAAA",
        29 => "LOC",
        30 => "NXT",
        33 => "SRV",
        34 => "ATMA",
        35 => "NAPTR",
        36 => "KX",
        37 => "CERT",
        38 => "A6",
        39 => "DNAME",
        41 => "OPT",
        42 => "APL",
        43 => "DS",
        44 => "SSHFP",
        45 => "IPSECKEY",
        46 => "RRSIG",
        47 => "NSEC",
        48 => "DNSKEY",
        49 => "DHCID",
        50 => "NSEC3",
        51 => "NSEC3PARAM",
        52 => "TLSA",
        55 => "HIP",
        59 => "CDS",
        60 => "CDNSKEY",
        99 => "SPF",
        249 => "TKEY",
        250 => "TSIG",
        254 => "MAILA",
        255 => "ANY",
        256 => "URI",
        _ => return t.to_string(),
    };
    s.to_string()
}

/// Suricata's name of a response code (the low 4 bits of the flags).
pub fn rcode_name(rcode: u8) -> String {
    let s = match rcode {
        0 => "NOERROR",
        1 => "FORMERR",
        2 => "SERVFAIL",
        3 => "NXDOMAIN",
        4 => "NOTIMP",
        5 => "REFUSED",
        6 => "YXDOMAIN",
        7 => "YXRRSET",
        8 => "NXRRSET",
        9 => "NOTAUTH",
        10 => "NOTZONE",
        _ => return rcode.to_string(),
    };
    s.to_string()
}

/// An address as Suricata prints it: dotted quad, or eight groups of four
/// hex digits (not compressed); anything else is empty.
pub fn addr(b: &[u8]) -> String {
    match b.len() {
        4 => b.iter().map(u8::to_string).collect::<Vec<_>>().join("."),
        16 => b
            .chunks(2)
            .map(|p| p.iter().map(|x| format!("{x:02x}")).collect::<String>())
            .collect::<Vec<_>>()
            .join(":"),
        _ => String::new(),
    }
}

/// Lowercase hex.
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn set_name(o: &mut Map<String, Value>, key: &str, n: &Name) {
    o.insert(key.into(), Value::String(text(&n.value)));
    if n.truncated {
        o.insert(format!("{key}_truncated"), Value::Bool(true));
    }
}

fn soa_json(s: &super::parser::Soa) -> Value {
    let mut o = Map::new();
    set_name(&mut o, "mname", &s.mname);
    set_name(&mut o, "rname", &s.rname);
    o.insert("serial".into(), s.serial.into());
    o.insert("refresh".into(), s.refresh.into());
    o.insert("retry".into(), s.retry.into());
    o.insert("expire".into(), s.expire.into());
    o.insert("minimum".into(), s.minimum.into());
    Value::Object(o)
}

fn srv_json(priority: u16, weight: u16, port: u16, target: &Name) -> Value {
    json!({
        "priority": priority,
        "weight": weight,
        "port": port,
        "name": text(&target.value),
    })
}

/// The detailed entries of one record: one per TXT string (as Suricata
/// splits them), one otherwise.
fn detail(r: &Record) -> Vec<Value> {
    let mut o = Map::new();
    set_name(&mut o, "rrname", &r.name);
    o.insert("rrtype".into(), rrtype_name(r.rrtype).into());
    o.insert("ttl".into(), r.ttl.into());
    match &r.data {
        RData::Addr(a) => {
            o.insert("rdata".into(), addr(a).into());
        }
        RData::Name(n) | RData::Mx { exchange: n, .. } => set_name(&mut o, "rdata", n),
        RData::Txt { strings, truncated } => {
            if *truncated {
                o.insert("rdata_truncated".into(), Value::Bool(true));
            }
            return strings
                .iter()
                .map(|s| {
                    let mut e = o.clone();
                    e.insert("rdata".into(), text(s).into());
                    Value::Object(e)
                })
                .collect();
        }
        RData::Soa(s) => {
            o.insert("soa".into(), soa_json(s));
        }
        RData::Srv {
            priority,
            weight,
            port,
            target,
        } => {
            o.insert("srv".into(), srv_json(*priority, *weight, *port, target));
        }
        RData::Opt(opts) => {
            let v: Vec<Value> = opts
                .iter()
                .map(|(code, d)| json!({"code": code, "data": hex(d)}))
                .collect();
            o.insert("opt".into(), Value::Array(v));
        }
        // palisade extension: Suricata logs no rdata for these types.
        RData::Other { data, truncated } => {
            if !data.is_empty() {
                o.insert("rdata".into(), hex(data).into());
            }
            if *truncated {
                o.insert("rdata_truncated".into(), Value::Bool(true));
            }
        }
    }
    vec![Value::Object(o)]
}

/// Answers grouped by type, as Suricata's `grouped` format: addresses,
/// names and TXT strings as strings, SOA and SRV as objects.
fn grouped(answers: &[Record]) -> Map<String, Value> {
    let mut g: Map<String, Value> = Map::new();
    for r in answers {
        let vals: Vec<Value> = match &r.data {
            RData::Addr(a) => vec![addr(a).into()],
            RData::Name(n) | RData::Mx { exchange: n, .. } => vec![text(&n.value).into()],
            RData::Txt { strings, .. } => strings.iter().map(|s| text(s).into()).collect(),
            RData::Soa(s) => vec![soa_json(s)],
            RData::Srv {
                priority,
                weight,
                port,
                target,
            } => vec![srv_json(*priority, *weight, *port, target)],
            RData::Opt(_) | RData::Other { .. } => continue,
        };
        if let Value::Array(a) = g
            .entry(rrtype_name(r.rrtype))
            .or_insert_with(|| Value::Array(Vec::new()))
        {
            a.extend(vals);
        }
    }
    g
}

/// Fills `out` with the version 3 object of one message. `kind` is
/// `request` or `response`; `tx_id` is the flow's transaction number.
pub fn message(out: &mut Map<String, Value>, kind: &str, tx_id: u64, m: &Message) {
    let h = &m.header;
    out.insert("version".into(), 3.into());
    out.insert("type".into(), kind.into());
    out.insert("tx_id".into(), tx_id.into());
    out.insert("id".into(), h.id.into());
    out.insert("flags".into(), format!("{:x}", h.flags).into());
    for (bit, key) in [
        (0x8000, "qr"),
        (0x0400, "aa"),
        (0x0200, "tc"),
        (0x0100, "rd"),
        (0x0080, "ra"),
        (0x0040, "z"),
    ] {
        if h.flags & bit != 0 {
            out.insert(key.into(), Value::Bool(true));
        }
    }
    out.insert("opcode".into(), h.opcode().into());
    out.insert("rcode".into(), rcode_name(h.rcode()).into());
    if !m.questions.is_empty() {
        let q: Vec<Value> = m
            .questions
            .iter()
            .map(|q| {
                let mut o = Map::new();
                set_name(&mut o, "rrname", &q.name);
                o.insert("rrtype".into(), rrtype_name(q.qtype).into());
                Value::Object(o)
            })
            .collect();
        out.insert("queries".into(), Value::Array(q));
    }
    if !m.answers.is_empty() {
        let a: Vec<Value> = m.answers.iter().flat_map(detail).collect();
        out.insert("answers".into(), Value::Array(a));
        out.insert("grouped".into(), Value::Object(grouped(&m.answers)));
    }
    if !m.authorities.is_empty() {
        let a: Vec<Value> = m.authorities.iter().flat_map(detail).collect();
        out.insert("authorities".into(), Value::Array(a));
    }
    // Suricata leaves out OPT records without options.
    let adds: Vec<Value> = m
        .additionals
        .iter()
        .filter(|r| !matches!(&r.data, RData::Opt(o) if o.is_empty()))
        .flat_map(detail)
        .collect();
    if !adds.is_empty() {
        out.insert("additionals".into(), Value::Array(adds));
    }
}
