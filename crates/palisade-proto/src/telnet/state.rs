//! The login dialogue: one transaction per attempt.
//!
//! The server's text is cut into lines. A line the server leaves
//! unfinished is a prompt candidate; it is classified when the client
//! starts typing after it (or the flow ends), never at a segment boundary,
//! so `Last login:` arriving one byte at a time is not mistaken for a
//! `login:` prompt. The client's characters are collected into the user
//! name or password while the matching prompt is answered, whether the
//! client sends a line at once or one character per segment (the server's
//! echo lands on the prompt line, which is not classified again).

use super::parser::{
    classify_line, classify_prompt, cmd_name, option_name, Piece, Prompt, Stripper, Verdict, SB,
};
use crate::buffers::{by_sticky_name, BufferId};
use crate::parser::{
    AppTx, Credential, Dir, Input, LoginOutcome, ParseError, Parser, Secret, Sink, TxUpdate,
};
use crate::tx::Transaction;
use crate::util::{text, trim};
use serde_json::{json, Map, Value};
use std::sync::OnceLock;

/// Login attempts tracked per flow (a brute-force run is many flows of a
/// few attempts each; 64 is far beyond what a server allows).
pub const MAX_TXS: u64 = 64;
/// Bytes per direction of `telnet.data` a transaction keeps.
pub const MAX_TEXT: usize = 2048;
/// Bytes of the server's current line kept (its end: prompts are there).
pub const MAX_LINE: usize = 512;
/// Bytes of banner kept.
pub const MAX_BANNER: usize = 1024;
/// Bytes of a user name, password or prompt kept.
pub const MAX_FIELD: usize = 256;
/// Distinct negotiations (sender, command, option) recorded per flow (a
/// full BSD client/server negotiation has about 35).
pub const MAX_OPTIONS: usize = 64;

/// One negotiation seen on the flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionRecord {
    /// Who sent it.
    pub from: Dir,
    /// WILL, WONT, DO, DONT or SB.
    pub cmd: u8,
    /// Option number.
    pub option: u8,
}

/// One login attempt.
#[derive(Debug)]
pub struct TelnetTx {
    id: u64,
    /// Server text before the first prompt (first attempt only), lines
    /// joined with `\n`.
    pub banner: Vec<u8>,
    /// The login prompt answered, trimmed.
    pub login_prompt: Vec<u8>,
    /// User name typed.
    pub username: Vec<u8>,
    /// Never logged; only handed out through `credential()`.
    password: Vec<u8>,
    /// A password line was sent.
    pub password_present: bool,
    /// Its length in characters (after erasures).
    pub password_length: u64,
    /// Outcome.
    pub outcome: LoginOutcome,
    /// Negotiations seen on the flow up to and during the attempt.
    pub options: Vec<OptionRecord>,
    /// `telnet.data`: to-server and to-client text, negotiation removed.
    text: [Vec<u8>; 2],
    /// Data of the client was lost while a field was typed.
    gap: bool,
    events: Vec<&'static str>,
}

impl TelnetTx {
    fn new(id: u64) -> TelnetTx {
        TelnetTx {
            id,
            banner: Vec::new(),
            login_prompt: Vec::new(),
            username: Vec::new(),
            password: Vec::new(),
            password_present: false,
            password_length: 0,
            outcome: LoginOutcome::Unknown,
            options: Vec::new(),
            text: [Vec::new(), Vec::new()],
            gap: false,
            events: Vec::new(),
        }
    }

    /// The `telnet.data` text of one direction.
    pub fn text(&self, dir: Dir) -> &[u8] {
        &self.text[dir.index()]
    }

    fn windows_full(&self) -> bool {
        self.text.iter().all(|t| t.len() >= MAX_TEXT)
    }

    fn event(&mut self, name: &'static str) {
        if !self.events.contains(&name) {
            self.events.push(name);
        }
    }
}

fn data_id() -> BufferId {
    static ID: OnceLock<BufferId> = OnceLock::new();
    *ID.get_or_init(|| by_sticky_name("telnet.data").unwrap_or(BufferId(u16::MAX)))
}

impl Transaction for TelnetTx {
    fn app_proto(&self) -> &'static str {
        "telnet"
    }
    fn buffer(&self, id: BufferId, f: &mut dyn FnMut(&[u8])) {
        if id == data_id() {
            for t in &self.text {
                if !t.is_empty() {
                    f(t);
                }
            }
        }
    }
    fn events(&self) -> &[&'static str] {
        &self.events
    }
    fn id(&self) -> u64 {
        self.id
    }
}

fn option_json(o: &OptionRecord) -> Value {
    let option = match option_name(o.option) {
        Some(n) => json!(n),
        None => json!(o.option),
    };
    let from = match o.from {
        Dir::ToServer => "client",
        Dir::ToClient => "server",
    };
    json!({"from": from, "cmd": cmd_name(o.cmd), "option": option})
}

impl AppTx for TelnetTx {
    fn log(&self, out: &mut Map<String, Value>) {
        if !self.banner.is_empty() {
            out.insert("banner".into(), json!(text(&self.banner)));
        }
        if !self.login_prompt.is_empty() {
            out.insert("login_prompt".into(), json!(text(&self.login_prompt)));
        }
        if !self.username.is_empty() {
            out.insert("username".into(), json!(text(&self.username)));
        }
        out.insert("password_present".into(), json!(self.password_present));
        if self.password_present {
            out.insert("password_length".into(), json!(self.password_length));
        }
        let outcome = match self.outcome {
            LoginOutcome::Success => "success",
            LoginOutcome::Failure => "failure",
            LoginOutcome::Unknown => "unknown",
        };
        out.insert("outcome".into(), json!(outcome));
        if !self.options.is_empty() {
            let opts: Vec<Value> = self.options.iter().map(option_json).collect();
            out.insert("options".into(), Value::Array(opts));
        }
    }

    fn credential(&self) -> Option<Credential<'_>> {
        if self.gap || (self.username.is_empty() && !self.password_present) {
            return None;
        }
        Some(Credential {
            service: "telnet",
            username: &self.username,
            secret: if self.password_present {
                Secret::Plain(&self.password)
            } else {
                Secret::None
            },
            outcome: self.outcome,
        })
    }
}

/// Where the dialogue is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// No attempt open: banner, or between attempts.
    Idle,
    /// A login prompt is being answered.
    User,
    /// User name sent; waiting for the password prompt (or a verdict).
    AwaitPassPrompt,
    /// A password prompt is being answered.
    Pass,
    /// Credentials sent; waiting for the verdict.
    AwaitOutcome,
    /// Logged in: the attempt stays open until its `telnet.data` windows
    /// are full (the first commands of the session) or the flow ends.
    LoggedIn,
    /// Nothing more is tracked.
    Done,
}

/// Parser state of one flow.
pub struct TelnetParser {
    strip: [Stripper; 2],
    phase: Phase,
    tx: Option<TelnetTx>,
    next_id: u64,
    /// Text of each direction since the last attempt ended; it becomes the
    /// start of the next attempt's `telnet.data`.
    pre_text: [Vec<u8>; 2],
    /// Banner lines before the first prompt.
    banner: Vec<u8>,
    options: Vec<OptionRecord>,
    /// `telnet.too_many_options` was raised.
    options_full: bool,
    /// The server's current (unfinished) line, CR and NUL removed.
    line: Vec<u8>,
    /// `line` was classified since it last changed.
    line_classified: bool,
    /// `line` was a prompt (its completion, with the echoed answer, is not
    /// a verdict).
    line_is_prompt: bool,
    /// The last client data byte was CR (a following LF or NUL belongs to it).
    client_cr: bool,
}

impl Default for TelnetParser {
    fn default() -> TelnetParser {
        TelnetParser {
            strip: [Stripper::default(); 2],
            phase: Phase::Idle,
            tx: None,
            next_id: 0,
            pre_text: [Vec::new(), Vec::new()],
            banner: Vec::new(),
            options: Vec::new(),
            options_full: false,
            line: Vec::new(),
            line_classified: false,
            line_is_prompt: false,
            client_cr: false,
        }
    }
}

fn push_window(w: &mut Vec<u8>, data: &[u8], max: usize) {
    let room = max.saturating_sub(w.len());
    w.extend_from_slice(data.get(..room).unwrap_or(data));
}

impl TelnetParser {
    fn piece(&mut self, dir: Dir, p: Piece<'_>, sink: &mut dyn Sink) {
        match p {
            Piece::Data(d) => self.data(dir, d, sink),
            Piece::Negotiate { cmd, option } => self.option(dir, cmd, option, sink),
            Piece::Subnegotiation { option } => self.option(dir, SB, option, sink),
            Piece::EraseChar if dir == Dir::ToServer => self.erase(false),
            Piece::EraseLine if dir == Dir::ToServer => self.erase(true),
            Piece::EraseChar | Piece::EraseLine => {}
            Piece::SubnegotiationTooLong => sink.event(dir, "telnet.subnegotiation_too_long"),
        }
    }

    fn option(&mut self, from: Dir, cmd: u8, option: u8, sink: &mut dyn Sink) {
        if self.phase == Phase::Done {
            return;
        }
        let rec = OptionRecord { from, cmd, option };
        if self.options.contains(&rec) {
            return;
        }
        if self.options.len() >= MAX_OPTIONS {
            if !self.options_full {
                self.options_full = true;
                sink.event(from, "telnet.too_many_options");
            }
            return;
        }
        self.options.push(rec);
        if let Some(tx) = &mut self.tx {
            tx.options.push(rec);
        }
    }

    /// Applies a client erasure (IAC EC / IAC EL, or BS / DEL bytes) to the
    /// field being typed.
    fn erase(&mut self, line: bool) {
        let Some(tx) = &mut self.tx else {
            return;
        };
        match self.phase {
            Phase::User if line => tx.username.clear(),
            Phase::User => {
                tx.username.pop();
            }
            Phase::Pass if line => {
                tx.password.clear();
                tx.password_length = 0;
            }
            Phase::Pass => {
                tx.password_length = tx.password_length.saturating_sub(1);
                let keep = usize::try_from(tx.password_length).unwrap_or(usize::MAX);
                tx.password.truncate(keep);
            }
            _ => {}
        }
    }

    fn window(&mut self, dir: Dir) -> &mut Vec<u8> {
        match &mut self.tx {
            Some(tx) => &mut tx.text[dir.index()],
            None => &mut self.pre_text[dir.index()],
        }
    }

    fn data(&mut self, dir: Dir, d: &[u8], sink: &mut dyn Sink) {
        match self.phase {
            Phase::Done => {}
            Phase::LoggedIn => {
                push_window(self.window(dir), d, MAX_TEXT);
                if self.tx.as_ref().is_none_or(|t| t.windows_full()) {
                    self.complete(sink);
                    self.phase = Phase::Done;
                }
            }
            _ => match dir {
                Dir::ToServer => self.client(d, sink),
                Dir::ToClient => self.server(d, sink),
            },
        }
    }

    fn client(&mut self, d: &[u8], sink: &mut dyn Sink) {
        if !self.line_classified {
            self.line_classified = true;
            if let Some(p) = classify_prompt(&self.line) {
                self.line_is_prompt |= p != Prompt::Shell;
                self.prompt(p, false, sink);
            }
            if matches!(self.phase, Phase::LoggedIn | Phase::Done) {
                // Logged in without a password (or a shell from the start).
                self.data(Dir::ToServer, d, sink);
                return;
            }
        }
        push_window(self.window(Dir::ToServer), d, MAX_TEXT);
        if !matches!(self.phase, Phase::User | Phase::Pass) {
            if let Some(&last) = d.last() {
                self.client_cr = last == b'\r';
            }
            return;
        }
        for &b in d {
            let after_cr = std::mem::replace(&mut self.client_cr, b == b'\r');
            if after_cr && matches!(b, b'\n' | 0) {
                continue;
            }
            match b {
                b'\r' | b'\n' | 0 => self.end_field(sink),
                0x08 | 0x7f => self.erase(false),
                _ => self.type_char(b),
            }
            if !matches!(self.phase, Phase::User | Phase::Pass) {
                // The rest of the line is not a field (e.g. typed ahead).
                if let Some(&last) = d.last() {
                    self.client_cr = last == b'\r';
                }
                return;
            }
        }
    }

    fn type_char(&mut self, b: u8) {
        let Some(tx) = &mut self.tx else {
            return;
        };
        match self.phase {
            Phase::User => {
                if tx.username.len() < MAX_FIELD {
                    tx.username.push(b);
                } else {
                    tx.event("telnet.username_too_long");
                }
            }
            Phase::Pass => {
                tx.password_length = tx.password_length.saturating_add(1);
                if tx.password.len() < MAX_FIELD {
                    tx.password.push(b);
                } else {
                    tx.event("telnet.password_too_long");
                }
            }
            _ => {}
        }
    }

    fn end_field(&mut self, sink: &mut dyn Sink) {
        let Some(tx) = &mut self.tx else {
            return;
        };
        match self.phase {
            // An empty line at the login prompt is not an attempt.
            Phase::User if !tx.username.is_empty() => self.phase = Phase::AwaitPassPrompt,
            Phase::Pass => {
                tx.password_present = true;
                self.phase = Phase::AwaitOutcome;
                sink.tx(
                    tx,
                    TxUpdate {
                        dir: Dir::ToServer,
                        complete: false,
                    },
                );
            }
            _ => {}
        }
    }

    fn server(&mut self, d: &[u8], sink: &mut dyn Sink) {
        let mut rest = d;
        while !rest.is_empty() {
            let (piece, nl) = match memchr::memchr(b'\n', rest) {
                Some(i) => (rest.split_at(i + 1).0, true),
                None => (rest, false),
            };
            rest = rest.get(piece.len()..).unwrap_or_default();
            push_window(self.window(Dir::ToClient), piece, MAX_TEXT);
            self.line.extend(
                piece
                    .iter()
                    .copied()
                    .filter(|&b| !matches!(b, b'\r' | b'\n' | 0)),
            );
            if self.line.len() > MAX_LINE {
                let cut = self.line.len() - MAX_LINE;
                self.line.drain(..cut);
            }
            self.line_classified = false;
            if nl {
                self.end_line(sink);
                if self.phase == Phase::Done || self.phase == Phase::LoggedIn {
                    // The rest is session data.
                    if !rest.is_empty() {
                        self.data(Dir::ToClient, rest, sink);
                    }
                    return;
                }
            }
        }
    }

    fn end_line(&mut self, sink: &mut dyn Sink) {
        let line = std::mem::take(&mut self.line);
        let was_prompt = std::mem::replace(&mut self.line_is_prompt, false);
        self.line_classified = false;
        match self.phase {
            Phase::Idle if self.next_id == 0 => {
                let t = trim(&line);
                if !t.is_empty() && self.banner.len() < MAX_BANNER {
                    if !self.banner.is_empty() {
                        self.banner.push(b'\n');
                    }
                    push_window(&mut self.banner, t, MAX_BANNER);
                }
            }
            Phase::AwaitPassPrompt | Phase::AwaitOutcome if !was_prompt => {
                if let Some(v) = classify_line(&line) {
                    self.verdict(v, sink);
                }
            }
            _ => {}
        }
        // Reuse the allocation.
        self.line = line;
        self.line.clear();
    }

    /// The client answers (or the flow ends at) prompt `p`.
    fn prompt(&mut self, p: Prompt, at_finish: bool, sink: &mut dyn Sink) {
        match (p, self.phase) {
            // At the end of the flow a bare prompt is an attempt only when
            // it is all there is (a scanner reading the prompt).
            (Prompt::Login, Phase::Idle) if !at_finish || self.next_id == 0 => {
                self.start(Some(p), Phase::User, sink);
            }
            (Prompt::Login, Phase::User) => {
                // Re-shown before anything was typed: same attempt.
                if let Some(tx) = &mut self.tx {
                    tx.login_prompt = prompt_text(&self.line);
                }
            }
            (Prompt::Login, Phase::AwaitPassPrompt | Phase::Pass | Phase::AwaitOutcome) => {
                self.verdict(Verdict::Failure, sink);
                if !at_finish {
                    self.start(Some(p), Phase::User, sink);
                }
            }
            (Prompt::Password, Phase::Idle) if !at_finish || self.next_id == 0 => {
                self.start(None, Phase::Pass, sink);
            }
            (Prompt::Password, Phase::User | Phase::AwaitPassPrompt) => self.phase = Phase::Pass,
            (Prompt::Password, Phase::AwaitOutcome) => {
                // Asked again: the password was wrong.
                self.verdict(Verdict::Failure, sink);
                if !at_finish {
                    self.start(None, Phase::Pass, sink);
                }
            }
            (Prompt::Shell, Phase::AwaitPassPrompt | Phase::AwaitOutcome) => {
                self.verdict(Verdict::Success, sink);
            }
            (Prompt::Shell, Phase::Idle) if self.next_id == 0 => {
                // A shell without any login (`verdict` needs the attempt
                // `start` opened, and does nothing if it could not).
                self.start(None, Phase::Idle, sink);
                self.verdict(Verdict::Success, sink);
            }
            _ => {}
        }
    }

    /// Opens attempt `next_id`; false when the bound is reached.
    fn start(&mut self, p: Option<Prompt>, phase: Phase, sink: &mut dyn Sink) -> bool {
        if self.next_id >= MAX_TXS {
            sink.event(Dir::ToServer, "telnet.too_many_transactions");
            self.phase = Phase::Done;
            return false;
        }
        let mut tx = TelnetTx::new(self.next_id);
        if self.next_id == 0 {
            tx.banner = std::mem::take(&mut self.banner);
        }
        if p == Some(Prompt::Login) {
            tx.login_prompt = prompt_text(&self.line);
        }
        tx.options = self.options.clone();
        tx.text = std::mem::take(&mut self.pre_text);
        self.next_id += 1;
        self.tx = Some(tx);
        self.phase = phase;
        true
    }

    fn verdict(&mut self, v: Verdict, sink: &mut dyn Sink) {
        let Some(tx) = &mut self.tx else {
            return;
        };
        match v {
            Verdict::Failure => {
                tx.outcome = LoginOutcome::Failure;
                self.complete(sink);
                self.phase = Phase::Idle;
            }
            Verdict::Success => {
                tx.outcome = LoginOutcome::Success;
                if tx.windows_full() {
                    self.complete(sink);
                    self.phase = Phase::Done;
                } else {
                    sink.tx(
                        tx,
                        TxUpdate {
                            dir: Dir::ToClient,
                            complete: false,
                        },
                    );
                    self.phase = Phase::LoggedIn;
                }
            }
        }
    }

    fn complete(&mut self, sink: &mut dyn Sink) {
        if let Some(tx) = self.tx.take() {
            sink.tx(
                &tx,
                TxUpdate {
                    dir: Dir::ToClient,
                    complete: true,
                },
            );
        }
    }
}

fn prompt_text(line: &[u8]) -> Vec<u8> {
    let t = trim(line);
    t.get(..MAX_FIELD).unwrap_or(t).to_vec()
}

impl Parser for TelnetParser {
    fn parse(&mut self, input: Input<'_>, sink: &mut dyn Sink) -> Result<(), ParseError> {
        if self.phase == Phase::Done {
            return Ok(());
        }
        let d = input.dir.index();
        let mut strip = self.strip[d];
        strip.run(input.data, &mut |p| self.piece(input.dir, p, sink));
        self.strip[d] = strip;
        Ok(())
    }

    fn gap(&mut self, dir: Dir, _len: u64, _sink: &mut dyn Sink) {
        self.strip[dir.index()] = Stripper::default();
        match dir {
            Dir::ToServer => {
                self.client_cr = false;
                if matches!(self.phase, Phase::User | Phase::Pass) {
                    if let Some(tx) = &mut self.tx {
                        // The field is incomplete: no credential from it.
                        tx.gap = true;
                    }
                }
            }
            Dir::ToClient => {
                self.line.clear();
                self.line_classified = false;
                self.line_is_prompt = false;
            }
        }
    }

    fn finish(&mut self, sink: &mut dyn Sink) {
        if self.phase == Phase::Done {
            return;
        }
        if !self.line_classified && self.phase != Phase::LoggedIn {
            self.line_classified = true;
            if let Some(p) = classify_prompt(&self.line) {
                self.prompt(p, true, sink);
            }
        }
        if self.tx.is_none()
            && self.next_id == 0
            && self.phase == Phase::Idle
            && (!self.banner.is_empty() || !self.options.is_empty())
        {
            // The server talked but no attempt was made: log what it said.
            self.start(None, Phase::Idle, sink);
        }
        self.complete(sink);
        self.phase = Phase::Done;
    }
}
