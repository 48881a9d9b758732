use super::*;
use crate::conversations::{from_pcap, shared_pcap};
use crate::parser::Dir;
use crate::testing::{mutations, run, run_flow};
use crate::Transport;
use serde_json::json;

/// The datagram of suricata-verify `sip-ssdp-pm/ssdp.pcap` (note the
/// `lOCATION` spelling: header names are case-insensitive).
const NOTIFY: &[u8] = b"NOTIFY * HTTP/1.1\r\n\
HOST: 239.255.255.250:1900\r\n\
CACHE-CONTROL: max-age=120\r\n\
lOCATION: http://192.168.1.1:7406/rootDesc.xml\r\n\
SERVER: UPnP/Tomato 1.28.7500 MIPSR2Toastman-RT K26 USB Ext UPnP/1.0 MiniUPnPd/1.6\r\n\
NT: upnp:rootdevice\r\n\
USN: uuid:04645c3d-e6b4-4eea-bd35-5c320c12969f::upnp:rootdevice\r\n\
NTS: ssdp:alive\r\n\
OPT: \"http://schemas.upnp.org/upnp/1/0/\";\r\n\
01-NLS: 1\r\n\
BOOTID.UPNP.ORG: 1\r\n\
CONFIGID.UPNP.ORG: 1337\r\n\
\r\n";

const SEARCH: &[u8] = b"M-SEARCH * HTTP/1.1\r\n\
HOST: 239.255.255.250:1900\r\n\
MAN: \"ssdp:discover\"\r\n\
MX: 2\r\n\
ST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n\
USER-AGENT: Linux/5.10 UPnP/1.1 camapp/2.0\r\n\
\r\n";

const ANSWER: &[u8] = b"HTTP/1.1 200 OK\r\n\
CACHE-CONTROL: max-age=1800\r\n\
DATE: Mon, 01 Jan 2024 00:00:00 GMT\r\n\
EXT:\r\n\
LOCATION: http://192.168.1.64:49152/desc.xml\r\n\
SERVER: Linux/3.10 UPnP/1.0 IpCam/1.0\r\n\
ST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n\
USN: uuid:cam-1::urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n\
\r\n";

#[test]
fn notify() {
    let out = run(&SPEC, &[(Dir::ToServer, NOTIFY)]);
    assert!(out.events.is_empty());
    assert_eq!(out.txs.len(), 1);
    assert!(out.updates.is_empty());
    assert_eq!(
        out.txs[0].log,
        json!({
            "method": "NOTIFY",
            "host": "239.255.255.250:1900",
            "cache_control": "max-age=120",
            "location": "http://192.168.1.1:7406/rootDesc.xml",
            "server": "UPnP/Tomato 1.28.7500 MIPSR2Toastman-RT K26 USB Ext UPnP/1.0 MiniUPnPd/1.6",
            "nt": "upnp:rootdevice",
            "usn": "uuid:04645c3d-e6b4-4eea-bd35-5c320c12969f::upnp:rootdevice",
            "nts": "ssdp:alive",
            "bootid": "1",
            "configid": "1337",
        })
    );
}

#[test]
fn m_search_and_answer() {
    let out = run(&SPEC, &[(Dir::ToServer, SEARCH), (Dir::ToClient, ANSWER)]);
    assert_eq!(out.txs.len(), 2);
    assert_eq!(
        out.txs[0].log,
        json!({
            "method": "M-SEARCH",
            "host": "239.255.255.250:1900",
            "man": "\"ssdp:discover\"",
            "mx": "2",
            "st": "urn:schemas-upnp-org:device:InternetGatewayDevice:1",
            "user_agent": "Linux/5.10 UPnP/1.1 camapp/2.0",
        })
    );
    assert_eq!(
        out.txs[1].log,
        json!({
            "status": 200,
            "cache_control": "max-age=1800",
            "location": "http://192.168.1.64:49152/desc.xml",
            "server": "Linux/3.10 UPnP/1.0 IpCam/1.0",
            "st": "urn:schemas-upnp-org:device:InternetGatewayDevice:1",
            "usn": "uuid:cam-1::urn:schemas-upnp-org:device:InternetGatewayDevice:1",
        })
    );
    assert_eq!((out.txs[0].id, out.txs[1].id), (0, 1));
}

#[test]
fn odd_headers() {
    let d = b"NOTIFY * HTTP/1.1\nnts: ssdp:byebye\nNTS: second\nno colon here\n: empty\nUsn:uuid:x";
    let out = run(&SPEC, &[(Dir::ToServer, d)]);
    let tx = &out.txs[0];
    assert_eq!(
        tx.log,
        json!({"method": "NOTIFY", "nts": "ssdp:byebye", "usn": "uuid:x"})
    );
    assert_eq!(tx.events, vec!["ssdp.invalid_header"]);
    // The request line alone, as ndpi/ssdp-m-search.pcap sends it, with
    // or without its line end.
    for d in [&b"M-SEARCH * HTTP/1.1\r\n"[..], b"M-SEARCH * HTTP/1.1"] {
        let out = run(&SPEC, &[(Dir::ToServer, d)]);
        assert_eq!(out.txs[0].log, json!({"method": "M-SEARCH"}));
    }
    // A request target other than `*` is logged.
    let out = run(
        &SPEC,
        &[(Dir::ToServer, b"SUBSCRIBE /evt HTTP/1.1\r\n\r\n")],
    );
    assert_eq!(
        out.txs[0].log,
        json!({"method": "SUBSCRIBE", "uri": "/evt"})
    );
}

#[test]
fn bounds() {
    let mut d = b"NOTIFY * HTTP/1.1\r\n".to_vec();
    for i in 0..100 {
        d.extend_from_slice(format!("X-{i}: y\r\n").as_bytes());
    }
    d.extend_from_slice(b"NT: late\r\n\r\n");
    let out = run(&SPEC, &[(Dir::ToServer, &d)]);
    assert_eq!(out.txs[0].events, vec!["ssdp.too_many_headers"]);
    assert!(out.txs[0].log.get("nt").is_none());

    let mut d = b"NOTIFY * HTTP/1.1\r\nLOCATION: http://x/".to_vec();
    d.extend(std::iter::repeat_n(b'a', 5000));
    d.extend_from_slice(b"\r\nSERVER: s\r\nSERVER: t\r\n\r\n");
    let out = run(&SPEC, &[(Dir::ToServer, &d)]);
    let tx = &out.txs[0];
    assert_eq!(tx.events, vec!["ssdp.long_header"]);
    assert_eq!(tx.log["location"].as_str().unwrap().len(), MAX_VALUE);
    assert_eq!(tx.log["server"], "s");
}

#[test]
fn not_ssdp_and_truncated() {
    let out = run(
        &SPEC,
        &[(Dir::ToServer, b"\x00\x01garbage"), (Dir::ToServer, b"")],
    );
    assert!(out.txs.is_empty());
    assert_eq!(out.events.len(), 2);
    assert!(out.events.iter().all(|e| e.1 == "ssdp.invalid_message"));
    for k in 0..NOTIFY.len() {
        let out = run(&SPEC, &[(Dir::ToServer, &NOTIFY[..k])]);
        // Up to the version's last digit the start line is incomplete.
        assert_eq!(out.txs.len(), usize::from(k >= 17), "prefix {k}");
    }
    assert_eq!(start_line(b"HTTP/1.1 2000 OK"), None);
    assert_eq!(start_line(b"HTTP/1.1"), None);
    assert_eq!(start_line(b"NOTIFY sip:a@b SIP/2.0"), None);
}

#[test]
fn identification() {
    let off = |d: &[u8], port| run_flow(Transport::Udp, port, &[(Dir::ToServer, d)]).0;
    assert_eq!(off(NOTIFY, 1900), Some("ssdp"));
    assert_eq!(off(NOTIFY, 5060), Some("ssdp"));
    assert_eq!(off(SEARCH, 32412), Some("ssdp"));
    assert_eq!(off(ANSWER, 1900), Some("ssdp"));
    // An answer to a search goes to the searcher's port.
    assert_eq!(off(ANSWER, 50123), Some("ssdp"));
    assert_eq!(off(b"HTTP/1.1 200 OK\r\nServer: x\r\n\r\n", 50123), None);
    assert_eq!(
        off(b"HTTP/1.1 200 OK\r\nServer: x\r\n\r\n", 1900),
        Some("ssdp")
    );
    assert_eq!(off(b"NOTIFY sip:a@b SIP/2.0\r\n\r\n", 1900), None);
    assert_eq!(
        run_flow(Transport::Tcp, 1900, &[(Dir::ToServer, NOTIFY)]).0,
        // SSDP is UDP only; over TCP the same text is HTTP.
        Some("http")
    );
}

/// suricata-verify sip-ssdp-pm: the NOTIFY is SSDP, not SIP.
#[test]
fn suricata_verify_sip_ssdp_pm() {
    let convs = from_pcap(&shared_pcap("suricata-verify/sip-ssdp-pm/ssdp.pcap"));
    assert_eq!(convs.len(), 1);
    let c = &convs[0];
    assert_eq!((c.transport, c.server_port), (Transport::Udp, 1900));
    let (proto, out) = run_flow(c.transport, c.server_port, &c.borrowed());
    assert_eq!(proto, Some("ssdp"));
    assert_eq!(out.txs.len(), 1);
    let log = &out.txs[0].log;
    assert_eq!(log["method"], "NOTIFY");
    assert_eq!(log["location"], "http://192.168.1.1:7406/rootDesc.xml");
    assert_eq!(
        log["server"],
        "UPnP/Tomato 1.28.7500 MIPSR2Toastman-RT K26 USB Ext UPnP/1.0 MiniUPnPd/1.6"
    );
}

/// nDPI's ssdp-m-search.pcap: 19 bare M-SEARCH request lines broadcast
/// to UDP 32412 (nDPI: 19 packets, SSDP).
#[test]
fn ndpi_m_search() {
    let convs = from_pcap(&shared_pcap("ndpi/ssdp-m-search.pcap"));
    assert_eq!(convs.len(), 1);
    let c = &convs[0];
    assert_eq!(c.server_port, 32412);
    let (proto, out) = run_flow(c.transport, c.server_port, &c.borrowed());
    assert_eq!(proto, Some("ssdp"));
    assert_eq!(out.txs.len(), 19);
    assert!(out
        .txs
        .iter()
        .all(|t| t.log == json!({"method": "M-SEARCH"})));
    assert!(out.events.is_empty());
}

/// nDPI's upnp.pcap is WS-Discovery (UDP 3702, SOAP): not SSDP.
#[test]
fn ndpi_upnp_is_not_ssdp() {
    let convs = from_pcap(&shared_pcap("ndpi/upnp.pcap"));
    assert_eq!(convs.len(), 2);
    for c in &convs {
        assert_eq!(c.server_port, 3702);
        let (proto, _) = run_flow(c.transport, c.server_port, &c.borrowed());
        assert_eq!(proto, Some("wsd"));
    }
}

/// Deterministic mutations of valid datagrams: nothing panics.
#[test]
fn mutations_do_not_panic() {
    let seeds = [NOTIFY, SEARCH, ANSWER];
    // The special change makes a line break.
    for (_, m) in mutations(&seeds, 0x2545_f491_4f6c_dd1d, 2000, |b| *b = b'\n', b'N') {
        run(&SPEC, &[(Dir::ToServer, &m)]);
        run_flow(Transport::Udp, 1900, &[(Dir::ToServer, &m)]);
        run_flow(Transport::Udp, 40000, &[(Dir::ToServer, &m)]);
    }
}
