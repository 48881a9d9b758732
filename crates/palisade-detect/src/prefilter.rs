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

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

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

    /// Builds the automaton (None when empty).
    pub fn build(self) -> Result<Option<Prefilter>, String> {
        if self.patterns.is_empty() {
            return Ok(None);
        }
        let max_len = self.patterns.iter().map(Vec::len).max().unwrap_or(0);
        let ac = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(&self.patterns)
            .map_err(|e| format!("building the prefilter: {e}"))?;
        Ok(Some(Prefilter {
            ac,
            sigs: self.sigs,
            max_len,
        }))
    }
}

/// A built prefilter.
pub struct Prefilter {
    ac: AhoCorasick,
    sigs: Vec<Vec<SigIdx>>,
    max_len: usize,
}

impl Prefilter {
    /// Longest pattern (callers rescan `max_len - 1` bytes of old data so a
    /// pattern split across stream chunks is still found).
    pub fn max_len(&self) -> usize {
        self.max_len
    }

    /// Number of distinct patterns.
    pub fn patterns(&self) -> usize {
        self.sigs.len()
    }

    /// Heap bytes of the automaton.
    pub fn memory_usage(&self) -> usize {
        self.ac.memory_usage()
            + self
                .sigs
                .iter()
                .map(|s| s.capacity() * 4 + 24)
                .sum::<usize>()
    }

    /// Adds every signature whose pattern occurs in `hay` to `out`.
    pub fn scan(&self, hay: &[u8], out: &mut CandidateSet) {
        if hay.is_empty() {
            return;
        }
        for m in self.ac.find_overlapping_iter(hay) {
            if let Some(list) = self.sigs.get(m.pattern().as_usize()) {
                for &s in list {
                    out.insert(s);
                }
            }
        }
    }
}

/// A set of signature indexes that is cleared in time proportional to its
/// size, not to the number of signatures (a bitmap plus the list of members).
#[derive(Default)]
pub struct CandidateSet {
    bits: Vec<u64>,
    members: Vec<SigIdx>,
}

impl CandidateSet {
    /// A set for `n` signatures.
    pub fn with_capacity(n: usize) -> CandidateSet {
        CandidateSet {
            bits: vec![0; n.div_ceil(64)],
            members: Vec::with_capacity(64),
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
