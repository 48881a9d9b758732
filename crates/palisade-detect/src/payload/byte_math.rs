//! `byte_math:bytes <n>, offset <o>, oper <op>, rvalue <v>, result <name>
//! [, relative][, endian big|little][, string hex|dec|oct][, bitmask <hex>]`
//! (options in any order): read a number, combine it with `rvalue` and store
//! the result in a variable, like `byte_extract`.
//!
//! * `bytes`: 1..=10 (or a variable); binary reads are limited to 8 bytes
//!   (palisade rejects more: such a read can never succeed), shifts to 4;
//! * `oper`: `+ - * / << >>` on 64-bit values (wrapping like C); a division by
//!   zero is a no-match; shifting by 64 or more gives 0;
//! * `rvalue`: 0..=4294967295 or a variable;
//! * `bitmask` (hex, optional `0x`) applies to the *result*, which is then
//!   shifted right by the mask's trailing zeros;
//! * it moves the inspection position to the end of the bytes read, like
//!   `byte_extract`. `dce` is rejected (no DCE/RPC inspection in palisade).

use super::builder::{PayloadBuilder, Placement};
use super::byte_common::{self, apply_bitmask, locate, read_number, Endian, NumberFormat};
use super::byte_test::dce_unsupported;
use super::num;
use super::{read_var, Matcher, NumOrVar, PayloadError, VarId};

const KW: &str = "byte_math";

/// The operation of a `byte_math`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MathOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `<<`
    Shl,
    /// `>>`
    Shr,
}

/// A compiled `byte_math`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ByteMath {
    /// Bytes to read.
    pub nbytes: NumOrVar<u8>,
    /// Where to read.
    pub offset: i32,
    /// Operation.
    pub op: MathOp,
    /// Right operand.
    pub rvalue: NumOrVar<u32>,
    /// The variable written.
    pub result: VarId,
    /// `relative`.
    pub relative: bool,
    /// Binary or text read.
    pub format: NumberFormat,
    /// `bitmask`.
    pub bitmask: Option<u32>,
}

impl ByteMath {
    /// The result and the new inspection position, or `None` for no match.
    pub(super) fn eval(&self, buf: &[u8], cursor: usize, vars: &[u64]) -> Option<(u64, usize)> {
        let n = match self.nbytes {
            NumOrVar::Num(n) => usize::from(n),
            NumOrVar::Var(v) => {
                let n = read_var(vars, v);
                let max = match self.format {
                    NumberFormat::Binary(_) => 8,
                    NumberFormat::String(_) => byte_common::MAX_STRING_BYTES as u64,
                };
                if n == 0 || n > max {
                    return None;
                }
                n as usize
            }
        };
        let rvalue = match self.rvalue {
            NumOrVar::Num(r) => u64::from(r),
            NumOrVar::Var(v) => read_var(vars, v),
        };
        let start = locate(
            buf.len(),
            cursor,
            self.relative,
            i64::from(self.offset),
            n,
            false,
        )?;
        let (v, used) = read_number(buf.get(start..start + n)?, self.format)?;
        let mut r = match self.op {
            MathOp::Add => v.wrapping_add(rvalue),
            MathOp::Sub => v.wrapping_sub(rvalue),
            MathOp::Mul => v.wrapping_mul(rvalue),
            MathOp::Div => v.checked_div(rvalue)?,
            MathOp::Shl => u32::try_from(rvalue)
                .ok()
                .and_then(|s| v.checked_shl(s))
                .unwrap_or(0),
            MathOp::Shr => u32::try_from(rvalue)
                .ok()
                .and_then(|s| v.checked_shr(s))
                .unwrap_or(0),
        };
        if let Some(mask) = self.bitmask {
            r = apply_bitmask(r, mask);
        }
        Some((r, start + used))
    }
}

pub(super) fn setup(b: &mut PayloadBuilder, value: &str) -> Result<(), PayloadError> {
    let items: Vec<&str> = value.split(',').map(str::trim).collect();
    if items.len() < 5 || items.len() > 10 {
        return Err(PayloadError::kw(
            KW,
            "expected bytes, offset, oper, rvalue, result and at most 5 options",
        ));
    }
    let mut nbytes: Option<NumOrVar<u8>> = None;
    let mut offset: Option<i32> = None;
    let mut op: Option<MathOp> = None;
    let mut rvalue: Option<NumOrVar<u32>> = None;
    let mut result: Option<&str> = None;
    let mut relative = false;
    let mut endian: Option<Endian> = None;
    let mut base: Option<u32> = None;
    let mut bitmask: Option<u32> = None;
    for item in &items {
        let (name, arg) = match item.split_once(char::is_whitespace) {
            Some((n, a)) => (n, a.trim()),
            None => (*item, ""),
        };
        let needs_arg = name != "relative" && name != "dce";
        if needs_arg == arg.is_empty() {
            return Err(PayloadError::kw(KW, format!("invalid item `{item}`")));
        }
        let dup = || PayloadError::kw(KW, format!("`{name}` given more than once"));
        match name {
            "bytes" => {
                if nbytes.is_some() {
                    return Err(dup());
                }
                nbytes = Some(if num::is_var_name(arg) {
                    NumOrVar::Var(b.lookup_var(KW, arg)?)
                } else {
                    let n = num::parse_in_range(arg, 10, 1, 10).ok_or_else(|| {
                        PayloadError::kw(KW, format!("invalid bytes `{arg}` (1..=10)"))
                    })?;
                    NumOrVar::Num(n as u8)
                });
            }
            "offset" => {
                if offset.is_some() {
                    return Err(dup());
                }
                let o = num::parse_in_range(arg, 10, -65535, 65535).ok_or_else(|| {
                    PayloadError::kw(KW, format!("invalid offset `{arg}` (-65535..=65535)"))
                })?;
                offset = Some(o as i32);
            }
            "oper" => {
                if op.is_some() {
                    return Err(dup());
                }
                op = Some(match arg {
                    "+" => MathOp::Add,
                    "-" => MathOp::Sub,
                    "*" => MathOp::Mul,
                    "/" => MathOp::Div,
                    "<<" => MathOp::Shl,
                    ">>" => MathOp::Shr,
                    _ => return Err(PayloadError::kw(KW, format!("unknown oper `{arg}`"))),
                });
            }
            "rvalue" => {
                if rvalue.is_some() {
                    return Err(dup());
                }
                rvalue = Some(if arg.bytes().all(|c| c.is_ascii_digit()) {
                    let r =
                        num::parse_in_range(arg, 10, 0, i128::from(u32::MAX)).ok_or_else(|| {
                            PayloadError::kw(
                                KW,
                                format!("rvalue `{arg}` out of range 0..=4294967295"),
                            )
                        })?;
                    NumOrVar::Num(r as u32)
                } else {
                    NumOrVar::Var(b.lookup_var(KW, arg)?)
                });
            }
            "result" => {
                if result.is_some() {
                    return Err(dup());
                }
                result = Some(arg);
            }
            "relative" => {
                if relative {
                    return Err(dup());
                }
                relative = true;
            }
            "endian" => {
                if endian.is_some() {
                    return Err(dup());
                }
                endian = Some(match arg {
                    "big" => Endian::Big,
                    "little" => Endian::Little,
                    "dce" => return Err(dce_unsupported(KW)),
                    _ => return Err(PayloadError::kw(KW, format!("invalid endian `{arg}`"))),
                });
            }
            "dce" => return Err(dce_unsupported(KW)),
            "string" => {
                if base.is_some() {
                    return Err(dup());
                }
                base = Some(byte_common::base_word(arg).ok_or_else(|| {
                    PayloadError::kw(KW, format!("invalid string base `{arg}` (hex, dec or oct)"))
                })?);
            }
            "bitmask" => {
                if bitmask.is_some() {
                    return Err(dup());
                }
                let h = arg
                    .strip_prefix("0x")
                    .or_else(|| arg.strip_prefix("0X"))
                    .unwrap_or(arg);
                bitmask = Some(u32::from_str_radix(h, 16).map_err(|_| {
                    PayloadError::kw(KW, format!("invalid bitmask `{arg}` (hex, 32 bits)"))
                })?);
            }
            _ => return Err(PayloadError::kw(KW, format!("unknown item `{item}`"))),
        }
    }
    let missing = |what: &str| PayloadError::kw(KW, format!("missing required `{what}`"));
    let nbytes = nbytes.ok_or_else(|| missing("bytes"))?;
    let offset = offset.ok_or_else(|| missing("offset"))?;
    let op = op.ok_or_else(|| missing("oper"))?;
    let rvalue = rvalue.ok_or_else(|| missing("rvalue"))?;
    let result = result.ok_or_else(|| missing("result"))?;
    if let NumOrVar::Num(n) = nbytes {
        if base.is_none() && n > 8 {
            return Err(PayloadError::kw(
                KW,
                "can't read more than 8 bytes without string",
            ));
        }
        if matches!(op, MathOp::Shl | MathOp::Shr) && n > 4 {
            return Err(PayloadError::kw(KW, "bytes must be 1..=4 with << or >>"));
        }
    }
    let format = match base {
        Some(b) => NumberFormat::String(b),
        None => NumberFormat::Binary(endian.unwrap_or(Endian::Big)),
    };
    let var = b.define_var(KW, result)?;
    let placement = if relative {
        Placement::FollowLast
    } else {
        Placement::Payload
    };
    let target = b.target(placement);
    b.push(
        target,
        Matcher::ByteMath(ByteMath {
            nbytes,
            offset,
            op,
            rvalue,
            result: var,
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
    fn operations() {
        let b = b"\x05\x0a";
        check(
            "byte_math:bytes 1, offset 0, oper +, rvalue 3, result r; byte_test:1,=,8,0,relative;",
            b"\x05\x08",
            true,
        );
        check(
            "byte_math:bytes 1, offset 0, oper -, rvalue 3, result r; byte_test:1,=,r,1;",
            b"\x05\x02",
            true,
        );
        check(
            "byte_math:bytes 1, offset 0, oper *, rvalue 2, result r; byte_test:1,=,r,1;",
            b,
            true,
        );
        check(
            "byte_math:bytes 1, offset 1, oper /, rvalue 2, result r; byte_test:1,=,r,0;",
            b,
            true,
        );
        check(
            "byte_math:bytes 1, offset 1, oper /, rvalue 0, result r;",
            b,
            false,
        );
        check(
            "byte_math:bytes 1, offset 0, oper <<, rvalue 1, result r; byte_test:1,=,r,1;",
            b,
            true,
        );
        check(
            "byte_math:bytes 1, offset 1, oper >>, rvalue 1, result r; byte_test:1,=,r,0;",
            b,
            true,
        );
        check(
            "byte_math:bytes 1, offset 1, oper >>, rvalue 70, result r; byte_test:1,=,r,0;",
            b"\x00\x0a",
            true,
        );
        check("byte_math:bytes 1, offset 0, oper -, rvalue 6, result r; byte_test:1,>,200,1; byte_test:1,=,r,0;", b"\x05\xff", false);
    }

    #[test]
    fn options_and_variables() {
        // Suricata's documented example: extract, then math with the variable
        check("byte_extract: 1, 0, extracted_val, relative; byte_math: bytes 1, offset 1, oper +, rvalue extracted_val, result var; byte_test: 2, =, var, 13;",
              b"\x02\x01\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03", true);
        check("byte_math:result r, bytes 2, offset 0, oper +, rvalue 1, endian little; byte_test:1,=,r,2;", b"\x02\x00\x03", true);
        check("byte_math:bytes 2, offset 0, oper +, rvalue 0, result r, string dec; byte_test:1,=,r,2;", b"12\x0c", true);
        check("byte_math:bytes 1, offset 0, oper +, rvalue 0, result r, bitmask 0xf0; byte_test:1,=,r,1;", b"\xab\x0a", true);
        check(
            r#"content:"|00 04 93 F3|"; content:"|00 00 00 07|"; distance:4; within:4; byte_math:bytes 4, offset 0, oper +, rvalue 248, result var, relative; byte_test:4,=,var,-4,relative;"#,
            b"\x00\x04\x93\xf3xxxx\x00\x00\x00\x07\x00\x00\x01\x00",
            false,
        );
        check(
            r#"content:"|00 00 00 07|"; byte_math:bytes 2, offset 0, oper +, rvalue 1, result var, relative; byte_test:1,=,var,0,relative;"#,
            b"\x00\x00\x00\x07\x00\x04\x05",
            true,
        );
    }

    #[test]
    fn errors() {
        err(
            "byte_math:bytes 1, offset 0, oper +, rvalue 1;",
            "expected bytes",
        );
        err(
            "byte_math:bytes 1, offset 0, oper +, rvalue 1, relative;",
            "missing required `result`",
        );
        err(
            "byte_math:bytes 11, offset 0, oper +, rvalue 1, result r;",
            "invalid bytes",
        );
        err(
            "byte_math:bytes 9, offset 0, oper +, rvalue 1, result r;",
            "more than 8 bytes",
        );
        err(
            "byte_math:bytes 5, offset 0, oper <<, rvalue 1, result r, string dec;",
            "1..=4",
        );
        err(
            "byte_math:bytes 1, offset 0, oper %, rvalue 1, result r;",
            "unknown oper",
        );
        err(
            "byte_math:bytes 1, offset 0, oper +, rvalue 4294967296, result r;",
            "out of range",
        );
        err(
            "byte_math:bytes 1, offset 0, oper +, rvalue nope, result r;",
            "unknown variable `nope`",
        );
        err(
            "byte_math:bytes 1, offset 0, oper +, rvalue 1, result r, endian middle;",
            "invalid endian",
        );
        err(
            "byte_math:bytes 1, offset 0, oper +, rvalue 1, result r, dce;",
            "DCE/RPC",
        );
        err(
            "byte_math:bytes 1, offset 0, oper +, rvalue 1, result r, bitmask zz;",
            "invalid bitmask",
        );
        err(
            "byte_math:bytes 1, offset 0, oper +, rvalue 1, result r, bytes 2;",
            "more than once",
        );
        err(
            "byte_math:bytes 1, offset 0, oper +, rvalue 1, result 1r;",
            "must start with a letter",
        );
        err(
            "byte_math:bytes 1, offset 0, oper +, rvalue 1, result r, colour red;",
            "unknown item",
        );
    }
}
