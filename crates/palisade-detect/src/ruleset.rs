//! Building an immutable rule set from rule files: compile every rule, keep
//! the good ones, report the bad ones by file:line, sid and reason, then
//! group the signatures for fast inspection.
//!
//! Grouping: signatures are split by L4 class (TCP, UDP, ICMP, other; an
//! `ip` rule is in all four) and by how they inspect (packet, stream,
//! transaction, IP-only). Within each, signatures with a fast pattern go
//! into a prefilter automaton per buffer; those without one are indexed by
//! a specific destination or source port when they have few, else kept in
//! an "any port" list. IP-only signatures are indexed by the interval of
//! addresses on their more selective side. A packet therefore only fully
//! evaluates the signatures whose pattern is present or whose ports and
//! addresses fit, never the whole list.

use crate::buffers::{self, BufferId};
use crate::keywords::flowbits::Interner;
use crate::prefilter::{
    CandidateSet, PortPrefilter, PortPrefilterBuilder, Prefilter, PrefilterBuilder, SigIdx,
};
use crate::signature::{
    compile, CompileEnv, SigKind, Signature, PROTO_ICMP, PROTO_OTHER, PROTO_TCP, PROTO_UDP,
};
use palisade_rules::{
    parse_rules, Classifications, IpSet, PortSet, ThresholdConfig, ThresholdEntryKind, Track, Vars,
};
use std::collections::HashMap;
use std::time::Instant;

/// Packet signatures that only match payloads shorter than this get their
/// own prefilter, skipped for bigger packets (a video stream's full-size
/// segments never scan the patterns of `dsize:<100` rules).
pub const SMALL_PAYLOAD: usize = 256;

/// Port sets with at most this many ports are indexed port by port.
const PORT_INDEX_MAX: usize = 64;
/// An address side covering at most this many IPv4 addresses is indexed.
const IP_INDEX_MAX_V4: u64 = 1 << 16;

/// One rule text to load.
#[derive(Clone, Debug)]
pub struct RuleSource {
    /// File name (or `builtin:name`) used in messages.
    pub name: String,
    /// The rules.
    pub text: String,
}

/// What building needs besides the rules.
#[derive(Clone, Debug, Default)]
pub struct BuildOptions {
    /// Variables.
    pub vars: Vars,
    /// Classifications (built-in plus user file).
    pub classifications: Classifications,
    /// threshold.config, if any.
    pub thresholds: Option<ThresholdConfig>,
}

/// A rule that did not load.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LoadFailure {
    /// File.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column of the problem.
    pub column: u32,
    /// sid, if it could be found.
    pub sid: Option<u32>,
    /// Full reason.
    pub reason: String,
    /// Reason class, for grouping.
    #[serde(skip)]
    pub group: String,
}

/// Result of loading.
#[derive(Clone, Debug, Default)]
pub struct LoadReport {
    /// Rules loaded.
    pub loaded: usize,
    /// Rules that failed.
    pub failures: Vec<LoadFailure>,
    /// Duplicate gid:sid pairs (the higher rev was kept).
    pub duplicates: usize,
    /// Time taken to parse, compile and group.
    pub build_seconds: f64,
}

impl LoadReport {
    /// Failures counted by reason class, most common first.
    pub fn failures_by_reason(&self) -> Vec<(String, usize)> {
        let mut m: HashMap<&str, usize> = HashMap::new();
        for f in &self.failures {
            *m.entry(f.group.as_str()).or_default() += 1;
        }
        let mut v: Vec<(String, usize)> = m.into_iter().map(|(k, n)| (k.to_string(), n)).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v
    }
}

/// Signatures without a fast pattern, indexed by port.
#[derive(Default)]
pub(crate) struct PortIndex {
    by_dport: crate::portmap::PortMap<Vec<SigIdx>>,
    by_sport: crate::portmap::PortMap<Vec<SigIdx>>,
    any: Vec<SigIdx>,
}

fn port_count(p: &PortSet) -> usize {
    p.ranges()
        .iter()
        .map(|(a, b)| usize::from(*b - *a) + 1)
        .sum()
}

impl PortIndex {
    fn insert(&mut self, sig: &Signature) {
        let i = sig.index;
        if !sig.bidirectional && port_count(&sig.dp) <= PORT_INDEX_MAX {
            for &(a, b) in sig.dp.ranges() {
                for p in a..=b {
                    self.by_dport.entry(p).or_default().push(i);
                }
            }
        } else if !sig.bidirectional && port_count(&sig.sp) <= PORT_INDEX_MAX {
            for &(a, b) in sig.sp.ranges() {
                for p in a..=b {
                    self.by_sport.entry(p).or_default().push(i);
                }
            }
        } else {
            self.any.push(i);
        }
    }

    pub(crate) fn collect(&self, sport: u16, dport: u16, out: &mut CandidateSet) {
        if let Some(v) = self.by_dport.get(&dport) {
            v.iter().for_each(|&s| out.insert(s));
        }
        if let Some(v) = self.by_sport.get(&sport) {
            v.iter().for_each(|&s| out.insert(s));
        }
        self.any.iter().for_each(|&s| out.insert(s));
    }

    fn len(&self) -> usize {
        self.by_dport.values().map(Vec::len).sum::<usize>()
            + self.by_sport.values().map(Vec::len).sum::<usize>()
            + self.any.len()
    }
}

/// Signatures of one L4 class.
#[derive(Default)]
pub(crate) struct Group {
    pub(crate) packet_pf: Option<PortPrefilter>,
    pub(crate) packet_rest: PortIndex,
    /// Packet signatures whose `dsize` only allows payloads shorter than
    /// [`SMALL_PAYLOAD`]: scanned only for such packets.
    pub(crate) packet_small_pf: Option<PortPrefilter>,
    /// Payload signatures of an app-layer protocol (`alert dns ... content`):
    /// (protocol, packet prefilter, stream prefilter), scanned only on flows
    /// of that protocol.
    pub(crate) app_payload_pf: Vec<(&'static str, Option<PortPrefilter>, Option<PortPrefilter>)>,
    pub(crate) stream_pf: Option<PortPrefilter>,
    pub(crate) stream_rest: PortIndex,
    /// Per buffer id: prefilter over that buffer for app signatures.
    pub(crate) app_pf: Vec<(BufferId, Prefilter)>,
    /// App signatures without a fast pattern, per app protocol.
    pub(crate) app_rest: HashMap<&'static str, Vec<SigIdx>>,
}

/// IP-only signatures indexed by address interval.
#[derive(Default)]
pub(crate) struct IpOnlyIndex {
    /// Elementary IPv4 intervals (start) → signatures whose indexed side covers them.
    v4_starts: Vec<u32>,
    v4_sigs: Vec<Vec<SigIdx>>,
    /// (is_src_side) per signature in the index.
    pub(crate) rest: Vec<SigIdx>,
    side_src: HashMap<SigIdx, bool>,
}

impl IpOnlyIndex {
    fn build(sigs: &[&Signature]) -> IpOnlyIndex {
        let mut idx = IpOnlyIndex::default();
        // Choose a side per signature.
        let mut ranges: Vec<(u32, u32, SigIdx)> = Vec::new();
        for s in sigs {
            let cover = |set: &IpSet| -> Option<u64> {
                if !set.v6_ranges().is_empty() {
                    return None;
                }
                Some(
                    set.v4_ranges()
                        .iter()
                        .map(|(a, b)| u64::from(*b - *a) + 1)
                        .sum(),
                )
            };
            let (cs, cd) = (cover(&s.src), cover(&s.dst));
            let pick = match (cs, cd) {
                (Some(a), Some(b)) if a <= b && a <= IP_INDEX_MAX_V4 => Some(true),
                (_, Some(b)) if b <= IP_INDEX_MAX_V4 => Some(false),
                (Some(a), _) if a <= IP_INDEX_MAX_V4 => Some(true),
                _ => None,
            };
            match pick {
                Some(src_side) if !s.bidirectional => {
                    idx.side_src.insert(s.index, src_side);
                    let set = if src_side { &s.src } else { &s.dst };
                    for &(a, b) in set.v4_ranges() {
                        ranges.push((a, b, s.index));
                    }
                }
                _ => idx.rest.push(s.index),
            }
        }
        // Elementary intervals: every range start and end+1 is a boundary.
        let mut bounds: Vec<u32> = Vec::with_capacity(ranges.len() * 2);
        for &(a, b, _) in &ranges {
            bounds.push(a);
            if let Some(n) = b.checked_add(1) {
                bounds.push(n);
            }
        }
        bounds.sort_unstable();
        bounds.dedup();
        let mut lists: Vec<Vec<SigIdx>> = vec![Vec::new(); bounds.len()];
        for &(a, b, s) in &ranges {
            let first = bounds.partition_point(|x| *x < a);
            let mut i = first;
            while let Some(&start) = bounds.get(i) {
                if start > b {
                    break;
                }
                if let Some(l) = lists.get_mut(i) {
                    l.push(s);
                }
                i += 1;
            }
        }
        idx.v4_starts = bounds;
        idx.v4_sigs = lists;
        idx
    }

    /// Adds candidates for a packet from `src` to `dst` (IPv4 raw values;
    /// IPv6 packets only see the unindexed list).
    pub(crate) fn collect(&self, src: Option<u32>, dst: Option<u32>, out: &mut CandidateSet) {
        for ip in [src, dst].into_iter().flatten() {
            let i = self.v4_starts.partition_point(|x| *x <= ip);
            if i == 0 {
                continue;
            }
            if let Some(list) = self.v4_sigs.get(i - 1) {
                for &s in list {
                    out.insert(s);
                }
            }
        }
        for &s in &self.rest {
            out.insert(s);
        }
    }
}

/// A threshold.config `suppress`: gid, sid (0 = all), and the tracked
/// addresses (None = every alert of the rule).
pub(crate) type Suppression = (u32, u32, Option<(Track, IpSet)>);

/// An immutable, shareable rule set.
pub struct RuleSet {
    pub(crate) sigs: Vec<Signature>,
    pub(crate) names: Interner,
    pub(crate) groups: [Group; 4],
    pub(crate) iponly: [IpOnlyIndex; 4],
    /// Suppressions from threshold.config: (gid, sid) → (track, addresses); sid 0 = all.
    pub(crate) suppress: Vec<Suppression>,
    memory: usize,
}

/// Suricata's evaluation order: by action (pass, drop, reject, alert), then
/// flowbits setters before readers, then flowint setters before readers,
/// then priority; stable, so file order breaks ties. Evaluating in this
/// order and applying each match's side effects at once lets a rule that
/// sets a flowbit enable a rule that checks it on the same packet.
fn order(sigs: &mut [Signature]) {
    fn class(set: bool, read: bool) -> u8 {
        match (set, read) {
            (true, false) => 0,
            (true, true) => 1,
            (false, true) => 2,
            (false, false) => 3,
        }
    }
    sigs.sort_by_key(|s| {
        let fb = class(
            s.flowbits.iter().any(|f| !f.is_condition()),
            s.flowbits.iter().any(|f| f.is_condition()),
        );
        let fi = class(
            s.flowints.iter().any(|f| !f.is_condition()),
            s.flowints.iter().any(|f| f.is_condition()),
        );
        (s.action.precedence(), fb, fi, s.priority)
    });
    for (i, s) in sigs.iter_mut().enumerate() {
        s.index = i as u32;
    }
}

/// Group position of an L4 class bit.
pub(crate) fn class_slot(class: u8) -> usize {
    match class {
        PROTO_TCP => 0,
        PROTO_UDP => 1,
        PROTO_ICMP => 2,
        _ => 3,
    }
}

impl RuleSet {
    /// An empty rule set.
    pub fn empty() -> RuleSet {
        RuleSet::build(&[], &BuildOptions::default()).0
    }

    /// Parses, compiles and groups `sources`.
    pub fn build(sources: &[RuleSource], opts: &BuildOptions) -> (RuleSet, LoadReport) {
        let started = Instant::now();
        let mut report = LoadReport::default();
        let mut names = Interner::default();
        let mut sigs: Vec<Signature> = Vec::new();
        let mut by_id: HashMap<(u32, u32), usize> = HashMap::new();
        let classifications = if opts.classifications.is_empty() {
            Classifications::builtin()
        } else {
            opts.classifications.clone()
        };
        for src in sources {
            let file = parse_rules(&src.text);
            for entry in &file.entries {
                let fail = |span: palisade_rules::Span, reason: String, group: String| {
                    let lc = file.lines.line_col(span.start);
                    LoadFailure {
                        file: src.name.clone(),
                        line: lc.line,
                        column: lc.column,
                        sid: entry.sid(),
                        reason,
                        group,
                    }
                };
                let rule = match &entry.result {
                    Ok(r) => r,
                    Err(e) => {
                        report.failures.push(fail(
                            e.span,
                            e.message.clone(),
                            "syntax error".into(),
                        ));
                        continue;
                    }
                };
                let mut env = CompileEnv {
                    vars: &opts.vars,
                    classifications: &classifications,
                    names: &mut names,
                };
                match compile(rule, sigs.len() as u32, &mut env) {
                    Ok(sig) => {
                        let key = (sig.gid, sig.sid);
                        if let Some(&prev) = by_id.get(&key) {
                            report.duplicates += 1;
                            if sigs.get(prev).is_some_and(|p| p.rev < sig.rev) {
                                if let Some(slot) = sigs.get_mut(prev) {
                                    let index = slot.index;
                                    *slot = sig;
                                    slot.index = index;
                                }
                            }
                            continue;
                        }
                        by_id.insert(key, sigs.len());
                        sigs.push(sig);
                    }
                    Err(e) => report.failures.push(fail(e.span, e.reason, e.group)),
                }
            }
        }
        order(&mut sigs);
        let mut suppress = Vec::new();
        if let Some(tc) = &opts.thresholds {
            for e in &tc.entries {
                match &e.kind {
                    ThresholdEntryKind::Threshold(spec) => {
                        for s in sigs.iter_mut() {
                            if (e.sid == 0 || s.sid == e.sid) && (e.gid == 0 || s.gid == e.gid) {
                                s.threshold = Some(spec.clone());
                            }
                        }
                    }
                    ThresholdEntryKind::SuppressAll => suppress.push((e.gid, e.sid, None)),
                    ThresholdEntryKind::Suppress { track, ips } => {
                        suppress.push((e.gid, e.sid, Some((*track, ips.clone()))))
                    }
                }
            }
        }
        report.loaded = sigs.len();
        let mut set = RuleSet {
            sigs,
            names,
            groups: Default::default(),
            iponly: Default::default(),
            suppress,
            memory: 0,
        };
        set.group();
        report.build_seconds = started.elapsed().as_secs_f64();
        (set, report)
    }

    fn group(&mut self) {
        let mut packet_pf: [PortPrefilterBuilder; 4] = Default::default();
        let mut stream_pf: [PortPrefilterBuilder; 4] = Default::default();
        let mut small_pf: [PortPrefilterBuilder; 4] = Default::default();
        type AppPf = HashMap<&'static str, (PortPrefilterBuilder, PortPrefilterBuilder)>;
        let mut app_payload: [AppPf; 4] = Default::default();
        let mut app_pf: [HashMap<BufferId, PrefilterBuilder>; 4] = Default::default();
        let mut iponly: [Vec<&Signature>; 4] = Default::default();
        let mut groups: [Group; 4] = Default::default();
        for sig in &self.sigs {
            let dir = sig.flow.as_ref().and_then(|f| f.direction());
            for class in [PROTO_TCP, PROTO_UDP, PROTO_ICMP, PROTO_OTHER] {
                if sig.proto.classes & class == 0 {
                    continue;
                }
                let g = class_slot(class);
                let (Some(group), Some(ppf), Some(spf), Some(apf), Some(ipo)) = (
                    groups.get_mut(g),
                    packet_pf.get_mut(g),
                    stream_pf.get_mut(g),
                    app_pf.get_mut(g),
                    iponly.get_mut(g),
                ) else {
                    continue;
                };
                let payload_pattern = match &sig.fast_pattern {
                    Some((b, pat)) if *b == BufferId::PAYLOAD => Some(pat),
                    _ => None,
                };
                // Payload rules of an app-layer protocol: their own prefilter.
                if let (Some(ap), Some(pat), SigKind::Packet | SigKind::Stream) =
                    (sig.proto.app_proto, payload_pattern, sig.kind)
                {
                    if let Some(m) = app_payload.get_mut(g) {
                        let (pk, st) = m.entry(ap).or_default();
                        // Stream signatures also see packets outside a stream.
                        pk.add(pat, sig.index, dir, &sig.sp, &sig.dp, sig.bidirectional);
                        if sig.kind == SigKind::Stream {
                            st.add(pat, sig.index, dir, &sig.sp, &sig.dp, sig.bidirectional);
                        }
                    }
                    continue;
                }
                let small = sig.header.iter().any(|h| match h {
                    crate::header::HeaderMatch::Dsize(d) => {
                        d.cmp.max_matching() < SMALL_PAYLOAD as u64
                    }
                    _ => false,
                });
                match sig.kind {
                    SigKind::IpOnly => ipo.push(sig),
                    SigKind::Packet => match payload_pattern {
                        Some(pat) if small => {
                            if let Some(b) = small_pf.get_mut(g) {
                                b.add(pat, sig.index, dir, &sig.sp, &sig.dp, sig.bidirectional)
                            }
                        }
                        Some(pat) => {
                            ppf.add(pat, sig.index, dir, &sig.sp, &sig.dp, sig.bidirectional)
                        }
                        _ => group.packet_rest.insert(sig),
                    },
                    SigKind::Stream => match &sig.fast_pattern {
                        Some((b, pat)) if *b == BufferId::PAYLOAD => {
                            // Stream signatures also inspect packets outside a stream.
                            // The same prefilter serves packets outside a stream.
                            spf.add(pat, sig.index, dir, &sig.sp, &sig.dp, sig.bidirectional);
                        }
                        _ => group.stream_rest.insert(sig),
                    },
                    SigKind::App => match &sig.fast_pattern {
                        Some((b, pat)) if *b != BufferId::PAYLOAD => {
                            apf.entry(*b).or_default().add(pat, sig.index)
                        }
                        _ => group
                            .app_rest
                            .entry(sig.proto.app_proto.unwrap_or(""))
                            .or_default()
                            .push(sig.index),
                    },
                }
            }
        }
        let mut memory = 0;
        for (g, group) in groups.iter_mut().enumerate() {
            let take = |b: &mut PortPrefilterBuilder| std::mem::take(b).build().ok().flatten();
            if let Some(b) = packet_pf.get_mut(g) {
                group.packet_pf = take(b);
            }
            if let Some(b) = stream_pf.get_mut(g) {
                group.stream_pf = take(b);
            }
            if let Some(b) = small_pf.get_mut(g) {
                group.packet_small_pf = take(b);
            }
            if let Some(m) = app_payload.get_mut(g) {
                let mut v: Vec<_> = m
                    .drain()
                    .map(|(ap, (pk, st))| {
                        (ap, pk.build().ok().flatten(), st.build().ok().flatten())
                    })
                    .collect();
                v.sort_by_key(|(ap, _, _)| *ap);
                for (_, pk, st) in &v {
                    memory += pk.as_ref().map_or(0, |p| p.memory_usage())
                        + st.as_ref().map_or(0, |p| p.memory_usage());
                }
                group.app_payload_pf = v;
            }
            if let Some(m) = app_pf.get_mut(g) {
                let mut v: Vec<(BufferId, Prefilter)> = m
                    .drain()
                    .filter_map(|(id, b)| b.build().ok().flatten().map(|p| (id, p)))
                    .collect();
                v.sort_by_key(|(id, _)| *id);
                group.app_pf = v;
            }
            for p in [&group.packet_pf, &group.stream_pf, &group.packet_small_pf]
                .into_iter()
                .flatten()
            {
                memory += p.memory_usage();
            }
            memory += group
                .app_pf
                .iter()
                .map(|(_, p)| p.memory_usage())
                .sum::<usize>();
            memory += (group.packet_rest.len() + group.stream_rest.len()) * 4;
        }
        for (g, list) in iponly.iter().enumerate() {
            if let Some(slot) = self.iponly.get_mut(g) {
                *slot = IpOnlyIndex::build(list);
            }
        }
        self.groups = groups;
        self.memory = memory;
    }

    /// Every prefilter with a name (`tcp/stream`, `udp/packet`,
    /// `tcp/app/http.uri`, ...), for reports and benchmarks.
    pub fn prefilters(&self) -> Vec<(String, &Prefilter)> {
        let mut v = Vec::new();
        for (g, name) in self.groups.iter().zip(["tcp", "udp", "icmp", "other"]) {
            for (kind, pf) in [("packet", &g.packet_pf), ("stream", &g.stream_pf)] {
                if let Some(p) = pf {
                    for (part, pp) in p.parts() {
                        v.push((format!("{name}/{kind}/{part}"), pp));
                    }
                }
            }
            for (ap, pk, st) in &g.app_payload_pf {
                for (kind, pf) in [("packet", pk), ("stream", st)] {
                    if let Some(p) = pf {
                        for (part, pp) in p.parts() {
                            v.push((format!("{name}/{ap}-payload/{kind}/{part}"), pp));
                        }
                    }
                }
            }
            for (id, p) in &g.app_pf {
                v.push((format!("{name}/app/{}", id.name()), p));
            }
        }
        v
    }

    /// Flowbit, flowint and xbit names by id.
    pub fn variable_names(&self) -> &Interner {
        &self.names
    }

    /// The signatures, by index.
    pub fn signatures(&self) -> &[Signature] {
        &self.sigs
    }

    /// A signature by index.
    pub fn signature(&self, i: SigIdx) -> Option<&Signature> {
        self.sigs.get(i as usize)
    }

    /// Number of signatures.
    pub fn len(&self) -> usize {
        self.sigs.len()
    }

    /// True with no signatures.
    pub fn is_empty(&self) -> bool {
        self.sigs.is_empty()
    }

    /// Approximate heap bytes of the prefilters and indexes.
    pub fn index_memory(&self) -> usize {
        self.memory
    }

    /// Signatures per kind: (ip-only, packet, stream, app).
    pub fn kinds(&self) -> (usize, usize, usize, usize) {
        let mut k = (0, 0, 0, 0);
        for s in &self.sigs {
            match s.kind {
                SigKind::IpOnly => k.0 += 1,
                SigKind::Packet => k.1 += 1,
                SigKind::Stream => k.2 += 1,
                SigKind::App => k.3 += 1,
            }
        }
        k
    }

    /// Buffer ids used by app signatures of any group (for protocols to know what to expose).
    pub fn app_buffers(&self) -> Vec<BufferId> {
        let mut v: Vec<BufferId> = self
            .sigs
            .iter()
            .flat_map(|s| s.buffers.iter().copied())
            .filter(|b| *b != BufferId::PAYLOAD)
            .collect();
        v.sort_unstable();
        v.dedup();
        let _ = buffers::count();
        v
    }
}
