//! The DISCOVER and ACK below were built for these tests; the same bytes
//! were dissected with tshark (`text2pcap -u 68,67` then `tshark -V`) and
//! the values asserted are the ones it shows.

use super::*;
use crate::parser::Dir;
use crate::testing::{buffer, run, run_flow};
use serde_json::json;

fn h(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

const MAC: [u8; 6] = [0xb8, 0x27, 0xeb, 0x12, 0x34, 0x56];

/// A BOOTP message with Ethernet addresses, the magic cookie and the
/// given option bytes.
fn bootp(op: u8, yiaddr: [u8; 4], siaddr: [u8; 4], options: &str) -> Vec<u8> {
    let mut b = vec![op, 1, 6, 0];
    b.extend_from_slice(&0x3903_f326u32.to_be_bytes());
    b.extend_from_slice(&[0, 0, if op == 1 { 0x80 } else { 0 }, 0]);
    b.extend_from_slice(&[0; 4]);
    b.extend_from_slice(&yiaddr);
    b.extend_from_slice(&siaddr);
    b.extend_from_slice(&[0; 4]);
    b.extend_from_slice(&MAC);
    b.extend_from_slice(&[0; 10 + 64 + 128]);
    b.extend_from_slice(&[0x63, 0x82, 0x53, 0x63]);
    b.extend_from_slice(&h(options));
    b
}

/// DISCOVER: type 1, client id 01+MAC, requested 192.168.1.100, host
/// name raspberrypi, vendor class "udhcp 1.30.1", parameters
/// 1,3,6,12,15,28,42,121.
fn discover() -> Vec<u8> {
    bootp(
        1,
        [0; 4],
        [0; 4],
        "3501013d0701b827eb1234563204c0a801640c0b72617370626572727970693c0c756468637020312e33302e3137080103060c0f1c2a79ff",
    )
}

/// ACK: yiaddr 192.168.1.100, siaddr 192.168.1.1, server id, lease 1 day,
/// T1 12 h, T2 21 h, mask /24, router, DNS 192.168.1.1 and 8.8.8.8.
fn ack() -> Vec<u8> {
    bootp(
        2,
        [192, 168, 1, 100],
        [192, 168, 1, 1],
        "3501053604c0a801013304000151803a040000a8c03b04000127500104ffffff000304c0a801010608c0a80101080808080c0b7261737062657272797069ff",
    )
}

#[test]
fn discover_is_one_complete_transaction() {
    let d = discover();
    let out = run(&SPEC, &[(Dir::ToServer, &d)]);
    assert_eq!(out.txs.len(), 1);
    assert!(out.updates.is_empty());
    assert!(out.txs[0].events.is_empty());
    assert_eq!(
        out.txs[0].log,
        json!({
            "type": "request", "id": 0x3903_f326u32,
            "client_mac": "b8:27:eb:12:34:56",
            "assigned_ip": "0.0.0.0", "client_ip": "0.0.0.0",
            "dhcp_type": "discover",
            "client_id": "b8:27:eb:12:34:56",
            "requested_ip": "192.168.1.100",
            "hostname": "raspberrypi",
            "vendor_class_identifier": "udhcp 1.30.1",
            "params": ["subnet_mask", "router", "dns_server", "domain", "ntp_server"],
        })
    );
    let tx = decode(&d, 0).unwrap();
    let mut got = Vec::new();
    for name in ["dhcp.hostname", "dhcp.vendor_class"] {
        got.extend(buffer(&tx, name));
    }
    assert_eq!(got, vec![b"raspberrypi".to_vec(), b"udhcp 1.30.1".to_vec()]);
}

#[test]
fn ack_logs_the_lease() {
    let a = ack();
    let out = run(&SPEC, &[(Dir::ToClient, &a)]);
    assert_eq!(
        out.txs[0].log,
        json!({
            "type": "reply", "id": 0x3903_f326u32,
            "client_mac": "b8:27:eb:12:34:56",
            "assigned_ip": "192.168.1.100", "client_ip": "0.0.0.0",
            "relay_ip": "0.0.0.0", "next_server_ip": "192.168.1.1",
            "dhcp_type": "ack",
            "server_id": "192.168.1.1",
            "lease_time": 86400, "renewal_time": 43200, "rebinding_time": 75600,
            "subnet_mask": "255.255.255.0",
            "routers": ["192.168.1.1"],
            "dns_servers": ["192.168.1.1", "8.8.8.8"],
            "hostname": "raspberrypi",
        })
    );
}

#[test]
fn hostile_options() {
    // Cut inside the vendor class option: truncated, earlier ones kept.
    let mut d = discover();
    d.truncate(240 + 40);
    let out = run(&SPEC, &[(Dir::ToServer, &d)]);
    assert_eq!(out.txs[0].events, vec!["dhcp.truncated_options"]);
    assert_eq!(out.txs[0].log["hostname"], "raspberrypi");
    assert!(out.txs[0].log.get("vendor_class_identifier").is_none());

    // A message type of 2 bytes, a requested IP of 3, routers of 5.
    let bad = bootp(1, [0; 4], [0; 4], "350201013203c0a80103050102030405ff");
    let out = run(&SPEC, &[(Dir::ToServer, &bad)]);
    assert_eq!(out.txs[0].events, vec!["dhcp.malformed_options"]);
    assert!(out.txs[0].log.get("requested_ip").is_none());
    assert_eq!(out.txs[0].log["routers"], json!(["1.2.3.4"]));

    // Padding, an empty host name, no END: fine, nothing logged for it.
    let pad = bootp(1, [0; 4], [0; 4], &format!("{}0c00", "00".repeat(500)));
    let out = run(&SPEC, &[(Dir::ToServer, &pad)]);
    assert!(out.txs[0].events.is_empty());
    assert!(out.txs[0].log.get("hostname").is_none());

    // Shorter than BOOTP: a flow event, no transaction.
    let out = run(&SPEC, &[(Dir::ToServer, &d[..100])]);
    assert!(out.txs.is_empty());
    assert_eq!(out.events, vec![(Dir::ToServer, "dhcp.malformed_message")]);

    // BOOTP without the cookie: a transaction without options.
    let mut plain = discover();
    plain.truncate(236);
    let out = run(&SPEC, &[(Dir::ToServer, &plain)]);
    assert!(out.txs[0].log.get("dhcp_type").is_none());
}

#[test]
fn identification() {
    let d = discover();
    for port in [67, 40000] {
        let (proto, out) = run_flow(crate::Transport::Udp, port, &[(Dir::ToServer, &d)]);
        assert_eq!(proto, Some("dhcp"), "port {port}");
        assert_eq!(out.txs.len(), 1);
    }
    // Wrong cookie or hardware type: not DHCP.
    let mut x = discover();
    x[236] = 0;
    let (proto, _) = run_flow(crate::Transport::Udp, 67, &[(Dir::ToServer, &x)]);
    assert_eq!(proto, None);
    let mut x = discover();
    x[1] = 6;
    let (proto, _) = run_flow(crate::Transport::Udp, 67, &[(Dir::ToServer, &x)]);
    assert_eq!(proto, None);
}
