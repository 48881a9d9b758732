//! The Telnet wire format: NVT data with option negotiation interleaved
//! (RFC 854, 855), and recognisers for the lines of a login dialogue.
//!
//! [`Stripper`] is a byte-level state machine, so a command split across
//! segments (`IAC` at the end of one, `DO ECHO` in the next) is handled
//! without holding bytes: data runs between commands are handed out as
//! slices of the input.

use crate::util::trim;
use memchr::memchr;

/// Interpret As Command.
pub const IAC: u8 = 0xFF;
/// End of subnegotiation.
pub const SE: u8 = 240;
/// Erase character.
pub const EC: u8 = 247;
/// Erase line.
pub const EL: u8 = 248;
/// Begin subnegotiation.
pub const SB: u8 = 250;
/// Sender wants to enable an option.
pub const WILL: u8 = 251;
/// Sender refuses an option.
pub const WONT: u8 = 252;
/// Sender asks the peer to enable an option.
pub const DO: u8 = 253;
/// Sender asks the peer to disable an option.
pub const DONT: u8 = 254;

/// Subnegotiation bytes after which `SubnegotiationTooLong` is reported
/// (real ones are a terminal type or a window size: a few dozen bytes).
pub const MAX_SUBNEG: u32 = 4096;

/// What the stripper found in the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece<'a> {
    /// Data bytes, negotiation removed (`IAC IAC` is one 0xFF byte).
    Data(&'a [u8]),
    /// `IAC WILL|WONT|DO|DONT option`.
    Negotiate {
        /// WILL, WONT, DO or DONT.
        cmd: u8,
        /// Option number.
        option: u8,
    },
    /// `IAC SB option` (the parameters up to `IAC SE` are skipped).
    Subnegotiation {
        /// Option number.
        option: u8,
    },
    /// `IAC EC`: the previous character is erased.
    EraseChar,
    /// `IAC EL`: the current line is erased.
    EraseLine,
    /// A subnegotiation ran past [`MAX_SUBNEG`] bytes (once per SB).
    SubnegotiationTooLong,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum St {
    #[default]
    Data,
    Iac,
    Opt(u8),
    SbOpt,
    Sb(u32),
    SbIac(u32),
}

/// Option-negotiation state of one direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stripper {
    st: St,
}

impl Stripper {
    /// Splits `data` into pieces, continuing the state of previous calls.
    pub fn run<'a>(&mut self, data: &'a [u8], f: &mut dyn FnMut(Piece<'a>)) {
        let mut rest = data;
        while !rest.is_empty() {
            match self.st {
                St::Data => match memchr(IAC, rest) {
                    Some(i) => {
                        let (run, tail) = rest.split_at(i);
                        if !run.is_empty() {
                            f(Piece::Data(run));
                        }
                        rest = tail.get(1..).unwrap_or_default();
                        self.st = St::Iac;
                    }
                    None => {
                        f(Piece::Data(rest));
                        rest = &[];
                    }
                },
                St::Sb(len) => {
                    // Skip parameters quickly up to the next IAC.
                    let skip = memchr(IAC, rest).unwrap_or(rest.len());
                    let new = len.saturating_add(u32::try_from(skip).unwrap_or(u32::MAX));
                    if len <= MAX_SUBNEG && new > MAX_SUBNEG {
                        f(Piece::SubnegotiationTooLong);
                    }
                    match rest.get(skip + 1..) {
                        Some(tail) => {
                            rest = tail;
                            self.st = St::SbIac(new);
                        }
                        None => {
                            rest = &[];
                            self.st = St::Sb(new);
                        }
                    }
                }
                st => {
                    let Some((&b, tail)) = rest.split_first() else {
                        break;
                    };
                    rest = tail;
                    self.st = match st {
                        St::Iac => match b {
                            IAC => {
                                f(Piece::Data(&[IAC]));
                                St::Data
                            }
                            WILL..=DONT => St::Opt(b),
                            SB => St::SbOpt,
                            EC => {
                                f(Piece::EraseChar);
                                St::Data
                            }
                            EL => {
                                f(Piece::EraseLine);
                                St::Data
                            }
                            // NOP, DM, BRK, IP, AO, AYT, GA, stray SE:
                            // no effect on the text we follow.
                            _ => St::Data,
                        },
                        St::Opt(cmd) => {
                            f(Piece::Negotiate { cmd, option: b });
                            St::Data
                        }
                        St::SbOpt => {
                            f(Piece::Subnegotiation { option: b });
                            St::Sb(0)
                        }
                        // IAC SE ends it; IAC IAC is a 0xFF parameter byte;
                        // anything else is malformed and skipped like one.
                        St::SbIac(_) if b == SE => St::Data,
                        St::SbIac(len) => St::Sb(len.saturating_add(1)),
                        St::Data | St::Sb(_) => St::Data,
                    };
                }
            }
        }
    }
}

/// Name of a negotiation command for the log.
pub fn cmd_name(cmd: u8) -> &'static str {
    match cmd {
        WILL => "WILL",
        WONT => "WONT",
        DO => "DO",
        DONT => "DONT",
        SB => "SB",
        _ => "UNKNOWN",
    }
}

/// IANA name of a Telnet option, when it has a common one.
pub fn option_name(option: u8) -> Option<&'static str> {
    Some(match option {
        0 => "binary",
        1 => "echo",
        3 => "suppress-go-ahead",
        5 => "status",
        6 => "timing-mark",
        24 => "terminal-type",
        31 => "naws",
        32 => "terminal-speed",
        33 => "remote-flow-control",
        34 => "linemode",
        35 => "x-display-location",
        36 => "environ",
        37 => "authentication",
        38 => "encryption",
        39 => "new-environ",
        _ => return None,
    })
}

/// A prompt the server left on an unfinished line for the user to answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prompt {
    /// `login:`, `Username:`, `User Name:`.
    Login,
    /// `Password:`.
    Password,
    /// A shell prompt (`$ `, `# `, `> `, `%`).
    Shell,
}

/// Longest prompt recognised: a long unfinished line is prose, not a prompt.
const MAX_PROMPT: usize = 128;

/// Whether `hay` contains `needle`, ASCII case-insensitively.
pub fn contains_ci(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty()
        && hay.len() >= needle.len()
        && hay
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
}

/// Classifies the unfinished line the server shows when the client starts
/// typing (or the flow ends).
pub fn classify_prompt(line: &[u8]) -> Option<Prompt> {
    let t = trim(line);
    if t.len() > MAX_PROMPT {
        return None;
    }
    let (&last, _) = t.split_last()?;
    // Only the end of the line: "Password for admin:" is a password prompt.
    let tail = t.get(t.len().saturating_sub(32)..).unwrap_or(t);
    if last == b':' {
        if [&b"password"[..], b"passwd", b"passcode"]
            .iter()
            .any(|k| contains_ci(tail, k))
        {
            return Some(Prompt::Password);
        }
        if [&b"login"[..], b"user", b"account"]
            .iter()
            .any(|k| contains_ci(tail, k))
        {
            return Some(Prompt::Login);
        }
        return None;
    }
    if matches!(last, b'$' | b'#' | b'>' | b'%') {
        return Some(Prompt::Shell);
    }
    None
}

/// What a complete server line says about a login just attempted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Logged in (a welcome, last-login notice, BusyBox banner).
    Success,
    /// Rejected (`Login incorrect`, `Authentication failed`, `denied`).
    Failure,
}

/// Classifies a complete server line seen after the credentials were sent.
/// Success markers are checked first: `Last failed login: ... 3 failed
/// login attempts since the last successful login` follows a success.
pub fn classify_line(line: &[u8]) -> Option<Verdict> {
    const SUCCESS: &[&[u8]] = &[
        b"last login",
        b"last failed login",
        b"last successful login",
        b"welcome",
        b"busybox",
        b"built-in shell",
    ];
    const FAILURE: &[&[u8]] = &[
        b"incorrect",
        b"failed",
        b"failure",
        b"denied",
        b"invalid",
        b"bad password",
    ];
    if SUCCESS.iter().any(|k| contains_ci(line, k)) {
        return Some(Verdict::Success);
    }
    if FAILURE.iter().any(|k| contains_ci(line, k)) {
        return Some(Verdict::Failure);
    }
    None
}
