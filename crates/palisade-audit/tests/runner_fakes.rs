//! The runner against in-process fake peers on loopback, for what no
//! Debian package gives the end-to-end test (an RTSP camera with Digest
//! MD5-sess) and for the runner's own rules (attempt cap, lockout stop,
//! closed ports). The Digest check on the fake camera is the passive
//! detector's (`CredDb::check`), an implementation independent of the
//! audit's client.

use palisade_audit::client::ClientConfig;
use palisade_audit::runner::{run, NoProgress, RunConfig};
use palisade_audit::{Candidates, Plan, Status};
use palisade_detectors::creds::CredDb;
use palisade_proto::{Credential, DigestParams, LoginOutcome, Secret};
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

fn cfg(max: usize) -> RunConfig {
    RunConfig {
        concurrency: 4,
        rate: 1000.0,
        max_attempts: max,
        lockout_after: 2,
        errors_after: 3,
        client: ClientConfig {
            timeout: Duration::from_secs(3),
            ..Default::default()
        },
    }
}

const LOCAL: &str = "127.0.0.1";

async fn read_head(s: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::new();
    let mut b = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = s.read(&mut b).await.ok()?;
        if n == 0 || buf.len() > 16384 {
            return None;
        }
        buf.extend_from_slice(&b[..n]);
    }
    Some(String::from_utf8_lossy(&buf).into_owned())
}

/// `k="v"` / `k=v` pairs of an Authorization: Digest header.
fn digest_fields(h: &str) -> Vec<(String, String)> {
    let rest = h.trim().strip_prefix("Digest ").unwrap_or("");
    rest.split(", ")
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().trim_matches('"').to_string()))
        .collect()
}

/// A camera answering DESCRIBE with Digest MD5-sess (qop=auth) and
/// accepting admin/admin only.
async fn fake_rtsp(l: TcpListener, conns: Arc<AtomicUsize>) {
    let db = CredDb::from_csv_text("camera,admin,admin\n", "fake").unwrap();
    loop {
        let Ok((mut s, _)) = l.accept().await else {
            return;
        };
        conns.fetch_add(1, Ordering::Relaxed);
        let Some(head) = read_head(&mut s).await else {
            continue;
        };
        let auth = head
            .lines()
            .find_map(|l| l.strip_prefix("Authorization: "))
            .map(digest_fields);
        let ok = auth.is_some_and(|f| {
            let g = |k: &str| {
                f.iter()
                    .find(|(x, _)| x == k)
                    .map(|(_, v)| v.as_bytes())
                    .unwrap_or(b"")
            };
            let c = Credential {
                service: "rtsp",
                username: g("username"),
                secret: Secret::Digest(DigestParams {
                    method: b"DESCRIBE",
                    realm: g("realm"),
                    nonce: g("nonce"),
                    uri: g("uri"),
                    qop: g("qop"),
                    nc: g("nc"),
                    cnonce: g("cnonce"),
                    algorithm: g("algorithm"),
                    response: g("response"),
                }),
                outcome: LoginOutcome::Unknown,
            };
            g("nonce") == b"n0nce-7" && db.check(&c).is_some()
        });
        let reply = if ok {
            "RTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Type: application/sdp\r\nContent-Length: 0\r\n\r\n".to_string()
        } else {
            "RTSP/1.0 401 Unauthorized\r\nCSeq: 2\r\nWWW-Authenticate: Digest realm=\"IP Camera\", \
             nonce=\"n0nce-7\", qop=\"auth\", algorithm=MD5-sess\r\n\r\n"
                .to_string()
        };
        let _ = s.write_all(reply.as_bytes()).await;
    }
}

async fn listener() -> (TcpListener, u16) {
    let l = TcpListener::bind((LOCAL, 0)).await.unwrap();
    let port = l.local_addr().unwrap().port();
    (l, port)
}

#[tokio::test]
async fn rtsp_digest_md5_sess_default_found() {
    let (l, port) = listener().await;
    let conns = Arc::new(AtomicUsize::new(0));
    tokio::spawn(fake_rtsp(l, conns.clone()));
    let plan = Plan::new("rtsp", &format!("rtsp={port}")).unwrap();
    let cands = Candidates::from_db(CredDb::builtin(), None);
    let target: IpAddr = LOCAL.parse().unwrap();
    let r = run(&[target], &plan, &cands, &cfg(10), Arc::new(NoProgress)).await;
    let res = &r.results[0];
    assert_eq!(res.status, Status::Found, "{res:?}");
    let f = res.found.as_ref().unwrap();
    assert_eq!(f.username, "admin");
    let e = CredDb::builtin().entry(f.entry_id).unwrap();
    assert_eq!(
        (e.username.as_str(), e.password.as_str()),
        ("admin", "admin")
    );
    // admin/admin is the 4th candidate: 4 attempts, each a fresh nonce and
    // the authenticated request, plus the port check and the probe
    assert_eq!(res.attempts, 4);
    assert_eq!(conns.load(Ordering::Relaxed), 2 + 4 * 2);
}

/// A telnet service that answers every password with a lockout message.
async fn fake_telnet_lockout(l: TcpListener, conns: Arc<AtomicUsize>) {
    loop {
        let Ok((mut s, _)) = l.accept().await else {
            return;
        };
        conns.fetch_add(1, Ordering::Relaxed);
        tokio::spawn(async move {
            let mut b = [0u8; 256];
            // IAC WILL ECHO, then the prompt
            let _ = s.write_all(b"\xff\xfb\x01camera login: ").await;
            let mut lines = 0;
            while let Ok(n) = s.read(&mut b).await {
                if n == 0 {
                    return;
                }
                lines += b[..n].iter().filter(|&&c| c == b'\n').count();
                if lines == 1 {
                    let _ = s.write_all(b"\r\nPassword: ").await;
                } else if lines >= 2 {
                    let _ = s
                        .write_all(b"\r\nToo many failed login attempts, try again later\r\n")
                        .await;
                    return;
                }
            }
        });
    }
}

#[tokio::test]
async fn lockout_stops_the_service() {
    let (l, port) = listener().await;
    let conns = Arc::new(AtomicUsize::new(0));
    tokio::spawn(fake_telnet_lockout(l, conns.clone()));
    let plan = Plan::new("telnet", &format!("telnet={port}")).unwrap();
    let cands = Candidates::from_db(CredDb::builtin(), None);
    let target: IpAddr = LOCAL.parse().unwrap();
    let r = run(&[target], &plan, &cands, &cfg(10), Arc::new(NoProgress)).await;
    let res = &r.results[0];
    assert_eq!(res.status, Status::Lockout, "{res:?}");
    assert_eq!(res.attempts, 2, "stopped after lockout_after = 2 signs");
    assert_eq!(conns.load(Ordering::Relaxed), 1 + 2);
}

/// An FTP server refusing everything.
async fn fake_ftp(l: TcpListener, conns: Arc<AtomicUsize>) {
    loop {
        let Ok((mut s, _)) = l.accept().await else {
            return;
        };
        conns.fetch_add(1, Ordering::Relaxed);
        tokio::spawn(async move {
            let _ = s.write_all(b"220 fake\r\n").await;
            let mut b = [0u8; 256];
            while let Ok(n) = s.read(&mut b).await {
                if n == 0 {
                    return;
                }
                let reply: &[u8] = if b.starts_with(b"USER") {
                    b"331 Password required\r\n"
                } else if b.starts_with(b"PASS") {
                    b"530 Login incorrect.\r\n"
                } else {
                    b"221 bye\r\n"
                };
                let _ = s.write_all(reply).await;
            }
        });
    }
}

#[tokio::test]
async fn attempts_capped_and_closed_ports_untouched() {
    let (l, port) = listener().await;
    let conns = Arc::new(AtomicUsize::new(0));
    tokio::spawn(fake_ftp(l, conns.clone()));
    // a port with nothing behind it
    let closed = {
        let (l, p) = listener().await;
        drop(l);
        p
    };
    let plan = Plan::new("ftp,ssh", &format!("ftp={port},ssh={closed}")).unwrap();
    let cands = Candidates::from_db(CredDb::builtin(), None);
    let target: IpAddr = LOCAL.parse().unwrap();
    let r = run(&[target], &plan, &cands, &cfg(3), Arc::new(NoProgress)).await;
    let ftp = r.results.iter().find(|x| x.port == port).unwrap();
    assert_eq!(ftp.status, Status::NotFound);
    assert_eq!(ftp.attempts, 3);
    assert_eq!(conns.load(Ordering::Relaxed), 1 + 3);
    let ssh = r.results.iter().find(|x| x.port == closed).unwrap();
    assert_eq!(ssh.status, Status::Closed);
    assert_eq!(ssh.attempts, 0);
    assert_eq!(r.attempts, 3);
    assert!(r.findings(palisade_event::Timestamp::ZERO).is_empty());
}
