//! The interface through which the signature engine inspects app-layer
//! transactions. Every protocol's transaction implements it; the engine
//! asks a transaction for the buffers and integer fields its candidate
//! rules use.

use crate::buffers::BufferId;
use crate::fields::IntFieldId;

/// A transaction (HTTP request/response pair, DNS query, MQTT message, ...).
pub trait Transaction {
    /// Suricata's app-layer protocol name (`http`, `dns`, `mqtt`, ...).
    fn app_proto(&self) -> &'static str;
    /// Calls `f` with each instance of buffer `id` this transaction has (most
    /// buffers have zero or one instance; multi-buffers such as
    /// `dns.queries.rrname` have one per item). A rule's list matches the
    /// buffer when it matches any instance.
    fn buffer(&self, id: BufferId, f: &mut dyn FnMut(&[u8]));
    /// Calls `f` with each value of integer field `id` (`mqtt.type`,
    /// `tls.version`, ...; see [`crate::fields`]). A keyword on the field
    /// matches when it matches any value.
    fn integer(&self, _id: IntFieldId, _f: &mut dyn FnMut(u64)) {}
    /// App-layer events (anomalies) raised on this transaction, as
    /// `proto.event_name` (for `app-layer-event`).
    fn events(&self) -> &[&'static str] {
        &[]
    }
    /// A stable number for the transaction within its flow (0, 1, 2, ... in
    /// the order transactions start), used as EVE `tx_id` and so a rule
    /// alerts at most once per transaction.
    fn id(&self) -> u64;
}
