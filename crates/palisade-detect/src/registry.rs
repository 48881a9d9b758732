//! The one list of everything a rule can say, for `palisade rules keywords`.

use crate::buffers::BUFFERS;
use crate::header::HEADER_KEYWORDS;
use crate::payload::PayloadBuilder;
use crate::signature::{meta_keywords, unsupported_keywords};

/// One keyword.
#[derive(Clone, Debug)]
pub struct KeywordInfo {
    /// Name as written in rules.
    pub name: String,
    /// meta, payload, header, flow, buffer, modifier, app, unsupported.
    pub group: &'static str,
    /// What it does.
    pub doc: String,
}

/// Every keyword, grouped.
pub fn keyword_table() -> Vec<KeywordInfo> {
    let mut v = Vec::new();
    let mut push = |name: &str, group: &'static str, doc: &str| {
        v.push(KeywordInfo {
            name: name.to_string(),
            group,
            doc: doc.to_string(),
        })
    };
    for (n, d) in meta_keywords() {
        push(n, "meta", d);
    }
    for (n, d) in PayloadBuilder::keywords() {
        push(n, "payload", d);
    }
    for (n, d) in HEADER_KEYWORDS {
        push(n, "header", d);
    }
    for b in BUFFERS {
        push(b.name, "buffer", b.doc);
        for a in b.aliases {
            push(a, "buffer", &format!("alias of {}", b.name));
        }
        if let Some(m) = b.modifier {
            push(
                m,
                "modifier",
                &format!("moves the previous content to {}", b.name),
            );
        }
    }
    for f in crate::fields::INT_FIELDS {
        push(f.name, "app", f.doc);
        for a in f.aliases {
            push(a, "app", &format!("alias of {}", f.name));
        }
    }
    for (n, d) in unsupported_keywords() {
        push(n, "unsupported", d);
    }
    v
}
