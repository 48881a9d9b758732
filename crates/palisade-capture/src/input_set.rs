//! Several inputs merged in packet-time order.

use crate::error::{CaptureError, ErrorKind};
use crate::mapped::SharedBytes;
use crate::reader::{has_capture_magic, CaptureReader, Packet, RawPacket};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// Most inputs kept open at once by [`InputSet::open`]; the rest are parked
/// (closed, their first timestamp remembered) and reopened when the merge
/// reaches them. Override with [`InputSet::open_with_max_open`].
pub const MAX_OPEN_INPUTS: usize = 64;

/// Most inputs in one set: packets name their input with a `u16`.
pub const MAX_INPUTS: usize = u16::MAX as usize + 1;

/// Deepest directory nesting followed when expanding a directory.
pub const MAX_DIR_DEPTH: usize = 64;

/// How [`InputSet::open_with`] (and [`CaptureReader::open_with`]) open inputs.
///
/// `OpenOptions::default()` is what [`InputSet::open`] uses: mapping on,
/// [`MAX_OPEN_INPUTS`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenOptions {
    /// Memory-map plain captures that are non-empty regular files (default
    /// `true`). Turn it off to read every input through a buffer, e.g. for
    /// files another process may truncate while palisade reads them (a
    /// mapped file truncated under the reader kills the process with
    /// SIGBUS; see the crate docs). `.gz` inputs, stdin, pipes and other
    /// non-regular files are read through a buffer either way.
    pub mmap: bool,
    /// Most inputs open at once (at least 1; default [`MAX_OPEN_INPUTS`]).
    pub max_open: usize,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            mmap: true,
            max_open: MAX_OPEN_INPUTS,
        }
    }
}

enum State {
    /// Open, with the packet at the head of this input (not yet delivered, or
    /// the one delivered last if this input is `InputSet::current`).
    Active {
        reader: CaptureReader,
        head: RawPacket,
    },
    /// Closed after its first packet was seen; reopened when the merge gets to
    /// it.
    Parked,
    /// Exhausted or failed.
    Done,
}

struct Slot {
    name: String,
    /// `None` for stdin.
    path: Option<PathBuf>,
    state: State,
}

enum Source {
    Stdin,
    File(PathBuf),
}

/// Several inputs merged in packet-time order.
///
/// A k-way merge over a binary heap keyed by (timestamp, input index): ties
/// go to the lower input index. Each input's next packet stays in place in its
/// own reader's buffer (or memory mapping) until it is delivered, so nothing
/// is copied, whether there is one input or many, and nothing is allocated
/// per packet. Packets of memory-mapped inputs can be handed to other threads
/// by reference: [`InputSet::shared_bytes`] and [`Packet::offset_in`].
///
/// Inputs are usually opened all at once; past [`MAX_OPEN_INPUTS`] (a
/// directory of thousands of rolled files), the extra inputs are probed for
/// their first timestamp, closed, and reopened only when the merge reaches
/// them, and every input is closed as soon as it is exhausted, so the number
/// of open files, read buffers and mappings stays bounded unless that many
/// files really overlap in time.
pub struct InputSet {
    slots: Vec<Slot>,
    heap: BinaryHeap<Reverse<(u64, u16)>>,
    /// The input whose head was delivered by the last `next_packet`.
    current: Option<u16>,
    errors: Vec<CaptureError>,
    skipped: Vec<PathBuf>,
    total: Option<u64>,
    /// Bytes read by inputs already closed.
    finished_bytes: u64,
    open: usize,
    /// How to reopen parked inputs.
    opts: OpenOptions,
}

impl std::fmt::Debug for InputSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InputSet")
            .field("inputs", &self.inputs())
            .field("skipped", &self.skipped)
            .finish_non_exhaustive()
    }
}

impl InputSet {
    /// Opens every input: files, `-` for stdin, and directories, expanded
    /// recursively (files sorted by path; only files whose first bytes are a
    /// pcap, pcapng or gzip magic, the others are listed in
    /// [`InputSet::skipped`]).
    ///
    /// Inputs that fail to open produce an error in the returned `Vec` and are
    /// left out; the rest still run.
    ///
    /// Plain captures in regular files are memory-mapped (see
    /// [`OpenOptions::mmap`] and [`InputSet::shared_bytes`]); use
    /// [`InputSet::open_with`] to turn that off.
    pub fn open(paths: &[PathBuf]) -> (InputSet, Vec<CaptureError>) {
        Self::open_with(paths, &OpenOptions::default())
    }

    /// [`InputSet::open`] keeping at most `max_open` inputs open at once
    /// (at least 1).
    pub fn open_with_max_open(paths: &[PathBuf], max_open: usize) -> (InputSet, Vec<CaptureError>) {
        Self::open_with(
            paths,
            &OpenOptions {
                max_open,
                ..OpenOptions::default()
            },
        )
    }

    /// [`InputSet::open`] with explicit options: whether to memory-map, and
    /// how many inputs to keep open at once.
    pub fn open_with(paths: &[PathBuf], opts: &OpenOptions) -> (InputSet, Vec<CaptureError>) {
        let max_open = opts.max_open.max(1);
        let mut open_errors = Vec::new();
        let mut set = InputSet {
            slots: Vec::new(),
            heap: BinaryHeap::new(),
            current: None,
            errors: Vec::new(),
            skipped: Vec::new(),
            total: Some(0),
            finished_bytes: 0,
            open: 0,
            opts: OpenOptions {
                mmap: opts.mmap,
                max_open,
            },
        };
        let mut sources = Vec::new();
        for p in paths {
            if p.as_os_str() == "-" {
                sources.push(Source::Stdin);
                continue;
            }
            match std::fs::metadata(p) {
                Ok(m) if m.is_dir() => {
                    let mut files = Vec::new();
                    walk(p, 0, &mut files, &mut set.skipped, &mut open_errors);
                    files.sort();
                    for f in files {
                        match sniff(&f) {
                            Ok(true) => sources.push(Source::File(f)),
                            Ok(false) => set.skipped.push(f),
                            Err(e) => open_errors.push(io_err(&f, e)),
                        }
                    }
                }
                Ok(_) => sources.push(Source::File(p.clone())),
                Err(e) => open_errors.push(io_err(p, e)),
            }
        }
        for src in sources {
            let (name, path, opened) = match src {
                Source::Stdin => (
                    crate::reader::STDIN_NAME.to_string(),
                    None,
                    CaptureReader::open(Path::new("-")),
                ),
                Source::File(p) => (
                    p.display().to_string(),
                    Some(p.clone()),
                    CaptureReader::open_with(&p, &set.opts),
                ),
            };
            let mut reader = match opened {
                Ok(r) => r,
                Err(e) => {
                    open_errors.push(e);
                    continue;
                }
            };
            if set.slots.len() >= MAX_INPUTS {
                open_errors.push(CaptureError::new(
                    name,
                    0,
                    ErrorKind::Io(io::Error::other(format!("more than {MAX_INPUTS} inputs"))),
                ));
                continue;
            }
            set.total = match (&path, set.total) {
                (Some(p), Some(t)) => std::fs::metadata(p).ok().map(|m| t + m.len()),
                _ => None,
            };
            let idx = set.slots.len() as u16;
            reader.set_input(idx);
            let state = match reader.advance() {
                Ok(Some(head)) => {
                    set.heap.push(Reverse((head.ts.as_nanos(), idx)));
                    if set.open < max_open || path.is_none() {
                        set.open += 1;
                        State::Active { reader, head }
                    } else {
                        State::Parked
                    }
                }
                Ok(None) => {
                    set.finished_bytes += reader.bytes_consumed();
                    State::Done
                }
                Err(e) => {
                    set.finished_bytes += reader.bytes_consumed();
                    set.errors.push(e);
                    State::Done
                }
            };
            set.slots.push(Slot { name, path, state });
        }
        (set, open_errors)
    }

    /// The next packet in time order across all inputs; `None` when every
    /// input is exhausted or failed. The packet borrows the set until the next
    /// call.
    #[inline]
    pub fn next_packet(&mut self) -> Option<Packet<'_>> {
        if let Some(i) = self.current.take() {
            self.advance(i);
        }
        let i = loop {
            let Reverse((_, i)) = self.heap.pop()?;
            if matches!(self.slots[usize::from(i)].state, State::Parked) {
                self.unpark(i);
                continue;
            }
            break i;
        };
        self.current = Some(i);
        match &self.slots[usize::from(i)].state {
            State::Active { reader, head } => Some(reader.view(head)),
            // Only active and parked inputs are ever in the heap.
            State::Parked | State::Done => None,
        }
    }

    /// Moves input `i` past the packet it delivered.
    #[inline]
    fn advance(&mut self, i: u16) {
        let slot = &mut self.slots[usize::from(i)];
        let State::Active { reader, head } = &mut slot.state else {
            return;
        };
        match reader.advance() {
            Ok(Some(p)) => {
                *head = p;
                self.heap.push(Reverse((p.ts.as_nanos(), i)));
            }
            Ok(None) => self.close(i),
            Err(e) => {
                self.errors.push(e);
                self.close(i);
            }
        }
    }

    fn close(&mut self, i: u16) {
        let slot = &mut self.slots[usize::from(i)];
        if let State::Active { reader, .. } = &slot.state {
            self.finished_bytes += reader.bytes_consumed();
            self.open -= 1;
        }
        slot.state = State::Done;
    }

    /// Reopens a parked input and puts its first packet back into the heap.
    fn unpark(&mut self, i: u16) {
        let slot = &mut self.slots[usize::from(i)];
        slot.state = State::Done;
        let Some(path) = &slot.path else {
            return;
        };
        let mut reader = match CaptureReader::open_with(path, &self.opts) {
            Ok(r) => r,
            Err(e) => {
                self.errors.push(e);
                return;
            }
        };
        reader.set_input(i);
        match reader.advance() {
            Ok(Some(head)) => {
                self.heap.push(Reverse((head.ts.as_nanos(), i)));
                slot.state = State::Active { reader, head };
                self.open += 1;
            }
            Ok(None) => self.finished_bytes += reader.bytes_consumed(),
            Err(e) => {
                self.finished_bytes += reader.bytes_consumed();
                self.errors.push(e);
            }
        }
    }

    /// The shared mapping that holds the bytes of packets from input `input`
    /// ([`Packet::input`]), if that input is memory-mapped.
    ///
    /// For such packets `packet.data` is a subslice of it, so
    /// `packet.data.as_ptr() as usize - shared.as_ptr() as usize` is its
    /// offset ([`Packet::offset_in`] computes and checks it). A clone keeps
    /// the bytes readable after the input closes, on any thread.
    ///
    /// `None` for an input read through a buffer (`.gz`, stdin, pipes, or
    /// mapping turned off), and for an input that is not open: parked (past
    /// [`OpenOptions::max_open`]; reopening maps it again, at another
    /// address) or finished (its mapping is released then, apart from
    /// clones). The input of the packet returned by the last
    /// [`InputSet::next_packet`] is open until the next call.
    pub fn shared_bytes(&self, input: u16) -> Option<&SharedBytes> {
        match &self.slots.get(usize::from(input))?.state {
            State::Active { reader, .. } => reader.shared_bytes(),
            State::Parked | State::Done => None,
        }
    }

    /// Errors hit while reading since the last call. An input that fails
    /// stops there (everything before the fault was delivered); the other
    /// inputs continue.
    pub fn take_errors(&mut self) -> Vec<CaptureError> {
        std::mem::take(&mut self.errors)
    }

    /// Sum of the inputs' sizes on disk (compressed size for `.gz`); `None`
    /// if standard input is among them.
    pub fn total_bytes(&self) -> Option<u64> {
        self.total
    }

    /// Bytes of the input files read so far; approaches
    /// [`InputSet::total_bytes`].
    pub fn bytes_consumed(&self) -> u64 {
        self.finished_bytes
            + self
                .slots
                .iter()
                .map(|s| match &s.state {
                    State::Active { reader, .. } => reader.bytes_consumed(),
                    State::Parked | State::Done => 0,
                })
                .sum::<u64>()
    }

    /// Names of the inputs in open order (the index is [`Packet::input`]).
    pub fn inputs(&self) -> Vec<String> {
        self.slots.iter().map(|s| s.name.clone()).collect()
    }

    /// Files found in directories that are not captures (no pcap, pcapng or
    /// gzip magic), and symbolic links to directories (not followed, so a
    /// link loop cannot recurse forever).
    pub fn skipped(&self) -> &[PathBuf] {
        &self.skipped
    }
}

fn io_err(p: &Path, e: io::Error) -> CaptureError {
    CaptureError::new(p.display().to_string(), 0, ErrorKind::Io(e))
}

/// Collects the files under `dir`.
fn walk(
    dir: &Path,
    depth: usize,
    files: &mut Vec<PathBuf>,
    skipped: &mut Vec<PathBuf>,
    errors: &mut Vec<CaptureError>,
) {
    if depth > MAX_DIR_DEPTH {
        skipped.push(dir.to_path_buf());
        return;
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            errors.push(io_err(dir, e));
            return;
        }
    };
    for entry in entries {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                errors.push(io_err(dir, e));
                continue;
            }
        };
        let path = entry.path();
        match entry.file_type() {
            Ok(t) if t.is_dir() => walk(&path, depth + 1, files, skipped, errors),
            Ok(t) if t.is_file() => files.push(path),
            Ok(t) if t.is_symlink() => match std::fs::metadata(&path) {
                Ok(m) if m.is_file() => files.push(path),
                Ok(_) => skipped.push(path),
                Err(e) => errors.push(io_err(&path, e)),
            },
            Ok(_) => skipped.push(path),
            Err(e) => errors.push(io_err(&path, e)),
        }
    }
}

/// True when the file starts with a capture or gzip magic.
fn sniff(p: &Path) -> io::Result<bool> {
    let mut f = std::fs::File::open(p)?;
    let mut head = [0u8; 4];
    let mut n = 0;
    while n < head.len() {
        match f.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(has_capture_magic(&head[..n]))
}
