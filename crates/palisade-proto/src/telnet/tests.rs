use super::parser::{classify_line, classify_prompt};
use super::*;
use crate::conversations::{from_pcap, shared_pcap};
use crate::parser::{AppTx, Collect, Dir, LoginOutcome, Secret};
use crate::registry::ProbeInput;
use crate::testing::{
    assert_resegmentation, buffer, feed, feed_all, run, run_flow, Inspect, Recording,
};
use serde_json::json;

const S: Dir = Dir::ToServer;
const C: Dir = Dir::ToClient;

/// What a completed attempt handed to the credential detectors, and its
/// `telnet.data` instances.
#[derive(Debug, PartialEq)]
struct Seen {
    id: u64,
    username: Vec<u8>,
    /// Password, None when the secret was `Secret::None`.
    password: Option<Vec<u8>>,
    outcome: LoginOutcome,
    data: Vec<Vec<u8>>,
}

/// The completed attempts with a credential, and the ids of those
/// without one.
#[derive(Default)]
struct Attempts {
    seen: Vec<Seen>,
    no_cred: Vec<u64>,
}

impl Inspect for Attempts {
    fn inspect(&mut self, tx: &dyn AppTx) {
        let data = buffer(tx, "telnet.data");
        match tx.credential() {
            Some(c) => {
                assert_eq!(c.service, "telnet");
                self.seen.push(Seen {
                    id: tx.id(),
                    username: c.username.to_vec(),
                    password: match c.secret {
                        Secret::Plain(p) => Some(p.to_vec()),
                        Secret::None => None,
                        Secret::Digest(_) => panic!("digest in telnet"),
                    },
                    outcome: c.outcome,
                    data,
                })
            }
            None => self.no_cred.push(tx.id()),
        }
    }
}

type CredSink = Recording<Attempts>;

fn creds(chunks: &[(Dir, &[u8])]) -> CredSink {
    feed_all(&SPEC, chunks, CredSink::default())
}

fn probe_of(dir: Dir, data: &[u8], on_port: bool) -> crate::Probe {
    (SPEC.probe)(&ProbeInput {
        dir,
        data,
        server_port: if on_port { 23 } else { 8080 },
        on_port,
    })
}

#[test]
fn probe_negotiation_anywhere_text_on_port_only() {
    use crate::Probe::*;
    assert_eq!(probe_of(S, b"\xff\xfd\x03", false), Match);
    assert_eq!(probe_of(C, b"\xff\xfa\x18\x01\xff\xf0", false), Match);
    assert_eq!(probe_of(C, b"\xff", false), NeedMore);
    assert_eq!(probe_of(C, b"\xff\xf1", true), NoMatch);
    assert_eq!(probe_of(C, b"\r\nlogin: ", true), Match);
    assert_eq!(probe_of(C, b"BusyBox v1.1\r\n\xff\xfb\x01", true), Match);
    assert_eq!(probe_of(C, b"\r\nlogin: ", false), NoMatch);
    assert_eq!(probe_of(S, b"\x16\x03\x01\x02", true), NoMatch);
    // Through identification: text on 2323, negotiation on any port.
    let (p, _) = run_flow(crate::Transport::Tcp, 2323, &[(C, b"login: ")]);
    assert_eq!(p, Some("telnet"));
    let (p, _) = run_flow(crate::Transport::Tcp, 4000, &[(S, b"\xff\xfb\x18")]);
    assert_eq!(p, Some("telnet"));
}

#[test]
fn stripper_pieces() {
    let mut s = Stripper::default();
    let mut got = Vec::new();
    let data = b"ab\xff\xff\xff\xfd\x01c\xff\xfa\x18\x00xterm\xff\xff\xff\xf0d\xff\xf7\xff\xf1e";
    s.run(data, &mut |p| got.push(format!("{p:?}")));
    assert_eq!(
        got,
        vec![
            format!("{:?}", Piece::Data(b"ab")),
            format!("{:?}", Piece::Data(b"\xff")),
            format!(
                "{:?}",
                Piece::Negotiate {
                    cmd: 253,
                    option: 1
                }
            ),
            format!("{:?}", Piece::Data(b"c")),
            format!("{:?}", Piece::Subnegotiation { option: 24 }),
            format!("{:?}", Piece::Data(b"d")),
            format!("{:?}", Piece::EraseChar),
            format!("{:?}", Piece::Data(b"e")),
        ]
    );
    // A subnegotiation that never ends is reported once and skipped.
    let mut s = Stripper::default();
    let mut n = 0;
    let mut data_seen = false;
    let long = [0x41u8; 3000];
    s.run(b"\xff\xfa\x18", &mut |_| {});
    for _ in 0..3 {
        s.run(&long, &mut |p| match p {
            Piece::SubnegotiationTooLong => n += 1,
            Piece::Data(_) => data_seen = true,
            _ => {}
        });
    }
    assert_eq!(n, 1);
    assert!(!data_seen);
}

#[test]
fn prompts_and_verdicts() {
    assert_eq!(classify_prompt(b"login: "), Some(Prompt::Login));
    assert_eq!(classify_prompt(b"Username:"), Some(Prompt::Login));
    assert_eq!(classify_prompt(b"User Name :"), Some(Prompt::Login));
    assert_eq!(classify_prompt(b"dvr login: "), Some(Prompt::Login));
    assert_eq!(classify_prompt(b"Password: "), Some(Prompt::Password));
    assert_eq!(
        classify_prompt(b"Password for admin@cam:"),
        Some(Prompt::Password)
    );
    assert_eq!(classify_prompt(b"~ # "), Some(Prompt::Shell));
    assert_eq!(classify_prompt(b"[admin@router ~]$ "), Some(Prompt::Shell));
    assert_eq!(classify_prompt(b"Router>"), Some(Prompt::Shell));
    assert_eq!(classify_prompt(b"Last login: Sat Nov 27"), None);
    assert_eq!(classify_prompt(b"   "), None);
    assert_eq!(classify_prompt(&[b'a'; 300]), None);
    assert_eq!(classify_line(b"Login incorrect"), Some(Verdict::Failure));
    assert_eq!(
        classify_line(b"% Authentication failed"),
        Some(Verdict::Failure)
    );
    assert_eq!(classify_line(b"Access denied"), Some(Verdict::Failure));
    assert_eq!(
        classify_line(b"BusyBox v1.19.4 (2013-05-03) built-in shell (ash)"),
        Some(Verdict::Success)
    );
    assert_eq!(
        classify_line(b"There were 3 failed login attempts since the last successful login."),
        Some(Verdict::Success)
    );
    assert_eq!(classify_line(b""), None);
}

/// A line-mode login like the OpenBSD one in ndpi/telnet.pcap.
const LINE_MODE: &[(Dir, &[u8])] = &[
    (S, b"\xff\xfd\x03\xff\xfb\x18\xff\xfb\x1f"),
    (C, b"\xff\xfd\x18\xff\xfd\x1f"),
    (
        S,
        b"\xff\xfa\x1f\x00\x50\x00\x18\xff\xf0\xff\xfa\x18\x00xterm\xff\xf0",
    ),
    (
        C,
        b"\xff\xfb\x01\xff\xfb\x03\r\nOpenBSD/i386 (oof) (ttyp2)\r\n\r\nlogin: ",
    ),
    (S, b"fake\r\n"),
    (C, b"Password:"),
    (S, b"s3cr\r\n"),
    (C, b"\r\n"),
    (C, b"Last login: Sat Nov 27 20:11:43 on ttyp2\r\n$ "),
    (S, b"ls\r\n"),
    (C, b"bin etc\r\n$ "),
];

#[test]
fn line_mode_login_success() {
    let out = assert_resegmentation(&SPEC, LINE_MODE);
    assert_eq!(out.txs.len(), 1);
    assert_eq!(out.txs[0].event_type, "telnet");
    assert_eq!(
        out.txs[0].log,
        json!({
            "banner": "OpenBSD/i386 (oof) (ttyp2)",
            "login_prompt": "login:",
            "username": "fake",
            "password_present": true,
            "password_length": 4,
            "outcome": "success",
            "options": [
                {"from": "client", "cmd": "DO", "option": "suppress-go-ahead"},
                {"from": "client", "cmd": "WILL", "option": "terminal-type"},
                {"from": "client", "cmd": "WILL", "option": "naws"},
                {"from": "server", "cmd": "DO", "option": "terminal-type"},
                {"from": "server", "cmd": "DO", "option": "naws"},
                {"from": "client", "cmd": "SB", "option": "naws"},
                {"from": "client", "cmd": "SB", "option": "terminal-type"},
                {"from": "server", "cmd": "WILL", "option": "echo"},
                {"from": "server", "cmd": "WILL", "option": "suppress-go-ahead"},
            ],
        })
    );
    // Updated when the password was sent and when the shell appeared.
    assert_eq!(out.updates, vec![(0, S), (0, C)]);
    let c = creds(LINE_MODE);
    assert_eq!(c.seen.len(), 1);
    assert_eq!(c.seen[0].username, b"fake");
    assert_eq!(c.seen[0].password.as_deref(), Some(&b"s3cr"[..]));
    assert_eq!(c.seen[0].outcome, LoginOutcome::Success);
    // telnet.data: client then server text, negotiation removed, including
    // the session after the login (the windows are not full).
    assert_eq!(c.seen[0].data[0], b"fake\r\ns3cr\r\nls\r\n");
    assert!(c.seen[0].data[1].starts_with(b"\r\nOpenBSD/i386 (oof) (ttyp2)\r\n\r\nlogin: "));
    assert!(c.seen[0].data[1].ends_with(b"bin etc\r\n$ "));
    assert!(!c.seen[0].data[1].contains(&0xff));
}

/// Character-at-a-time mode: the client sends one byte per segment and the
/// server echoes the user name (not the password). First attempt fails,
/// second (with a typo corrected by DEL) gets a BusyBox shell.
fn char_mode() -> Vec<(Dir, Vec<u8>)> {
    let mut v: Vec<(Dir, Vec<u8>)> = vec![
        (C, b"\xff\xfb\x01\xff\xfb\x03".to_vec()),
        (S, b"\xff\xfd\x01\xff\xfd\x03".to_vec()),
        (C, b"\r\n(none) login: ".to_vec()),
    ];
    let typed = |v: &mut Vec<(Dir, Vec<u8>)>, s: &[u8], echo: bool| {
        for &b in s {
            v.push((S, vec![b]));
            if echo {
                v.push((C, vec![b]));
            }
        }
        v.push((S, b"\r\0".to_vec()));
        v.push((C, b"\r\n".to_vec()));
    };
    typed(&mut v, b"root", true);
    v.push((C, b"Password: ".to_vec()));
    typed(&mut v, b"xc3511", false);
    v.push((C, b"Login incorrect\r\n(none) login: ".to_vec()));
    typed(&mut v, b"admim\x7fn", true);
    v.push((C, b"Password: ".to_vec()));
    typed(&mut v, b"vizxv", false);
    v.push((
        C,
        b"\r\n\r\nBusyBox v1.19.4 (2014-01-01) built-in shell (ash)\r\nEnter 'help' for a list of built-in commands.\r\n\r\n# "
            .to_vec(),
    ));
    v.push((S, b"enable\r\n".to_vec()));
    v
}

#[test]
fn char_mode_failure_then_success() {
    let owned = char_mode();
    let chunks: Vec<(Dir, &[u8])> = owned.iter().map(|(d, c)| (*d, &c[..])).collect();
    let out = assert_resegmentation(&SPEC, &chunks);
    assert_eq!(out.txs.len(), 2);
    let opts = json!([
        {"from": "server", "cmd": "WILL", "option": "echo"},
        {"from": "server", "cmd": "WILL", "option": "suppress-go-ahead"},
        {"from": "client", "cmd": "DO", "option": "echo"},
        {"from": "client", "cmd": "DO", "option": "suppress-go-ahead"},
    ]);
    assert_eq!(
        out.txs[0].log,
        json!({
            "login_prompt": "(none) login:", "username": "root",
            "password_present": true, "password_length": 6, "outcome": "failure",
            "options": opts,
        })
    );
    assert_eq!(out.txs[1].log["username"], "admin");
    assert_eq!(out.txs[1].log["login_prompt"], "(none) login:");
    assert_eq!(out.txs[1].log["password_length"], 5);
    assert_eq!(out.txs[1].log["outcome"], "success");
    assert!(out.txs[1].log.get("banner").is_none());
    let c = creds(&chunks);
    type Got<'a> = (&'a [u8], Option<&'a [u8]>, LoginOutcome);
    let got: Vec<Got<'_>> = c
        .seen
        .iter()
        .map(|s| (&s.username[..], s.password.as_deref(), s.outcome))
        .collect();
    assert_eq!(
        got,
        vec![
            (&b"root"[..], Some(&b"xc3511"[..]), LoginOutcome::Failure),
            (&b"admin"[..], Some(&b"vizxv"[..]), LoginOutcome::Success),
        ]
    );
    // The second attempt's client text includes the first session command.
    assert!(c.seen[1].data[0].ends_with(b"enable\r\n"));
}

#[test]
fn password_only_device_and_reprompt() {
    let chunks: &[(Dir, &[u8])] = &[
        (C, b"\r\nUser Access Verification\r\n\r\nPassword: "),
        (S, b"cisco\r\n"),
        (C, b"\r\nPassword: "),
        (S, b"admin\r\n"),
        (C, b"\r\n% Bad passwords\r\n"),
    ];
    let out = assert_resegmentation(&SPEC, chunks);
    assert_eq!(out.txs.len(), 2);
    assert_eq!(
        out.txs[0].log,
        json!({"banner": "User Access Verification", "password_present": true,
               "password_length": 5, "outcome": "failure"})
    );
    assert_eq!(
        out.txs[1].log,
        json!({"password_present": true, "password_length": 5, "outcome": "failure"})
    );
    let c = creds(chunks);
    assert_eq!(c.seen[0].username, b"");
    assert_eq!(c.seen[1].password.as_deref(), Some(&b"admin"[..]));
}

#[test]
fn login_prompt_again_is_failure_and_empty_lines_are_not_attempts() {
    let chunks: &[(Dir, &[u8])] = &[
        (C, b"Username: "),
        (S, b"\r\n"),
        (C, b"\r\nUsername: "),
        (S, b"guest\r\n"),
        (C, b"Password: "),
        (S, b"guest\r\n"),
        (C, b"\r\nUsername: "),
        (S, b"admin\r\n"),
        (C, b"\r\nPassword: "),
        (S, b"1234\r\n"),
        (C, b"\r\nrouter# "),
    ];
    let out = assert_resegmentation(&SPEC, chunks);
    let got: Vec<(&str, &str)> = out
        .txs
        .iter()
        .map(|t| {
            (
                t.log["username"].as_str().unwrap(),
                t.log["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, vec![("guest", "failure"), ("admin", "success")]);
}

#[test]
fn no_password_needed_and_shell_without_login() {
    // User name accepted without a password prompt.
    let out = assert_resegmentation(
        &SPEC,
        &[
            (C, b"login: "),
            (S, b"guest\r\n"),
            (C, b"\r\n$ "),
            (S, b"id\r\n"),
        ],
    );
    assert_eq!(
        out.txs[0].log,
        json!({"login_prompt": "login:", "username": "guest",
               "password_present": false, "outcome": "success"})
    );
    let c = creds(&[(C, b"login: "), (S, b"guest\r\n"), (C, b"\r\n$ ")]);
    assert_eq!(c.seen[0].password, None);
    assert_eq!(c.seen[0].outcome, LoginOutcome::Success);
    // An open root shell on connect: a successful attempt with no credential.
    let chunks: &[(Dir, &[u8])] = &[(C, b"\r\n/ # "), (S, b"cat /proc/cpuinfo\r\n")];
    let out = assert_resegmentation(&SPEC, chunks);
    assert_eq!(
        out.txs[0].log,
        json!({"password_present": false, "outcome": "success"})
    );
    let c = creds(chunks);
    assert!(c.seen.is_empty());
    assert_eq!(c.no_cred, vec![0]);
}

#[test]
fn banner_only_and_outcome_at_end() {
    // A scanner reads the banner and prompt, then leaves.
    let out = assert_resegmentation(&SPEC, &[(C, b"\xff\xfb\x01Welcome\r\nlogin: ")]);
    assert_eq!(
        out.txs[0].log,
        json!({"banner": "Welcome", "login_prompt": "login:", "password_present": false,
               "outcome": "unknown",
               "options": [{"from": "server", "cmd": "WILL", "option": "echo"}]})
    );
    // The flow ends on the prompt shown again: failure, no extra attempt.
    let out = assert_resegmentation(
        &SPEC,
        &[
            (C, b"login: "),
            (S, b"root\r\n"),
            (C, b"Password: "),
            (S, b"root\r\n"),
            (C, b"\r\n\r\nlogin: "),
        ],
    );
    assert_eq!(out.txs.len(), 1);
    assert_eq!(out.txs[0].log["outcome"], "failure");
    // Ends while waiting for the verdict.
    let out = run(
        &SPEC,
        &[
            (C, b"login: "),
            (S, b"root\r\n"),
            (C, b"Password: "),
            (S, b"x\r\n"),
        ],
    );
    assert_eq!(out.txs[0].log["outcome"], "unknown");
    // Nothing but client bytes: nothing to log.
    let out = run(&SPEC, &[(S, b"hello\r\n")]);
    assert!(out.txs.is_empty());
}

#[test]
fn telnet_data_window_completes_the_session_attempt() {
    let big = vec![b'x'; MAX_TEXT];
    let chunks: Vec<(Dir, &[u8])> = vec![
        (C, b"login: "),
        (S, b"root\r\n"),
        (C, b"Password: "),
        (S, b"pw\r\n"),
        (C, b"# "),
        (S, &big),
        (C, &big),
        (S, b"more\r\n"),
    ];
    let mut p = (SPEC.new_parser)();
    let mut out = Collect::default();
    for (i, chunk) in chunks.iter().enumerate() {
        feed(p.as_mut(), &mut out, &[*chunk]);
        // Open while one window has room, complete as soon as both are full.
        assert_eq!(out.txs.len(), usize::from(i >= 6), "after chunk {i}");
    }
    assert_eq!(out.txs[0].log["outcome"], "success");
    p.finish(&mut out);
    assert_eq!(out.txs.len(), 1);
}

#[test]
fn erase_and_bounds() {
    // IAC EC erases a character, IAC EL the line; a long user name is cut.
    let out = run(
        &SPEC,
        &[
            (C, b"login: "),
            (S, b"xx\xff\xf8ro\xff\xf7ot\r\n"),
            (C, b"Password: "),
            (S, b"ab\x08c\r\n"),
            (C, b"Login incorrect\r\n"),
        ],
    );
    assert_eq!(out.txs[0].log["username"], "rot");
    assert_eq!(out.txs[0].log["password_length"], 2);
    let long = vec![b'u'; 1000];
    let out = run(&SPEC, &[(C, b"login: "), (S, &long), (S, b"\r\n")]);
    assert_eq!(out.txs[0].events, vec!["telnet.username_too_long"]);
    assert_eq!(
        out.txs[0].log["username"].as_str().unwrap().len(),
        state::MAX_FIELD
    );
    // Attempts per flow are bounded.
    let mut chunks: Vec<(Dir, &[u8])> = Vec::new();
    for _ in 0..(MAX_TXS + 5) {
        chunks.push((C, b"\r\nlogin: "));
        chunks.push((S, b"root\r\n"));
        chunks.push((C, b"Password: "));
        chunks.push((S, b"toor\r\n"));
        chunks.push((C, b"\r\nLogin incorrect\r\n"));
    }
    let out = run(&SPEC, &chunks);
    assert_eq!(out.txs.len() as u64, MAX_TXS);
    assert_eq!(out.events, vec![(S, "telnet.too_many_transactions")]);
    // Distinct options are bounded.
    let mut neg = Vec::new();
    for o in 0..=255u8 {
        neg.extend_from_slice(&[0xff, 0xfb, o]);
    }
    let out = run(&SPEC, &[(C, &neg), (C, b"login: ")]);
    assert_eq!(
        out.txs[0].log["options"].as_array().unwrap().len(),
        state::MAX_OPTIONS
    );
    assert_eq!(out.events, vec![(C, "telnet.too_many_options")]);
}

#[test]
fn gap_in_the_password_drops_the_credential() {
    let mut p = (SPEC.new_parser)();
    let mut sink = CredSink::default();
    let login: &[(Dir, &[u8])] = &[
        (C, b"login: "),
        (S, b"root\r\n"),
        (C, b"Password: "),
        (S, b"ab"),
    ];
    feed(p.as_mut(), &mut sink, login);
    p.gap(S, 3, &mut sink);
    feed(
        p.as_mut(),
        &mut sink,
        &[(S, b"c\r\n"), (C, b"\r\nLogin incorrect\r\n")],
    );
    p.finish(&mut sink);
    assert!(sink.seen.is_empty());
    assert_eq!(sink.no_cred, vec![0]);
    assert_eq!(sink.out.txs[0].log["outcome"], "failure");
}

/// ndpi/telnet.pcap: OpenBSD login. `tshark -r telnet.pcap -q -z
/// follow,tcp,ascii,0` shows user name `fake`, a 4-character password,
/// and a shell (`Last login: ...`, `$ `): a successful login. nDPI's
/// telnet.pcap.out agrees on `[Username: fake]`.
#[test]
fn ndpi_capture() {
    let convs = from_pcap(&shared_pcap("ndpi/telnet.pcap"));
    let conv = convs.iter().find(|c| c.server_port == 23).unwrap();
    let chunks = conv.borrowed();
    let (proto, out) = run_flow(crate::Transport::Tcp, 23, &chunks);
    assert_eq!(proto, Some("telnet"));
    assert_eq!(out.txs.len(), 1);
    assert!(out.events.is_empty(), "{:?}", out.events);
    let log = &out.txs[0].log;
    assert_eq!(log["banner"], "OpenBSD/i386 (oof) (ttyp2)");
    assert_eq!(log["login_prompt"], "login:");
    assert_eq!(log["username"], "fake");
    assert_eq!(log["password_present"], true);
    assert_eq!(log["password_length"], 4);
    assert_eq!(log["outcome"], "success");
    let opts = log["options"].as_array().unwrap();
    // Distinct (sender, IAC WILL/WONT/DO/DONT/SB, option) triples in
    // `tshark -r telnet.pcap -T fields -e ip.src -e tcp.payload -Y tcp.len>0`.
    assert_eq!(opts.len(), 46);
    assert!(opts.contains(&json!({"from": "server", "cmd": "WILL", "option": "echo"})));
    assert!(opts.contains(&json!({"from": "client", "cmd": "WILL", "option": "terminal-type"})));
    let c = creds(&chunks);
    assert_eq!(c.seen.len(), 1);
    assert_eq!(c.seen[0].username, b"fake");
    assert_eq!(c.seen[0].password.as_ref().map(Vec::len), Some(4));
    assert_eq!(c.seen[0].outcome, LoginOutcome::Success);
    // The client's first command after the login is in telnet.data.
    assert!(c.seen[0].data[0].ends_with(b"/sbin/ping www.yahoo.com\r\nls\r\nls -a\r\nexit\r\n"));
    // Every cut of the dialogue up to the first command gives the same.
    let end = chunks
        .iter()
        .position(|(d, c)| *d == S && c.starts_with(b"/sbin/ping"))
        .unwrap();
    let out = assert_resegmentation(&SPEC, &chunks[..=end]);
    assert_eq!(out.txs[0].log["outcome"], "success");
    assert_eq!(out.txs[0].log["username"], "fake");
}
