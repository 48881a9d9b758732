//! The app-layer inside a worker: one [`AppFlow`] per flow with data
//! (identification, then its protocol's parser), and the counters the
//! stats record reports.

use palisade_proto::{AppFlow, Expectation, FlowEnd, Transport};
use std::collections::BTreeMap;
use std::net::IpAddr;

/// Announced flows kept per worker; the oldest goes first.
pub const MAX_EXPECTED: usize = 1024;
/// Seconds (packet time) an announced flow is waited for.
pub const EXPECT_SECS: u64 = 120;

/// A flow announced by another (an FTP data channel, a TFTP transfer): it
/// joins `(addr, port)` with `peer`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
struct Expected {
    app_proto: &'static str,
    addr: IpAddr,
    port: u16,
    peer: IpAddr,
    until: u64,
}

/// App-layer counters of a worker (summed over workers for the report).
#[derive(Clone, Debug, Default)]
pub struct AppStats {
    /// Flows per identified protocol (counted when they end).
    pub flows: BTreeMap<&'static str, u64>,
    /// Flows with data whose protocol was not identified.
    pub unknown_flows: u64,
    /// Flows labelled from another flow's announcement (FTP data, TFTP
    /// transfers).
    pub expected_flows: u64,
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
        self.expected_flows += o.expected_flows;
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
        // labels that are not parsers (ftp-data)
        for (name, n) in &self.flows {
            flow.entry(name.to_string()).or_insert((*n).into());
        }
        flow.insert("failed".into(), self.unknown_flows.into());
        serde_json::json!({
            "flow": flow,
            "tx": tx,
            "events": self.events,
            "expected_flows": self.expected_flows,
        })
    }
}

/// A worker's app-layer state.
#[derive(Default)]
pub struct WorkerApp {
    /// By flow id (hashbrown's seeded hasher, as in the flow table: a
    /// lookup per packet).
    flows: hashbrown::HashMap<u64, AppFlow>,
    expected: Vec<Expected>,
    /// Describes login attempts to the detectors (when they run).
    pub login: Option<std::sync::Arc<crate::pipeline::detectors::LoginCheck>>,
    digest_memo: crate::pipeline::detectors::DigestMemo,
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
        client: (IpAddr, u16),
        server: (IpAddr, u16),
    ) -> (
        &mut AppFlow,
        &mut AppStats,
        Option<(
            &crate::pipeline::detectors::LoginCheck,
            &mut crate::pipeline::detectors::DigestMemo,
        )>,
    ) {
        let login = self.login.as_deref().map(|l| (l, &mut self.digest_memo));
        let expected = &mut self.expected;
        let stats = &mut self.stats;
        let f = self.flows.entry(id).or_insert_with(|| {
            // A flow another flow announced is labelled, not probed.
            let hit = expected.iter().position(|e| {
                (client == (e.addr, e.port) && server.0 == e.peer)
                    || (server == (e.addr, e.port) && client.0 == e.peer)
            });
            match hit {
                Some(i) => {
                    let e = expected.remove(i);
                    stats.expected_flows += 1;
                    AppFlow::labelled(transport, server.1, e.app_proto)
                }
                None => AppFlow::new(transport, server.1),
            }
        });
        (f, stats, login)
    }

    /// Records flows a flow announced (its client and server given),
    /// waiting for them until `now + EXPECT_SECS`.
    pub fn expect(
        &mut self,
        out: Vec<Expectation>,
        client: (IpAddr, u16),
        server: (IpAddr, u16),
        now: u64,
    ) {
        self.expected.retain(|e| e.until >= now);
        for x in out {
            let (end, other) = match x.end {
                FlowEnd::Client => (client, server),
                FlowEnd::Server => (server, client),
            };
            if self.expected.len() >= MAX_EXPECTED {
                self.expected.remove(0);
            }
            self.expected.push(Expected {
                app_proto: x.app_proto,
                addr: x.addr.unwrap_or(end.0),
                port: x.port.unwrap_or(end.1),
                peer: other.0,
                until: now + EXPECT_SECS,
            });
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_proto::{Dir, Input};
    use std::net::Ipv4Addr;

    fn ip(d: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(192, 168, 1, d))
    }

    struct Discard;
    impl palisade_proto::Sink for Discard {
        fn tx(&mut self, _: &dyn palisade_proto::AppTx, _: palisade_proto::TxUpdate) {}
        fn event(&mut self, _: Dir, _: &'static str) {}
    }

    /// Feeds `data` to flow `id` and records what it announced.
    fn feed(
        app: &mut WorkerApp,
        id: u64,
        c: (IpAddr, u16),
        s: (IpAddr, u16),
        dir: Dir,
        data: &[u8],
    ) {
        let t = if s.1 == 69 {
            Transport::Udp
        } else {
            Transport::Tcp
        };
        let (f, _, _) = app.flow_and_stats(id, t, c, s);
        let ts = palisade_event::Timestamp::from_secs_nanos(100, 0);
        f.data(Input { dir, data, ts }, &mut Discard);
        let mut out = Vec::new();
        f.take_expectations(&mut out);
        app.expect(out, c, s, 100);
    }

    #[test]
    fn ftp_passive_and_active_data_channels_are_labelled() {
        let mut app = WorkerApp::new();
        let (c, s) = ((ip(10), 40000), (ip(20), 21));
        feed(&mut app, 1, c, s, Dir::ToClient, b"220 (vsFTPd 3.0.3)\r\n");
        feed(&mut app, 1, c, s, Dir::ToServer, b"PASV\r\n");
        feed(
            &mut app,
            1,
            c,
            s,
            Dir::ToClient,
            b"227 Entering Passive Mode (192,168,1,20,195,80).\r\n",
        );
        assert_eq!(app.app_proto(1), Some("ftp"));
        // the client connects to 192.168.1.20:50000
        let (f, _, _) = app.flow_and_stats(2, Transport::Tcp, (ip(10), 40001), (ip(20), 50000));
        assert_eq!(f.app_proto(), Some("ftp-data"));
        // once only
        let (f, _, _) = app.flow_and_stats(3, Transport::Tcp, (ip(10), 40002), (ip(20), 50000));
        assert_eq!(f.app_proto(), None);
        // active mode: the server connects from port 20 to the client's port
        feed(
            &mut app,
            1,
            c,
            s,
            Dir::ToServer,
            b"PORT 192,168,1,10,156,64\r\n",
        );
        feed(
            &mut app,
            1,
            c,
            s,
            Dir::ToClient,
            b"200 PORT command successful.\r\n",
        );
        let (f, _, _) = app.flow_and_stats(4, Transport::Tcp, (ip(20), 20), (ip(10), 40000));
        assert_eq!(f.app_proto(), Some("ftp-data"));
        // a third host on that port is not the data channel
        let (f, _, _) = app.flow_and_stats(5, Transport::Tcp, (ip(99), 20), (ip(10), 40000));
        assert_eq!(f.app_proto(), None);
        assert_eq!(app.stats.expected_flows, 2);
    }

    #[test]
    fn tftp_transfer_flow_is_labelled_and_expectations_are_bounded() {
        let mut app = WorkerApp::new();
        let (c, s) = ((ip(10), 3445), (ip(20), 69));
        feed(
            &mut app,
            1,
            c,
            s,
            Dir::ToServer,
            b"\x00\x01rfc1350.txt\x00octet\x00",
        );
        assert_eq!(app.app_proto(1), Some("tftp"));
        // the server answers from a new port to the client's port
        let (f, _, _) = app.flow_and_stats(2, Transport::Udp, (ip(20), 50618), (ip(10), 3445));
        assert_eq!(f.app_proto(), Some("tftp"));
        for i in 0..(MAX_EXPECTED as u16 + 10) {
            let out = vec![Expectation {
                app_proto: "tftp",
                end: FlowEnd::Client,
                addr: None,
                port: None,
            }];
            app.expect(out, (ip(10), 1000 + i), s, 100);
        }
        assert_eq!(app.expected.len(), MAX_EXPECTED);
        // expired ones go on the next announcement
        app.expect(
            Vec::from([Expectation {
                app_proto: "tftp",
                end: FlowEnd::Client,
                addr: None,
                port: None,
            }]),
            c,
            s,
            100 + EXPECT_SECS + 1,
        );
        assert_eq!(app.expected.len(), 1);
    }
}
