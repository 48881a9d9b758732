//! `flowint`: named 32-bit counters kept per flow.
//!
//! Syntax: `flowint:<name>,<op>[,<value or variable>]` with
//! - actions `=` (set), `+` (add), `-` (subtract): run once the whole
//!   signature matched, like flowbits actions; `+` on an unset counter sets
//!   it to the value, `-` on an unset counter does nothing; arithmetic
//!   wraps at 32 bits as in Suricata;
//! - conditions `==`, `!=`, `<`, `<=`, `>`, `>=` (false when the counter
//!   is unset), `isset`, `notset` / `isnotset`.
//!
//! The operand is a decimal number up to 4294967295 or the name of another
//! counter (read at evaluation time; an unset one counts as 0). Names start
//! with a letter and are at least two characters of letters, digits, `_`,
//! `.` and `/` (operand variables: letters, digits, `_`), as Suricata's
//! parser requires. Without a flow nothing matches and nothing applies.

use super::flowbits::{FlowVars, Interner};

/// A flowint operator (Suricata calls them modifiers).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum FlowintModifier {
    /// `=` (action).
    Set,
    /// `+` (action).
    Add,
    /// `-` (action).
    Sub,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `isset`
    IsSet,
    /// `notset` / `isnotset`
    NotSet,
}

impl FlowintModifier {
    /// True for the comparison and set tests (evaluated with the rule).
    pub fn is_condition(self) -> bool {
        !matches!(
            self,
            FlowintModifier::Set | FlowintModifier::Add | FlowintModifier::Sub
        )
    }
}

/// The operand of a flowint operator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FlowintTarget {
    /// `isset` / `notset`: none.
    None,
    /// A number.
    Value(u32),
    /// Another counter, by name.
    Var(String),
}

/// A parsed `flowint` option (names not yet resolved).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flowint {
    /// The counter.
    pub name: String,
    /// The operator.
    pub op: FlowintModifier,
    /// The operand.
    pub target: FlowintTarget,
}

fn valid_name(s: &str, extra: &[u8]) -> bool {
    let b = s.as_bytes();
    b.len() >= 2
        && b[0].is_ascii_alphabetic()
        && b[1..]
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'_' || extra.contains(c))
}

impl Flowint {
    /// Parses the option value.
    pub fn parse(value: &str) -> Result<Self, String> {
        let err = |m: String| format!("flowint: {m}");
        let v = value.trim();
        let (name, rest) = v
            .split_once(',')
            .ok_or_else(|| err(format!("`{v}` is not <name>,<operator>[,<value>]")))?;
        let name = name.trim();
        if !valid_name(name, b"./") {
            return Err(err(format!(
                "bad variable name `{name}` (a letter then letters, digits, `_`, `.` or `/`)"
            )));
        }
        let rest = rest.trim_start();
        const OPS: [(&str, FlowintModifier); 12] = [
            ("isnotset", FlowintModifier::NotSet),
            ("notset", FlowintModifier::NotSet),
            ("isset", FlowintModifier::IsSet),
            ("==", FlowintModifier::Eq),
            ("!=", FlowintModifier::Ne),
            ("<=", FlowintModifier::Le),
            (">=", FlowintModifier::Ge),
            ("<", FlowintModifier::Lt),
            (">", FlowintModifier::Gt),
            ("=", FlowintModifier::Set),
            ("+", FlowintModifier::Add),
            ("-", FlowintModifier::Sub),
        ];
        let (op, after) = OPS
            .iter()
            .find_map(|(tok, op)| rest.strip_prefix(tok).map(|r| (*op, r)))
            .ok_or_else(|| err(format!("unknown operator in `{rest}`")))?;
        let after = after.trim_start();
        let operand = after.strip_prefix(',').unwrap_or(after).trim();
        let parsed = if operand.is_empty() {
            None
        } else if operand.as_bytes()[0].is_ascii_digit() {
            if operand.len() > 10 || !operand.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err(format!("bad value `{operand}`")));
            }
            let n: u64 = operand
                .parse()
                .map_err(|_| err(format!("bad value `{operand}`")))?;
            let n = u32::try_from(n)
                .map_err(|_| err(format!("value {n} is larger than 4294967295")))?;
            Some(FlowintTarget::Value(n))
        } else if valid_name(operand, b"") {
            Some(FlowintTarget::Var(operand.to_string()))
        } else {
            return Err(err(format!("bad value or variable `{operand}`")));
        };
        let target = match (op, parsed) {
            // Suricata's parser accepts and ignores an operand here.
            (FlowintModifier::IsSet | FlowintModifier::NotSet, _) => FlowintTarget::None,
            (_, Some(t)) => t,
            (_, None) => {
                return Err(err(format!(
                    "operator `{op:?}` needs a value or a variable"
                )))
            }
        };
        Ok(Flowint {
            name: name.to_string(),
            op,
            target,
        })
    }

    /// True for conditions (comparisons, `isset`, `notset`).
    pub fn is_condition(&self) -> bool {
        self.op.is_condition()
    }

    /// Resolves the names to ids (counters share one interner, separate
    /// from the flowbits one).
    pub fn resolve(&self, interner: &mut Interner) -> FlowintOp {
        FlowintOp {
            id: interner.intern(&self.name),
            op: self.op,
            target: match &self.target {
                FlowintTarget::None => ResolvedTarget::None,
                FlowintTarget::Value(v) => ResolvedTarget::Value(*v),
                FlowintTarget::Var(n) => ResolvedTarget::Var(interner.intern(n)),
            },
        }
    }
}

/// A resolved operand.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ResolvedTarget {
    /// No operand.
    None,
    /// A number.
    Value(u32),
    /// Another counter's id.
    Var(u32),
}

/// A resolved `flowint` option, ready to run.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct FlowintOp {
    /// The counter's id.
    pub id: u32,
    /// The operator.
    pub op: FlowintModifier,
    /// The operand.
    pub target: ResolvedTarget,
}

impl FlowintOp {
    /// Parses and resolves in one step.
    pub fn parse(value: &str, interner: &mut Interner) -> Result<FlowintOp, String> {
        Flowint::parse(value).map(|f| f.resolve(interner))
    }

    /// True for conditions.
    pub fn is_condition(&self) -> bool {
        self.op.is_condition()
    }

    fn target_value(&self, vars: &FlowVars) -> u32 {
        match self.target {
            ResolvedTarget::None => 0,
            ResolvedTarget::Value(v) => v,
            ResolvedTarget::Var(id) => vars.int(id).unwrap_or(0),
        }
    }

    /// Evaluates a condition (actions evaluate to true).
    pub fn evaluate(&self, vars: &FlowVars) -> bool {
        let cur = vars.int(self.id);
        let t = self.target_value(vars);
        match self.op {
            FlowintModifier::IsSet => cur.is_some(),
            FlowintModifier::NotSet => cur.is_none(),
            FlowintModifier::Eq => cur.is_some_and(|c| c == t),
            FlowintModifier::Ne => cur.is_some_and(|c| c != t),
            FlowintModifier::Lt => cur.is_some_and(|c| c < t),
            FlowintModifier::Le => cur.is_some_and(|c| c <= t),
            FlowintModifier::Gt => cur.is_some_and(|c| c > t),
            FlowintModifier::Ge => cur.is_some_and(|c| c >= t),
            FlowintModifier::Set | FlowintModifier::Add | FlowintModifier::Sub => true,
        }
    }

    /// Applies an action (conditions do nothing).
    pub fn apply(&self, vars: &mut FlowVars) {
        let t = self.target_value(vars);
        let cur = vars.int(self.id);
        match (self.op, cur) {
            (FlowintModifier::Set, _) | (FlowintModifier::Add, None) => {
                vars.set_int(self.id, t);
            }
            (FlowintModifier::Add, Some(c)) => {
                vars.set_int(self.id, c.wrapping_add(t));
            }
            (FlowintModifier::Sub, Some(c)) => {
                vars.set_int(self.id, c.wrapping_sub(t));
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(v: &str, i: &mut Interner) -> FlowintOp {
        Flowint::parse(v)
            .unwrap_or_else(|e| panic!("{v}: {e}"))
            .resolve(i)
    }

    #[test]
    fn parse_forms() {
        let f = Flowint::parse("usernamecount, +, 1").unwrap();
        assert_eq!(
            (f.op, f.target.clone()),
            (FlowintModifier::Add, FlowintTarget::Value(1))
        );
        assert!(!f.is_condition());
        let f = Flowint::parse("cntpackets,==,maxvar").unwrap();
        assert_eq!(f.target, FlowintTarget::Var("maxvar".into()));
        assert!(f.is_condition());
        assert_eq!(
            Flowint::parse("loginfail, notset").unwrap().op,
            FlowintModifier::NotSet
        );
        assert_eq!(
            Flowint::parse("loginfail,isnotset").unwrap().op,
            FlowintModifier::NotSet
        );
        assert_eq!(
            Flowint::parse("loginfail,isset").unwrap().op,
            FlowintModifier::IsSet
        );
        assert_eq!(
            Flowint::parse("a.b/c,<=,5").unwrap().op,
            FlowintModifier::Le
        );
        assert_eq!(Flowint::parse("ab,>=,5").unwrap().op, FlowintModifier::Ge);
        assert_eq!(Flowint::parse("ab,<,5").unwrap().op, FlowintModifier::Lt);
        assert_eq!(Flowint::parse("ab,>,5").unwrap().op, FlowintModifier::Gt);
        assert_eq!(Flowint::parse("ab,!=,5").unwrap().op, FlowintModifier::Ne);
        assert_eq!(
            Flowint::parse("ab,=,4294967295").unwrap().target,
            FlowintTarget::Value(u32::MAX)
        );
        assert_eq!(Flowint::parse("ab,-,1").unwrap().op, FlowintModifier::Sub);
    }

    #[test]
    fn rejects() {
        for bad in [
            "",
            "ab",
            "a,+,1",
            "1a,+,1",
            "ab,*,1",
            "ab,+",
            "ab,+,",
            "ab,=,4294967296",
            "ab,=,12345678901",
            "ab,=,1x",
            "ab,=,x",
            "ab,=,_x",
            "ab,=,a-b",
            "ab cd,+,1",
            "ab,isset,x y",
        ] {
            let e = Flowint::parse(bad).unwrap_err();
            assert!(e.starts_with("flowint: "), "{bad}: {e}");
        }
    }

    #[test]
    fn counting_usernames() {
        let mut i = Interner::new();
        let inc = run("usernamecount,+,1", &mut i);
        let over5 = run("usernamecount,>,5", &mut i);
        let mut vars = FlowVars::new();
        let mut alerts = 0;
        for _ in 0..8 {
            // `flowint:usernamecount,+,1; flowint:usernamecount,>,5;`:
            // the condition is tested first, the action after a match.
            if over5.evaluate(&vars) {
                alerts += 1;
            }
            inc.apply(&mut vars);
        }
        assert_eq!(vars.int(inc.id), Some(8));
        assert_eq!(alerts, 2, "packets 7 and 8 see a count above 5");
    }

    #[test]
    fn set_add_sub_and_unset_semantics() {
        let mut i = Interner::new();
        let mut vars = FlowVars::new();
        let notset = run("loginfail,notset", &mut i);
        let isset = run("loginfail,isset", &mut i);
        let eq1 = run("loginfail,==,1", &mut i);
        let sub = run("loginfail,-,1", &mut i);
        assert!(notset.evaluate(&vars) && !isset.evaluate(&vars));
        assert!(!eq1.evaluate(&vars), "comparisons on an unset counter fail");
        sub.apply(&mut vars);
        assert!(
            notset.evaluate(&vars),
            "`-` on an unset counter does nothing"
        );
        run("loginfail,=,1", &mut i).apply(&mut vars);
        assert!(isset.evaluate(&vars) && eq1.evaluate(&vars));
        sub.apply(&mut vars);
        sub.apply(&mut vars);
        assert_eq!(
            vars.int(eq1.id),
            Some(u32::MAX),
            "wraps like Suricata's u32"
        );
        run("fresh,+,7", &mut i).apply(&mut vars);
        assert_eq!(vars.int(i.get("fresh").unwrap_or(u32::MAX)), Some(7));
    }

    #[test]
    fn variable_operands() {
        let mut i = Interner::new();
        let mut vars = FlowVars::new();
        let cmp = run("cntpackets,==,maxvar", &mut i);
        run("cntpackets,=,6", &mut i).apply(&mut vars);
        assert!(!cmp.evaluate(&vars), "unset maxvar counts as 0");
        run("maxvar,=,6", &mut i).apply(&mut vars);
        assert!(cmp.evaluate(&vars));
        run("cntpackets,+,maxvar", &mut i).apply(&mut vars);
        assert_eq!(vars.int(cmp.id), Some(12));
        assert!(cmp.apply_is_noop_for_conditions(&mut vars));
    }

    impl FlowintOp {
        fn apply_is_noop_for_conditions(&self, vars: &mut FlowVars) -> bool {
            let before = vars.clone();
            self.apply(vars);
            *vars == before
        }
    }
}
