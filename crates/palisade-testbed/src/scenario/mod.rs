//! The scenario registry.
//!
//! A scenario is a name, a one-line description and a setup function that
//! schedules actors into a freshly built fleet. Adding one is adding an entry
//! to [`SCENARIOS`] and a module beside `fleet`: an attack scenario calls
//! [`fleet::setup`] for the background traffic, schedules its own actors
//! (new [`crate::actor::Actor`] variants for the attack's conversations) and
//! records what it planned with [`Setup::attack`], which becomes the labels'
//! `attacks` list, clipped to where the capture really ended.

pub(crate) mod attack;
pub(crate) mod exploit;
mod firmware;
pub(crate) mod fleet;
pub(crate) mod flood;
pub(crate) mod mirai;
pub(crate) mod profile;
mod scan;
pub(crate) mod telnet;
mod weak_tls;

use crate::actor::Actor;
use crate::labels::PlannedAttack;
use crate::prng::Rng;
use crate::scheduler::Scheduler;
use crate::world::World;
use crate::{ScenarioConfig, TestbedError};

/// What a scenario's setup function works with.
pub(crate) struct Setup<'a> {
    /// The configuration (attack scenarios size their attacks by it).
    pub cfg: &'a ScenarioConfig,
    pub world: &'a mut World,
    pub rng: &'a mut Rng,
    sched: &'a mut Scheduler,
    attacks: &'a mut Vec<PlannedAttack>,
}

impl<'a> Setup<'a> {
    pub(crate) fn new(
        cfg: &'a ScenarioConfig,
        world: &'a mut World,
        rng: &'a mut Rng,
        sched: &'a mut Scheduler,
        attacks: &'a mut Vec<PlannedAttack>,
    ) -> Self {
        Setup {
            cfg,
            world,
            rng,
            sched,
            attacks,
        }
    }

    /// Schedules `actor` at `at` (ns since the epoch).
    pub(crate) fn spawn(&mut self, at: u64, actor: Actor) {
        self.sched.spawn(at, actor);
    }

    /// Records an attack for the labels and returns its index, which the
    /// attack's actors carry (see [`Actor::attack`]) so that its label gets
    /// the times of its first and last packets actually written.
    pub(crate) fn attack(&mut self, a: PlannedAttack) -> u32 {
        self.attacks.push(a);
        self.world.attack_seen.push(None);
        (self.attacks.len() - 1) as u32
    }

    /// Records a second label for the packets of attack `of` (another
    /// class's view of the same conversation): its times are `of`'s.
    pub(crate) fn attack_alias(&mut self, of: u32, a: PlannedAttack) -> u32 {
        let id = self.attack(a);
        self.world.attack_alias.push((of, id));
        id
    }
}

/// A scenario's setup function.
pub(crate) type SetupFn = fn(&mut Setup<'_>) -> Result<(), TestbedError>;

/// One registered scenario.
pub(crate) struct ScenarioDef {
    pub name: &'static str,
    pub description: &'static str,
    pub setup: SetupFn,
}

/// Every scenario, in the order `palisade testbed` lists them.
pub(crate) const SCENARIOS: &[ScenarioDef] = &[
    ScenarioDef {
        name: "fleet",
        description: "Normal IoT fleet traffic: MQTT telemetry, DNS, NTP, HTTPS to vendor clouds, \
                      HTTP firmware checks, RTSP video from cameras to NVRs, ICMP and ARP; no attacks",
        setup: fleet::setup,
    },
    ScenarioDef {
        name: "scan",
        description: "Fleet traffic plus an outside host's TCP SYN scans: Telnet (23) across every \
                      device, then ports 1-1024 of one camera",
        setup: scan::setup,
    },
    ScenarioDef {
        name: "mirai",
        description: "Fleet traffic plus an infected camera scanning random addresses for Telnet \
                      (23, 2323) like Mirai: SYNs whose sequence number is the destination address",
        setup: mirai::setup,
    },
    ScenarioDef {
        name: "telnet-default-creds",
        description: "Fleet traffic plus an outside host logging into a camera's Telnet with a \
                      Mirai default password and running Mirai's loader commands; one failed login",
        setup: telnet::setup_default_creds,
    },
    ScenarioDef {
        name: "telnet-bruteforce",
        description: "Fleet traffic plus an outside host guessing 30-60 Telnet passwords of one \
                      camera, a connection per guess, 1-3 s apart, all failing",
        setup: telnet::setup_bruteforce,
    },
    ScenarioDef {
        name: "syn-flood",
        description: "Fleet traffic plus a 20 s spoofed TCP SYN flood (5,000-20,000 SYN/s from \
                      100.64.0.0/10) into one device's HTTP or RTSP port",
        setup: flood::setup_syn,
    },
    ScenarioDef {
        name: "udp-flood",
        description: "Fleet traffic plus a 20 s spoofed UDP flood (15,000-30,000 datagrams/s of \
                      512-1,400 bytes from 100.64.0.0/10) into random ports of one device",
        setup: flood::setup_udp,
    },
    ScenarioDef {
        name: "icmp-flood",
        description: "Fleet traffic plus a 20 s spoofed ICMP echo flood (4,000-15,000/s from \
                      100.64.0.0/10) into one device",
        setup: flood::setup_icmp,
    },
    ScenarioDef {
        name: "outbound-flood",
        description: "Fleet traffic plus a fleet device turned bot flooding an internet address \
                      with UDP for 20 s (8,000-20,000 datagrams/s)",
        setup: flood::setup_outbound,
    },
    ScenarioDef {
        name: "slow-scan",
        description: "Fleet traffic plus an outside host SYN-probing 110-130 management ports \
                      across the fleet, one probe every 3-4.5 s (under the fast scan thresholds)",
        setup: scan::setup_slow,
    },
    ScenarioDef {
        name: "credential-spraying",
        description: "Fleet traffic plus an outside host trying one or two Telnet passwords on \
                      each of up to 15 cameras, 2-5 s apart, all failing",
        setup: telnet::setup_spraying,
    },
    ScenarioDef {
        name: "exposed-telnet",
        description: "Fleet traffic plus an outside host reaching a camera's Telnet from the \
                      internet twice (a failed login each time): the service is exposed",
        setup: telnet::setup_exposed,
    },
    ScenarioDef {
        name: "weak-tls",
        description: "Fleet traffic plus one camera serving HTTPS with TLS 1.0 only and an expired \
                      self-signed certificate, opened by the NVR every 1-3 minutes (posture, no attack)",
        setup: weak_tls::setup,
    },
    ScenarioDef {
        name: "vulnerable-firmware",
        description: "Fleet traffic with one Hikvision camera still on a firmware build from \
                      before the CVE-2021-36260 fix, seen in its plain-HTTP firmware check \
                      (posture, no attack)",
        setup: firmware::setup,
    },
    ScenarioDef {
        name: "shared-credential",
        description: "Fleet traffic plus the installer's script on the gateway logging into \
                      three cameras over Telnet with one non-default password (posture, no \
                      attack)",
        setup: telnet::setup_shared,
    },
    ScenarioDef {
        name: "amplification",
        description: "Fleet traffic plus a 20 s DNS reflection flood: large responses from port 53 \
                      of many resolvers into one device, about 3,000 a second",
        setup: flood::setup_amplification,
    },
    ScenarioDef {
        name: "hikvision-exploit",
        description: "Fleet traffic plus an outside host sending the Hikvision CVE-2021-36260 \
                      command injection (PUT /SDK/webLanguage) to a camera's HTTP port",
        setup: exploit::setup_hikvision,
    },
    ScenarioDef {
        name: "kalay-impersonation",
        description: "Fleet traffic plus Kalay UID registrations of every camera (UDP 10240, \
                      every 20-40 s) and a compromised fleet device registering one camera's UID \
                      (CVE-2021-28372)",
        setup: exploit::setup_kalay,
    },
    ScenarioDef {
        name: "axeda-access",
        description: "Fleet traffic plus an outside host sending a command to the PTC Axeda \
                      ERemoteServer port (TCP 3076) of a hub or NVR (Access:7)",
        setup: exploit::setup_axeda,
    },
    ScenarioDef {
        name: "profile-violation",
        description: "Fleet traffic plus, after an hour (or at 70-85 % of a shorter capture), one \
                      device connecting to an IRC command channel (TCP 6667) on an internet host \
                      it never used, 4-8 times",
        setup: profile::setup,
    },
    ScenarioDef {
        name: "exfiltration",
        description: "Fleet traffic plus, after an hour (or at 70-85 % of a shorter capture), a \
                      quiet device uploading 6-12 MB to its own vendor cloud on 443: only the \
                      volume is new",
        setup: profile::setup_exfiltration,
    },
];

/// (name, description) of every scenario, derived from [`SCENARIOS`] at
/// compile time.
pub(crate) static LIST: [(&str, &str); SCENARIOS.len()] = {
    let mut out = [("", ""); SCENARIOS.len()];
    let mut i = 0;
    while i < SCENARIOS.len() {
        out[i] = (SCENARIOS[i].name, SCENARIOS[i].description);
        i += 1;
    }
    out
};

/// The scenario called `name`.
pub(crate) fn find(name: &str) -> Result<&'static ScenarioDef, TestbedError> {
    SCENARIOS
        .iter()
        .find(|s| s.name == name)
        .ok_or_else(|| TestbedError::UnknownScenario {
            name: name.to_string(),
            known: SCENARIOS
                .iter()
                .map(|s| s.name)
                .collect::<Vec<_>>()
                .join(", "),
        })
}
