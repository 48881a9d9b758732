//! The command line's names for live sources: `--interface IF` and
//! `--mirror KIND://ADDR[:PORT]` (`--mirror gre[://ADDR]` without a port).
#![forbid(unsafe_code)]

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::afpacket::{check_ifname, AfPacket, AfPacketConfig};
use crate::error::{Error, Result};
use crate::gre::GreListener;
use crate::mirror::{MirrorKind, MirrorListener};
use crate::Source;

/// A live source as named on the command line.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SourceSpec {
    /// `--interface eth0`: AF_PACKET capture.
    Interface(String),
    /// `--mirror vxlan://0.0.0.0:4789`: a UDP mirror listener.
    Mirror {
        /// Encapsulation.
        kind: MirrorKind,
        /// Address to listen on.
        addr: SocketAddr,
    },
    /// `--mirror gre` or `gre://ADDR`: a raw IPPROTO_GRE socket receiving
    /// GRE/ERSPAN addressed to `local` (`0.0.0.0` / `::`: any local address
    /// of that family).
    Gre {
        /// Local address the GRE must be addressed to.
        local: IpAddr,
    },
}

fn spec_err(input: &str, reason: impl Into<String>) -> Error {
    Error::Spec {
        input: input.to_string(),
        reason: reason.into(),
    }
}

impl SourceSpec {
    /// Parses the value of `--interface`.
    pub fn interface(s: &str) -> Result<SourceSpec> {
        check_ifname(s).map_err(|r| spec_err(s, r))?;
        Ok(SourceSpec::Interface(s.to_string()))
    }

    /// Parses the value of `--mirror`: `vxlan://ADDR:PORT`,
    /// `tzsp://ADDR:PORT`; the port defaults to the well-known one (4789,
    /// 37008), the address to `0.0.0.0` (`vxlan`, `vxlan://`, `vxlan://:4790`);
    /// IPv6 addresses in brackets (`vxlan://[::]:4789`). Addresses are IP
    /// literals: a listener binds an address, it does not resolve names.
    /// `gre` / `gre://ADDR` takes GRE (ERSPAN included) addressed to any
    /// local IPv4 address or to ADDR only (`gre://[::]`: any IPv6 address);
    /// GRE has no port.
    pub fn mirror(s: &str) -> Result<SourceSpec> {
        let (scheme, rest) = match s.split_once("://") {
            Some((scheme, rest)) => (scheme, rest),
            None => (s, ""),
        };
        let kind = match scheme.to_ascii_lowercase().as_str() {
            "vxlan" => MirrorKind::Vxlan,
            "tzsp" => MirrorKind::Tzsp,
            "gre" => return gre_spec(s, rest),
            "erspan" => {
                return Err(spec_err(
                    s,
                    "ERSPAN rides in GRE: use gre or gre://ADDR (ERSPAN I/II/III are decoded)",
                ))
            }
            _ => {
                return Err(spec_err(
                    s,
                    "expected vxlan://ADDR[:PORT], tzsp://ADDR[:PORT] or gre[://ADDR]",
                ))
            }
        };
        let port = kind.default_port();
        let any = IpAddr::V4(Ipv4Addr::UNSPECIFIED);
        let literal = "the address must be an IP literal (IPv6 in brackets), not a host name";
        let addr = if rest.is_empty() {
            SocketAddr::new(any, port)
        } else if let Ok(a) = rest.parse::<SocketAddr>() {
            a
        } else if let Ok(ip) = rest
            .strip_prefix('[')
            .and_then(|r| r.strip_suffix(']'))
            .unwrap_or(rest)
            .parse::<IpAddr>()
        {
            SocketAddr::new(ip, port)
        } else if let Some(p) = rest.strip_prefix(':') {
            SocketAddr::new(any, parse_port(s, p)?)
        } else if let Some((_, p)) = rest.rsplit_once(':') {
            parse_port(s, p)?;
            return Err(spec_err(s, literal));
        } else {
            return Err(spec_err(s, literal));
        };
        Ok(SourceSpec::Mirror { kind, addr })
    }

    /// Opens the source. `cfg` applies to interfaces only; for several
    /// workers on one interface, open it once per worker with the same
    /// [`AfPacketConfig::fanout_group`].
    pub fn open(&self, cfg: &AfPacketConfig) -> Result<Source> {
        Ok(match self {
            SourceSpec::Interface(name) => Source::Interface(AfPacket::open(name, cfg)?),
            SourceSpec::Mirror { kind, addr } => {
                Source::Mirror(MirrorListener::bind(*kind, *addr)?)
            }
            SourceSpec::Gre { local } => Source::Gre(GreListener::bind(*local)?),
        })
    }
}

/// `gre`, `gre://`, `gre://ADDR`, `gre://[ADDR6]` (brackets optional).
fn gre_spec(s: &str, rest: &str) -> Result<SourceSpec> {
    if rest.is_empty() {
        return Ok(SourceSpec::Gre {
            local: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        });
    }
    if let Ok(a) = rest.parse::<Ipv4Addr>() {
        return Ok(SourceSpec::Gre {
            local: IpAddr::V4(a),
        });
    }
    let unbracketed = rest
        .strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .unwrap_or(rest);
    if let Ok(a) = unbracketed.parse::<Ipv6Addr>() {
        return Ok(SourceSpec::Gre {
            local: IpAddr::V6(a),
        });
    }
    if rest.parse::<SocketAddr>().is_ok()
        || rest
            .rsplit_once(':')
            .is_some_and(|(a, _)| a.is_empty() || a.parse::<Ipv4Addr>().is_ok())
    {
        return Err(spec_err(s, "GRE has no port: gre://ADDR"));
    }
    Err(spec_err(
        s,
        "the address must be an IP literal (the local address GRE is sent to; IPv6 in \
         brackets), not a host name",
    ))
}

fn parse_port(input: &str, p: &str) -> Result<u16> {
    p.parse::<u16>()
        .map_err(|_| spec_err(input, format!("bad port {p:?} (0..=65535)")))
}

/// The form the records carry: `eth0`, `vxlan://0.0.0.0:4789`.
impl fmt::Display for SourceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceSpec::Interface(name) => f.write_str(name),
            SourceSpec::Mirror { kind, addr } => write!(f, "{}://{addr}", kind.scheme()),
            SourceSpec::Gre {
                local: IpAddr::V4(a),
            } => write!(f, "gre://{a}"),
            SourceSpec::Gre {
                local: IpAddr::V6(a),
            } => write!(f, "gre://[{a}]"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> (MirrorKind, String) {
        match SourceSpec::mirror(s).unwrap() {
            SourceSpec::Mirror { kind, addr } => (kind, addr.to_string()),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn mirrors() {
        use MirrorKind::*;
        assert_eq!(m("vxlan://0.0.0.0:4789"), (Vxlan, "0.0.0.0:4789".into()));
        assert_eq!(m("vxlan://10.0.0.1"), (Vxlan, "10.0.0.1:4789".into()));
        assert_eq!(m("vxlan"), (Vxlan, "0.0.0.0:4789".into()));
        assert_eq!(m("vxlan://"), (Vxlan, "0.0.0.0:4789".into()));
        assert_eq!(m("VXLAN://:4790"), (Vxlan, "0.0.0.0:4790".into()));
        assert_eq!(
            m("tzsp://127.0.0.1:37009"),
            (Tzsp, "127.0.0.1:37009".into())
        );
        assert_eq!(m("tzsp://0.0.0.0"), (Tzsp, "0.0.0.0:37008".into()));
        assert_eq!(m("tzsp"), (Tzsp, "0.0.0.0:37008".into()));
        assert_eq!(m("vxlan://[::]:4789"), (Vxlan, "[::]:4789".into()));
        assert_eq!(m("vxlan://[fe80::1]"), (Vxlan, "[fe80::1]:4789".into()));
        assert_eq!(m("vxlan://::1"), (Vxlan, "[::1]:4789".into()));
        let spec = SourceSpec::mirror("tzsp://10.1.2.3").unwrap();
        assert_eq!(spec.to_string(), "tzsp://10.1.2.3:37008");
    }

    #[test]
    fn mirror_errors_say_why() {
        for (s, why) in [
            ("erspan://0.0.0.0", "use gre"),
            ("gre://10.0.0.1:47", "no port"),
            ("gre://:47", "no port"),
            ("gre://[::1]:47", "no port"),
            ("gre://collector.example", "IP literal"),
            ("gre://10.0.0.300", "IP literal"),
            ("sflow://0.0.0.0:6343", "expected vxlan://"),
            ("", "expected vxlan://"),
            ("vxlan://0.0.0.0:99999", "bad port"),
            ("vxlan://0.0.0.0:x", "bad port"),
            ("vxlan://:", "bad port"),
            ("vxlan://collector.example:4789", "IP literal"),
            ("vxlan://collector.example", "IP literal"),
            ("vxlan://10.0.0.300", "IP literal"),
        ] {
            let e = SourceSpec::mirror(s).unwrap_err().to_string();
            assert!(e.contains(why), "{s:?}: {e}");
            assert!(e.contains(&format!("{s:?}")), "{s:?}: {e}");
        }
    }

    #[test]
    fn gre_mirrors() {
        let gre = |s: &str| match SourceSpec::mirror(s).unwrap() {
            SourceSpec::Gre { local } => local.to_string(),
            other => panic!("{other:?}"),
        };
        assert_eq!(gre("gre"), "0.0.0.0");
        assert_eq!(gre("GRE"), "0.0.0.0");
        assert_eq!(gre("gre://"), "0.0.0.0");
        assert_eq!(gre("gre://0.0.0.0"), "0.0.0.0");
        assert_eq!(gre("gre://10.1.2.3"), "10.1.2.3");
        assert_eq!(gre("gre://[::]"), "::");
        assert_eq!(gre("gre://fd00::2"), "fd00::2");
        assert_eq!(gre("gre://[fd00::2]"), "fd00::2");
        assert_eq!(
            SourceSpec::mirror("gre://fd00::2").unwrap().to_string(),
            "gre://[fd00::2]"
        );
        assert_eq!(
            SourceSpec::mirror("gre").unwrap().to_string(),
            "gre://0.0.0.0"
        );
        assert_eq!(
            SourceSpec::mirror("gre://192.0.2.7").unwrap().to_string(),
            "gre://192.0.2.7"
        );
    }

    #[test]
    fn interfaces() {
        assert_eq!(
            SourceSpec::interface("eth0").unwrap(),
            SourceSpec::Interface("eth0".into())
        );
        assert_eq!(
            SourceSpec::interface("enp0s31f6.100").unwrap().to_string(),
            "enp0s31f6.100"
        );
        assert!(SourceSpec::interface("a23456789012345").is_ok());
        for bad in [
            "",
            "a234567890123456",
            "eth0 ",
            "a/b",
            "eth0:1",
            ".",
            "..",
            "e\0",
        ] {
            let e = SourceSpec::interface(bad).unwrap_err();
            assert!(matches!(e, Error::Spec { .. }), "{bad:?}: {e}");
        }
    }

    #[test]
    fn opening_a_missing_interface_says_so() {
        // if_nametoindex fails before any privileged call, so this runs
        // unprivileged too
        let e = SourceSpec::interface("plvnosuch0")
            .unwrap()
            .open(&AfPacketConfig::default())
            .unwrap_err();
        assert!(
            matches!(e, Error::NoSuchInterface(ref n) if n == "plvnosuch0"),
            "{e}"
        );
    }

    #[test]
    fn config_checks() {
        let ok = AfPacketConfig::default();
        assert!(ok.validate().is_ok());
        let bad = [
            AfPacketConfig {
                block_size: 0,
                ..ok.clone()
            },
            AfPacketConfig {
                block_size: 4097,
                ..ok.clone()
            },
            AfPacketConfig {
                block_count: 0,
                ..ok.clone()
            },
            AfPacketConfig {
                block_count: 1000,
                ..ok.clone()
            },
            AfPacketConfig {
                frame_size: 16,
                ..ok.clone()
            },
            AfPacketConfig {
                frame_size: 2050,
                ..ok.clone()
            },
            AfPacketConfig {
                frame_size: 8 << 20,
                ..ok.clone()
            },
            AfPacketConfig {
                retire_timeout_ms: 0,
                ..ok.clone()
            },
            AfPacketConfig {
                filter: Some(vec![]),
                ..ok.clone()
            },
        ];
        for c in bad {
            assert!(matches!(c.validate(), Err(Error::Config(_))), "{c:?}");
        }
    }
}
