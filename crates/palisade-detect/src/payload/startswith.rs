//! `startswith`: the previous `content` must match at the very start of the
//! buffer; shorthand for `offset:0; depth:<pattern length>`.
//!
//! Suricata rules enforced: a preceding content is needed; not with
//! `depth` (or a second `startswith`), `offset`, `distance`, `within`; not
//! on a `fast_pattern:only` content nor a negated one with `fast_pattern`.

use super::builder::PayloadBuilder;
use super::content::check_positional;
use super::{NumOrVar, PayloadError};

const KW: &str = "startswith";

pub(super) fn setup(b: &mut PayloadBuilder, _: ()) -> Result<(), PayloadError> {
    let c = b.last_content_mut(KW)?;
    if c.depth.is_some() {
        return Err(PayloadError::kw(
            KW,
            "a content can have only one depth or startswith",
        ));
    }
    if c.is_relative() {
        return Err(PayloadError::kw(KW, "can't be mixed with distance/within"));
    }
    if c.offset.is_some() {
        return Err(PayloadError::kw(KW, "can't be mixed with offset"));
    }
    check_positional(KW, c)?;
    c.depth = Some(NumOrVar::Num(c.pattern.len() as u32));
    c.startswith = true;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::tests::{check, err};

    #[test]
    fn startswith_anchors() {
        check(r#"content:"GET "; startswith;"#, b"GET / HTTP", true);
        check(r#"content:"GET "; startswith;"#, b" GET / HTTP", false);
        check(r#"content:"get "; nocase; startswith;"#, b"GET /", true);
        check(r#"content:!"GET "; startswith;"#, b"POST /", true);
        check(r#"content:!"GET "; startswith;"#, b"GET /", false);
    }

    #[test]
    fn startswith_errors() {
        err(r#"startswith;"#, "startswith: needs a preceding content");
        err(r#"content:"a"; depth:3; startswith;"#, "only one depth");
        err(r#"content:"a"; offset:3; startswith;"#, "offset");
        err(
            r#"content:"a"; content:"b"; distance:0; startswith;"#,
            "distance/within",
        );
        err(r#"content:"a"; startswith; offset:1;"#, "startswith");
        err(r#"content:"a"; startswith; within:1;"#, "can't mix");
    }
}
