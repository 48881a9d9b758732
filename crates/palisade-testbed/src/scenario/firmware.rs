//! The "vulnerable-firmware" scenario: a posture fact, not an attack. One
//! camera of the fleet is a Hikvision DS-2CD2043G2-I still running
//! `V5.5.52 build 180620`, a build from before Hikvision's fix of
//! CVE-2021-36260 (builds dated 210628 or later are fixed; the advisory
//! and its ranges are in palisade's `data/advisories/`). Like every device
//! it asks its vendor's update server for firmware over plain HTTP,
//! naming model and version; this one asks within the first two minutes,
//! so even a short capture shows it. The labels carry it as
//! `vulnerable-firmware` posture on that camera.

use super::attack::SEC;
use super::{fleet, Setup};
use crate::activity::{Activity, Timer};
use crate::actor::Actor;
use crate::catalog::{Kind, CAMERAS};
use crate::labels::PostureLabel;
use crate::TestbedError;

/// The vulnerable build (the IPC_E2 platform's last vulnerable build as
/// the researcher reported it; any build dated before 210628 is).
pub(crate) const VULNERABLE_BUILD: &str = "V5.5.52 build 180620";

pub(crate) fn setup(s: &mut Setup<'_>) -> Result<(), TestbedError> {
    fleet::setup(s)?;
    let Some(hik) = CAMERAS.iter().find(|p| p.vendor == "Hikvision") else {
        return Ok(());
    };
    let cams: Vec<_> = s.world.of_kind(Kind::Camera).collect();
    let Some(&dev) = cams
        .iter()
        .find(|&&d| s.world.devices[d as usize].product.vendor == "Hikvision")
        .or_else(|| cams.first())
    else {
        return Ok(());
    };
    s.world.set_product(s.rng, dev, hik, VULNERABLE_BUILD);
    let at = s.world.start + s.rng.range(60 * SEC, 120 * SEC);
    s.spawn(
        at,
        Actor::Timer(Timer {
            dev,
            what: Activity::Firmware,
        }),
    );
    let d = &s.world.devices[dev as usize];
    let ip = s.world.hosts[d.host as usize].ip;
    s.world.posture.push(PostureLabel {
        class: "vulnerable-firmware".into(),
        device: crate::labels::ip_string(ip),
        service: "http".into(),
        description: format!(
            "{} is a Hikvision {} running {VULNERABLE_BUILD}, vulnerable to CVE-2021-36260 \
             (unauthenticated command injection, known exploited)",
            d.id, hik.product
        ),
    });
    Ok(())
}
