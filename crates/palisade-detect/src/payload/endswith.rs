//! `endswith`: the previous `content` must end exactly at the end of the
//! buffer; the same as following it with `isdataat:!1,relative;` (which the
//! builder turns into `endswith` when it directly follows a content, as
//! Suricata does).
//!
//! A negated content with `endswith` matches when the buffer does not end
//! with the pattern (within the content's window). Suricata compares the
//! first occurrence's end with the window length here, which misjudges
//! buffers where the pattern also occurs earlier; palisade implements the
//! documented meaning instead.

use super::builder::PayloadBuilder;
use super::PayloadError;

const KW: &str = "endswith";

pub(super) fn setup(b: &mut PayloadBuilder, _: ()) -> Result<(), PayloadError> {
    let c = b.last_content_mut(KW)?;
    c.endswith = true;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::tests::{check, err};

    #[test]
    fn endswith_anchors_at_end() {
        check(r#"content:".php"; endswith;"#, b"/index.php", true);
        check(r#"content:".php"; endswith;"#, b"/index.php?x", false);
        check(r#"content:".php"; endswith;"#, b"/a.php/b.php", true);
        check(r#"content:"aa"; endswith;"#, b"aaa", true);
        check(r#"content:!".php"; endswith;"#, b"/a.php/b.phpx", true);
        check(r#"content:!".php"; endswith;"#, b"/a.php/b.php", false);
        check(r#"content:"a"; isdataat:!1,relative;"#, b"aXa", true);
        check(r#"content:"a"; isdataat:!1,relative;"#, b"aXaX", false);
        check(
            r#"content:"/"; content:"x"; distance:0; endswith;"#,
            b"/x/x",
            true,
        );
    }

    #[test]
    fn endswith_errors() {
        err(r#"endswith;"#, "endswith: needs a preceding content");
    }
}
