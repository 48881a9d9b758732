//! Network-namespace labs for the end-to-end tests: a client and a server
//! namespace joined by a veth pair, real servers started in the server
//! namespace with private account files, and everything removed on drop.
//! Needs root and iproute2.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// Runs a command; panics with its stderr when it fails.
pub fn run(cmd: &mut Command) -> String {
    let o = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        o.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Runs a shell script; panics when it fails.
pub fn sh(script: &str) -> String {
    run(Command::new("sh").args(["-c", script]))
}

/// Writes a file or panics.
pub fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

/// Whether this process runs as root.
pub fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Whether a command is on the PATH.
pub fn present(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// Namespaces `cli` and `srv`, a veth pair between them, servers, a temp dir.
pub struct Lab {
    /// Client namespace (address NET.1).
    pub cli: String,
    /// Server namespace.
    pub srv: String,
    /// The veth end in the server namespace.
    pub veth_srv: String,
    /// Scratch directory (removed on drop).
    pub dir: PathBuf,
    /// The /24's first three octets, `10.X.Y`.
    pub net: String,
    children: Vec<Child>,
}

impl Lab {
    /// A lab named by `short` (two letters, unique per test file) in
    /// 10.`second`.Y.0/24; the server namespace holds NET.`h` for each of
    /// `srv_hosts`.
    pub fn new(short: &str, second: u8, srv_hosts: &[u8]) -> Lab {
        let pid = std::process::id();
        let tag = format!("{:05}", pid % 100_000);
        let net = format!("10.{second}.{}", 20 + pid % 200);
        let dir = std::env::temp_dir().join(format!("palisade-{short}-e2e-{pid}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let lab = Lab {
            cli: format!("{short}-{tag}-cli"),
            srv: format!("{short}-{tag}-srv"),
            veth_srv: format!("{short}{tag}s"),
            dir,
            net,
            children: Vec::new(),
        };
        let (c, s, vc, vs, n) = (
            &lab.cli,
            &lab.srv,
            format!("{short}{tag}c"),
            &lab.veth_srv,
            &lab.net,
        );
        let mut script = format!(
            "ip netns add {c} && ip netns add {s} && \
             ip link add {vc} type veth peer name {vs} && \
             ip link set {vc} netns {c} && ip link set {vs} netns {s} && \
             ip -n {c} addr add {n}.1/24 dev {vc} && ip -n {c} link set {vc} up && \
             ip -n {c} link set lo up && ip -n {s} link set {vs} up && ip -n {s} link set lo up"
        );
        for h in srv_hosts {
            script.push_str(&format!(" && ip -n {s} addr add {n}.{h}/24 dev {vs}"));
        }
        sh(&script);
        // world-readable: nginx workers and mosquitto drop privileges
        sh(&format!("chmod 755 {}", lab.dir.display()));
        lab
    }

    /// A file in the lab's directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Private account files: `users` = (name, uid, password); root's
    /// password is replaced by the one given for "root".
    pub fn accounts(&self, tag: &str, users: &[(&str, u32, &str)]) -> PathBuf {
        let d = self.path(&format!("accounts-{tag}"));
        std::fs::create_dir_all(&d).unwrap();
        let mut passwd = std::fs::read_to_string("/etc/passwd").unwrap();
        let mut group = std::fs::read_to_string("/etc/group").unwrap();
        let mut shadow: String = std::fs::read_to_string("/etc/shadow")
            .unwrap()
            .lines()
            .filter(|l| {
                !users
                    .iter()
                    .any(|(u, _, _)| l.starts_with(&format!("{u}:")))
            })
            .map(|l| format!("{l}\n"))
            .collect();
        for (user, uid, pass) in users {
            let hash = run(Command::new("openssl").args(["passwd", "-6", pass]));
            shadow.push_str(&format!("{user}:{}:19000:0:99999:7:::\n", hash.trim()));
            if *user != "root" {
                let home = d.join(format!("home-{user}"));
                std::fs::create_dir_all(&home).unwrap();
                sh(&format!("chown {uid} {0} && chmod 755 {0}", home.display()));
                passwd.push_str(&format!(
                    "{user}:x:{uid}:{uid}:palisade test:{}:/bin/sh\n",
                    home.display()
                ));
                group.push_str(&format!("{user}:x:{uid}:\n"));
            }
        }
        write(&d.join("passwd"), &passwd);
        write(&d.join("group"), &group);
        write(&d.join("shadow"), &shadow);
        d
    }

    /// Starts `cmd` in the server namespace with the account files of
    /// `accounts` and a private /run; its output goes to `NAME.log`.
    pub fn server(&mut self, name: &str, accounts: &Path, cmd: &str) {
        let a = accounts.display();
        let script = format!(
            "mount -t tmpfs none /run && mkdir -p /run/sshd && \
             mount --bind {a}/passwd /etc/passwd && mount --bind {a}/shadow /etc/shadow && \
             mount --bind {a}/group /etc/group && exec {cmd}"
        );
        let log = std::fs::File::create(self.path(&format!("{name}.log"))).unwrap();
        let child = Command::new("ip")
            .args(["netns", "exec", &self.srv, "sh", "-c", &script])
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        self.children.push(child);
    }

    /// Telnet on `ip:23`: inetd → GNU inetutils telnetd → /bin/login.
    pub fn telnetd(&mut self, tag: &str, ip: &str, accounts: &Path) {
        let conf = self.path(&format!("{tag}-inetd.conf"));
        write(
            &conf,
            &format!("{ip}:telnet stream tcp nowait root /usr/sbin/telnetd telnetd -h\n"),
        );
        self.server(
            &format!("{tag}-inetd"),
            accounts,
            &format!("/usr/sbin/inetd -d {}", conf.display()),
        );
    }

    /// Mosquitto on `ip:1883` accepting one user (password file).
    pub fn mosquitto(&mut self, tag: &str, ip: &str, accounts: &Path, user: (&str, &str)) {
        let pw = self.path(&format!("{tag}-mqtt.pw"));
        run(Command::new("mosquitto_passwd").args([
            "-b",
            "-c",
            pw.to_str().unwrap(),
            user.0,
            user.1,
        ]));
        sh(&format!("chmod 644 {}", pw.display()));
        let conf = self.path(&format!("{tag}-mosquitto.conf"));
        write(
            &conf,
            &format!(
                "listener 1883 {ip}\nallow_anonymous false\npassword_file {}\npersistence false\n\
                 log_dest stderr\n",
                pw.display()
            ),
        );
        self.server(
            &format!("{tag}-mosquitto"),
            accounts,
            &format!("/usr/sbin/mosquitto -c {}", conf.display()),
        );
    }

    /// Waits until every `addr:port` listens in the server namespace (TCP,
    /// or UDP with `udp:`).
    pub fn wait_listening(&self, want: &[String]) {
        let start = Instant::now();
        loop {
            let out = run(Command::new("ip").args(["netns", "exec", &self.srv, "ss", "-ltnuH"]));
            let missing: Vec<&String> = want
                .iter()
                .filter(|w| {
                    let (proto, addr) = match w.strip_prefix("udp:") {
                        Some(a) => ("udp", a),
                        None => ("tcp", w.as_str()),
                    };
                    !out.lines()
                        .any(|l| l.starts_with(proto) && l.contains(&format!(" {addr} ")))
                })
                .collect();
            if missing.is_empty() {
                return;
            }
            if start.elapsed() > Duration::from_secs(20) {
                let logs = sh(&format!("tail -n 5 {}/*.log", self.dir.display()));
                panic!("servers not listening: {missing:?}\n{out}\n{logs}");
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        // whatever the servers forked (nginx workers, inetd's telnetd) is
        // in our namespaces: end those processes by pid
        for ns in [&self.srv, &self.cli] {
            if let Ok(o) = Command::new("ip").args(["netns", "pids", ns]).output() {
                for pid in String::from_utf8_lossy(&o.stdout).split_whitespace() {
                    if pid.bytes().all(|b| b.is_ascii_digit()) {
                        // the shell's kill: /bin/kill (procps) may be absent
                        let _ = Command::new("sh")
                            .args(["-c", &format!("kill -9 {pid}")])
                            .status();
                    }
                }
            }
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
