//! Names to addresses as the fleet's DNS answers said, for detectors whose
//! configuration names hosts (MUD `dst-dnsname`, allow-lists): a name
//! matches an address when some observed answer ([`crate::DnsObs`]) gave
//! that address for that name (or for a CNAME chain through it) and the
//! answer has not expired.
//!
//! An answer is kept for `max(ttl, min_ttl_secs)` seconds of packet time:
//! devices keep using an address well past a short TTL (long-lived
//! sessions, their own caches), so a floor avoids calling that a violation.
//! Bounded: at most `max_names` names (oldest inserted evicted first,
//! counted) with at most [`MAX_ADDRS_PER_NAME`] addresses each, and the
//! reverse map (address → names) at most `max_names` addresses with at
//! most [`MAX_NAMES_PER_ADDR`] names each.

use crate::obs::DnsObs;
use palisade_event::Timestamp;
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;

/// Addresses remembered per name.
pub const MAX_ADDRS_PER_NAME: usize = 16;
/// Names remembered per address.
pub const MAX_NAMES_PER_ADDR: usize = 8;

/// The cache.
#[derive(Debug)]
pub struct DnsCache {
    names: HashMap<String, Vec<(IpAddr, u64)>>,
    order: VecDeque<String>,
    addrs: HashMap<IpAddr, Vec<(String, u64)>>,
    addr_order: VecDeque<IpAddr>,
    max: usize,
    min_ttl: u64,
    evictions: u64,
}

fn upsert<K: PartialEq>(v: &mut Vec<(K, u64)>, k: K, exp: u64, cap: usize) {
    if let Some(e) = v.iter_mut().find(|(x, _)| *x == k) {
        e.1 = e.1.max(exp);
        return;
    }
    if v.len() >= cap {
        // the entry expiring first makes room
        if let Some(i) = v
            .iter()
            .enumerate()
            .min_by_key(|(_, (_, e))| *e)
            .map(|(i, _)| i)
        {
            v.swap_remove(i);
        }
    }
    v.push((k, exp));
}

impl DnsCache {
    /// At most `max_names` names; answers kept at least `min_ttl_secs`.
    pub fn new(max_names: usize, min_ttl_secs: u64) -> Self {
        DnsCache {
            names: HashMap::new(),
            order: VecDeque::new(),
            addrs: HashMap::new(),
            addr_order: VecDeque::new(),
            max: max_names.max(1),
            min_ttl: min_ttl_secs,
            evictions: 0,
        }
    }

    /// Names and addresses evicted to stay in bounds.
    pub fn evictions(&self) -> u64 {
        self.evictions
    }

    /// Names held.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Nothing held.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Learns an answer.
    pub fn observe(&mut self, d: &DnsObs) {
        let exp = d.ts.secs() + u64::from(d.ttl).max(self.min_ttl);
        for n in &d.names {
            if !self.names.contains_key(n) {
                while self.names.len() >= self.max {
                    let Some(old) = self.order.pop_front() else {
                        break;
                    };
                    if self.names.remove(&old).is_some() {
                        self.evictions += 1;
                    }
                }
                self.order.push_back(n.clone());
            }
            let v = self.names.entry(n.clone()).or_default();
            for a in &d.addrs {
                upsert(v, *a, exp, MAX_ADDRS_PER_NAME);
            }
        }
        for a in &d.addrs {
            if !self.addrs.contains_key(a) {
                while self.addrs.len() >= self.max {
                    let Some(old) = self.addr_order.pop_front() else {
                        break;
                    };
                    if self.addrs.remove(&old).is_some() {
                        self.evictions += 1;
                    }
                }
                self.addr_order.push_back(*a);
            }
            let v = self.addrs.entry(*a).or_default();
            for n in &d.names {
                upsert(v, n.clone(), exp, MAX_NAMES_PER_ADDR);
            }
        }
    }

    /// Whether `name` (lower case, no trailing dot) resolved to `ip` in an
    /// answer still valid at `now`.
    pub fn has(&self, name: &str, ip: &IpAddr, now: Timestamp) -> bool {
        self.names
            .get(name)
            .is_some_and(|v| v.iter().any(|(a, e)| a == ip && *e >= now.secs()))
    }

    /// The names `ip` was an answer for, still valid at `now`.
    pub fn names_of(&self, ip: &IpAddr, now: Timestamp) -> Vec<&str> {
        self.addrs.get(ip).map_or_else(Vec::new, |v| {
            v.iter()
                .filter(|(_, e)| *e >= now.secs())
                .map(|(n, _)| n.as_str())
                .collect()
        })
    }

    /// Whether `name` or one of its parent domains is `pattern`'s domain:
    /// `pattern` `*.example.com` matches `a.example.com` (not
    /// `example.com`); otherwise equality.
    pub fn name_matches(pattern: &str, name: &str) -> bool {
        match pattern.strip_prefix("*.") {
            Some(suffix) => name
                .strip_suffix(suffix)
                .is_some_and(|head| head.ends_with('.')),
            None => pattern == name,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(s: u64, names: &[&str], addrs: &[&str], ttl: u32) -> DnsObs {
        DnsObs {
            ts: Timestamp::from_secs_nanos(s, 0),
            client: "10.0.0.2".parse().unwrap(),
            server: "10.0.0.1".parse().unwrap(),
            names: names.iter().map(|n| n.to_string()).collect(),
            addrs: addrs.iter().map(|a| a.parse().unwrap()).collect(),
            ttl,
        }
    }

    #[test]
    fn answers_expire_and_reverse() {
        let mut c = DnsCache::new(4, 60);
        c.observe(&obs(
            100,
            &["a.example", "edge.a.example"],
            &["192.0.2.1"],
            10,
        ));
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let t = |s| Timestamp::from_secs_nanos(s, 0);
        assert!(c.has("a.example", &ip, t(150)));
        assert!(c.has("edge.a.example", &ip, t(160)));
        assert!(!c.has("a.example", &ip, t(161))); // min_ttl 60 floors ttl 10
        assert!(!c.has("b.example", &ip, t(150)));
        assert_eq!(c.names_of(&ip, t(150)), vec!["a.example", "edge.a.example"]);
        assert!(c.names_of(&ip, t(200)).is_empty());
    }

    #[test]
    fn bounded() {
        let mut c = DnsCache::new(4, 60);
        for i in 0..100u32 {
            let n = format!("n{i}.example");
            let a = format!("192.0.2.{}", i % 250);
            c.observe(&obs(1, &[&n], &[&a], 300));
        }
        assert_eq!(c.len(), 4);
        assert!(c.addrs.len() <= 4);
        assert!(c.evictions() >= 96 * 2);
        // many addresses for one name
        let addrs: Vec<String> = (0..40).map(|i| format!("198.51.100.{i}")).collect();
        let refs: Vec<&str> = addrs.iter().map(String::as_str).collect();
        c.observe(&obs(2, &["big.example"], &refs, 300));
        assert!(c.names["big.example"].len() <= MAX_ADDRS_PER_NAME);
    }

    #[test]
    fn wildcard_names() {
        assert!(DnsCache::name_matches("*.example.com", "a.example.com"));
        assert!(DnsCache::name_matches("*.example.com", "b.a.example.com"));
        assert!(!DnsCache::name_matches("*.example.com", "example.com"));
        assert!(!DnsCache::name_matches("*.example.com", "badexample.com"));
        assert!(DnsCache::name_matches("x.example", "x.example"));
    }
}
