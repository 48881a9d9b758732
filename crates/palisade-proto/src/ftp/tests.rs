use super::parser::{command, eprt, epsv_reply, host_port, pasv_reply, reply_code};
use super::*;
use crate::parser::{AppTx, Collect, Dir, LoginOutcome, Parser, Secret};
use crate::registry::ProbeInput;
use crate::testing::{assert_resegmentation, buffer, feed, run, run_flow, Inspect, Recording};
use serde_json::json;
use std::net::IpAddr;

const S: Dir = Dir::ToServer;
const C: Dir = Dir::ToClient;

/// A vsftpd session: failed anonymous login, admin login, FEAT, PASV
/// download with a preliminary 150, EPSV, PORT, EPRT.
const SESSION: &[(Dir, &[u8])] = &[
    (C, b"220 (vsFTPd 3.0.3)\r\n"),
    (S, b"USER anonymous\r\n"),
    (C, b"331 Please specify the password.\r\n"),
    (S, b"PASS guest@\r\n"),
    (C, b"530 Login incorrect.\r\n"),
    (S, b"USER admin\r\n"),
    (C, b"331 Please specify the password.\r\n"),
    (S, b"PASS admin123\r\n"),
    (C, b"230 Login successful.\r\n"),
    (S, b"SYST\r\n"),
    (C, b"215 UNIX Type: L8\r\n"),
    (S, b"FEAT\r\n"),
    (C, b"211-Features:\r\n EPRT\r\n EPSV\r\n MDTM\r\n PASV\r\n"),
    (C, b" REST STREAM\r\n SIZE\r\n TVFS\r\n211 End\r\n"),
    (S, b"TYPE I\r\n"),
    (C, b"200 Switching to Binary mode.\r\n"),
    (S, b"PASV\r\n"),
    (C, b"227 Entering Passive Mode (192,168,1,10,117,48).\r\n"),
    (S, b"RETR firmware.bin\r\n"),
    (
        C,
        b"150 Opening BINARY mode data connection for firmware.bin (1024 bytes).\r\n",
    ),
    (C, b"226 Transfer complete.\r\n"),
    (S, b"EPSV\r\n"),
    (C, b"229 Entering Extended Passive Mode (|||30001|)\r\n"),
    (S, b"PORT 192,168,1,20,4,1\r\n"),
    (C, b"200 PORT command successful. Consider using PASV.\r\n"),
    (S, b"EPRT |2|fe80::1|5282|\r\n"),
    (C, b"200 EPRT command successful. Consider using EPSV.\r\n"),
    (S, b"QUIT\r\n"),
    (C, b"221 Goodbye.\r\n"),
];

#[derive(Debug, PartialEq)]
struct Cred {
    id: u64,
    username: Vec<u8>,
    password: Option<Vec<u8>>,
    outcome: LoginOutcome,
}

/// The credentials of completed transactions, and each one's command and
/// its argument (the last instance of the buffers, empty when absent).
#[derive(Default)]
struct Seen {
    creds: Vec<Cred>,
    commands: Vec<(Vec<u8>, Vec<u8>)>,
}

impl Inspect for Seen {
    fn inspect(&mut self, tx: &dyn AppTx) {
        if let Some(c) = tx.credential() {
            assert_eq!(c.service, "ftp");
            self.creds.push(Cred {
                id: tx.id(),
                username: c.username.to_vec(),
                password: match c.secret {
                    Secret::Plain(p) => Some(p.to_vec()),
                    _ => None,
                },
                outcome: c.outcome,
            });
        }
        let last = |name| buffer(tx, name).pop().unwrap_or_default();
        self.commands
            .push((last("ftp.command"), last("ftp.command_data")));
    }
}

type CredSink = Recording<Seen>;

#[test]
fn vsftpd_session() {
    let out = assert_resegmentation(&SPEC, SESSION);
    let logs: Vec<&serde_json::Value> = out.txs.iter().map(|t| &t.log).collect();
    assert_eq!(logs.len(), 14);
    assert_eq!(
        *logs[0],
        json!({"reply": ["(vsFTPd 3.0.3)"], "completion_code": ["220"],
               "reply_received": "yes", "reply_truncated": false})
    );
    assert_eq!(
        *logs[1],
        json!({"command": "USER", "command_data": "anonymous", "command_truncated": false,
               "reply": ["Please specify the password."], "completion_code": ["331"],
               "reply_received": "yes", "reply_truncated": false})
    );
    // PASS: logged without its argument.
    assert_eq!(
        *logs[2],
        json!({"command": "PASS", "reply": ["Login incorrect."], "completion_code": ["530"],
               "reply_received": "yes", "reply_truncated": false})
    );
    let all = serde_json::to_string(&logs).unwrap();
    assert!(!all.contains("admin123") && !all.contains("guest@"));
    assert_eq!(logs[4]["completion_code"], json!(["230"]));
    assert_eq!(
        logs[6]["reply"],
        json!([
            "Features:",
            " EPRT",
            " EPSV",
            " MDTM",
            " PASV",
            " REST STREAM",
            " SIZE",
            " TVFS",
            "End"
        ])
    );
    assert_eq!(logs[6]["completion_code"], json!(["211", "211"]));
    assert_eq!(logs[8]["command"], "PASV");
    assert_eq!(logs[8]["dynamic_port"], 117 * 256 + 48);
    assert!(logs[8].get("mode").is_none());
    assert_eq!(logs[9]["command"], "RETR");
    assert_eq!(logs[9]["completion_code"], json!(["150", "226"]));
    assert_eq!(logs[10]["dynamic_port"], 30001);
    assert_eq!(logs[11]["command"], "PORT");
    assert_eq!(logs[11]["dynamic_port"], 4 * 256 + 1);
    assert_eq!(logs[11]["mode"], "active");
    assert_eq!(logs[12]["command_data"], "|2|fe80::1|5282|");
    assert_eq!(logs[12]["dynamic_port"], 5282);
    assert_eq!(logs[13]["command"], "QUIT");
    let ids: Vec<u64> = out.txs.iter().map(|t| t.id).collect();
    assert_eq!(ids, (0..14).collect::<Vec<_>>());
    // Every command was reported when it arrived.
    assert_eq!(out.updates, (1..14).map(|i| (i, S)).collect::<Vec<_>>());
    assert!(out.events.is_empty());

    let mut p = FtpParser::default();
    let mut sink = CredSink::default();
    feed(&mut p, &mut sink, SESSION);
    assert_eq!(
        sink.creds,
        vec![
            Cred {
                id: 2,
                username: b"anonymous".to_vec(),
                password: Some(b"guest@".to_vec()),
                outcome: LoginOutcome::Failure
            },
            Cred {
                id: 4,
                username: b"admin".to_vec(),
                password: Some(b"admin123".to_vec()),
                outcome: LoginOutcome::Success
            },
        ]
    );
    // Rules see PASS's argument; the greeting has no command buffers.
    assert_eq!(sink.commands[0], (vec![], vec![]));
    assert_eq!(sink.commands[4], (b"PASS".to_vec(), b"admin123".to_vec()));
    assert_eq!(sink.commands[5], (b"SYST".to_vec(), vec![]));
    let v4 = |a, b, c, d| Some(IpAddr::from([a, b, c, d]));
    assert_eq!(
        p.expectations(),
        &[
            DataChannel {
                tx_id: 8,
                active: false,
                addr: v4(192, 168, 1, 10),
                port: 30000
            },
            DataChannel {
                tx_id: 10,
                active: false,
                addr: None,
                port: 30001
            },
            DataChannel {
                tx_id: 11,
                active: true,
                addr: v4(192, 168, 1, 20),
                port: 1025
            },
            DataChannel {
                tx_id: 12,
                active: true,
                addr: Some("fe80::1".parse().unwrap()),
                port: 5282
            },
        ]
    );
    assert_eq!(p.take_expectations().len(), 4);
    assert!(p.expectations().is_empty());
}

#[test]
fn user_alone_decides_and_unanswered_pass() {
    let mut p = FtpParser::default();
    let mut sink = CredSink::default();
    feed(
        &mut p,
        &mut sink,
        &[
            (C, b"220 ready\r\n"),
            (S, b"USER ftp\r\n"),
            (C, b"230 Anonymous access granted.\r\n"),
            (S, b"USER root\r\n"),
            (C, b"530 Permission denied.\r\n"),
            (S, b"USER admin\r\nPASS 1234\r\n"),
            (C, b"331 Password required\r\n"),
        ],
    );
    p.finish(&mut sink);
    let got: Vec<(&[u8], bool, LoginOutcome)> = sink
        .creds
        .iter()
        .map(|c| (&c.username[..], c.password.is_some(), c.outcome))
        .collect();
    assert_eq!(
        got,
        vec![
            (&b"ftp"[..], false, LoginOutcome::Success),
            (&b"root"[..], false, LoginOutcome::Failure),
            (&b"admin"[..], true, LoginOutcome::Unknown),
        ]
    );
    let last = sink.out.txs.last().unwrap();
    assert_eq!(
        last.log,
        json!({"command": "PASS", "reply_received": "no", "reply_truncated": false})
    );
}

#[test]
fn probe_greeting_and_commands() {
    use crate::Probe::*;
    let pr = |dir, data: &[u8], on_port| {
        (SPEC.probe)(&ProbeInput {
            dir,
            data,
            server_port: if on_port { 21 } else { 2121 },
            on_port,
        })
    };
    assert_eq!(pr(C, b"220 (vsFTPd 3.0.3)\r\n", true), Match);
    assert_eq!(pr(C, b"22", true), NeedMore);
    assert_eq!(pr(C, b"421 Too many users\r\n", true), Match);
    assert_eq!(pr(C, b"220-Welcome", false), NeedMore);
    assert_eq!(pr(C, b"220 ProFTPD Server ready\r\n", false), Match);
    assert_eq!(
        pr(C, b"220 mail.example.com ESMTP Postfix\r\n", false),
        NoMatch
    );
    assert_eq!(pr(C, b"HTTP/1.1 200 OK\r\n", true), NoMatch);
    assert_eq!(pr(S, b"USER admin\r\n", true), Match);
    assert_eq!(pr(S, b"feat\r\n", true), Match);
    assert_eq!(pr(S, b"AU", true), NeedMore);
    assert_eq!(pr(S, b"GET / HTTP/1.1\r\n", true), NoMatch);
    assert_eq!(pr(S, b"USER admin\r\n", false), NoMatch);
    let (p, out) = run_flow(crate::Transport::Tcp, 2121, &SESSION[..3]);
    assert_eq!(p, Some("ftp"));
    assert_eq!(out.txs.len(), 2);
    let (p, _) = run_flow(crate::Transport::Tcp, 21, &[(S, b"USER x\r\n")]);
    assert_eq!(p, Some("ftp"));
}

#[test]
fn wire_helpers() {
    assert_eq!(command(b"RETR a b"), (&b"RETR"[..], &b"a b"[..]));
    assert_eq!(command(b"PWD"), (&b"PWD"[..], &b""[..]));
    assert_eq!(reply_code(b"211-Features"), Some((211, true)));
    assert_eq!(reply_code(b"230"), Some((230, false)));
    assert_eq!(reply_code(b"2301"), None);
    assert_eq!(reply_code(b" EPRT"), None);
    assert_eq!(
        host_port(b"10,0,0,1,0,21"),
        Some((IpAddr::from([10, 0, 0, 1]), 21))
    );
    assert_eq!(host_port(b"10,0,0,1,0,256"), None);
    assert_eq!(host_port(b"10,0,0,1,0"), None);
    assert_eq!(host_port(b"1,2,3,4,5,6,7"), None);
    assert_eq!(
        pasv_reply(b"Entering Passive Mode 10,1,2,3,4,5"),
        Some((IpAddr::from([10, 1, 2, 3]), 1029))
    );
    assert_eq!(pasv_reply(&[b'1'; 5000]), None);
    assert_eq!(epsv_reply(b"Extended (!!!6446!)"), Some(6446));
    assert_eq!(epsv_reply(b"Extended (|||99999|)"), None);
    assert_eq!(epsv_reply(b"Extended (|1|6446|)"), None);
    assert_eq!(
        eprt(b"|1|132.235.1.2|6275|"),
        Some((IpAddr::from([132, 235, 1, 2]), 6275))
    );
    assert_eq!(eprt(b"|3|x|1|"), None);
    assert_eq!(eprt(b"|1|1.2.3.4|5"), None);
}

#[test]
fn line_reader_is_segmentation_blind() {
    let data = b"ab\r\nabcd\r\nabcde\r\nabcd\rx\r\n\r\nxyz";
    let lines = |cuts: &[usize]| {
        let mut r = LineReader::default();
        let mut got = Vec::new();
        let mut start = 0;
        for &c in cuts.iter().chain([data.len()].iter()) {
            r.feed(&data[start..c], 4, &mut |l, t| got.push((l.to_vec(), t)));
            start = c;
        }
        got
    };
    let whole = lines(&[]);
    assert_eq!(
        whole,
        vec![
            (b"ab".to_vec(), false),
            (b"abcd".to_vec(), false),
            (b"abcd".to_vec(), true),
            (b"abcd".to_vec(), true),
            (b"".to_vec(), false),
        ]
    );
    for i in 0..data.len() {
        assert_eq!(lines(&[i]), whole, "cut at {i}");
    }
    assert_eq!(lines(&(1..data.len()).collect::<Vec<_>>()), whole);
}

#[test]
fn long_lines_and_bounds() {
    let mut long = b"CWD ".to_vec();
    long.extend(std::iter::repeat_n(b'A', MAX_LINE + 100));
    long.extend_from_slice(b"\r\n");
    let mut reply = b"550 ".to_vec();
    reply.extend(std::iter::repeat_n(b'B', MAX_LINE + 10));
    reply.extend_from_slice(b"\r\n");
    let out = run(&SPEC, &[(S, &long), (C, &reply)]);
    assert_eq!(
        out.txs[0].events,
        vec![
            "ftp.request_command_too_long",
            "ftp.response_command_too_long"
        ]
    );
    assert_eq!(out.txs[0].log["command_truncated"], true);
    assert_eq!(out.txs[0].log["reply_truncated"], true);
    assert_eq!(
        out.txs[0].log["command_data"].as_str().unwrap().len(),
        MAX_LINE - 4
    );
    // Unanswered commands are bounded: the oldest is logged unanswered.
    let noop = b"NOOP\r\n".repeat(MAX_PENDING + 3);
    let out = run(&SPEC, &[(S, &noop)]);
    assert_eq!(out.txs.len(), MAX_PENDING + 3);
    assert_eq!(out.events.len(), 3);
    assert_eq!(out.events[0], (S, "ftp.too_many_transactions"));
    // A reply of many lines keeps the first ones.
    let mut help = b"214-The following commands are recognized.\r\n".to_vec();
    for _ in 0..200 {
        help.extend_from_slice(b" ABOR ACCT ALLO APPE CDUP CWD  DELE EPRT EPSV FEAT HELP\r\n");
    }
    help.extend_from_slice(b"214 Help OK.\r\n");
    let out = run(&SPEC, &[(S, b"HELP\r\n"), (C, &help)]);
    assert_eq!(out.txs.len(), 1);
    assert_eq!(out.txs[0].events, vec!["ftp.reply_too_long"]);
    assert_eq!(
        out.txs[0].log["reply"].as_array().unwrap().len(),
        MAX_REPLY_LINES
    );
    assert_eq!(out.txs[0].log["completion_code"], json!(["214"]));
}

#[test]
fn auth_tls_stops_parsing() {
    let chunks: &[(Dir, &[u8])] = &[
        (C, b"220 FTP\r\n"),
        (S, b"AUTH TLS\r\n"),
        (C, b"234 Proceed with negotiation.\r\n\x16\x03\x01\n"),
        (S, b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\n\n"),
    ];
    let out = assert_resegmentation(&SPEC, chunks);
    assert_eq!(out.txs.len(), 2);
    assert_eq!(out.txs[1].log["completion_code"], json!(["234"]));
}

#[test]
fn gap_resumes_at_next_line_and_early_client() {
    let mut p = FtpParser::default();
    let mut out = Collect::default();
    feed(
        &mut p,
        &mut out,
        &[(S, b"LIST\r\n"), (C, b"150 Here comes")],
    );
    p.gap(C, 100, &mut out);
    feed(
        &mut p,
        &mut out,
        &[(C, b"ing.\r\n226 Directory send OK.\r\n")],
    );
    p.finish(&mut out);
    assert_eq!(out.txs.len(), 1);
    assert_eq!(out.txs[0].log["completion_code"], json!(["226"]));
    // A client that speaks before the greeting: the 220 is still the
    // greeting, and USER gets the 331.
    let out = assert_resegmentation(
        &SPEC,
        &[
            (S, b"USER a\r\n"),
            (C, b"220-hi\r\n220 there\r\n331 pw?\r\n"),
        ],
    );
    assert_eq!(out.txs[0].log["completion_code"], json!(["220", "220"]));
    assert_eq!(out.txs[0].log["reply"], json!(["hi", "there"]));
    assert_eq!(out.txs[1].log["command"], "USER");
    assert_eq!(out.txs[1].log["completion_code"], json!(["331"]));
}
