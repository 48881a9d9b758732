//! The passive inventory on hand-made packets and records.

use palisade_event::Timestamp;
use palisade_fleet::fingerprint::observe_record;
use palisade_fleet::{DeviceKey, Inventory, InventoryConfig, PacketFacts};
use std::net::IpAddr;

const CAM: [u8; 6] = [0x04, 0x03, 0x12, 0xaa, 0xbb, 0x01]; // Hikvision OUI
const GW: [u8; 6] = [0x00, 0x11, 0x22, 0x33, 0x44, 0x55];

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn t(s: u64) -> Timestamp {
    Timestamp::from_secs_nanos(1_767_600_000 + s, 0)
}

#[allow(clippy::too_many_arguments)]
fn pkt(
    s: u64,
    src: &str,
    dst: &str,
    macs: Option<([u8; 6], [u8; 6])>,
    proto: u8,
    sport: u16,
    dport: u16,
    flags: u8,
) -> PacketFacts {
    PacketFacts {
        ts: t(s),
        src: ip(src),
        dst: ip(dst),
        macs,
        proto,
        sport,
        dport,
        tcp_flags: flags,
        len: 100,
    }
}

#[test]
fn a_camera_by_mac_with_vendor_addresses_and_services() {
    let mut inv = Inventory::new(InventoryConfig::default());
    // NVR -> camera SYN, camera -> NVR SYN-ACK (RTSP service)
    let nvr = [0x00, 0x0c, 0x29, 1, 2, 3];
    inv.packet(&pkt(
        1,
        "10.0.0.9",
        "10.0.0.5",
        Some((nvr, CAM)),
        6,
        50000,
        554,
        0x02,
    ));
    inv.packet(&pkt(
        1,
        "10.0.0.5",
        "10.0.0.9",
        Some((CAM, nvr)),
        6,
        554,
        50000,
        0x12,
    ));
    // the camera to the internet through the gateway; the internet host is no device
    inv.packet(&pkt(
        2,
        "10.0.0.5",
        "203.0.113.7",
        Some((CAM, GW)),
        6,
        40000,
        443,
        0x02,
    ));
    // DHCP gives it a new address later: same device, two addresses
    inv.packet(&pkt(
        90,
        "10.0.0.77",
        "10.0.0.9",
        Some((CAM, nvr)),
        17,
        5353,
        5353,
        0,
    ));
    // an NTP answer from the NVR: a UDP service
    inv.packet(&pkt(
        91,
        "10.0.0.9",
        "10.0.0.5",
        Some((nvr, CAM)),
        17,
        123,
        40123,
        0,
    ));
    assert_eq!(inv.len(), 2);
    let cam = inv.device_of(&ip("10.0.0.77")).unwrap();
    assert_eq!(cam.key, DeviceKey::Mac(CAM));
    assert_eq!(cam.key.to_string(), "mac:04:03:12:aa:bb:01");
    assert_eq!(
        cam.vendor,
        Some("Hangzhou Hikvision Digital Technology Co.,Ltd.")
    );
    let addrs: Vec<IpAddr> = cam.addresses.iter().map(|a| a.0).collect();
    assert_eq!(addrs, vec![ip("10.0.0.5"), ip("10.0.0.77")]);
    assert_eq!((cam.first_seen, cam.last_seen), (t(1), t(91)));
    assert_eq!(cam.services.len(), 1);
    assert_eq!((cam.services[0].proto, cam.services[0].port), (6, 554));
    assert_eq!(cam.peers, 2); // the NVR (three times) and the internet host
    let nvr_dev = inv.device_of(&ip("10.0.0.9")).unwrap();
    assert_eq!(
        nvr_dev
            .services
            .iter()
            .map(|s| (s.proto, s.port))
            .collect::<Vec<_>>(),
        vec![(17, 123)]
    );
}

#[test]
fn a_mac_with_many_fleet_addresses_is_a_router() {
    let cfg = InventoryConfig {
        router_ips: 3,
        ..InventoryConfig::default()
    };
    let mut inv = Inventory::new(cfg);
    let router = [0x00, 0x1b, 0x21, 9, 9, 9];
    for h in 1..=6 {
        let src = format!("10.1.0.{h}");
        inv.packet(&pkt(
            h,
            &src,
            "10.0.0.9",
            Some((router, CAM)),
            6,
            1000,
            80,
            0x02,
        ));
    }
    let r = inv.device_of(&ip("10.1.0.1")).unwrap();
    assert_eq!(r.key, DeviceKey::Mac(router));
    assert!(r.router);
    // addresses after the limit are devices of their own, keyed by IP
    let behind = inv.device_of(&ip("10.1.0.6")).unwrap();
    assert_eq!(behind.key, DeviceKey::Ip(ip("10.1.0.6")));
}

#[test]
fn raw_ip_and_bounds() {
    let cfg = InventoryConfig {
        max_devices: 10,
        max_peers: 4,
        ..InventoryConfig::default()
    };
    let mut inv = Inventory::new(cfg);
    for h in 0..50u64 {
        let src = format!("192.168.1.{h}");
        inv.packet(&pkt(h, &src, "192.168.1.200", None, 17, 5000, 53, 0));
    }
    assert_eq!(inv.len(), 10);
    assert!(inv.devices_dropped > 0);
    let server = inv.device_of(&ip("192.168.1.200")).unwrap();
    assert_eq!(server.key, DeviceKey::Ip(ip("192.168.1.200")));
    assert_eq!(server.peers, 4, "capped at max_peers");
    assert!(server.peers_capped);
}

#[test]
fn fingerprints_and_hostnames_from_records() {
    let mut inv = Inventory::new(InventoryConfig::default());
    inv.packet(&pkt(
        1,
        "10.0.0.5",
        "198.51.100.10",
        Some((CAM, GW)),
        6,
        40000,
        1883,
        0x02,
    ));
    inv.packet(&pkt(1, "10.0.0.9", "10.0.0.5", None, 6, 40001, 22, 0x02));
    inv.packet(&pkt(1, "10.0.0.5", "10.0.0.9", None, 6, 22, 40001, 0x12));
    let rec = |et: &str, src: &str, dst: &str, port: u16, body: serde_json::Value| {
        let mut r = serde_json::json!({"event_type": et, "src_ip": src, "dest_ip": dst,
            "dest_port": port, "proto": "TCP"});
        r[et] = body;
        r
    };
    observe_record(
        &mut inv,
        &rec(
            "mqtt",
            "10.0.0.5",
            "198.51.100.10",
            1883,
            serde_json::json!({"connect": {"client_id": "hikvision-camera-aabb01"}}),
        ),
        t(2),
    );
    observe_record(
        &mut inv,
        &rec(
            "mqtt",
            "10.0.0.5",
            "198.51.100.10",
            1883,
            serde_json::json!({"connect": {"client_id": "hikvision-camera-aabb01"}}),
        ),
        t(3),
    );
    observe_record(
        &mut inv,
        &rec(
            "ssh",
            "10.0.0.9",
            "10.0.0.5",
            22,
            serde_json::json!({"server": {"software_version": "dropbear_2019.78"}, "client": {"software_version": "OpenSSH_9.2"}}),
        ),
        t(4),
    );
    let mut dhcp = rec(
        "dhcp",
        "0.0.0.0",
        "255.255.255.255",
        67,
        serde_json::json!({"hostname": "ipcam-frontdoor", "assigned_ip": "10.0.0.5", "params": [1, 3, 6, 15]}),
    );
    dhcp["proto"] = serde_json::json!("UDP");
    observe_record(&mut inv, &dhcp, t(5));
    let cam = inv.device_of(&ip("10.0.0.5")).unwrap();
    let fps: Vec<(&str, &str, u64)> = cam
        .fingerprints
        .iter()
        .map(|f| (f.kind, f.value.as_str(), f.seen))
        .collect();
    assert_eq!(
        fps,
        vec![
            ("mqtt.client_id", "hikvision-camera-aabb01", 2),
            ("ssh.server", "dropbear_2019.78", 1),
            ("dhcp.params", "1,3,6,15", 1),
        ]
    );
    assert_eq!(cam.hostnames, vec!["ipcam-frontdoor".to_string()]);
    let ssh = cam.services.iter().find(|s| s.port == 22).unwrap();
    assert_eq!(ssh.app_proto.as_deref(), Some("ssh"));
    assert_eq!(ssh.banner.as_deref(), Some("dropbear_2019.78"));
    let nvr = inv.device_of(&ip("10.0.0.9")).unwrap();
    assert_eq!(nvr.fingerprints[0].value, "OpenSSH_9.2");
    // an address that is no device takes nothing
    observe_record(
        &mut inv,
        &rec(
            "http",
            "203.0.113.1",
            "198.51.100.2",
            80,
            serde_json::json!({"http_user_agent": "curl"}),
        ),
        t(6),
    );
    assert_eq!(inv.len(), 2);
}

#[test]
fn hostnames_from_dns_mdns_and_ptr_answers_and_urls_only_when_a_rule_reads_them() {
    let mut inv = Inventory::new(InventoryConfig::default());
    for (a, b) in [
        ("10.0.0.5", "10.0.0.1"),
        ("10.0.0.6", "10.0.0.1"),
        ("10.0.0.7", "10.0.0.1"),
    ] {
        inv.packet(&pkt(1, a, b, None, 17, 5353, 5353, 0));
    }
    let dns = |body: serde_json::Value| {
        serde_json::json!({"event_type": "dns", "src_ip": "10.0.0.1", "dest_ip": "10.0.0.9",
            "dest_port": 53, "proto": "UDP", "dns": body})
    };
    observe_record(
        &mut inv,
        &dns(serde_json::json!({"type": "response", "answers": [
            {"rrname": "cam-lobby.lan", "rrtype": "A", "rdata": "10.0.0.5"},
            // a public name answering a public address names no device
            {"rrname": "example.com", "rrtype": "A", "rdata": "93.184.215.14"},
            {"rrname": "6.0.0.10.in-addr.arpa", "rrtype": "PTR", "rdata": "plug-2.lan"},
            {"rrname": "shelly-plug.local", "rrtype": "AAAA", "rdata": "fe80::1"},
            {"rrname": "bad.in-addr.arpa", "rrtype": "PTR", "rdata": "x"},
            {"rrname": "1.2.3.4.5.in-addr.arpa", "rrtype": "PTR", "rdata": "y"},
        ]})),
        t(2),
    );
    assert_eq!(
        inv.device_of(&ip("10.0.0.5")).unwrap().hostnames,
        vec!["cam-lobby.lan".to_string()]
    );
    assert_eq!(
        inv.device_of(&ip("10.0.0.6")).unwrap().hostnames,
        vec!["plug-2.lan".to_string()]
    );
    assert!(inv.device_of(&ip("10.0.0.7")).unwrap().hostnames.is_empty());

    // URLs: a firmware check is kept (a classifier rule reads it), a
    // plain page is not.
    let http = |url: &str| {
        serde_json::json!({"event_type": "http", "src_ip": "10.0.0.7", "dest_ip": "203.0.113.5",
            "dest_port": 80, "proto": "TCP", "http": {"url": url}})
    };
    observe_record(&mut inv, &http("/index.html"), t(3));
    observe_record(
        &mut inv,
        &http("/firmware/check?model=RLC-510A&version=v3.1.0.956_22041503"),
        t(4),
    );
    let d = inv.device_of(&ip("10.0.0.7")).unwrap();
    let urls: Vec<&str> = d
        .fingerprints
        .iter()
        .filter(|f| f.kind == "http.url")
        .map(|f| f.value.as_str())
        .collect();
    assert_eq!(
        urls,
        ["/firmware/check?model=RLC-510A&version=v3.1.0.956_22041503"]
    );
    let c = inv.classify(d);
    use palisade_fleet::classify::Field;
    assert_eq!(c.get(Field::Product), Some("RLC-510A"));
    assert_eq!(c.get(Field::Firmware), Some("v3.1.0.956_22041503"));
}

#[test]
fn traffic_per_hour_in_order_and_bounded() {
    let mut inv = Inventory::new(InventoryConfig {
        max_traffic_hours: 3,
        ..InventoryConfig::default()
    });
    let nvr = [0x00, 0x0c, 0x29, 1, 2, 3];
    let at = |s| {
        pkt(
            s,
            "10.0.0.5",
            "10.0.0.9",
            Some((CAM, nvr)),
            17,
            5000,
            5000,
            0,
        )
    };
    // t(0) is 08:00:00. Two packets in 08, one in 09, a late one in 08,
    // one in 11 (10 silent).
    for s in [0, 3599, 3600, 100, 3 * 3600 + 5] {
        inv.packet(&at(s));
    }
    let cam = inv.device_of(&ip("10.0.0.5")).unwrap();
    let h8 = 1_767_600_000 / 3600;
    assert_eq!(
        cam.traffic,
        vec![(h8, 3, 300), (h8 + 1, 1, 100), (h8 + 3, 1, 100)]
    );
    assert_eq!(
        palisade_fleet::Device::hour_start(h8).to_string(),
        "2026-01-05T08:00:00.000000+0000"
    );
    assert_eq!(cam.traffic.iter().map(|b| b.1).sum::<u64>(), cam.pkts);
    // A fourth hour drops the oldest (for both devices of the packet).
    inv.packet(&at(4 * 3600));
    let cam = inv.device_of(&ip("10.0.0.5")).unwrap();
    assert_eq!(cam.traffic.first().map(|b| b.0), Some(h8 + 1));
    assert_eq!(cam.traffic.len(), 3);
    assert_eq!(inv.traffic_hours_dropped, 2);
    // Full, a packet older than every kept hour is not bucketed (nor
    // counted as a dropped hour).
    inv.packet(&at(0));
    let cam = inv.device_of(&ip("10.0.0.5")).unwrap();
    assert_eq!(cam.traffic.first().map(|b| b.0), Some(h8 + 1));
    assert_eq!(inv.traffic_hours_dropped, 2);
    // 0 hours: no buckets, nothing counted.
    let mut off = Inventory::new(InventoryConfig {
        max_traffic_hours: 0,
        ..InventoryConfig::default()
    });
    off.packet(&at(0));
    assert!(off.device_of(&ip("10.0.0.5")).unwrap().traffic.is_empty());
    assert_eq!(off.traffic_hours_dropped, 0);
}
