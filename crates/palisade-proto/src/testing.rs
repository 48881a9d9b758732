//! Drivers shared by every protocol's tests, the `proto` fuzz target and
//! its replayed crashes.
//!
//! The segmentation contract: a parser must produce the same records
//! whatever way the same bytes are cut into calls. [`assert_resegmentation`]
//! feeds a conversation whole, one byte at a time, and split at every
//! point of every chunk, and compares the results.

use crate::identify::AppFlow;
use crate::parser::{Collect, Dir, Input};
use crate::registry::{ProtoSpec, Transport, PROTOCOLS};
use palisade_event::Timestamp;

/// Feeds `chunks` (direction, bytes) to a new parser of `spec` and
/// finishes it.
pub fn run(spec: &ProtoSpec, chunks: &[(Dir, &[u8])]) -> Collect {
    let mut parser = (spec.new_parser)();
    let mut out = Collect::default();
    for (i, (dir, data)) in chunks.iter().enumerate() {
        let ts = Timestamp::from_secs_nanos(1_700_000_000 + i as u64, 0);
        // Errors end the parse as the pipeline would.
        if parser
            .parse(
                Input {
                    dir: *dir,
                    data,
                    ts,
                },
                &mut out,
            )
            .is_err()
        {
            out.events.push((*dir, crate::identify::EV_PARSER_ERROR));
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
    for (i, (dir, data)) in chunks.iter().enumerate() {
        let ts = Timestamp::from_secs_nanos(1_700_000_000 + i as u64, 0);
        flow.data(
            Input {
                dir: *dir,
                data,
                ts,
            },
            &mut out,
        );
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
    let mut parser = (spec.new_parser)();
    let mut out = Collect::default();
    let mut orig = 0usize;
    let mut used = 0usize;
    for (dir, data) in pieces {
        while orig < original.len() && used >= original[orig].1.len() {
            orig += 1;
            used = 0;
        }
        used += data.len();
        let ts = Timestamp::from_secs_nanos(1_700_000_000 + orig as u64, 0);
        if parser
            .parse(
                Input {
                    dir: *dir,
                    data,
                    ts,
                },
                &mut out,
            )
            .is_err()
        {
            out.events.push((*dir, crate::identify::EV_PARSER_ERROR));
            break;
        }
    }
    parser.finish(&mut out);
    out
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
    let ts = Timestamp::from_secs_nanos(1_700_000_000, 0);
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
