//! The contract between a protocol parser and its consumer.
//!
//! A [`Parser`] is created for one flow once identification chose its
//! protocol. It receives the flow's data in order: for TCP the
//! reassembled bytes of each direction as they are released (any
//! segmentation; both directions interleaved as seen), for UDP one
//! datagram per call. It reports transactions through a [`Sink`] while it
//! still owns them (borrowed, never copied): an update when a direction of
//! a transaction is complete, so rules can inspect it early, and a final
//! call with `complete` set, after which the parser drops it.
//!
//! Errors are not fatal to the flow: a parser that cannot continue returns
//! a [`ParseError`]; the flow keeps its protocol but no longer feeds that
//! parser. After a gap ([`Parser::gap`]) a parser resynchronises on the
//! next message boundary it can recognise.

use crate::tx::Transaction;
use palisade_event::Timestamp;
use serde_json::{Map, Value};

/// Direction of data within a flow.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Dir {
    /// Client to server.
    ToServer,
    /// Server to client.
    ToClient,
}

impl Dir {
    /// The other direction.
    pub fn reverse(self) -> Dir {
        match self {
            Dir::ToServer => Dir::ToClient,
            Dir::ToClient => Dir::ToServer,
        }
    }
    /// 0 for to-server, 1 for to-client (array index).
    pub fn index(self) -> usize {
        match self {
            Dir::ToServer => 0,
            Dir::ToClient => 1,
        }
    }
}

/// One call's worth of input.
#[derive(Copy, Clone, Debug)]
pub struct Input<'a> {
    /// Direction of `data`.
    pub dir: Dir,
    /// Ordered stream bytes (TCP) or one datagram's payload (UDP).
    pub data: &'a [u8],
    /// Time of the packet that released the data.
    pub ts: Timestamp,
}

/// What became of a transaction in this report.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct TxUpdate {
    /// The direction whose part just completed (request: to-server).
    pub dir: Dir,
    /// The transaction is finished (both parts, or the only part, or the
    /// flow ended): log it now; the parser drops it after this call.
    pub complete: bool,
}

/// A transaction as the pipeline sees it: inspectable by rules and
/// loggable as an EVE record.
pub trait AppTx: Transaction {
    /// The EVE `event_type` of its record (usually the protocol name).
    fn event_type(&self) -> &'static str {
        self.app_proto()
    }
    /// Fills the object logged under the event type's key (`"http": {...}`).
    /// Never writes a password or other secret taken from the traffic: a
    /// flag that one was sent and its length at most.
    fn log(&self, out: &mut Map<String, Value>);
    /// The login attempt this transaction carries, if any (Telnet, FTP,
    /// HTTP/RTSP Authorization, MQTT CONNECT, SNMP community). Handed in
    /// memory to the credential detectors, which test it against the
    /// default-credential database; it is never logged or stored.
    fn credential(&self) -> Option<Credential<'_>> {
        None
    }
}

/// Whether a login worked, as far as the protocol shows it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum LoginOutcome {
    /// No answer seen (yet).
    Unknown,
    /// Accepted (Telnet shell prompt, FTP 230, HTTP 2xx, MQTT CONNACK 0,
    /// an SNMP response).
    Success,
    /// Rejected (Login incorrect, FTP 530, HTTP 401, CONNACK refused).
    Failure,
}

/// A login attempt seen in traffic. Borrowed from the transaction: the
/// secret exists only for the duration of the call that receives it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Credential<'a> {
    /// Service (`telnet`, `ftp`, `http`, `rtsp`, `mqtt`, `snmp`).
    pub service: &'static str,
    /// User name as sent (empty when the protocol has none, as SNMP).
    pub username: &'a [u8],
    /// What proves knowledge of the password.
    pub secret: Secret<'a>,
    /// Outcome.
    pub outcome: LoginOutcome,
}

/// The secret part of a login.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Secret<'a> {
    /// The password (or SNMP community) in clear.
    Plain(&'a [u8]),
    /// HTTP/RTSP Digest (RFC 7616/2617): everything needed to test a
    /// candidate password against `response`.
    Digest(DigestParams<'a>),
    /// A user name only (the password was not seen).
    None,
}

/// Parameters of a Digest Authorization header, plus the request method.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct DigestParams<'a> {
    /// Request method (`GET`, `DESCRIBE`).
    pub method: &'a [u8],
    /// `realm`.
    pub realm: &'a [u8],
    /// `nonce`.
    pub nonce: &'a [u8],
    /// `uri`.
    pub uri: &'a [u8],
    /// `qop` (empty when absent).
    pub qop: &'a [u8],
    /// `nc`.
    pub nc: &'a [u8],
    /// `cnonce`.
    pub cnonce: &'a [u8],
    /// `algorithm` (empty means MD5).
    pub algorithm: &'a [u8],
    /// `response` (hex).
    pub response: &'a [u8],
}

/// The consumer of a parser's transactions and events.
pub trait Sink {
    /// A transaction progressed or completed (see [`TxUpdate`]).
    fn tx(&mut self, tx: &dyn AppTx, update: TxUpdate);
    /// An app-layer event that belongs to no transaction (a bound was hit,
    /// data could not be parsed), named `proto.event`.
    fn event(&mut self, dir: Dir, name: &'static str);
}

/// A parser that cannot go on with this flow.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{proto} parser stopped at {dir:?} byte {offset}: {reason}")]
pub struct ParseError {
    /// Protocol.
    pub proto: &'static str,
    /// Direction of the data.
    pub dir: Dir,
    /// Offset in that direction's stream (bytes fed before the error).
    pub offset: u64,
    /// Why.
    pub reason: &'static str,
}

/// A flow a protocol announced (an FTP data channel, a TFTP transfer), so
/// the pipeline can label it when it appears: the new flow joins the
/// endpoint `(addr, port)` with the other end of the announcing flow.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Expectation {
    /// Label of the expected flow (`ftp-data`, `tftp`).
    pub app_proto: &'static str,
    /// Which end of the announcing flow the known endpoint belongs to
    /// (its address, unless `addr` says otherwise); the other end's
    /// address is the new flow's peer.
    pub end: FlowEnd,
    /// The known endpoint's address when announced (FTP `PORT`, `227`);
    /// None: the address of `end`.
    pub addr: Option<std::net::IpAddr>,
    /// The known endpoint's port; None: the port of `end` in the
    /// announcing flow (TFTP: the server answers the client's port from a
    /// new one).
    pub port: Option<u16>,
}

/// One end of a flow.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum FlowEnd {
    /// The client (initiator).
    Client,
    /// The server.
    Server,
}

/// An incremental parser of one flow.
pub trait Parser: Send {
    /// Feeds data (see the module docs).
    fn parse(&mut self, input: Input<'_>, sink: &mut dyn Sink) -> Result<(), ParseError>;
    /// `len` bytes of `dir` are missing; the next data resumes after them.
    fn gap(&mut self, dir: Dir, len: u64, sink: &mut dyn Sink);
    /// The flow ended: report every transaction still held as complete.
    fn finish(&mut self, sink: &mut dyn Sink);
    /// Moves the flows announced since the last call into `out`.
    fn take_expectations(&mut self, _out: &mut Vec<Expectation>) {}
}

/// A sink that keeps records and events: for tests, the fuzz target and
/// tools. Each completed transaction becomes its EVE object plus the
/// fields a test wants to compare.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Collect {
    /// Completed transactions: (tx id, event type, EVE object, events).
    pub txs: Vec<CollectedTx>,
    /// Updates seen before completion, as (tx id, dir).
    pub updates: Vec<(u64, Dir)>,
    /// Flow-level events.
    pub events: Vec<(Dir, &'static str)>,
}

/// One completed transaction as [`Collect`] keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct CollectedTx {
    /// Transaction id.
    pub id: u64,
    /// EVE event type.
    pub event_type: &'static str,
    /// EVE object.
    pub log: Value,
    /// Transaction events.
    pub events: Vec<&'static str>,
}

impl Sink for Collect {
    fn tx(&mut self, tx: &dyn AppTx, update: TxUpdate) {
        if !update.complete {
            self.updates.push((tx.id(), update.dir));
            return;
        }
        let mut m = Map::new();
        tx.log(&mut m);
        self.txs.push(CollectedTx {
            id: tx.id(),
            event_type: tx.event_type(),
            log: Value::Object(m),
            events: tx.events().to_vec(),
        });
    }
    fn event(&mut self, dir: Dir, name: &'static str) {
        self.events.push((dir, name));
    }
}
