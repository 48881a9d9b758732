//! The interface through which the signature engine inspects app-layer
//! transactions. Protocol parsers (palisade-proto) implement it; the engine
//! asks a transaction for the buffers its candidate rules use.

use crate::buffers::BufferId;

/// A transaction (HTTP request/response pair, DNS query, MQTT message, ...).
pub trait Transaction {
    /// Suricata's app-layer protocol name (`http`, `dns`, `mqtt`, ...).
    fn app_proto(&self) -> &str;
    /// Calls `f` with each instance of buffer `id` this transaction has (most
    /// buffers have zero or one instance; multi-buffers such as
    /// `dns.queries.rrname` have one per item). A rule's list matches the
    /// buffer when it matches any instance.
    fn buffer(&self, id: BufferId, f: &mut dyn FnMut(&[u8]));
    /// App-layer events (anomalies) raised on this transaction, as
    /// `proto.event_name` (for `app-layer-event`).
    fn events(&self) -> &[&'static str] {
        &[]
    }
    /// A stable number for the transaction within its flow, used so a rule
    /// alerts at most once per transaction.
    fn id(&self) -> u64;
}
