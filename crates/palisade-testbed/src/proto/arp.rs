//! ARP: gratuitous announcements at boot and who-has / is-at pairs when a
//! neighbour entry goes stale. Not an IP conversation, so never counted.

use crate::packet::BROADCAST;
use crate::scheduler::Ctx;
use crate::world::HostId;

/// An ARP exchange.
#[derive(Debug)]
pub(crate) enum ArpConv {
    /// A host announcing its own address (one packet).
    Gratuitous(HostId),
    /// `from` asks for `to`'s MAC; `to` answers.
    Request {
        from: HostId,
        to: HostId,
        answered: bool,
    },
}

impl ArpConv {
    pub(crate) fn step(&mut self, cx: &mut Ctx<'_>) -> Option<u64> {
        match self {
            ArpConv::Gratuitous(h) => {
                let h = &cx.world.hosts[*h as usize];
                cx.frame.arp(h.mac, BROADCAST, 1, h.mac, h.ip, [0; 6], h.ip);
                None
            }
            ArpConv::Request { from, to, answered } => {
                let (f, t) = (
                    &cx.world.hosts[*from as usize],
                    &cx.world.hosts[*to as usize],
                );
                if !*answered {
                    cx.frame.arp(f.mac, BROADCAST, 1, f.mac, f.ip, [0; 6], t.ip);
                    *answered = true;
                    Some(cx.now + cx.rng.range(100_000, 3_000_000))
                } else {
                    cx.frame.arp(t.mac, f.mac, 2, t.mac, t.ip, f.mac, f.ip);
                    None
                }
            }
        }
    }
}
