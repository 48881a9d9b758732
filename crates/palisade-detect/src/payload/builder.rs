//! Collects one signature's payload keywords and attaches each to its list,
//! mirroring Suricata's keyword `Setup` functions.
//!
//! Rules that decide *which list* a keyword goes to (Suricata's
//! `DetectGetLastSMFromLists` conventions):
//!
//! * After a sticky-buffer keyword (see [`PayloadBuilder::switch_to`]) every
//!   payload keyword goes to that buffer's list, and content modifiers
//!   (`depth`, `nocase`, ...) apply to the last `content` *of that list*.
//! * Without a sticky buffer (at the start, or after `pkt_data`, i.e.
//!   `switch_to(BufferKey(0))`), `content`, `pcre` and absolute keywords go to
//!   the payload list; content modifiers apply to the last `content` of the
//!   signature in any list (so `content:"x"; http_uri; depth:3;` works);
//!   *relative* `isdataat`/`byte_*` keywords and `base64_decode` follow the
//!   last payload keyword of the signature into its list.
//! * Transforms must directly follow the sticky-buffer keyword. The same
//!   buffer with another transform chain is another list.
//!
//! The "relative next" flags that drive backtracking are computed once, in
//! [`PayloadBuilder::finish`], from the final lists, rather than patched as
//! keywords move between lists the way Suricata does.

use super::base64_data;
use super::base64_decode;
use super::bsize;
use super::byte_extract;
use super::byte_jump;
use super::byte_math;
use super::byte_test;
use super::content::{self, Content, FastPattern};
use super::depth;
use super::distance;
use super::endswith;
use super::fast_pattern;
use super::isdataat;
use super::nocase;
use super::num;
use super::offset;
use super::pcre;
use super::rawbytes;
use super::startswith;
use super::transform::{self, Transform};
use super::within;
use super::{BufferKey, MatchList, Matcher, NumOrVar, PayloadError, PayloadProgram, VarId};
use std::sync::Arc;

/// Most variables one signature may define (Suricata stores their index in a
/// byte).
pub(super) const MAX_VARS: usize = 255;

/// The list new keywords go to.
#[derive(Clone, Debug)]
pub(super) enum Cur {
    /// No sticky buffer: Suricata's `DETECT_SM_LIST_NOTSET`.
    Payload,
    /// A sticky buffer and the transforms given right after it.
    Sticky {
        key: BufferKey,
        transforms: Vec<Transform>,
    },
    /// After `base64_data`.
    Base64 { prev: BufferKey },
}

/// A list being built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ListRef {
    /// Index into `PayloadBuilder::lists`.
    L(usize),
    /// The `base64_data` list.
    B64,
}

pub(super) struct Entry {
    /// Order of addition in the rule (Suricata's `SigMatch::idx`).
    pub seq: u32,
    /// A sticky buffer was active when the keyword was added.
    pub sticky: bool,
    pub m: Matcher,
}

pub(super) struct ListBuild {
    pub key: BufferKey,
    pub transforms: Vec<Transform>,
    pub entries: Vec<Entry>,
}

/// Where a new keyword goes when no sticky buffer is active.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Placement {
    /// The payload list.
    Payload,
    /// The list of the signature's last payload keyword (relative
    /// `isdataat`/`byte_*`, and `base64_decode`).
    FollowLast,
}

/// Collects the payload keywords of ONE signature, in rule order, then
/// [`finish`](Self::finish)es into a [`PayloadProgram`].
///
/// The engine feeds every rule option to [`add`](Self::add); it returns
/// `Ok(false)` for keywords that are not payload keywords. Sticky buffers
/// are announced with [`switch_to`](Self::switch_to), legacy content
/// modifiers (`http_uri`, ...) with
/// [`move_last_content_to`](Self::move_last_content_to).
///
/// A `pcre` with a buffer flag (`/U`, `/H`, ... outside a sticky buffer)
/// leaves [`pending_buffer`](Self::pending_buffer) set to the implied
/// buffer's name; the engine must then resolve it and call
/// [`move_last_to`](Self::move_last_to) before adding anything else.
pub struct PayloadBuilder {
    pub(super) lists: Vec<ListBuild>,
    pub(super) b64: Vec<Entry>,
    pub(super) cur: Cur,
    /// No keyword was added since the last sticky-buffer switch.
    pub(super) fresh: bool,
    pub(super) seq: u32,
    pub(super) vars: Vec<String>,
    pub(super) pending_buffer: Option<&'static str>,
    pub(super) last: Option<(ListRef, usize)>,
}

impl Default for PayloadBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl PayloadBuilder {
    /// An empty builder; keywords go to the payload list (`BufferKey(0)`).
    pub fn new() -> Self {
        PayloadBuilder {
            lists: Vec::new(),
            b64: Vec::new(),
            cur: Cur::Payload,
            fresh: false,
            seq: 0,
            vars: Vec::new(),
            pending_buffer: None,
            last: None,
        }
    }

    /// Sticky buffer switch: following payload keywords go to `key`'s list
    /// (created when first used). `BufferKey(0)` is `pkt_data`: back to the
    /// payload with no sticky buffer. Relative keywords after the switch are
    /// relative to matches in the new list only, like Suricata.
    pub fn switch_to(&mut self, key: BufferKey) {
        self.cur = if key == BufferKey::PAYLOAD {
            Cur::Payload
        } else {
            Cur::Sticky {
                key,
                transforms: Vec::new(),
            }
        };
        self.fresh = key != BufferKey::PAYLOAD;
    }

    /// The buffer new keywords go to (for `base64_data`, the buffer that was
    /// current before it).
    pub fn current(&self) -> BufferKey {
        match &self.cur {
            Cur::Payload => BufferKey::PAYLOAD,
            Cur::Sticky { key, .. } => *key,
            Cur::Base64 { prev } => *prev,
        }
    }

    /// Legacy content modifier (`http_uri`, `http_header`, ...): moves the
    /// last `content` of the payload list to the end of `key`'s list. Like
    /// Suricata this is an error when a sticky buffer is active, when the
    /// payload list has no content, and when that content has `rawbytes`.
    pub fn move_last_content_to(&mut self, key: BufferKey) -> Result<(), PayloadError> {
        const KW: &str = "content modifier";
        if !matches!(self.cur, Cur::Payload) {
            return Err(PayloadError::kw(
                KW,
                "seen with a sticky buffer still set; reset the sticky buffer with pkt_data before using the modifier",
            ));
        }
        self.check_no_pending()?;
        let li = self
            .find_list(BufferKey::PAYLOAD, &[])
            .ok_or_else(|| PayloadError::kw(KW, "no preceding content in the payload"))?;
        let ei = self.lists.get(li).and_then(|l| {
            l.entries
                .iter()
                .rposition(|e| matches!(e.m, Matcher::Content(_)))
        });
        let ei = ei.ok_or_else(|| PayloadError::kw(KW, "no preceding content in the payload"))?;
        if let Some(Entry {
            m: Matcher::Content(c),
            ..
        }) = self.lists.get(li).and_then(|l| l.entries.get(ei))
        {
            if c.rawbytes {
                return Err(PayloadError::kw(
                    KW,
                    "can't be used on a content with rawbytes",
                ));
            }
        }
        if key == BufferKey::PAYLOAD {
            return Ok(());
        }
        self.move_entry(ListRef::L(li), ei, key);
        Ok(())
    }

    /// Moves the last keyword added to the end of `key`'s list (used for a
    /// `pcre` buffer flag; clears [`pending_buffer`](Self::pending_buffer)).
    pub fn move_last_to(&mut self, key: BufferKey) -> Result<(), PayloadError> {
        let (lr, ei) = self
            .last
            .ok_or_else(|| PayloadError("move: no keyword to move".to_string()))?;
        self.pending_buffer = None;
        let already = match lr {
            ListRef::L(li) => self
                .lists
                .get(li)
                .is_some_and(|l| l.key == key && l.transforms.is_empty()),
            ListRef::B64 => false,
        };
        if !already {
            self.move_entry(lr, ei, key);
        }
        Ok(())
    }

    /// Name of the buffer a just-added `pcre` buffer flag asks for (e.g.
    /// `"http.uri"` for `/U`), until [`move_last_to`](Self::move_last_to).
    pub fn pending_buffer(&self) -> Option<&'static str> {
        self.pending_buffer
    }

    /// Adds one rule option. `value` is the raw text between `keyword:` and
    /// the terminating `;` (escapes not removed), or `None` without a colon.
    /// Returns `Ok(true)` when `keyword` is a payload keyword handled here,
    /// `Ok(false)` when it is not (the engine handles it), `Err` when it is
    /// but the value or its position is bad.
    pub fn add(&mut self, keyword: &str, value: Option<&str>) -> Result<bool, PayloadError> {
        let kw = keyword.trim().to_ascii_lowercase();
        let value = value.map(str::trim);
        let known = KEYWORDS.iter().any(|(k, _)| *k == kw);
        if !known {
            return Ok(false);
        }
        self.check_no_pending()?;
        let kw = kw.as_str();
        match kw {
            "content" => content::setup(self, need(kw, value)?)?,
            "nocase" => nocase::setup(self, no_value(kw, value)?)?,
            "depth" => depth::setup(self, need(kw, value)?)?,
            "offset" => offset::setup(self, need(kw, value)?)?,
            "distance" => distance::setup(self, need(kw, value)?)?,
            "within" => within::setup(self, need(kw, value)?)?,
            "startswith" => startswith::setup(self, no_value(kw, value)?)?,
            "endswith" => endswith::setup(self, no_value(kw, value)?)?,
            "fast_pattern" => fast_pattern::setup(self, value.filter(|v| !v.is_empty()))?,
            "rawbytes" => rawbytes::setup(self, no_value(kw, value)?)?,
            "isdataat" => isdataat::setup(self, need(kw, value)?)?,
            "bsize" => bsize::setup(self, need(kw, value)?)?,
            "pcre" => pcre::setup(self, need(kw, value)?)?,
            "byte_test" => byte_test::setup(self, need(kw, value)?)?,
            "byte_jump" => byte_jump::setup(self, need(kw, value)?)?,
            "byte_extract" => byte_extract::setup(self, need(kw, value)?)?,
            "byte_math" => byte_math::setup(self, need(kw, value)?)?,
            "base64_decode" => base64_decode::setup(self, value)?,
            "base64_data" => base64_data::setup(self, no_value(kw, value)?)?,
            _ => {
                let t = transform::parse(kw, value)?;
                self.add_transform(kw, t)?;
            }
        }
        Ok(true)
    }

    /// Validates the signature's payload keywords as a whole and compiles
    /// them.
    pub fn finish(mut self) -> Result<PayloadProgram, PayloadError> {
        if let Some(name) = self.pending_buffer {
            return Err(PayloadError::kw(
                "pcre",
                format!("buffer flag asks for `{name}` but the engine did not move the pcre there"),
            ));
        }
        let var_slots = self.vars.len();
        let b64_entries = std::mem::take(&mut self.b64);
        let b64 = if b64_entries.is_empty() {
            None
        } else {
            let list = compile_list(Vec::new(), b64_entries, true, var_slots)?;
            Some(Arc::new(list))
        };
        let mut lists = Vec::new();
        for l in std::mem::take(&mut self.lists) {
            if l.entries.is_empty() {
                continue;
            }
            let key = l.key;
            let mut list = compile_list(l.transforms, l.entries, false, var_slots)?;
            if list
                .matchers
                .iter()
                .any(|m| matches!(m, Matcher::Base64Decode(_)))
            {
                list.base64_data = b64.clone();
            }
            lists.push((key, list));
        }
        Ok(PayloadProgram {
            lists,
            var_names: self.vars,
        })
    }

    /// The payload keywords handled here, each with a one-line description
    /// (for `palisade rules keywords`).
    pub fn keywords() -> &'static [(&'static str, &'static str)] {
        KEYWORDS
    }

    // ----- helpers for the keyword modules -----

    fn check_no_pending(&self) -> Result<(), PayloadError> {
        match self.pending_buffer {
            Some(name) => Err(PayloadError::kw(
                "pcre",
                format!("buffer flag asks for `{name}`; the engine must move the pcre before the next keyword"),
            )),
            None => Ok(()),
        }
    }

    pub(super) fn is_sticky(&self) -> bool {
        !matches!(self.cur, Cur::Payload)
    }

    pub(super) fn find_list(&self, key: BufferKey, transforms: &[Transform]) -> Option<usize> {
        self.lists
            .iter()
            .position(|l| l.key == key && l.transforms == transforms)
    }

    fn get_or_create(&mut self, key: BufferKey, transforms: &[Transform]) -> usize {
        if let Some(i) = self.find_list(key, transforms) {
            return i;
        }
        self.lists.push(ListBuild {
            key,
            transforms: transforms.to_vec(),
            entries: Vec::new(),
        });
        self.lists.len() - 1
    }

    pub(super) fn entries(&self, lr: ListRef) -> &[Entry] {
        match lr {
            ListRef::L(i) => self
                .lists
                .get(i)
                .map(|l| l.entries.as_slice())
                .unwrap_or(&[]),
            ListRef::B64 => &self.b64,
        }
    }

    fn entries_mut(&mut self, lr: ListRef) -> Option<&mut Vec<Entry>> {
        match lr {
            ListRef::L(i) => self.lists.get_mut(i).map(|l| &mut l.entries),
            ListRef::B64 => Some(&mut self.b64),
        }
    }

    /// Transforms of a list (empty for the payload and `base64_data` lists).
    pub(super) fn list_transforms(&self, lr: ListRef) -> &[Transform] {
        match lr {
            ListRef::L(i) => self
                .lists
                .get(i)
                .map(|l| l.transforms.as_slice())
                .unwrap_or(&[]),
            ListRef::B64 => &[],
        }
    }

    /// The list the current sticky buffer (or `base64_data`) writes to, if
    /// it exists yet.
    fn current_list(&self) -> Option<ListRef> {
        match &self.cur {
            Cur::Payload => None,
            Cur::Sticky { key, transforms } => self.find_list(*key, transforms).map(ListRef::L),
            Cur::Base64 { .. } => Some(ListRef::B64),
        }
    }

    fn all_refs(&self) -> impl Iterator<Item = ListRef> + '_ {
        (0..self.lists.len())
            .map(ListRef::L)
            .chain(std::iter::once(ListRef::B64))
    }

    /// Where a new keyword goes.
    pub(super) fn target(&mut self, placement: Placement) -> ListRef {
        match self.cur.clone() {
            Cur::Sticky { key, transforms } => ListRef::L(self.get_or_create(key, &transforms)),
            Cur::Base64 { .. } => ListRef::B64,
            Cur::Payload => {
                if placement == Placement::FollowLast {
                    let mut best: Option<(u32, ListRef)> = None;
                    for lr in self.all_refs() {
                        if let Some(e) =
                            self.entries(lr).iter().rev().find(|e| {
                                !matches!(e.m, Matcher::Bsize(_) | Matcher::Base64Decode(_))
                            })
                        {
                            if best.is_none_or(|(s, _)| e.seq > s) {
                                best = Some((e.seq, lr));
                            }
                        }
                    }
                    if let Some((_, lr)) = best {
                        return lr;
                    }
                }
                ListRef::L(self.get_or_create(BufferKey::PAYLOAD, &[]))
            }
        }
    }

    /// Appends a keyword to a list.
    pub(super) fn push(&mut self, lr: ListRef, m: Matcher) {
        let seq = self.seq;
        self.seq = self.seq.saturating_add(1);
        let sticky = self.is_sticky();
        if let Some(entries) = self.entries_mut(lr) {
            entries.push(Entry { seq, sticky, m });
            let idx = entries.len() - 1;
            self.last = Some((lr, idx));
        }
        self.fresh = false;
    }

    fn move_entry(&mut self, from: ListRef, idx: usize, key: BufferKey) {
        let entry = match self.entries_mut(from) {
            Some(entries) if idx < entries.len() => entries.remove(idx),
            _ => return,
        };
        let li = self.get_or_create(key, &[]);
        if let Some(l) = self.lists.get_mut(li) {
            l.entries.push(entry);
            self.last = Some((ListRef::L(li), l.entries.len() - 1));
        }
    }

    /// Location of the content that content modifiers apply to.
    pub(super) fn last_content_loc(&self) -> Option<(ListRef, usize)> {
        let find = |lr: ListRef| {
            self.entries(lr)
                .iter()
                .enumerate()
                .rev()
                .find(|(_, e)| matches!(e.m, Matcher::Content(_)))
                .map(|(i, e)| (e.seq, lr, i))
        };
        if self.is_sticky() {
            let lr = self.current_list()?;
            return find(lr).map(|(_, lr, i)| (lr, i));
        }
        self.all_refs()
            .filter_map(find)
            .max_by_key(|(seq, _, _)| *seq)
            .map(|(_, lr, i)| (lr, i))
    }

    /// Fails like Suricata when a content modifier has no content to apply
    /// to (checked before its value is parsed).
    pub(super) fn require_content(&self, kw: &str) -> Result<(), PayloadError> {
        match self.last_content_loc() {
            Some(_) => Ok(()),
            None => Err(PayloadError::kw(kw, "needs a preceding content")),
        }
    }

    /// The content a modifier keyword applies to, or the error Suricata
    /// gives when there is none.
    pub(super) fn last_content_mut(&mut self, kw: &str) -> Result<&mut Content, PayloadError> {
        let (lr, i) = self
            .last_content_loc()
            .ok_or_else(|| PayloadError::kw(kw, "needs a preceding content"))?;
        match self.entries_mut(lr).and_then(|e| e.get_mut(i)) {
            Some(Entry {
                m: Matcher::Content(c),
                ..
            }) => Ok(c),
            _ => Err(PayloadError::kw(kw, "needs a preceding content")),
        }
    }

    /// True when some content of the signature already has `fast_pattern`.
    pub(super) fn has_fast_pattern(&self) -> bool {
        self.all_refs().any(|lr| {
            self.entries(lr)
                .iter()
                .any(|e| matches!(&e.m, Matcher::Content(c) if c.fast_pattern != FastPattern::None))
        })
    }

    /// True when the signature has a `base64_decode`.
    pub(super) fn has_base64_decode(&self) -> bool {
        self.all_refs().any(|lr| {
            self.entries(lr)
                .iter()
                .any(|e| matches!(e.m, Matcher::Base64Decode(_)))
        })
    }

    /// Enters the `base64_data` list.
    pub(super) fn enter_base64(&mut self) {
        let prev = self.current();
        self.cur = Cur::Base64 { prev };
        self.fresh = false;
    }

    pub(super) fn in_base64(&self) -> bool {
        matches!(self.cur, Cur::Base64 { .. })
    }

    fn add_transform(&mut self, kw: &str, t: Transform) -> Result<(), PayloadError> {
        match &mut self.cur {
            Cur::Sticky { transforms, .. } if self.fresh => {
                if transforms.len() >= transform::MAX_TRANSFORMS {
                    return Err(PayloadError::kw(
                        kw,
                        format!(
                            "at most {} transforms per buffer",
                            transform::MAX_TRANSFORMS
                        ),
                    ));
                }
                transforms.push(t);
                Ok(())
            }
            _ => Err(PayloadError::kw(
                kw,
                "transforms must directly follow a sticky buffer keyword",
            )),
        }
    }

    /// Registers a new `byte_extract`/`byte_math` variable.
    pub(super) fn define_var(&mut self, kw: &str, name: &str) -> Result<VarId, PayloadError> {
        if !num::is_var_name(name) {
            return Err(PayloadError::kw(
                kw,
                format!("variable name `{name}` must start with a letter"),
            ));
        }
        if self.vars.iter().any(|v| v == name) {
            return Err(PayloadError::kw(
                kw,
                format!("variable `{name}` is already defined in this signature"),
            ));
        }
        if self.vars.len() >= MAX_VARS {
            return Err(PayloadError::kw(
                kw,
                format!("more than {MAX_VARS} variables"),
            ));
        }
        self.vars.push(name.to_string());
        Ok(VarId(u8::try_from(self.vars.len() - 1).unwrap_or(u8::MAX)))
    }

    /// Looks up a variable defined earlier in the signature.
    pub(super) fn lookup_var(&self, kw: &str, name: &str) -> Result<VarId, PayloadError> {
        self.vars
            .iter()
            .position(|v| v == name)
            .and_then(|i| u8::try_from(i).ok())
            .map(VarId)
            .ok_or_else(|| {
                PayloadError::kw(
                    kw,
                    format!(
                        "unknown variable `{name}` (byte_extract/byte_math must define it earlier)"
                    ),
                )
            })
    }

    /// Parses a value that is a variable name or a number in `[min, max]`
    /// (strict, `base` as C's strtol: 0 = auto).
    pub(super) fn num_or_var(
        &self,
        kw: &str,
        what: &str,
        s: &str,
        base: u32,
        min: i128,
        max: i128,
    ) -> Result<NumOrVar<i64>, PayloadError> {
        let s = s.trim();
        if num::is_var_name(s) {
            return Ok(NumOrVar::Var(self.lookup_var(kw, s)?));
        }
        num::parse_in_range(s, base, min, max)
            .map(NumOrVar::Num)
            .ok_or_else(|| {
                PayloadError::kw(
                    kw,
                    format!(
                        "invalid {what} `{s}` (expected a number in {min}..={max} or a variable)"
                    ),
                )
            })
    }
}

fn need<'a>(kw: &str, value: Option<&'a str>) -> Result<&'a str, PayloadError> {
    match value {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(PayloadError::kw(kw, "needs a value")),
    }
}

fn no_value(kw: &str, value: Option<&str>) -> Result<(), PayloadError> {
    match value {
        Some(v) if !v.is_empty() => {
            Err(PayloadError::kw(kw, format!("takes no value (got `{v}`)")))
        }
        _ => Ok(()),
    }
}

/// Turns a built list into a [`MatchList`]: computes the relative-next flags
/// that drive backtracking and validates what needs the whole list.
fn compile_list(
    transforms: Vec<Transform>,
    entries: Vec<Entry>,
    is_base64: bool,
    var_slots: usize,
) -> Result<MatchList, PayloadError> {
    let sticky: Vec<bool> = entries.iter().map(|e| e.sticky).collect();
    let mut matchers: Vec<Matcher> = entries.into_iter().map(|e| e.m).collect();

    for i in 0..matchers.len() {
        let Some(m) = matchers.get(i) else { continue };
        if !m.is_relative() {
            continue;
        }
        // what kind of dependency: content with only a (non-negated)
        // distance does not make the previous match worth re-searching
        let retry = match m {
            Matcher::Content(c) => c.within.is_some() || c.negated,
            _ => true,
        };
        let referencing_distance_within = matches!(m, Matcher::Content(_));
        let prev = matchers.get(..i).and_then(|s| {
            s.iter()
                .rposition(|p| matches!(p, Matcher::Content(_) | Matcher::Pcre(_)))
        });
        match prev.and_then(|p| matchers.get_mut(p)) {
            Some(Matcher::Content(c)) => {
                if referencing_distance_within && c.fast_pattern == FastPattern::Only {
                    return Err(PayloadError::kw(
                        "fast_pattern",
                        "previous content has fast_pattern:only; it can't have relative keywords (distance/within) after it",
                    ));
                }
                c.relative_next = true;
                c.retry |= retry;
            }
            Some(Matcher::Pcre(p)) => p.set_relative_next(),
            _ => {
                // nothing to be relative to: fine in a sticky buffer (the
                // buffer start), but Suricata rejects a payload pcre /R
                // ("needs preceding match in the same buffer")
                if let (Some(Matcher::Pcre(p)), Some(false)) = (matchers.get(i), sticky.get(i)) {
                    if p.relative() {
                        return Err(PayloadError::kw(
                            "pcre",
                            "/R (relative) needs a preceding content or pcre in the same buffer",
                        ));
                    }
                }
            }
        }
    }

    for m in &matchers {
        if let Matcher::Bsize(b) = m {
            let max = b.max_matching();
            if max != u64::MAX {
                for c in matchers.iter().filter_map(|m| match m {
                    Matcher::Content(c) if !c.negated => Some(c),
                    _ => None,
                }) {
                    if c.pattern.len() as u64 > max {
                        return Err(PayloadError::kw(
                            "bsize",
                            format!(
                                "a content of {} bytes can never fit a buffer of at most {max} bytes",
                                c.pattern.len()
                            ),
                        ));
                    }
                }
            }
        }
        if is_base64 {
            if let Matcher::Content(c) = m {
                if c.fast_pattern != FastPattern::None {
                    return Err(PayloadError::kw(
                        "fast_pattern",
                        "not allowed on a base64_data content",
                    ));
                }
            }
        }
    }

    for m in &mut matchers {
        if let Matcher::Content(c) = m {
            c.prepare();
        }
    }

    Ok(MatchList {
        matchers,
        transforms,
        base64_data: None,
        var_slots,
    })
}

/// Every keyword handled here, with a one-line description.
pub(super) static KEYWORDS: &[(&str, &str)] = &[
    (
        "content",
        "match bytes (text and |hex| blocks, ! to negate) in the buffer",
    ),
    (
        "nocase",
        "make the previous content case-insensitive (ASCII)",
    ),
    (
        "depth",
        "previous content must end within N bytes from its offset",
    ),
    (
        "offset",
        "previous content starts at or after byte N of the buffer",
    ),
    (
        "distance",
        "previous content starts N bytes after the previous match (N may be negative)",
    ),
    (
        "within",
        "previous content must end within N bytes of the previous match",
    ),
    (
        "startswith",
        "previous content must be at the start of the buffer",
    ),
    (
        "endswith",
        "previous content must end at the end of the buffer",
    ),
    (
        "fast_pattern",
        "use the previous content for the prefilter (only | offset,length chop)",
    ),
    ("rawbytes", "accepted for Snort compatibility; no effect"),
    (
        "isdataat",
        "check that data exists at a position ([!]N[,relative])",
    ),
    (
        "bsize",
        "compare the size of the sticky buffer (integer syntax)",
    ),
    (
        "pcre",
        "match a Perl-compatible regular expression (\"/re/flags\")",
    ),
    ("byte_test", "read bytes as a number and compare it"),
    (
        "byte_jump",
        "read bytes as a number and move the inspection position by it",
    ),
    (
        "byte_extract",
        "read bytes as a number into a variable for later keywords",
    ),
    (
        "byte_math",
        "read bytes as a number, compute with it, store the result in a variable",
    ),
    (
        "base64_decode",
        "decode base64 from the buffer for base64_data",
    ),
    (
        "base64_data",
        "following keywords inspect the base64_decode output",
    ),
    ("dotprefix", "transform: prepend a '.' to the buffer"),
    ("to_lowercase", "transform: ASCII-lowercase the buffer"),
    ("to_uppercase", "transform: ASCII-uppercase the buffer"),
    ("strip_whitespace", "transform: remove all whitespace"),
    (
        "compress_whitespace",
        "transform: collapse runs of whitespace to their first character",
    ),
    ("url_decode", "transform: decode %HH escapes and '+'"),
    (
        "xor",
        "transform: XOR the buffer with a repeating hex key (xor:\"0d0a\")",
    ),
    (
        "header_lowercase",
        "transform: lowercase header names (text before ':' on each line)",
    ),
    ("to_md5", "transform: replace the buffer by its MD5 digest"),
    (
        "to_sha1",
        "transform: replace the buffer by its SHA-1 digest",
    ),
    (
        "to_sha256",
        "transform: replace the buffer by its SHA-256 digest",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keywords_are_not_ours() {
        let mut b = PayloadBuilder::new();
        assert_eq!(b.add("msg", Some("\"x\"")), Ok(false));
        assert_eq!(b.add("flow", Some("established")), Ok(false));
        assert_eq!(b.add("CONTENT", Some("\"x\"")), Ok(true));
    }

    #[test]
    fn value_presence_is_checked() {
        let mut b = PayloadBuilder::new();
        assert!(b.add("content", None).is_err());
        b.add("content", Some("\"a\"")).unwrap();
        let e = b.add("nocase", Some("yes")).unwrap_err();
        assert!(e.0.contains("takes no value"), "{e}");
        assert!(b.add("depth", Some("")).is_err());
    }

    #[test]
    fn sticky_lists_and_modifiers() {
        let mut b = PayloadBuilder::new();
        b.add("content", Some("\"a\"")).unwrap();
        b.switch_to(BufferKey(3));
        assert_eq!(b.current(), BufferKey(3));
        // depth looks in the sticky list only: no content there yet
        let e = b.add("depth", Some("3")).unwrap_err();
        assert!(e.0.contains("needs a preceding content"), "{e}");
        b.add("content", Some("\"bc\"")).unwrap();
        b.add("depth", Some("3")).unwrap();
        b.switch_to(BufferKey(0));
        b.add("nocase", None).unwrap(); // last content of the rule: "bc"
        let p = b.finish().unwrap();
        assert_eq!(p.lists.len(), 2);
        let bc = p.contents(BufferKey(3)).next().unwrap();
        assert!(bc.nocase && bc.depth.is_some());
        assert!(!p.contents(BufferKey(0)).next().unwrap().nocase);
    }

    #[test]
    fn legacy_modifier_moves_content() {
        let mut b = PayloadBuilder::new();
        b.add("content", Some("\"GET\"")).unwrap();
        b.add("content", Some("\"/x\"")).unwrap();
        b.move_last_content_to(BufferKey(7)).unwrap();
        b.add("depth", Some("2")).unwrap(); // still applies to "/x"
        b.add("content", Some("\"y\"")).unwrap();
        b.move_last_content_to(BufferKey(7)).unwrap();
        b.add("distance", Some("0")).unwrap();
        let p = b.finish().unwrap();
        let uri: Vec<_> = p.contents(BufferKey(7)).collect();
        assert_eq!(uri.len(), 2);
        assert!(uri[0].depth.is_some() && uri[0].relative_next);
        assert_eq!(p.contents(BufferKey(0)).count(), 1);
    }

    #[test]
    fn legacy_modifier_errors() {
        let mut b = PayloadBuilder::new();
        assert!(b.move_last_content_to(BufferKey(7)).is_err());
        b.switch_to(BufferKey(2));
        b.add("content", Some("\"a\"")).unwrap();
        let e = b.move_last_content_to(BufferKey(7)).unwrap_err();
        assert!(e.0.contains("sticky buffer"), "{e}");
        let mut b = PayloadBuilder::new();
        b.add("content", Some("\"a\"")).unwrap();
        b.add("rawbytes", None).unwrap();
        assert!(b.move_last_content_to(BufferKey(7)).is_err());
    }

    #[test]
    fn relative_keywords_follow_last_payload_keyword() {
        let mut b = PayloadBuilder::new();
        b.add("content", Some("\"a\"")).unwrap();
        b.move_last_content_to(BufferKey(5)).unwrap();
        b.add("byte_test", Some("1,=,1,0,relative")).unwrap();
        b.add("isdataat", Some("5")).unwrap(); // absolute: payload list
        let p = b.finish().unwrap();
        assert_eq!(p.list(BufferKey(5)).unwrap().len(), 2);
        assert_eq!(p.list(BufferKey(0)).unwrap().len(), 1);
    }

    #[test]
    fn transforms_make_distinct_lists() {
        let mut b = PayloadBuilder::new();
        b.switch_to(BufferKey(4));
        b.add("content", Some("\"A\"")).unwrap();
        b.switch_to(BufferKey(4));
        b.add("to_lowercase", None).unwrap();
        b.add("content", Some("\"a\"")).unwrap();
        let e = b.add("to_uppercase", None).unwrap_err();
        assert!(e.0.contains("directly follow"), "{e}");
        let p = b.finish().unwrap();
        assert_eq!(p.lists_for(BufferKey(4)).count(), 2);
        assert_eq!(p.transforms(BufferKey(4)), &[] as &[Transform]);
        assert_eq!(
            p.lists_for(BufferKey(4)).nth(1).unwrap().transforms(),
            &[Transform::ToLowercase]
        );
    }

    #[test]
    fn transform_not_on_payload() {
        let mut b = PayloadBuilder::new();
        assert!(b.add("to_lowercase", None).is_err());
    }

    #[test]
    fn pending_pcre_buffer_flag() {
        let mut b = PayloadBuilder::new();
        b.add("pcre", Some("\"/abc/U\"")).unwrap();
        assert_eq!(b.pending_buffer(), Some("http.uri"));
        assert!(b.add("content", Some("\"x\"")).is_err());
        b.move_last_to(BufferKey(9)).unwrap();
        assert_eq!(b.pending_buffer(), None);
        b.add("content", Some("\"x\"")).unwrap();
        let p = b.finish().unwrap();
        assert_eq!(p.list(BufferKey(9)).unwrap().len(), 1);

        let mut b = PayloadBuilder::new();
        b.add("pcre", Some("/abc/H")).unwrap();
        assert!(b.finish().is_err());

        // in a sticky buffer the flag is ignored, like Suricata
        let mut b = PayloadBuilder::new();
        b.switch_to(BufferKey(2));
        b.add("pcre", Some("/abc/U")).unwrap();
        assert_eq!(b.pending_buffer(), None);
    }

    #[test]
    fn variables() {
        let mut b = PayloadBuilder::new();
        let e = b.add("distance", Some("x")).unwrap_err();
        assert!(e.0.contains("needs a preceding content"), "{e}");
        b.add("content", Some("\"a\"")).unwrap();
        let e = b.add("distance", Some("x")).unwrap_err();
        assert_eq!(
            e.0,
            "distance: unknown variable `x` (byte_extract/byte_math must define it earlier)"
        );
        b.add("byte_extract", Some("1,0,x,relative")).unwrap();
        let e = b.add("byte_extract", Some("1,0,x")).unwrap_err();
        assert!(e.0.contains("already defined"), "{e}");
        b.add("content", Some("\"b\"")).unwrap();
        b.add("distance", Some("x")).unwrap();
        let p = b.finish().unwrap();
        assert_eq!(p.var_names, vec!["x".to_string()]);
    }

    #[test]
    fn keywords_list_is_complete() {
        let names: Vec<_> = PayloadBuilder::keywords().iter().map(|(k, _)| *k).collect();
        for k in [
            "content",
            "pcre",
            "byte_math",
            "base64_data",
            "xor",
            "to_sha256",
        ] {
            assert!(names.contains(&k), "{k}");
        }
        assert!(PayloadBuilder::keywords()
            .iter()
            .all(|(_, d)| !d.is_empty()));
    }

    #[test]
    fn never_panics_on_odd_input() {
        let values = [
            "",
            "\"",
            "!",
            "!\"",
            "\"|\"",
            "\"|4\"",
            "\"\\\"",
            ",,,",
            "-",
            "1,",
            "a,b,c,d,e,f,g,h,i,j,k",
            "/",
            "//",
            "\"/\"",
            "999999999999999999999999",
            "\u{1F600}",
            "0x",
            "!!",
            "&",
            "<>",
            "bytes",
            "bytes 1, offset",
            "1,=,x,0",
            "4,0,",
            "1 1",
            "\"\\x\"",
            "-1",
            "\"a\"; junk",
        ];
        for (kw, _) in PayloadBuilder::keywords() {
            for v in values {
                let mut b = PayloadBuilder::new();
                let _ = b.add("content", Some("\"abc\""));
                let _ = b.add(kw, Some(v));
                let _ = b.add(kw, None);
                let _ = b.finish();
            }
        }
    }
}
