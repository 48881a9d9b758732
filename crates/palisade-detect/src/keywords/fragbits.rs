//! `fragbits:[+*!]<MDR>`: the IPv4 fragmentation and reserved bits.
//!
//! `M` more fragments, `D` don't fragment, `R` reserved. Without a modifier
//! the bits must be exactly the listed ones; `+` the listed bits plus at
//! least one other; `*` any of the listed bits; `!` not all of the listed
//! bits (Suricata's `(bits & listed) != listed`). IPv4 packets only.

use crate::packet::PacketView;

/// The modifier of a bits keyword (`fragbits`, `flags`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default)]
pub enum BitsModifier {
    /// No modifier: exact match.
    #[default]
    Exact,
    /// `+`: the listed bits and more.
    Plus,
    /// `*`: any of the listed bits.
    Any,
    /// `!`: not (all of) the listed bits.
    Not,
}

impl BitsModifier {
    pub(crate) fn from_char(c: char) -> Option<BitsModifier> {
        match c {
            '+' => Some(BitsModifier::Plus),
            '*' => Some(BitsModifier::Any),
            '!' => Some(BitsModifier::Not),
            _ => None,
        }
    }
}

/// More fragments.
pub const FRAG_M: u8 = 0x01;
/// Don't fragment.
pub const FRAG_D: u8 = 0x02;
/// Reserved.
pub const FRAG_R: u8 = 0x04;

/// A parsed `fragbits` option.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct FragBits {
    /// The modifier.
    pub modifier: BitsModifier,
    /// The listed bits ([`FRAG_M`], [`FRAG_D`], [`FRAG_R`]).
    pub bits: u8,
}

impl FragBits {
    /// Parses the option value.
    pub fn parse(value: &str) -> Result<Self, String> {
        let v = value.trim();
        let mut chars = v.chars().peekable();
        let mut modifier = BitsModifier::Exact;
        if let Some(m) = chars.peek().and_then(|c| BitsModifier::from_char(*c)) {
            modifier = m;
            chars.next();
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut bits = 0u8;
        for c in chars {
            bits |= match c {
                'M' | 'm' => FRAG_M,
                'D' | 'd' => FRAG_D,
                'R' | 'r' => FRAG_R,
                c if BitsModifier::from_char(c).is_some() => {
                    return Err(format!(
                        "fragbits: modifier `{c}` must come first and only once"
                    ))
                }
                c => return Err(format!("fragbits: unknown bit `{c}` (expected M, D or R)")),
            };
        }
        if bits == 0 {
            return Err(format!("fragbits: no bits in `{v}`"));
        }
        Ok(FragBits { modifier, bits })
    }

    /// True for an IPv4 packet whose bits satisfy the option.
    pub fn matches(&self, p: &PacketView) -> bool {
        if !p.src.is_ipv4() {
            return false;
        }
        let mut pbits = 0u8;
        if p.frag_mf {
            pbits |= FRAG_M;
        }
        if p.frag_df {
            pbits |= FRAG_D;
        }
        if p.frag_rf {
            pbits |= FRAG_R;
        }
        let d = self.bits;
        match self.modifier {
            BitsModifier::Any => pbits & d != 0,
            BitsModifier::Plus => pbits & d == d && pbits != d,
            BitsModifier::Not => pbits & d != d,
            BitsModifier::Exact => pbits == d,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keywords::testutil::{ipv4_packet, ipv6_packet};

    fn pkt(m: bool, d: bool, r: bool) -> PacketView<'static> {
        let mut p = ipv4_packet(17);
        p.frag_mf = m;
        p.frag_df = d;
        p.frag_rf = r;
        p
    }

    #[test]
    fn table() {
        // (option, M, D, R, expected)
        let cases: &[(&str, bool, bool, bool, bool)] = &[
            ("M", true, false, false, true),
            ("M", true, true, false, false),
            ("D", false, true, false, true),
            ("MD", true, true, false, true),
            ("+M", true, true, false, true),
            ("+M", true, false, false, false),
            ("*MR", false, false, true, true),
            ("*MR", false, true, false, false),
            ("!D", false, false, false, true),
            ("!D", false, true, false, false),
            ("!MD", true, false, false, true),
            ("!MD", true, true, false, false),
            ("R", false, false, true, true),
            ("! D", true, false, false, true),
        ];
        for (opt, m, d, r, want) in cases {
            let k = FragBits::parse(opt).unwrap_or_else(|e| panic!("{opt}: {e}"));
            assert_eq!(
                k.matches(&pkt(*m, *d, *r)),
                *want,
                "{opt} M={m} D={d} R={r}"
            );
        }
    }

    #[test]
    fn ipv4_only() {
        let mut p = ipv6_packet(17);
        p.frag_mf = true;
        assert!(!FragBits::parse("M").unwrap().matches(&p));
    }

    #[test]
    fn rejects() {
        for bad in ["", "G", "+", "M+", "+*M", "M,D", "MX"] {
            let e = FragBits::parse(bad).unwrap_err();
            assert!(e.starts_with("fragbits: "), "{bad}: {e}");
        }
    }
}
