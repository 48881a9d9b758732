//! The app layer end to end through `palisade scan`: one-sided captures,
//! the on/off switch, the EVE type filter, rules on transactions.

mod common;

use palisade_capture::{CaptureReader, PcapWriter};
use palisade_wire::{DecodedPacket, Decoder, DecoderConfig, Link, L4};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn mqtt_capture() -> Option<PathBuf> {
    let d = common::shared_data()?;
    Some(d.join("pcaps/suricata-verify/mqtt311-pub-userpass/input.pcap"))
}

/// Writes the packets of `src` whose TCP source port is (or is not) `port`.
fn one_direction(src: &Path, dst: &Path, from_port: u16) {
    let mut r = CaptureReader::open(src).unwrap();
    let mut w: Option<PcapWriter<std::fs::File>> = None;
    let mut dec = Decoder::new(DecoderConfig::default());
    while let Ok(Some(p)) = r.next_packet() {
        let mut d = DecodedPacket::default();
        dec.decode(
            Link::from_linktype(p.linktype),
            p.data,
            p.data.len() as u32,
            &mut d,
        );
        let keep = d.frames().first().is_some_and(|f| match f.l4 {
            L4::Tcp(t) => t.src_port == from_port,
            _ => false,
        });
        if !keep {
            continue;
        }
        let w = w.get_or_insert_with(|| {
            PcapWriter::new(std::fs::File::create(dst).unwrap(), p.linktype, 65535).unwrap()
        });
        w.write_packet(p.ts, p.data, p.data.len() as u32).unwrap();
    }
    w.unwrap().finish().unwrap();
}

fn of_type<'a>(recs: &'a [Value], t: &str) -> Vec<&'a Value> {
    recs.iter().filter(|r| r["event_type"] == t).collect()
}

#[test]
fn one_sided_captures_yield_records_for_the_side_seen() {
    let Some(cap) = mqtt_capture() else {
        return;
    };
    let tmp = common::TempDir::new("one-sided");
    let client_side = tmp.path().join("client.pcap");
    let server_side = tmp.path().join("server.pcap");
    // the client's port is whatever is not 1883: keep packets from 1883 for
    // the server side, and the rest for the client side
    one_direction(&cap, &server_side, 1883);
    let mut r = CaptureReader::open(&cap).unwrap();
    let mut client_port = 0;
    let mut dec = Decoder::new(DecoderConfig::default());
    while let Ok(Some(p)) = r.next_packet() {
        let mut d = DecodedPacket::default();
        dec.decode(
            Link::from_linktype(p.linktype),
            p.data,
            p.data.len() as u32,
            &mut d,
        );
        if let Some(L4::Tcp(t)) = d.frames().first().map(|f| f.l4) {
            if t.dst_port == 1883 {
                client_port = t.src_port;
                break;
            }
        }
    }
    one_direction(&cap, &client_side, client_port);

    let (st, recs) = common::scan(&[&client_side], &["--threads", "1"], &tmp.path().join("c"));
    assert!(st.success());
    let mqtt = of_type(&recs, "mqtt");
    assert!(
        mqtt.iter()
            .any(|r| r["mqtt"]["connect"]["client_id"] == "myvoiceismypassport"),
        "client side: {mqtt:?}"
    );
    assert!(mqtt
        .iter()
        .any(|r| r["mqtt"]["publish"]["topic"] == "topicX"));
    let flows = of_type(&recs, "flow");
    assert_eq!(flows[0]["app_proto"], "mqtt");

    let (st, recs) = common::scan(&[&server_side], &["--threads", "1"], &tmp.path().join("s"));
    assert!(st.success());
    let mqtt = of_type(&recs, "mqtt");
    assert!(
        mqtt.iter()
            .any(|r| r["mqtt"]["connack"]["return_code"] == 0),
        "server side: {mqtt:?}"
    );
}

#[test]
fn app_layer_switch_and_type_filter() {
    let Some(cap) = mqtt_capture() else {
        return;
    };
    let tmp = common::TempDir::new("app-switch");
    let (_, on) = common::scan(&[&cap], &["--threads", "1"], &tmp.path().join("on"));
    assert_eq!(of_type(&on, "mqtt").len(), 3);
    let stats = of_type(&on, "stats");
    assert_eq!(stats[0]["stats"]["app_layer"]["flow"]["mqtt"], 1);
    assert_eq!(stats[0]["stats"]["app_layer"]["tx"]["mqtt"], 3);

    let (_, off) = common::scan(
        &[&cap],
        &["--threads", "1", "--set", "app_layer.enabled=false"],
        &tmp.path().join("off"),
    );
    assert!(of_type(&off, "mqtt").is_empty());
    assert!(of_type(&off, "flow")[0].get("app_proto").is_none());

    let (_, only) = common::scan(
        &[&cap],
        &["--threads", "1", "--eve-types", "mqtt"],
        &tmp.path().join("only"),
    );
    assert_eq!(only.len(), 3);
    assert!(only.iter().all(|r| r["event_type"] == "mqtt"));
}

#[test]
fn rules_inspect_transactions_and_alerts_carry_app_proto() {
    let Some(cap) = mqtt_capture() else {
        return;
    };
    let tmp = common::TempDir::new("app-rules");
    let rules = tmp.path().join("t.rules");
    std::fs::write(
        &rules,
        "alert mqtt any any -> any any (msg:\"publish to topicX\"; mqtt.publish.topic; content:\"topicX\"; sid:1;)\n\
         alert mqtt any any -> any any (msg:\"CONNACK accepted\"; mqtt.type:CONNACK; mqtt.reason_code:0; sid:2;)\n\
         alert mqtt any any -> any any (msg:\"never\"; mqtt.publish.topic; content:\"topicY\"; sid:3;)\n\
         alert tcp any any -> any any (msg:\"tcp rule bound to mqtt by its buffer\"; mqtt.connect.username; content:\"user\"; sid:4;)\n",
    )
    .unwrap();
    let (st, recs) = common::scan(
        &[&cap],
        &[
            "--threads",
            "1",
            "--no-builtin-rules",
            "--rules",
            rules.to_str().unwrap(),
        ],
        &tmp.path().join("o"),
    );
    assert!(st.success());
    // The rule alerts; the detectors add theirs (user/pass is a default
    // pair), which carry palisade_class instead of an app protocol.
    let all = of_type(&recs, "alert");
    let (detector, alerts): (Vec<&Value>, Vec<&Value>) = all
        .iter()
        .partition(|a| a["alert"]["metadata"]["palisade_class"].is_array());
    assert!(detector
        .iter()
        .any(|a| a["alert"]["metadata"]["palisade_class"][0] == "default-credentials"));
    let sids: Vec<u64> = alerts
        .iter()
        .filter_map(|a| a["alert"]["signature_id"].as_u64())
        .collect();
    let mut sorted = sids.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, vec![1, 2, 4], "alerts: {alerts:?}");
    for a in &alerts {
        assert_eq!(a["app_proto"], "mqtt");
        assert!(a["tx_id"].is_u64(), "{a}");
    }
}
