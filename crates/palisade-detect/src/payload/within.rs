//! `within:N`: the previous `content` must end no further than `N` bytes
//! after the end of the previous match, counted from `distance` when both
//! are set: the window is `[prev + distance, prev + distance + within)`.
//!
//! Suricata rules enforced: a preceding content is needed; one `within` per
//! content; not mixed with `depth`/`offset`/`startswith`; not on a
//! `fast_pattern:only` content nor a negated one with `fast_pattern`; a
//! literal smaller than the pattern length is an error ("will never
//! match"). `N` may be a variable; literals up to 1 MiB.
//!
//! A content with `within` makes the previous content/pcre re-searched when
//! it fails, so `content:"a"; content:"b"; distance:0; within:1;` finds
//! `"ab"` in `"aXab"`.

use super::builder::PayloadBuilder;
use super::content::check_positional;
use super::depth::VALUE_MAX;
use super::{NumOrVar, PayloadError};

const KW: &str = "within";

pub(super) fn setup(b: &mut PayloadBuilder, value: &str) -> Result<(), PayloadError> {
    b.require_content(KW)?;
    let v = b.num_or_var(KW, "within", value, 0, -VALUE_MAX, VALUE_MAX)?;
    let c = b.last_content_mut(KW)?;
    if c.within.is_some() {
        return Err(PayloadError::kw(KW, "a content can have only one within"));
    }
    if c.depth.is_some() || c.offset.is_some() {
        return Err(PayloadError::kw(
            KW,
            "can't mix a relative modifier (distance/within) with an absolute one (depth/offset/startswith) on one content",
        ));
    }
    check_positional(KW, c)?;
    if let NumOrVar::Num(n) = v {
        if n < c.pattern.len() as i64 {
            return Err(PayloadError::kw(
                KW,
                format!(
                    "within {n} is less than the content length {}, so it can never match",
                    c.pattern.len()
                ),
            ));
        }
    }
    c.within = Some(v.map(|n| n as i32));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::tests::{check, err};

    #[test]
    fn within_limits_the_window() {
        check(r#"content:"ab"; content:"cd"; within:2;"#, b"abcd", true);
        check(r#"content:"ab"; content:"cd"; within:3;"#, b"abxcd", true);
        check(r#"content:"ab"; content:"cd"; within:3;"#, b"abxxcd", false);
        check(
            r#"content:"ab"; content:"cd"; distance:2; within:2;"#,
            b"abxxcd",
            true,
        );
        check(
            r#"content:"ab"; content:"cd"; distance:1; within:2;"#,
            b"abxxcd",
            false,
        );
        // backtracking: first "a" fails, the second works
        check(
            r#"content:"a"; content:"b"; distance:0; within:1;"#,
            b"aXab",
            true,
        );
        check(
            r#"content:"a"; content:"b"; distance:0; within:1;"#,
            b"aXaXb",
            false,
        );
        // negative distance with within
        check(
            r#"content:"cd"; content:"bc"; distance:-3; within:2;"#,
            b"abcd",
            true,
        );
    }

    #[test]
    fn within_errors() {
        err(r#"within:3;"#, "within: needs a preceding content");
        err(
            r#"content:"a"; content:"abc"; within:2;"#,
            "less than the content length",
        );
        err(
            r#"content:"a"; content:"b"; within:1; within:2;"#,
            "only one within",
        );
        err(
            r#"content:"a"; content:"b"; offset:1; within:2;"#,
            "can't mix",
        );
        err(
            r#"content:"a"; content:"b"; within:0;"#,
            "less than the content length",
        );
    }
}
