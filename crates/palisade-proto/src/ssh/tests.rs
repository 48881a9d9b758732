use super::*;
use crate::parser::Dir;
use crate::testing::{assert_resegmentation, run_flow};
use serde_json::json;

const CLIENT: &[u8] = b"SSH-2.0-OpenSSH_8.4p1 Debian-5+deb11u1\r\n\x00\x00\x05\xdc\x06\x14binary";
const SERVER: &[u8] = b"SSH-2.0-dropbear_2019.78\r\n\x00\x00\x01\x0c\x0a\x14";

#[test]
fn both_banners_make_one_record() {
    let out = assert_resegmentation(&SPEC, &[(Dir::ToClient, SERVER), (Dir::ToServer, CLIENT)]);
    assert_eq!(out.txs.len(), 1);
    assert_eq!(
        out.txs[0].log,
        json!({
            "client": {"proto_version": "2.0", "software_version": "OpenSSH_8.4p1"},
            "server": {"proto_version": "2.0", "software_version": "dropbear_2019.78"},
        })
    );
    assert_eq!(out.updates, vec![(0, Dir::ToClient)]);
}

#[test]
fn pre_banner_lines_and_one_side() {
    let server = b"Welcome\r\nSSH-1.99-Cisco-1.25\r\n";
    let out = assert_resegmentation(&SPEC, &[(Dir::ToClient, server)]);
    assert_eq!(out.txs.len(), 1);
    assert_eq!(out.txs[0].log["server"]["software_version"], "Cisco-1.25");
    assert!(out.txs[0].log.get("client").is_none());
}

#[test]
fn identified_off_port_and_bounded() {
    let (proto, out) = run_flow(
        crate::Transport::Tcp,
        8022,
        &[(Dir::ToServer, &CLIENT[..2]), (Dir::ToServer, &CLIENT[2..])],
    );
    assert_eq!(proto, Some("ssh"));
    assert_eq!(out.txs.len(), 1);
    let long = vec![b'A'; 5000];
    let out = crate::testing::run(&SPEC, &[(Dir::ToClient, &long)]);
    assert_eq!(out.txs[0].events, vec!["ssh.long_banner"]);
    let (proto, _) = run_flow(
        crate::Transport::Tcp,
        22,
        &[(Dir::ToServer, b"GET / HTTP/1.0\r\n")],
    );
    // Not SSH (it is HTTP, whatever the port).
    assert_ne!(proto, Some("ssh"));
}
