//! `stream_size:<server|client|both|either>,<op>,<N>`: the number of bytes
//! a TCP session has carried so far, by sequence numbers.
//!
//! As in Suricata, `server` is what the server sent (the flow's
//! [`FlowView::toclient_bytes`](crate::packet::FlowView)) and `client` what
//! the client sent (`toserver_bytes`); `both` needs both sides to satisfy
//! the comparison, `either` one of them. Operators: `>`, `<`, `=`, `!=`
//! (also `!`), `>=`, `<=`. Suricata computes each side as a 32-bit sequence
//! difference, so the counts are compared modulo 2^32. Matches only TCP
//! packets of a flow tracked by the stream engine.

use super::uint::{UintCmp, UintMode};
use crate::packet::PacketView;

/// Which side(s) `stream_size` compares.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum StreamSide {
    /// Bytes sent by the server.
    Server,
    /// Bytes sent by the client.
    Client,
    /// Both sides must satisfy the comparison.
    Both,
    /// One side is enough.
    Either,
}

/// A parsed `stream_size` option.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct StreamSize {
    /// The side(s).
    pub side: StreamSide,
    /// The comparison (one of Eq, Ne, Lt, Le, Gt, Ge).
    pub cmp: UintCmp,
}

impl StreamSize {
    /// Parses the option value.
    pub fn parse(value: &str) -> Result<Self, String> {
        let err = |m: &str| format!("stream_size: {m}");
        let mut parts = value.split(',');
        let (Some(side), Some(op), Some(num), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(err(
                "expected `<server|client|both|either>, <op>, <number>`",
            ));
        };
        let side = match side.trim() {
            "server" => StreamSide::Server,
            "client" => StreamSide::Client,
            "both" => StreamSide::Both,
            "either" => StreamSide::Either,
            s => return Err(err(&format!("unknown side `{s}`"))),
        };
        let mode = match op.trim() {
            ">=" => UintMode::Ge,
            "<=" => UintMode::Le,
            ">" => UintMode::Gt,
            "<" => UintMode::Lt,
            "!=" | "!" => UintMode::Ne,
            "=" => UintMode::Eq,
            o => return Err(err(&format!("unknown operator `{o}`"))),
        };
        let n = num.trim();
        if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err(&format!("`{n}` is not a decimal number")));
        }
        let arg1 = n
            .parse::<u32>()
            .map_err(|_| err(&format!("`{n}` does not fit in 32 bits")))?;
        Ok(StreamSize {
            side,
            cmp: UintCmp {
                mode,
                arg1: arg1.into(),
                arg2: 0,
            },
        })
    }

    /// True for a TCP packet of a stream-tracked flow whose byte counts
    /// satisfy the option.
    pub fn matches(&self, p: &PacketView) -> bool {
        let Some(f) = p.flow else {
            return false;
        };
        if p.tcp.is_none() || !f.has_stream {
            return false;
        }
        let server = self.cmp.matches(f.toclient_bytes & 0xffff_ffff);
        let client = self.cmp.matches(f.toserver_bytes & 0xffff_ffff);
        match self.side {
            StreamSide::Server => server,
            StreamSide::Client => client,
            StreamSide::Both => server && client,
            StreamSide::Either => server || client,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keywords::testutil::{flow, ipv4_packet, tcp_packet};

    fn pkt(toserver: u64, toclient: u64) -> PacketView<'static> {
        let mut p = tcp_packet(0x18);
        let mut f = flow(true, true);
        f.toserver_bytes = toserver;
        f.toclient_bytes = toclient;
        p.flow = Some(f);
        p
    }

    #[test]
    fn sides() {
        let p = pkt(100, 6000);
        assert!(StreamSize::parse("server, >, 5000").unwrap().matches(&p));
        assert!(!StreamSize::parse("client, >, 5000").unwrap().matches(&p));
        assert!(!StreamSize::parse("both, >, 5000").unwrap().matches(&p));
        assert!(StreamSize::parse("either, >, 5000").unwrap().matches(&p));
        assert!(StreamSize::parse("both,>=,100").unwrap().matches(&p));
        assert!(StreamSize::parse("client,=,100").unwrap().matches(&p));
        assert!(StreamSize::parse("client,!=,101").unwrap().matches(&p));
        assert!(StreamSize::parse("client,<=,100").unwrap().matches(&p));
        assert!(!StreamSize::parse("client,<,100").unwrap().matches(&p));
    }

    #[test]
    fn needs_tcp_stream() {
        let k = StreamSize::parse("either,>=,0").unwrap();
        assert!(!k.matches(&ipv4_packet(6)), "no flow");
        let mut p = pkt(1, 1);
        assert!(k.matches(&p));
        if let Some(f) = p.flow.as_mut() {
            f.has_stream = false;
        }
        assert!(!k.matches(&p));
        let mut udp = ipv4_packet(17);
        udp.flow = Some(flow(true, true));
        assert!(!k.matches(&udp));
    }

    #[test]
    fn rejects() {
        for bad in [
            "",
            "server",
            "server,>",
            "server,>,",
            "sever,>,1",
            "server,==,1",
            "server,>,-1",
            "server,>,4294967296",
            "server,>,1,2",
            "server,>,0x10",
        ] {
            let e = StreamSize::parse(bad).unwrap_err();
            assert!(e.starts_with("stream_size: "), "{bad}: {e}");
        }
    }
}
