//! Header keywords as one enum: the engine matches them with a `match`
//! (no dynamic dispatch on the per-packet path). Each keyword's parsing,
//! semantics and tests live in its own file under `keywords/`.

use crate::keywords;
use crate::packet::PacketView;

macro_rules! header_keywords {
    ($( $name:literal => $variant:ident ( $ty:path ), $doc:literal; )*) => {
        /// A parsed header keyword.
        #[derive(Clone, Debug)]
        pub enum HeaderMatch {
            $(
                #[doc = $doc]
                $variant($ty),
            )*
        }

        impl HeaderMatch {
            /// Does the packet satisfy it?
            #[inline]
            pub fn matches(&self, p: &PacketView<'_>) -> bool {
                match self {
                    $( HeaderMatch::$variant(k) => k.matches(p), )*
                }
            }
        }

        /// Parses `name:value` if `name` is a header keyword (None otherwise).
        pub fn parse(name: &str, value: Option<&str>) -> Option<Result<HeaderMatch, String>> {
            let v = value.unwrap_or("");
            let name = if name == "tcp.flags" { "flags" } else { name };
            match name {
                $( $name => Some(<$ty>::parse(v).map(HeaderMatch::$variant)), )*
                _ => None,
            }
        }

        /// (name, doc) of every header keyword.
        pub const HEADER_KEYWORDS: &[(&str, &str)] = &[ $( ($name, $doc), )* ];
    };
}

header_keywords! {
    "ttl" => Ttl(keywords::ttl::Ttl), "IP time to live / hop limit (integer comparison)";
    "ip_proto" => IpProto(keywords::ip_proto::IpProto), "IP protocol number or name";
    "ipopts" => IpOpts(keywords::ipopts::IpOpts), "IPv4 option present (rr, lsrr, ts, ...)";
    "fragbits" => FragBits(keywords::fragbits::FragBits), "IP fragment bits M D R with + * ! modifiers";
    "fragoffset" => FragOffset(keywords::fragoffset::FragOffset), "IP fragment offset";
    "id" => IpId(keywords::id::IpId), "IPv4 identification";
    "sameip" => SameIp(keywords::sameip::SameIp), "source address equals destination";
    "flags" => Flags(keywords::flags::Flags), "TCP flags with modifiers and mask";
    "seq" => Seq(keywords::seq::Seq), "TCP sequence number";
    "ack" => Ack(keywords::ack::Ack), "TCP acknowledgement number";
    "window" => Window(keywords::window::Window), "TCP window";
    "tcp.mss" => TcpMss(keywords::tcp_mss::TcpMss), "TCP MSS option value";
    "itype" => IType(keywords::itype::IType), "ICMP type";
    "icode" => ICode(keywords::icode::ICode), "ICMP code";
    "icmp_id" => IcmpId(keywords::icmp_id::IcmpId), "ICMP echo identifier";
    "icmp_seq" => IcmpSeq(keywords::icmp_seq::IcmpSeq), "ICMP echo sequence";
    "dsize" => Dsize(keywords::dsize::Dsize), "packet payload size (packet rules only)";
    "stream_size" => StreamSize(keywords::stream_size::StreamSize), "bytes seen on the stream by side";
}
