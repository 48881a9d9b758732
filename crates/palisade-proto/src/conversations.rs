//! Test helper: the app-layer conversations of a capture file, as the
//! pipeline would feed them (reassembled by palisade-flow, midstream
//! pickup on so partial captures still yield data).

use palisade_capture::CaptureReader;
use palisade_event::{AnomalyRecord, FlowRecord, Timestamp};
use palisade_flow::tcp::Direction;
use palisade_flow::{EngineConfig, FlowEngine, FlowObserver, FlowRef, PacketMeta};
use palisade_proto::parser::Dir;
use palisade_proto::registry::Transport;
use palisade_wire::{DecodedPacket, Decoder, DecoderConfig, Link};
use std::collections::BTreeMap;
use std::path::Path;

/// One flow's data in the order it was released.
#[derive(Debug, Clone)]
pub struct Conversation {
    /// Flow id.
    pub flow_id: u64,
    /// TCP or UDP.
    pub transport: Transport,
    /// Server port.
    pub server_port: u16,
    /// Data chunks (one per release or datagram) with the packet time.
    pub chunks: Vec<(Dir, Vec<u8>, Timestamp)>,
}

impl Conversation {
    /// Chunks as the testing drivers take them.
    pub fn borrowed(&self) -> Vec<(Dir, &[u8])> {
        self.chunks.iter().map(|(d, c, _)| (*d, &c[..])).collect()
    }
}

#[derive(Default)]
struct Obs {
    now: Timestamp,
    flows: BTreeMap<u64, Conversation>,
}

fn dir(d: Direction) -> Dir {
    if d == Direction::ToServer {
        Dir::ToServer
    } else {
        Dir::ToClient
    }
}

impl Obs {
    fn push(&mut self, f: FlowRef, d: Direction, data: &[u8], t: Transport) {
        let now = self.now;
        let c = self.flows.entry(f.id).or_insert_with(|| Conversation {
            flow_id: f.id,
            transport: t,
            server_port: 0,
            chunks: Vec::new(),
        });
        c.chunks.push((dir(d), data.to_vec(), now));
    }
}

impl FlowObserver for Obs {
    fn stream_data(&mut self, f: FlowRef, d: Direction, data: &[u8]) {
        self.push(f, d, data, Transport::Tcp);
    }
    fn udp_payload(&mut self, f: FlowRef, d: Direction, data: &[u8]) {
        self.push(f, d, data, Transport::Udp);
    }
    fn flow_end(&mut self, r: FlowRecord) {
        if let Some(c) = self.flows.get_mut(&r.flow_id) {
            c.server_port = r.tuple.dest_port.unwrap_or(0);
        }
    }
    fn anomaly(&mut self, _: AnomalyRecord) {}
}

/// Every flow with data in the capture at `path`, in flow-id order.
pub fn from_pcap(path: &Path) -> Vec<Conversation> {
    let mut cfg = EngineConfig::default();
    cfg.stream.midstream = true;
    let mut eng = FlowEngine::new(&cfg, 1);
    let mut dec = Decoder::new(DecoderConfig::default());
    let mut obs = Obs::default();
    let mut r = CaptureReader::open(path).expect("open capture");
    let mut n = 0;
    while let Ok(Some(p)) = r.next_packet() {
        n += 1;
        obs.now = p.ts;
        let meta = PacketMeta {
            ts: p.ts,
            pcap_cnt: n,
            source: 0,
        };
        let mut d = DecodedPacket::default();
        dec.decode(
            Link::from_linktype(p.linktype),
            p.data,
            p.data.len() as u32,
            &mut d,
        );
        for f in d.frames() {
            eng.process(&meta, f, &mut obs);
        }
    }
    eng.shutdown(&mut obs);
    obs.flows.into_values().collect()
}

/// `shared/data/pcaps/<rel>` beside the workspace (`/work/main` next to
/// `/work/shared`), or further up for a git worktree one level deeper
/// (`/work/wt/<name>`).
pub fn shared_pcap(rel: &str) -> std::path::PathBuf {
    let base = Path::new(env!("CARGO_MANIFEST_DIR"));
    base.ancestors()
        .map(|a| a.join("shared/data/pcaps"))
        .find(|p| p.is_dir())
        .unwrap_or_else(|| base.join("../../../shared/data/pcaps"))
        .join(rel)
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_ndpi_ssh_free_capture() {
        let convs = super::from_pcap(&super::shared_pcap("ndpi/mqtt.pcap"));
        assert!(!convs.is_empty());
        assert!(convs
            .iter()
            .any(|c| c.server_port == 1883 && !c.chunks.is_empty()));
    }
}
