//! Cross-keyword tests: a table of rules and buffers run through the
//! builder and the inspector, plus robustness checks. The helpers here are
//! used by the keyword modules' own tests.
//!
//! Rule text in tests is a list of `keyword[:value];` options as in a rule
//! body. Two test-only pseudo options exist: `@N;` switches to sticky
//! buffer `BufferKey(N)` and `pkt_data;` switches back to the payload.

use super::{
    apply_transforms, inspect, BufferKey, InspectScratch, PayloadBuilder, PayloadError,
    PayloadProgram,
};

/// Splits rule text into (keyword, value) pairs at unescaped `;`.
pub(crate) fn options(rule: &str) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut escaped = false;
    for c in rule.chars() {
        if c == ';' && !escaped {
            out.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
        escaped = c == '\\' && !escaped;
    }
    out.push(cur);
    out.into_iter()
        .map(|o| o.trim().to_string())
        .filter(|o| !o.is_empty())
        .map(|o| match o.split_once(':') {
            Some((k, v)) => (k.trim().to_string(), Some(v.trim().to_string())),
            None => (o, None),
        })
        .collect()
}

/// Builds a program from rule text.
pub(crate) fn build(rule: &str) -> Result<PayloadProgram, PayloadError> {
    let mut b = PayloadBuilder::new();
    for (kw, v) in options(rule) {
        if let Some(n) = kw.strip_prefix('@') {
            let n: u16 = n
                .parse()
                .unwrap_or_else(|_| panic!("bad buffer switch {kw}"));
            b.switch_to(BufferKey(n));
        } else if kw == "pkt_data" {
            b.switch_to(BufferKey(0));
        } else if kw == "http_uri" {
            b.move_last_content_to(BufferKey(7))?;
        } else {
            let handled = b.add(&kw, v.as_deref())?;
            assert!(handled, "keyword {kw} not handled");
        }
    }
    b.finish()
}

/// Runs every list of the rule over `buf` (after each list's transforms)
/// with one scratch, as an engine would for one buffer.
pub(crate) fn run_rule(rule: &str, buf: &[u8]) -> bool {
    let p = build(rule).unwrap_or_else(|e| panic!("rule `{rule}` rejected: {e}"));
    let mut s = InspectScratch::new();
    s.reset_vars();
    let mut t = Vec::new();
    p.lists.iter().all(|(_, l)| {
        apply_transforms(l.transforms(), buf, &mut t);
        inspect(l, &t, &mut s)
    })
}

/// Asserts the rule's verdict on `buf`.
#[track_caller]
pub(crate) fn check(rule: &str, buf: &[u8], expected: bool) {
    assert_eq!(
        run_rule(rule, buf),
        expected,
        "rule `{rule}` on {:?}",
        String::from_utf8_lossy(buf)
    );
}

/// Asserts the rule is rejected with a message containing `needle`.
#[track_caller]
pub(crate) fn err(rule: &str, needle: &str) {
    match build(rule) {
        Ok(_) => panic!("rule `{rule}` should be rejected ({needle})"),
        Err(e) => assert!(
            e.0.contains(needle),
            "rule `{rule}`: `{e}` lacks `{needle}`"
        ),
    }
}

/// The table: rule options, buffer, expected verdict.
const TABLE: &[(&str, &[u8], bool)] = &[
    // content basics
    (r#"content:"abc";"#, b"xxabcxx", true),
    (r#"content:"abc";"#, b"xxabxcx", false),
    (r#"content:"ABC";"#, b"abc", false),
    (r#"content:"ABC"; nocase;"#, b"xaBcx", true),
    (r#"content:"|41 42|C";"#, b"ABC", true),
    (r#"content:"|61|"; nocase;"#, b"A", true),
    (r#"content:"a\;b";"#, b"a;b", true),
    (r#"content:"|00 ff|";"#, b"\x00\xff", true),
    (r#"content:"abc"; content:"abc";"#, b"abc", true),
    // offset / depth
    (r#"content:"GET"; offset:0; depth:3;"#, b"GET /", true),
    (r#"content:"GET"; depth:3;"#, b" GET /", false),
    (r#"content:"def"; offset:3; depth:3;"#, b"abcdefgh", true),
    (r#"content:"def"; offset:4;"#, b"abcdefgh", false),
    (r#"content:"gh"; offset:6; depth:2;"#, b"abcdefgh", true),
    // distance / within / backtracking
    (
        r#"content:"a"; content:"b"; distance:0; within:1;"#,
        b"aXab",
        true,
    ),
    (
        r#"content:"a"; content:"b"; distance:0; within:1;"#,
        b"aXaXb",
        false,
    ),
    (
        r#"content:"a"; content:"b"; distance:1; within:1;"#,
        b"aXb",
        true,
    ),
    (
        r#"content:"a"; content:"b"; distance:1; within:1;"#,
        b"ab",
        false,
    ),
    (
        r#"content:"Five"; content:"Ten"; within:3; distance:1;"#,
        b"Zero Five Ten Fourteen",
        true,
    ),
    (
        r#"content:"|AA BB|"; content:"|CC DD|"; distance:4; within:2;"#,
        b"\xaa\xbb1234\xcc\xdd",
        true,
    ),
    (
        r#"content:"|AA BB|"; content:"|CC DD|"; distance:4; within:2;"#,
        b"\xaa\xbb123\xcc\xdd",
        false,
    ),
    (
        r#"content:"abcd"; content:"bc"; distance:-3; within:2;"#,
        b"abcd",
        true,
    ),
    (r#"content:"x"; content:"y"; within:5;"#, b"..x..y", true),
    (r#"content:"x"; content:"y"; within:2;"#, b"..x..y", false),
    // negation
    (
        r#"content:"a"; content:!"b"; distance:0; within:1;"#,
        b"abac",
        true,
    ),
    (r#"content:!"evil";"#, b"good", true),
    (r#"content:!"evil";"#, b"so evil", false),
    (
        r#"content:"user"; content:!"admin"; distance:0;"#,
        b"user guest",
        true,
    ),
    (
        r#"content:"user"; content:!"admin"; distance:0;"#,
        b"user admin",
        false,
    ),
    // startswith / endswith
    (r#"content:"GET "; startswith;"#, b"GET /", true),
    (r#"content:".exe"; endswith;"#, b"/x.exe", true),
    (r#"content:".exe"; endswith;"#, b"/x.exe.txt", false),
    // isdataat
    (r#"content:"a"; isdataat:2,relative;"#, b"a12", true),
    (r#"content:"a"; isdataat:3,relative;"#, b"a12", false),
    (r#"isdataat:!10;"#, b"short", true),
    // pcre
    (r#"pcre:"/^GET \/[a-z]+\.php/";"#, b"GET /index.php", true),
    (
        r#"content:"GET"; pcre:"/\.php$/R";"#,
        b"GET /index.php",
        true,
    ),
    (r#"pcre:"/^post/i";"#, b"POST /", true),
    (r#"pcre:!"/^post/i";"#, b"POST /", false),
    // byte_*
    (r#"byte_test:2,>,1000,0;"#, b"\x03\xe9", true),
    (r#"byte_test:2,>,1000,0,little;"#, b"\x03\xe9", true),
    (r#"byte_test:2,>,1000,0,little;"#, b"\xe9\x03", true),
    (r#"byte_test:2,>,1001,0,little;"#, b"\xe9\x03", false),
    (r#"byte_test:1,&,0x80,0;"#, b"\x81", true),
    (
        r#"byte_jump:1,0; content:"end"; distance:0; within:3;"#,
        b"\x03abcend",
        true,
    ),
    (
        r#"byte_jump:1,0; content:"end"; distance:0; within:3;"#,
        b"\x02abcend",
        false,
    ),
    (
        r#"byte_extract:1,0,len; content:"X"; offset:len; depth:1;"#,
        b"\x04abcX",
        true,
    ),
    (
        r#"byte_extract:1,0,len; content:"X"; offset:len; depth:1;"#,
        b"\x03abcX",
        false,
    ),
    (
        r#"byte_math:bytes 1, offset 0, oper *, rvalue 2, result d; content:"Q"; distance:d; within:1;"#,
        b"\x02abcdQ",
        true,
    ),
    // base64
    (
        r#"base64_decode; base64_data; content:"Hello";"#,
        b"SGVsbG8gV29ybGQ=",
        true,
    ),
    (
        r#"content:"b64="; base64_decode:relative; base64_data; content:"World";"#,
        b"b64=SGVsbG8gV29ybGQ=",
        true,
    ),
    // sticky buffer with transforms and bsize
    (
        r#"@1; to_lowercase; content:"evil.com"; bsize:8;"#,
        b"EVIL.COM",
        true,
    ),
    (
        r#"@1; dotprefix; content:".evil.com"; endswith;"#,
        b"www.evil.com",
        true,
    ),
    (
        r#"@1; dotprefix; content:".evil.com"; endswith;"#,
        b"www.notevil.com",
        false,
    ),
];

#[test]
fn table() {
    assert!(TABLE.len() >= 40);
    for (rule, buf, expected) in TABLE {
        check(rule, buf, *expected);
    }
}

#[test]
fn sticky_switch_resets_the_previous_match() {
    // "b" is relative to the start of buffer 1, not to the "a" of the payload
    check(
        r#"content:"a"; @1; content:"b"; distance:1; within:1;"#,
        b"ab",
        true,
    );
    check(
        r#"content:"a"; @1; content:"b"; distance:1; within:1;"#,
        b"ba",
        false,
    );
}

#[test]
fn options_split() {
    let o = options(r#"content:"a\;b"; nocase; depth: 3 ;"#);
    assert_eq!(
        o,
        vec![
            ("content".to_string(), Some("\"a\\;b\"".to_string())),
            ("nocase".to_string(), None),
            ("depth".to_string(), Some("3".to_string())),
        ]
    );
}

#[test]
fn legacy_modifier_rule() {
    let p = build(r#"content:"GET"; content:"/admin"; http_uri; content:"Host"; pcre:"/x/R";"#)
        .unwrap();
    assert_eq!(p.contents(BufferKey(7)).count(), 1);
    assert_eq!(p.contents(BufferKey(0)).count(), 2);
}

/// A tiny deterministic generator, so the robustness tests need no crate.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

#[test]
fn random_buffers_never_panic() {
    let rules: Vec<&str> = TABLE.iter().map(|(r, _, _)| *r).chain([
        r#"byte_jump:4,-3,relative,from_end,post_offset -65535; byte_test:8,^,0,-10,relative;"#,
        r#"byte_extract:8,0,a; byte_jump:a,0; byte_test:a,=,a,a; isdataat:a,relative;"#,
        r#"byte_extract:1,0,a; content:"x"; distance:a; within:a;"#,
        r#"byte_math:bytes 4, offset 0, oper <<, rvalue 4294967295, result r, string dec, relative; content:"a"; offset:r; depth:r;"#,
        r#"content:"a"; content:"a"; distance:-65535; within:65535; pcre:"/a*/R"; content:"b"; distance:0;"#,
        r#"base64_decode:bytes 65535, offset 4294967295, relative; base64_data; byte_jump:1,0; content:"a"; within:1;"#,
        r#"byte_test:23,>,1,0,string; byte_jump:23,0,string,relative,align,multiplier 65535;"#,
    ]).collect();
    let programs: Vec<_> = rules.iter().map(|r| build(r).unwrap()).collect();
    let mut rng = Lcg(42);
    let mut s = InspectScratch::new();
    let alphabet = b"abXQ\x00\xff0123456789 =/+SGVs";
    for _ in 0..3000 {
        let len = rng.below(64);
        let buf: Vec<u8> = (0..len)
            .map(|_| alphabet[rng.below(alphabet.len())])
            .collect();
        for p in &programs {
            for (_, l) in &p.lists {
                let _ = inspect(l, &buf, &mut s);
            }
        }
    }
}

#[test]
fn random_rule_text_never_panics() {
    let pieces = [
        "content",
        "nocase",
        "depth",
        "offset",
        "distance",
        "within",
        "startswith",
        "endswith",
        "fast_pattern",
        "rawbytes",
        "isdataat",
        "bsize",
        "pcre",
        "byte_test",
        "byte_jump",
        "byte_extract",
        "byte_math",
        "base64_decode",
        "base64_data",
        "xor",
        "to_md5",
        "@1",
    ];
    let values = [
        "",
        "\"a\"",
        "!\"b\"",
        "\"|",
        "3",
        "-3",
        "x",
        "1,0,x",
        "1,=,1,0,relative",
        "!1,relative",
        "\"/a/R\"",
        "only",
        "1,1",
        "<5",
        "bytes 1, offset 0, oper +, rvalue 1, result y",
        "relative",
        "\"0a\"",
        "4294967296",
        "1,0,x,string,hex",
        "\u{0}",
        "\"\\\"",
    ];
    let mut rng = Lcg(7);
    for _ in 0..3000 {
        let mut b = PayloadBuilder::new();
        for _ in 0..rng.below(8) {
            let k = pieces[rng.below(pieces.len())];
            if k == "@1" {
                b.switch_to(BufferKey(1));
                continue;
            }
            let v = values[rng.below(values.len())];
            let _ = b.add(k, if v.is_empty() { None } else { Some(v) });
            if b.pending_buffer().is_some() {
                let _ = b.move_last_to(BufferKey(2));
            }
        }
        if let Ok(p) = b.finish() {
            let mut s = InspectScratch::new();
            for (_, l) in &p.lists {
                let _ = inspect(l, b"abc\x00xyz", &mut s);
            }
        }
    }
}
