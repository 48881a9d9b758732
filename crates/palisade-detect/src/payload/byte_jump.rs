//! `byte_jump:<nbytes>,<offset>[,relative][,multiplier N][,big|little]
//! [,string[,hex|dec|oct]][,align][,from_beginning|from_end]
//! [,post_offset N][,bitmask M]`: read a number and move the inspection
//! position by it; later relative keywords start there.
//!
//! The new position is computed as in Suricata: value (after `bitmask`,
//! which also shifts by the mask's trailing zeros), times `multiplier`,
//! rounded up to a multiple of 4 with `align`, plus `post_offset`; then added
//! to the end of the read bytes (for `string`, to the end of the digits
//! read), or to the buffer start (`from_beginning`) or end (`from_end`). A
//! position before the buffer start is clamped to 0; past the end is a
//! no-match. `nbytes` 0 is allowed (with `from_end`: jump relative to the
//! end). `dce` is rejected (no DCE/RPC inspection in palisade).

use super::builder::{PayloadBuilder, Placement};
use super::byte_common::{self, apply_bitmask, locate, read_number, Endian, NumberFormat};
use super::byte_test::{dce_unsupported, parse_bitmask, tokens};
use super::num;
use super::{read_var, Matcher, NumOrVar, PayloadError};

const KW: &str = "byte_jump";

/// Where a `byte_jump` counts from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JumpFrom {
    /// The end of the bytes read (the default).
    Read,
    /// `from_beginning`.
    Beginning,
    /// `from_end`.
    End,
}

/// A compiled `byte_jump`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ByteJump {
    /// Bytes to read.
    pub nbytes: NumOrVar<u8>,
    /// Where to read.
    pub offset: NumOrVar<i32>,
    /// `relative`.
    pub relative: bool,
    /// Binary or text read.
    pub format: NumberFormat,
    /// `multiplier`.
    pub multiplier: u16,
    /// `align`.
    pub align: bool,
    /// Base of the jump.
    pub from: JumpFrom,
    /// `post_offset`.
    pub post_offset: i32,
    /// `bitmask`.
    pub bitmask: Option<u32>,
}

impl ByteJump {
    /// The new inspection position, or `None` for no match.
    pub(super) fn eval(&self, buf: &[u8], cursor: usize, vars: &[u64]) -> Option<usize> {
        let nbytes = match self.nbytes {
            NumOrVar::Num(n) => usize::from(n),
            NumOrVar::Var(v) => {
                let n = read_var(vars, v);
                let max = match self.format {
                    NumberFormat::Binary(_) => 8,
                    NumberFormat::String(_) => byte_common::MAX_STRING_BYTES as u64,
                };
                if n > max {
                    return None;
                }
                n as usize
            }
        };
        let offset = match self.offset {
            NumOrVar::Num(n) => i64::from(n),
            NumOrVar::Var(v) => i64::try_from(read_var(vars, v)).unwrap_or(i64::MAX),
        };
        let start = locate(buf.len(), cursor, self.relative, offset, nbytes, true)?;
        let bytes = buf.get(start..start + nbytes)?;
        let (mut val, used) = read_number(bytes, self.format)?;
        if let Some(mask) = self.bitmask {
            val = apply_bitmask(val, mask);
        }
        val = val.wrapping_mul(u64::from(self.multiplier));
        if self.align && val % 4 != 0 {
            val = val.wrapping_add(4 - val % 4);
        }
        val = val.wrapping_add(i64::from(self.post_offset) as u64);
        let base = match self.from {
            JumpFrom::Beginning => 0,
            JumpFrom::End => buf.len(),
            JumpFrom::Read => start + used,
        };
        let target = i128::try_from(base).ok()? + i128::from(val as i64);
        if target < 0 {
            return Some(0);
        }
        let target = usize::try_from(target).ok()?;
        (target <= buf.len()).then_some(target)
    }
}

pub(super) fn setup(b: &mut PayloadBuilder, value: &str) -> Result<(), PayloadError> {
    let t = tokens(value);
    let [nb, off, flags @ ..] = t.as_slice() else {
        return Err(PayloadError::kw(KW, "expected <nbytes>,<offset>[,options]"));
    };
    let nbytes = if num::is_var_name(nb) {
        NumOrVar::Var(b.lookup_var(KW, nb)?)
    } else {
        let n = num::parse_in_range(nb, 10, 0, 23)
            .ok_or_else(|| PayloadError::kw(KW, format!("invalid number of bytes `{nb}`")))?;
        NumOrVar::Num(n as u8)
    };
    let offset = b
        .num_or_var(KW, "offset", off, 10, -65535, 65535)?
        .map(|v| v as i32);
    let mut relative = false;
    let mut little = false;
    let mut string = false;
    let mut base: Option<u32> = None;
    let mut multiplier = 1u16;
    let mut align = false;
    let mut from_beginning = false;
    let mut from_end = false;
    let mut post_offset = 0i32;
    let mut bitmask = None;
    for f in flags {
        let mut words = f.split_whitespace();
        let w = words.next().unwrap_or("").to_ascii_lowercase();
        let arg = words.next();
        let takes_arg = matches!(w.as_str(), "multiplier" | "post_offset" | "bitmask");
        if takes_arg != arg.is_some() || words.next().is_some() {
            return Err(PayloadError::kw(KW, format!("invalid option `{f}`")));
        }
        let arg = arg.unwrap_or("");
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
            "align" => align = true,
            "from_beginning" => from_beginning = true,
            "from_end" => from_end = true,
            "dce" => return Err(dce_unsupported(KW)),
            "multiplier" => {
                multiplier = num::parse_in_range(arg, 10, 1, 65535).ok_or_else(|| {
                    PayloadError::kw(KW, format!("invalid multiplier `{arg}` (1..=65535)"))
                })? as u16;
            }
            "post_offset" => {
                post_offset = num::parse_in_range(arg, 10, -65535, 65535).ok_or_else(|| {
                    PayloadError::kw(KW, format!("invalid post_offset `{arg}` (-65535..=65535)"))
                })? as i32;
            }
            "bitmask" => bitmask = Some(parse_bitmask(KW, arg)?),
            _ => return Err(PayloadError::kw(KW, format!("unknown option `{f}`"))),
        }
    }
    if from_beginning && from_end {
        return Err(PayloadError::kw(
            KW,
            "from_beginning and from_end can't be used together",
        ));
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
    let from = if from_beginning {
        JumpFrom::Beginning
    } else if from_end {
        JumpFrom::End
    } else {
        JumpFrom::Read
    };
    let placement = if relative {
        Placement::FollowLast
    } else {
        Placement::Payload
    };
    let target = b.target(placement);
    b.push(
        target,
        Matcher::ByteJump(ByteJump {
            nbytes,
            offset,
            relative,
            format,
            multiplier,
            align,
            from,
            post_offset,
            bitmask,
        }),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::tests::{check, err};

    #[test]
    fn jumps_from_read_end() {
        // length 2 at 0, then "Bob" right after the skipped bytes
        check(
            r#"byte_jump:1,0; content:"Bob"; within:3;"#,
            b"\x02xxBob",
            true,
        );
        check(
            r#"byte_jump:1,0; content:"Bob"; within:3;"#,
            b"\x01xxBob",
            false,
        );
        check(
            r#"content:"Alice"; byte_jump:2,0,relative; content:"Bob"; distance:0; within:3;"#,
            b"Alice\x00\x01xBob",
            true,
        );
        // two jumps
        check(
            r#"byte_jump:1,0; byte_jump:1,0,relative; content:"foo"; distance:0; within:3;"#,
            b"\x01x\x02yyfoo",
            true,
        );
    }

    #[test]
    fn jump_options() {
        check(
            r#"byte_jump:1,0,multiplier 2; content:"Z"; distance:0; within:1;"#,
            b"\x02abcdZ",
            true,
        );
        check(
            r#"byte_jump:1,0,align; content:"Z"; distance:0; within:1;"#,
            b"\x01abcdZ",
            true,
        );
        check(
            r#"byte_jump:1,0,post_offset 2; content:"Z"; distance:0; within:1;"#,
            b"\x01abcZ",
            true,
        );
        check(
            r#"byte_jump:1,0,post_offset -1; content:"a"; distance:0; within:1;"#,
            b"\x01abc",
            true,
        );
        check(
            r#"byte_jump:1,1,from_beginning; content:"c"; distance:0; within:1;"#,
            b"x\x03bcc",
            true,
        );
        check(
            r#"byte_jump:0,0,from_end,post_offset -4; content:"l33t"; distance:0; within:4;"#,
            b"xxxxl33t",
            true,
        );
        check(
            r#"byte_jump:0,0,from_end,post_offset -3; content:"l33t"; distance:0; within:4;"#,
            b"xxxxl33t",
            false,
        );
        check(
            r#"byte_jump:1,0,little; content:"a"; distance:0;"#,
            b"\x01xa",
            true,
        );
        check(
            r#"byte_jump:2,0,bitmask 0x0f00; content:"Z"; distance:0; within:1;"#,
            b"\xf1\xffaZ",
            true,
        );
    }

    #[test]
    fn jump_bounds() {
        // exactly to the end is fine, one past is not
        check(r#"byte_jump:1,0; isdataat:!1,relative;"#, b"\x02ab", true);
        check(r#"byte_jump:1,0;"#, b"\x03ab", false);
        // before the start clamps to 0
        check(
            r#"byte_jump:1,0,post_offset -100; content:"X"; distance:0; within:1;"#,
            b"\x00X",
            false,
        );
        check(
            r#"byte_jump:1,1,post_offset -100; content:"X"; distance:0; within:1;"#,
            b"X\x00",
            true,
        );
        check(r#"byte_jump:4,0;"#, b"\xff\xff\xff\xff", false);
        check(r#"byte_jump:2,0;"#, b"\x00", false);
    }

    #[test]
    fn string_jump_uses_digits_read() {
        // "3" is read from "3 x": the jump counts from after the one digit
        // read, not from after the 3 bytes
        check(
            r#"byte_jump:3,0,string,dec; content:"Q"; distance:0; within:1;"#,
            b"3 xxQ",
            true,
        );
        check(
            r#"byte_jump:3,0,string,dec; content:"Q"; distance:0; within:1;"#,
            b"3xxQ",
            false,
        );
    }

    #[test]
    fn errors() {
        err("byte_jump:4;", "expected <nbytes>,<offset>");
        err("byte_jump:9,0;", "more than 8 bytes");
        err("byte_jump:4,0,hex;", "needs string");
        err(
            "byte_jump:4,0,from_end,from_beginning;",
            "can't be used together",
        );
        err("byte_jump:4,0,multiplier 0;", "invalid multiplier");
        err("byte_jump:4,0,multiplier;", "invalid option");
        err("byte_jump:4,0,post_offset 70000;", "invalid post_offset");
        err("byte_jump:4,70000;", "invalid offset");
        err("byte_jump:4,0,dce;", "DCE/RPC");
        err("byte_jump:4,0,sideways;", "unknown option");
    }
}
