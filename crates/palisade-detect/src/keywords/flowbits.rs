//! `flowbits`: named boolean marks kept per flow, plus the per-flow
//! variable store ([`FlowVars`]) that `flowbits` and `flowint` share and
//! the name [`Interner`] the engine resolves names with at build time.
//!
//! Syntax: `flowbits:<set|unset|toggle|isset|isnotset>,<name>` and
//! `flowbits:noalert`. Commands are lowercase; names are case-sensitive
//! and may not contain spaces.
//!
//! Groups:
//! - `a|b` (Suricata's OR list, `isset`/`isnotset` only, at most 100 names):
//!   `isset` matches if any bit is set, `isnotset` if any bit is not set
//!   (Suricata's rule: each listed bit is tested and the first success wins).
//! - `a&b` (palisade extension, Snort's AND group; Suricata has no `&`
//!   operator and reads `a&b` as one name): `set`/`unset`/`toggle` act on
//!   every bit, `isset` needs all bits set, `isnotset` all bits unset.
//!
//! `isset`/`isnotset` are conditions, evaluated with the rule;
//! `set`/`unset`/`toggle` are actions the engine applies only once the
//! whole signature has matched (Suricata's post-match list). Without a flow
//! no condition matches and no action applies (Suricata requires a flow
//! for any flowbit use): the engine simply has no [`FlowVars`] to pass.

use std::collections::HashMap;

/// Names per group (Suricata's `MAX_TOKENS`).
pub const MAX_GROUP_NAMES: usize = 100;
/// Bits one flow can hold; further `set`s are dropped and counted.
pub const MAX_FLOWBITS_PER_FLOW: usize = 1024;
/// Integer variables one flow can hold; further ones are dropped and counted.
pub const MAX_FLOWINTS_PER_FLOW: usize = 256;

/// An interned flowbit name.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowbitName(pub u32);

/// Maps variable names to dense ids (one interner per namespace: flowbits,
/// flowints and xbits each get their own, as in Suricata).
#[derive(Clone, Debug, Default)]
pub struct Interner {
    ids: HashMap<String, u32>,
    names: Vec<String>,
}

impl Interner {
    /// An empty interner.
    pub fn new() -> Self {
        Self::default()
    }

    /// The id of `name`, assigning the next one if it is new.
    pub fn intern(&mut self, name: &str) -> u32 {
        if let Some(id) = self.ids.get(name) {
            return *id;
        }
        let id = self.names.len() as u32;
        self.names.push(name.to_string());
        self.ids.insert(name.to_string(), id);
        id
    }

    /// The id of `name`, if interned.
    pub fn get(&self, name: &str) -> Option<u32> {
        self.ids.get(name).copied()
    }

    /// The name behind `id`.
    pub fn name(&self, id: u32) -> Option<&str> {
        self.names.get(id as usize).map(String::as_str)
    }

    /// Number of names.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// True if no name was interned.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// Per-flow variables: flowbits and flowints, both bounded.
///
/// Empty until the first `set`, so idle flows cost nothing beyond the
/// struct. Lookups are binary searches over sorted ids.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FlowVars {
    bits: Vec<u32>,
    ints: Vec<(u32, u32)>,
    overflows: u64,
}

impl FlowVars {
    /// Empty variables.
    pub fn new() -> Self {
        Self::default()
    }

    /// True if bit `id` is set.
    pub fn is_set(&self, id: u32) -> bool {
        self.bits.binary_search(&id).is_ok()
    }

    /// Sets bit `id`; false (and an overflow counted) if the flow already
    /// holds [`MAX_FLOWBITS_PER_FLOW`] bits.
    pub fn set(&mut self, id: u32) -> bool {
        match self.bits.binary_search(&id) {
            Ok(_) => true,
            Err(_) if self.bits.len() >= MAX_FLOWBITS_PER_FLOW => {
                self.overflows += 1;
                false
            }
            Err(at) => {
                self.bits.insert(at, id);
                true
            }
        }
    }

    /// Clears bit `id`.
    pub fn unset(&mut self, id: u32) {
        if let Ok(at) = self.bits.binary_search(&id) {
            self.bits.remove(at);
        }
    }

    /// Flips bit `id`.
    pub fn toggle(&mut self, id: u32) {
        if self.is_set(id) {
            self.unset(id);
        } else {
            self.set(id);
        }
    }

    /// Number of bits set.
    pub fn bit_count(&self) -> usize {
        self.bits.len()
    }

    /// The value of integer `id`, if set.
    pub fn int(&self, id: u32) -> Option<u32> {
        self.ints
            .binary_search_by_key(&id, |(k, _)| *k)
            .ok()
            .and_then(|at| self.ints.get(at))
            .map(|(_, v)| *v)
    }

    /// Sets integer `id`; false (and an overflow counted) if the flow
    /// already holds [`MAX_FLOWINTS_PER_FLOW`] integers.
    pub fn set_int(&mut self, id: u32, value: u32) -> bool {
        match self.ints.binary_search_by_key(&id, |(k, _)| *k) {
            Ok(at) => {
                if let Some(slot) = self.ints.get_mut(at) {
                    slot.1 = value;
                }
                true
            }
            Err(_) if self.ints.len() >= MAX_FLOWINTS_PER_FLOW => {
                self.overflows += 1;
                false
            }
            Err(at) => {
                self.ints.insert(at, (id, value));
                true
            }
        }
    }

    /// Number of integers set.
    pub fn int_count(&self) -> usize {
        self.ints.len()
    }

    /// Sets or integers refused because a bound was reached.
    pub fn overflows(&self) -> u64 {
        self.overflows
    }

    /// Renames the variables for another rule set's ids (live reload):
    /// `map(old id)` is the new id of the same name, or None when the new
    /// rule set does not know the name (the variable is dropped, since no
    /// rule can read it any more).
    pub fn remap(&mut self, map: impl Fn(u32) -> Option<u32>) {
        let mut bits: Vec<u32> = self.bits.iter().filter_map(|b| map(*b)).collect();
        bits.sort_unstable();
        bits.dedup();
        self.bits = bits;
        let mut ints: Vec<(u32, u32)> = self
            .ints
            .iter()
            .filter_map(|(k, v)| map(*k).map(|k| (k, *v)))
            .collect();
        ints.sort_unstable_by_key(|(k, _)| *k);
        ints.dedup_by_key(|(k, _)| *k);
        self.ints = ints;
    }

    /// Forgets every variable (the overflow counter is kept).
    pub fn clear(&mut self) {
        self.bits.clear();
        self.ints.clear();
    }
}

/// A flowbits command.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum FlowbitsCmd {
    /// `set` (action).
    Set,
    /// `unset` (action).
    Unset,
    /// `toggle` (action; deprecated in Suricata 8).
    Toggle,
    /// `isset` (condition).
    IsSet,
    /// `isnotset` (condition).
    IsNotSet,
    /// `noalert`: the rule never alerts.
    NoAlert,
}

/// How the names of a group combine.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Combine {
    /// One name.
    Single,
    /// `a|b`.
    Any,
    /// `a&b`.
    All,
}

/// A parsed `flowbits` option (names not yet resolved).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flowbits {
    /// The command.
    pub cmd: FlowbitsCmd,
    /// The names (empty for `noalert`).
    pub names: Vec<String>,
    /// How the names combine.
    pub combine: Combine,
}

impl Flowbits {
    /// Parses the option value.
    pub fn parse(value: &str) -> Result<Self, String> {
        let v = value.trim();
        let (cmd_str, rest) = match v.split_once(',') {
            Some((c, r)) => (c, Some(r.trim())),
            None => (v, None),
        };
        if cmd_str.is_empty() || !cmd_str.bytes().all(|b| b.is_ascii_lowercase()) {
            return Err(format!("flowbits: `{v}` is not <command>[,<name>]"));
        }
        let cmd = match cmd_str {
            "set" => FlowbitsCmd::Set,
            "unset" => FlowbitsCmd::Unset,
            "toggle" => FlowbitsCmd::Toggle,
            "isset" => FlowbitsCmd::IsSet,
            "isnotset" => FlowbitsCmd::IsNotSet,
            "noalert" => FlowbitsCmd::NoAlert,
            c => return Err(format!("flowbits: unknown command `{c}`")),
        };
        let name = rest.unwrap_or("");
        if cmd == FlowbitsCmd::NoAlert {
            if !name.is_empty() {
                return Err("flowbits: `noalert` takes no name".into());
            }
            return Ok(Flowbits {
                cmd,
                names: Vec::new(),
                combine: Combine::Single,
            });
        }
        if name.is_empty() {
            return Err(format!("flowbits: `{cmd_str}` needs a name"));
        }
        let (has_or, has_and) = (name.contains('|'), name.contains('&'));
        let combine = match (has_or, has_and) {
            (true, true) => return Err("flowbits: cannot mix `|` and `&` in one group".into()),
            (true, false) => Combine::Any,
            (false, true) => Combine::All,
            (false, false) => Combine::Single,
        };
        if combine == Combine::Any && !matches!(cmd, FlowbitsCmd::IsSet | FlowbitsCmd::IsNotSet) {
            return Err(format!(
                "flowbits: `|` groups work only with isset/isnotset, not `{cmd_str}`"
            ));
        }
        let names: Vec<String> = match combine {
            Combine::Single => {
                if name.contains(char::is_whitespace) {
                    return Err(format!("flowbits: spaces are not allowed in name `{name}`"));
                }
                vec![name.to_string()]
            }
            Combine::Any | Combine::All => {
                let sep = if combine == Combine::Any { '|' } else { '&' };
                let mut out = Vec::new();
                for tok in name.split(sep).map(str::trim).filter(|t| !t.is_empty()) {
                    if tok.contains(char::is_whitespace) {
                        return Err(format!("flowbits: spaces are not allowed in name `{tok}`"));
                    }
                    if out.len() == MAX_GROUP_NAMES {
                        return Err(format!(
                            "flowbits: more than {MAX_GROUP_NAMES} names in one group"
                        ));
                    }
                    out.push(tok.to_string());
                }
                if out.is_empty() {
                    return Err(format!("flowbits: no name in `{name}`"));
                }
                out
            }
        };
        let combine = if names.len() == 1 {
            Combine::Single
        } else {
            combine
        };
        Ok(Flowbits {
            cmd,
            names,
            combine,
        })
    }

    /// True for `isset` / `isnotset`.
    pub fn is_condition(&self) -> bool {
        matches!(self.cmd, FlowbitsCmd::IsSet | FlowbitsCmd::IsNotSet)
    }

    /// True for `noalert`.
    pub fn is_noalert(&self) -> bool {
        self.cmd == FlowbitsCmd::NoAlert
    }

    /// Resolves the names to ids.
    pub fn resolve(&self, interner: &mut Interner) -> FlowbitsOp {
        FlowbitsOp {
            cmd: self.cmd,
            combine: self.combine,
            ids: self
                .names
                .iter()
                .map(|n| FlowbitName(interner.intern(n)))
                .collect(),
        }
    }
}

/// A resolved `flowbits` option, ready to run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowbitsOp {
    /// The command.
    pub cmd: FlowbitsCmd,
    /// How the ids combine.
    pub combine: Combine,
    /// The bits.
    pub ids: Vec<FlowbitName>,
}

impl FlowbitsOp {
    /// Parses and resolves in one step.
    pub fn parse(value: &str, interner: &mut Interner) -> Result<FlowbitsOp, String> {
        Flowbits::parse(value).map(|f| f.resolve(interner))
    }

    /// True for `isnotset`. (Without a flow Suricata matches no flowbits
    /// condition at all, `isnotset` included: a rule using flowbits
    /// requires a flow.)
    pub fn is_negative_condition(&self) -> bool {
        self.cmd == FlowbitsCmd::IsNotSet
    }

    /// True for `isset` / `isnotset`.
    pub fn is_condition(&self) -> bool {
        matches!(self.cmd, FlowbitsCmd::IsSet | FlowbitsCmd::IsNotSet)
    }

    /// True for `noalert`.
    pub fn is_noalert(&self) -> bool {
        self.cmd == FlowbitsCmd::NoAlert
    }

    /// Evaluates a condition against the flow's variables (actions and
    /// `noalert` evaluate to true: they never prevent a match).
    pub fn evaluate(&self, vars: &FlowVars) -> bool {
        let set = |n: &FlowbitName| vars.is_set(n.0);
        match (self.cmd, self.combine) {
            (FlowbitsCmd::IsSet, Combine::Single | Combine::All) => self.ids.iter().all(set),
            (FlowbitsCmd::IsSet, Combine::Any) => self.ids.iter().any(set),
            (FlowbitsCmd::IsNotSet, Combine::Single | Combine::All) => {
                self.ids.iter().all(|n| !set(n))
            }
            (FlowbitsCmd::IsNotSet, Combine::Any) => self.ids.iter().any(|n| !set(n)),
            _ => true,
        }
    }

    /// Applies an action (conditions and `noalert` do nothing).
    pub fn apply(&self, vars: &mut FlowVars) {
        for n in &self.ids {
            match self.cmd {
                FlowbitsCmd::Set => {
                    vars.set(n.0);
                }
                FlowbitsCmd::Unset => vars.unset(n.0),
                FlowbitsCmd::Toggle => vars.toggle(n.0),
                _ => return,
            }
        }
    }
}

/// Checks the flowbits of one signature the way Suricata does: `isset` and
/// `isnotset` of the same bit is an error (the rule can never match);
/// `set`+`isset`, `unset`+`isnotset` and `set`+`unset` of the same bit are
/// inconsequential and returned as warnings. Groups are not compared.
pub fn check_signature(ops: &[Flowbits]) -> Result<Vec<String>, String> {
    use FlowbitsCmd::*;
    let mut warnings = Vec::new();
    let singles: Vec<(&str, FlowbitsCmd)> = ops
        .iter()
        .filter(|o| o.combine == Combine::Single)
        .filter_map(|o| o.names.first().map(|n| (n.as_str(), o.cmd)))
        .collect();
    for (i, (name, a)) in singles.iter().enumerate() {
        for (other, b) in singles.iter().skip(i + 1) {
            if name != other {
                continue;
            }
            let pair = |x, y| (*a == x && *b == y) || (*a == y && *b == x);
            if pair(IsSet, IsNotSet) {
                return Err(format!(
                    "flowbits: isset and isnotset of `{name}` in one rule can never match"
                ));
            }
            if pair(Set, IsSet) || pair(Unset, IsNotSet) || pair(Set, Unset) {
                warnings.push(format!(
                    "flowbits: {a:?} and {b:?} of `{name}` in one rule is inconsequential"
                ));
            }
        }
    }
    Ok(warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(v: &str, i: &mut Interner) -> FlowbitsOp {
        Flowbits::parse(v)
            .unwrap_or_else(|e| panic!("{v}: {e}"))
            .resolve(i)
    }

    #[test]
    fn parse_forms() {
        let f = Flowbits::parse("set,ET.http.binary").unwrap();
        assert_eq!(f.cmd, FlowbitsCmd::Set);
        assert_eq!(f.names, vec!["ET.http.binary"]);
        assert!(!f.is_condition());
        let f = Flowbits::parse("isset, user1 | user2 ").unwrap();
        assert_eq!((f.cmd, f.combine), (FlowbitsCmd::IsSet, Combine::Any));
        assert_eq!(f.names, vec!["user1", "user2"]);
        assert!(f.is_condition());
        let f = Flowbits::parse("set,a&b&c").unwrap();
        assert_eq!((f.combine, f.names.len()), (Combine::All, 3));
        let f = Flowbits::parse("isset,a|").unwrap();
        assert_eq!((f.combine, f.names.len()), (Combine::Single, 1));
        assert!(Flowbits::parse("noalert").unwrap().is_noalert());
        assert_eq!(
            Flowbits::parse("toggle,x").unwrap().cmd,
            FlowbitsCmd::Toggle
        );
        assert_eq!(
            Flowbits::parse("isnotset,x").unwrap().cmd,
            FlowbitsCmd::IsNotSet
        );
        assert_eq!(Flowbits::parse("unset,x").unwrap().cmd, FlowbitsCmd::Unset);
    }

    #[test]
    fn rejects() {
        let cases: &[(&str, &str)] = &[
            ("", "is not <command>"),
            ("Set,x", "is not <command>"),
            ("bogus,x", "unknown command `bogus`"),
            ("set", "needs a name"),
            ("set,", "needs a name"),
            ("noalert,x", "takes no name"),
            ("set,a b", "spaces are not allowed"),
            ("isset,a b|c", "spaces are not allowed"),
            ("set,a|b", "only with isset/isnotset"),
            ("isset,a|b&c", "cannot mix"),
            ("isset,|", "no name"),
            ("set x", "is not <command>"),
        ];
        for (bad, msg) in cases {
            let e = Flowbits::parse(bad).unwrap_err();
            assert!(e.starts_with("flowbits: ") && e.contains(msg), "{bad}: {e}");
        }
        let many = (0..=MAX_GROUP_NAMES)
            .map(|i| format!("b{i}"))
            .collect::<Vec<_>>()
            .join("|");
        assert!(Flowbits::parse(&format!("isset,{many}"))
            .unwrap_err()
            .contains("more than"));
    }

    #[test]
    fn set_then_isset_across_packets() {
        let mut i = Interner::new();
        let set = op("set,userlogin", &mut i);
        let isset = op("isset,userlogin", &mut i);
        let isnotset = op("isnotset,userlogin", &mut i);
        let unset = op("unset,userlogin", &mut i);
        assert_eq!(set.ids, isset.ids, "one id per name");
        assert!(isnotset.is_negative_condition() && !isset.is_negative_condition());
        let direct = FlowbitsOp::parse("isset,userlogin", &mut i).unwrap();
        assert_eq!(direct, isset);
        assert!(FlowbitsOp::parse("isset", &mut i).is_err());
        let mut vars = FlowVars::new();
        assert!(!isset.evaluate(&vars));
        assert!(isnotset.evaluate(&vars));
        set.apply(&mut vars); // packet 1 matched the setting rule
        assert!(isset.evaluate(&vars)); // packet 2
        assert!(!isnotset.evaluate(&vars));
        isset.apply(&mut vars); // conditions do not change state
        assert!(isset.evaluate(&vars));
        unset.apply(&mut vars);
        assert!(!isset.evaluate(&vars));
        assert_eq!(vars.bit_count(), 0);
    }

    #[test]
    fn toggle() {
        let mut i = Interner::new();
        let t = op("toggle,x", &mut i);
        let isset = op("isset,x", &mut i);
        let mut vars = FlowVars::new();
        t.apply(&mut vars);
        assert!(isset.evaluate(&vars));
        t.apply(&mut vars);
        assert!(!isset.evaluate(&vars));
        t.apply(&mut vars);
        assert!(isset.evaluate(&vars));
    }

    #[test]
    fn or_groups() {
        let mut i = Interner::new();
        let any = op("isset,user1|user2", &mut i);
        let none = op("isnotset,user1|user2", &mut i);
        let mut vars = FlowVars::new();
        assert!(!any.evaluate(&vars));
        assert!(none.evaluate(&vars));
        op("set,user2", &mut i).apply(&mut vars);
        assert!(any.evaluate(&vars));
        assert!(none.evaluate(&vars), "user1 is still not set");
        op("set,user1", &mut i).apply(&mut vars);
        assert!(any.evaluate(&vars));
        assert!(!none.evaluate(&vars), "both set");
    }

    #[test]
    fn and_groups() {
        let mut i = Interner::new();
        let all = op("isset,a&b", &mut i);
        let neither = op("isnotset,a&b", &mut i);
        let mut vars = FlowVars::new();
        assert!(!all.evaluate(&vars));
        assert!(neither.evaluate(&vars));
        op("set,a", &mut i).apply(&mut vars);
        assert!(!all.evaluate(&vars));
        assert!(!neither.evaluate(&vars));
        op("set,a&b", &mut i).apply(&mut vars);
        assert!(all.evaluate(&vars));
        op("toggle,a&b", &mut i).apply(&mut vars);
        assert!(neither.evaluate(&vars));
        op("set,a&b", &mut i).apply(&mut vars);
        op("unset,a&b", &mut i).apply(&mut vars);
        assert!(neither.evaluate(&vars));
    }

    #[test]
    fn interner() {
        let mut i = Interner::new();
        assert!(i.is_empty());
        let a = i.intern("a");
        let b = i.intern("B");
        assert_ne!(a, b);
        assert_eq!(i.intern("a"), a);
        assert_eq!(i.get("b"), None, "names are case-sensitive");
        assert_eq!(i.name(b), Some("B"));
        assert_eq!(i.name(99), None);
        assert_eq!(i.len(), 2);
    }

    #[test]
    fn bounds() {
        let mut vars = FlowVars::new();
        for id in 0..MAX_FLOWBITS_PER_FLOW as u32 {
            assert!(vars.set(id));
        }
        assert!(vars.set(5), "re-setting a held bit is fine");
        assert!(!vars.set(5000));
        assert!(!vars.is_set(5000));
        assert_eq!(vars.overflows(), 1);
        for id in 0..MAX_FLOWINTS_PER_FLOW as u32 {
            assert!(vars.set_int(id, id));
        }
        assert!(vars.set_int(3, 9));
        assert_eq!(vars.int(3), Some(9));
        assert!(!vars.set_int(9999, 1));
        assert_eq!(vars.int(9999), None);
        assert_eq!(vars.overflows(), 2);
        vars.clear();
        assert_eq!((vars.bit_count(), vars.int_count()), (0, 0));
    }

    #[test]
    fn signature_checks() {
        let p = |v: &str| Flowbits::parse(v).unwrap();
        assert!(check_signature(&[p("isset,a"), p("isnotset,a")]).is_err());
        assert!(check_signature(&[p("isset,a"), p("isnotset,b")])
            .unwrap()
            .is_empty());
        assert_eq!(
            check_signature(&[p("set,a"), p("isset,a")]).unwrap().len(),
            1
        );
        assert_eq!(
            check_signature(&[p("unset,a"), p("isnotset,a")])
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            check_signature(&[p("set,a"), p("unset,a")]).unwrap().len(),
            1
        );
        assert!(check_signature(&[p("isset,a|b"), p("isnotset,a|b")]).is_ok());
    }
}
