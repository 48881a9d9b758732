//! The passive inventory: which devices the fleet has, learnt from its
//! traffic.
//!
//! A device is a MAC address seen as the source or destination of packets
//! whose IP address is inside the fleet's networks (`home_net`); where no
//! layer 2 is visible (raw-IP captures, a routed segment), a device is an
//! IP address. A MAC seen with more than `router_ips` addresses of the
//! fleet is a router (it forwards for others): it stays one device, and
//! the addresses behind it become devices of their own, keyed by IP. Per
//! device: its addresses over time, first and last seen, packets and
//! bytes, the services it answers on (TCP ports it sends SYN-ACKs from,
//! UDP ports of well-known services it answers from), how many peers it
//! talks to, its MAC vendor (IEEE OUI), host names and fingerprints from
//! its application records (see [`crate::fingerprint`]).
//!
//! Bounded: at most `max_devices` devices (beyond, new devices are not
//! added and counted in `devices_dropped`), and per device at most
//! `max_addresses`, `max_services`, `max_fingerprints`, `max_hostnames`
//! entries and `max_peers` distinct peers counted exactly (then "at
//! least"), and `max_traffic_hours` hourly traffic buckets (packets and
//! bytes per hour, for the report's charts; beyond, the oldest hour goes).

use crate::net::{any_contains, Net};
use crate::oui::OuiTable;
use palisade_event::Timestamp;
// hashbrown's default hasher (foldhash, seeded per process): the
// inventory hashes several keys per packet, and SipHash costs more than
// the rest of the bookkeeping; per-process seeds keep flooding attacks on
// the tables expensive.
use hashbrown::{HashMap, HashSet};
use std::net::IpAddr;

/// `[inventory]`.
#[derive(serde::Deserialize, serde::Serialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct InventoryConfig {
    /// Build the inventory.
    pub enabled: bool,
    /// The fleet's networks (CIDRs): devices are addresses inside them.
    /// Default: RFC 1918 and fc00::/7.
    pub home_net: Vec<String>,
    /// Devices kept at most; beyond, new devices are counted, not kept.
    pub max_devices: usize,
    /// Addresses kept per device.
    pub max_addresses: usize,
    /// Services kept per device.
    pub max_services: usize,
    /// Fingerprints kept per device.
    pub max_fingerprints: usize,
    /// Host names kept per device.
    pub max_hostnames: usize,
    /// Distinct peers counted exactly per device (beyond: "at least").
    pub max_peers: usize,
    /// A MAC with more fleet addresses than this is a router.
    pub router_ips: usize,
    /// A file of classifier rules (TOML, the format of
    /// `data/classifier/rules.toml`) added to the built-in ones; empty:
    /// none.
    pub classifier_rules: String,
    /// A file of advisories (JSON, the format of
    /// `data/advisories/advisories.json`) added to the built-in ones;
    /// empty: none.
    pub advisories: String,
    /// Hours of traffic (packets, bytes per hour) kept per device; beyond,
    /// the oldest hour is dropped and counted (`traffic_hours_dropped`).
    /// Default 45 days; 0 keeps none.
    pub max_traffic_hours: usize,
}

impl Default for InventoryConfig {
    fn default() -> Self {
        InventoryConfig {
            enabled: true,
            home_net: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            max_devices: 65_536,
            max_addresses: 16,
            max_services: 64,
            max_fingerprints: 64,
            max_hostnames: 8,
            max_peers: 256,
            router_ips: 8,
            classifier_rules: String::new(),
            advisories: String::new(),
            max_traffic_hours: 24 * 45,
        }
    }
}

impl InventoryConfig {
    /// `home_net` entries that are not networks.
    pub fn invalid_home_net(&self) -> Vec<&str> {
        self.home_net
            .iter()
            .filter(|s| Net::parse(s).is_none())
            .map(String::as_str)
            .collect()
    }
}

/// How a device is identified.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DeviceKey {
    /// By MAC address.
    Mac([u8; 6]),
    /// By IP address (no layer 2, or behind a router).
    Ip(IpAddr),
}

impl std::fmt::Display for DeviceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DeviceKey::Mac(m) => write!(f, "mac:{}", mac_string(*m)),
            DeviceKey::Ip(ip) => write!(f, "ip:{ip}"),
        }
    }
}

/// `aa:bb:cc:dd:ee:ff`.
pub fn mac_string(m: [u8; 6]) -> String {
    format!(
        "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
        m[0], m[1], m[2], m[3], m[4], m[5]
    )
}

/// One packet as the inventory needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PacketFacts {
    /// Time.
    pub ts: Timestamp,
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// Outermost Ethernet source and destination, when any.
    pub macs: Option<([u8; 6], [u8; 6])>,
    /// IP protocol.
    pub proto: u8,
    /// Source port.
    pub sport: u16,
    /// Destination port.
    pub dport: u16,
    /// TCP flags.
    pub tcp_flags: u8,
    /// Bytes.
    pub len: u32,
}

/// A service a device answers on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Service {
    /// 6 (TCP) or 17 (UDP).
    pub proto: u8,
    /// Port.
    pub port: u16,
    /// Application protocol, once an app record named it.
    pub app_proto: Option<String>,
    /// Banner or server string, when one was seen.
    pub banner: Option<String>,
    /// First seen.
    pub first_seen: Timestamp,
    /// Last seen.
    pub last_seen: Timestamp,
}

/// One fingerprint (kind, value) of a device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fingerprint {
    /// `http.user_agent`, `tls.ja3`, `mqtt.client_id`, ...
    pub kind: &'static str,
    /// The value.
    pub value: String,
    /// First seen.
    pub first_seen: Timestamp,
    /// Last seen.
    pub last_seen: Timestamp,
    /// Times seen.
    pub seen: u64,
}

/// One device.
#[derive(Clone, Debug, PartialEq)]
pub struct Device {
    /// Identity.
    pub key: DeviceKey,
    /// MAC vendor (IEEE OUI), when keyed by MAC and registered.
    pub vendor: Option<&'static str>,
    /// Addresses: (address, first seen, last seen).
    pub addresses: Vec<(IpAddr, Timestamp, Timestamp)>,
    /// Host names (DHCP, DNS, SSDP, ...).
    pub hostnames: Vec<String>,
    /// Fingerprints.
    pub fingerprints: Vec<Fingerprint>,
    /// Services it answers on.
    pub services: Vec<Service>,
    /// First packet.
    pub first_seen: Timestamp,
    /// Last packet.
    pub last_seen: Timestamp,
    /// Packets sent or received.
    pub pkts: u64,
    /// Bytes sent or received.
    pub bytes: u64,
    /// Distinct peers (exact up to `max_peers`).
    pub peers: usize,
    /// More peers than `max_peers` were seen: `peers` is a lower bound.
    pub peers_capped: bool,
    /// A router (forwards for other addresses of the fleet).
    pub router: bool,
    /// Traffic per hour: (hours since the epoch, packets, bytes), oldest
    /// first, at most `max_traffic_hours` (see [`Device::hour_start`]).
    pub traffic: Vec<(u64, u64, u64)>,
    /// Peers counted so far (up to `max_peers`); a hash set, since a busy
    /// device looks it up on every packet.
    peer_set: HashSet<IpAddr>,
}

const NANOS_PER_HOUR: u64 = 3_600_000_000_000;

impl Device {
    /// The start of hour `h` of [`Device::traffic`].
    pub fn hour_start(h: u64) -> Timestamp {
        Timestamp::from_secs_nanos(h.saturating_mul(3600), 0)
    }

    /// Counts a packet into its hour's bucket; false when a bucket was
    /// dropped (the oldest, `max` reached). The packet's hour is the last
    /// bucket almost always (packets come in time order), so that is
    /// checked first: one division and one comparison per packet.
    fn add_traffic(&mut self, ts: Timestamp, len: u32, max: usize) -> bool {
        if max == 0 {
            return true; // per-hour traffic off
        }
        let hour = ts.as_nanos() / NANOS_PER_HOUR;
        let len = u64::from(len);
        if let Some(last) = self.traffic.last_mut().filter(|b| b.0 == hour) {
            last.1 += 1;
            last.2 += len;
            return true;
        }
        // A new hour, or a late packet (merged inputs): keep the order.
        let at = self.traffic.iter().rposition(|b| b.0 <= hour);
        match at {
            Some(i) if self.traffic.get(i).is_some_and(|b| b.0 == hour) => {
                if let Some(b) = self.traffic.get_mut(i) {
                    b.1 += 1;
                    b.2 += len;
                }
                return true;
            }
            Some(i) => self.traffic.insert(i + 1, (hour, 1, len)),
            // Older than every hour kept, and no room: not bucketed (it
            // would be the one dropped).
            None if self.traffic.len() >= max => return true,
            None => self.traffic.insert(0, (hour, 1, len)),
        }
        if self.traffic.len() > max {
            // Once per new hour at most: the shift is cheap enough.
            self.traffic.remove(0);
            return false;
        }
        true
    }
}

/// UDP ports whose answers mark a service (a device answering from them
/// serves that protocol).
const UDP_SERVICES: [u16; 13] = [
    53, 67, 69, 123, 161, 500, 1900, 3702, 5353, 5683, 37810, 47808, 10001,
];

/// The inventory.
pub struct Inventory {
    cfg: InventoryConfig,
    home: Vec<Net>,
    oui: &'static OuiTable,
    devices: HashMap<DeviceKey, Device>,
    /// Address → the device it was last seen on.
    by_ip: HashMap<IpAddr, DeviceKey>,
    /// MAC → fleet addresses seen with it (up to `router_ips + 1`).
    mac_ips: HashMap<[u8; 6], Vec<IpAddr>>,
    /// New devices not kept (table full).
    pub devices_dropped: u64,
    /// What a device is, from its fingerprints.
    classifier: std::sync::Arc<crate::classify::Classifier>,
    /// Known vulnerabilities of what it is.
    advisories: std::sync::Arc<crate::advisory::AdvisoryDb>,
    /// Hours of device traffic dropped (`max_traffic_hours` reached).
    pub traffic_hours_dropped: u64,
}

fn unicast(mac: [u8; 6]) -> bool {
    mac[0] & 0x01 == 0 && mac != [0; 6]
}

impl Inventory {
    /// An empty inventory with the built-in classifier rules and
    /// advisories.
    pub fn new(cfg: InventoryConfig) -> Inventory {
        Inventory::with_knowledge(
            cfg,
            std::sync::Arc::new(crate::classify::Classifier::builtin()),
            std::sync::Arc::new(crate::advisory::AdvisoryDb::builtin()),
        )
    }

    /// An empty inventory classifying with `classifier` and matching
    /// `advisories`.
    pub fn with_knowledge(
        cfg: InventoryConfig,
        classifier: std::sync::Arc<crate::classify::Classifier>,
        advisories: std::sync::Arc<crate::advisory::AdvisoryDb>,
    ) -> Inventory {
        let home = cfg.home_net.iter().filter_map(|s| Net::parse(s)).collect();
        Inventory {
            classifier,
            advisories,
            cfg,
            home,
            oui: OuiTable::builtin(),
            devices: HashMap::new(),
            by_ip: HashMap::new(),
            mac_ips: HashMap::new(),
            devices_dropped: 0,
            traffic_hours_dropped: 0,
        }
    }

    /// Devices known.
    pub fn len(&self) -> usize {
        self.devices.len()
    }

    /// True if none.
    pub fn is_empty(&self) -> bool {
        self.devices.is_empty()
    }

    /// The device an address was last seen on.
    pub fn device_of(&self, ip: &IpAddr) -> Option<&Device> {
        self.by_ip.get(ip).and_then(|k| self.devices.get(k))
    }

    /// The classifier.
    pub fn classifier(&self) -> &crate::classify::Classifier {
        &self.classifier
    }

    /// The advisory database.
    pub fn advisories(&self) -> &crate::advisory::AdvisoryDb {
        &self.advisories
    }

    /// Whether `ip` is a fleet address (inside `home_net`).
    pub fn is_home(&self, ip: &IpAddr) -> bool {
        any_contains(&self.home, ip)
    }

    /// What the classifier makes of a device: its fingerprints, MAC
    /// vendor, host names and services as facts.
    pub fn classify(&self, d: &Device) -> crate::classify::Classification {
        let services: Vec<String> = d
            .services
            .iter()
            .map(|s| {
                format!(
                    "{}/{}/{}",
                    if s.proto == 6 { "tcp" } else { "udp" },
                    s.port,
                    s.app_proto.as_deref().unwrap_or("")
                )
            })
            .collect();
        let facts = d
            .fingerprints
            .iter()
            .map(|f| (f.kind, f.value.as_str()))
            .chain(d.vendor.map(|v| ("oui.vendor", v)))
            .chain(d.hostnames.iter().map(|h| ("hostname", h.as_str())))
            .chain(services.iter().map(|s| ("service", s.as_str())));
        self.classifier.classify(facts)
    }

    /// Every device, in key order.
    pub fn devices(&self) -> Vec<&Device> {
        let mut v: Vec<&Device> = self.devices.values().collect();
        v.sort_by_key(|d| d.key);
        v
    }

    /// The key for `ip` seen with `mac` (None: not a fleet address).
    fn key_for(&mut self, ip: IpAddr, mac: Option<[u8; 6]>) -> Option<DeviceKey> {
        if !any_contains(&self.home, &ip) {
            return None;
        }
        let Some(mac) = mac.filter(|m| unicast(*m)) else {
            // No layer 2 here (a tunnel's inner packet, a broadcast): the
            // device this address was last seen on, else the address.
            return Some(self.by_ip.get(&ip).copied().unwrap_or(DeviceKey::Ip(ip)));
        };
        let limit = self.cfg.router_ips;
        let ips = self.mac_ips.entry(mac).or_default();
        if !ips.contains(&ip) && ips.len() <= limit {
            ips.push(ip);
        }
        if ips.len() > limit {
            if let Some(d) = self.devices.get_mut(&DeviceKey::Mac(mac)) {
                d.router = true;
            }
            // Behind a router: the router's own first address stays with it.
            if ips.first() != Some(&ip) {
                return Some(DeviceKey::Ip(ip));
            }
        }
        Some(DeviceKey::Mac(mac))
    }

    fn device(&mut self, key: DeviceKey, ts: Timestamp) -> Option<&mut Device> {
        if !self.devices.contains_key(&key) {
            if self.devices.len() >= self.cfg.max_devices {
                self.devices_dropped += 1;
                return None;
            }
            let vendor = match key {
                DeviceKey::Mac(m) => self.oui.vendor(m),
                DeviceKey::Ip(_) => None,
            };
            self.devices.insert(
                key,
                Device {
                    key,
                    vendor,
                    addresses: Vec::new(),
                    hostnames: Vec::new(),
                    fingerprints: Vec::new(),
                    services: Vec::new(),
                    first_seen: ts,
                    last_seen: ts,
                    pkts: 0,
                    bytes: 0,
                    peers: 0,
                    peers_capped: false,
                    router: false,
                    traffic: Vec::new(),
                    peer_set: HashSet::new(),
                },
            );
        }
        self.devices.get_mut(&key)
    }

    /// Looks at one packet.
    pub fn packet(&mut self, p: &PacketFacts) {
        let (smac, dmac) = match p.macs {
            Some((s, d)) => (Some(s), Some(d)),
            None => (None, None),
        };
        let mut hours_dropped = 0;
        for (ip, mac, peer, sender) in [(p.src, smac, p.dst, true), (p.dst, dmac, p.src, false)] {
            let Some(key) = self.key_for(ip, mac) else {
                continue;
            };
            let cfg_addr = self.cfg.max_addresses;
            let cfg_peers = self.cfg.max_peers;
            let cfg_services = self.cfg.max_services;
            let cfg_hours = self.cfg.max_traffic_hours;
            let Some(d) = self.device(key, p.ts) else {
                continue;
            };
            d.first_seen = d.first_seen.min(p.ts);
            d.last_seen = d.last_seen.max(p.ts);
            d.pkts += 1;
            d.bytes += u64::from(p.len);
            if !d.add_traffic(p.ts, p.len, cfg_hours) {
                hours_dropped += 1;
            }
            match d.addresses.iter().position(|a| a.0 == ip) {
                Some(i) => {
                    if let Some(a) = d.addresses.get_mut(i) {
                        a.1 = a.1.min(p.ts);
                        a.2 = a.2.max(p.ts);
                    }
                }
                None if d.addresses.len() < cfg_addr => d.addresses.push((ip, p.ts, p.ts)),
                None => {}
            }
            if d.peer_set.len() < cfg_peers {
                if d.peer_set.insert(peer) {
                    d.peers += 1;
                }
            } else if !d.peer_set.contains(&peer) {
                // Beyond the cap peers are not remembered: "at least".
                d.peers_capped = true;
            }
            if sender {
                let serves = match p.proto {
                    6 => p.tcp_flags & 0x12 == 0x12,
                    17 => UDP_SERVICES.contains(&p.sport) && p.dport != p.sport,
                    _ => false,
                };
                if serves {
                    match d
                        .services
                        .iter()
                        .position(|s| s.proto == p.proto && s.port == p.sport)
                    {
                        Some(i) => {
                            if let Some(s) = d.services.get_mut(i) {
                                s.last_seen = s.last_seen.max(p.ts);
                            }
                        }
                        None if d.services.len() < cfg_services => d.services.push(Service {
                            proto: p.proto,
                            port: p.sport,
                            app_proto: None,
                            banner: None,
                            first_seen: p.ts,
                            last_seen: p.ts,
                        }),
                        None => {}
                    }
                }
            }
            if self.by_ip.get(&ip) != Some(&key) {
                self.by_ip.insert(ip, key);
            }
        }
        self.traffic_hours_dropped += hours_dropped;
    }

    /// Adds a fingerprint to the device at `ip` (if it is a known device).
    pub fn fingerprint(&mut self, ip: &IpAddr, kind: &'static str, value: &str, ts: Timestamp) {
        let max = self.cfg.max_fingerprints;
        let Some(key) = self.by_ip.get(ip).copied() else {
            return;
        };
        let Some(d) = self.devices.get_mut(&key) else {
            return;
        };
        let value = bounded(value);
        match d
            .fingerprints
            .iter()
            .position(|f| f.kind == kind && f.value == value)
        {
            Some(i) => {
                if let Some(f) = d.fingerprints.get_mut(i) {
                    f.seen += 1;
                    f.last_seen = f.last_seen.max(ts);
                }
            }
            None if d.fingerprints.len() < max => d.fingerprints.push(Fingerprint {
                kind,
                value,
                first_seen: ts,
                last_seen: ts,
                seen: 1,
            }),
            None => {}
        }
    }

    /// Adds a host name to the device at `ip`.
    pub fn hostname(&mut self, ip: &IpAddr, name: &str) {
        let max = self.cfg.max_hostnames;
        let Some(d) = self.by_ip.get(ip).and_then(|k| self.devices.get_mut(k)) else {
            return;
        };
        let name = bounded(name.trim_end_matches('.'));
        if !name.is_empty() && !d.hostnames.contains(&name) && d.hostnames.len() < max {
            d.hostnames.push(name);
        }
    }

    /// Names the application protocol (and banner) of a device's service.
    pub fn service_app(
        &mut self,
        ip: &IpAddr,
        proto: u8,
        port: u16,
        app: &str,
        banner: Option<&str>,
    ) {
        let Some(d) = self.by_ip.get(ip).and_then(|k| self.devices.get_mut(k)) else {
            return;
        };
        if let Some(s) = d
            .services
            .iter_mut()
            .find(|s| s.proto == proto && s.port == port)
        {
            if s.app_proto.is_none() {
                s.app_proto = Some(app.to_string());
            }
            if let Some(b) = banner {
                s.banner = Some(bounded(b));
            }
        }
    }
}

/// Values kept at most this long (bytes, cut on a character boundary).
pub const MAX_VALUE: usize = 256;

fn bounded(s: &str) -> String {
    crate::text::prefix(s, MAX_VALUE).to_string()
}
