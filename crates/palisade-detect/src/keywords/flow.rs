//! `flow`: the packet's direction within its flow and the flow's state.
//!
//! Options (case-insensitive, comma separated, at most three as in
//! Suricata): `to_server` / `from_client`, `to_client` / `from_server`,
//! `established`, `not_established`, `stateless`, `only_stream`,
//! `no_stream`, `only_frag`, `no_frag`. Conflicting or repeated options are
//! errors (`established` with `stateless` or `not_established`, both
//! directions, `only_stream` with `no_stream`, `only_frag` with `no_frag`).
//!
//! Every option must hold (`not_established` together with `stateless` is
//! accepted but, as in Suricata, never matches). A packet without a flow never matches: Suricata
//! marks any signature with a `flow` condition as requiring a flow, and its
//! documentation says `stateless` packets outside a flow do not match
//! either.

use crate::packet::PacketView;

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum State {
    Established,
    NotEstablished,
    Stateless,
}

/// A parsed `flow` option.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct FlowMatch {
    to_server: Option<bool>,
    state: Option<State>,
    only_stream: Option<bool>,
    only_frag: Option<bool>,
    /// `not_established` with `stateless`: Suricata counts two options but
    /// can satisfy only one state test, so such a rule never matches.
    never: bool,
}

/// Most options one `flow` keyword takes (Suricata's parser limit).
pub const MAX_FLOW_OPTIONS: usize = 3;

impl FlowMatch {
    /// Parses the option value.
    pub fn parse(value: &str) -> Result<Self, String> {
        let v = value.trim();
        let opts: Vec<&str> = v.split(',').map(str::trim).collect();
        if opts.len() > MAX_FLOW_OPTIONS {
            return Err(format!(
                "flow: at most {MAX_FLOW_OPTIONS} options, got {}",
                opts.len()
            ));
        }
        let mut m = FlowMatch::default();
        for opt in opts {
            if opt.is_empty() {
                return Err(format!("flow: empty option in `{v}`"));
            }
            let lower = opt.to_ascii_lowercase();
            match lower.as_str() {
                "established" | "not_established" | "stateless" => {
                    let new = match lower.as_str() {
                        "established" => State::Established,
                        "not_established" => State::NotEstablished,
                        _ => State::Stateless,
                    };
                    if let Some(old) = m.state {
                        let both = (old, new);
                        if both == (State::NotEstablished, State::Stateless)
                            || both == (State::Stateless, State::NotEstablished)
                        {
                            // Suricata accepts this pair but it can never match.
                            m.never = true;
                            continue;
                        }
                        return Err(format!("flow: `{opt}` conflicts with an earlier option"));
                    }
                    m.state = Some(new);
                }
                "to_server" | "from_client" | "to_client" | "from_server" => {
                    if m.to_server.is_some() {
                        return Err(format!("flow: `{opt}`: the direction is already set"));
                    }
                    m.to_server = Some(matches!(lower.as_str(), "to_server" | "from_client"));
                }
                "only_stream" | "no_stream" => {
                    if m.only_stream.is_some() {
                        return Err(format!("flow: `{opt}`: stream option already set"));
                    }
                    m.only_stream = Some(lower == "only_stream");
                }
                "only_frag" | "no_frag" => {
                    if m.only_frag.is_some() {
                        return Err(format!("flow: `{opt}`: fragment option already set"));
                    }
                    m.only_frag = Some(lower == "only_frag");
                }
                _ => return Err(format!("flow: unknown option `{opt}`")),
            }
        }
        Ok(m)
    }

    /// `Some(true)` for `to_server`, `Some(false)` for `to_client`.
    pub fn direction(&self) -> Option<bool> {
        self.to_server
    }

    /// True for `established`.
    pub fn requires_established(&self) -> bool {
        self.state == Some(State::Established)
    }

    /// True for `not_established`.
    pub fn requires_not_established(&self) -> bool {
        self.state == Some(State::NotEstablished)
    }

    /// True for `stateless`.
    pub fn is_stateless(&self) -> bool {
        self.state == Some(State::Stateless)
    }

    /// True for `only_stream`: inspect reassembled stream data only.
    pub fn only_stream(&self) -> bool {
        self.only_stream == Some(true)
    }

    /// True for `no_stream`: inspect packets only.
    pub fn no_stream(&self) -> bool {
        self.only_stream == Some(false)
    }

    /// True for `only_frag`.
    pub fn only_frag(&self) -> bool {
        self.only_frag == Some(true)
    }

    /// True for `no_frag`.
    pub fn no_frag(&self) -> bool {
        self.only_frag == Some(false)
    }

    /// True if the packet satisfies every option. `is_stream_data` is true
    /// when the engine inspects reassembled stream data rather than the
    /// packet. The packet is taken as not rebuilt from fragments; see
    /// [`FlowMatch::matches_ext`].
    pub fn matches(&self, p: &PacketView, is_stream_data: bool) -> bool {
        self.matches_ext(p, is_stream_data, false)
    }

    /// [`FlowMatch::matches`] with whether the packet was rebuilt from
    /// IP fragments (for `only_frag` / `no_frag`).
    pub fn matches_ext(
        &self,
        p: &PacketView,
        is_stream_data: bool,
        rebuilt_fragment: bool,
    ) -> bool {
        let Some(f) = p.flow else {
            return false;
        };
        if self.never {
            return false;
        }
        if self.to_server.is_some_and(|ts| ts != f.to_server) {
            return false;
        }
        let state_ok = match self.state {
            None | Some(State::Stateless) => true,
            Some(State::Established) => f.established,
            Some(State::NotEstablished) => !f.established,
        };
        state_ok
            && self.only_stream.is_none_or(|only| only == is_stream_data)
            && self.only_frag.is_none_or(|only| only == rebuilt_fragment)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keywords::testutil::{flow, tcp_packet};

    fn pkt(to_server: bool, established: bool) -> PacketView<'static> {
        let mut p = tcp_packet(0x18);
        p.flow = Some(flow(to_server, established));
        p
    }

    #[test]
    fn table() {
        // (option, to_server, established, stream data, expected)
        let cases: &[(&str, bool, bool, bool, bool)] = &[
            ("established,to_server", true, true, false, true),
            ("established,to_server", false, true, false, false),
            ("established,to_server", true, false, false, false),
            ("to_client,established", false, true, true, true),
            ("from_server", false, false, false, true),
            ("from_client", true, false, false, true),
            ("not_established", true, false, false, true),
            ("not_established", true, true, false, false),
            ("stateless", false, true, false, true),
            ("stateless", true, false, false, true),
            ("to_server,established,only_stream", true, true, true, true),
            (
                "to_server,established,only_stream",
                true,
                true,
                false,
                false,
            ),
            ("to_server, established, no_stream", true, true, false, true),
            ("to_server, established, no_stream", true, true, true, false),
            ("ESTABLISHED,To_Server", true, true, false, true),
            (
                "to_server,not_established,no_frag",
                true,
                false,
                false,
                true,
            ),
        ];
        for (opt, ts, est, stream, want) in cases {
            let k = FlowMatch::parse(opt).unwrap_or_else(|e| panic!("{opt}: {e}"));
            assert_eq!(
                k.matches(&pkt(*ts, *est), *stream),
                *want,
                "flow:{opt} ts={ts} est={est}"
            );
        }
    }

    #[test]
    fn no_flow_never_matches() {
        let p = tcp_packet(0x02);
        for opt in ["stateless", "not_established", "to_server", "no_stream"] {
            assert!(!FlowMatch::parse(opt).unwrap().matches(&p, false), "{opt}");
        }
    }

    #[test]
    fn fragments() {
        let p = pkt(true, true);
        let only = FlowMatch::parse("only_frag").unwrap();
        assert!(!only.matches(&p, false));
        assert!(only.matches_ext(&p, false, true));
        let no = FlowMatch::parse("no_frag").unwrap();
        assert!(no.matches(&p, false));
        assert!(!no.matches_ext(&p, false, true));
        assert!(only.only_frag() && no.no_frag());
    }

    #[test]
    fn accessors() {
        let k = FlowMatch::parse("to_client,established,only_stream").unwrap();
        assert_eq!(k.direction(), Some(false));
        assert!(k.requires_established() && k.only_stream() && !k.no_stream());
        let k = FlowMatch::parse("to_server,no_stream").unwrap();
        assert_eq!(k.direction(), Some(true));
        assert!(!k.requires_established() && k.no_stream());
        let k = FlowMatch::parse("stateless").unwrap();
        assert!(k.is_stateless() && k.direction().is_none());
        assert!(FlowMatch::parse("not_established")
            .unwrap()
            .requires_not_established());
    }

    #[test]
    fn rejects() {
        let cases: &[(&str, &str)] = &[
            ("", "empty option"),
            ("to_server,", "empty option"),
            ("established,stateless", "conflicts"),
            ("stateless,established", "conflicts"),
            ("established,not_established", "conflicts"),
            ("established,established", "conflicts"),
            ("to_server,to_client", "direction"),
            ("to_server,from_client", "direction"),
            ("only_stream,no_stream", "stream option"),
            ("only_frag,no_frag", "fragment option"),
            ("to_sever", "unknown option `to_sever`"),
            ("to_server,established,no_stream,no_frag", "at most 3"),
        ];
        for (bad, msg) in cases {
            let e = FlowMatch::parse(bad).unwrap_err();
            assert!(e.starts_with("flow: ") && e.contains(msg), "{bad}: {e}");
        }
        let odd = FlowMatch::parse("not_established,stateless").unwrap();
        assert!(
            !odd.matches(&pkt(true, false), false),
            "never matches, as in Suricata"
        );
    }
}
