//! Drivers shared by every protocol's tests, the `proto` fuzz target and
//! its replayed crashes.
//!
//! The segmentation contract: a parser must produce the same records
//! whatever way the same bytes are cut into calls. [`assert_resegmentation`]
//! feeds a conversation whole, one byte at a time, and split at every
//! point of every chunk, and compares the results.

use crate::identify::AppFlow;
use crate::parser::{AppTx, Collect, Dir, Input, Parser, Sink, TxUpdate};
use crate::registry::{ProtoSpec, Transport, PROTOCOLS};
use palisade_event::Timestamp;
use std::ops::{Deref, DerefMut};

/// Seconds of the time test data is stamped with; [`run`] and
/// [`run_flow`] add the index of the chunk, the other helpers use it as is.
pub const T0: u64 = 1_700_000_000;

/// [`T0`] plus `chunk` seconds.
fn stamp(chunk: usize) -> Timestamp {
    Timestamp::from_secs_nanos(T0 + chunk as u64, 0)
}

/// Feeds `chunks` (direction, bytes) to a new parser of `spec` and
/// finishes it.
pub fn run(spec: &ProtoSpec, chunks: &[(Dir, &[u8])]) -> Collect {
    drive(
        spec,
        chunks
            .iter()
            .enumerate()
            .map(|(i, &(dir, data))| (dir, data, i)),
    )
}

/// The loop of [`run`] and [`run_split`]: feeds each (direction, bytes,
/// index of the chunk whose time it bears) to a new parser of `spec`, then
/// finishes it. An error ends the parse as the pipeline would.
fn drive<'a>(
    spec: &ProtoSpec,
    pieces: impl IntoIterator<Item = (Dir, &'a [u8], usize)>,
) -> Collect {
    let mut parser = (spec.new_parser)();
    let mut out = Collect::default();
    for (dir, data, chunk) in pieces {
        let ts = stamp(chunk);
        if parser.parse(Input { dir, data, ts }, &mut out).is_err() {
            out.events.push((dir, crate::identify::EV_PARSER_ERROR));
            break;
        }
    }
    parser.finish(&mut out);
    out
}

/// Feeds `chunks` through identification (as the pipeline does) and
/// returns the protocol found plus the records.
pub fn run_flow(
    transport: Transport,
    server_port: u16,
    chunks: &[(Dir, &[u8])],
) -> (Option<&'static str>, Collect) {
    let mut flow = AppFlow::new(transport, server_port);
    let mut out = Collect::default();
    for (i, &(dir, data)) in chunks.iter().enumerate() {
        let ts = stamp(i);
        flow.data(Input { dir, data, ts }, &mut out);
    }
    flow.finish(&mut out);
    (flow.app_proto(), out)
}

/// Feeds a TCP conversation whole, byte by byte and split at every point
/// of every chunk, and asserts each gives the records of the whole feed.
/// Timestamps are per original chunk, so they agree too.
pub fn assert_resegmentation(spec: &ProtoSpec, chunks: &[(Dir, &[u8])]) -> Collect {
    let whole = run(spec, chunks);
    let bytes: Vec<(Dir, &[u8])> = chunks
        .iter()
        .flat_map(|(d, c)| c.chunks(1).map(move |b| (*d, b)))
        .collect();
    let one = run_split(spec, &bytes, chunks);
    assert_eq!(one, whole, "{}: byte-at-a-time feed differs", spec.name);
    for (i, (dir, c)) in chunks.iter().enumerate() {
        for k in 1..c.len() {
            let mut v: Vec<(Dir, &[u8])> = chunks[..i].to_vec();
            v.push((*dir, &c[..k]));
            v.push((*dir, &c[k..]));
            v.extend_from_slice(&chunks[i + 1..]);
            let got = run_split(spec, &v, chunks);
            assert_eq!(got, whole, "{}: chunk {i} split at {k} differs", spec.name);
        }
    }
    whole
}

/// Like [`run`] for a re-cut conversation, stamping each piece with the
/// time of the original chunk it came from.
fn run_split(spec: &ProtoSpec, pieces: &[(Dir, &[u8])], original: &[(Dir, &[u8])]) -> Collect {
    // Map each piece back to its original chunk index by byte counts.
    let mut orig = 0usize;
    let mut used = 0usize;
    let mapped = pieces.iter().map(move |&(dir, data)| {
        while orig < original.len() && used >= original[orig].1.len() {
            orig += 1;
            used = 0;
        }
        used += data.len();
        (dir, data, orig)
    });
    drive(spec, mapped)
}

/// Feeds `chunks` to `parser`, all stamped [`T0`], for tests that drive a
/// parser by hand (looking at it or calling `gap` between feeds).
///
/// # Panics
/// When the parser returns an error: a test's data is meant to parse.
pub fn feed(parser: &mut dyn Parser, sink: &mut dyn Sink, chunks: &[(Dir, &[u8])]) {
    let ts = stamp(0);
    for &(dir, data) in chunks {
        if let Err(e) = parser.parse(Input { dir, data, ts }, sink) {
            panic!("{e}");
        }
    }
}

/// A new parser of `spec` fed `chunks` as [`feed`] does (panicking on an
/// error) and finished, reporting into `sink`, which is returned: [`run`]
/// for a sink of the test's own, such as a [`Recording`].
pub fn feed_all<S: Sink>(spec: &ProtoSpec, chunks: &[(Dir, &[u8])], mut sink: S) -> S {
    let mut parser = (spec.new_parser)();
    feed(parser.as_mut(), &mut sink, chunks);
    parser.finish(&mut sink);
    sink
}

/// What a test reads from each completed transaction while its parser
/// still owns it (sticky buffers, integer fields, the credential): the
/// part of a [`Recording`] that differs between tests.
pub trait Inspect {
    /// Called once per transaction, when it is reported complete.
    fn inspect(&mut self, tx: &dyn AppTx);
}

/// A sink that keeps what [`Collect`] keeps and hands each completed
/// transaction to an [`Inspect`]or. It dereferences to the inspector, so a
/// test reads the inspector's fields on it directly.
#[derive(Debug, Default)]
pub struct Recording<I> {
    /// Records, updates and flow events.
    pub out: Collect,
    /// What the test keeps of each transaction.
    pub inspector: I,
}

impl<I: Inspect> Sink for Recording<I> {
    fn tx(&mut self, tx: &dyn AppTx, update: TxUpdate) {
        if update.complete {
            self.inspector.inspect(tx);
        }
        self.out.tx(tx, update);
    }
    fn event(&mut self, dir: Dir, name: &'static str) {
        self.out.event(dir, name);
    }
}

impl<I> Deref for Recording<I> {
    type Target = I;
    fn deref(&self) -> &I {
        &self.inspector
    }
}

impl<I> DerefMut for Recording<I> {
    fn deref_mut(&mut self) -> &mut I {
        &mut self.inspector
    }
}

/// Every instance of the sticky buffer `name` in `tx`, as rules see them.
///
/// # Panics
/// When no sticky buffer has that name (a test's typo).
pub fn buffer(tx: &dyn AppTx, name: &str) -> Vec<Vec<u8>> {
    let Some(id) = crate::buffers::by_sticky_name(name) else {
        panic!("no sticky buffer {name}");
    };
    let mut v = Vec::new();
    tx.buffer(id, &mut |b| v.push(b.to_vec()));
    v
}

/// Every value of the integer field `name` in `tx`, as rules see them.
///
/// # Panics
/// When no integer field has that name (a test's typo).
pub fn integer(tx: &dyn AppTx, name: &str) -> Vec<u64> {
    let Some(id) = crate::fields::by_name(name) else {
        panic!("no integer field {name}");
    };
    let mut v = Vec::new();
    tx.integer(id, &mut |x| v.push(x));
    v
}

/// xorshift64: deterministic pseudo-random numbers for mutation tests,
/// without a dependency.
#[derive(Debug, Clone)]
pub struct XorShift(u64);

impl XorShift {
    /// A generator from a (non-zero) seed.
    pub fn new(seed: u64) -> XorShift {
        XorShift(seed)
    }

    /// The next number.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// `count` mutations of `seeds` (taken in turn), each with the seed it
/// came from, for datagram protocols' "nothing panics" tests. A mutation
/// makes one to four changes at random positions: set a random byte, cut
/// there, insert a random byte, or `special` (the protocol's own change
/// of that byte, e.g. setting a high bit its header checks); an emptied
/// message becomes `refill`. Deterministic from `rng_seed`.
pub fn mutations<'a, S: AsRef<[u8]>>(
    seeds: &'a [S],
    rng_seed: u64,
    count: usize,
    special: fn(&mut u8),
    refill: u8,
) -> impl Iterator<Item = (&'a [u8], Vec<u8>)> + 'a {
    let mut rng = XorShift::new(rng_seed);
    let n = seeds.len().max(1);
    (0..count).filter_map(move |i| {
        let seed = seeds.get(i % n)?.as_ref();
        let mut m = seed.to_vec();
        for _ in 0..1 + rng.next_u64() % 4 {
            let at = (rng.next_u64() as usize) % m.len().max(1);
            match rng.next_u64() % 4 {
                0 => {
                    let b = rng.next_u64() as u8;
                    if let Some(x) = m.get_mut(at) {
                        *x = b;
                    }
                }
                1 => m.truncate(at),
                2 => m.insert(at.min(m.len()), rng.next_u64() as u8),
                _ => {
                    if let Some(x) = m.get_mut(at) {
                        special(x);
                    }
                }
            }
            if m.is_empty() {
                m.push(refill);
            }
        }
        Some((seed, m))
    })
}

/// The fuzz driver: byte 0 picks a protocol (or, past the list, the
/// identification path), then the input is cut into chunks by 1-byte
/// length prefixes; the top bit of each prefix picks the direction, and a
/// zero prefix is a gap. Every record produced is also logged, to run the
/// loggers on hostile values.
pub fn fuzz_drive(data: &[u8]) {
    let Some((&sel, mut rest)) = data.split_first() else {
        return;
    };
    let n = PROTOCOLS.len();
    let pick = usize::from(sel) % (n + 2);
    let mut chunks: Vec<(Dir, Option<&[u8]>)> = Vec::new();
    while let Some((&len, tail)) = rest.split_first() {
        let dir = if len & 0x80 != 0 {
            Dir::ToClient
        } else {
            Dir::ToServer
        };
        let l = usize::from(len & 0x7f);
        if l == 0 {
            chunks.push((dir, None));
            rest = tail;
            continue;
        }
        let l = l.min(tail.len());
        chunks.push((dir, Some(&tail[..l])));
        rest = &tail[l..];
    }
    let ts = stamp(0);
    let mut out = Collect::default();
    if pick < n {
        let spec = PROTOCOLS[pick];
        let mut p = (spec.new_parser)();
        for (dir, c) in &chunks {
            match c {
                Some(d) => {
                    if p.parse(
                        Input {
                            dir: *dir,
                            data: d,
                            ts,
                        },
                        &mut out,
                    )
                    .is_err()
                    {
                        break;
                    }
                }
                None => p.gap(*dir, 10, &mut out),
            }
        }
        p.finish(&mut out);
    } else {
        let transport = if pick == n {
            Transport::Tcp
        } else {
            Transport::Udp
        };
        let port = PROTOCOLS
            .get(usize::from(sel) % n.max(1))
            .and_then(|p| p.ports.first().copied())
            .unwrap_or(80);
        let mut f = AppFlow::new(transport, port);
        for (dir, c) in &chunks {
            match c {
                Some(d) => f.data(
                    Input {
                        dir: *dir,
                        data: d,
                        ts,
                    },
                    &mut out,
                ),
                None => f.gap(*dir, 10, &mut out),
            }
        }
        f.finish(&mut out);
    }
}
