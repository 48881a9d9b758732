//! The simulated network: hosts, the fleet's devices, the services they use.
//!
//! Layout: one LAN, 10.10.0.0/16, behind a gateway at 10.10.0.1 that routes,
//! resolves DNS and serves NTP. Devices get 10.10.0.2 onwards (250 per /24).
//! Everything on the "internet" lives in the documentation ranges: the fleet's
//! MQTT broker in 198.51.100.0/24, vendor clouds in 203.0.113.0/24, firmware
//! update servers in 192.0.2.0/24. Seen from the LAN, internet hosts have the
//! gateway's MAC and a TTL already decremented by the hops on the way.

use crate::catalog::{self, Kind, Product, Stack};
use crate::labels::{ip_string, mac_string, DeviceLabel, ServerLabel};
use crate::packet::Ip;
use crate::prng::{RandomPool, Rng};
use crate::proto::x509;
use std::collections::BTreeSet;

/// Index into [`World::hosts`].
pub(crate) type HostId = u32;
/// Index into [`World::devices`].
pub(crate) type DevId = u32;
/// Index into [`World::services`].
pub(crate) type SvcId = u32;

/// The gateway is always host 0.
pub(crate) const GATEWAY: HostId = 0;
/// Most devices a fleet may have.
pub(crate) const MAX_DEVICES: usize = 10_000;
/// Cameras one NVR records.
pub(crate) const CAMERAS_PER_NVR: usize = 16;

/// Hands out ephemeral ports without repeating one until the whole range has
/// been used: a full-cycle walk `start + n * stride (mod size)`.
#[derive(Clone, Debug)]
pub(crate) struct PortAlloc {
    lo: u32,
    size: u32,
    start: u32,
    stride: u32,
    used: u32,
}

impl PortAlloc {
    /// Linux: 32768..=60999 in a pseudo-random order (stride coprime with the
    /// range size 28232 = 2^3 * 3529).
    fn linux(rng: &mut Rng) -> Self {
        let size = 60999 - 32768 + 1;
        let mut stride = rng.range(1, size as u64 - 1) as u32 | 1;
        if stride.is_multiple_of(3529) {
            stride += 2;
        }
        PortAlloc {
            lo: 32768,
            size,
            start: rng.below(size as u64) as u32,
            stride,
            used: 0,
        }
    }

    /// lwIP: sequential from a random point in 49152..=65535.
    fn lwip(rng: &mut Rng) -> Self {
        PortAlloc {
            lo: 49152,
            size: 16384,
            start: rng.below(16384) as u32,
            stride: 1,
            used: 0,
        }
    }

    /// The next port, or `None` once every port of the range has been used
    /// (reusing one could repeat a 5-tuple, so the device stays quiet).
    pub(crate) fn next(&mut self) -> Option<u16> {
        if self.used >= self.size {
            return None;
        }
        let off = (self.start as u64 + self.used as u64 * self.stride as u64) % self.size as u64;
        self.used += 1;
        Some((self.lo + off as u32) as u16)
    }
}

/// One addressable machine.
#[derive(Clone, Debug)]
pub(crate) struct Host {
    pub mac: [u8; 6],
    pub ip: [u8; 4],
    pub ttl: u8,
    /// Next IPv4 identification.
    pub ip_id: u16,
    pub stack: Stack,
    /// On the internet (seen through the gateway).
    pub external: bool,
    pub ports: PortAlloc,
    /// Next ICMP echo identifier, and how many were handed out.
    pub icmp_id: u16,
    pub icmp_used: u32,
    /// TCP MSS this host advertises.
    pub mss: u16,
    /// Round-trip time from the LAN, nanoseconds (internet hosts).
    pub rtt: u64,
}

/// What a service is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    Broker,
    Cloud,
    Update,
}

impl Role {
    fn as_str(self) -> &'static str {
        match self {
            Role::Broker => "mqtt-broker",
            Role::Cloud => "vendor-cloud",
            Role::Update => "firmware-update",
        }
    }
}

/// A named internet service.
#[derive(Debug)]
pub(crate) struct Service {
    pub name: &'static str,
    pub host: HostId,
    pub role: Role,
    pub port: u16,
    /// CNAME the resolver answers with before the address.
    pub cname: Option<String>,
    /// IPv6 address for AAAA answers (NODATA when absent).
    pub aaaa: Option<[u8; 16]>,
    pub dns_ttl: u32,
    /// The server negotiates TLS 1.3 with clients that offer it.
    pub tls13: bool,
    /// DER certificate sent in TLS 1.2 handshakes.
    pub cert: Vec<u8>,
}

/// One device of the fleet.
#[derive(Debug)]
pub(crate) struct Device {
    pub host: HostId,
    pub product: &'static Product,
    pub firmware: &'static str,
    pub id: String,
    pub cloud: Option<SvcId>,
    pub update: SvcId,
    /// DNS answers the device holds: service and expiry (ns).
    pub dns_cache: Vec<(SvcId, u64)>,
    pub mqtt_client_id: String,
    pub mqtt_user: Option<(String, String)>,
    /// Cameras this NVR records.
    pub cameras: Vec<DevId>,
    /// Boot time (ns).
    pub boot: u64,
}

impl Device {
    pub(crate) fn cached(&self, svc: SvcId, now: u64) -> bool {
        self.dns_cache.iter().any(|&(s, exp)| s == svc && exp > now)
    }

    pub(crate) fn cache(&mut self, svc: SvcId, expiry: u64) {
        match self.dns_cache.iter_mut().find(|(s, _)| *s == svc) {
            Some(e) => e.1 = expiry,
            None => self.dns_cache.push((svc, expiry)),
        }
    }
}

/// Everything the actors share.
pub(crate) struct World {
    pub hosts: Vec<Host>,
    pub devices: Vec<Device>,
    pub services: Vec<Service>,
    pub broker: SvcId,
    pub gateway_firmware: &'static str,
    pub pool: RandomPool,
    /// Capture start (ns since the epoch).
    pub start: u64,
    /// First and last packet time of each planned attack, as written.
    pub attack_seen: Vec<Option<(u64, u64)>>,
    /// (attack, alias): the alias's window is the attack's (two labels of
    /// one conversation, e.g. a default-password login and the malware
    /// commands typed in it).
    pub attack_alias: Vec<(u32, u32)>,
    /// Posture facts scenarios added (cleartext logins into devices they
    /// schedule); the fleet's own are derived in [`World::posture_labels`].
    pub posture: Vec<crate::labels::PostureLabel>,
}

/// How many devices of each kind a fleet of `n` has.
fn compose(n: usize) -> Vec<Kind> {
    let (cams, nvrs) = if n >= 4 {
        let c = (n * 3 / 10).max(1);
        (c, c.div_ceil(CAMERAS_PER_NVR))
    } else {
        (0, 0)
    };
    let rest = n - cams - nvrs;
    let sensors = (rest * 45).div_ceil(100);
    let plugs = rest * 30 / 100;
    let others = rest - sensors - plugs;
    let mut kinds = Vec::with_capacity(n);
    kinds.extend(std::iter::repeat_n(Kind::Nvr, nvrs));
    kinds.extend(std::iter::repeat_n(Kind::Camera, cams));
    kinds.extend(std::iter::repeat_n(Kind::Sensor, sensors));
    kinds.extend(std::iter::repeat_n(Kind::Plug, plugs));
    kinds.extend(std::iter::repeat_n(Kind::Hub, others)); // placeholder for "other"
    kinds
}

fn linux_mss() -> u16 {
    1460
}

impl World {
    /// Builds the fleet of `n` devices (the gateway comes on top).
    pub(crate) fn fleet(n: usize, start: u64, rng: &mut Rng) -> World {
        let pool = RandomPool::new(rng);
        let mut macs = BTreeSet::new();
        let mut new_mac = |rng: &mut Rng, ouis: &[[u8; 3]]| loop {
            let oui = rng.pick(ouis);
            let mut mac = [oui[0], oui[1], oui[2], 0, 0, 0];
            rng.fill(&mut mac[3..]);
            if macs.insert(mac) {
                return mac;
            }
        };
        let gw_mac = new_mac(rng, catalog::GATEWAY.ouis);
        let mut world = World {
            hosts: vec![Host {
                mac: gw_mac,
                ip: [10, 10, 0, 1],
                ttl: 64,
                ip_id: rng.next_u16(),
                stack: Stack::Linux,
                external: false,
                ports: PortAlloc::linux(rng),
                icmp_id: rng.next_u16(),
                icmp_used: 0,
                mss: linux_mss(),
                rtt: 0,
            }],
            devices: Vec::with_capacity(n),
            services: Vec::new(),
            broker: 0,
            gateway_firmware: rng.pick::<&str>(catalog::GATEWAY.firmwares),
            pool,
            start,
            attack_seen: Vec::new(),
            attack_alias: Vec::new(),
            posture: Vec::new(),
        };
        world.broker = world.service(rng, "broker.fleet-iot.example", Role::Broker, 1883);

        let mut per_kind: [u32; 8] = [0; 8];
        let mut others = 0usize;
        for (i, kind) in compose(n).into_iter().enumerate() {
            let product: &'static Product = match kind {
                Kind::Camera => rng.pick(catalog::CAMERAS),
                Kind::Nvr => rng.pick(catalog::NVRS),
                Kind::Sensor => rng.pick(catalog::SENSORS),
                Kind::Plug => rng.pick(catalog::PLUGS),
                _ => {
                    others += 1;
                    &catalog::OTHERS[(others - 1) % catalog::OTHERS.len()]
                }
            };
            let mac = new_mac(rng, product.ouis);
            let ip = [10, 10, (i / 250) as u8, (2 + i % 250) as u8];
            let ports = match product.stack {
                Stack::Linux => PortAlloc::linux(rng),
                Stack::Lwip => PortAlloc::lwip(rng),
            };
            let host = world.hosts.len() as HostId;
            world.hosts.push(Host {
                mac,
                ip,
                ttl: 64,
                ip_id: rng.next_u16(),
                stack: product.stack,
                external: false,
                ports,
                icmp_id: rng.next_u16(),
                icmp_used: 0,
                mss: match product.stack {
                    Stack::Linux => linux_mss(),
                    Stack::Lwip => 1436,
                },
                rtt: 0,
            });
            let k = &mut per_kind[product.kind as usize];
            *k += 1;
            let id = format!("{}-{:02}", product.kind.as_str(), k);
            let cloud = product
                .cloud
                .map(|c| world.service(rng, c, Role::Cloud, 443));
            let update = world.service(rng, product.update_host, Role::Update, 80);
            let mqtt_client_id = mqtt_client_id(product, mac);
            let mqtt_user = if rng.chance(700) {
                let mut pw = Vec::new();
                for _ in 0..20 {
                    const ALNUM: &[u8] =
                        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
                    pw.push(*rng.pick(ALNUM));
                }
                Some((format!("fleet-{id}"), String::from_utf8(pw).expect("ascii")))
            } else {
                None
            };
            world.devices.push(Device {
                host,
                product,
                firmware: rng.pick::<&str>(product.firmwares),
                id,
                cloud,
                update,
                dns_cache: Vec::new(),
                mqtt_client_id,
                mqtt_user,
                cameras: Vec::new(),
                boot: start + rng.range(0, 90_000_000_000),
            });
        }
        // NVR k records cameras 16k..16k+15.
        let nvrs: Vec<DevId> = world.of_kind(Kind::Nvr).collect();
        let cams: Vec<DevId> = world.of_kind(Kind::Camera).collect();
        for (i, cam) in cams.into_iter().enumerate() {
            let nvr = nvrs[i / CAMERAS_PER_NVR];
            world.devices[nvr as usize].cameras.push(cam);
        }
        world
    }

    /// Devices of one kind, in index order.
    pub(crate) fn of_kind(&self, kind: Kind) -> impl Iterator<Item = DevId> + '_ {
        self.devices
            .iter()
            .enumerate()
            .filter(move |(_, d)| d.product.kind == kind)
            .map(|(i, _)| i as DevId)
    }

    /// The service named `name`, created (with its own internet host) on
    /// first use.
    fn service(&mut self, rng: &mut Rng, name: &'static str, role: Role, port: u16) -> SvcId {
        if let Some(i) = self.services.iter().position(|s| s.name == name) {
            return i as SvcId;
        }
        let nth = self.services.iter().filter(|s| s.role == role).count() as u8;
        let ip = match role {
            Role::Broker => [198, 51, 100, 10 + nth],
            Role::Cloud => [203, 0, 113, 10 + nth],
            Role::Update => [192, 0, 2, 20 + nth],
        };
        // A Linux or (one in five) Windows server some hops away.
        let ttl = if rng.chance(200) {
            128 - rng.range(8, 16) as u8
        } else {
            64 - rng.range(6, 16) as u8
        };
        let host = self.hosts.len() as HostId;
        self.hosts.push(Host {
            mac: self.hosts[GATEWAY as usize].mac,
            ip,
            ttl,
            ip_id: rng.next_u16(),
            stack: Stack::Linux,
            external: true,
            ports: PortAlloc::linux(rng),
            icmp_id: 0,
            icmp_used: 0,
            mss: *rng.pick(&[1460, 1460, 1400, 1380]),
            rtt: rng.range(15, 140) * 1_000_000,
        });
        let cname = if rng.chance(500) {
            // "a1.tuyaeu.com" -> "a1.edge-eu.tuyaeu.com": shares a suffix with
            // the query, so the answer can compress it.
            let (first, rest) = name.split_once('.').unwrap_or((name, ""));
            Some(format!(
                "{first}.edge-{}.{rest}",
                rng.pick(&["eu", "us", "ap"])
            ))
        } else {
            None
        };
        let aaaa = if rng.chance(400) {
            let mut a = [0u8; 16];
            a[..4].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
            a[4] = 0x0a;
            a[5] = nth;
            a[15] = 1 + rng.below(250) as u8;
            Some(a)
        } else {
            None
        };
        let not_before = (self.start / 1_000_000_000).saturating_sub(rng.range(5, 60) * 86_400);
        let cert = x509::certificate(rng, name, not_before, not_before + 90 * 86_400);
        self.services.push(Service {
            name,
            host,
            role,
            port,
            cname,
            aaaa,
            dns_ttl: *rng.pick(&[60, 300, 300, 600, 3600]),
            tls13: rng.chance(700),
            cert,
        });
        (self.services.len() - 1) as SvcId
    }

    /// Notes that a packet of attack `a` was written at `t`.
    pub(crate) fn saw_attack(&mut self, a: u32, t: u64) {
        let mut note = |i: u32| {
            if let Some(w) = self.attack_seen.get_mut(i as usize) {
                *w = Some(w.map_or((t, t), |(first, _)| (first, t)));
            }
        };
        note(a);
        for &(of, alias) in &self.attack_alias {
            if of == a {
                note(alias);
            }
        }
    }

    /// Makes device `dev` a `product` running `firmware`, for scenarios
    /// that need one model: the MAC takes the product's first OUI unless it
    /// has one of the maker's already (its last three bytes stay), the cloud and update services and the MQTT
    /// client id become the product's. Call before the capture starts.
    pub(crate) fn set_product(
        &mut self,
        rng: &mut Rng,
        dev: DevId,
        product: &'static Product,
        firmware: &'static str,
    ) {
        let cloud = product
            .cloud
            .map(|c| self.service(rng, c, Role::Cloud, 443));
        let update = self.service(rng, product.update_host, Role::Update, 80);
        let Some(d) = self.devices.get_mut(dev as usize) else {
            return;
        };
        let host = d.host as usize;
        let Some(h) = self.hosts.get_mut(host) else {
            return;
        };
        // A device of the product's maker keeps its MAC.
        let own = product.ouis.iter().any(|o| h.mac[..3] == o[..]);
        if let (false, Some(oui)) = (own, product.ouis.first()) {
            h.mac[..3].copy_from_slice(oui);
        }
        d.mqtt_client_id = mqtt_client_id(product, h.mac);
        d.product = product;
        d.firmware = firmware;
        d.cloud = cloud;
        d.update = update;
    }

    /// An internet host at `ip` (an attacker), seen through the gateway.
    pub(crate) fn outsider(&mut self, rng: &mut Rng, ip: [u8; 4]) -> HostId {
        let host = self.hosts.len() as HostId;
        self.hosts.push(Host {
            mac: self.hosts[GATEWAY as usize].mac,
            ip,
            ttl: 64 - rng.range(8, 20) as u8,
            ip_id: rng.next_u16(),
            stack: Stack::Linux,
            external: true,
            ports: PortAlloc::linux(rng),
            icmp_id: 0,
            icmp_used: 0,
            mss: 1460,
            rtt: rng.range(30, 180) * 1_000_000,
        });
        host
    }

    /// Addressing for a packet from `from` to `to`; consumes one IPv4 id of
    /// the sender.
    #[inline]
    pub(crate) fn ip(&mut self, from: HostId, to: HostId) -> Ip {
        let gw_mac = self.hosts[GATEWAY as usize].mac;
        let dst = &self.hosts[to as usize];
        let (dst_ip, dst_mac) = (dst.ip, if dst.external { gw_mac } else { dst.mac });
        let src = &mut self.hosts[from as usize];
        let id = src.ip_id;
        src.ip_id = id.wrapping_add(1);
        Ip {
            src_mac: if src.external { gw_mac } else { src.mac },
            dst_mac,
            src: src.ip,
            dst: dst_ip,
            ttl: src.ttl,
            id,
            df: src.stack == Stack::Linux,
        }
    }

    /// The device labels, gateway first.
    /// Posture facts: every device that logs into the MQTT broker with a
    /// user name and password over plain MQTT (port 1883) sends them in
    /// clear; plus what scenarios added. Sorted, without duplicates.
    pub(crate) fn posture_labels(&self) -> Vec<crate::labels::PostureLabel> {
        let mut out = self.posture.clone();
        for d in &self.devices {
            if d.product.mqtt && d.mqtt_user.is_some() {
                out.push(crate::labels::PostureLabel {
                    class: "cleartext-credentials".into(),
                    device: ip_string(self.hosts[d.host as usize].ip),
                    service: "mqtt".into(),
                    description: format!(
                        "{} logs into the MQTT broker with a user name and password over plain \
                         MQTT (port 1883)",
                        d.id
                    ),
                });
            }
        }
        out.sort();
        out.dedup();
        out
    }

    pub(crate) fn device_labels(&self) -> Vec<DeviceLabel> {
        let gw = &self.hosts[GATEWAY as usize];
        let mut out = vec![DeviceLabel {
            id: "gateway".into(),
            mac: mac_string(gw.mac),
            ip: ip_string(gw.ip),
            vendor: catalog::GATEWAY.vendor.into(),
            product: catalog::GATEWAY.product.into(),
            kind: Kind::Gateway.as_str().into(),
            firmware: self.gateway_firmware.into(),
        }];
        for d in &self.devices {
            let h = &self.hosts[d.host as usize];
            out.push(DeviceLabel {
                id: d.id.clone(),
                mac: mac_string(h.mac),
                ip: ip_string(h.ip),
                vendor: d.product.vendor.into(),
                product: d.product.product.into(),
                kind: d.product.kind.as_str().into(),
                firmware: d.firmware.into(),
            });
        }
        out
    }

    /// The server labels: the gateway's DNS and NTP, then each service.
    pub(crate) fn server_labels(&self) -> Vec<ServerLabel> {
        let gw = ip_string(self.hosts[GATEWAY as usize].ip);
        let mut out = vec![
            ServerLabel {
                name: "gateway".into(),
                ip: gw.clone(),
                role: "dns".into(),
            },
            ServerLabel {
                name: "gateway".into(),
                ip: gw,
                role: "ntp".into(),
            },
        ];
        for s in &self.services {
            out.push(ServerLabel {
                name: s.name.into(),
                ip: ip_string(self.hosts[s.host as usize].ip),
                role: s.role.as_str().into(),
            });
        }
        out
    }
}

/// A device's MQTT client id: `<vendor>-<kind>-<last three MAC bytes>`,
/// as ESP-IDF and Tuya firmware name themselves.
fn mqtt_client_id(product: &Product, mac: [u8; 6]) -> String {
    let mac_hex: String = mac[3..].iter().map(|b| format!("{b:02x}")).collect();
    let slug: String = product
        .vendor
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    format!("{slug}-{}-{mac_hex}", product.kind.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_alloc_is_a_full_cycle_without_repeats() {
        let mut rng = Rng::new(5);
        for mut a in [PortAlloc::linux(&mut rng), PortAlloc::lwip(&mut rng)] {
            let mut seen = BTreeSet::new();
            let size = a.size;
            while let Some(p) = a.next() {
                assert!(p as u32 >= a.lo && (p as u32) < a.lo + size);
                assert!(seen.insert(p), "port {p} repeated");
            }
            assert_eq!(seen.len() as u32, size);
            assert_eq!(a.next(), None);
        }
    }

    #[test]
    fn composition_covers_every_size() {
        for n in 1..=300 {
            let k = compose(n);
            assert_eq!(k.len(), n);
            let cams = k.iter().filter(|&&k| k == Kind::Camera).count();
            let nvrs = k.iter().filter(|&&k| k == Kind::Nvr).count();
            assert!(cams <= nvrs * CAMERAS_PER_NVR);
            if n >= 4 {
                assert!(cams >= 1 && nvrs >= 1);
            }
        }
    }

    #[test]
    fn fleet_addresses_are_unique_and_in_their_ranges() {
        let mut rng = Rng::new(11);
        let w = World::fleet(600, 1_767_600_000_000_000_000, &mut rng);
        assert_eq!(w.devices.len(), 600);
        let macs: BTreeSet<_> = w
            .hosts
            .iter()
            .filter(|h| !h.external)
            .map(|h| h.mac)
            .collect();
        let ips: BTreeSet<_> = w.hosts.iter().map(|h| h.ip).collect();
        assert_eq!(macs.len(), 601);
        assert_eq!(ips.len(), w.hosts.len());
        for h in &w.hosts {
            if h.external {
                assert!(
                    matches!(h.ip, [198, 51, 100, _] | [203, 0, 113, _] | [192, 0, 2, _]),
                    "{:?}",
                    h.ip
                );
                assert_eq!(h.mac, w.hosts[0].mac);
            } else {
                assert_eq!(&h.ip[..2], &[10, 10]);
                assert!(h.ip[3] >= 1 && h.ip[3] <= 251);
            }
        }
        for d in &w.devices {
            let oui = &w.hosts[d.host as usize].mac[..3];
            assert!(d.product.ouis.iter().any(|o| o == oui));
            if d.product.kind == Kind::Nvr {
                assert!(!d.cameras.is_empty() && d.cameras.len() <= CAMERAS_PER_NVR);
            }
        }
        let ids: BTreeSet<_> = w.devices.iter().map(|d| d.id.clone()).collect();
        assert_eq!(ids.len(), 600);
    }

    #[test]
    fn ip_ids_increment_per_sender() {
        let mut rng = Rng::new(1);
        let mut w = World::fleet(5, 0, &mut rng);
        let a = w.ip(1, GATEWAY).id;
        let b = w.ip(1, 2).id;
        let _ = w.ip(2, 1);
        let c = w.ip(1, GATEWAY).id;
        assert_eq!(b, a.wrapping_add(1));
        assert_eq!(c, a.wrapping_add(2));
        let ext = w.services[0].host;
        let p = w.ip(ext, 1);
        assert_eq!(p.src_mac, w.hosts[0].mac);
        assert_eq!(p.dst_mac, w.hosts[1].mac);
    }
}
