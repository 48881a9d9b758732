//! `rawbytes`: accepted for compatibility with Snort rules; it has no effect
//! (Suricata inspects raw bytes anyway).
//!
//! Suricata rules enforced: a preceding content is needed; not used twice on
//! one content; not inside a sticky buffer.

use super::builder::PayloadBuilder;
use super::PayloadError;

const KW: &str = "rawbytes";

pub(super) fn setup(b: &mut PayloadBuilder, _: ()) -> Result<(), PayloadError> {
    if b.is_sticky() {
        return Err(PayloadError::kw(KW, "can't be used in a sticky buffer"));
    }
    let c = b.last_content_mut(KW)?;
    if c.rawbytes {
        return Err(PayloadError::kw(KW, "used twice on the same content"));
    }
    c.rawbytes = true;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::tests::{check, err};

    #[test]
    fn rawbytes_is_accepted() {
        check(r#"content:"ab"; rawbytes;"#, b"xab", true);
        check(r#"content:"ab"; rawbytes;"#, b"xa", false);
    }

    #[test]
    fn rawbytes_errors() {
        err(r#"rawbytes;"#, "rawbytes: needs a preceding content");
        err(r#"content:"a"; rawbytes; rawbytes;"#, "twice");
    }
}
