//! Histogram of fast-pattern lengths of the payload (stream/packet) signatures.
use palisade_detect::{BufferId, BuildOptions, RuleSet, RuleSource, SigKind};
fn main() {
    let sources: Vec<RuleSource> = std::env::args()
        .skip(1)
        .map(|p| RuleSource {
            text: std::fs::read_to_string(&p).unwrap_or_default(),
            name: p,
        })
        .collect();
    let (set, _) = RuleSet::build(&sources, &BuildOptions::default());
    let mut hist = std::collections::BTreeMap::new();
    for s in set.signatures() {
        if matches!(s.kind, SigKind::Stream | SigKind::Packet) {
            if let Some((b, p)) = &s.fast_pattern {
                if *b == BufferId::PAYLOAD {
                    *hist.entry(p.len().min(12)).or_insert(0) += 1;
                    if p.len() <= 2 {
                        println!("{:?} sid {}", String::from_utf8_lossy(p), s.sid);
                    }
                }
            }
        }
    }
    println!("{hist:?}");
}
