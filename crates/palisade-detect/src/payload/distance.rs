//! `distance:N`: the previous `content` is searched from `N` bytes after the
//! end of the previous match (content, pcre, or the position set by
//! `byte_jump`/`byte_extract`/`byte_math`); `N` may be negative (a start
//! before 0 is clamped to 0). Without a previous match the position is the
//! buffer start.
//!
//! Suricata rules enforced: a preceding content is needed; one `distance`
//! per content; not mixed with `depth`/`offset`/`startswith`; not on a
//! `fast_pattern:only` content nor a negated one with `fast_pattern`; the
//! previous content may not be `fast_pattern:only` (checked when the
//! signature is finished). `N` may be a variable; literals up to ±1 MiB.
//!
//! A non-negated content with only `distance` does not make the previous
//! content re-searched when it fails: a later occurrence of the previous
//! content can only shrink the window (Suricata's `DISTANCE_NEXT`).

use super::builder::PayloadBuilder;
use super::content::check_positional;
use super::depth::VALUE_MAX;
use super::PayloadError;

const KW: &str = "distance";

pub(super) fn setup(b: &mut PayloadBuilder, value: &str) -> Result<(), PayloadError> {
    b.require_content(KW)?;
    let v = b.num_or_var(KW, "distance", value, 0, -VALUE_MAX, VALUE_MAX)?;
    let c = b.last_content_mut(KW)?;
    if c.distance.is_some() {
        return Err(PayloadError::kw(KW, "a content can have only one distance"));
    }
    if c.depth.is_some() || c.offset.is_some() {
        return Err(PayloadError::kw(
            KW,
            "can't mix a relative modifier (distance/within) with an absolute one (depth/offset/startswith) on one content",
        ));
    }
    check_positional(KW, c)?;
    c.distance = Some(v.map(|n| n as i32));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::tests::{check, err};

    #[test]
    fn distance_from_previous_match() {
        check(
            r#"content:"ab"; content:"cd"; distance:2;"#,
            b"abxxcd",
            true,
        );
        check(
            r#"content:"ab"; content:"cd"; distance:3;"#,
            b"abxxcd",
            false,
        );
        check(r#"content:"ab"; content:"cd"; distance:0;"#, b"cdab", false);
        check(
            r#"content:"abcd"; content:"bc"; distance:-3;"#,
            b"abcd",
            true,
        );
        check(
            r#"content:"abcd"; content:"bc"; distance:-2;"#,
            b"abcd",
            false,
        );
        check(
            r#"content:"ab"; content:"zab"; distance:-100;"#,
            b"zabx",
            true,
        );
        // no previous match: relative to the start
        check(r#"content:"b"; distance:1;"#, b"ab", true);
        check(r#"content:"b"; distance:2;"#, b"ab", false);
    }

    #[test]
    fn distance_errors() {
        err(r#"distance:1;"#, "distance: needs a preceding content");
        err(r#"content:"a"; depth:1; distance:1;"#, "can't mix");
        err(
            r#"content:"a"; content:"b"; distance:1; distance:2;"#,
            "only one distance",
        );
        err(
            r#"content:"a"; content:"b"; distance:1x;"#,
            "invalid distance",
        );
        err(
            r#"content:"a"; fast_pattern:only; content:"b"; distance:1;"#,
            "fast_pattern:only",
        );
    }
}
