//! Non-payload rule keywords: one file per keyword.
//!
//! Each keyword is a small struct with `parse(&str) -> Result<Self, String>`
//! (the raw option value, never panicking, errors prefixed with the
//! keyword name) and a `matches` method over the engine's
//! [`PacketView`](crate::packet::PacketView). Stateful keywords split in
//! two: the parsed form keeps names, `resolve` turns them into ids through
//! an [`Interner`] at build time, and the resolved form separates
//! conditions (`evaluate`, part of matching) from actions (`apply`, run
//! only once the whole signature matched, as Suricata's post-match list).
//! Run-time state lives outside the keywords: [`FlowVars`] per flow,
//! [`XbitsStore`] per engine worker, [`ThresholdTable`] per engine worker,
//! each bounded with counters.
//!
//! Semantics follow Suricata (documentation first, its source where the
//! documentation is silent); each file says where palisade differs.

mod bounded;
#[cfg(test)]
mod testutil;

pub mod ack;
pub mod dsize;
pub mod flags;
pub mod flow;
pub mod flowbits;
pub mod flowint;
pub mod fragbits;
pub mod fragoffset;
pub mod icmp_id;
pub mod icmp_seq;
pub mod icode;
pub mod id;
pub mod ip_proto;
pub mod ipopts;
pub mod itype;
pub mod sameip;
pub mod seq;
pub mod stream_size;
pub mod tcp_mss;
pub mod threshold;
pub mod ttl;
pub mod tx_int;
pub mod uint;
pub mod window;
pub mod xbits;

pub use ack::Ack;
pub use dsize::Dsize;
pub use flags::{Flags, TcpFlags};
pub use flow::FlowMatch;
pub use flowbits::{Combine, FlowVars, FlowbitName, Flowbits, FlowbitsCmd, FlowbitsOp, Interner};
pub use flowint::{Flowint, FlowintModifier, FlowintOp, FlowintTarget};
pub use fragbits::{BitsModifier, FragBits};
pub use fragoffset::FragOffset;
pub use icmp_id::IcmpId;
pub use icmp_seq::IcmpSeq;
pub use icode::ICode;
pub use id::IpId;
pub use ip_proto::IpProto;
pub use ipopts::IpOpts;
pub use itype::IType;
pub use sameip::SameIp;
pub use seq::Seq;
pub use stream_size::StreamSize;
pub use tcp_mss::TcpMss;
pub use threshold::{suppressed, ThresholdTable, ThresholdVerdict};
pub use ttl::Ttl;
pub use tx_int::TxInt;
pub use uint::{UintCmp, UintMode};
pub use window::Window;
pub use xbits::{XbitKey, Xbits, XbitsOp, XbitsStore};

/// One entry of the keyword list that drives `palisade rules keywords`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct KeywordInfo {
    /// The keyword as written in rules.
    pub name: &'static str,
    /// Other accepted spellings.
    pub aliases: &'static [&'static str],
    /// One line on what it matches.
    pub summary: &'static str,
}

/// The non-payload keywords this module implements.
pub const NON_PAYLOAD_KEYWORDS: &[KeywordInfo] = &[
    KeywordInfo { name: "ttl", aliases: &[], summary: "IPv4 TTL / IPv6 hop limit (8-bit integer syntax)" },
    KeywordInfo { name: "ip_proto", aliases: &[], summary: "IP protocol by name or number, with ! < >" },
    KeywordInfo { name: "ipopts", aliases: &[], summary: "an IPv4 option is present (rr, eol, nop, ts, sec, esec, lsrr, ssrr, satid, qs, rtralt, cipso, any)" },
    KeywordInfo { name: "sameip", aliases: &[], summary: "source address equals destination address" },
    KeywordInfo { name: "fragbits", aliases: &[], summary: "IPv4 M/D/R bits with + * ! modifiers" },
    KeywordInfo { name: "fragoffset", aliases: &[], summary: "IP fragment offset with ! < >" },
    KeywordInfo { name: "id", aliases: &[], summary: "IPv4 identification (16-bit integer syntax)" },
    KeywordInfo { name: "flags", aliases: &["tcp.flags"], summary: "TCP flags with + * ! modifiers and an ignore mask" },
    KeywordInfo { name: "seq", aliases: &[], summary: "exact TCP sequence number" },
    KeywordInfo { name: "ack", aliases: &[], summary: "exact TCP acknowledgement number" },
    KeywordInfo { name: "window", aliases: &[], summary: "TCP window (16-bit integer syntax)" },
    KeywordInfo { name: "tcp.mss", aliases: &[], summary: "TCP MSS option value (16-bit integer syntax)" },
    KeywordInfo { name: "itype", aliases: &[], summary: "ICMP type (8-bit integer syntax)" },
    KeywordInfo { name: "icode", aliases: &[], summary: "ICMP code (8-bit integer syntax)" },
    KeywordInfo { name: "icmp_id", aliases: &[], summary: "ICMP echo identifier" },
    KeywordInfo { name: "icmp_seq", aliases: &[], summary: "ICMP echo sequence number" },
    KeywordInfo { name: "dsize", aliases: &[], summary: "packet payload length (16-bit integer syntax)" },
    KeywordInfo { name: "stream_size", aliases: &[], summary: "TCP bytes sent by server/client/both/either" },
    KeywordInfo { name: "flow", aliases: &[], summary: "flow direction and state, stream/packet and fragment selection" },
    KeywordInfo { name: "flowbits", aliases: &[], summary: "per-flow named bits: set unset toggle isset isnotset noalert, a|b and a&b groups" },
    KeywordInfo { name: "flowint", aliases: &[], summary: "per-flow 32-bit counters: = + - and comparisons, isset notset" },
    KeywordInfo { name: "xbits", aliases: &[], summary: "bits per host or host pair with expiry" },
    KeywordInfo { name: "threshold", aliases: &[], summary: "alert rate control: limit, threshold, both" },
    KeywordInfo { name: "detection_filter", aliases: &[], summary: "alert only after a count of matches in a window" },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyword_list_is_unique() {
        let mut names: Vec<&str> = NON_PAYLOAD_KEYWORDS
            .iter()
            .flat_map(|k| std::iter::once(k.name).chain(k.aliases.iter().copied()))
            .collect();
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n);
    }

    /// Every parser survives arbitrary bytes-as-text without panicking.
    #[test]
    fn parsers_never_panic() {
        let alphabet: Vec<char> =
            " ,|&!<>=+-*0123456789xSAFRPUCEMD_.:\"ékbmgtrackexpireip_srcsetisnot"
                .chars()
                .collect();
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        for len in 0..24usize {
            for _ in 0..300 {
                let s: String = (0..len)
                    .map(|_| {
                        seed ^= seed << 13;
                        seed ^= seed >> 7;
                        seed ^= seed << 17;
                        alphabet[(seed % alphabet.len() as u64) as usize]
                    })
                    .collect();
                let _ = UintCmp::parse(&s);
                let _ = UintCmp::parse_max(&s, 255);
                let _ = Ttl::parse(&s);
                let _ = IpProto::parse(&s);
                let _ = IpOpts::parse(&s);
                let _ = FragBits::parse(&s);
                let _ = FragOffset::parse(&s);
                let _ = IpId::parse(&s);
                let _ = SameIp::parse(&s);
                let _ = TcpFlags::parse(&s);
                let _ = Seq::parse(&s);
                let _ = Ack::parse(&s);
                let _ = Window::parse(&s);
                let _ = TcpMss::parse(&s);
                let _ = IType::parse(&s);
                let _ = ICode::parse(&s);
                let _ = IcmpId::parse(&s);
                let _ = IcmpSeq::parse(&s);
                let _ = Dsize::parse(&s);
                let _ = StreamSize::parse(&s);
                let _ = FlowMatch::parse(&s);
                let _ = Flowbits::parse(&s);
                let _ = Flowint::parse(&s);
                let _ = Xbits::parse(&s);
            }
        }
    }
}
