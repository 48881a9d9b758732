//! Keywords on a transaction's integer fields: `mqtt.type:CONNACK`,
//! `mqtt.qos:1`, `mqtt.flags:retain,!dup`, `mqtt.connect.flags:username`,
//! `mqtt.reason_code:0`, `mqtt.connack.session_present:true`,
//! `tls.version:1.2`, `tls.cert_expired`. The fields and their argument
//! syntax are listed in [`palisade_proto::fields`]; the protocols report
//! values through `Transaction::integer`. The keyword matches when any
//! value of the field matches (an MQTT transaction holds a request and its
//! response: `mqtt.type:CONNACK` matches the CONNECT+CONNACK transaction).

use crate::keywords::uint::UintCmp;
use palisade_proto::fields::{by_name, IntFieldId, IntKind};
use palisade_proto::tx::Transaction;

/// How a value is tested.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum IntTest {
    /// Integer comparison.
    Cmp(UintCmp),
    /// `value & mask == want`.
    Bits {
        /// Flags mentioned.
        mask: u64,
        /// Their required values.
        want: u64,
    },
}

/// A parsed keyword.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct TxInt {
    /// The field.
    pub field: IntFieldId,
    /// The test.
    pub test: IntTest,
}

impl TxInt {
    /// Whether `name` is a transaction integer keyword.
    pub fn is_keyword(name: &str) -> bool {
        by_name(name).is_some()
    }

    /// Parses `name:value`; None when `name` is not such a keyword.
    pub fn parse(name: &str, value: Option<&str>) -> Option<Result<TxInt, String>> {
        let field = by_name(name)?;
        let spec = field.spec()?;
        let v = value.map(str::trim).unwrap_or("");
        let test = match spec.kind {
            IntKind::Uint => UintCmp::parse(v).map(IntTest::Cmp),
            IntKind::Enum(names) => names
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(v))
                .map(|(_, x)| Ok(IntTest::Cmp(UintCmp::equal(*x))))
                .unwrap_or_else(|| UintCmp::parse(v).map(IntTest::Cmp))
                .map_err(|_| {
                    let all: Vec<&str> = names.iter().map(|(n, _)| *n).collect();
                    format!("`{v}` is not one of {}", all.join(", "))
                }),
            IntKind::Flags(names) => {
                let mut mask = 0u64;
                let mut want = 0u64;
                let mut err = None;
                for part in v.split(',').map(str::trim) {
                    let (neg, n) = match part.strip_prefix('!') {
                        Some(n) => (true, n.trim()),
                        None => (false, part),
                    };
                    match names.iter().find(|(f, _)| f.eq_ignore_ascii_case(n)) {
                        Some((_, bit)) => {
                            mask |= bit;
                            if !neg {
                                want |= bit;
                            }
                        }
                        None => {
                            err = Some(format!("unknown flag `{n}`"));
                            break;
                        }
                    }
                }
                match err {
                    Some(e) => Err(e),
                    None => Ok(IntTest::Bits { mask, want }),
                }
            }
            IntKind::Bool => match v.to_ascii_lowercase().as_str() {
                "" | "true" | "yes" | "1" => Ok(IntTest::Cmp(UintCmp::equal(1))),
                "false" | "no" | "0" => Ok(IntTest::Cmp(UintCmp::equal(0))),
                other => Err(format!("`{other}` is not true/false/yes/no")),
            },
        };
        Some(
            test.map(|test| TxInt { field, test })
                .map_err(|e| format!("{name}: {e}")),
        )
    }

    /// Whether one value satisfies the test.
    pub fn matches_value(&self, x: u64) -> bool {
        match self.test {
            IntTest::Cmp(c) => c.matches(x),
            IntTest::Bits { mask, want } => x & mask == want,
        }
    }

    /// Whether any value of the field in `tx` satisfies the test.
    pub fn matches(&self, tx: &dyn Transaction) -> bool {
        let mut any = false;
        tx.integer(self.field, &mut |x| any |= self.matches_value(x));
        any
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(n: &str, v: Option<&str>) -> TxInt {
        TxInt::parse(n, v).unwrap().unwrap()
    }

    #[test]
    fn parses_each_kind() {
        assert!(p("mqtt.type", Some("CONNACK")).matches_value(2));
        assert!(p("mqtt.type", Some("connack")).matches_value(2));
        assert!(p("mqtt.type", Some("2")).matches_value(2));
        assert!(TxInt::parse("mqtt.type", Some("NOPE")).unwrap().is_err());
        let f = p("mqtt.flags", Some("retain,!dup"));
        assert!(f.matches_value(0x01));
        assert!(!f.matches_value(0x09));
        assert!(!f.matches_value(0x00));
        assert!(p("mqtt.qos", Some(">0")).matches_value(1));
        assert!(p("mqtt.connack.return_code", Some("0")).matches_value(0));
        assert!(p("tls.cert_expired", None).matches_value(1));
        assert!(p("mqtt.connack.session_present", Some("false")).matches_value(0));
        assert!(p("tls.version", Some("1.2")).matches_value(0x0303));
        assert!(TxInt::parse("mqtt.connect.flags", Some("username,bogus"))
            .unwrap()
            .is_err());
        assert!(TxInt::parse("ttl", Some("1")).is_none());
    }
}
