//! `flags` / `tcp.flags`: the TCP flags, `flags:[!+*]<flags>[,<ignored>]`.
//!
//! Flags: `S` SYN, `A` ACK, `F` FIN, `R` RST, `P` PSH, `U` URG, `C` CWR,
//! `E` ECE (`1` and `2` are the legacy names of CWR and ECE), and `0` for
//! "no flags" (it clears the flags listed before it, as in Suricata).
//! Without a modifier the packet's flags, minus the ignored ones, must be
//! exactly the listed ones; `+` all listed flags set (others allowed); `*`
//! any listed flag set; `!` not all listed flags set. A modifier may come
//! first or after the flags (`A+`), once. Semantics follow Suricata's C
//! implementation, including its special case: with an empty flag list
//! (`flags:0`), a packet with any flag set matches only under `!`.
//! TCP packets only.

pub use super::fragbits::BitsModifier;
use crate::packet::PacketView;

/// FIN.
pub const TH_FIN: u8 = 0x01;
/// SYN.
pub const TH_SYN: u8 = 0x02;
/// RST.
pub const TH_RST: u8 = 0x04;
/// PSH.
pub const TH_PUSH: u8 = 0x08;
/// ACK.
pub const TH_ACK: u8 = 0x10;
/// URG.
pub const TH_URG: u8 = 0x20;
/// ECE.
pub const TH_ECE: u8 = 0x40;
/// CWR.
pub const TH_CWR: u8 = 0x80;

/// A parsed `flags` option.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct TcpFlags {
    /// The modifier.
    pub modifier: BitsModifier,
    /// The listed flags.
    pub flags: u8,
    /// Flags taken into account (all but the ignored ones).
    pub mask: u8,
}

/// The name the engine's header-keyword table uses.
pub type Flags = TcpFlags;

fn flag_bit(c: char) -> Option<u8> {
    Some(match c.to_ascii_uppercase() {
        'S' => TH_SYN,
        'A' => TH_ACK,
        'F' => TH_FIN,
        'R' => TH_RST,
        'P' => TH_PUSH,
        'U' => TH_URG,
        'C' | '1' => TH_CWR,
        'E' | '2' => TH_ECE,
        _ => return None,
    })
}

impl TcpFlags {
    /// Parses the option value.
    pub fn parse(value: &str) -> Result<Self, String> {
        let v = value.trim();
        let (main, ignored) = match v.split_once(',') {
            Some((m, i)) => (m.trim(), Some(i.trim())),
            None => (v, None),
        };
        let mut modifier: Option<BitsModifier> = None;
        let mut flags = 0u8;
        let mut found = 0usize;
        let mut chars = main.chars().peekable();
        // A leading modifier may be followed by spaces.
        if let Some(m) = chars.peek().and_then(|c| BitsModifier::from_char(*c)) {
            modifier = Some(m);
            chars.next();
            while chars.peek().is_some_and(|c| c.is_whitespace()) {
                chars.next();
            }
        }
        for c in chars {
            if let Some(m) = BitsModifier::from_char(c) {
                if modifier.is_some() {
                    return Err("flags: only one modifier (+, * or !) is allowed".into());
                }
                modifier = Some(m);
            } else if c == '0' {
                flags = 0;
                found += 1;
            } else if let Some(bit) = flag_bit(c) {
                flags |= bit;
                found += 1;
            } else {
                return Err(format!("flags: unknown flag `{c}`"));
            }
        }
        if found == 0 {
            return Err(format!("flags: no flags in `{v}`"));
        }
        let mut mask = 0xffu8;
        if let Some(ign) = ignored {
            let mut n = 0usize;
            for c in ign.chars() {
                if c == '0' {
                    continue; // accepted and meaningless, as in Suricata
                }
                match flag_bit(c) {
                    Some(bit) => {
                        mask &= !bit;
                        n += 1;
                    }
                    None => return Err(format!("flags: unknown flag `{c}` in the ignore list")),
                }
            }
            if n == 0 {
                return Err("flags: empty ignore list after `,`".into());
            }
        }
        Ok(TcpFlags {
            modifier: modifier.unwrap_or_default(),
            flags,
            mask,
        })
    }

    /// True if the flags byte satisfies the option.
    pub fn matches_flags(&self, pflags: u8) -> bool {
        if self.flags == 0 && pflags != 0 {
            return self.modifier == BitsModifier::Not;
        }
        let f = pflags & self.mask;
        let d = self.flags;
        match self.modifier {
            BitsModifier::Any => f & d != 0,
            BitsModifier::Plus => f & d == d,
            BitsModifier::Not => f & d != d,
            BitsModifier::Exact => f == d,
        }
    }

    /// True for a TCP packet whose flags satisfy the option.
    pub fn matches(&self, p: &PacketView) -> bool {
        p.tcp.is_some_and(|t| self.matches_flags(t.flags))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keywords::testutil::{ipv4_packet, tcp_packet};

    const SYN: u8 = TH_SYN;
    const SYNACK: u8 = TH_SYN | TH_ACK;
    const ACK: u8 = TH_ACK;
    const RST: u8 = TH_RST;
    const PUSH_ACK: u8 = TH_PUSH | TH_ACK;
    const SYN_ECE_CWR: u8 = TH_SYN | TH_ECE | TH_CWR;
    const FIN_PSH_URG: u8 = TH_FIN | TH_PUSH | TH_URG;

    #[test]
    fn table() {
        // (option, packet flags, expected)
        let cases: &[(&str, u8, bool)] = &[
            ("S", SYN, true),
            ("S", SYNACK, false),
            ("SA", SYNACK, true),
            ("SA", SYN, false),
            ("AS", SYNACK, true),
            ("SA", SYNACK | TH_PUSH, false),
            ("S,12", SYN, true),
            ("S,12", SYN_ECE_CWR, true),
            ("S,CE", SYN_ECE_CWR, true),
            ("S", SYN_ECE_CWR, false),
            ("S,12", SYNACK, false),
            ("!R", RST, false),
            ("!R", SYN, true),
            ("!R", 0, true),
            ("!SA", SYN, true),
            ("!SA", SYNACK, false),
            ("*SA", SYN, true),
            ("*SA", ACK, true),
            ("*SA", RST, false),
            ("+S", SYN, true),
            ("+S", SYNACK, true),
            ("+S", ACK, false),
            ("A+", PUSH_ACK, true),
            ("A+", SYN, false),
            ("0", 0, true),
            ("0", ACK, false),
            ("!0", ACK, true),
            ("*0", 0, false),
            ("FPU", FIN_PSH_URG, true),
            ("12", TH_ECE | TH_CWR, true),
            ("C", TH_CWR, true),
            ("E", TH_ECE, true),
            ("SF,12", SYN | TH_FIN | TH_ECE, true),
            ("sa", SYNACK, true),
            ("! S", SYN, false),
            ("S0", 0, true),
            ("S,10", SYN | TH_CWR, true),
        ];
        for (opt, pf, want) in cases {
            let k = TcpFlags::parse(opt).unwrap_or_else(|e| panic!("{opt}: {e}"));
            assert_eq!(
                k.matches(&tcp_packet(*pf)),
                *want,
                "flags:{opt} vs {pf:#04x}"
            );
        }
    }

    #[test]
    fn tcp_only() {
        assert!(!TcpFlags::parse("!R").unwrap().matches(&ipv4_packet(17)));
    }

    #[test]
    fn parsed_fields() {
        let k = TcpFlags::parse("S,12").unwrap();
        assert_eq!(k.flags, TH_SYN);
        assert_eq!(k.mask, !(TH_CWR | TH_ECE));
        assert_eq!(k.modifier, BitsModifier::Exact);
        assert_eq!(TcpFlags::parse("+SA").unwrap().modifier, BitsModifier::Plus);
    }

    #[test]
    fn rejects() {
        let cases: &[(&str, &str)] = &[
            ("Z", "unknown flag `Z`"),
            ("", "no flags"),
            ("+", "no flags"),
            ("+S+", "only one modifier"),
            ("S*!", "only one modifier"),
            ("S,", "empty ignore list"),
            ("S,0", "empty ignore list"),
            ("S,Z", "unknown flag `Z` in the ignore list"),
            ("S,1,2", "unknown flag `,`"),
            ("S A", "unknown flag ` `"),
        ];
        for (bad, msg) in cases {
            let e = TcpFlags::parse(bad).unwrap_err();
            assert!(e.starts_with("flags: ") && e.contains(msg), "{bad}: {e}");
        }
    }
}
