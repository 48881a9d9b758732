//! The Prometheus `/metrics` endpoint: the pipeline's counters as scraped
//! over HTTP after a run over the shipped sample capture, and a server that
//! hostile clients (garbage, oversized requests, idle connections) can
//! neither crash nor block for good.

use palisade::config::Config;
use palisade::metrics::server::{MetricsServer, ServerLimits, MAX_REQUEST};
use palisade::metrics::Metrics;
use palisade::pipeline::{self, detect::DetectShared, ScanOptions};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

const RULES: &str = "\
alert tcp any any -> any any (msg:\"syn seen\"; flags:S; classtype:misc-activity; sid:1000010; rev:1;)
alert udp any any -> any 53 (msg:\"dns query\"; classtype:bad-unknown; priority:1; sid:1000011; rev:1;)
";

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/samples/fleet-sample.pcap")
}

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("palisade-metrics-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Sends `request` and reads the whole answer (the server closes).
fn exchange(addr: SocketAddr, request: &[u8]) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.write_all(request).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn scrape(addr: SocketAddr) -> String {
    let resp = exchange(addr, b"GET /metrics HTTP/1.1\r\nHost: test\r\n\r\n");
    let (head, body) = resp.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(
        head.contains("Content-Type: text/plain; version=0.0.4"),
        "{head}"
    );
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length: "))
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(len, body.len());
    body.to_string()
}

/// `name{labels}` → value.
fn samples(body: &str) -> HashMap<String, f64> {
    body.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let (k, v) = l.rsplit_once(' ').unwrap();
            (k.to_string(), v.parse().unwrap())
        })
        .collect()
}

fn sum_of(s: &HashMap<String, f64>, family: &str) -> f64 {
    s.iter()
        .filter(|(k, _)| *k == family || k.starts_with(&format!("{family}{{")))
        .map(|(_, v)| v)
        .sum()
}

#[test]
fn scrape_after_a_scan_shows_the_pipeline_counters() {
    let dir = temp_dir("scan");
    std::fs::write(dir.join("t.rules"), RULES).unwrap();
    for threads in [1, 2] {
        let config = Config::default();
        let (rules, load) = palisade::rules::load(
            &config,
            &palisade::rules::RuleOptions {
                paths: vec![dir.join("t.rules")],
                builtin: false,
            },
        )
        .unwrap();
        assert_eq!(load.loaded, 2);
        let detect = Arc::new(DetectShared::new(Arc::new(rules), false, false));
        let m = Arc::new(Metrics::new());
        let server = MetricsServer::start("127.0.0.1:0", m.clone()).unwrap();
        let addr = server.local_addr();
        let before = samples(&scrape(addr));
        assert_eq!(sum_of(&before, "palisade_packets_total"), 0.0);
        let report = pipeline::run(ScanOptions {
            inputs: vec![sample()],
            eve: dir.join("eve.json"),
            threads,
            config,
            progress: false,
            detect: Some(detect),
            store: None,
            live: None,
            rule_updates: None,
            eve_control: Default::default(),
            metrics: Some(m.clone()),
        })
        .unwrap();
        assert!(report.packets > 1000);
        let s = samples(&scrape(addr));
        let name = sample().display().to_string();
        let get = |k: &str| {
            *s.get(k)
                .unwrap_or_else(|| panic!("no {k} (threads {threads})"))
        };
        assert_eq!(
            get(&format!("palisade_packets_total{{source=\"{name}\"}}")),
            report.packets as f64
        );
        assert_eq!(
            get(&format!("palisade_bytes_total{{source=\"{name}\"}}")),
            report.bytes as f64
        );
        // no kernel counters for a file
        assert_eq!(sum_of(&s, "palisade_kernel_drops_total"), 0.0);
        assert!(!s
            .keys()
            .any(|k| k.starts_with("palisade_kernel_drops_total{")));
        assert_eq!(get("palisade_internal_drops_total"), 0.0);
        assert_eq!(
            get("palisade_flows_created_total"),
            report.engine.flow.total as f64
        );
        assert_eq!(
            sum_of(&s, "palisade_flows_ended_total"),
            report.engine.flow.total as f64,
            "every flow ended at the end of input"
        );
        assert_eq!(
            get("palisade_flows_ended_total{reason=\"shutdown\"}"),
            report.engine.flow.end_shutdown as f64
        );
        assert_eq!(get("palisade_flows_active"), 0.0);
        assert_eq!(sum_of(&s, "palisade_memcap_hits_total"), 0.0);
        assert!(s.contains_key("palisade_memcap_hits_total{memcap=\"reassembly\"}"));
        // per-worker load: every worker reported, the tracking ones saw
        // every packet between them
        for w in 0..threads {
            assert!(s.contains_key(&format!("palisade_worker_packets_total{{worker=\"{w}\"}}")));
        }
        let last = format!(
            "palisade_worker_packets_total{{worker=\"{}\"}}",
            threads - 1
        );
        assert!(get(&last) > 0.0);
        assert!(sum_of(&s, "palisade_worker_packets_total") >= report.packets as f64 * 0.9);
        // alerts by class and severity, as in the EVE records
        let syn =
            get("palisade_alerts_total{kind=\"signature\",class=\"Misc activity\",severity=\"3\"}");
        let dns = get(
            "palisade_alerts_total{kind=\"signature\",class=\"Potentially Bad Traffic\",severity=\"1\"}",
        );
        assert!(syn > 0.0 && dns > 0.0, "{s:?}");
        assert_eq!(
            sum_of(&s, "palisade_alerts_total"),
            (report.alerts + report.written.detector_alerts) as f64
        );
        assert_eq!(
            get("palisade_eve_records_total"),
            report.written.records as f64
        );
        assert_eq!(get("palisade_rule_reloads_total{result=\"ok\"}"), 0.0);
        m.rule_reload(true);
        m.rule_reload(false);
        let s2 = samples(&scrape(addr));
        assert_eq!(s2["palisade_rule_reloads_total{result=\"ok\"}"], 1.0);
        assert_eq!(s2["palisade_rule_reloads_total{result=\"failed\"}"], 1.0);
        assert!(s2["palisade_uptime_seconds"] >= 0.0);
        server.stop();
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn status_line(resp: &str) -> &str {
    resp.lines().next().unwrap_or_default()
}

#[test]
fn hostile_clients_get_errors_and_do_not_stop_the_server() {
    let m = Arc::new(Metrics::new());
    let limits = ServerLimits {
        request_deadline: Duration::from_millis(300),
        write_timeout: Duration::from_secs(5),
    };
    let server = MetricsServer::start_with("127.0.0.1:0", m, limits).unwrap();
    let addr = server.local_addr();

    // other paths and methods
    assert_eq!(
        status_line(&exchange(addr, b"GET / HTTP/1.1\r\n\r\n")),
        "HTTP/1.1 404 Not Found"
    );
    assert_eq!(
        status_line(&exchange(addr, b"DELETE /metrics HTTP/1.1\r\n\r\n")),
        "HTTP/1.1 405 Method Not Allowed"
    );
    let head = exchange(addr, b"HEAD /metrics HTTP/1.0\r\n\r\n");
    assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
    assert!(head.ends_with("\r\n\r\n"), "HEAD has no body: {head}");

    // garbage, binary garbage, a request line too short
    for junk in [
        &b"\x00\x01\x02garbage\xff\r\n\r\n"[..],
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\n\n",
        b"GET\r\n\r\n",
        b"GET /metrics HTTP/1.1 extra\r\n\r\n",
    ] {
        let r = exchange(addr, junk);
        assert_eq!(status_line(&r), "HTTP/1.1 400 Bad Request", "{junk:?}");
    }

    // oversized: a head that never ends within the limit
    let mut big = b"GET /metrics HTTP/1.1\r\nX-Pad: ".to_vec();
    big.resize(MAX_REQUEST + 800, b'a');
    let r = exchange(addr, &big);
    assert_eq!(
        status_line(&r),
        "HTTP/1.1 431 Request Header Fields Too Large"
    );

    // slowloris: a connection that sends half a request and waits; the
    // server cuts it off at its deadline and serves the next client
    let mut idle = TcpStream::connect(addr).unwrap();
    idle.write_all(b"GET /metr").unwrap();
    let mut silent = TcpStream::connect(addr).unwrap(); // sends nothing at all
    let body = scrape(addr);
    assert!(body.contains("palisade_metrics_scrapes_total"), "{body}");
    for s in [&mut idle, &mut silent] {
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let mut buf = [0u8; 64];
        // closed by the server: end of stream or a reset, not a timeout
        match s.read(&mut buf) {
            Ok(n) => assert_eq!(n, 0, "{:?}", &buf[..n]),
            Err(e) => assert!(
                !matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ),
                "{e}"
            ),
        }
    }
    // a client that connects and leaves
    drop(TcpStream::connect(addr).unwrap());
    // still serving
    assert!(scrape(addr).contains("palisade_build_info"));
    server.stop();
}
