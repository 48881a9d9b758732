//! `bsize`: compare the size of the whole sticky buffer, with Suricata's
//! integer syntax ([`super::UintCmp`], 64-bit, exclusive ranges), e.g.
//! `bsize:10;`, `bsize:<25;`, `bsize:8<>20;`.
//!
//! It needs a sticky buffer (use `dsize` for the packet payload). As in
//! Suricata, a signature where a content of the same list is longer than
//! the largest size `bsize` allows is rejected. A failed `bsize` is final
//! for the list.

use super::builder::{PayloadBuilder, Placement};
use super::{Matcher, PayloadError, UintCmp};

const KW: &str = "bsize";

pub(super) fn setup(b: &mut PayloadBuilder, value: &str) -> Result<(), PayloadError> {
    if !b.is_sticky() {
        return Err(PayloadError::kw(
            KW,
            "needs a sticky buffer (use dsize for the packet payload)",
        ));
    }
    let m = UintCmp::parse(value)
        .map_err(|e| PayloadError::kw(KW, format!("invalid integer value: {e}")))?;
    let target = b.target(Placement::Payload);
    b.push(target, Matcher::Bsize(m));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::tests::{check, err};

    #[test]
    fn compares_buffer_size() {
        check(
            r#"@1; content:"google.com"; bsize:10;"#,
            b"google.com",
            true,
        );
        check(
            r#"@1; content:"google.com"; bsize:10;"#,
            b"google.com.",
            false,
        );
        check(r#"@1; content:"google"; bsize:<10;"#, b"google.de", true);
        check(r#"@1; content:"google"; bsize:>=10;"#, b"google.de", false);
        check(r#"@1; bsize:8<>20;"#, b"123456789", true);
        check(r#"@1; bsize:8<>20;"#, b"12345678", false);
        check(r#"@1; bsize:0;"#, b"", true);
    }

    #[test]
    fn errors() {
        err(r#"bsize:10;"#, "needs a sticky buffer");
        err(r#"@1; bsize:abc;"#, "bsize: invalid integer value");
        err(
            r#"@1; content:"longer string"; bsize:<10;"#,
            "can never fit",
        );
        err(r#"@1; content:"middle"; bsize:1<>5;"#, "can never fit");
    }
}
