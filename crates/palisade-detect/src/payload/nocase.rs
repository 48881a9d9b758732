//! `nocase`: the previous `content` matches ASCII letters case-insensitively
//! (bytes written in hex included). Using it twice on one content is an
//! error, as in Suricata.

use super::builder::PayloadBuilder;
use super::PayloadError;

const KW: &str = "nocase";

pub(super) fn setup(b: &mut PayloadBuilder, _: ()) -> Result<(), PayloadError> {
    let c = b.last_content_mut(KW)?;
    if c.nocase {
        return Err(PayloadError::kw(KW, "used twice on the same content"));
    }
    c.nocase = true;
    c.prepare();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{inspect, BufferKey, InspectScratch, PayloadBuilder};

    #[test]
    fn nocase_matches_any_case() {
        let mut b = PayloadBuilder::new();
        b.add("content", Some("\"|41|bC\"")).unwrap();
        b.add("nocase", None).unwrap();
        assert!(b.add("nocase", None).is_err());
        let p = b.finish().unwrap();
        let l = p.list(BufferKey(0)).unwrap();
        let mut s = InspectScratch::new();
        assert!(inspect(l, b"xxaBcxx", &mut s));
        assert!(inspect(l, b"ABC", &mut s));
        assert!(!inspect(l, b"AB", &mut s));
    }

    #[test]
    fn needs_content() {
        let mut b = PayloadBuilder::new();
        let e = b.add("nocase", None).unwrap_err();
        assert_eq!(e.0, "nocase: needs a preceding content");
    }
}
