//! Protocol identification and the per-flow app-layer state.
//!
//! Identification does not trust ports: each direction's first bytes are
//! offered to every protocol's probe, those whose well-known ports include
//! the flow's server port first (their weak probes may match only there).
//! A probe that needs more bytes makes the direction wait, holding at most
//! [`PROBE_MAX_BYTES`]. The first match on either direction picks the
//! protocol, so a capture with only one direction visible, or a flow picked
//! up midstream whose first chunks are not at a message start, still gets
//! identified (a direction keeps probing for [`PROBE_MAX_CHUNKS`] chunks).
//! When both directions give up, the flow is `unknown`; on a protocol's
//! well-known port that raises `applayer.proto_detection_failed`.

use crate::parser::{Dir, Input, Parser, Sink};
use crate::registry::{Probe, ProbeInput, ProtoSpec, Transport, PROTOCOLS};

/// Bytes held per direction while a probe asks for more.
pub const PROBE_MAX_BYTES: usize = 4096;
/// Chunks (segments' worth of stream data, or datagrams) per direction
/// offered to the probes before the direction gives up.
pub const PROBE_MAX_CHUNKS: u8 = 8;

/// Event: no protocol recognised on a flow to a well-known port.
pub const EV_DETECTION_FAILED: &str = "applayer.proto_detection_failed";
/// Event: the identified protocol's parser gave up on the flow.
pub const EV_PARSER_ERROR: &str = "applayer.parser_error";

enum State {
    Probing,
    Parsing(&'static ProtoSpec, Box<dyn Parser>),
    /// Protocol known, parser stopped after an error.
    Stopped(&'static ProtoSpec),
    /// Labelled by another flow's announcement (an FTP data channel):
    /// known, not parsed.
    Labelled(&'static str),
    Unknown,
}

/// App-layer state of one flow: identification, then its parser.
pub struct AppFlow {
    transport: Transport,
    server_port: u16,
    state: State,
    held: [Vec<u8>; 2],
    chunks: [u8; 2],
    gave_up: [bool; 2],
    /// Bytes fed per direction (for error offsets).
    fed: [u64; 2],
    /// The last parser error, if any.
    pub error: Option<crate::parser::ParseError>,
}

impl std::fmt::Debug for AppFlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppFlow")
            .field("app_proto", &self.app_proto())
            .field("server_port", &self.server_port)
            .finish()
    }
}

impl AppFlow {
    /// A new flow over `transport` (Tcp or Udp) to `server_port`.
    pub fn new(transport: Transport, server_port: u16) -> AppFlow {
        AppFlow {
            transport,
            server_port,
            state: State::Probing,
            held: [Vec::new(), Vec::new()],
            chunks: [0; 2],
            gave_up: [false; 2],
            fed: [0; 2],
            error: None,
        }
    }

    /// A flow whose protocol is already known (tests, expectations such as
    /// an FTP data channel).
    pub fn with_protocol(
        transport: Transport,
        server_port: u16,
        spec: &'static ProtoSpec,
    ) -> AppFlow {
        let mut f = AppFlow::new(transport, server_port);
        f.state = State::Parsing(spec, (spec.new_parser)());
        f
    }

    /// A flow another flow announced (see [`crate::parser::Expectation`]):
    /// labelled `app_proto`, its data not parsed.
    pub fn labelled(transport: Transport, server_port: u16, app_proto: &'static str) -> AppFlow {
        let mut f = AppFlow::new(transport, server_port);
        f.state = State::Labelled(app_proto);
        f
    }

    /// Moves the flows the parser announced into `out`.
    pub fn take_expectations(&mut self, out: &mut Vec<crate::parser::Expectation>) {
        if let State::Parsing(_, p) = &mut self.state {
            p.take_expectations(out);
        }
    }

    /// Suricata's name of the flow's protocol once identified.
    pub fn app_proto(&self) -> Option<&'static str> {
        match &self.state {
            State::Parsing(s, _) | State::Stopped(s) => Some(s.name),
            State::Labelled(name) => Some(name),
            _ => None,
        }
    }

    /// Identification ended without a protocol.
    pub fn is_unknown(&self) -> bool {
        matches!(self.state, State::Unknown)
    }

    /// Whether more data is of any use (false once unknown or stopped), so
    /// the pipeline can skip the call.
    pub fn wants_data(&self) -> bool {
        matches!(self.state, State::Probing | State::Parsing(..))
    }

    /// Feeds ordered data of one direction (or one datagram).
    pub fn data(&mut self, input: Input<'_>, sink: &mut dyn Sink) {
        if input.data.is_empty() {
            return;
        }
        if let State::Probing = self.state {
            self.probe(input, sink);
            return;
        }
        self.feed(input, sink);
    }

    fn feed(&mut self, input: Input<'_>, sink: &mut dyn Sink) {
        let d = input.dir.index();
        let State::Parsing(spec, parser) = &mut self.state else {
            return;
        };
        let spec: &'static ProtoSpec = spec;
        let r = parser.parse(input, sink);
        self.fed[d] += input.data.len() as u64;
        if let Err(mut e) = r {
            e.offset = e.offset.max(self.fed[d]);
            sink.event(input.dir, EV_PARSER_ERROR);
            self.error = Some(e);
            self.state = State::Stopped(spec);
        }
    }

    fn probe(&mut self, input: Input<'_>, sink: &mut dyn Sink) {
        let d = input.dir.index();
        if self.gave_up[d] {
            return;
        }
        let held = !self.held[d].is_empty();
        let mut take = 0;
        if held {
            let room = PROBE_MAX_BYTES.saturating_sub(self.held[d].len());
            take = input.data.len().min(room);
            self.held[d].extend_from_slice(&input.data[..take]);
        }
        let bytes: &[u8] = if held { &self.held[d] } else { input.data };
        let (found, more) = self.run_probes(input.dir, bytes);
        let bytes_len = bytes.len();
        self.chunks[d] = self.chunks[d].saturating_add(1);
        if let Some(spec) = found {
            let mine = std::mem::take(&mut self.held[d]);
            let other = std::mem::take(&mut self.held[1 - d]);
            self.state = State::Parsing(spec, (spec.new_parser)());
            // What the other direction held came first.
            if !other.is_empty() {
                self.feed(
                    Input {
                        dir: input.dir.reverse(),
                        data: &other,
                        ts: input.ts,
                    },
                    sink,
                );
            }
            if held {
                // `mine` already includes this input up to the bound.
                self.feed(
                    Input {
                        data: &mine,
                        ..input
                    },
                    sink,
                );
                let rest = input.data.get(take..).unwrap_or(&[]);
                if !rest.is_empty() {
                    self.feed(
                        Input {
                            data: rest,
                            ..input
                        },
                        sink,
                    );
                }
            } else {
                self.feed(input, sink);
            }
            return;
        }
        let datagram = self.transport == Transport::Udp;
        if more && !datagram && bytes_len < PROBE_MAX_BYTES {
            if !held {
                self.held[d].extend_from_slice(input.data);
            }
            return;
        }
        self.held[d].clear();
        if self.chunks[d] >= PROBE_MAX_CHUNKS || (datagram && self.chunks[d] >= 2) {
            self.gave_up[d] = true;
        }
        if self.gave_up[0] && self.gave_up[1] {
            self.give_up(input.dir, sink);
        }
    }

    fn give_up(&mut self, dir: Dir, sink: &mut dyn Sink) {
        self.state = State::Unknown;
        self.held = [Vec::new(), Vec::new()];
        if self.on_known_port() {
            sink.event(dir, EV_DETECTION_FAILED);
        }
    }

    fn on_known_port(&self) -> bool {
        PROTOCOLS
            .iter()
            .any(|p| p.transport.allows(self.transport) && p.ports.contains(&self.server_port))
    }

    /// The first matching protocol, and whether any probe asked for more.
    fn run_probes(&self, dir: Dir, data: &[u8]) -> (Option<&'static ProtoSpec>, bool) {
        let mut more = false;
        for pass_on_port in [true, false] {
            for &spec in PROTOCOLS {
                if !spec.transport.allows(self.transport) {
                    continue;
                }
                let on_port = spec.ports.contains(&self.server_port);
                if on_port != pass_on_port {
                    continue;
                }
                let pi = ProbeInput {
                    dir,
                    data,
                    server_port: self.server_port,
                    on_port,
                };
                match (spec.probe)(&pi) {
                    Probe::Match => return (Some(spec), more),
                    Probe::NeedMore => more = true,
                    Probe::NoMatch => {}
                }
            }
        }
        (None, more)
    }

    /// `len` bytes of `dir` are missing.
    pub fn gap(&mut self, dir: Dir, len: u64, sink: &mut dyn Sink) {
        self.fed[dir.index()] += len;
        match &mut self.state {
            State::Probing => self.held[dir.index()].clear(),
            State::Parsing(_, p) => p.gap(dir, len, sink),
            _ => {}
        }
    }

    /// The flow ended: the parser reports what it still holds. A flow that
    /// ends while still probing is left unknown (no event: short flows
    /// and one-packet scans are normal).
    pub fn finish(&mut self, sink: &mut dyn Sink) {
        if let State::Parsing(_, p) = &mut self.state {
            p.finish(sink);
        }
        self.held = [Vec::new(), Vec::new()];
    }
}
