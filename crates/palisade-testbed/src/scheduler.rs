//! The event scheduler: a binary heap of actors keyed by the time of their
//! next packet.
//!
//! Each actor lives in a slab slot; the heap holds `(time, sequence, slot)`.
//! The loop takes the earliest entry, lets the actor emit its packet at that
//! time, and re-keys the entry in place with the actor's next time (or drops
//! it when the actor is done). Actors spawned during a step are queued and
//! pushed afterwards. Ties are broken by the sequence number of insertion,
//! never by memory addresses or hashing, so the order, and hence the capture,
//! is a pure function of the seed. Memory is bounded by the number of
//! actors alive at once (devices' timers plus open conversations), not by
//! the capture's length; finished actors' slots and TCP buffers are reused.

use crate::actor::Actor;
use crate::labels::ConversationCounts;
use crate::packet::Frame;
use crate::prng::Rng;
use crate::world::World;
use palisade_capture::PcapWriter;
use palisade_event::Timestamp;
use std::cmp::Reverse;
use std::collections::binary_heap::PeekMut;
use std::collections::BinaryHeap;
use std::io::{self, Write};

/// What an actor sees while it runs.
pub(crate) struct Ctx<'a> {
    /// The time of this step (ns since the epoch).
    pub now: u64,
    pub world: &'a mut World,
    pub rng: &'a mut Rng,
    pub frame: &'a mut Frame,
    pub counts: &'a mut ConversationCounts,
    spawns: &'a mut Vec<(u64, Actor)>,
    buffers: &'a mut Vec<Vec<u8>>,
}

impl Ctx<'_> {
    /// Schedules a new actor at `at` (never before now).
    pub(crate) fn spawn(&mut self, at: u64, actor: Actor) {
        self.spawns.push((at.max(self.now), actor));
    }

    /// A message buffer, reused from a finished conversation when possible.
    pub(crate) fn buffer(&mut self) -> Vec<u8> {
        self.buffers
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(2048))
    }
}

/// Totals of one run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct RunStats {
    pub packets: u64,
    pub bytes: u64,
    /// Time of the last packet written, if any.
    pub last: Option<u64>,
    pub counts: ConversationCounts,
    /// Most actors alive at once.
    pub peak_actors: usize,
}

/// Why the run stopped.
pub(crate) struct Limits {
    /// First instant not generated (ns).
    pub end: u64,
    pub max_packets: u64,
}

/// Actors and their times.
#[derive(Default)]
pub(crate) struct Scheduler {
    heap: BinaryHeap<Reverse<(u64, u64, u32)>>,
    slab: Vec<Option<Actor>>,
    free: Vec<u32>,
    seq: u64,
    live: usize,
}

impl Scheduler {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Schedules `actor` at `at`.
    pub(crate) fn spawn(&mut self, at: u64, actor: Actor) {
        let slot = match self.free.pop() {
            Some(s) => {
                self.slab[s as usize] = Some(actor);
                s
            }
            None => {
                self.slab.push(Some(actor));
                (self.slab.len() - 1) as u32
            }
        };
        self.live += 1;
        self.seq += 1;
        self.heap.push(Reverse((at, self.seq, slot)));
    }

    /// Runs until `limits`, writing every packet to `out`.
    pub(crate) fn run<W: Write>(
        &mut self,
        world: &mut World,
        rng: &mut Rng,
        out: &mut PcapWriter<W>,
        limits: Limits,
    ) -> io::Result<RunStats> {
        let mut stats = RunStats {
            peak_actors: self.live,
            ..RunStats::default()
        };
        let mut frame = Frame::new();
        let mut spawns: Vec<(u64, Actor)> = Vec::new();
        let mut buffers: Vec<Vec<u8>> = Vec::new();
        let mut counts = ConversationCounts::default();
        while stats.packets < limits.max_packets {
            let Some(mut top) = self.heap.peek_mut() else {
                break;
            };
            let Reverse((now, _, slot)) = *top;
            if now >= limits.end {
                break;
            }
            let actor = self.slab[slot as usize]
                .as_mut()
                .expect("scheduled slot holds an actor");
            let mut cx = Ctx {
                now,
                world,
                rng,
                frame: &mut frame,
                counts: &mut counts,
                spawns: &mut spawns,
                buffers: &mut buffers,
            };
            let tag = actor.attack();
            let next = actor.step(&mut cx);
            match next {
                Some(t) => {
                    self.seq += 1;
                    *top = Reverse((t.max(now), self.seq, slot));
                    drop(top);
                }
                None => {
                    PeekMut::pop(top);
                    if let Some(buf) = self.slab[slot as usize].take().and_then(Actor::into_buffer)
                    {
                        buffers.push(buf);
                    }
                    self.free.push(slot);
                    self.live -= 1;
                }
            }
            if let Some(data) = frame.take() {
                out.write_packet(Timestamp::from_nanos(now), data, data.len() as u32)?;
                stats.packets += 1;
                stats.bytes += data.len() as u64;
                stats.last = Some(now);
                if let Some(a) = tag {
                    world.saw_attack(a, now);
                }
            }
            for (at, a) in spawns.drain(..) {
                self.spawn(at, a);
            }
            stats.peak_actors = stats.peak_actors.max(self.live);
        }
        stats.counts = counts;
        Ok(stats)
    }
}
