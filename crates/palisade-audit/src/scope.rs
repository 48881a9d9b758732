//! Targets and the audit scope.
//!
//! The scope is the set of networks the operator owns and may audit
//! (`[audit] scope`, or HOME_NET when unset). Every target is checked
//! against it before the first packet; one outside it is refused unless it
//! is named with `--allow-target`, so a typo in `--targets` cannot turn the
//! audit against someone else's network.

use crate::AuditError;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;

/// Most addresses one audit expands (a /16).
pub const MAX_TARGETS: usize = 65_536;
/// Longest target file read, in bytes.
const MAX_FILE: u64 = 4 << 20;

/// An address block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    /// The network address (host bits cleared).
    pub addr: IpAddr,
    /// Prefix length.
    pub prefix: u8,
}

impl Cidr {
    /// `10.0.0.5`, `10.0.0.0/24`, `fd00::1`, `fd00::/120`.
    pub fn parse(s: &str) -> Result<Cidr, AuditError> {
        let s = s.trim();
        let bad = || AuditError::BadCidr(s.to_string());
        let (a, p) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = a.trim().parse().map_err(|_| bad())?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            Some(p) => p.trim().parse::<u8>().map_err(|_| bad())?,
            None => max,
        };
        if prefix > max {
            return Err(bad());
        }
        Ok(Cidr {
            addr: mask(addr, prefix),
            prefix,
        })
    }

    /// Whether `ip` is in the block.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(_), IpAddr::V4(_)) | (IpAddr::V6(_), IpAddr::V6(_)) => {
                mask(ip, self.prefix) == self.addr
            }
            _ => false,
        }
    }

    /// The host addresses (network and broadcast addresses left out of
    /// IPv4 blocks larger than /31), at most `limit`.
    pub fn hosts(&self, limit: usize) -> Result<Vec<IpAddr>, AuditError> {
        let too_many = || AuditError::TooManyTargets(self.to_string(), limit);
        match self.addr {
            IpAddr::V4(a) => {
                let bits = 32 - u32::from(self.prefix);
                let size: u64 = 1u64 << bits;
                let base = u64::from(u32::from(a));
                let (first, last) = if bits >= 2 {
                    (base + 1, base + size - 2)
                } else {
                    (base, base + size - 1)
                };
                if last + 1 - first > limit as u64 {
                    return Err(too_many());
                }
                Ok((first..=last)
                    .filter_map(|x| u32::try_from(x).ok())
                    .map(|x| IpAddr::V4(Ipv4Addr::from(x)))
                    .collect())
            }
            IpAddr::V6(a) => {
                let bits = 128 - u32::from(self.prefix);
                if bits >= 64 || (1u128 << bits) > limit as u128 {
                    return Err(too_many());
                }
                let base = u128::from(a);
                Ok((0..(1u128 << bits))
                    .map(|i| IpAddr::V6(Ipv6Addr::from(base + i)))
                    .collect())
            }
        }
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

fn mask(ip: IpAddr, prefix: u8) -> IpAddr {
    match ip {
        IpAddr::V4(a) => {
            let m = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V4(Ipv4Addr::from(u32::from(a) & m))
        }
        IpAddr::V6(a) => {
            let m = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V6(Ipv6Addr::from(u128::from(a) & m))
        }
    }
}

/// Parses a list of addresses and CIDRs separated by commas, spaces or
/// newlines (`#` starts a comment in each line).
pub fn parse_list(text: &str) -> Result<Vec<Cidr>, AuditError> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("");
        for item in line.split([',', ' ', '\t']) {
            let item = item.trim().trim_start_matches('[').trim_end_matches(']');
            if !item.is_empty() {
                out.push(Cidr::parse(item)?);
            }
        }
    }
    Ok(out)
}

/// The targets an operator gave: a CIDR list, or a file of them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Targets {
    /// Blocks as given.
    pub blocks: Vec<Cidr>,
}

impl Targets {
    /// `--targets` value: a file when one exists at that path, else a list
    /// of addresses / CIDRs.
    pub fn from_arg(arg: &str) -> Result<Targets, AuditError> {
        let path = Path::new(arg);
        if path.is_file() {
            use std::io::Read;
            let mut text = String::new();
            std::fs::File::open(path)
                .and_then(|f| f.take(MAX_FILE).read_to_string(&mut text))
                .map_err(|source| AuditError::TargetsFile {
                    path: arg.to_string(),
                    source,
                })?;
            return Ok(Targets {
                blocks: parse_list(&text)?,
            });
        }
        Ok(Targets {
            blocks: parse_list(arg)?,
        })
    }

    /// Every address, each once, in the order given (at most
    /// [`MAX_TARGETS`]).
    pub fn addresses(&self) -> Result<Vec<IpAddr>, AuditError> {
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for b in &self.blocks {
            let left = MAX_TARGETS.saturating_sub(out.len());
            for ip in b
                .hosts(left)
                .map_err(|_| AuditError::TooManyTargets(b.to_string(), MAX_TARGETS))?
            {
                if seen.insert(ip) {
                    out.push(ip);
                }
            }
        }
        if out.is_empty() {
            return Err(AuditError::NoTargets);
        }
        Ok(out)
    }
}

/// Where the audit may go.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scope {
    /// The networks in scope.
    pub networks: Vec<Cidr>,
    /// Exceptions the operator named (`--allow-target`).
    pub allowed: Vec<Cidr>,
    /// Where the networks came from (`[audit] scope`, `HOME_NET`), for
    /// messages.
    pub origin: String,
}

impl Scope {
    /// Whether `ip` may be audited.
    pub fn permits(&self, ip: IpAddr) -> bool {
        self.networks
            .iter()
            .chain(self.allowed.iter())
            .any(|c| c.contains(ip))
    }

    /// Splits targets into (in scope, refused), keeping order.
    pub fn split(&self, targets: Vec<IpAddr>) -> (Vec<IpAddr>, Vec<IpAddr>) {
        targets.into_iter().partition(|ip| self.permits(*ip))
    }

    /// The networks as text (`10.0.0.0/8, 192.168.0.0/16`).
    pub fn describe(&self) -> String {
        let v: Vec<String> = self.networks.iter().map(Cidr::to_string).collect();
        format!("{} ({})", v.join(", "), self.origin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_parse_contains_hosts() {
        let c = Cidr::parse("10.1.2.77/24").unwrap();
        assert_eq!(c.to_string(), "10.1.2.0/24");
        assert!(c.contains("10.1.2.200".parse().unwrap()));
        assert!(!c.contains("10.1.3.1".parse().unwrap()));
        assert!(!c.contains("::1".parse().unwrap()));
        let h = c.hosts(1000).unwrap();
        assert_eq!(h.len(), 254);
        assert_eq!(h[0].to_string(), "10.1.2.1");
        assert_eq!(h[253].to_string(), "10.1.2.254");
        assert_eq!(Cidr::parse("10.0.0.5").unwrap().hosts(1).unwrap().len(), 1);
        assert_eq!(
            Cidr::parse("10.0.0.4/31").unwrap().hosts(9).unwrap().len(),
            2
        );
        assert!(Cidr::parse("10.0.0.0/8")
            .unwrap()
            .hosts(MAX_TARGETS)
            .is_err());
        assert!(Cidr::parse("10.0.0.0/33").is_err());
        assert!(Cidr::parse("nope").is_err());
        let v6 = Cidr::parse("fd00::10/126").unwrap();
        assert_eq!(v6.hosts(10).unwrap().len(), 4);
        assert!(Cidr::parse("0.0.0.0/0")
            .unwrap()
            .contains("8.8.8.8".parse().unwrap()));
    }

    #[test]
    fn lists_and_scope() {
        let l = parse_list("10.0.0.1, 10.0.0.2\n# comment\n10.0.1.0/30 # lab\n").unwrap();
        assert_eq!(l.len(), 3);
        let t = Targets { blocks: l };
        let a = t.addresses().unwrap();
        assert_eq!(a.len(), 4);
        let scope = Scope {
            networks: parse_list("[10.0.0.0/24]").unwrap(),
            allowed: vec![Cidr::parse("10.0.1.2").unwrap()],
            origin: "test".into(),
        };
        let (ok, refused) = scope.split(a);
        assert_eq!(ok.len(), 3);
        assert_eq!(refused, vec!["10.0.1.1".parse::<IpAddr>().unwrap()]);
        assert!(Targets::default().addresses().is_err());
    }
}
