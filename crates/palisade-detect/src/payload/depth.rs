//! `depth:N`: the previous `content` must lie entirely within the first `N`
//! bytes counted from its `offset` (from the buffer start without one).
//!
//! Suricata rules enforced: a preceding content is needed; only one `depth`
//! (or `startswith`) per content; it can't be mixed with `distance`/`within`
//! on the same content; not on a content with `fast_pattern:only`, nor on a
//! negated content that has `fast_pattern`; a literal `N` smaller than the
//! pattern is an error. `N` may be a `byte_extract`/`byte_math` variable;
//! literals accept decimal or `0x` hex, up to 1 MiB.

use super::builder::PayloadBuilder;
use super::content::check_positional;
use super::{NumOrVar, PayloadError};

const KW: &str = "depth";

/// Largest literal for `offset`/`depth`/`distance`/`within` (Suricata's
/// `DETECT_CONTENT_VALUE_MAX`, 1 MiB).
pub(super) const VALUE_MAX: i128 = 1024 * 1024;

pub(super) fn setup(b: &mut PayloadBuilder, value: &str) -> Result<(), PayloadError> {
    b.require_content(KW)?;
    let v = b.num_or_var(KW, "depth", value, 0, 0, VALUE_MAX)?;
    let c = b.last_content_mut(KW)?;
    if c.depth.is_some() {
        return Err(PayloadError::kw(
            KW,
            "a content can have only one depth or startswith",
        ));
    }
    if c.is_relative() {
        return Err(PayloadError::kw(
            KW,
            "can't mix an absolute modifier (depth/offset) with a relative one (distance/within) on one content",
        ));
    }
    check_positional(KW, c)?;
    if let NumOrVar::Num(n) = v {
        if (n as usize) < c.pattern.len() {
            return Err(PayloadError::kw(
                KW,
                format!(
                    "depth {n} is smaller than the content length {}",
                    c.pattern.len()
                ),
            ));
        }
    }
    c.depth = Some(v.map(|n| n as u32));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::tests::{check, err};

    #[test]
    fn depth_limits_the_match_end() {
        check(r#"content:"abc"; depth:3;"#, b"abcxx", true);
        check(r#"content:"abc"; depth:3;"#, b"xabcx", false);
        check(r#"content:"abc"; depth:4;"#, b"xabcx", true);
        check(r#"content:"abc"; offset:1; depth:3;"#, b"xabcx", true);
        check(r#"content:"abc"; depth:0x4;"#, b"xabc", true);
    }

    #[test]
    fn depth_errors() {
        err(r#"depth:3;"#, "depth: needs a preceding content");
        err(
            r#"content:"abc"; depth:2;"#,
            "smaller than the content length",
        );
        err(r#"content:"abc"; depth:3; depth:4;"#, "only one depth");
        err(
            r#"content:"a"; content:"abc"; distance:0; depth:4;"#,
            "can't mix",
        );
        err(r#"content:"abc"; depth:-1;"#, "invalid depth");
        err(r#"content:"abc"; depth:x;"#, "unknown variable `x`");
        err(
            r#"content:"abc"; fast_pattern:only; depth:4;"#,
            "fast_pattern:only",
        );
    }
}
