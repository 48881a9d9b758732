//! `palisade audit` end to end, against real servers from Debian packages
//! in network namespaces: OpenSSH sshd, GNU inetutils telnetd (with
//! /bin/login, under openbsd-inetd), vsftpd, nginx (Basic auth), mosquitto
//! (password file; and one open to anonymous clients), net-snmp snmpd.
//!
//! Layout: namespace `cli` (the audit, 10.213.N.1) and namespace `srv`
//! joined by a veth pair; `srv` holds
//! - .10 "weak": every service with a default credential of the database
//!   (telnet root/xc3511, ssh admin/admin, http root/vizxv, ftp
//!   admin/admin, mqtt admin/admin, snmp community public);
//! - .20 "strong": the same services with strong secrets;
//! - .30: an MQTT broker open to anonymous clients;
//! - .77: outside the audit scope (10.213.N.0/27), with the anonymous
//!   broker listening too: if the scope failed, it would be found.
//!
//! The servers' accounts live in private copies of /etc/passwd, /etc/group
//! and /etc/shadow bind-mounted in the servers' own mount namespace (each
//! `ip netns exec` has one), so the host's accounts are never touched.
//!
//! Runs only as root with PALISADE_E2E=1 (`.ci/run` installs the packages
//! and sets it); otherwise it says why and passes.

mod common;

use common::netns::{run, sh, write, Lab};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

const TOOLS: &[&str] = &[
    "/usr/sbin/ip",
    "/usr/bin/tcpdump",
    "/usr/sbin/sshd",
    "/usr/bin/ssh-keygen",
    "/usr/sbin/inetd",
    "/usr/sbin/telnetd",
    "/usr/sbin/vsftpd",
    "/usr/sbin/nginx",
    "/usr/sbin/mosquitto",
    "/usr/bin/mosquitto_passwd",
    "/usr/sbin/snmpd",
    "/usr/bin/openssl",
];

/// The audit's services on a lab's server namespace.
trait AuditServices {
    #[allow(clippy::too_many_arguments)]
    fn services(
        &mut self,
        tag: &str,
        ip: &str,
        accounts: &Path,
        permit_root: bool,
        htpasswd_user: (&str, &str),
        mqtt_user: (&str, &str),
        community: &str,
    );
}

impl AuditServices for Lab {
    /// One instance of every service on `ip`.
    #[allow(clippy::too_many_arguments)]
    fn services(
        &mut self,
        tag: &str,
        ip: &str,
        accounts: &Path,
        permit_root: bool,
        htpasswd_user: (&str, &str),
        mqtt_user: (&str, &str),
        community: &str,
    ) {
        let d = self.dir.clone();
        let p = |n: &str| d.join(format!("{tag}-{n}"));
        // telnet: inetd -> telnetd -> /bin/login
        self.telnetd(tag, ip, accounts);
        // ssh
        run(Command::new("ssh-keygen").args([
            "-q",
            "-t",
            "ed25519",
            "-N",
            "",
            "-f",
            p("hostkey").to_str().unwrap(),
        ]));
        write(
            &p("sshd.conf"),
            &format!(
                "ListenAddress {ip}:22\nHostKey {}\nUsePAM no\nPasswordAuthentication yes\n\
                 KbdInteractiveAuthentication no\nPermitRootLogin {}\nPidFile none\nStrictModes no\n",
                p("hostkey").display(),
                if permit_root { "yes" } else { "no" }
            ),
        );
        self.server(
            &format!("{tag}-sshd"),
            accounts,
            &format!("/usr/sbin/sshd -D -e -f {}", p("sshd.conf").display()),
        );
        // ftp
        let empty = p("empty");
        std::fs::create_dir_all(&empty).unwrap();
        write(
            &p("vsftpd.conf"),
            &format!(
                "listen=YES\nlisten_ipv6=NO\nlisten_address={ip}\nbackground=NO\n\
                 anonymous_enable=NO\nlocal_enable=YES\nwrite_enable=NO\npam_service_name=vsftpd\n\
                 secure_chroot_dir={}\nseccomp_sandbox=NO\nxferlog_enable=NO\n",
                empty.display()
            ),
        );
        self.server(
            &format!("{tag}-vsftpd"),
            accounts,
            &format!("/usr/sbin/vsftpd {}", p("vsftpd.conf").display()),
        );
        // http: nginx with Basic auth
        let www = p("www");
        std::fs::create_dir_all(&www).unwrap();
        write(&www.join("index.html"), "camera\n");
        let hash = run(Command::new("openssl").args(["passwd", "-apr1", htpasswd_user.1]));
        write(
            &p("htpasswd"),
            &format!("{}:{}\n", htpasswd_user.0, hash.trim()),
        );
        write(
            &p("nginx.conf"),
            &format!(
                "daemon off;\npid {pid};\nerror_log {err};\nevents {{ worker_connections 64; }}\n\
                 http {{ access_log off; server {{ listen {ip}:80; root {www};\n\
                 location / {{ auth_basic \"camera\"; auth_basic_user_file {ht}; }} }} }}\n",
                pid = p("nginx.pid").display(),
                err = p("nginx-error.log").display(),
                www = www.display(),
                ht = p("htpasswd").display()
            ),
        );
        sh(&format!(
            "chmod -R a+rX {} {} {}",
            www.display(),
            p("htpasswd").display(),
            p("nginx.conf").display()
        ));
        self.server(
            &format!("{tag}-nginx"),
            accounts,
            &format!("/usr/sbin/nginx -c {}", p("nginx.conf").display()),
        );
        // mqtt
        self.mosquitto(tag, ip, accounts, mqtt_user);
        // snmp
        write(
            &p("snmpd.conf"),
            &format!("rocommunity {community} default\n"),
        );
        self.server(
            &format!("{tag}-snmpd"),
            accounts,
            &format!(
                "/usr/sbin/snmpd -f -Lo -C -I -smux -c {} -p {} udp:{ip}:161",
                p("snmpd.conf").display(),
                p("snmpd.pid").display()
            ),
        );
    }
}

fn entry_id(user: &str, pass: &str) -> u64 {
    palisade_detectors::creds::CredDb::builtin()
        .entries()
        .iter()
        .find(|e| e.username == user && e.password == pass)
        .map(|e| u64::from(e.id))
        .unwrap_or_else(|| panic!("{user}/{pass} is not in the credential database"))
}

#[test]
fn audit_e2e() {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    if std::env::var("PALISADE_E2E").as_deref() != Ok("1") || !root {
        eprintln!(
            "audit_e2e skipped: needs root and PALISADE_E2E=1 (it creates network namespaces \
             and starts sshd, telnetd, vsftpd, nginx, mosquitto and snmpd; .ci/run does both)"
        );
        return;
    }
    let missing: Vec<&&str> = TOOLS.iter().filter(|t| !Path::new(t).exists()).collect();
    assert!(
        missing.is_empty(),
        "PALISADE_E2E=1 but missing {missing:?}: apt-get install openssh-server \
         inetutils-telnetd openbsd-inetd vsftpd nginx-light mosquitto mosquitto-clients snmpd \
         tcpdump iproute2"
    );
    let t0 = Instant::now();
    let mut lab = Lab::new("pa", 213, &[10, 20, 30, 77]);
    let n = lab.net.clone();
    let (weak, strong, anon, outside) = (
        format!("{n}.10"),
        format!("{n}.20"),
        format!("{n}.30"),
        format!("{n}.77"),
    );
    const STRONG: &str = "pZ7!kq-Audit-Strong-3141";
    let weak_acc = lab.accounts("weak", &[("root", 0, "xc3511"), ("admin", 4242, "admin")]);
    let strong_acc = lab.accounts("strong", &[("root", 0, STRONG), ("admin", 4242, STRONG)]);
    lab.services(
        "weak",
        &weak,
        &weak_acc,
        false,
        ("root", "vizxv"),
        ("admin", "admin"),
        "public",
    );
    lab.services(
        "strong",
        &strong,
        &strong_acc,
        true,
        ("root", STRONG),
        ("admin", STRONG),
        "Zq7-audit-strong-community",
    );
    // an open broker on .30 and on the out-of-scope .77
    write(
        &lab.path("anon-mosquitto.conf"),
        &format!(
            "listener 1883 {anon}\nlistener 1883 {outside}\nallow_anonymous true\npersistence false\nlog_dest stderr\n"
        ),
    );
    sh(&format!(
        "chmod 644 {}",
        lab.path("anon-mosquitto.conf").display()
    ));
    let conf = lab.path("anon-mosquitto.conf");
    lab.server(
        "anon-mosquitto",
        &weak_acc,
        &format!("/usr/sbin/mosquitto -c {}", conf.display()),
    );
    let mut want = Vec::new();
    for ip in [&weak, &strong] {
        for port in [23, 22, 21, 80, 1883] {
            want.push(format!("{ip}:{port}"));
        }
        want.push(format!("udp:{ip}:161"));
    }
    want.push(format!("{anon}:1883"));
    want.push(format!("{outside}:1883"));
    lab.wait_listening(&want);
    let setup = t0.elapsed();

    // capture everything on the server side of the link
    let pcap = lab.path("audit.pcap");
    let mut tcpdump = Command::new("ip")
        .args([
            "netns",
            "exec",
            &lab.srv,
            "tcpdump",
            "-i",
            &lab.veth_srv,
            "-n",
            "-U",
            "-w",
            pcap.to_str().unwrap(),
        ])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(tcpdump.stderr.take().unwrap());
    let mut line = String::new();
    while err.read_line(&mut line).unwrap_or(0) > 0 && !line.contains("listening on") {
        line.clear();
    }
    assert!(
        line.contains("listening on"),
        "tcpdump did not start: {line}"
    );

    let bin = env!("CARGO_BIN_EXE_palisade");
    let db = lab.path("audit.db");
    let scope = format!("audit.scope=[\"{n}.0/27\"]");
    let audit = |targets: &str| {
        Command::new("ip")
            .args([
                "netns",
                "exec",
                &lab.cli,
                bin,
                "audit",
                "--targets",
                targets,
            ])
            .args([
                "--set",
                &scope,
                "--db",
                db.to_str().unwrap(),
                "--format",
                "json",
            ])
            .args(["--timeout", "5", "--rate", "20", "--max-attempts", "10"])
            .output()
            .unwrap()
    };

    // 1. only the out-of-scope target: refused, nothing contacted
    let o = audit(&outside);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("refused {outside}: outside the audit scope"))
            && stderr.contains("no target inside the audit scope"),
        "{stderr}"
    );

    // 2. the fleet plus the out-of-scope target
    let t1 = Instant::now();
    // .25: in scope, no host (ARP unanswered)
    let absent = format!("{n}.25");
    let targets = format!("{weak},{strong},{anon},{absent},{outside}");
    let o = audit(&targets);
    let audit_time = t1.elapsed();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "refused targets give 2: {stderr}");
    assert!(
        stderr.contains(&format!("refused {outside}: outside the audit scope")),
        "{stderr}"
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stdout)));

    let _ = Command::new("sh")
        .args(["-c", &format!("kill -INT {}", tcpdump.id())])
        .status();
    let _ = tcpdump.wait();

    let results = v["results"].as_array().unwrap();
    let find = |ip: &str, svc: &str| {
        results
            .iter()
            .find(|r| r["target"] == ip && r["service"] == svc)
            .unwrap_or_else(|| panic!("no result for {ip} {svc}: {v:#}"))
    };
    // every default credential found, with the right user and entry
    let expect = [
        ("telnet", "root", entry_id("root", "xc3511")),
        ("ssh", "admin", entry_id("admin", "admin")),
        ("http", "root", entry_id("root", "vizxv")),
        ("ftp", "admin", entry_id("admin", "admin")),
        ("mqtt", "admin", entry_id("admin", "admin")),
        ("snmp", "", entry_id("", "public")),
    ];
    for (svc, user, id) in expect {
        let r = find(&weak, svc);
        assert_eq!(r["status"], "found", "{svc} on the weak device: {r:#}");
        assert_eq!(r["found"]["username"], user, "{r:#}");
        assert_eq!(r["found"]["entry_id"], id, "{r:#}");
    }
    // nothing on the strong one, and it was really tried
    for svc in ["telnet", "ssh", "http", "ftp", "mqtt", "snmp"] {
        let r = find(&strong, svc);
        assert_eq!(
            r["status"], "not-found",
            "{svc} on the strong device: {r:#}"
        );
        assert!(r["attempts"].as_u64().unwrap() >= 10, "{r:#}");
    }
    assert_eq!(find(&anon, "mqtt")["status"], "anonymous");
    assert_eq!(find(&anon, "ssh")["status"], "closed");
    // the absent host: every service closed, nothing found
    let gone: Vec<_> = results
        .iter()
        .filter(|r| r["target"] == absent.as_str())
        .collect();
    assert_eq!(gone.len(), 7);
    assert!(
        gone.iter()
            .all(|r| r["status"] == "closed" && r["found"].is_null()),
        "{gone:?}"
    );
    assert!(results.iter().all(|r| r["target"] != outside.as_str()));
    assert_eq!(v["refused"], serde_json::json!([outside]));

    // the store: an audit run, findings with evidence and no secret
    let store = palisade_store::Store::open(&db).unwrap();
    let runs = store.runs().unwrap();
    assert!(runs.iter().any(|r| r.1 == "audit"), "{runs:?}");
    let mut st = store
        .conn()
        .prepare("SELECT device_ip, evidence, remediation FROM findings WHERE class = 'default-credentials' AND severity = 1")
        .unwrap();
    let rows: Vec<(String, String, String)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows.iter().filter(|r| r.0 == weak).count(), 6, "{rows:?}");
    assert_eq!(rows.iter().filter(|r| r.0 == anon).count(), 1, "{rows:?}");
    assert_eq!(
        rows.len(),
        7,
        "nothing for the strong or the refused device: {rows:?}"
    );
    for (ip, ev, rem) in &rows {
        let e: serde_json::Value = serde_json::from_str(ev).unwrap();
        assert_eq!(e["source"], "audit");
        assert!(!rem.is_empty());
        for secret in ["xc3511", "vizxv", "\"public\"", STRONG, "password"] {
            assert!(!ev.contains(secret), "{ip}: evidence holds a secret: {ev}");
        }
        if ip == &anon {
            assert_eq!(e["anonymous"], true);
        } else {
            assert!(e["entry_id"].is_u64() && e["username"].is_string() && e["port"].is_u64());
        }
    }

    // the capture: traffic to the fleet, not one packet to the refused address
    let count = |filter: &str| {
        run(Command::new("tcpdump").args(["-n", "-r", pcap.to_str().unwrap(), filter]))
            .lines()
            .count()
    };
    let to_weak = count(&format!("host {weak}"));
    let to_outside = count(&format!("host {outside}"));
    assert!(
        to_weak > 50,
        "the capture saw the audit ({to_weak} packets)"
    );
    assert_eq!(to_outside, 0, "packets to the out-of-scope {outside}");

    for r in results.iter().filter(|r| r["status"] != "closed") {
        eprintln!(
            "  {:<14} {:<7} {:<10} {:>3} attempts {:>5.1} s",
            r["target"].as_str().unwrap_or(""),
            r["service"].as_str().unwrap_or(""),
            r["status"].as_str().unwrap_or(""),
            r["attempts"],
            r["secs"].as_f64().unwrap_or(0.0)
        );
    }
    eprintln!(
        "audit_e2e: setup {:.1} s; audit of 4 addresses (3 devices, 1 absent; 7 services each; a 5th refused): {} attempts in {:.1} s \
         ({:.1}/s, command {:.1} s); capture: {to_weak} packets to {weak}, 0 to {outside}; \
         total {:.1} s",
        setup.as_secs_f64(),
        v["attempts"],
        v["elapsed_secs"].as_f64().unwrap_or(0.0),
        v["attempts_per_sec"].as_f64().unwrap_or(0.0),
        audit_time.as_secs_f64(),
        t0.elapsed().as_secs_f64()
    );
}

/// Without root: the scope check and the help, no packet sent (every
/// target is refused before the runner starts).
#[test]
fn audit_refuses_out_of_scope_targets() {
    let dir = std::env::temp_dir().join(format!("palisade-audit-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("a.db");
    let o = Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(["audit", "--targets", "198.51.100.7,203.0.113.0/30"])
        .args([
            "--set",
            "audit.scope=[10.0.0.0/8]",
            "--db",
            db.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    for ip in ["198.51.100.7", "203.0.113.1", "203.0.113.2"] {
        assert!(
            err.contains(&format!("refused {ip}: outside the audit scope 10.0.0.0/8")),
            "{err}"
        );
    }
    assert!(err.contains("--allow-target"), "{err}");
    assert!(err.contains("nothing was contacted"), "{err}");
    assert!(!db.exists(), "no run is recorded when nothing is audited");
    // a bad target is an error that names it
    let o = Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args([
            "audit",
            "--targets",
            "10.0.0.300",
            "--db",
            db.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("'10.0.0.300' is not an IP address"));
    let help = Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(["audit", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.contains("Examples:") && help.contains("--allow-target"),
        "{help}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
