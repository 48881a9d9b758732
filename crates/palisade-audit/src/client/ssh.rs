//! SSH password authentication (RFC 4252 §8) with russh. Any host key is
//! accepted: the audit checks the device's password, not its identity.
//! A server that does not offer `password` (keyboard-interactive only,
//! public keys only) gets no further attempts.

use super::ClientConfig;
use crate::Outcome;
use russh::client;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::time::timeout;

struct AcceptAnyKey;

impl client::Handler for AcceptAnyKey {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        _key: &russh::keys::PublicKey,
    ) -> Result<bool, Self::Error> {
        Ok(true)
    }
}

/// One login attempt.
pub async fn attempt(addr: SocketAddr, user: &str, pass: &str, cfg: &ClientConfig) -> Outcome {
    let config = Arc::new(client::Config {
        inactivity_timeout: Some(cfg.timeout),
        ..Default::default()
    });
    // connect + key exchange + auth, each bounded
    let mut session = match timeout(cfg.timeout, super::connect(addr, cfg)).await {
        Ok(Ok(sock)) => match timeout(
            cfg.timeout * 2,
            client::connect_stream(config, sock, AcceptAnyKey),
        )
        .await
        {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => return Outcome::Error(format!("ssh handshake: {e}")),
            Err(_) => return Outcome::Error("ssh handshake timeout".into()),
        },
        Ok(Err(o)) => return o,
        Err(_) => return Outcome::Error("connect timeout".into()),
    };
    let r = timeout(cfg.timeout * 2, session.authenticate_password(user, pass)).await;
    let out = match r {
        Ok(Ok(client::AuthResult::Success)) => Outcome::Accepted,
        Ok(Ok(client::AuthResult::Failure {
            remaining_methods, ..
        })) => {
            if remaining_methods
                .iter()
                .any(|m| matches!(m, russh::MethodKind::Password))
            {
                Outcome::Rejected
            } else {
                Outcome::NotApplicable("server does not offer password authentication".into())
            }
        }
        Ok(Err(e)) => {
            let t = e.to_string();
            if super::lockout_text(&t) {
                Outcome::Lockout(t)
            } else {
                Outcome::Error(format!("ssh auth: {t}"))
            }
        }
        Err(_) => Outcome::Error("ssh auth timeout".into()),
    };
    let _ = timeout(
        cfg.timeout,
        session.disconnect(russh::Disconnect::ByApplication, "", "en"),
    )
    .await;
    out
}
