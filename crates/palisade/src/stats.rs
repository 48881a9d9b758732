//! The EVE `stats` record, laid out as Suricata's: `decoder` (with
//! `decoder.event.<layer>.<name>` anomaly counts), `flow`, `tcp`, `defrag`.

use palisade_flow::EngineStats;
use palisade_wire::{DecodeEvent, DecodeStats};
use serde_json::{json, Map, Value};

/// Builds the `stats` object.
pub fn stats_json(
    dec: &DecodeStats,
    eng: &EngineStats,
    packets: u64,
    bytes: u64,
    input_errors: &[String],
) -> Value {
    let mut decoder = Map::new();
    for (name, v) in dec.counters() {
        decoder.insert(name.to_string(), json!(v));
    }
    let mut events: Map<String, Value> = Map::new();
    for &ev in DecodeEvent::ALL {
        let n = dec.events.get(ev.index()).copied().unwrap_or(0);
        let name = ev.name();
        let short = name.rsplit('.').next().unwrap_or(name);
        let layer = events
            .entry(ev.layer().to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(m) = layer {
            m.insert(short.to_string(), json!(n));
        }
    }
    decoder.insert("event".into(), Value::Object(events));
    let mut tcp = serde_json::to_value(&eng.tcp).unwrap_or_default();
    add_json(
        &mut tcp,
        &serde_json::to_value(&eng.reassembly).unwrap_or_default(),
    );
    let d = &eng.defrag;
    json!({
        "capture": {
            "packets": packets,
            "bytes": bytes,
            "input_errors": input_errors.len(),
        },
        "decoder": Value::Object(decoder),
        "flow": serde_json::to_value(&eng.flow).unwrap_or_default(),
        "tcp": tcp,
        "defrag": {
            "ipv4": { "fragments": d.ipv4_fragments, "reassembled": d.ipv4_reassembled },
            "ipv6": { "fragments": d.ipv6_fragments, "reassembled": d.ipv6_reassembled },
            "overlaps": d.overlaps,
            "max_frag_hits": d.max_frag_hits,
            "too_large": d.too_large,
            "timeouts": d.timeouts,
            "memcap_drops": d.memcap_drops,
        },
    })
}

/// Adds every number in `b` to the same path in `a` (inserting missing
/// keys); objects merge recursively.
pub fn add_json(a: &mut Value, b: &Value) {
    match (a, b) {
        (Value::Object(ma), Value::Object(mb)) => {
            for (k, vb) in mb {
                match ma.get_mut(k) {
                    Some(va) => add_json(va, vb),
                    None => {
                        ma.insert(k.clone(), vb.clone());
                    }
                }
            }
        }
        (Value::Number(na), Value::Number(nb)) => {
            if let (Some(x), Some(y)) = (na.as_u64(), nb.as_u64()) {
                *na = (x + y).into();
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_json_sums_nested_numbers() {
        let mut a = json!({"x": 1, "o": {"y": 2}});
        add_json(&mut a, &json!({"x": 3, "o": {"y": 4, "z": 5}, "w": 6}));
        assert_eq!(a, json!({"x": 4, "o": {"y": 6, "z": 5}, "w": 6}));
    }

    #[test]
    fn stats_layout_is_suricata_like() {
        let mut dec = DecodeStats::default();
        dec.events[DecodeEvent::Ipv4TruncPkt.index()] = 3;
        let v = stats_json(&dec, &EngineStats::default(), 10, 1000, &[]);
        assert_eq!(v["decoder"]["event"]["ipv4"]["trunc_pkt"], 3);
        assert_eq!(v["capture"]["packets"], 10);
        assert!(v["flow"]["total"].is_u64());
        assert!(v["tcp"]["reassembly_gap"].is_u64());
        assert!(v["defrag"]["ipv4"]["fragments"].is_u64());
    }
}
