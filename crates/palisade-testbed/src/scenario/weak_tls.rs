//! The "weak-tls" scenario: a posture fact, not an attack. One camera (or
//! NVR, or any device when the fleet has neither) serves its web interface
//! over TLS 1.0 only (TLS_RSA_WITH_AES_128_CBC_SHA) with a self-signed
//! certificate that expired a year before the capture, as old embedded web
//! servers do. The NVR (or the gateway, standing in for an admin's
//! browser) opens it every one to three minutes. The labels carry it as
//! `weak-tls` posture: what a finding should report; the capture has no
//! attack.

use super::attack::SEC;
use super::{fleet, Setup};
use crate::actor;
use crate::catalog::Kind;
use crate::labels::PostureLabel;
use crate::proto::tls::LegacyTlsAdmin;
use crate::proto::x509;
use crate::world::{DevId, GATEWAY};
use crate::TestbedError;
use std::sync::Arc;

pub(crate) fn setup(s: &mut Setup<'_>) -> Result<(), TestbedError> {
    fleet::setup(s)?;
    let n = s.world.devices.len() as DevId;
    let cams: Vec<DevId> = s
        .world
        .of_kind(Kind::Camera)
        .chain(s.world.of_kind(Kind::Nvr))
        .collect();
    let dev = if cams.is_empty() {
        s.rng.below(n as u64) as DevId
    } else {
        *s.rng.pick(&cams)
    };
    // The client: an NVR other than the device, else the gateway.
    let client = s
        .world
        .of_kind(Kind::Nvr)
        .find(|&d| d != dev)
        .map_or(GATEWAY, |d| s.world.devices[d as usize].host);
    let d = &s.world.devices[dev as usize];
    let ip = s.world.hosts[d.host as usize].ip;
    let host = format!("{}.local", d.id);
    let id = d.id.clone();
    let start_secs = s.world.start / SEC;
    // Issued three years before the capture, expired one year before it.
    let cert = Arc::new(x509::self_signed_certificate(
        s.rng,
        &host,
        start_secs - 3 * 365 * 86_400,
        start_secs - 365 * 86_400,
    ));
    let end = s.world.start + s.cfg.duration_secs * SEC;
    let mut at = s.world.start + s.rng.range(95 * SEC, 150 * SEC);
    let mut scheduled = false;
    while at < end.saturating_sub(10 * SEC) {
        let app = LegacyTlsAdmin::new(host.clone(), cert.clone());
        if let Some(a) = actor::legacy_https(s.world, s.rng, client, dev, app) {
            s.spawn(at, a);
            scheduled = true;
        }
        at += s.rng.range(60 * SEC, 180 * SEC);
    }
    if scheduled {
        s.world.posture.push(PostureLabel {
            class: "weak-tls".into(),
            device: crate::labels::ip_string(ip),
            service: "https".into(),
            description: format!(
                "{id} serves HTTPS with TLS 1.0 only and a self-signed certificate that expired a \
                 year ago"
            ),
        });
    }
    Ok(())
}
