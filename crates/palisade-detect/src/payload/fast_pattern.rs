//! `fast_pattern`: marks the previous `content` as the one the engine's
//! multi-pattern prefilter should use. Forms: `fast_pattern;`,
//! `fast_pattern:only;`, `fast_pattern:<offset>,<length>;` (chop: only that
//! slice of the pattern is given to the prefilter).
//!
//! It does not change what [`super::inspect()`] checks; the engine uses
//! [`super::Content::fast_pattern_bytes`] and
//! [`super::Content::is_fast_pattern_only_eligible`].
//!
//! Suricata rules enforced: a preceding content is needed; one
//! `fast_pattern` per rule; not on a negated content that has a position
//! modifier; `only` not on a negated content nor one with
//! `offset`/`depth`/`distance`/`within` (and those may not follow it); the
//! chop must lie inside the pattern.

use super::builder::PayloadBuilder;
use super::content::FastPattern;
use super::num;
use super::PayloadError;

const KW: &str = "fast_pattern";

pub(super) fn setup(b: &mut PayloadBuilder, value: Option<&str>) -> Result<(), PayloadError> {
    enum Arg {
        Bare,
        Only,
        Chop(u16, u16),
    }
    let arg = match value.map(str::trim) {
        None | Some("") => Arg::Bare,
        Some("only") => Arg::Only,
        Some(v) => {
            let (o, l) = v.split_once(',').ok_or_else(|| {
                PayloadError::kw(
                    KW,
                    format!("invalid value `{v}` (expected only or <offset>,<length>)"),
                )
            })?;
            let o = num::parse_in_range(o, 10, 0, 65535).ok_or_else(|| {
                PayloadError::kw(KW, format!("invalid chop offset `{}`", o.trim()))
            })?;
            let l = num::parse_in_range(l, 10, 0, 65535).ok_or_else(|| {
                PayloadError::kw(KW, format!("invalid chop length `{}`", l.trim()))
            })?;
            Arg::Chop(o as u16, l as u16)
        }
    };
    let already = b.has_fast_pattern();
    let c = b.last_content_mut(KW)?;
    let positional = c.offset.is_some() || c.depth.is_some() || c.is_relative();
    if c.negated && positional {
        return Err(PayloadError::kw(
            KW,
            "can't be used on a negated content with offset/depth/distance/within",
        ));
    }
    if c.fast_pattern != FastPattern::None {
        return Err(PayloadError::kw(KW, "used twice on the same content"));
    }
    if already {
        return Err(PayloadError::kw(
            KW,
            "can be used on only one content in a rule",
        ));
    }
    match arg {
        Arg::Bare => c.fast_pattern = FastPattern::Explicit,
        Arg::Only => {
            if c.negated || positional {
                return Err(PayloadError::kw(
                    KW,
                    "only can't be used on a negated content or one with offset/depth/distance/within",
                ));
            }
            c.fast_pattern = FastPattern::Only;
        }
        Arg::Chop(o, l) => {
            let end = usize::from(o) + usize::from(l);
            if end > c.pattern.len() {
                return Err(PayloadError::kw(
                    KW,
                    format!(
                        "chop {o},{l} exceeds the pattern length {}",
                        c.pattern.len()
                    ),
                ));
            }
            if l == 0 {
                return Err(PayloadError::kw(KW, "chop length must be at least 1"));
            }
            c.chop = Some((o, l));
            c.fast_pattern = FastPattern::Explicit;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::tests::{build, err};
    use super::super::{BufferKey, FastPattern};

    #[test]
    fn forms() {
        let p = build(r#"content:"abcdef"; fast_pattern:1,3;"#).unwrap();
        let c = p.contents(BufferKey(0)).next().unwrap();
        assert_eq!(c.fast_pattern, FastPattern::Explicit);
        assert_eq!(c.fast_pattern_bytes(), b"bcd");
        let p = build(r#"content:"abc"; fast_pattern:only;"#).unwrap();
        let c = p.contents(BufferKey(0)).next().unwrap();
        assert_eq!(c.fast_pattern, FastPattern::Only);
        assert!(c.is_fast_pattern_only_eligible());
        let p = build(r#"content:"abc"; fast_pattern; content:"d"; distance:0;"#).unwrap();
        let c = p.contents(BufferKey(0)).next().unwrap();
        assert_eq!(c.fast_pattern, FastPattern::Explicit);
        assert!(!c.is_fast_pattern_only_eligible());
    }

    #[test]
    fn errors() {
        err(r#"fast_pattern;"#, "needs a preceding content");
        err(
            r#"content:"a"; fast_pattern; content:"b"; fast_pattern;"#,
            "only one content",
        );
        err(r#"content:"a"; fast_pattern; fast_pattern;"#, "twice");
        err(
            r#"content:"abc"; fast_pattern:2,2;"#,
            "exceeds the pattern length",
        );
        err(r#"content:"abc"; fast_pattern:x;"#, "invalid value");
        err(r#"content:"abc"; fast_pattern:1,y;"#, "invalid chop length");
        err(r#"content:!"a"; depth:3; fast_pattern;"#, "negated");
        err(r#"content:!"a"; fast_pattern:only;"#, "negated");
        err(r#"content:"a"; depth:3; fast_pattern:only;"#, "only can't");
        err(
            r#"content:"a"; fast_pattern:only; content:"b"; within:1;"#,
            "fast_pattern:only",
        );
        err(
            r#"content:!"a"; fast_pattern; depth:2;"#,
            "negated content that has fast_pattern",
        );
    }
}
