//! The "fleet" scenario: normal traffic only.

use super::Setup;
use crate::activity::{Activity, Timer};
use crate::actor::Actor;
use crate::catalog::Kind;
use crate::world::DevId;
use crate::TestbedError;

const SEC: u64 = 1_000_000_000;

/// Boots every device and the gateway's housekeeping, and has each NVR start
/// recording its cameras once both are up.
pub(crate) fn setup(s: &mut Setup<'_>) -> Result<(), TestbedError> {
    let start = s.world.start;
    for dev in 0..s.world.devices.len() as DevId {
        let boot = s.world.devices[dev as usize].boot;
        s.spawn(
            boot,
            Actor::Timer(Timer {
                dev,
                what: Activity::Boot,
            }),
        );
    }
    let gw_arp = start + s.rng.range(5 * SEC, 30 * SEC);
    s.spawn(
        gw_arp,
        Actor::Timer(Timer {
            dev: 0,
            what: Activity::GatewayArp,
        }),
    );
    let nvrs: Vec<DevId> = s.world.of_kind(Kind::Nvr).collect();
    for nvr in nvrs {
        let cams = s.world.devices[nvr as usize].cameras.clone();
        for cam in cams {
            let up = s.world.devices[nvr as usize]
                .boot
                .max(s.world.devices[cam as usize].boot);
            let at = up + s.rng.range(20 * SEC, 60 * SEC);
            s.spawn(
                at,
                Actor::Timer(Timer {
                    dev: nvr,
                    what: Activity::Rtsp { cam },
                }),
            );
        }
    }
    Ok(())
}
