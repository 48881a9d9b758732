//! Runs a [`MatchList`] over one buffer with Suricata's semantics
//! (`DetectEngineContentInspection`).
//!
//! The keywords are evaluated in order, each from the position (the
//! "cursor") left by the previous one: the end of the last content/pcre
//! match, or the position set by `byte_jump`, `byte_extract`, `byte_math`.
//! Evaluation is recursive: a content or pcre that matched calls the rest
//! of the list, and when the rest fails *and* some later keyword was
//! relative to it, it looks for its next occurrence (one byte after the
//! previous start) and tries again. Three outcomes travel back up:
//!
//! * `Match` – the rest of the list matched;
//! * `NoMatch` – this attempt failed, an earlier keyword may retry;
//! * `Stop` – nothing earlier can make it match (a non-relative content is
//!   absent, a literal `isdataat` failed, `bsize` failed, or the recursion
//!   limit was reached): give up at once.
//!
//! Re-searching is what makes `content:"a"; content:"b"; distance:0;
//! within:1;` find `"ab"` in `"aXab"`. Its cost is bounded: every step
//! counts against a recursion limit (Suricata's default 3000, settable on
//! the [`InspectScratch`]); reaching it ends the inspection with no match.
//! The recursion *depth* is at most the list length, so the stack is safe.

use super::isdataat::VAR_TOO_BIG;
use super::{read_var, Content, MatchList, Matcher, NumOrVar, Pcre};

/// Suricata's default `detect.inspection-recursion-limit`.
pub const DEFAULT_RECURSION_LIMIT: u32 = 3000;

/// Per-evaluation scratch: the signature's `byte_extract`/`byte_math`
/// variables and the `base64_decode` output. Reuse one per worker; it
/// grows to the largest signature and buffer seen and then stops
/// allocating.
#[derive(Debug, Clone)]
pub struct InspectScratch {
    vars: Vec<u64>,
    b64: Vec<u8>,
    limit: u32,
    last_count: u32,
    limit_hit: bool,
}

impl Default for InspectScratch {
    fn default() -> Self {
        Self::new()
    }
}

impl InspectScratch {
    /// A scratch with the default recursion limit.
    pub fn new() -> Self {
        Self::with_recursion_limit(DEFAULT_RECURSION_LIMIT)
    }

    /// A scratch with another recursion limit (at least 1).
    pub fn with_recursion_limit(limit: u32) -> Self {
        InspectScratch {
            vars: Vec::new(),
            b64: Vec::new(),
            limit: limit.max(1),
            last_count: 0,
            limit_hit: false,
        }
    }

    /// Changes the recursion limit (at least 1).
    pub fn set_recursion_limit(&mut self, limit: u32) {
        self.limit = limit.max(1);
    }

    /// Inspection steps the last [`inspect`] call took.
    pub fn recursion_count(&self) -> u32 {
        self.last_count
    }

    /// True when the last [`inspect`] call stopped at the recursion limit.
    pub fn recursion_limit_hit(&self) -> bool {
        self.limit_hit
    }

    /// Zeroes the variables. Call before evaluating a signature whose lists
    /// share variables, so a value from another signature is never seen.
    pub fn reset_vars(&mut self) {
        self.vars.iter_mut().for_each(|v| *v = 0);
    }

    /// The current value of a variable (0 when never set).
    pub fn var(&self, id: super::VarId) -> u64 {
        read_var(&self.vars, id)
    }
}

/// Inspects one buffer with one list. `buf` is the packet payload, stream
/// data, or sticky-buffer contents (after the list's transforms, see
/// [`super::apply_transforms`]). True when every keyword of the list
/// matches; an empty list matches.
pub fn inspect(list: &MatchList, buf: &[u8], scratch: &mut InspectScratch) -> bool {
    if scratch.vars.len() < list.var_slots {
        scratch.vars.resize(list.var_slots, 0);
    }
    let mut st = State {
        vars: &mut scratch.vars,
        b64: &mut scratch.b64,
        count: 0,
        limit: scratch.limit,
        limit_hit: false,
    };
    let r = if list.matchers.is_empty() {
        R::Match
    } else {
        run(list, 0, buf, 0, &mut st)
    };
    scratch.last_count = st.count;
    scratch.limit_hit = st.limit_hit;
    r == R::Match
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum R {
    Match,
    NoMatch,
    Stop,
}

struct State<'a> {
    vars: &'a mut Vec<u64>,
    b64: &'a mut Vec<u8>,
    count: u32,
    limit: u32,
    limit_hit: bool,
}

/// Evaluates the rest of the list after keyword `idx` (a match when there
/// is none).
fn next(list: &MatchList, idx: usize, buf: &[u8], cursor: usize, st: &mut State) -> R {
    if idx + 1 >= list.matchers.len() {
        R::Match
    } else {
        run(list, idx + 1, buf, cursor, st)
    }
}

fn run(list: &MatchList, idx: usize, buf: &[u8], cursor: usize, st: &mut State) -> R {
    st.count = st.count.saturating_add(1);
    if st.count >= st.limit {
        st.limit_hit = true;
        return R::Stop;
    }
    let Some(m) = list.matchers.get(idx) else {
        return R::NoMatch;
    };
    let cursor = cursor.min(buf.len());
    match m {
        Matcher::Content(c) => content(c, list, idx, buf, cursor, st),
        Matcher::Pcre(p) => pcre(p, list, idx, buf, cursor, st),
        Matcher::IsDataAt(d) => {
            let len = buf.len() as u64;
            let (n, is_var) = match d.offset {
                NumOrVar::Num(n) => (u64::from(n), false),
                NumOrVar::Var(v) => (read_var(st.vars, v), true),
            };
            let fail = if is_var { R::NoMatch } else { R::Stop };
            if is_var && n >= VAR_TOO_BIG {
                return if d.negated {
                    next(list, idx, buf, cursor, st)
                } else {
                    R::NoMatch
                };
            }
            let has_data = if d.relative {
                (cursor as u64).saturating_add(n) <= len
            } else {
                n < len
            };
            if has_data != d.negated {
                next(list, idx, buf, cursor, st)
            } else if d.relative && !d.negated {
                fail
            } else if d.relative {
                R::NoMatch
            } else {
                fail
            }
        }
        Matcher::ByteTest(t) => {
            if t.eval(buf, cursor, st.vars) {
                next(list, idx, buf, cursor, st)
            } else {
                R::NoMatch
            }
        }
        Matcher::ByteJump(j) => match j.eval(buf, cursor, st.vars) {
            Some(c) => next(list, idx, buf, c, st),
            None => R::NoMatch,
        },
        Matcher::ByteExtract(e) => match e.eval(buf, cursor) {
            Some((v, c)) => {
                if let Some(slot) = st.vars.get_mut(e.var.index()) {
                    *slot = v;
                }
                next(list, idx, buf, c, st)
            }
            None => R::NoMatch,
        },
        Matcher::ByteMath(bm) => match bm.eval(buf, cursor, st.vars) {
            Some((v, c)) => {
                if let Some(slot) = st.vars.get_mut(bm.result.index()) {
                    *slot = v;
                }
                next(list, idx, buf, c, st)
            }
            None => R::NoMatch,
        },
        Matcher::Bsize(b) => {
            if b.matches(buf.len() as u64) {
                next(list, idx, buf, cursor, st)
            } else {
                R::Stop
            }
        }
        Matcher::Base64Decode(d) => {
            let Some(data_list) = list.base64_data.as_deref() else {
                return R::NoMatch;
            };
            let mut decoded = std::mem::take(st.b64);
            let r = if d.decode(buf, cursor, &mut decoded) && !data_list.matchers.is_empty() {
                run(data_list, 0, &decoded, 0, st)
            } else if !decoded.is_empty() {
                R::Match
            } else {
                R::NoMatch
            };
            *st.b64 = decoded;
            // base64 is terminal: its list decides for the rest of this one
            if r == R::Match {
                R::Match
            } else {
                R::NoMatch
            }
        }
    }
}

fn num_i64<T: Into<i64> + Copy>(v: NumOrVar<T>, vars: &[u64]) -> i64 {
    match v {
        NumOrVar::Num(n) => n.into(),
        NumOrVar::Var(id) => i64::try_from(read_var(vars, id)).unwrap_or(i64::MAX),
    }
}

fn content(
    c: &Content,
    list: &MatchList,
    idx: usize,
    buf: &[u8],
    prev: usize,
    st: &mut State,
) -> R {
    let len = buf.len() as i64;
    let plen = c.pattern.len();
    let relative = c.is_relative();
    let mut retry_from: Option<usize> = None;
    loop {
        // the window [start, end) the pattern must lie in
        let (mut start, mut end) = if relative {
            let p = prev as i64;
            let dist = c.distance.map_or(0, |d| num_i64(d, st.vars));
            let start = if c.distance.is_some() {
                p.saturating_add(dist).max(0)
            } else {
                p
            };
            let mut end = len;
            if let Some(w) = c.within {
                let lim = p.saturating_add(dist).saturating_add(num_i64(w, st.vars));
                end = end.min(lim);
            }
            (start, end)
        } else {
            let start = c.offset.map_or(0, |o| num_i64(o, st.vars));
            let end = match c.depth {
                Some(d) => start.saturating_add(num_i64(d, st.vars)),
                None => len,
            };
            (start, end)
        };
        if let Some(r) = retry_from {
            start = r as i64;
        }
        end = end.min(len);
        if start > end || end <= 0 {
            return if c.negated {
                next(list, idx, buf, prev, st)
            } else {
                R::NoMatch
            };
        }
        let (s, e) = (start as usize, end as usize);
        let found = if c.endswith {
            // the only occurrence that can count ends at the buffer end
            match (e == buf.len())
                .then(|| buf.len().checked_sub(plen))
                .flatten()
            {
                Some(pos) if pos >= s && c.occurs_at(buf, pos) => Some(pos),
                _ => None,
            }
        } else {
            buf.get(s..e).and_then(|w| c.find(w)).map(|p| p + s)
        };
        let Some(pos) = found else {
            return if c.negated {
                next(list, idx, buf, prev, st)
            } else if relative {
                R::NoMatch
            } else {
                R::Stop
            };
        };
        if c.negated {
            return if relative { R::NoMatch } else { R::Stop };
        }
        match next(list, idx, buf, pos + plen, st) {
            R::NoMatch => {}
            r => return r,
        }
        if !c.retry {
            return R::Stop;
        }
        retry_from = Some(pos + 1);
    }
}

fn pcre(p: &Pcre, list: &MatchList, idx: usize, buf: &[u8], cursor: usize, st: &mut State) -> R {
    let base = if p.relative() { cursor } else { 0 };
    let subject = buf.get(base..).unwrap_or(&[]);
    let mut from = 0usize;
    loop {
        let found = match p.find_at(subject, from) {
            Ok(f) => f,
            Err(()) => return R::NoMatch,
        };
        let (ms, me) = match (found, p.negated()) {
            (Some(_), true) => return R::NoMatch,
            (None, true) => return next(list, idx, buf, cursor, st),
            (None, false) => return R::NoMatch,
            (Some(m), false) => m,
        };
        let r = next(list, idx, buf, base + me, st);
        if r != R::NoMatch || !p.relative_next() {
            return r;
        }
        from = ms + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{build, check};
    use super::*;
    use crate::payload::BufferKey;

    #[test]
    fn backtracking_example_from_the_brief() {
        check(
            r#"content:"a"; content:"b"; distance:0; within:1;"#,
            b"aXab",
            true,
        );
    }

    #[test]
    fn distance_only_does_not_retry() {
        // a later "a" can only narrow the window of a distance-only content
        let p = build(r#"content:"a"; content:"b"; distance:0;"#).unwrap();
        let a = p.contents(BufferKey(0)).next().unwrap();
        assert!(a.relative_next && !a.retry);
        check(r#"content:"a"; content:"b"; distance:0;"#, b"xbaab", true);
        check(r#"content:"a"; content:"b"; distance:0;"#, b"ba", false);
    }

    #[test]
    fn chains_retry_through_several_levels() {
        check(
            r#"content:"a"; content:"b"; distance:0; within:1; content:"c"; distance:0; within:1;"#,
            b"abxabxabc",
            true,
        );
        check(
            r#"content:"a"; content:"b"; distance:0; within:1; content:"c"; distance:0; within:1;"#,
            b"abxabxab",
            false,
        );
    }

    #[test]
    fn negated_relative_content() {
        // Suricata's documented Firefox example
        let rule = r#"content:"User-Agent|3A| Mozilla/5.0 |28|Windows|3B| "; content:"Firefox/3."; distance:0; content:!"Firefox/3.6.13"; distance:-10;"#;
        check(
            rule,
            b"User-Agent: Mozilla/5.0 (Windows; U) Firefox/3.6.12",
            true,
        );
        check(
            rule,
            b"User-Agent: Mozilla/5.0 (Windows; U) Firefox/3.6.13",
            false,
        );
        // negated with within: not found in the window
        check(
            r#"content:"a"; content:!"b"; distance:0; within:1;"#,
            b"ab",
            false,
        );
        check(
            r#"content:"a"; content:!"b"; distance:0; within:1;"#,
            b"ac",
            true,
        );
        // the first "a" fails the negation, the second passes
        check(
            r#"content:"a"; content:!"b"; distance:0; within:1;"#,
            b"abac",
            true,
        );
        check(r#"content:!"a";"#, b"bbb", true);
        check(r#"content:!"a";"#, b"bab", false);
        check(r#"content:!"a";"#, b"", true);
        check(r#"content:!"a"; offset:2;"#, b"abb", true);
    }

    #[test]
    fn empty_buffer() {
        check(r#"content:"a";"#, b"", false);
        check(r#"isdataat:!1;"#, b"", true);
        check(r#"byte_test:1,=,0,0;"#, b"", false);
        check(r#"pcre:"/^$/";"#, b"", true);
        check(r#"@1; bsize:0;"#, b"", true);
    }

    #[test]
    fn empty_list_matches() {
        let l = MatchList::default();
        assert!(inspect(&l, b"anything", &mut InspectScratch::new()));
    }

    #[test]
    fn recursion_limit_is_enforced_and_observable() {
        let p = build(r#"content:"a"; content:"b"; distance:0; within:1;"#).unwrap();
        let l = p.list(BufferKey(0)).unwrap();
        let mut buf = b"a".repeat(100);
        buf.push(b'b');
        let mut s = InspectScratch::new();
        assert!(inspect(l, &buf, &mut s));
        assert!(!s.recursion_limit_hit());
        assert_eq!(s.recursion_count(), 1 + 100);
        let mut s = InspectScratch::with_recursion_limit(50);
        assert!(!inspect(l, &buf, &mut s));
        assert!(s.recursion_limit_hit());
        assert_eq!(s.recursion_count(), 50);
        s.set_recursion_limit(1000);
        assert!(inspect(l, &buf, &mut s));
    }

    #[test]
    fn hostile_buffer_stays_bounded() {
        // many retries at every level: the limit caps the work
        let rule = r#"content:"a"; content:"a"; distance:0; within:100; content:"a"; distance:0; within:100; content:"b"; distance:0; within:1;"#;
        let p = build(rule).unwrap();
        let l = p.list(BufferKey(0)).unwrap();
        let buf = b"a".repeat(10_000);
        let mut s = InspectScratch::new();
        assert!(!inspect(l, &buf, &mut s));
        assert!(s.recursion_count() <= DEFAULT_RECURSION_LIMIT);
    }

    #[test]
    fn scratch_variables_persist_across_lists() {
        let p = build(r#"byte_extract:1,0,n; @2; content:"x"; offset:n;"#).unwrap();
        let mut s = InspectScratch::new();
        s.reset_vars();
        assert!(inspect(p.list(BufferKey(0)).unwrap(), b"\x02", &mut s));
        assert_eq!(s.var(crate::payload::VarId(0)), 2);
        assert!(inspect(p.list(BufferKey(2)).unwrap(), b"abx", &mut s));
        assert!(!inspect(p.list(BufferKey(2)).unwrap(), b"xbc", &mut s));
        s.reset_vars();
        assert_eq!(s.var(crate::payload::VarId(0)), 0);
    }
}
