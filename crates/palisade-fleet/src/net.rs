//! Networks (CIDRs) for "inside the fleet" tests.

use std::net::IpAddr;

/// One network.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Net {
    addr: IpAddr,
    len: u8,
}

impl Net {
    /// `10.0.0.0/8`, `fc00::/7`, or one address.
    pub fn parse(s: &str) -> Option<Net> {
        let (a, l) = match s.trim().split_once('/') {
            Some((a, l)) => (a, Some(l.parse::<u8>().ok()?)),
            None => (s.trim(), None),
        };
        let addr: IpAddr = a.parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let len = l.unwrap_or(max);
        (len <= max).then_some(Net { addr, len })
    }

    /// Whether `ip` is in the network.
    pub fn contains(&self, ip: &IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(n), IpAddr::V4(x)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.len)).unwrap_or(0);
                u32::from(n) & mask == u32::from(*x) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(x)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.len))
                    .unwrap_or(0);
                u128::from(n) & mask == u128::from(*x) & mask
            }
            _ => false,
        }
    }
}

/// Whether any of `nets` contains `ip`.
pub fn any_contains(nets: &[Net], ip: &IpAddr) -> bool {
    nets.iter().any(|n| n.contains(ip))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidrs() {
        let n = Net::parse("10.10.0.0/16").unwrap();
        assert!(n.contains(&"10.10.3.4".parse().unwrap()));
        assert!(!n.contains(&"10.11.0.1".parse().unwrap()));
        assert!(!n.contains(&"::1".parse().unwrap()));
        assert!(Net::parse("0.0.0.0/0")
            .unwrap()
            .contains(&"8.8.8.8".parse().unwrap()));
        assert!(Net::parse("fc00::/7")
            .unwrap()
            .contains(&"fd00::5".parse().unwrap()));
        assert_eq!(Net::parse("10.0.0.0/33"), None);
        assert_eq!(Net::parse("nonsense"), None);
        assert!(Net::parse("10.0.0.1")
            .unwrap()
            .contains(&"10.0.0.1".parse().unwrap()));
    }
}
