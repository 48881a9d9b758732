//! Payload inspection: Suricata's payload keywords (`content` and its
//! modifiers, `pcre`, `isdataat`, `bsize`, `byte_test`, `byte_jump`,
//! `byte_extract`, `byte_math`, `base64_decode`/`base64_data`) and the
//! sticky-buffer transforms.
//!
//! # Shape
//!
//! * [`PayloadBuilder`] receives one signature's keywords in rule order, as the
//!   raw option text, and does what Suricata's keyword `Setup` functions do:
//!   parse, validate, and attach each keyword to the right inspection list
//!   (the packet/stream payload, a sticky buffer, or the `base64_data` list).
//!   Errors say which keyword and why, so a rule linter can print them.
//! * [`PayloadBuilder::finish`] validates the whole signature and returns a
//!   [`PayloadProgram`]: one [`MatchList`] per inspected buffer.
//! * [`inspect()`] runs one list over one buffer with Suricata's semantics,
//!   including the recursive re-search ("backtracking") of relative chains
//!   that `DetectEngineContentInspection` performs, bounded by an inspection
//!   recursion limit so a hostile buffer cannot make a rule expensive.
//!
//! Per-evaluation state (variables of `byte_extract`/`byte_math`, the
//! `base64_decode` output) lives in an [`InspectScratch`] the caller owns and
//! reuses, so inspection does not allocate in steady state.
//!
//! Each keyword lives in its own file whose module documentation states the
//! exact semantics, including where palisade knowingly differs from a
//! Suricata quirk.
//!
//! # Known differences from Suricata
//!
//! Deliberate, each to avoid reproducing an accident of the C code:
//!
//! * a negated `endswith` content fails exactly when the buffer ends with
//!   the pattern (Suricata compares the first occurrence with the window
//!   length);
//! * variable values are used as 64-bit numbers (Suricata truncates some to
//!   32 bits first), and a `within` window that ends before 0 is empty
//!   (Suricata's unsigned wrap makes it the whole buffer);
//! * the "re-search the previous content" flag is set from the previous
//!   content/pcre *of the same list* for every relative keyword;
//! * `dce` options are rejected (no DCE/RPC inspection in palisade);
//!   `byte_test`/`byte_extract` with 0 bytes and binary `byte_math` reads
//!   over 8 bytes, which can never do anything useful, are rejected;
//! * a second `fast_pattern` in a rule is an error whatever its form;
//! * buffers are inspected whole: Suricata's chunked stream inspection
//!   (`stream_start_offset`) has no equivalent here.
#![deny(missing_docs)]

mod base64_data;
mod base64_decode;
mod bsize;
mod builder;
mod byte_common;
mod byte_extract;
mod byte_jump;
mod byte_math;
mod byte_test;
mod content;
mod depth;
mod distance;
mod endswith;
mod fast_pattern;
mod inspect;
mod isdataat;
mod nocase;
mod num;
mod offset;
mod pcre;
mod rawbytes;
mod startswith;
mod transform;
mod within;

#[cfg(test)]
mod tests;

use std::sync::Arc;

pub use crate::keywords::uint::{UintCmp, UintMode};
pub use base64_decode::Base64Decode;
pub use builder::PayloadBuilder;
pub use byte_common::{Endian, NumberFormat};
pub use byte_extract::ByteExtract;
pub use byte_jump::ByteJump;
pub use byte_math::{ByteMath, MathOp};
pub use byte_test::{ByteTest, TestOp};
pub use content::{Content, FastPattern};
pub use inspect::{inspect, InspectScratch, DEFAULT_RECURSION_LIMIT};
pub use isdataat::IsDataAt;
pub use pcre::Pcre;
pub use transform::{apply_transforms, Transform};

/// Why a payload keyword (or the signature's set of them) was rejected. The
/// message starts with the keyword and says what was wrong, e.g.
/// `content: unterminated hex block`.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[error("{0}")]
pub struct PayloadError(pub String);

impl PayloadError {
    pub(crate) fn kw(keyword: &str, msg: impl std::fmt::Display) -> Self {
        PayloadError(format!("{keyword}: {msg}"))
    }
}

/// Opaque id of an inspection buffer, chosen by the engine (for example 0 =
/// packet/stream payload, others = sticky buffers such as `http.uri`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BufferKey(pub u16);

impl BufferKey {
    /// The packet / reassembled-stream payload list (Suricata's PMATCH).
    pub const PAYLOAD: BufferKey = BufferKey(0);
}

/// Index of a `byte_extract` / `byte_math` variable within its signature.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct VarId(pub(crate) u8);

impl VarId {
    /// Position of the variable in [`PayloadProgram::var_names`].
    pub fn index(self) -> usize {
        usize::from(self.0)
    }
}

/// A number written in the rule, or the name of a variable set earlier by
/// `byte_extract` / `byte_math`, read at inspection time.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum NumOrVar<T> {
    /// A literal from the rule.
    Num(T),
    /// A variable, resolved per evaluation from [`InspectScratch`].
    Var(VarId),
}

impl<T> NumOrVar<T> {
    pub(crate) fn map<U>(self, f: impl FnOnce(T) -> U) -> NumOrVar<U> {
        match self {
            NumOrVar::Num(n) => NumOrVar::Num(f(n)),
            NumOrVar::Var(v) => NumOrVar::Var(v),
        }
    }
}

/// Value of a variable in a scratch slice (0 when out of range).
pub(crate) fn read_var(vars: &[u64], id: VarId) -> u64 {
    vars.get(id.index()).copied().unwrap_or(0)
}

/// One compiled payload keyword.
#[derive(Clone, Debug)]
pub enum Matcher {
    /// `content` with its modifiers (boxed: it holds the search tables).
    Content(Box<Content>),
    /// `pcre`.
    Pcre(Pcre),
    /// `isdataat`.
    IsDataAt(IsDataAt),
    /// `byte_test`.
    ByteTest(ByteTest),
    /// `byte_jump`.
    ByteJump(ByteJump),
    /// `byte_extract`.
    ByteExtract(ByteExtract),
    /// `byte_math`.
    ByteMath(ByteMath),
    /// `bsize`: the size of the whole buffer.
    Bsize(UintCmp),
    /// `base64_decode`; a match continues in the `base64_data` list.
    Base64Decode(Base64Decode),
}

impl Matcher {
    /// True when the keyword is evaluated relative to the previous match.
    pub(crate) fn is_relative(&self) -> bool {
        match self {
            Matcher::Content(c) => c.distance.is_some() || c.within.is_some(),
            Matcher::Pcre(p) => p.relative(),
            Matcher::IsDataAt(i) => i.relative,
            Matcher::ByteTest(b) => b.relative,
            Matcher::ByteJump(b) => b.relative,
            Matcher::ByteExtract(b) => b.relative,
            Matcher::ByteMath(b) => b.relative,
            Matcher::Base64Decode(b) => b.relative,
            Matcher::Bsize(_) => false,
        }
    }
}

/// The keywords of one signature that inspect one buffer, in rule order.
#[derive(Clone, Debug, Default)]
pub struct MatchList {
    pub(crate) matchers: Vec<Matcher>,
    pub(crate) transforms: Vec<Transform>,
    pub(crate) base64_data: Option<Arc<MatchList>>,
    pub(crate) var_slots: usize,
}

impl MatchList {
    /// The keywords, in evaluation order.
    pub fn matchers(&self) -> &[Matcher] {
        &self.matchers
    }

    /// The contents of the list, for fast-pattern selection.
    pub fn contents(&self) -> impl Iterator<Item = &Content> + '_ {
        self.matchers.iter().filter_map(|m| match m {
            Matcher::Content(c) => Some(&**c),
            _ => None,
        })
    }

    /// Transforms to apply (with [`apply_transforms`]) to the buffer before
    /// inspecting it with this list.
    pub fn transforms(&self) -> &[Transform] {
        &self.transforms
    }

    /// The list run on `base64_decode` output, when the signature has one.
    pub fn base64_data(&self) -> Option<&MatchList> {
        self.base64_data.as_deref()
    }

    /// Number of keywords.
    pub fn len(&self) -> usize {
        self.matchers.len()
    }

    /// True when the list has no keyword (it then matches any buffer).
    pub fn is_empty(&self) -> bool {
        self.matchers.is_empty()
    }
}

/// The compiled payload part of one signature.
#[derive(Clone, Debug, Default)]
pub struct PayloadProgram {
    /// One list per inspected buffer, in order of first use in the rule. A
    /// key appears twice only when the rule inspects the same sticky buffer
    /// with two different transform chains.
    pub lists: Vec<(BufferKey, MatchList)>,
    /// Names of the `byte_extract`/`byte_math` variables, indexed by [`VarId`].
    pub var_names: Vec<String>,
}

impl PayloadProgram {
    /// All contents of the lists for `key`, for the engine's fast-pattern
    /// selection.
    pub fn contents(&self, key: BufferKey) -> impl Iterator<Item = &Content> + '_ {
        self.lists_for(key).flat_map(|l| l.contents())
    }

    /// The lists that inspect `key`.
    pub fn lists_for(&self, key: BufferKey) -> impl Iterator<Item = &MatchList> + '_ {
        self.lists
            .iter()
            .filter(move |(k, _)| *k == key)
            .map(|(_, l)| l)
    }

    /// The first list that inspects `key`.
    pub fn list(&self, key: BufferKey) -> Option<&MatchList> {
        self.lists_for(key).next()
    }

    /// Transforms of the first list for `key` (empty when none).
    pub fn transforms(&self, key: BufferKey) -> &[Transform] {
        self.list(key).map(|l| l.transforms()).unwrap_or(&[])
    }

    /// Number of `byte_extract`/`byte_math` variables.
    pub fn var_count(&self) -> usize {
        self.var_names.len()
    }
}
