//! Lists the payload signatures that land in the any-port prefilters, with
//! why they are packet signatures, for tuning grouping.
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
        if s.kind == SigKind::Packet && s.proto.classes & 1 != 0 {
            if let Some((b, p)) = &s.fast_pattern {
                let anyport =
                    s.dp.ranges()
                        .iter()
                        .map(|(a, b)| usize::from(*b - *a) + 1)
                        .sum::<usize>()
                        > 64
                        && s.sp
                            .ranges()
                            .iter()
                            .map(|(a, b)| usize::from(*b - *a) + 1)
                            .sum::<usize>()
                            > 64;
                if *b == BufferId::PAYLOAD && anyport {
                    let why: Vec<String> = s
                        .header
                        .iter()
                        .map(|h| format!("{h:?}").chars().take(20).collect())
                        .collect();
                    *hist
                        .entry(format!(
                            "{:?} {:?}",
                            s.proto.app_proto,
                            why.first()
                                .map(|w| w.split('(').next().unwrap_or("").to_string())
                        ))
                        .or_insert(0) += 1;
                }
            }
        }
    }
    for (k, v) in hist {
        println!("{v:>5} {k}");
    }
}
