//! `offset:N`: the previous `content` may start no earlier than byte `N` of
//! the buffer. With `depth`, the match must end within `offset + depth`.
//!
//! Suricata rules enforced: a preceding content is needed; one `offset` per
//! content; not with `startswith`; not mixed with `distance`/`within`; not on
//! a `fast_pattern:only` content nor a negated content with `fast_pattern`.
//! `N` may be a variable; literals accept decimal or `0x` hex, up to 1 MiB.

use super::builder::PayloadBuilder;
use super::content::check_positional;
use super::depth::VALUE_MAX;
use super::PayloadError;

const KW: &str = "offset";

pub(super) fn setup(b: &mut PayloadBuilder, value: &str) -> Result<(), PayloadError> {
    b.require_content(KW)?;
    let v = b.num_or_var(KW, "offset", value, 0, 0, VALUE_MAX)?;
    let c = b.last_content_mut(KW)?;
    if c.startswith {
        return Err(PayloadError::kw(KW, "can't be used with startswith"));
    }
    if c.offset.is_some() {
        return Err(PayloadError::kw(KW, "a content can have only one offset"));
    }
    if c.is_relative() {
        return Err(PayloadError::kw(
            KW,
            "can't mix an absolute modifier (depth/offset) with a relative one (distance/within) on one content",
        ));
    }
    check_positional(KW, c)?;
    c.offset = Some(v.map(|n| n as u32));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::tests::{check, err};

    #[test]
    fn offset_skips_bytes() {
        check(r#"content:"ab"; offset:2;"#, b"abxab", true);
        check(r#"content:"ab"; offset:2;"#, b"abxa", false);
        check(r#"content:"ab"; offset:3;"#, b"xxxab", true);
        check(r#"content:"ab"; offset:4;"#, b"xxxab", false);
        check(r#"content:"ab"; depth:2; offset:3;"#, b"xxxab", true);
        check(r#"content:"ab"; depth:2; offset:2;"#, b"xxxab", false);
        check(r#"content:"ab"; offset:100;"#, b"ab", false);
    }

    #[test]
    fn offset_errors() {
        err(r#"offset:1;"#, "offset: needs a preceding content");
        err(r#"content:"ab"; startswith; offset:1;"#, "startswith");
        err(r#"content:"ab"; offset:1; offset:2;"#, "only one offset");
        err(
            r#"content:"a"; content:"b"; within:1; offset:1;"#,
            "can't mix",
        );
        err(r#"content:"ab"; offset:2000000;"#, "invalid offset");
    }
}
