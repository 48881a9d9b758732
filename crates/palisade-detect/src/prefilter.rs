//! Multi-pattern prefilter: one Aho-Corasick automaton over the fast
//! patterns of the signatures that inspect one buffer in one group.
//!
//! The automaton is ASCII case-insensitive for every pattern: a
//! case-sensitive pattern found with the wrong case only makes its
//! signature a candidate, and the full evaluation (which always runs on
//! candidates) rejects it. One automaton instead of two halves the scans;
//! the cost is a few spurious candidates, which are rare in real traffic.
//! Overlapping search is needed because every pattern present must be
//! reported, not only the leftmost-longest one.

use aho_corasick::automaton::Automaton;
use aho_corasick::{AhoCorasick, Anchored, Input, MatchKind, Span, StartKind};

/// Signatures are numbered densely; candidates are collected as indexes.
pub type SigIdx = u32;

/// Builder: add (pattern, signature) pairs, then [`PrefilterBuilder::build`].
#[derive(Default)]
pub struct PrefilterBuilder {
    patterns: Vec<Vec<u8>>,
    index: std::collections::HashMap<Vec<u8>, usize>,
    sigs: Vec<Vec<SigIdx>>,
}

impl PrefilterBuilder {
    /// Registers `sig` under `pattern` (patterns are deduplicated ignoring ASCII case).
    pub fn add(&mut self, pattern: &[u8], sig: SigIdx) {
        let key = pattern.to_ascii_lowercase();
        let i = match self.index.get(&key) {
            Some(&i) => i,
            None => {
                let i = self.patterns.len();
                self.patterns.push(key.clone());
                self.index.insert(key, i);
                self.sigs.push(Vec::new());
                i
            }
        };
        if let Some(list) = self.sigs.get_mut(i) {
            list.push(sig);
        }
    }

    /// True if nothing was added.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Builds the automata (None when empty).
    pub fn build(self) -> Result<Option<Prefilter>, String> {
        if self.patterns.is_empty() {
            return Ok(None);
        }
        let n = self.patterns.len();
        if n > PACKED_MAX && n <= BUCKETED_MAX {
            if let Some(p) = self.build_buckets()? {
                return Ok(Some(p));
            }
        }
        self.build_one()
    }

    /// Medium sets as buckets of at most [`PACKED_MAX`] patterns, each a
    /// packed (Teddy) prefilter of its own, scanned one after the other:
    /// k SIMD passes at several GB/s each beat one automaton walk at
    /// 100-250 MB/s (`examples/prefilter_speed`) up to [`BUCKETED_MAX`]
    /// patterns. Patterns are sorted before they are cut into buckets, so
    /// patterns sharing leading bytes share a bucket and its Teddy masks
    /// stay selective. None when a bucket cannot use the packed searcher
    /// (no SIMD on this CPU): the caller builds one automaton instead.
    fn build_buckets(&self) -> Result<Option<Prefilter>, String> {
        let mut order: Vec<usize> = (0..self.patterns.len()).collect();
        order.sort_by(|&a, &b| self.patterns[a].cmp(&self.patterns[b]));
        // As few buckets as fit, of equal size: 66 patterns as 33 + 33,
        // not 64 + 2. A full bucket's Teddy puts four patterns behind each
        // of its 16 fingerprint bits and confirms far more often (ET Open's
        // 66 to-client stream patterns: 683 MB/s as 64 + 2, 2,114 as
        // 33 + 33 on random bytes; smaller buckets than needed measured no
        // better).
        let k = order.len().div_ceil(PACKED_MAX);
        let per = order.len().div_ceil(k);
        let mut buckets = Vec::with_capacity(k);
        for chunk in order.chunks(per) {
            let mut b = PrefilterBuilder::default();
            for &i in chunk {
                if let (Some(p), Some(sigs)) = (self.patterns.get(i), self.sigs.get(i)) {
                    for &s in sigs {
                        b.add(p, s);
                    }
                }
            }
            match b.build_one()? {
                Some(p) if p.packed.is_some() => buckets.push(p),
                _ => return Ok(None),
            }
        }
        // Many buckets of short or common patterns put a candidate
        // everywhere, and k SIMD passes each confirming at every candidate
        // lose to one automaton walk (ET Open's 832 User-Agent patterns:
        // 14 MB/s bucketed against 83 walked, on HTTP-like text). Decided
        // by counting candidates on a fixed probe, so the choice is the same
        // on every build of the same rules.
        if buckets.len() > BUCKETS_UNCHECKED && probe_candidates(&buckets) > MAX_PROBE_CANDIDATES {
            return Ok(None);
        }
        let max_len = self.patterns.iter().map(Vec::len).max().unwrap_or(0);
        let lower = buckets.iter().any(|b| b.lower);
        Ok(Some(Prefilter {
            walk: None,
            packed: None,
            lower,
            starts: None,
            at: None,
            sigs: Vec::new(),
            max_len,
            buckets,
            n_patterns: self.patterns.len(),
        }))
    }

    fn build_one(self) -> Result<Option<Prefilter>, String> {
        if self.patterns.is_empty() {
            return Ok(None);
        }
        let max_len = self.patterns.iter().map(Vec::len).max().unwrap_or(0);
        let err = |e: aho_corasick::BuildError| format!("building the prefilter: {e}");
        let n = self.patterns.len();
        // Large sets: the overlapping walk only (see `walk`).
        let walk = if n > WALK_MIN {
            let dfa = aho_corasick::dfa::Builder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .prefilter(false)
                .start_kind(StartKind::Unanchored)
                .build(&self.patterns);
            Some(match dfa {
                Ok(d) => Walker::Dfa(d),
                Err(_) => Walker::Nfa(
                    aho_corasick::nfa::contiguous::Builder::new()
                        .ascii_case_insensitive(true)
                        .match_kind(MatchKind::Standard)
                        .prefilter(false)
                        .build(&self.patterns)
                        .map_err(err)?,
                ),
            })
        } else {
            None
        };
        // Small sets: the SIMD packed searcher (Teddy) over lowercased
        // patterns, scanning a lowercased copy of the haystack when any
        // pattern has letters (Teddy itself is case-sensitive).
        let lower = self
            .patterns
            .iter()
            .any(|p| p.iter().any(u8::is_ascii_alphabetic));
        let packed = if n <= PACKED_MAX {
            aho_corasick::packed::Config::new()
                .heuristic_pattern_limits(false)
                .builder()
                .extend(self.patterns.iter())
                .build()
        } else {
            None
        };
        // Medium sets (or no SIMD): the crate's leftmost searcher.
        let starts = if walk.is_none() && packed.is_none() {
            Some(
                AhoCorasick::builder()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::LeftmostFirst)
                    .build(&self.patterns)
                    .map_err(err)?,
            )
        } else {
            None
        };
        // Both start finders need the anchored automaton.
        let at = if walk.is_none() {
            let dfa = aho_corasick::dfa::Builder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .start_kind(StartKind::Anchored)
                .build(&self.patterns);
            Some(match dfa {
                Ok(d) => AnchoredSearcher::Dfa(d),
                Err(_) => AnchoredSearcher::Nfa(
                    aho_corasick::nfa::contiguous::Builder::new()
                        .ascii_case_insensitive(true)
                        .match_kind(MatchKind::Standard)
                        .build(&self.patterns)
                        .map_err(err)?,
                ),
            })
        } else {
            None
        };
        Ok(Some(Prefilter {
            walk,
            packed,
            lower,
            starts,
            at,
            n_patterns: self.sigs.len(),
            sigs: self.sigs,
            max_len,
            buckets: Vec::new(),
        }))
    }
}

enum AnchoredSearcher {
    Dfa(aho_corasick::dfa::DFA),
    Nfa(aho_corasick::nfa::contiguous::NFA),
}

/// A built prefilter.
///
/// Every pattern occurrence must be reported (a signature is a candidate if
/// its pattern occurs anywhere), which is an overlapping search. The
/// crate's `find_overlapping_iter` walks the automaton one dependent table
/// load per byte through a trait object: 330-450 MB/s here
/// (`examples/prefilter_speed`). Three strategies, picked by set size and
/// measured with that example:
/// - up to [`PACKED_MAX`] patterns: the crate's SIMD packed searcher (Teddy)
///   finds the next position where a pattern starts (4-6 GB/s), then an
///   anchored DFA walk from there lists every pattern starting at it, and
///   the search resumes one byte later. Leftmost semantics return the
///   smallest start at or after the resume point, so nothing is missed.
///   Teddy is case-sensitive, so patterns are lowercased and so is a copy
///   of the haystack when any pattern has letters.
/// - up to [`BUCKETED_MAX`]: buckets of up to [`PACKED_MAX`] sorted
///   patterns, each searched as above (one lowercased copy for all).
/// - otherwise up to [`WALK_MIN`] (no SIMD): the same with the crate's
///   leftmost searcher and its rare-byte prefilters.
/// - larger sets: an overlapping walk of a DFA in our own loop (see
///   [`walk`]), faster than restarting at every candidate start when short
///   patterns put candidates everywhere.
pub struct Prefilter {
    walk: Option<Walker>,
    packed: Option<aho_corasick::packed::Searcher>,
    lower: bool,
    starts: Option<AhoCorasick>,
    at: Option<AnchoredSearcher>,
    sigs: Vec<Vec<SigIdx>>,
    max_len: usize,
    /// Medium sets: packed prefilters of up to [`PACKED_MAX`] patterns
    /// each, all scanned (the fields above are then unused).
    buckets: Vec<Prefilter>,
    /// Distinct patterns (in all buckets).
    n_patterns: usize,
}

impl Prefilter {
    /// Longest pattern (callers rescan `max_len - 1` bytes of old data so a
    /// pattern split across stream chunks is still found).
    pub fn max_len(&self) -> usize {
        self.max_len
    }

    /// Number of distinct patterns.
    pub fn patterns(&self) -> usize {
        self.n_patterns
    }

    /// Heap bytes of the automata.
    pub fn memory_usage(&self) -> usize {
        let a = match &self.at {
            Some(AnchoredSearcher::Dfa(d)) => d.memory_usage(),
            Some(AnchoredSearcher::Nfa(n)) => n.memory_usage(),
            None => 0,
        } + match &self.walk {
            Some(Walker::Dfa(d)) => d.memory_usage(),
            Some(Walker::Nfa(n)) => n.memory_usage(),
            None => 0,
        };
        a + self.starts.as_ref().map_or(0, |x| x.memory_usage())
            + self
                .sigs
                .iter()
                .map(|s| s.capacity() * 4 + 24)
                .sum::<usize>()
            + self
                .buckets
                .iter()
                .map(Prefilter::memory_usage)
                .sum::<usize>()
    }

    /// Adds every signature whose pattern occurs in `hay` to `out`.
    pub fn scan(&self, hay: &[u8], out: &mut CandidateSet) {
        if self.packed.is_some() || !self.buckets.is_empty() {
            // The lowercased copy is made once for all buckets.
            let mut lowered = std::mem::take(&mut out.lower);
            let text: &[u8] = if self.lower {
                // Written as a plain element loop so it vectorises.
                lowered.resize(hay.len(), 0);
                for (d, s) in lowered.iter_mut().zip(hay) {
                    *d = s.to_ascii_lowercase();
                }
                &lowered
            } else {
                hay
            };
            if self.buckets.is_empty() {
                self.scan_packed(text, hay, out);
            } else {
                for b in &self.buckets {
                    b.scan_packed(if b.lower { text } else { hay }, hay, out);
                }
            }
            out.lower = lowered;
            return;
        }
        match &self.walk {
            Some(Walker::Dfa(d)) => walk(d, &self.sigs, hay, out),
            Some(Walker::Nfa(n)) => walk(n, &self.sigs, hay, out),
            None => {
                let mut from = 0usize;
                while from < hay.len() {
                    let input = Input::new(hay).range(from..);
                    let Some(m) = self.starts.as_ref().and_then(|x| x.find(input)) else {
                        return;
                    };
                    let s = m.start();
                    match &self.at {
                        Some(AnchoredSearcher::Dfa(d)) => all_at(d, &self.sigs, hay, s, out),
                        Some(AnchoredSearcher::Nfa(n)) => all_at(n, &self.sigs, hay, s, out),
                        None => {}
                    }
                    from = s + 1;
                }
            }
        }
    }
}

impl Prefilter {
    /// The packed search: every start Teddy finds in `text` (the haystack,
    /// lowercased when patterns have letters), then every pattern at that
    /// start by the anchored automaton over `hay`.
    fn scan_packed(&self, text: &[u8], hay: &[u8], out: &mut CandidateSet) {
        let Some(packed) = &self.packed else {
            return;
        };
        let mut from = 0usize;
        while from < text.len() {
            let Some(m) = packed.find_in(text, Span::from(from..text.len())) else {
                break;
            };
            let s = m.start();
            match &self.at {
                Some(AnchoredSearcher::Dfa(d)) => all_at(d, &self.sigs, hay, s, out),
                Some(AnchoredSearcher::Nfa(n)) => all_at(n, &self.sigs, hay, s, out),
                None => {}
            }
            from = s + 1;
        }
    }
}

/// Every occurrence by an overlapping walk of an unanchored automaton: one
/// dependent table load per byte (~450 MB/s here), which beats the
/// leftmost-then-anchored search when a large set holds short or common
/// patterns and candidate starts are everywhere.
fn walk<A: Automaton>(a: &A, sigs: &[Vec<SigIdx>], hay: &[u8], out: &mut CandidateSet) {
    let Ok(mut sid) = a.start_state(Anchored::No) else {
        return;
    };
    for &b in hay {
        sid = a.next_state(Anchored::No, sid, b);
        if a.is_special(sid) && a.is_match(sid) {
            for i in 0..a.match_len(sid) {
                if let Some(list) = sigs.get(a.match_pattern(sid, i).as_usize()) {
                    for &x in list {
                        out.insert(x);
                    }
                }
            }
        }
    }
}

enum Walker {
    Dfa(aho_corasick::dfa::DFA),
    Nfa(aho_corasick::nfa::contiguous::NFA),
}

/// Reports every pattern that starts at `s` (and, since match states also
/// carry the patterns that are suffixes of the path walked, some that start
/// later: real occurrences too, so reporting them is harmless).
fn all_at<A: Automaton>(a: &A, sigs: &[Vec<SigIdx>], hay: &[u8], s: usize, out: &mut CandidateSet) {
    let Ok(mut sid) = a.start_state(Anchored::Yes) else {
        return;
    };
    for &b in hay.get(s..).unwrap_or(&[]) {
        sid = a.next_state(Anchored::Yes, sid, b);
        if a.is_special(sid) {
            if a.is_dead(sid) {
                return;
            }
            if a.is_match(sid) {
                for i in 0..a.match_len(sid) {
                    if let Some(list) = sigs.get(a.match_pattern(sid, i).as_usize()) {
                        for &x in list {
                            out.insert(x);
                        }
                    }
                }
            }
        }
    }
}

/// Pattern sets up to this size use the packed (SIMD) searcher.
pub const PACKED_MAX: usize = 64;

/// Pattern sets up to this size (and above [`PACKED_MAX`]) use packed
/// buckets of [`PACKED_MAX`] patterns: at most 16 SIMD passes, which beat
/// one automaton walk (`examples/prefilter_speed` over ET Open: the 718
/// to-server stream patterns 92-100 MB/s walked, 140-285 bucketed; 283
/// HTTP payload patterns 86-140 walked, 310-546 bucketed), unless the
/// patterns are common in ordinary traffic ([`probe_candidates`]).
pub const BUCKETED_MAX: usize = 1024;

/// Buckets up to this many are used without the probe (the sets of
/// [`PACKED_MAX`]..=256 patterns measured faster bucketed every time).
const BUCKETS_UNCHECKED: usize = 4;

/// Most matches all buckets together may find on the probe
/// ([`probe_candidates`]) for a large set to stay bucketed. ET Open's sets
/// find 0-2, except the 832 User-Agent patterns (895: they occur in
/// ordinary HTTP), the one set that runs slower bucketed.
const MAX_PROBE_CANDIDATES: usize = 256;

/// `n` bytes of a fixed xorshift sequence: the same on every build, for
/// the probe below and for measuring scan speed over binary-like input
/// (`examples/prefilter_speed`).
pub fn pseudo_random_bytes(n: usize) -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// Matches the packed searchers of `buckets` find on a fixed
/// 16 KiB probe: 8 KiB of pseudo-random bytes (binary payloads, video) and
/// 8 KiB of HTTP-like text.
fn probe_candidates(buckets: &[Prefilter]) -> usize {
    let mut probe = pseudo_random_bytes(8192);
    probe.extend(
        b"GET /index.html HTTP/1.1\r\nHost: camera.local\r\nUser-Agent: Mozilla/5.0 \
          (X11; Linux x86_64)\r\nAccept: */*\r\nConnection: keep-alive\r\n\r\n\
          {\"temp\": 21.5, \"device\": \"sensor-0042\", \"status\": \"ok\"}\n"
            .iter()
            .cycle()
            .take(8192),
    );
    let lowered = probe.to_ascii_lowercase();
    buckets
        .iter()
        .filter_map(|b| {
            let text = if b.lower { &lowered } else { &probe };
            b.packed.as_ref().map(|p| p.find_iter(text).count())
        })
        .sum()
}

/// Pattern sets larger than this use the overlapping walk.
pub const WALK_MIN: usize = 128;

/// Port sets with at most this many ports get their own prefilter per port.
pub const PORT_SPLIT_MAX: usize = 16;

/// Prefilters split by direction and port, as Suricata's signature group
/// heads: a signature with `flow:to_server` is only in the to-server half,
/// one with `flow:to_client` only in the to-client half, others in both.
/// Within a half, a signature whose destination ports (or, failing that,
/// source ports) are few goes into the prefilter of each of those ports and
/// the rest into an "any port" prefilter. A packet scans its direction's
/// any-port prefilter plus those of its destination and source ports, so a
/// camera's video stream (server to client, on a port no rule names) is
/// scanned only for the patterns of rules that apply to every port in that
/// direction.
#[derive(Default)]
pub struct PortPrefilterBuilder {
    halves: [Half; 2],
}

#[derive(Default)]
struct Half {
    any: PrefilterBuilder,
    by_dport: crate::portmap::PortMap<PrefilterBuilder>,
    by_sport: crate::portmap::PortMap<PrefilterBuilder>,
}

fn port_count(p: &palisade_rules::PortSet) -> usize {
    p.ranges()
        .iter()
        .map(|(a, b)| usize::from(*b - *a) + 1)
        .sum()
}

impl Half {
    fn add(
        &mut self,
        pattern: &[u8],
        sig: SigIdx,
        sp: &palisade_rules::PortSet,
        dp: &palisade_rules::PortSet,
        bidirectional: bool,
    ) {
        if !bidirectional && port_count(dp) <= PORT_SPLIT_MAX {
            for &(a, b) in dp.ranges() {
                for p in a..=b {
                    self.by_dport.entry(p).or_default().add(pattern, sig);
                }
            }
        } else if !bidirectional && port_count(sp) <= PORT_SPLIT_MAX {
            for &(a, b) in sp.ranges() {
                for p in a..=b {
                    self.by_sport.entry(p).or_default().add(pattern, sig);
                }
            }
        } else {
            self.any.add(pattern, sig);
        }
    }

    fn build(self, max_len: &mut usize) -> Result<BuiltHalf, String> {
        let any = self.any.build()?;
        *max_len = (*max_len).max(any.as_ref().map_or(0, |p| p.max_len()));
        let mut by = |m: crate::portmap::PortMap<PrefilterBuilder>| -> Result<crate::portmap::PortMap<Prefilter>, String> {
            let mut out = crate::portmap::PortMap::default();
            for (port, b) in m {
                if let Some(p) = b.build()? {
                    *max_len = (*max_len).max(p.max_len());
                    out.insert(port, p);
                }
            }
            Ok(out)
        };
        Ok(BuiltHalf {
            any,
            by_dport: by(self.by_dport)?,
            by_sport: by(self.by_sport)?,
        })
    }
}

impl PortPrefilterBuilder {
    /// Registers a signature's fast pattern under its direction and ports
    /// (`to_server`: Some(true) for `flow:to_server`, Some(false) for
    /// `flow:to_client`, None for either).
    pub fn add(
        &mut self,
        pattern: &[u8],
        sig: SigIdx,
        to_server: Option<bool>,
        sp: &palisade_rules::PortSet,
        dp: &palisade_rules::PortSet,
        bidirectional: bool,
    ) {
        for (i, half) in self.halves.iter_mut().enumerate() {
            let half_to_server = i == 0;
            if to_server.is_none_or(|d| d == half_to_server) {
                half.add(pattern, sig, sp, dp, bidirectional);
            }
        }
    }

    /// Builds (None when nothing was added).
    pub fn build(self) -> Result<Option<PortPrefilter>, String> {
        let mut max_len = 0;
        let [ts, tc] = self.halves;
        let halves = [ts.build(&mut max_len)?, tc.build(&mut max_len)?];
        if halves
            .iter()
            .all(|h| h.any.is_none() && h.by_dport.is_empty() && h.by_sport.is_empty())
        {
            return Ok(None);
        }
        Ok(Some(PortPrefilter { halves, max_len }))
    }
}

struct BuiltHalf {
    any: Option<Prefilter>,
    by_dport: crate::portmap::PortMap<Prefilter>,
    by_sport: crate::portmap::PortMap<Prefilter>,
}

/// Built per-direction, per-port prefilters.
pub struct PortPrefilter {
    halves: [BuiltHalf; 2],
    max_len: usize,
}

impl PortPrefilter {
    /// Longest pattern of any part.
    pub fn max_len(&self) -> usize {
        self.max_len
    }

    /// Adds the signatures whose pattern occurs in `hay` and whose direction
    /// and ports fit. A packet outside any flow uses the to-server half (it
    /// holds every signature without a direction; the others need a flow).
    pub fn scan(
        &self,
        to_server: bool,
        sport: u16,
        dport: u16,
        hay: &[u8],
        out: &mut CandidateSet,
    ) {
        if hay.is_empty() {
            return;
        }
        let Some(h) = self.halves.get(usize::from(!to_server)) else {
            return;
        };
        if let Some(p) = &h.any {
            p.scan(hay, out);
        }
        if let Some(p) = h.by_dport.get(&dport) {
            p.scan(hay, out);
        }
        if let Some(p) = h.by_sport.get(&sport) {
            p.scan(hay, out);
        }
    }

    /// Every part with a name (`to_server any`, `to_client dport 23`, ...).
    pub fn parts(&self) -> Vec<(String, &Prefilter)> {
        let mut v: Vec<(String, &Prefilter)> = Vec::new();
        for (h, dir) in self.halves.iter().zip(["to_server", "to_client"]) {
            if let Some(p) = &h.any {
                v.push((format!("{dir} any"), p));
            }
            let mut d: Vec<_> = h.by_dport.iter().collect();
            d.sort_by_key(|(k, _)| **k);
            v.extend(d.into_iter().map(|(k, p)| (format!("{dir} dport {k}"), p)));
            let mut s: Vec<_> = h.by_sport.iter().collect();
            s.sort_by_key(|(k, _)| **k);
            v.extend(s.into_iter().map(|(k, p)| (format!("{dir} sport {k}"), p)));
        }
        v
    }

    /// Heap bytes.
    pub fn memory_usage(&self) -> usize {
        self.parts().iter().map(|(_, p)| p.memory_usage()).sum()
    }
}

/// A set of signature indexes that is cleared in time proportional to its
/// size, not to the number of signatures (a bitmap plus the list of members).
#[derive(Default)]
pub struct CandidateSet {
    bits: Vec<u64>,
    members: Vec<SigIdx>,
    /// Scratch for lowercased haystacks.
    lower: Vec<u8>,
}

impl CandidateSet {
    /// A set for `n` signatures.
    pub fn with_capacity(n: usize) -> CandidateSet {
        CandidateSet {
            bits: vec![0; n.div_ceil(64)],
            members: Vec::with_capacity(64),
            lower: Vec::new(),
        }
    }

    /// Adds `s` (ignored if out of range).
    pub fn insert(&mut self, s: SigIdx) {
        let (w, b) = ((s / 64) as usize, s % 64);
        if let Some(word) = self.bits.get_mut(w) {
            if *word & (1 << b) == 0 {
                *word |= 1 << b;
                self.members.push(s);
            }
        }
    }

    /// Members in insertion order; [`CandidateSet::sort`] orders them.
    pub fn members(&self) -> &[SigIdx] {
        &self.members
    }

    /// Sorts the members by index (signature order).
    pub fn sort(&mut self) {
        self.members.sort_unstable();
    }

    /// Empties the set.
    pub fn clear(&mut self) {
        for &s in &self.members {
            if let Some(word) = self.bits.get_mut((s / 64) as usize) {
                *word = 0;
            }
        }
        self.members.clear();
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// True if empty.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// All three strategies report exactly the patterns a naive search finds.
    #[test]
    fn strategies_agree_with_naive_search() {
        let mut x: u64 = 0x1234_5678_9abc_def1;
        let mut rnd = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let small: &[u8] = b"abcAB\x00\x01";
        let large: &[u8] = b"abcdefgABCD\x00\x01\x02/:";
        for (count, alphabet) in [
            (5usize, small),
            (40, small),
            (100, small),
            (150, large),
            (230, large),
            (300, small),
            (600, large),
        ] {
            let pats: Vec<Vec<u8>> = (0..count)
                .map(|_| {
                    // the largest set of longer patterns: many buckets that
                    // pass the probe; the others as they come
                    let len = if count > 500 { 4 } else { 1 } + (rnd() % 5) as usize;
                    (0..len)
                        .map(|_| alphabet[(rnd() % alphabet.len() as u64) as usize])
                        .collect()
                })
                .collect();
            let mut b = PrefilterBuilder::default();
            for (i, p) in pats.iter().enumerate() {
                b.add(p, i as SigIdx);
            }
            let pf = b.build().unwrap().unwrap();
            let n = pf.patterns();
            #[cfg(target_arch = "x86_64")]
            if n > PACKED_MAX
                && (n <= PACKED_MAX * BUCKETS_UNCHECKED || count > 500)
                && std::arch::is_x86_feature_detected!("ssse3")
            {
                assert!(!pf.buckets.is_empty(), "{n} patterns: bucketed");
            }
            for _ in 0..50 {
                let len = (rnd() % 200) as usize;
                let hay: Vec<u8> = (0..len)
                    .map(|_| alphabet[(rnd() % alphabet.len() as u64) as usize])
                    .collect();
                let lower = hay.to_ascii_lowercase();
                let mut want: Vec<SigIdx> = pats
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| {
                        let p = p.to_ascii_lowercase();
                        lower.windows(p.len()).any(|w| w == &p[..])
                    })
                    .map(|(i, _)| i as SigIdx)
                    .collect();
                want.sort_unstable();
                let mut c = CandidateSet::with_capacity(count);
                pf.scan(&hay, &mut c);
                c.sort();
                assert_eq!(c.members(), &want[..], "count {count} hay {hay:?}");
            }
        }
    }

    #[test]
    fn finds_overlapping_and_case_insensitive() {
        let mut b = PrefilterBuilder::default();
        b.add(b"abc", 0);
        b.add(b"bcd", 1);
        b.add(b"ABC", 2);
        b.add(b"zzz", 3);
        let p = b.build().unwrap().unwrap();
        assert_eq!(p.patterns(), 3);
        let mut c = CandidateSet::with_capacity(4);
        p.scan(b"xxAbCdxx", &mut c);
        c.sort();
        assert_eq!(c.members(), &[0, 1, 2]);
        c.clear();
        assert!(c.is_empty());
        p.scan(b"zzz", &mut c);
        assert_eq!(c.members(), &[3]);
        c.insert(3);
        assert_eq!(c.len(), 1);
        c.insert(1000);
        assert_eq!(c.len(), 1);
    }
}
