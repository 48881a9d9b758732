//! `isdataat:[!]N[,relative][,rawbytes]`: check that the buffer has data at a
//! position.
//!
//! * absolute: true when `N < buffer length` (byte `N` exists);
//! * relative: true when `previous match end + N <= buffer length` (one byte
//!   of difference, as Suricata documents);
//! * `!` negates; `rawbytes` is accepted and ignored;
//! * `N` may be a `byte_extract`/`byte_math` variable; a variable value of
//!   100 000 000 or more is "too far": no data (so the negated form matches).
//!
//! A failed literal check is final for the list (it can't change by
//! re-searching earlier contents), a failed variable check is not.
//! `isdataat:!1,relative` directly after a content becomes that content's
//! `endswith`, like Suricata.

use super::builder::{PayloadBuilder, Placement};
use super::{Matcher, NumOrVar, PayloadError};

const KW: &str = "isdataat";

/// Variable values at or above this mean "no data there" (Suricata).
pub(super) const VAR_TOO_BIG: u64 = 100_000_000;

/// A compiled `isdataat`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IsDataAt {
    /// Position (or its variable).
    pub offset: NumOrVar<u16>,
    /// `relative`.
    pub relative: bool,
    /// `!`.
    pub negated: bool,
}

pub(super) fn setup(b: &mut PayloadBuilder, value: &str) -> Result<(), PayloadError> {
    let (negated, rest) = match value.trim().strip_prefix('!') {
        Some(r) => (true, r),
        None => (false, value.trim()),
    };
    let mut parts = rest.split(',').map(str::trim);
    let n = parts.next().unwrap_or("");
    if n.is_empty() || n.contains(char::is_whitespace) {
        return Err(PayloadError::kw(KW, format!("invalid position `{n}`")));
    }
    let mut relative = false;
    let mut rawbytes = false;
    for opt in parts {
        match opt {
            "relative" if !relative && !rawbytes => relative = true,
            "rawbytes" if !rawbytes => rawbytes = true,
            _ => {
                return Err(PayloadError::kw(
                    KW,
                    format!("invalid option `{opt}` (expected [!]N[,relative][,rawbytes])"),
                ))
            }
        }
    }
    let offset = b
        .num_or_var(KW, "position", n, 10, 0, 65535)?
        .map(|v| v as u16);

    let placement = if relative {
        Placement::FollowLast
    } else {
        Placement::Payload
    };
    let target = b.target(placement);
    // 'ends with' scenario
    if relative && negated && offset == NumOrVar::Num(1) {
        let last = b.entries(target).len().checked_sub(1);
        if let Some(i) = last {
            if matches!(
                b.entries(target).get(i).map(|e| &e.m),
                Some(Matcher::Content(_))
            ) {
                if let Some((lr, ci)) = b.last_content_loc() {
                    if lr == target && ci == i {
                        b.last_content_mut(KW)?.endswith = true;
                        return Ok(());
                    }
                }
            }
        }
    }
    b.push(
        target,
        Matcher::IsDataAt(IsDataAt {
            offset,
            relative,
            negated,
        }),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::tests::{check, err};

    #[test]
    fn absolute_and_relative_differ_by_one() {
        // Suricata's documented table on "abcdefgh"
        let buf = b"abcdefgh";
        check("isdataat:7;", buf, true);
        check("isdataat:8;", buf, false);
        check("isdataat:7,relative;", buf, true);
        check("isdataat:8,relative;", buf, true);
        check("isdataat:9,relative;", buf, false);
        check(r#"content:"c"; isdataat:4,relative;"#, buf, true);
        check(r#"content:"c"; isdataat:5,relative;"#, buf, true);
        check(r#"content:"c"; isdataat:6,relative;"#, buf, false);
    }

    #[test]
    fn negation() {
        check("isdataat:!8;", b"abcdefgh", true);
        check("isdataat:!7;", b"abcdefgh", false);
        check(r#"content:"c"; isdataat:!6,relative;"#, b"abcdefgh", true);
        check(r#"content:"c"; isdataat:!5,relative;"#, b"abcdefgh", false);
        check("isdataat:!0;", b"", true);
        check("isdataat:0;", b"", false);
    }

    #[test]
    fn variables() {
        check(r#"byte_extract:1,0,n; isdataat:n;"#, b"\x03abc", true);
        check(r#"byte_extract:1,0,n; isdataat:n;"#, b"\x04abc", false);
        check(r#"byte_extract:1,0,n; isdataat:!n;"#, b"\x04abc", true);
        check(
            r#"byte_extract:4,0,n; isdataat:!n;"#,
            b"\xff\xff\xff\xff",
            true,
        );
        check(
            r#"byte_extract:4,0,n; isdataat:n,relative;"#,
            b"\xff\xff\xff\xff",
            false,
        );
    }

    #[test]
    fn backtracks_through_relative_isdataat() {
        // first "a" has data after it, the second does not
        check(r#"content:"a"; isdataat:!2,relative;"#, b"aXXa", true);
    }

    #[test]
    fn errors() {
        err("isdataat:;", "needs a value");
        err("isdataat:-1;", "invalid position");
        err("isdataat:70000;", "invalid position");
        err("isdataat:5,relatve;", "invalid option");
        err("isdataat:x;", "unknown variable `x`");
        err("isdataat:5 6;", "invalid position");
    }
}
