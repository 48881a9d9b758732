use super::*;
use crate::conversations::{from_pcap, shared_pcap};
use crate::testing::{run, run_flow};
use serde_json::json;

const HELLO: &[u8] = br#"<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:wsd="http://schemas.xmlsoap.org/ws/2005/04/discovery" xmlns:wsdp="http://schemas.xmlsoap.org/ws/2006/02/devprof"><soap:Header><wsa:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</wsa:To><wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Hello</wsa:Action><wsa:MessageID>urn:uuid:11111111-2222-3333-4444-555555555555</wsa:MessageID><wsd:AppSequence InstanceId="1" MessageNumber="1"/></soap:Header><soap:Body><wsd:Hello><wsa:EndpointReference><wsa:Address>urn:uuid:cam-0001</wsa:Address></wsa:EndpointReference><wsd:Types>wsdp:Device dn:NetworkVideoTransmitter</wsd:Types><wsd:Scopes/><wsd:XAddrs>http://192.168.1.64/onvif/device_service</wsd:XAddrs><wsd:MetadataVersion>1</wsd:MetadataVersion></wsd:Hello></soap:Body></soap:Envelope>"#;

#[test]
fn hello() {
    let out = run(&SPEC, &[(Dir::ToServer, HELLO)]);
    assert_eq!(
        out.txs[0].log,
        json!({
            "action": "Hello",
            "message_id": "urn:uuid:11111111-2222-3333-4444-555555555555",
            "address": "urn:uuid:cam-0001",
            "types": "wsdp:Device dn:NetworkVideoTransmitter",
            "xaddrs": "http://192.168.1.64/onvif/device_service",
        })
    );
}

#[test]
fn elements_and_hostile_input() {
    assert_eq!(
        element(b"<a:Action x='1'> y </a:Action>", b"Action"),
        Some(&b"y"[..])
    );
    assert_eq!(element(b"<Action>z", b"Action"), Some(&b"z"[..]));
    assert_eq!(element(b"<ActionX>z</ActionX>", b"Action"), None);
    assert_eq!(
        element(b"<NoAction>z</NoAction><Action>w<", b"Action"),
        Some(&b"w"[..])
    );
    assert_eq!(element(b"<Scopes/>", b"Scopes"), None);
    assert_eq!(element(b"Action>", b"Action"), None);
    assert_eq!(element(b"<:Action>", b"Action"), None);
    assert_eq!(element(b"<Action", b"Action"), None);
    // A name after a colon with no `<` nearby is skipped, not the end.
    assert_eq!(element(b"x:Action> <Action>v<", b"Action"), Some(&b"v"[..]));
    let many = b"a:Types>".repeat(8000);
    assert_eq!(element(&many, b"Types"), None);
    let long = [&b"<Types>"[..], &[b'x'; 5000]].concat();
    assert_eq!(element(&long, b"Types").map(<[u8]>::len), Some(MAX_VALUE));
    for k in 0..HELLO.len() {
        run(&SPEC, &[(Dir::ToServer, &HELLO[..k])]);
    }
    let out = run(&SPEC, &[(Dir::ToServer, b"<xml/>")]);
    assert_eq!(out.events, vec![(Dir::ToServer, "wsd.invalid_message")]);
}

#[test]
fn identification() {
    let flow = |d: &[u8], port| run_flow(crate::Transport::Udp, port, &[(Dir::ToServer, d)]).0;
    assert_eq!(flow(HELLO, 3702), Some("wsd"));
    assert_eq!(flow(HELLO, 40000), Some("wsd"));
    assert_eq!(flow(b"<?xml version=\"1.0\"?><a/>", 3702), None);
}

/// nDPI's upnp.pcap (nDPI: WSD, 2 flows of 7 packets): the same Resolve
/// sent 7 times over IPv4 and IPv6. Values read from the datagrams
/// (tshark has no WS-Discovery dissector: `tshark -T fields -e data.data`).
#[test]
fn ndpi_upnp() {
    let convs = from_pcap(&shared_pcap("ndpi/upnp.pcap"));
    assert_eq!(convs.len(), 2);
    for c in &convs {
        let (proto, out) = run_flow(c.transport, c.server_port, &c.borrowed());
        assert_eq!(proto, Some("wsd"));
        assert_eq!(out.txs.len(), 7);
        for t in &out.txs {
            assert_eq!(
                t.log,
                json!({
                    "action": "Resolve",
                    "message_id": "urn:uuid:3f42dc9a-24ce-48d1-88f9-16b96a137d71",
                    "address": "urn:uuid:e3248000-80ce-11db-8000-001ba99ec956",
                })
            );
        }
    }
}
