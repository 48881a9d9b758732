//! `xbits`: named bits kept per host or per host pair, across flows.
//!
//! Syntax: `xbits:<set|unset|toggle|isset|isnotset>,<name>,track
//! <ip_src|ip_dst|ip_pair>[,expire <seconds>]` and `xbits:noalert[,track
//! ...]`. `ip_src` / `ip_dst` pick which address of the packet the bit is
//! stored on; both share one host table (a bit set with `track ip_dst` on
//! a request is seen with `track ip_src` on the reply, as Suricata's
//! documentation describes). `ip_pair` keys on the unordered address pair.
//! A `set` or `toggle` keeps the bit for `expire` seconds of packet time
//! (default 30, must be above 0); an expired bit reads as not set. As in
//! Suricata, `set` on a bit that is still set does not extend its expiry.
//! (Suricata also leaves an expired bit expired on `set` unless a check
//! removed it first, which depends on rule order; palisade sets an expired
//! bit anew, as Suricata does whenever a check came first.)
//!
//! `isset`/`isnotset` are conditions; `set`/`unset`/`toggle` are actions
//! applied once the whole signature matched. The store is bounded: when
//! full, expired bits go first, then the oldest, and evictions are counted.

use super::bounded::BoundedMap;
use super::flowbits::Interner;
use std::net::IpAddr;

/// Default lifetime of a bit (Suricata's `DETECT_XBITS_EXPIRE_DEFAULT`).
pub const DEFAULT_EXPIRE_SECS: u32 = 30;
/// Default bound of an [`XbitsStore`].
pub const DEFAULT_MAX_XBITS: usize = 65_536;

/// An xbits command.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum XbitsCmd {
    /// `set` (action).
    Set,
    /// `unset` (action).
    Unset,
    /// `toggle` (action).
    Toggle,
    /// `isset` (condition).
    IsSet,
    /// `isnotset` (condition).
    IsNotSet,
    /// `noalert`: the rule never alerts.
    NoAlert,
}

/// What an xbit is stored on.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum XbitsTrack {
    /// The packet's source host.
    IpSrc,
    /// The packet's destination host.
    IpDst,
    /// The (unordered) pair of hosts.
    IpPair,
}

/// A parsed `xbits` option (name not yet resolved).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Xbits {
    /// The command.
    pub cmd: XbitsCmd,
    /// The bit's name (empty for `noalert`).
    pub name: String,
    /// Where the bit is stored (`ip_pair` when `noalert` gives none).
    pub track: XbitsTrack,
    /// Lifetime in seconds for `set` / `toggle`.
    pub expire: u32,
}

impl Xbits {
    /// Parses the option value.
    pub fn parse(value: &str) -> Result<Self, String> {
        let err = |m: String| format!("xbits: {m}");
        let v = value.trim();
        let mut parts = v.split(',').map(str::trim).peekable();
        let cmd_str = parts.next().unwrap_or("");
        let cmd = match cmd_str {
            "set" => XbitsCmd::Set,
            "unset" => XbitsCmd::Unset,
            "toggle" => XbitsCmd::Toggle,
            "isset" => XbitsCmd::IsSet,
            "isnotset" => XbitsCmd::IsNotSet,
            "noalert" => XbitsCmd::NoAlert,
            c => return Err(err(format!("unknown command `{c}`"))),
        };
        let name = match parts.peek() {
            Some(p) if !is_setting(p, "track") => {
                let n = p.to_string();
                parts.next();
                n
            }
            _ => String::new(),
        };
        let mut track = None;
        if let Some(p) = parts.peek() {
            if let Some(t) = setting(p, "track") {
                track = Some(match t {
                    "ip_src" => XbitsTrack::IpSrc,
                    "ip_dst" => XbitsTrack::IpDst,
                    "ip_pair" => XbitsTrack::IpPair,
                    t => {
                        return Err(err(format!(
                            "unknown track `{t}` (ip_src, ip_dst or ip_pair)"
                        )))
                    }
                });
                parts.next();
            }
        }
        let mut expire = DEFAULT_EXPIRE_SECS;
        if let Some(p) = parts.peek() {
            if let Some(e) = setting(p, "expire") {
                if e.is_empty() || !e.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(err(format!("invalid expire `{e}`")));
                }
                expire = e
                    .parse::<u32>()
                    .map_err(|_| err(format!("expire `{e}` does not fit in 32 bits")))?;
                if expire == 0 {
                    return Err(err("expire must be above 0".into()));
                }
                parts.next();
            }
        }
        if let Some(extra) = parts.next() {
            return Err(err(format!("unexpected `{extra}`")));
        }
        if cmd == XbitsCmd::NoAlert {
            if !name.is_empty() {
                return Err(err("`noalert` takes no name".into()));
            }
        } else if name.is_empty() {
            return Err(err(format!("`{cmd_str}` needs a name")));
        }
        let track = match (track, cmd) {
            (Some(t), _) => t,
            (None, XbitsCmd::NoAlert) => XbitsTrack::IpPair,
            (None, _) => return Err(err("missing `track <ip_src|ip_dst|ip_pair>`".into())),
        };
        Ok(Xbits {
            cmd,
            name,
            track,
            expire,
        })
    }

    /// True for `isset` / `isnotset`.
    pub fn is_condition(&self) -> bool {
        matches!(self.cmd, XbitsCmd::IsSet | XbitsCmd::IsNotSet)
    }

    /// True for `noalert`.
    pub fn is_noalert(&self) -> bool {
        self.cmd == XbitsCmd::NoAlert
    }

    /// Resolves the name to an id (xbits have their own interner).
    pub fn resolve(&self, interner: &mut Interner) -> XbitsOp {
        XbitsOp {
            cmd: self.cmd,
            id: interner.intern(&self.name),
            track: self.track,
            expire: self.expire,
        }
    }
}

fn is_setting(part: &str, key: &str) -> bool {
    setting(part, key).is_some()
}

/// `key <value>` -> value.
fn setting<'a>(part: &'a str, key: &str) -> Option<&'a str> {
    let rest = part.strip_prefix(key)?;
    if rest.starts_with(char::is_whitespace) {
        Some(rest.trim())
    } else {
        None
    }
}

/// What a bit is keyed on in the store.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum XbitKey {
    /// One host.
    Host(IpAddr),
    /// An unordered host pair (lower address first).
    Pair(IpAddr, IpAddr),
}

impl XbitKey {
    /// The key `track` selects for a packet `src` -> `dst`.
    pub fn for_packet(track: XbitsTrack, src: IpAddr, dst: IpAddr) -> XbitKey {
        match track {
            XbitsTrack::IpSrc => XbitKey::Host(src),
            XbitsTrack::IpDst => XbitKey::Host(dst),
            XbitsTrack::IpPair if src <= dst => XbitKey::Pair(src, dst),
            XbitsTrack::IpPair => XbitKey::Pair(dst, src),
        }
    }
}

/// A resolved `xbits` option, ready to run.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct XbitsOp {
    /// The command.
    pub cmd: XbitsCmd,
    /// The bit's id.
    pub id: u32,
    /// Where it is stored.
    pub track: XbitsTrack,
    /// Lifetime in seconds.
    pub expire: u32,
}

impl XbitsOp {
    /// Parses and resolves in one step.
    pub fn parse(value: &str, interner: &mut Interner) -> Result<XbitsOp, String> {
        Xbits::parse(value).map(|x| x.resolve(interner))
    }

    /// True for `noalert`.
    pub fn is_noalert(&self) -> bool {
        self.cmd == XbitsCmd::NoAlert
    }

    /// True for `isset` / `isnotset`.
    pub fn is_condition(&self) -> bool {
        matches!(self.cmd, XbitsCmd::IsSet | XbitsCmd::IsNotSet)
    }

    /// Evaluates a condition at packet time `now` (actions and `noalert`
    /// evaluate to true).
    pub fn evaluate(&self, store: &XbitsStore, src: IpAddr, dst: IpAddr, now: u64) -> bool {
        let key = XbitKey::for_packet(self.track, src, dst);
        match self.cmd {
            XbitsCmd::IsSet => store.is_set(self.id, key, now),
            XbitsCmd::IsNotSet => !store.is_set(self.id, key, now),
            _ => true,
        }
    }

    /// Applies an action at packet time `now` (conditions do nothing).
    pub fn apply(&self, store: &mut XbitsStore, src: IpAddr, dst: IpAddr, now: u64) {
        let key = XbitKey::for_packet(self.track, src, dst);
        match self.cmd {
            XbitsCmd::Set => store.set(self.id, key, now, self.expire),
            XbitsCmd::Unset => store.unset(self.id, key),
            XbitsCmd::Toggle => store.toggle(self.id, key, now, self.expire),
            _ => {}
        }
    }
}

/// Bits per host / host pair with expiry by packet time, bounded.
pub struct XbitsStore {
    bits: BoundedMap<(u32, XbitKey), u64>,
}

fn expired(expire_at: &u64, now: u64) -> bool {
    *expire_at < now
}

impl XbitsStore {
    /// A store holding at most `max_entries` bits (at least 1).
    pub fn new(max_entries: usize) -> Self {
        XbitsStore {
            bits: BoundedMap::new(max_entries),
        }
    }

    /// True if bit `id` is set on `key` and not expired at `now`.
    pub fn is_set(&self, id: u32, key: XbitKey, now: u64) -> bool {
        self.bits.get(&(id, key)).is_some_and(|e| !expired(e, now))
    }

    /// Sets bit `id` on `key` until `now + expire`; a bit still set keeps
    /// its expiry.
    pub fn set(&mut self, id: u32, key: XbitKey, now: u64, expire: u32) {
        if self.is_set(id, key, now) {
            return;
        }
        let until = now.saturating_add(expire.into());
        self.bits.insert((id, key), until, now, expired);
    }

    /// Clears bit `id` on `key`.
    pub fn unset(&mut self, id: u32, key: XbitKey) {
        self.bits.remove(&(id, key));
    }

    /// Clears the bit if it is held (expired or not, as in Suricata),
    /// sets it otherwise.
    pub fn toggle(&mut self, id: u32, key: XbitKey, now: u64, expire: u32) {
        if self.bits.remove(&(id, key)).is_none() {
            self.set(id, key, now, expire);
        }
    }

    /// [`XbitsOp::evaluate`] with the store first.
    pub fn evaluate(&self, op: &XbitsOp, src: IpAddr, dst: IpAddr, now: u64) -> bool {
        op.evaluate(self, src, dst, now)
    }

    /// [`XbitsOp::apply`] with the store first.
    pub fn apply(&mut self, op: &XbitsOp, src: IpAddr, dst: IpAddr, now: u64) {
        op.apply(self, src, dst, now)
    }

    /// Drops every bit expired at `now` (housekeeping; lookups already
    /// ignore expired bits).
    pub fn sweep(&mut self, now: u64) {
        self.bits.sweep(now, expired);
    }

    /// Bits held (including expired ones not yet swept).
    pub fn len(&self) -> usize {
        self.bits.len()
    }

    /// True if no bit is held.
    pub fn is_empty(&self) -> bool {
        self.bits.len() == 0
    }

    /// Live bits dropped because the store was full.
    pub fn evictions(&self) -> u64 {
        self.bits.evictions()
    }
}

impl Default for XbitsStore {
    fn default() -> Self {
        XbitsStore::new(DEFAULT_MAX_XBITS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keywords::testutil::{A, B, C};

    fn op(v: &str, i: &mut Interner) -> XbitsOp {
        Xbits::parse(v)
            .unwrap_or_else(|e| panic!("{v}: {e}"))
            .resolve(i)
    }

    #[test]
    fn parse_forms() {
        let x = Xbits::parse("set,abc,track ip_pair").unwrap();
        assert_eq!(
            (x.cmd, x.name.as_str(), x.track, x.expire),
            (
                XbitsCmd::Set,
                "abc",
                XbitsTrack::IpPair,
                DEFAULT_EXPIRE_SECS
            )
        );
        let x = Xbits::parse("set,abc,track ip_pair, expire 3600").unwrap();
        assert_eq!(x.expire, 3600);
        let x = Xbits::parse("set, ET.dropsite , track ip_src, expire 1234").unwrap();
        assert_eq!(
            (x.name.as_str(), x.track, x.expire),
            ("ET.dropsite", XbitsTrack::IpSrc, 1234)
        );
        let x = Xbits::parse("isset,abc,track ip_dst").unwrap();
        assert!(x.is_condition());
        assert_eq!(
            Xbits::parse("toggle,a,track ip_src").unwrap().cmd,
            XbitsCmd::Toggle
        );
        assert_eq!(
            Xbits::parse("unset,a,track ip_src").unwrap().cmd,
            XbitsCmd::Unset
        );
        assert!(Xbits::parse("noalert,track ip_src").unwrap().is_noalert());
        assert!(Xbits::parse("noalert").unwrap().is_noalert());
    }

    #[test]
    fn rejects() {
        for bad in [
            "alert",
            "n0alert",
            "set,abc,track nonsense, expire 3600",
            "set,abc,track ip_source, expire 3600",
            "set,abc,track ip_src, expire -1",
            "set,abc,track ip_src, expire 0",
            "set,abc,track ip_src, expire 99999999999",
            "set,abc",
            "set,track ip_src",
            "noalert,abc,track ip_src",
            "set,abc,track ip_src,expire 5,extra",
            "set,abc,trackip_src",
            "",
        ] {
            let e = Xbits::parse(bad).unwrap_err();
            assert!(e.starts_with("xbits: "), "{bad}: {e}");
        }
    }

    #[test]
    fn host_bits_cross_direction() {
        let mut i = Interner::new();
        let set_dst = op("set,seen,track ip_dst,expire 60", &mut i);
        let isset_src = op("isset,seen,track ip_src", &mut i);
        let mut store = XbitsStore::new(16);
        // Request A -> B marks B.
        set_dst.apply(&mut store, A, B, 100);
        // Reply B -> A: B is the source now.
        assert!(isset_src.evaluate(&store, B, A, 110));
        assert!(!isset_src.evaluate(&store, A, B, 110), "A was never marked");
        // Another flow from B, different peer: still set (per host).
        assert!(isset_src.evaluate(&store, B, C, 150));
        // Expiry: valid up to and including 160.
        assert!(isset_src.evaluate(&store, B, C, 160));
        assert!(!isset_src.evaluate(&store, B, C, 161));
        let isnotset = op("isnotset,seen,track ip_src", &mut i);
        assert!(isnotset.evaluate(&store, B, C, 161));
    }

    #[test]
    fn pair_bits_are_unordered() {
        let mut i = Interner::new();
        let set = op("set,p,track ip_pair", &mut i);
        let isset = op("isset,p,track ip_pair", &mut i);
        let unset = op("unset,p,track ip_pair", &mut i);
        let mut store = XbitsStore::default();
        set.apply(&mut store, A, B, 0);
        assert!(isset.evaluate(&store, B, A, 1));
        assert!(!isset.evaluate(&store, A, C, 1));
        // A second set while the bit is live does not extend it.
        let set60 = op("set,p,track ip_pair,expire 60", &mut i);
        set60.apply(&mut store, A, B, 20);
        assert!(isset.evaluate(&store, A, B, 30));
        assert!(
            !isset.evaluate(&store, A, B, 31),
            "default expiry is 30 s, kept"
        );
        // Once expired, a set arms it anew.
        set60.apply(&mut store, B, A, 31);
        assert!(isset.evaluate(&store, A, B, 91));
        assert!(!isset.evaluate(&store, A, B, 92));
        unset.apply(&mut store, A, B, 41);
        assert!(!isset.evaluate(&store, A, B, 41));
        assert!(store.is_empty());
        set.apply(&mut store, A, B, 100);
        unset.apply(&mut store, B, A, 101);
        assert!(store.is_empty());
    }

    #[test]
    fn toggle_and_conditions() {
        let mut i = Interner::new();
        let t = op("toggle,t,track ip_src", &mut i);
        let isset = op("isset,t,track ip_src", &mut i);
        let mut store = XbitsStore::new(4);
        store.apply(&t, A, B, 0);
        assert!(store.evaluate(&isset, A, B, 0));
        assert_eq!(XbitsOp::parse("isset,t,track ip_src", &mut i), Ok(isset));
        assert!(XbitsOp::parse("noalert", &mut i).unwrap().is_noalert());
        isset.apply(&mut store, A, B, 0);
        assert!(
            isset.evaluate(&store, A, B, 0),
            "conditions do not change state"
        );
        t.apply(&mut store, A, B, 1);
        assert!(!isset.evaluate(&store, A, B, 1));
    }

    #[test]
    fn bounded_store() {
        let mut store = XbitsStore::new(2);
        store.set(0, XbitKey::Host(A), 0, 10);
        store.set(0, XbitKey::Host(B), 0, 100);
        store.set(0, XbitKey::Host(C), 50, 100); // A expired at 50: swept, no eviction
        assert_eq!((store.len(), store.evictions()), (2, 0));
        assert!(!store.is_set(0, XbitKey::Host(A), 50));
        store.set(1, XbitKey::Host(A), 51, 100); // full of live bits: B (oldest) goes
        assert_eq!(store.evictions(), 1);
        assert!(!store.is_set(0, XbitKey::Host(B), 51));
        assert!(store.is_set(0, XbitKey::Host(C), 51));
        store.sweep(1000);
        assert!(store.is_empty());
    }
}
