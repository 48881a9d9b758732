//! `base64_data`: the keywords that follow inspect the output of the
//! signature's `base64_decode` (like a sticky buffer), from position 0. It
//! needs a `base64_decode` earlier in the rule; transforms can't follow it
//! and its contents can't be `fast_pattern` (the prefilter never sees the
//! decoded data). A following sticky-buffer keyword (or `pkt_data`) leaves
//! it.

use super::builder::PayloadBuilder;
use super::PayloadError;

const KW: &str = "base64_data";

pub(super) fn setup(b: &mut PayloadBuilder, _: ()) -> Result<(), PayloadError> {
    if !b.has_base64_decode() {
        return Err(PayloadError::kw(KW, "needs a preceding base64_decode"));
    }
    b.enter_base64();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::tests::{check, err};

    #[test]
    fn inspects_decoded_data() {
        check(
            r#"base64_decode; base64_data; content:"test"; isdataat:!1,relative;"#,
            b"dGVzdA==",
            true,
        );
        check(
            r#"base64_decode; base64_data; content:"es"; offset:1; depth:3;"#,
            b"dGVzdA==",
            true,
        );
        check(
            r#"base64_decode; base64_data; pcre:"/^t.st$/";"#,
            b"dGVzdA==",
            true,
        );
        check(
            r#"base64_decode; base64_data; byte_test:1,=,0x74,0;"#,
            b"dGVzdA==",
            true,
        );
    }

    #[test]
    fn errors() {
        err(r#"base64_data;"#, "needs a preceding base64_decode");
        err(
            r#"base64_decode; base64_data; content:"a"; fast_pattern;"#,
            "base64_data",
        );
        err(
            r#"base64_decode; base64_data; to_lowercase;"#,
            "directly follow",
        );
    }
}
