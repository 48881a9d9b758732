//! The app-layer inside a worker: one [`AppFlow`] per flow with data
//! (identification, then its protocol's parser), and the counters the
//! stats record reports.

use palisade_proto::{AppFlow, Transport};
use std::collections::{BTreeMap, HashMap};

/// App-layer counters of a worker (summed over workers for the report).
#[derive(Clone, Debug, Default)]
pub struct AppStats {
    /// Flows per identified protocol (counted when they end).
    pub flows: BTreeMap<&'static str, u64>,
    /// Flows with data whose protocol was not identified.
    pub unknown_flows: u64,
    /// Completed transactions per protocol.
    pub txs: BTreeMap<&'static str, u64>,
    /// App-layer events raised (transaction and flow events).
    pub events: u64,
}

impl AppStats {
    /// Adds `o` into `self`.
    pub fn merge(&mut self, o: &AppStats) {
        for (k, v) in &o.flows {
            *self.flows.entry(k).or_default() += v;
        }
        for (k, v) in &o.txs {
            *self.txs.entry(k).or_default() += v;
        }
        self.unknown_flows += o.unknown_flows;
        self.events += o.events;
    }

    /// The `app_layer` object of the stats record: Suricata's
    /// `app_layer.flow.<proto>` and `app_layer.tx.<proto>`, every
    /// registered protocol listed (0 when unseen), plus `failed` flows.
    pub fn to_json(&self) -> serde_json::Value {
        let mut flow = serde_json::Map::new();
        let mut tx = serde_json::Map::new();
        for name in palisade_proto::registry::names() {
            flow.insert(
                name.into(),
                self.flows.get(name).copied().unwrap_or(0).into(),
            );
            tx.insert(name.into(), self.txs.get(name).copied().unwrap_or(0).into());
        }
        flow.insert("failed".into(), self.unknown_flows.into());
        serde_json::json!({ "flow": flow, "tx": tx, "events": self.events })
    }
}

/// A worker's app-layer state.
#[derive(Debug, Default)]
pub struct WorkerApp {
    flows: HashMap<u64, AppFlow>,
    /// Counters.
    pub stats: AppStats,
}

impl WorkerApp {
    /// Empty state.
    pub fn new() -> WorkerApp {
        WorkerApp::default()
    }

    /// The flow's app state, created on its first data.
    pub fn flow(&mut self, id: u64, transport: Transport, server_port: u16) -> &mut AppFlow {
        self.flows
            .entry(id)
            .or_insert_with(|| AppFlow::new(transport, server_port))
    }

    /// The flow's app state (created on first use) and the counters, borrowed
    /// together so a parser can report into the counters.
    pub fn flow_and_stats(
        &mut self,
        id: u64,
        transport: Transport,
        server_port: u16,
    ) -> (&mut AppFlow, &mut AppStats) {
        let f = self
            .flows
            .entry(id)
            .or_insert_with(|| AppFlow::new(transport, server_port));
        (f, &mut self.stats)
    }

    /// The flow's protocol, if identified.
    pub fn app_proto(&self, id: u64) -> Option<&'static str> {
        self.flows.get(&id).and_then(|f| f.app_proto())
    }

    /// Whether the flow has app state.
    pub fn has_flow(&self, id: u64) -> bool {
        self.flows.contains_key(&id)
    }

    /// Takes the flow's state out when it ends.
    pub fn remove(&mut self, id: u64) -> Option<AppFlow> {
        self.flows.remove(&id)
    }

    /// Flows with app state.
    pub fn active(&self) -> usize {
        self.flows.len()
    }
}
