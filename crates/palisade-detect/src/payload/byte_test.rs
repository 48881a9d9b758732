//! `byte_test:<nbytes>,[!]<op>,<value>,<offset>[,relative][,big|little]
//! [,string[,hex|dec|oct]][,bitmask <mask>]`: read a number from the buffer
//! and compare it.
//!
//! * `nbytes`: 1..=8 for binary reads, 1..=23 with `string`; or a variable;
//! * `op`: `=`, `<`, `>`, `<=`, `>=`, `&` (any common bit set), `^` (Suricata
//!   implements it as "value XOR operand is non-zero", i.e. they differ);
//!   `!` negates, alone it means `!=`;
//! * `value`: decimal, `0x` hex or leading-`0` octal (C `strtoull` base 0), or
//!   a variable; `offset`: a signed number or a variable;
//! * `string` without a base detects it like C (`0x`, leading `0`);
//! * `bitmask`: applied to the read value, which is then shifted right by
//!   the mask's trailing zeros, before comparing;
//! * `dce` is rejected: it takes its byte order from a DCE/RPC header, and
//!   palisade has no DCE/RPC inspection.
//!
//! `byte_test` does not move the inspection position.

use super::builder::{PayloadBuilder, Placement};
use super::byte_common::{self, apply_bitmask, locate, read_number, Endian, NumberFormat};
use super::num::{self, strtoull, StrNum};
use super::{read_var, Matcher, NumOrVar, PayloadError};

const KW: &str = "byte_test";

/// The comparison of a `byte_test`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TestOp {
    /// `=`
    Eq,
    /// `<`
    Lt,
    /// `>`
    Gt,
    /// `<=`
    Le,
    /// `>=`
    Ge,
    /// `&`: `value & operand != 0`
    And,
    /// `^`: `value ^ operand != 0`
    Xor,
}

/// A compiled `byte_test`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ByteTest {
    /// Bytes to read.
    pub nbytes: NumOrVar<u8>,
    /// Comparison.
    pub op: TestOp,
    /// `!` before the operator.
    pub negated: bool,
    /// Operand.
    pub value: NumOrVar<u64>,
    /// Where to read.
    pub offset: NumOrVar<i32>,
    /// `relative`.
    pub relative: bool,
    /// Binary or text read.
    pub format: NumberFormat,
    /// `bitmask`.
    pub bitmask: Option<u32>,
}

impl ByteTest {
    pub(super) fn eval(&self, buf: &[u8], cursor: usize, vars: &[u64]) -> bool {
        let nbytes = match self.nbytes {
            NumOrVar::Num(n) => usize::from(n),
            NumOrVar::Var(v) => {
                let n = read_var(vars, v);
                let max = match self.format {
                    NumberFormat::Binary(_) => 8,
                    NumberFormat::String(_) => byte_common::MAX_STRING_BYTES as u64,
                };
                if n > max {
                    return false;
                }
                n as usize
            }
        };
        let offset = match self.offset {
            NumOrVar::Num(n) => i64::from(n),
            NumOrVar::Var(v) => i64::try_from(read_var(vars, v)).unwrap_or(i64::MAX),
        };
        let value = match self.value {
            NumOrVar::Num(n) => n,
            NumOrVar::Var(v) => read_var(vars, v),
        };
        let Some(start) = locate(buf.len(), cursor, self.relative, offset, nbytes, false) else {
            return false;
        };
        let Some((mut v, _)) = buf
            .get(start..start + nbytes)
            .and_then(|b| read_number(b, self.format))
        else {
            return false;
        };
        if let Some(mask) = self.bitmask {
            v = apply_bitmask(v, mask);
        }
        let m = match self.op {
            TestOp::Eq => v == value,
            TestOp::Lt => v < value,
            TestOp::Gt => v > value,
            TestOp::Le => v <= value,
            TestOp::Ge => v >= value,
            TestOp::And => v & value != 0,
            TestOp::Xor => v ^ value != 0,
        };
        m != self.negated
    }
}

/// Parses a comma list into trimmed tokens.
pub(super) fn tokens(value: &str) -> Vec<&str> {
    value.split(',').map(str::trim).collect()
}

/// `bitmask <v>` value: C `strtoull` base 0, must fit 32 bits.
pub(super) fn parse_bitmask(kw: &str, v: &str) -> Result<u32, PayloadError> {
    match strtoull(v.trim().as_bytes(), 0) {
        StrNum::Value { value, .. } => u32::try_from(value)
            .map_err(|_| PayloadError::kw(kw, format!("bitmask `{v}` does not fit 32 bits"))),
        _ => Err(PayloadError::kw(kw, format!("invalid bitmask `{v}`"))),
    }
}

pub(super) fn dce_unsupported(kw: &str) -> PayloadError {
    PayloadError::kw(
        kw,
        "the dce option takes its byte order from DCE/RPC, which palisade does not inspect",
    )
}

pub(super) fn setup(b: &mut PayloadBuilder, value: &str) -> Result<(), PayloadError> {
    let t = tokens(value);
    let [nb, op, val, off, flags @ ..] = t.as_slice() else {
        return Err(PayloadError::kw(
            KW,
            "expected <nbytes>,<operator>,<value>,<offset>[,options]",
        ));
    };
    let nbytes = if num::is_var_name(nb) {
        NumOrVar::Var(b.lookup_var(KW, nb)?)
    } else {
        let n = num::parse_in_range(nb, 10, 1, 23)
            .ok_or_else(|| PayloadError::kw(KW, format!("invalid number of bytes `{nb}`")))?;
        NumOrVar::Num(n as u8)
    };
    let (negated, opstr) = match op.strip_prefix('!') {
        Some(r) => (
            true,
            r.trim_start_matches(|c: char| c.is_whitespace() || c == ','),
        ),
        None => (false, *op),
    };
    let op = match opstr {
        "=" => TestOp::Eq,
        "" if negated => TestOp::Eq,
        "<" => TestOp::Lt,
        ">" => TestOp::Gt,
        "<=" => TestOp::Le,
        ">=" => TestOp::Ge,
        "&" => TestOp::And,
        "^" => TestOp::Xor,
        _ => return Err(PayloadError::kw(KW, format!("invalid operator `{op}`"))),
    };
    let value = if num::is_var_name(val) {
        NumOrVar::Var(b.lookup_var(KW, val)?)
    } else {
        match strtoull(val.as_bytes(), 0) {
            StrNum::Value { value, .. } if !val.is_empty() => NumOrVar::Num(value),
            _ => return Err(PayloadError::kw(KW, format!("invalid value `{val}`"))),
        }
    };
    let offset = b
        .num_or_var(
            KW,
            "offset",
            off,
            0,
            i128::from(i32::MIN),
            i128::from(i32::MAX),
        )?
        .map(|v| v as i32);

    let mut relative = false;
    let mut little = false;
    let mut string = false;
    let mut base: Option<u32> = None;
    let mut bitmask = None;
    for f in flags {
        let mut words = f.split_whitespace();
        let w = words.next().unwrap_or("").to_ascii_lowercase();
        let arg = words.next();
        if w != "bitmask" && arg.is_some() || words.next().is_some() {
            return Err(PayloadError::kw(KW, format!("unknown option `{f}`")));
        }
        match w.as_str() {
            "relative" => relative = true,
            "big" => little = false,
            "little" => little = true,
            "string" => string = true,
            "hex" | "dec" | "oct" => {
                if base.is_some() {
                    return Err(PayloadError::kw(KW, "more than one base"));
                }
                base = byte_common::base_word(&w);
            }
            "dce" => return Err(dce_unsupported(KW)),
            "bitmask" => {
                let a = arg.ok_or_else(|| PayloadError::kw(KW, "bitmask needs a value"))?;
                bitmask = Some(parse_bitmask(KW, a)?);
            }
            _ => return Err(PayloadError::kw(KW, format!("unknown option `{f}`"))),
        }
    }
    if !string {
        if base.is_some() {
            return Err(PayloadError::kw(KW, "a base (hex/dec/oct) needs string"));
        }
        if let NumOrVar::Num(n) = nbytes {
            if n > 8 {
                return Err(PayloadError::kw(
                    KW,
                    "can't read more than 8 bytes without string",
                ));
            }
        }
    }
    let format = if string {
        NumberFormat::String(base.unwrap_or(0))
    } else {
        NumberFormat::Binary(if little { Endian::Little } else { Endian::Big })
    };
    let placement = if relative {
        Placement::FollowLast
    } else {
        Placement::Payload
    };
    let target = b.target(placement);
    b.push(
        target,
        Matcher::ByteTest(ByteTest {
            nbytes,
            op,
            negated,
            value,
            offset,
            relative,
            format,
            bitmask,
        }),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::tests::{check, err};

    #[test]
    fn operators() {
        let buf = b"\x00\x01\x00\x02";
        check("byte_test:2,=,0x01,0;", buf, true);
        check("byte_test:2,=,1,0;", buf, true);
        check("byte_test:2,!=,1,0;", buf, false);
        check("byte_test:2,!,1,0;", buf, false);
        check("byte_test:2,!=,6,0;", buf, true);
        check("byte_test:2,<,2,0;", buf, true);
        check("byte_test:2,>,1,2;", buf, true);
        check("byte_test:2,>=,2,2;", buf, true);
        check("byte_test:2,<=,1,2;", buf, false);
        check("byte_test:2,&,0x01,0;", buf, true);
        check("byte_test:2,&,0x02,0;", buf, false);
        check("byte_test:2,! &,0x02,0;", buf, true);
        check("byte_test:2,^,1,0;", buf, false);
        check("byte_test:2,^,3,0;", buf, true);
        check("byte_test:4,=,0x00010002,0;", buf, true);
        check("byte_test:8,=,1,0;", buf, false); // not enough data
    }

    #[test]
    fn endianness_and_relative() {
        let buf = b"\x00\x01\x00\x02";
        check("byte_test:2,=,0x0100,0,little;", buf, true);
        check("byte_test:2,=,0x0100,0,little,big;", buf, false);
        check(
            r#"content:"|00 01|"; byte_test:2,=,2,0,relative;"#,
            buf,
            true,
        );
        check(
            r#"content:"|00 01|"; byte_test:2,=,2,1,relative;"#,
            buf,
            false,
        );
        check(
            r#"content:"|00 01|"; byte_test:1,=,1,-1,relative;"#,
            buf,
            true,
        );
        check(
            r#"content:"|00 02|"; byte_test:1,=,0,0,relative;"#,
            buf,
            false,
        );
    }

    #[test]
    fn strings() {
        check(
            r#"content:"foobar"; byte_test:4,=,1337,1,relative,string,dec;"#,
            b"foobar 1337",
            true,
        );
        check(r#"byte_test:3,=,255,0,string,hex;"#, b"ff ", true);
        check(r#"byte_test:3,=,8,0,string,oct;"#, b"010", true);
        check(r#"byte_test:4,=,16,0,string;"#, b"0x10", true);
        check(r#"byte_test:4,=,12,0,string,dec;"#, b"12ab", true);
        check(r#"byte_test:4,=,0,0,string,dec;"#, b"abcd", false);
        check(r#"byte_test:4,>,100,0,string,dec;"#, b" 123", true);
    }

    #[test]
    fn bitmask_and_vars() {
        check("byte_test:2,=,0xab,0,bitmask 0xff00;", b"\xab\xcd", true);
        check("byte_test:2,=,0xc,0,bitmask 0x00f0;", b"\xab\xcd", true);
        check("byte_extract:1,0,v; byte_test:1,=,v,1;", b"\x07\x07", true);
        check("byte_extract:1,0,v; byte_test:1,=,v,1;", b"\x07\x08", false);
        check(
            "byte_extract:1,0,o; byte_test:1,=,9,o;",
            b"\x02\x00\x09",
            true,
        );
        check(
            "byte_extract:1,0,n; byte_test:n,=,0x0102,1;",
            b"\x02\x01\x02",
            true,
        );
        check(
            "byte_extract:1,0,n; byte_test:n,=,1,1;",
            b"\x09\x01\x02",
            false,
        );
    }

    #[test]
    fn errors() {
        err("byte_test:2,=,1;", "expected <nbytes>");
        err("byte_test:9,=,1,0;", "more than 8 bytes");
        err("byte_test:24,=,1,0,string;", "invalid number of bytes");
        err("byte_test:0,=,1,0;", "invalid number of bytes");
        err("byte_test:2,==,1,0;", "invalid operator");
        err("byte_test:2,=,1,0,hex;", "needs string");
        err("byte_test:2,=,1,0,dce;", "DCE/RPC");
        err("byte_test:2,=,1,0,relatve;", "unknown option");
        err("byte_test:2,=,x,0;", "unknown variable `x`");
        err("byte_test:2,=,1,0,bitmask;", "bitmask needs a value");
        err("byte_test:2,=,1,0,bitmask 0x1ffffffff;", "32 bits");
        err("byte_test:2,=,1,0,string,hex,dec;", "more than one base");
        err("byte_test:2,=,--,0;", "invalid value");
    }
}
