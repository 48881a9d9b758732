//! `ipopts:<name>`: an IPv4 option is present.
//!
//! Names: `rr`, `eol`, `nop`, `ts`, `sec`, `esec`, `lsrr`, `ssrr`, `satid`,
//! `qs`, `rtralt`, `cipso` and `any` (the packet has options at all),
//! case-insensitive. The option bytes are walked the way Suricata's IPv4
//! decoder does: EOL ends the list, NOP is one byte, every other option is
//! type-length-value with `2 <= len <= remaining`; a malformed length stops
//! the walk. An option counts only if it passes Suricata's per-type
//! validation (route options: `len >= 3` and a pointer `>= 4`, multiple of 4,
//! `<= len + 1`; timestamp: `len >= 5`, pointer `>= 5` aligned to its record
//! size; `sid`/`rtralt`: `len == 4`; `qs`: `len >= 8`; `sec`/`esec`:
//! `len >= 3`; `cipso`: `len >= 10`), and only its first occurrence counts.
//! IPv4 packets only; the walk is bounded by the 40 option bytes an IPv4
//! header can carry.

use crate::packet::PacketView;

/// Which option `ipopts` looks for.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum IpOpt {
    /// Record Route (7).
    Rr,
    /// End of List (0).
    Eol,
    /// No Op (1).
    Nop,
    /// Time Stamp (0x44).
    Ts,
    /// IP Security (0x82).
    Sec,
    /// IP Extended Security (0x85).
    Esec,
    /// Loose Source Routing (0x83).
    Lsrr,
    /// Strict Source Routing (0x89).
    Ssrr,
    /// Stream Identifier (0x88).
    Satid,
    /// Quick-Start (0x19).
    Qs,
    /// Router Alert (0x94).
    Rtralt,
    /// Commercial Security (0x86).
    Cipso,
    /// Any option.
    Any,
}

const NAMES: &[(&str, IpOpt)] = &[
    ("rr", IpOpt::Rr),
    ("eol", IpOpt::Eol),
    ("nop", IpOpt::Nop),
    ("ts", IpOpt::Ts),
    ("sec", IpOpt::Sec),
    ("esec", IpOpt::Esec),
    ("lsrr", IpOpt::Lsrr),
    ("ssrr", IpOpt::Ssrr),
    ("satid", IpOpt::Satid),
    ("qs", IpOpt::Qs),
    ("rtralt", IpOpt::Rtralt),
    ("cipso", IpOpt::Cipso),
    ("any", IpOpt::Any),
];

const OPT_EOL: u8 = 0x00;
const OPT_NOP: u8 = 0x01;
const OPT_RR: u8 = 0x07;
const OPT_QS: u8 = 0x19;
const OPT_TS: u8 = 0x44;
const OPT_SEC: u8 = 0x82;
const OPT_LSRR: u8 = 0x83;
const OPT_ESEC: u8 = 0x85;
const OPT_CIPSO: u8 = 0x86;
const OPT_SID: u8 = 0x88;
const OPT_SSRR: u8 = 0x89;
const OPT_RTRALT: u8 = 0x94;

/// Largest IPv4 options area (60-byte header minus 20).
const MAX_OPTION_BYTES: usize = 40;

/// Bits for the options found by [`scan`].
mod flag {
    pub const EOL: u16 = 1 << 0;
    pub const NOP: u16 = 1 << 1;
    pub const RR: u16 = 1 << 2;
    pub const TS: u16 = 1 << 3;
    pub const QS: u16 = 1 << 4;
    pub const LSRR: u16 = 1 << 5;
    pub const SSRR: u16 = 1 << 6;
    pub const SID: u16 = 1 << 7;
    pub const SEC: u16 = 1 << 8;
    pub const ESEC: u16 = 1 << 9;
    pub const CIPSO: u16 = 1 << 10;
    pub const RTRALT: u16 = 1 << 11;
}

/// A parsed `ipopts` option.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct IpOpts {
    /// The option looked for.
    pub opt: IpOpt,
}

impl IpOpts {
    /// Parses the option value.
    pub fn parse(value: &str) -> Result<Self, String> {
        let v = value.trim();
        NAMES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(v))
            .map(|(_, opt)| IpOpts { opt: *opt })
            .ok_or_else(|| format!("ipopts: unknown IP option `{v}`"))
    }

    /// True for an IPv4 packet carrying the option.
    pub fn matches(&self, p: &PacketView) -> bool {
        if !p.src.is_ipv4() {
            return false;
        }
        let (count, set) = scan(p.ip_options);
        let want = match self.opt {
            IpOpt::Any => return count > 0,
            IpOpt::Rr => flag::RR,
            IpOpt::Eol => flag::EOL,
            IpOpt::Nop => flag::NOP,
            IpOpt::Ts => flag::TS,
            IpOpt::Sec => flag::SEC,
            IpOpt::Esec => flag::ESEC,
            IpOpt::Lsrr => flag::LSRR,
            IpOpt::Ssrr => flag::SSRR,
            IpOpt::Satid => flag::SID,
            IpOpt::Qs => flag::QS,
            IpOpt::Rtralt => flag::RTRALT,
            IpOpt::Cipso => flag::CIPSO,
        };
        set & want != 0
    }
}

/// Walks the option bytes: (options seen, flags of the valid known options).
fn scan(opts: &[u8]) -> (u32, u16) {
    let mut rest = &opts[..opts.len().min(MAX_OPTION_BYTES)];
    let (mut count, mut set) = (0u32, 0u16);
    while let Some(&kind) = rest.first() {
        count += 1;
        match kind {
            OPT_EOL => {
                set |= flag::EOL;
                break;
            }
            OPT_NOP => {
                set |= flag::NOP;
                rest = &rest[1..];
            }
            _ => {
                let Some(&len) = rest.get(1) else {
                    break; // no room for a length: EOL required
                };
                let len = usize::from(len);
                if len < 2 || len > rest.len() {
                    break; // invalid length: Suricata rejects the rest
                }
                let opt = &rest[..len];
                let bit = match kind {
                    OPT_RR if valid_route(opt) => flag::RR,
                    OPT_LSRR if valid_route(opt) => flag::LSRR,
                    OPT_SSRR if valid_route(opt) => flag::SSRR,
                    OPT_TS if valid_timestamp(opt) => flag::TS,
                    OPT_QS if len >= 8 => flag::QS,
                    OPT_SEC if len >= 3 => flag::SEC,
                    OPT_ESEC if len >= 3 => flag::ESEC,
                    OPT_SID if len == 4 => flag::SID,
                    OPT_RTRALT if len == 4 => flag::RTRALT,
                    OPT_CIPSO if len >= 10 => flag::CIPSO,
                    _ => 0,
                };
                set |= bit;
                rest = &rest[len..];
            }
        }
    }
    (count, set)
}

/// `[type][len][ptr][addresses...]`, RFC 791.
fn valid_route(opt: &[u8]) -> bool {
    let len = opt.len();
    match opt.get(2) {
        Some(&ptr) if len >= 3 => {
            let ptr = usize::from(ptr);
            ptr >= 4 && ptr % 4 == 0 && ptr <= len + 1
        }
        _ => false,
    }
}

/// `[type][len][ptr][oflw|flag][records...]`, RFC 781.
fn valid_timestamp(opt: &[u8]) -> bool {
    let len = opt.len();
    if len < 5 {
        return false;
    }
    let (Some(&ptr), Some(&flags)) = (opt.get(2), opt.get(3)) else {
        return false;
    };
    let ptr = usize::from(ptr);
    if ptr < 5 {
        return false;
    }
    let rec = if matches!(flags & 0x0f, 1 | 3) { 8 } else { 4 };
    (ptr - 5) % rec == 0 && ptr <= len + 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keywords::testutil::{ipv4_packet, ipv6_packet};

    fn with_opts(opts: &'static [u8]) -> PacketView<'static> {
        let mut p = ipv4_packet(6);
        p.ip_options = opts;
        p
    }

    fn hit(name: &str, opts: &'static [u8]) -> bool {
        IpOpts::parse(name).unwrap().matches(&with_opts(opts))
    }

    #[test]
    fn finds_options() {
        // NOP, NOP, record route with room for one address, EOL padding.
        const RR: &[u8] = &[1, 1, 7, 7, 4, 0, 0, 0, 0, 0, 0, 0];
        assert!(hit("rr", RR));
        assert!(hit("nop", RR));
        assert!(hit("RR", RR));
        assert!(hit("any", RR));
        assert!(!hit("lsrr", RR));
        assert!(hit("eol", RR), "the padding after RR is an EOL");
        assert!(!hit("eol", &[1, 1, 1, 1]));
        const LSRR_EOL: &[u8] = &[0x83, 7, 4, 1, 2, 3, 4, 0];
        assert!(hit("lsrr", LSRR_EOL));
        assert!(hit("eol", LSRR_EOL));
        const SSRR: &[u8] = &[0x89, 3, 4, 0];
        assert!(hit("ssrr", SSRR));
        const TS: &[u8] = &[0x44, 12, 5, 0, 0, 0, 0, 1, 0, 0, 0, 2];
        assert!(hit("ts", TS));
        const SID: &[u8] = &[0x88, 4, 0, 1];
        assert!(hit("satid", SID));
        const RTRALT: &[u8] = &[0x94, 4, 0, 0];
        assert!(hit("rtralt", RTRALT));
        const SEC: &[u8] = &[0x82, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        assert!(hit("sec", SEC));
        const ESEC: &[u8] = &[0x85, 3, 1, 0];
        assert!(hit("esec", ESEC));
        const EOL_ONLY: &[u8] = &[0, 0, 0, 0];
        assert!(hit("eol", EOL_ONLY));
        assert!(hit("any", EOL_ONLY));
        assert!(!hit("any", &[]));
    }

    #[test]
    fn invalid_options_do_not_count() {
        // Route pointer 3 is invalid; SID of length 5 is invalid.
        assert!(!hit("rr", &[7, 7, 3, 0, 0, 0, 0, 0]));
        assert!(!hit("satid", &[0x88, 5, 0, 0, 0, 0]));
        // A length running past the end stops the walk before later options.
        assert!(!hit("nop", &[0x44, 40, 5, 0, 1]));
        // Length 1 is invalid: the walk stops.
        assert!(!hit("nop", &[0x83, 1, 1, 1]));
        // A truncated option header at the end.
        assert!(hit("nop", &[1, 0x83]));
        // Unknown options are skipped, later ones still count.
        assert!(hit("rr", &[0x9e, 4, 0, 0, 7, 3, 4, 0]));
    }

    #[test]
    fn only_ipv4() {
        let mut p = ipv6_packet(6);
        p.ip_options = &[1, 1, 1, 0];
        assert!(!IpOpts::parse("nop").unwrap().matches(&p));
    }

    #[test]
    fn rejects_unknown_names() {
        assert!(IpOpts::parse("lsr")
            .unwrap_err()
            .contains("unknown IP option"));
        assert!(IpOpts::parse("").is_err());
        assert!(IpOpts::parse("rr,ts").is_err());
    }

    #[test]
    fn never_panics() {
        let mut bytes = [0u8; 44];
        for seed in 0u32..2000 {
            for (i, b) in bytes.iter_mut().enumerate() {
                *b = (seed.wrapping_mul(2_654_435_761).rotate_left(i as u32) >> 3) as u8;
            }
            let _ = scan(&bytes);
            let _ = scan(&bytes[..(seed as usize % 44)]);
        }
    }
}
