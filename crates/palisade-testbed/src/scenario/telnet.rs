//! Telnet logins into the fleet's cameras, and the two scenarios built on
//! them.
//!
//! * "telnet-default-creds": an outside host logs into a camera with one of
//!   Mirai's default pairs, gets BusyBox's `# ` prompt and types what
//!   Mirai's loader types (`enable`, `system`, `shell`, `sh`,
//!   `/bin/busybox MIRAI`); the same host also fails to log into a second
//!   camera with a non-default pair (`Login incorrect`, unlabelled).
//! * "telnet-bruteforce": an outside host tries 30–60 passwords against one
//!   camera, one TCP connection per attempt, 1–3 s apart, all failing.
//!
//! The server side is BusyBox telnetd: it opens with IAC DO ECHO, DO NAWS,
//! WILL ECHO, WILL SGA; the client refuses to echo, offers its window size
//! and accepts. The server echoes the user name, not the password.

use super::attack::{self, MS, SEC};
use super::{fleet, Setup};
use crate::actor;
use crate::catalog::Kind;
use crate::labels::PlannedAttack;
use crate::tcp::{App, AppCtx, AppStep, Side};
use crate::world::DevId;
use crate::TestbedError;
use palisade_event::Timestamp;

const IAC: u8 = 255;
const SERVER_NEGOTIATION: [u8; 12] = [IAC, 253, 1, IAC, 253, 31, IAC, 251, 1, IAC, 251, 3];
const CLIENT_NEGOTIATION: [u8; 21] = [
    IAC, 252, 1, IAC, 251, 31, IAC, 250, 31, 0, 80, 0, 24, IAC, 240, IAC, 253, 1, IAC, 253, 3,
];
const LOGIN: &[u8] = b"(none) login: ";
const SHELL: &[u8] = b"\r\n\r\nBusyBox v1.19.4 (2016-04-26 17:09:31 CST) built-in shell (ash)\r\n\
Enter 'help' for a list of built-in commands.\r\n\r\n# ";

/// What Mirai's loader types once logged in.
pub(crate) const MIRAI_COMMANDS: [&str; 5] =
    ["enable", "system", "shell", "sh", "/bin/busybox MIRAI"];

/// Default pairs from Mirai's credential table.
const MIRAI_PAIRS: [(&str, &str); 8] = [
    ("root", "xc3511"),
    ("root", "vizxv"),
    ("root", "admin"),
    ("admin", "admin"),
    ("root", "888888"),
    ("root", "xmhdipc"),
    ("root", "juantech"),
    ("root", "123456"),
];

/// Guesses of a dictionary attack (none of them the cameras' password).
const DICTIONARY: [&str; 60] = [
    "password",
    "12345678",
    "qwerty",
    "letmein",
    "welcome",
    "monkey",
    "dragon",
    "master",
    "abc123",
    "111111",
    "sunshine",
    "iloveyou",
    "princess",
    "football",
    "baseball",
    "shadow",
    "superman",
    "trustno1",
    "passw0rd",
    "123123",
    "654321",
    "michael",
    "jennifer",
    "hunter2",
    "starwars",
    "whatever",
    "freedom",
    "qazwsx",
    "zaq12wsx",
    "1q2w3e4r",
    "asdfgh",
    "000000",
    "121212",
    "killer",
    "pepper",
    "matrix",
    "secret",
    "camera",
    "security",
    "changeme",
    "administrator",
    "access",
    "network",
    "internet",
    "guest123",
    "test123",
    "root123",
    "admin2024",
    "P@ssw0rd",
    "Welcome1",
    "Summer2025",
    "Winter2025",
    "hikvision",
    "dahua2023",
    "ipcam",
    "video123",
    "surveil",
    "cctv1234",
    "nvr2025",
    "qwerty123",
];

/// What an installer's maintenance script types once logged in.
pub(crate) const ADMIN_COMMANDS: [&str; 3] = ["uptime", "cat /proc/version", "exit"];

/// One Telnet session, from the server's greeting to the client's close.
#[derive(Debug)]
pub(crate) struct TelnetLogin {
    user: &'static str,
    pass: &'static str,
    ok: bool,
    step: u8,
    cmd: usize,
    commands: &'static [&'static str],
}

impl TelnetLogin {
    /// A login; once in, the client types Mirai's loader commands.
    pub(crate) fn new(user: &'static str, pass: &'static str, ok: bool) -> Self {
        TelnetLogin {
            user,
            pass,
            ok,
            step: 0,
            cmd: 0,
            commands: &MIRAI_COMMANDS,
        }
    }

    /// A successful login typing `commands` (an administrator's).
    pub(crate) fn admin(
        user: &'static str,
        pass: &'static str,
        commands: &'static [&'static str],
    ) -> Self {
        TelnetLogin {
            commands,
            ..TelnetLogin::new(user, pass, true)
        }
    }
}

impl App for TelnetLogin {
    fn next(&mut self, cx: &mut AppCtx<'_>, buf: &mut Vec<u8>) -> AppStep {
        self.step += 1;
        let server = |delay| AppStep::Send {
            from: Side::Server,
            delay,
        };
        let client = |delay| AppStep::Send {
            from: Side::Client,
            delay,
        };
        match self.step {
            1 => {
                buf.extend_from_slice(&SERVER_NEGOTIATION);
                server(cx.rng.range(MS, 5 * MS))
            }
            2 => {
                buf.extend_from_slice(&CLIENT_NEGOTIATION);
                client(cx.rng.range(MS, 10 * MS))
            }
            3 => {
                buf.extend_from_slice(b"\r\n");
                buf.extend_from_slice(LOGIN);
                server(cx.rng.range(5 * MS, 40 * MS))
            }
            4 => {
                buf.extend_from_slice(self.user.as_bytes());
                buf.extend_from_slice(b"\r\n");
                client(cx.rng.range(50 * MS, 400 * MS))
            }
            5 => {
                buf.extend_from_slice(self.user.as_bytes());
                buf.extend_from_slice(b"\r\nPassword: ");
                server(cx.rng.range(2 * MS, 20 * MS))
            }
            6 => {
                buf.extend_from_slice(self.pass.as_bytes());
                buf.extend_from_slice(b"\r\n");
                client(cx.rng.range(50 * MS, 400 * MS))
            }
            7 if self.ok => {
                buf.extend_from_slice(SHELL);
                server(cx.rng.range(50 * MS, 300 * MS))
            }
            7 => {
                buf.extend_from_slice(b"\r\nLogin incorrect\r\n");
                buf.extend_from_slice(LOGIN);
                server(cx.rng.range(500 * MS, 2 * SEC))
            }
            s if self.ok && s % 2 == 0 && self.cmd < self.commands.len() => {
                let c = self.commands.get(self.cmd).copied().unwrap_or("exit");
                buf.extend_from_slice(c.as_bytes());
                buf.extend_from_slice(b"\r\n");
                client(cx.rng.range(100 * MS, 800 * MS))
            }
            s if self.ok && s % 2 == 1 && self.cmd < self.commands.len() => {
                let c = self.commands.get(self.cmd).copied().unwrap_or("exit");
                self.cmd += 1;
                buf.extend_from_slice(c.as_bytes());
                buf.extend_from_slice(b"\r\n");
                match c {
                    "sh" => buf.extend_from_slice(&SHELL[2..]),
                    "/bin/busybox MIRAI" => buf.extend_from_slice(b"MIRAI: applet not found\r\n# "),
                    "uptime" => buf.extend_from_slice(
                        b" 08:12:01 up 41 days,  3:07,  load average: 0.31, 0.28, 0.22\r\n# ",
                    ),
                    "cat /proc/version" => buf.extend_from_slice(
                        b"Linux version 3.10.0 (root@build) (gcc version 4.9.4) #1 SMP\r\n# ",
                    ),
                    "exit" => {}
                    _ => {
                        buf.extend_from_slice(b"-sh: ");
                        buf.extend_from_slice(c.as_bytes());
                        buf.extend_from_slice(b": not found\r\n# ");
                    }
                }
                server(cx.rng.range(2 * MS, 30 * MS))
            }
            _ => AppStep::Close {
                from: Side::Client,
                delay: cx.rng.range(50 * MS, 500 * MS),
                rst: false,
            },
        }
    }
}

/// Cameras, or every device when the fleet has none.
fn telnet_devices(s: &Setup<'_>) -> Vec<DevId> {
    let cams: Vec<DevId> = s.world.of_kind(Kind::Camera).collect();
    if cams.is_empty() {
        (0..s.world.devices.len() as DevId).collect()
    } else {
        cams
    }
}

fn dev_ip(s: &Setup<'_>, dev: DevId) -> String {
    attack::ip_str(s.world.hosts[s.world.devices[dev as usize].host as usize].ip)
}

/// Schedules one Telnet connection from `attacker` to `dev` at `at`.
fn connect(
    s: &mut Setup<'_>,
    at: u64,
    attacker: u32,
    dev: DevId,
    app: TelnetLogin,
    a: Option<u32>,
) {
    if let Some(actor) = actor::telnet(s.world, s.rng, attacker, dev, app, a) {
        s.spawn(at, actor);
        let device = dev_ip(s, dev);
        s.world.posture.push(crate::labels::PostureLabel {
            class: "cleartext-credentials".into(),
            description: format!(
                "{} takes Telnet logins (user name and password in clear)",
                s.world.devices[dev as usize].id
            ),
            device,
            service: "telnet".into(),
        });
    }
}

pub(crate) fn setup_default_creds(s: &mut Setup<'_>) -> Result<(), TestbedError> {
    fleet::setup(s)?;
    let ip = attack::outside_addr(s.rng);
    let attacker = s.world.outsider(s.rng, ip);
    let devs = telnet_devices(s);
    let i = s.rng.below(devs.len() as u64) as usize;
    let victim = devs[i];
    let other = devs[(i + 1) % devs.len()];
    let (user, pass) = *s.rng.pick(&MIRAI_PAIRS);
    let t0 = attack::start_time(s, 60 * SEC);
    let a = s.attack(PlannedAttack {
        id: "default-creds-1".into(),
        class: "default-credentials".into(),
        technique: "T1078.001 Valid Accounts: Default Accounts".into(),
        start: Timestamp::from_nanos(t0),
        end: Timestamp::from_nanos(t0 + 10 * SEC),
        src: attack::ip_str(ip),
        dst: dev_ip(s, victim),
        dst_port: Some(23),
        description: format!(
            "Telnet login into {} with Mirai's default pair {user}/{pass}, then Mirai's loader \
             commands ({})",
            s.world.devices[victim as usize].id,
            MIRAI_COMMANDS.join(", ")
        ),
    });
    s.attack_alias(
        a,
        PlannedAttack {
            id: "mirai-loader-1".into(),
            class: "malware".into(),
            technique: "T1105 Ingress Tool Transfer".into(),
            start: Timestamp::from_nanos(t0),
            end: Timestamp::from_nanos(t0 + 10 * SEC),
            src: attack::ip_str(ip),
            dst: dev_ip(s, victim),
            dst_port: Some(23),
            description: format!(
                "Mirai's loader in the Telnet session on {}: {}",
                s.world.devices[victim as usize].id,
                MIRAI_COMMANDS.join(", ")
            ),
        },
    );
    connect(
        s,
        t0,
        attacker,
        victim,
        TelnetLogin::new(user, pass, true),
        Some(a),
    );
    let t1 = t0 + s.rng.range(15 * SEC, 40 * SEC);
    connect(
        s,
        t1,
        attacker,
        other,
        TelnetLogin::new("admin", "Winter2025", false),
        None,
    );
    Ok(())
}

pub(crate) fn setup_bruteforce(s: &mut Setup<'_>) -> Result<(), TestbedError> {
    fleet::setup(s)?;
    let ip = attack::outside_addr(s.rng);
    let attacker = s.world.outsider(s.rng, ip);
    let devs = telnet_devices(s);
    let victim = *s.rng.pick(&devs);
    let n = s.rng.range(30, 60) as usize;
    let user = *s.rng.pick(&["root", "admin"]);
    let t0 = attack::start_time(s, n as u64 * 2 * SEC);
    let a = s.attack(PlannedAttack {
        id: "bruteforce-1".into(),
        class: "brute-force".into(),
        technique: "T1110.001 Brute Force: Password Guessing".into(),
        start: Timestamp::from_nanos(t0),
        end: Timestamp::from_nanos(t0 + n as u64 * 2 * SEC),
        src: attack::ip_str(ip),
        dst: dev_ip(s, victim),
        dst_port: Some(23),
        description: format!(
            "{n} Telnet password guesses for {user} on {}, one connection each, 1-3 s apart, \
             all failing",
            s.world.devices[victim as usize].id
        ),
    });
    let first = s.rng.below(DICTIONARY.len() as u64) as usize;
    let mut at = t0;
    for k in 0..n {
        let pass = DICTIONARY[(first + k) % DICTIONARY.len()];
        connect(
            s,
            at,
            attacker,
            victim,
            TelnetLogin::new(user, pass, false),
            Some(a),
        );
        at += s.rng.range(SEC, 3 * SEC);
    }
    Ok(())
}

/// Passwords a credential-stuffing list tries on every device (none of
/// them the cameras' password).
const SPRAY: [&str; 4] = ["Summer2024!", "P@ssw0rd1", "camera2023", "Welcome#1"];

/// "credential-spraying": an outside host tries one or two passwords on
/// the Telnet of every camera (up to 15), 2-5 s apart, all failing: few
/// failures per device, so only the count across devices sees it.
pub(crate) fn setup_spraying(s: &mut Setup<'_>) -> Result<(), TestbedError> {
    fleet::setup(s)?;
    let ip = attack::outside_addr(s.rng);
    let attacker = s.world.outsider(s.rng, ip);
    let mut devs = telnet_devices(s);
    for i in (1..devs.len()).rev() {
        let j = s.rng.below(i as u64 + 1) as usize;
        devs.swap(i, j);
    }
    devs.truncate(15);
    let per_dev = s.rng.range(1, 2) as usize;
    let user = *s.rng.pick(&["admin", "root", "operator"]);
    let n = devs.len() * per_dev;
    let t0 = attack::start_time(s, n as u64 * 5 * SEC);
    let a = s.attack(PlannedAttack {
        id: "spraying-1".into(),
        class: "brute-force".into(),
        technique: "T1110.003 Brute Force: Password Spraying".into(),
        start: Timestamp::from_nanos(t0),
        end: Timestamp::from_nanos(t0 + n as u64 * 5 * SEC),
        src: attack::ip_str(ip),
        dst: "10.10.0.0/16".into(),
        dst_port: Some(23),
        description: format!(
            "Password spraying: {per_dev} Telnet password(s) for {user} on each of {} cameras, \
             one connection each, 2-5 s apart, all failing",
            devs.len()
        ),
    });
    let mut at = t0;
    for k in 0..per_dev {
        for &dev in &devs {
            connect(
                s,
                at,
                attacker,
                dev,
                TelnetLogin::new(user, SPRAY[k % SPRAY.len()], false),
                Some(a),
            );
            at += s.rng.range(2 * SEC, 5 * SEC);
        }
    }
    Ok(())
}

/// "exposed-telnet": an outside host reaches a camera's Telnet from the
/// internet twice, a minute or so apart, and fails to log in each time
/// (one wrong password: not a brute force, not a default pair). What is
/// labelled is the exposure: the camera answers the internet on Telnet.
pub(crate) fn setup_exposed(s: &mut Setup<'_>) -> Result<(), TestbedError> {
    fleet::setup(s)?;
    let ip = attack::outside_addr(s.rng);
    let attacker = s.world.outsider(s.rng, ip);
    let devs = telnet_devices(s);
    let victim = *s.rng.pick(&devs);
    let t0 = attack::start_time(s, 120 * SEC);
    let a = s.attack(PlannedAttack {
        id: "exposed-telnet-1".into(),
        class: "exposure".into(),
        technique: "T1133 External Remote Services".into(),
        start: Timestamp::from_nanos(t0),
        end: Timestamp::from_nanos(t0 + 90 * SEC),
        src: attack::ip_str(ip),
        dst: dev_ip(s, victim),
        dst_port: Some(23),
        description: format!(
            "{}'s Telnet answers the internet: an outside host connects twice and fails to log in",
            s.world.devices[victim as usize].id
        ),
    });
    connect(
        s,
        t0,
        attacker,
        victim,
        TelnetLogin::new("support", "Autumn#77", false),
        Some(a),
    );
    let t1 = t0 + s.rng.range(40 * SEC, 80 * SEC);
    connect(
        s,
        t1,
        attacker,
        victim,
        TelnetLogin::new("support", "Autumn#78", false),
        Some(a),
    );
    Ok(())
}

/// The password an installer set on several cameras (not a default).
const INSTALLER_PASSWORD: &str = "Inst4ll-Site7!";

/// "shared-credential": a posture fact, not an attack. The installer's
/// maintenance script on the gateway logs into three cameras (or all
/// cameras when fewer) over Telnet as `admin` with the same non-default
/// password, types `uptime`, `cat /proc/version` and `exit`, at 60-120 s
/// and again later. Labelled: `shared-credential` and
/// `cleartext-credentials` (Telnet) posture on each camera.
pub(crate) fn setup_shared(s: &mut Setup<'_>) -> Result<(), TestbedError> {
    fleet::setup(s)?;
    let devs = telnet_devices(s);
    let n = devs.len().min(3);
    if n < 2 {
        return Ok(());
    }
    let first = s.rng.below(devs.len() as u64) as usize;
    let chosen: Vec<DevId> = (0..n).map(|k| devs[(first + k) % devs.len()]).collect();
    let mut at = s.world.start + s.rng.range(60 * SEC, 120 * SEC);
    for &dev in &chosen {
        connect(
            s,
            at,
            crate::world::GATEWAY,
            dev,
            TelnetLogin::admin("admin", INSTALLER_PASSWORD, &ADMIN_COMMANDS),
            None,
        );
        at += s.rng.range(5 * SEC, 20 * SEC);
    }
    for &dev in &chosen {
        let device = dev_ip(s, dev);
        let id = s.world.devices[dev as usize].id.clone();
        s.world.posture.push(crate::labels::PostureLabel {
            class: "shared-credential".into(),
            description: format!(
                "{id} accepts the Telnet login admin/<installer password> that {} other \
                 camera(s) accept too",
                n - 1
            ),
            device,
            service: "telnet".into(),
        });
    }
    Ok(())
}
