//! `byte_extract:<nbytes>,<offset>,<name>[,relative][,multiplier N]
//! [,big|little][,string[,hex|dec|oct]][,align 2|4]`: read a number into a
//! variable that later keywords (`offset`, `depth`, `distance`, `within`,
//! `isdataat`, `byte_test`, `byte_jump`, `byte_math`) can use by name.
//!
//! The value is multiplied by `multiplier` (1..=65535) and rounded up to a
//! multiple of `align` (2 or 4). Like Suricata, `byte_extract` also moves the
//! inspection position to the end of the bytes read (of the digits read with
//! `string`), so a following relative keyword starts there.
//!
//! Limits as in Suricata: 1..=8 bytes binary; with `string` (default base
//! decimal) at most 23 octal, 20 decimal or 14 hex digits; `string` can't be
//! combined with an endianness; options may not repeat. Variable names must
//! start with a letter and be unique in the signature. Variables of the
//! signature live in the [`super::InspectScratch`], so a variable may be used
//! by a later list of the same signature when the engine evaluates the lists
//! in rule order with one scratch (see [`super::InspectScratch::reset_vars`]).
//! `dce` is rejected (no DCE/RPC inspection in palisade).

use super::builder::{PayloadBuilder, Placement};
use super::byte_common::{self, locate, read_number, Endian, NumberFormat};
use super::byte_test::{dce_unsupported, tokens};
use super::num;
use super::{Matcher, PayloadError, VarId};

const KW: &str = "byte_extract";

/// A compiled `byte_extract`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ByteExtract {
    /// Bytes to read.
    pub nbytes: u8,
    /// Where to read.
    pub offset: i32,
    /// The variable written.
    pub var: VarId,
    /// `relative`.
    pub relative: bool,
    /// Binary or text read.
    pub format: NumberFormat,
    /// `multiplier`.
    pub multiplier: u16,
    /// `align` (0 = none, 2 or 4).
    pub align: u8,
}

impl ByteExtract {
    /// The value and the new inspection position, or `None` for no match.
    pub(super) fn eval(&self, buf: &[u8], cursor: usize) -> Option<(u64, usize)> {
        let n = usize::from(self.nbytes);
        let start = locate(
            buf.len(),
            cursor,
            self.relative,
            i64::from(self.offset),
            n,
            false,
        )?;
        let (mut v, used) = read_number(buf.get(start..start + n)?, self.format)?;
        v = v.wrapping_mul(u64::from(self.multiplier));
        if self.align != 0 {
            let a = u64::from(self.align);
            if v % a != 0 {
                v = v.wrapping_add(a - v % a);
            }
        }
        Some((v, start + used))
    }
}

pub(super) fn setup(b: &mut PayloadBuilder, value: &str) -> Result<(), PayloadError> {
    let t = tokens(value);
    let [nb, off, name, opts @ ..] = t.as_slice() else {
        return Err(PayloadError::kw(
            KW,
            "expected <nbytes>,<offset>,<name>[,options]",
        ));
    };
    let nbytes = num::parse_in_range(nb, 10, 1, 255)
        .ok_or_else(|| PayloadError::kw(KW, format!("invalid number of bytes `{nb}`")))?
        as u8;
    let offset = num::parse_in_range(off, 10, -65535, 65535)
        .ok_or_else(|| PayloadError::kw(KW, format!("invalid offset `{off}` (-65535..=65535)")))?
        as i32;
    if name.is_empty() || name.contains(char::is_whitespace) {
        return Err(PayloadError::kw(
            KW,
            format!("invalid variable name `{name}`"),
        ));
    }
    let mut relative = false;
    let mut multiplier: Option<u16> = None;
    let mut endian: Option<Endian> = None;
    let mut string = false;
    let mut base: Option<u32> = None;
    let mut align: Option<u8> = None;
    for o in opts {
        let mut words = o.split_whitespace();
        let w = words.next().unwrap_or("");
        let arg = words.next();
        let takes_arg = matches!(w, "multiplier" | "align");
        if takes_arg != arg.is_some() || words.next().is_some() {
            return Err(PayloadError::kw(KW, format!("invalid option `{o}`")));
        }
        let arg = arg.unwrap_or("");
        let dup = || PayloadError::kw(KW, format!("`{w}` given more than once"));
        match w {
            "relative" => {
                if relative {
                    return Err(dup());
                }
                relative = true;
            }
            "multiplier" => {
                if multiplier.is_some() {
                    return Err(dup());
                }
                let m = num::parse_in_range(arg, 10, 1, 65535).ok_or_else(|| {
                    PayloadError::kw(KW, format!("invalid multiplier `{arg}` (1..=65535)"))
                })?;
                multiplier = Some(m as u16);
            }
            "big" | "little" => {
                if endian.is_some() {
                    return Err(PayloadError::kw(KW, "endianness given more than once"));
                }
                endian = Some(if w == "big" {
                    Endian::Big
                } else {
                    Endian::Little
                });
            }
            "dce" => return Err(dce_unsupported(KW)),
            "string" => {
                if string {
                    return Err(dup());
                }
                if base.is_some() {
                    return Err(PayloadError::kw(
                        KW,
                        "write the base after string (string, hex)",
                    ));
                }
                string = true;
            }
            "hex" | "dec" | "oct" => {
                if !string {
                    return Err(PayloadError::kw(
                        KW,
                        format!("base `{w}` needs a preceding string"),
                    ));
                }
                if base.is_some() {
                    return Err(PayloadError::kw(KW, "more than one base"));
                }
                base = byte_common::base_word(w);
            }
            "align" => {
                if align.is_some() {
                    return Err(dup());
                }
                match arg {
                    "2" => align = Some(2),
                    "4" => align = Some(4),
                    _ => {
                        return Err(PayloadError::kw(
                            KW,
                            format!("invalid align `{arg}` (2 or 4)"),
                        ))
                    }
                }
            }
            _ => return Err(PayloadError::kw(KW, format!("unknown option `{o}`"))),
        }
    }
    let format = if string {
        if endian.is_some() {
            return Err(PayloadError::kw(
                KW,
                "string can't be combined with big/little",
            ));
        }
        let base = base.unwrap_or(10);
        let max = match base {
            8 => 23,
            16 => 14,
            _ => 20,
        };
        if nbytes > max {
            return Err(PayloadError::kw(
                KW,
                format!("can't read more than {max} bytes as a base-{base} string"),
            ));
        }
        NumberFormat::String(base)
    } else {
        if nbytes > 8 {
            return Err(PayloadError::kw(
                KW,
                "can't read more than 8 bytes without string",
            ));
        }
        NumberFormat::Binary(endian.unwrap_or(Endian::Big))
    };
    let var = b.define_var(KW, name)?;
    let placement = if relative {
        Placement::FollowLast
    } else {
        Placement::Payload
    };
    let target = b.target(placement);
    b.push(
        target,
        Matcher::ByteExtract(ByteExtract {
            nbytes,
            offset,
            var,
            relative,
            format,
            multiplier: multiplier.unwrap_or(1),
            align: align.unwrap_or(0),
        }),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::tests::{check, err};

    #[test]
    fn extracted_values_drive_later_keywords() {
        // Suricata's documented examples
        check(
            r#"content:"Alice"; byte_extract:2,0,size; content:"Bob"; distance:size; within:3;"#,
            b"Alice\x00\x02\x00\x00xxBob",
            false,
        );
        check(
            r#"content:"Alice"; byte_extract:2,0,size,relative; content:"Bob"; distance:size; within:3;"#,
            b"Alice\x00\x02xxBob",
            true,
        );
        check(
            r#"content:"|00 FF|"; byte_extract:1,0,len,relative; content:"|5c 00|"; distance:2; within:len;"#,
            b"\x00\xff\x04ab\x5c\x00",
            true,
        );
        check(
            r#"content:"|00 FF|"; byte_extract:1,0,len,relative; content:"|5c 00|"; distance:2; within:len;"#,
            b"\x00\xff\x01ab\x5c\x00",
            false,
        );
        check(
            r#"byte_extract:1,0,o; content:"X"; offset:o;"#,
            b"\x03XxX",
            true,
        );
        check(
            r#"byte_extract:1,0,o; content:"X"; offset:o;"#,
            b"\x03Xxx",
            false,
        );
        check(
            r#"byte_extract:1,0,d; content:"X"; depth:d;"#,
            b"\x03xX",
            true,
        );
        check(
            r#"byte_extract:1,0,d; content:"X"; depth:d;"#,
            b"\x02xX",
            false,
        );
    }

    #[test]
    fn moves_the_position() {
        check(
            r#"byte_extract:2,1,v; content:"Z"; distance:0; within:1;"#,
            b"x\x00\x00Z",
            true,
        );
        check(
            r#"byte_extract:2,1,v; content:"x"; distance:0; within:1;"#,
            b"x\x00\x00Z",
            false,
        );
        check(
            r#"byte_extract:3,0,v,string,dec; byte_test:1,=,0x41,0,relative;"#,
            b"12A",
            true,
        );
    }

    #[test]
    fn multiplier_align_endianness_strings() {
        check(
            "byte_extract:1,0,v,multiplier 3; byte_test:1,=,v,1;",
            b"\x02\x06",
            true,
        );
        check(
            "byte_extract:1,0,v,align 4; byte_test:1,=,v,1;",
            b"\x05\x08",
            true,
        );
        check(
            "byte_extract:1,0,v,align 2; byte_test:1,=,v,1;",
            b"\x05\x06",
            true,
        );
        check(
            "byte_extract:2,0,v,little; byte_test:2,=,v,0,little;",
            b"\x01\x02",
            true,
        );
        check(
            "byte_extract:2,0,v,little; byte_test:2,=,0x0201,2;",
            b"\x01\x02\x02\x01",
            true,
        );
        check(
            "byte_extract:2,0,v,string,hex; byte_test:1,=,v,2;",
            b"1f\x1f",
            true,
        );
        check(
            "byte_extract:2,0,v,string; byte_test:1,=,v,2;",
            b"12\x0c",
            true,
        );
        check(
            "byte_extract:2,0,v,string,oct; byte_test:1,=,v,2;",
            b"17\x0f",
            true,
        );
        check("byte_extract:2,0,v,string,dec;", b"ab", false);
        check("byte_extract:4,0,v;", b"abc", false);
    }

    #[test]
    fn errors() {
        err("byte_extract:1,0;", "expected <nbytes>,<offset>,<name>");
        err("byte_extract:9,0,v;", "more than 8 bytes");
        err("byte_extract:21,0,v,string;", "more than 20 bytes");
        err("byte_extract:15,0,v,string,hex;", "more than 14 bytes");
        err("byte_extract:0,0,v;", "invalid number of bytes");
        err("byte_extract:1,70000,v;", "invalid offset");
        err("byte_extract:1,0,9v;", "must start with a letter");
        err("byte_extract:1,0,v,relative,relative;", "more than once");
        err("byte_extract:1,0,v,hex;", "needs a preceding string");
        err("byte_extract:1,0,v,string,big;", "can't be combined");
        err("byte_extract:1,0,v,align 3;", "invalid align");
        err("byte_extract:1,0,v,multiplier 0;", "invalid multiplier");
        err("byte_extract:1,0,v,dce;", "DCE/RPC");
        err("byte_extract:1,0,v,bogus;", "unknown option");
    }
}
