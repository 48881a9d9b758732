//! App-layer inspection through the `Transaction` interface: sticky buffers,
//! legacy content modifiers, pcre buffer flags, transforms, multi-buffers,
//! app-layer protocol binding, once-per-transaction alerts, and the naive
//! evaluator agreeing with the prefiltered engine. The transactions here are
//! test fixtures built from literal buffers (the protocol parsers that fill
//! real ones come with the protocols issue).

use palisade_detect::buffers::by_sticky_name;
use palisade_detect::{
    BufferId, BuildOptions, DetectThread, FlowDetect, FlowView, PacketView, RuleSet, RuleSource,
    Transaction,
};

struct FixtureTx {
    proto: &'static str,
    id: u64,
    buffers: Vec<(BufferId, Vec<u8>)>,
}

impl FixtureTx {
    fn new(proto: &'static str, id: u64, bufs: &[(&str, &[u8])]) -> Self {
        FixtureTx {
            proto,
            id,
            buffers: bufs
                .iter()
                .map(|(n, d)| {
                    (
                        by_sticky_name(n).unwrap_or_else(|| panic!("buffer {n}")),
                        d.to_vec(),
                    )
                })
                .collect(),
        }
    }
}

impl Transaction for FixtureTx {
    fn app_proto(&self) -> &'static str {
        self.proto
    }
    fn buffer(&self, id: BufferId, f: &mut dyn FnMut(&[u8])) {
        for (b, d) in &self.buffers {
            if *b == id {
                f(d);
            }
        }
    }
    fn id(&self) -> u64 {
        self.id
    }
}

fn sids(rules: &str, flow_proto: &'static str, txs: &[FixtureTx], naive: bool) -> Vec<u32> {
    let (set, report) = RuleSet::build(
        &[RuleSource {
            name: "t".into(),
            text: rules.into(),
        }],
        &BuildOptions::default(),
    );
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    let mut t = DetectThread::new(&set);
    let mut flow = FlowDetect::default();
    flow.app_proto = Some(flow_proto);
    let c = "192.168.1.10".parse().unwrap();
    let s = "192.168.1.20".parse().unwrap();
    let mut p = PacketView::new(c, s, 6, 40000, 80, b"");
    p.flow = Some(FlowView {
        to_server: true,
        established: true,
        has_stream: true,
        toserver_bytes: 0,
        toclient_bytes: 0,
    });
    let mut out = Vec::new();
    for tx in txs {
        if naive {
            set.inspect_naive(&mut t, &p, Some(&mut flow), None, Some(tx), 1, &mut out);
        } else {
            set.inspect_tx(&mut t, &p, &mut flow, tx, 1, 1, &mut out);
        }
    }
    out.iter()
        .map(|a| set.signature(a.sig).unwrap().sid)
        .collect()
}

fn both(rules: &str, flow_proto: &'static str, txs: &[FixtureTx]) -> Vec<u32> {
    let n = sids(rules, flow_proto, txs, true);
    let e = sids(rules, flow_proto, txs, false);
    assert_eq!(n, e, "naive and engine disagree");
    e
}

#[test]
fn sticky_buffers_and_legacy_modifiers() {
    let rules = r#"
alert http any any -> any any (msg:"sticky"; http.uri; content:"/SDK/webLanguage"; sid:1;)
alert http any any -> any any (msg:"legacy"; content:"PUT"; http_method; content:"webLanguage"; http_uri; sid:2;)
alert http any any -> any any (msg:"other buffer"; http.user_agent; content:"webLanguage"; sid:3;)
alert http any any -> any any (msg:"pcre U"; pcre:"/^\/SDK\/web/U"; sid:4;)
alert http any any -> any any (msg:"transform"; http.uri; to_lowercase; content:"/sdk/weblanguage"; sid:5;)
alert http any any -> any any (msg:"bsize"; http.method; bsize:3; sid:6;)
alert tcp any any -> any any (msg:"tcp rule bound to http by its buffer"; http.method; content:"PUT"; sid:7;)
"#;
    let tx = FixtureTx::new(
        "http",
        0,
        &[
            ("http.uri", b"/SDK/webLanguage"),
            ("http.method", b"PUT"),
            ("http.user_agent", b"curl/8"),
        ],
    );
    assert_eq!(both(rules, "http", &[tx]), vec![1, 2, 4, 5, 6, 7]);
}

#[test]
fn protocol_binding_and_once_per_transaction() {
    let rules = r#"
alert http any any -> any any (http.uri; content:"/a"; sid:1;)
alert dns any any -> any any (dns.query; content:"evil"; sid:2;)
"#;
    // A DNS flow never matches an http rule, even with the same bytes.
    let dns = FixtureTx::new(
        "dns",
        0,
        &[("dns.query", b"evil.example"), ("http.uri", b"/a")],
    );
    assert_eq!(both(rules, "dns", &[dns]), vec![2]);
    // The same transaction inspected twice alerts once; a new one alerts again.
    let t0 = FixtureTx::new("http", 0, &[("http.uri", b"/a")]);
    let t0b = FixtureTx::new("http", 0, &[("http.uri", b"/a")]);
    let t1 = FixtureTx::new("http", 1, &[("http.uri", b"/a")]);
    assert_eq!(sids(rules, "http", &[t0, t0b, t1], false), vec![1, 1]);
}

#[test]
fn multi_buffers_match_any_instance() {
    let rules =
        r#"alert dns any any -> any any (dns.queries.rrname; content:"bad"; startswith; sid:1;)"#;
    let tx = FixtureTx::new(
        "dns",
        0,
        &[
            ("dns.queries.rrname", b"good.example"),
            ("dns.queries.rrname", b"bad.example"),
        ],
    );
    assert_eq!(both(rules, "dns", &[tx]), vec![1]);
    let tx = FixtureTx::new(
        "dns",
        0,
        &[
            ("dns.queries.rrname", b"good.example"),
            ("dns.queries.rrname", b"xbad"),
        ],
    );
    assert_eq!(both(rules, "dns", &[tx]), Vec::<u32>::new());
}

/// Live reload: a flow's state moves to a rebuilt rule set by identity.
/// A flowbit set under the old rules is seen by a rule of the new set (ids
/// differ: the new set interns another name first), and a transaction that
/// already alerted does not alert again for the same signature.
#[test]
fn flow_state_carries_over_to_a_reloaded_rule_set() {
    let build = |text: &str| {
        let (set, report) = RuleSet::build(
            &[RuleSource {
                name: "t".into(),
                text: text.into(),
            }],
            &BuildOptions::default(),
        );
        assert!(report.failures.is_empty(), "{:?}", report.failures);
        set
    };
    let old = build(
        r#"
alert http any any -> any any (msg:"login page"; http.uri; content:"/login"; flowbits:set,seen.login; sid:10;)
"#,
    );
    let new = build(
        r#"
alert http any any -> any any (msg:"unrelated"; http.uri; content:"/x"; flowbits:set,other.bit; sid:30;)
alert http any any -> any any (msg:"after login"; flowbits:isset,seen.login; http.uri; content:"/admin"; sid:20;)
alert http any any -> any any (msg:"login page"; http.uri; content:"/login"; flowbits:set,seen.login; sid:10;)
"#,
    );
    let c = "192.168.1.10".parse().unwrap();
    let s = "192.168.1.20".parse().unwrap();
    let mut p = PacketView::new(c, s, 6, 40000, 80, b"");
    p.flow = Some(FlowView {
        to_server: true,
        established: true,
        has_stream: true,
        toserver_bytes: 0,
        toclient_bytes: 0,
    });
    let mut flow = FlowDetect::default();
    flow.app_proto = Some("http");
    let login = FixtureTx::new("http", 0, &[("http.uri", b"/login")]);
    let mut t = DetectThread::new(&old);
    let mut out = Vec::new();
    old.inspect_tx(&mut t, &p, &mut flow, &login, 1, 1, &mut out);
    assert_eq!(out.len(), 1);

    flow.remap(&palisade_detect::detect::Remap::new(&old, &new));
    let mut t = DetectThread::new(&new);
    let mut out = Vec::new();
    // the same transaction again: sid 10 already alerted on it
    new.inspect_tx(&mut t, &p, &mut flow, &login, 1, 1, &mut out);
    let admin = FixtureTx::new("http", 1, &[("http.uri", b"/admin")]);
    new.inspect_tx(&mut t, &p, &mut flow, &admin, 1, 1, &mut out);
    let sids: Vec<u32> = out
        .iter()
        .map(|a| new.signature(a.sig).unwrap().sid)
        .collect();
    assert_eq!(
        sids,
        vec![20],
        "the flowbit or the alerted transaction was lost"
    );

    // without the carry-over the flowbit is gone
    let mut fresh = FlowDetect::default();
    fresh.app_proto = Some("http");
    let mut out = Vec::new();
    new.inspect_tx(&mut t, &p, &mut fresh, &admin, 1, 1, &mut out);
    assert!(out.is_empty());
}
