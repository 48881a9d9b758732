//! One transaction per DHCP message, and its EVE object.

use super::parser::{bootp, opt, options};
use crate::buffers::{by_sticky_name, BufferId};
use crate::dns::log::addr;
use crate::parser::{AppTx, Input, ParseError, Parser, Sink};
use crate::tx::Transaction;
use crate::util::{text, Datagrams};
use serde_json::{Map, Value};
use std::sync::OnceLock;

/// Event names. `truncated_options` and `malformed_options` are
/// Suricata's; `malformed_message` (shorter than a BOOTP header) is
/// palisade's own, raised on the flow.
pub mod ev {
    /// An option runs past the end of the message.
    pub const TRUNCATED_OPTIONS: &str = "dhcp.truncated_options";
    /// An option's length does not fit its type (message type not 1 byte,
    /// an address not 4, ...).
    pub const MALFORMED_OPTIONS: &str = "dhcp.malformed_options";
    /// The datagram is shorter than the fixed BOOTP part.
    pub const MALFORMED_MESSAGE: &str = "dhcp.malformed_message";
}

/// A DHCP message as a transaction (what it carries, owned).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DhcpTx {
    id: u64,
    /// 1 request, 2 reply.
    pub op: u8,
    /// Transaction id (xid).
    pub xid: u32,
    /// Client hardware address.
    pub client_mac: Vec<u8>,
    /// ciaddr.
    pub client_ip: [u8; 4],
    /// yiaddr: the address assigned.
    pub assigned_ip: [u8; 4],
    /// siaddr.
    pub next_server_ip: [u8; 4],
    /// giaddr.
    pub relay_ip: [u8; 4],
    /// Option 53.
    pub message_type: Option<u8>,
    /// Option 12.
    pub hostname: Option<Vec<u8>>,
    /// Option 60.
    pub vendor_class: Option<Vec<u8>>,
    /// Option 55: the option codes asked for.
    pub params: Option<Vec<u8>>,
    /// Option 50.
    pub requested_ip: Option<[u8; 4]>,
    /// Option 54.
    pub server_id: Option<[u8; 4]>,
    /// Option 51.
    pub lease_time: Option<u32>,
    /// Option 58.
    pub renewal_time: Option<u32>,
    /// Option 59.
    pub rebinding_time: Option<u32>,
    /// Option 1.
    pub subnet_mask: Option<[u8; 4]>,
    /// Option 3.
    pub routers: Vec<[u8; 4]>,
    /// Option 6.
    pub dns_servers: Vec<[u8; 4]>,
    /// Option 61 without its type byte.
    pub client_id: Option<Vec<u8>>,
    events: Vec<&'static str>,
}

fn ids() -> &'static (BufferId, BufferId) {
    static IDS: OnceLock<(BufferId, BufferId)> = OnceLock::new();
    IDS.get_or_init(|| {
        (
            by_sticky_name("dhcp.hostname").unwrap_or(BufferId(u16::MAX)),
            by_sticky_name("dhcp.vendor_class").unwrap_or(BufferId(u16::MAX)),
        )
    })
}

impl Transaction for DhcpTx {
    fn app_proto(&self) -> &'static str {
        "dhcp"
    }
    fn buffer(&self, id: BufferId, f: &mut dyn FnMut(&[u8])) {
        let (host, vendor) = *ids();
        let b = if id == host {
            &self.hostname
        } else if id == vendor {
            &self.vendor_class
        } else {
            return;
        };
        if let Some(b) = b {
            f(b);
        }
    }
    fn events(&self) -> &[&'static str] {
        &self.events
    }
    fn id(&self) -> u64 {
        self.id
    }
}

fn mac(b: &[u8]) -> String {
    b.iter()
        .map(|x| format!("{x:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Suricata's names of the message types.
fn type_name(t: u8) -> &'static str {
    match t {
        1 => "discover",
        2 => "offer",
        3 => "request",
        4 => "decline",
        5 => "ack",
        6 => "nak",
        7 => "release",
        8 => "inform",
        _ => "unknown",
    }
}

/// Suricata's names of requested parameters; it leaves out the others.
fn param_name(p: u8) -> Option<&'static str> {
    Some(match p {
        1 => "subnet_mask",
        3 => "router",
        6 => "dns_server",
        15 => "domain",
        35 => "arp_timeout",
        42 => "ntp_server",
        66 => "tftp_server_name",
        150 => "tftp_server_ip",
        _ => return None,
    })
}

fn addrs(v: &[[u8; 4]]) -> Value {
    Value::Array(v.iter().map(|a| addr(a).into()).collect())
}

impl AppTx for DhcpTx {
    /// Suricata's extended `dhcp` record; palisade adds `server_id`
    /// (option 54).
    fn log(&self, out: &mut Map<String, Value>) {
        let kind = match self.op {
            1 => "request",
            2 => "reply",
            _ => "<unknown>",
        };
        out.insert("type".into(), kind.into());
        out.insert("id".into(), self.xid.into());
        out.insert("client_mac".into(), mac(&self.client_mac).into());
        out.insert("assigned_ip".into(), addr(&self.assigned_ip).into());
        out.insert("client_ip".into(), addr(&self.client_ip).into());
        if self.op == 2 {
            out.insert("relay_ip".into(), addr(&self.relay_ip).into());
            out.insert("next_server_ip".into(), addr(&self.next_server_ip).into());
        }
        if let Some(t) = self.message_type {
            out.insert("dhcp_type".into(), type_name(t).into());
        }
        if let Some(c) = &self.client_id {
            out.insert("client_id".into(), mac(c).into());
        }
        if let Some(h) = self.hostname.as_ref().filter(|h| !h.is_empty()) {
            out.insert("hostname".into(), text(h).into());
        }
        if let Some(v) = &self.vendor_class {
            out.insert("vendor_class_identifier".into(), text(v).into());
        }
        if let Some(p) = &self.params {
            let names: Vec<Value> = p
                .iter()
                .filter_map(|&p| param_name(p))
                .map(Value::from)
                .collect();
            out.insert("params".into(), Value::Array(names));
        }
        for (key, v) in [
            ("lease_time", self.lease_time),
            ("renewal_time", self.renewal_time),
            ("rebinding_time", self.rebinding_time),
        ] {
            if let Some(v) = v {
                out.insert(key.into(), v.into());
            }
        }
        for (key, v) in [
            ("requested_ip", self.requested_ip),
            ("subnet_mask", self.subnet_mask),
            ("server_id", self.server_id),
        ] {
            if let Some(v) = v {
                out.insert(key.into(), addr(&v).into());
            }
        }
        if !self.routers.is_empty() {
            out.insert("routers".into(), addrs(&self.routers));
        }
        if !self.dns_servers.is_empty() {
            out.insert("dns_servers".into(), addrs(&self.dns_servers));
        }
    }
}

/// Decodes one datagram into a transaction (None: not even a BOOTP
/// header). The first occurrence of an option counts.
pub fn decode(b: &[u8], id: u64) -> Option<DhcpTx> {
    let h = bootp(b)?;
    let mut tx = DhcpTx {
        id,
        op: h.op,
        xid: h.xid,
        client_mac: h.chaddr.to_vec(),
        client_ip: h.ciaddr,
        assigned_ip: h.yiaddr,
        next_server_ip: h.siaddr,
        relay_ip: h.giaddr,
        ..DhcpTx::default()
    };
    let mut malformed = false;
    let complete = options(h.options, |code, data| {
        let ip4 = || <[u8; 4]>::try_from(data).ok();
        let u32v = || ip4().map(u32::from_be_bytes);
        let list = || {
            data.chunks_exact(4)
                .filter_map(|c| c.try_into().ok())
                .collect::<Vec<[u8; 4]>>()
        };
        let ok = match code {
            opt::MESSAGE_TYPE => {
                set(&mut tx.message_type, data.first().copied()) && data.len() == 1
            }
            opt::HOSTNAME => set(&mut tx.hostname, Some(data.to_vec())),
            opt::VENDOR_CLASS => set(&mut tx.vendor_class, Some(data.to_vec())),
            opt::PARAMS => set(&mut tx.params, Some(data.to_vec())),
            opt::REQUESTED_IP => set(&mut tx.requested_ip, ip4()),
            opt::SERVER_ID => set(&mut tx.server_id, ip4()),
            opt::SUBNET_MASK => set(&mut tx.subnet_mask, ip4()),
            opt::LEASE_TIME => set(&mut tx.lease_time, u32v()),
            opt::RENEWAL_TIME => set(&mut tx.renewal_time, u32v()),
            opt::REBINDING_TIME => set(&mut tx.rebinding_time, u32v()),
            opt::ROUTERS | opt::DNS_SERVERS => {
                let v = if code == opt::ROUTERS {
                    &mut tx.routers
                } else {
                    &mut tx.dns_servers
                };
                if v.is_empty() {
                    *v = list();
                }
                !data.is_empty() && data.len() % 4 == 0
            }
            opt::CLIENT_ID => set(&mut tx.client_id, data.get(1..).map(<[u8]>::to_vec)),
            _ => true,
        };
        malformed |= !ok;
    });
    if !complete {
        tx.events.push(ev::TRUNCATED_OPTIONS);
    }
    if malformed {
        tx.events.push(ev::MALFORMED_OPTIONS);
    }
    Some(tx)
}

/// Keeps the first value of an option; false when the value did not
/// decode (wrong length).
fn set<T>(slot: &mut Option<T>, v: Option<T>) -> bool {
    let ok = v.is_some();
    if slot.is_none() {
        *slot = v;
    }
    ok
}

/// Parser state of one flow: only the transaction counter, as every
/// message stands alone.
#[derive(Default)]
pub struct DhcpParser(Datagrams);

impl Parser for DhcpParser {
    fn parse(&mut self, input: Input<'_>, sink: &mut dyn Sink) -> Result<(), ParseError> {
        self.0.one(&input, sink, ev::MALFORMED_MESSAGE, decode);
        Ok(())
    }

    fn gap(&mut self, _dir: crate::parser::Dir, _len: u64, _sink: &mut dyn Sink) {}

    fn finish(&mut self, _sink: &mut dyn Sink) {}
}
