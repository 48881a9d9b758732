//! The default-credential database: which (user name, password) pairs
//! ship as factory defaults or are tried by IoT botnets, and the test of a
//! login seen in traffic against them.
//!
//! The built-in database is compiled in from `data/credentials/` (see its
//! README for sources and licenses): palisade's SNMP community list, the
//! pairs Mirai's scanner tries, the DefaultCreds cheat sheet and SecLists'
//! telnet defaults, in that order. Entry ids follow that order (then line
//! order) and stay stable while the files do; an identical (user,
//! password) pair seen again keeps its first id and adds its vendor name.
//! A user file (`vendor,username,password` lines) extends it
//! ([`CredDb::from_csv_text`], [`CredDb::builtin_with`]).
//!
//! The test runs in the worker that parsed the login, where the secret
//! is: [`CredDb::check`] answers with an entry id, and [`fingerprint`]
//! gives a salted value to recognise one credential on many devices;
//! neither lets anyone recover the secret from what is kept.
//!
//! Logins are indexed by user name, so one check costs the entries of that
//! user only (a plain password is one hash lookup; a Digest response is
//! recomputed for each candidate password of the user).

use md5::{Digest as _, Md5};
use palisade_proto::{Credential, DigestParams, Secret};
use sha2::Sha256;
use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

const MIRAI: &str = include_str!("../../../data/credentials/mirai-scanner-creds.csv");
const DEFAULTCREDS: &str = include_str!("../../../data/credentials/DefaultCreds-Cheat-Sheet.csv");
const SECLISTS: &str =
    include_str!("../../../data/credentials/seclists-telnet-betterdefaultpasslist.txt");

/// Source name of the SNMP community entries.
pub const SOURCE_SNMP: &str = "snmp-communities";
/// Source name of the Mirai scanner pairs.
pub const SOURCE_MIRAI: &str = "mirai-scanner";
/// Source name of the DefaultCreds cheat sheet entries.
pub const SOURCE_DEFAULTCREDS: &str = "defaultcreds-cheat-sheet";
/// Source name of the SecLists telnet defaults.
pub const SOURCE_SECLISTS: &str = "seclists-telnet";

/// SNMP communities devices ship with or that scanners try first (entries
/// with an empty user name).
pub const SNMP_COMMUNITIES: &[&str] = &[
    "public",
    "private",
    "community",
    "manager",
    "admin",
    "snmp",
    "cisco",
    "secret",
    "write",
    "read",
    "monitor",
    "default",
    "mngt",
    "ILMI",
    "cable-docsis",
];

/// Vendor names kept per merged entry; more are counted ("+N more"), so
/// that admin/admin does not carry a hundred names into every alert.
const MAX_VENDORS: usize = 4;
/// Longest field accepted in a user file, in bytes.
const MAX_FIELD: usize = 256;

/// One default credential.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Stable id (position in the database).
    pub id: u32,
    /// User name (empty: none, as for SNMP communities).
    pub username: String,
    /// Password (or SNMP community).
    pub password: String,
    /// Vendor or product names that ship it, when the source says.
    pub vendor: Option<String>,
    /// Which list it came from (the first one, when several have it).
    pub source: &'static str,
}

/// The passwords of one user name.
#[derive(Clone, Debug, Default)]
struct UserIndex {
    /// Entry ids, in id order.
    ids: Vec<u32>,
    /// Password → entry id.
    by_pass: HashMap<String, u32>,
}

/// A default-credential database.
#[derive(Clone, Debug, Default)]
pub struct CredDb {
    entries: Vec<Entry>,
    by_user: HashMap<String, UserIndex>,
}

/// A user credential file could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredDbError {
    source: &'static str,
    line: usize,
    reason: &'static str,
}

impl CredDbError {
    /// The file's name as given.
    pub fn source_name(&self) -> &'static str {
        self.source
    }
    /// 1-based line number.
    pub fn line(&self) -> usize {
        self.line
    }
    /// What is wrong with it.
    pub fn reason(&self) -> &'static str {
        self.reason
    }
}

impl fmt::Display for CredDbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} line {}: {}", self.source, self.line, self.reason)
    }
}

impl std::error::Error for CredDbError {}

/// Builds a database, merging duplicates.
#[derive(Default)]
struct Builder {
    db: CredDb,
    /// Per entry: distinct vendor names (at most MAX_VENDORS) and how many
    /// more were seen.
    vendors: Vec<(Vec<String>, usize)>,
}

impl Builder {
    fn add(&mut self, user: &str, pass: &str, vendor: Option<&str>, source: &'static str) {
        let vendor = vendor.map(str::trim).filter(|v| !v.is_empty());
        let ui = self.db.by_user.entry(user.to_string()).or_default();
        if let Some(&id) = ui.by_pass.get(pass) {
            if let (Some(v), Some((names, more))) = (vendor, self.vendors.get_mut(id as usize)) {
                if !names.iter().any(|n| n == v) {
                    if names.len() < MAX_VENDORS {
                        names.push(v.to_string());
                    } else {
                        *more += 1;
                    }
                }
            }
            return;
        }
        let Ok(id) = u32::try_from(self.db.entries.len()) else {
            return;
        };
        ui.ids.push(id);
        ui.by_pass.insert(pass.to_string(), id);
        self.db.entries.push(Entry {
            id,
            username: user.to_string(),
            password: pass.to_string(),
            vendor: None,
            source,
        });
        self.vendors
            .push((vendor.map(|v| vec![v.to_string()]).unwrap_or_default(), 0));
    }

    fn finish(mut self) -> CredDb {
        for (e, (names, more)) in self.db.entries.iter_mut().zip(self.vendors) {
            if names.is_empty() {
                continue;
            }
            let mut v = names.join(", ");
            if more > 0 {
                v.push_str(&format!(" (+{more} more)"));
            }
            e.vendor = Some(v);
        }
        self.db
    }
}

/// `<blank>` is how DefaultCreds writes an empty field.
fn unblank(s: &str) -> &str {
    if s == "<blank>" {
        ""
    } else {
        s
    }
}

/// One `vendor,username,password` line: None for a blank line, comment or
/// header; the password is everything after the second comma.
fn parse_vendor_line(line: &str) -> Result<Option<(&str, &str, &str)>, &'static str> {
    let line = line.strip_suffix('\r').unwrap_or(line);
    if line.trim().is_empty() || line.trim_start().starts_with('#') {
        return Ok(None);
    }
    let lower = line.trim().to_ascii_lowercase();
    if lower == "vendor,username,password" || lower == "productvendor,username,password" {
        return Ok(None);
    }
    let mut it = line.splitn(3, ',');
    let (Some(vendor), Some(user), Some(pass)) = (it.next(), it.next(), it.next()) else {
        return Err("expected vendor,username,password");
    };
    if vendor.len() > MAX_FIELD || user.len() > MAX_FIELD || pass.len() > MAX_FIELD {
        return Err("field longer than 256 bytes");
    }
    if line.chars().any(|c| c.is_control()) {
        return Err("control character");
    }
    Ok(Some((vendor, unblank(user), unblank(pass))))
}

impl CredDb {
    /// The compiled-in database (parsed once).
    pub fn builtin() -> &'static CredDb {
        static DB: OnceLock<CredDb> = OnceLock::new();
        DB.get_or_init(|| Self::build_builtin().finish())
    }

    fn build_builtin() -> Builder {
        let mut b = Builder::default();
        for c in SNMP_COMMUNITIES {
            b.add("", c, None, SOURCE_SNMP);
        }
        // username,password,weight,scanner_c_line,source_comment,...
        for line in MIRAI.lines().skip(1) {
            let line = line.strip_suffix('\r').unwrap_or(line);
            let mut f = line.split(',');
            if let (Some(u), Some(p)) = (f.next(), f.next()) {
                b.add(u, p, None, SOURCE_MIRAI);
            }
        }
        for line in DEFAULTCREDS.lines() {
            // checked line by line by a test (`builtin_files_parse_cleanly`)
            if let Ok(Some((v, u, p))) = parse_vendor_line(line) {
                b.add(u, p, Some(v), SOURCE_DEFAULTCREDS);
            }
        }
        for line in SECLISTS.lines() {
            let line = line.strip_suffix('\r').unwrap_or(line);
            if let Some((u, p)) = line.split_once(':') {
                b.add(u, p, None, SOURCE_SECLISTS);
            }
        }
        b
    }

    /// A database from a user file of `vendor,username,password` lines
    /// (`#` comments and blank lines ignored, an optional header line,
    /// `<blank>` for an empty field, the vendor may be empty; the password
    /// is the rest of the line after the second comma). `source` names the
    /// file in entries and errors.
    pub fn from_csv_text(text: &str, source: &'static str) -> Result<CredDb, CredDbError> {
        let mut b = Builder::default();
        for (n, line) in text.lines().enumerate() {
            match parse_vendor_line(line) {
                Ok(Some((v, u, p))) => b.add(u, p, Some(v), source),
                Ok(None) => {}
                Err(reason) => {
                    return Err(CredDbError {
                        source,
                        line: n + 1,
                        reason,
                    })
                }
            }
        }
        Ok(b.finish())
    }

    /// The built-in database extended with `extra` (built-in ids stay; new
    /// pairs get the following ids, pairs already built in keep theirs).
    pub fn builtin_with(extra: CredDb) -> CredDb {
        let mut b = Builder::default();
        for e in Self::builtin().entries.iter().chain(extra.entries.iter()) {
            b.add(&e.username, &e.password, e.vendor.as_deref(), e.source);
        }
        b.finish()
    }

    /// The entry with this id.
    pub fn entry(&self, id: u32) -> Option<&Entry> {
        self.entries.get(id as usize)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// No entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every entry, in id order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The id of the entry `c` uses, if any. A plain secret must match
    /// (user, password) exactly (for SNMP: the community against the
    /// entries without a user name); a Digest response is recomputed for
    /// each password of the user (MD5, MD5-sess, SHA-256, SHA-256-sess;
    /// qop `auth` or none; `auth-int` and other algorithms are not
    /// testable and give None).
    pub fn check(&self, c: &Credential<'_>) -> Option<u32> {
        match c.secret {
            Secret::None => None,
            Secret::Plain(secret) => {
                let user: &[u8] = if c.service == "snmp" { b"" } else { c.username };
                let ui = self.by_user.get(std::str::from_utf8(user).ok()?)?;
                ui.by_pass.get(std::str::from_utf8(secret).ok()?).copied()
            }
            Secret::Digest(d) => {
                let user = std::str::from_utf8(c.username).ok()?;
                let ui = self.by_user.get(user)?;
                let dc = DigestCheck::new(&d)?;
                ui.ids.iter().copied().find(|&id| {
                    self.entry(id)
                        .is_some_and(|e| dc.matches(c.username, e.password.as_bytes()))
                })
            }
        }
    }
}

#[derive(Clone, Copy)]
enum Algo {
    Md5,
    Sha256,
}

impl Algo {
    /// Lower-case hex of the hash of `parts` joined by ':'.
    fn hex(self, parts: &[&[u8]]) -> String {
        fn feed<D: md5::Digest>(mut h: D, parts: &[&[u8]]) -> String {
            for (i, p) in parts.iter().enumerate() {
                if i > 0 {
                    h.update(b":");
                }
                h.update(p);
            }
            to_hex(&h.finalize())
        }
        match self {
            Algo::Md5 => feed(Md5::new(), parts),
            Algo::Sha256 => feed(Sha256::new(), parts),
        }
    }
}

fn to_hex(b: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(b.len() * 2);
    for &x in b {
        s.push(char::from(HEX[usize::from(x >> 4)]));
        s.push(char::from(HEX[usize::from(x & 15)]));
    }
    s
}

/// The parts of an RFC 7616 response computation that do not depend on
/// the candidate password.
struct DigestCheck<'a> {
    d: &'a DigestParams<'a>,
    algo: Algo,
    sess: bool,
    ha2: String,
}

impl<'a> DigestCheck<'a> {
    fn new(d: &'a DigestParams<'a>) -> Option<Self> {
        let a = d.algorithm;
        let (algo, sess) = if a.is_empty() || a.eq_ignore_ascii_case(b"MD5") {
            (Algo::Md5, false)
        } else if a.eq_ignore_ascii_case(b"MD5-sess") {
            (Algo::Md5, true)
        } else if a.eq_ignore_ascii_case(b"SHA-256") {
            (Algo::Sha256, false)
        } else if a.eq_ignore_ascii_case(b"SHA-256-sess") {
            (Algo::Sha256, true)
        } else {
            return None;
        };
        // auth-int hashes the body, which is not at hand.
        if !d.qop.is_empty() && !d.qop.eq_ignore_ascii_case(b"auth") {
            return None;
        }
        let ha2 = algo.hex(&[d.method, d.uri]);
        Some(DigestCheck { d, algo, sess, ha2 })
    }

    fn matches(&self, user: &[u8], pass: &[u8]) -> bool {
        let d = self.d;
        let mut ha1 = self.algo.hex(&[user, d.realm, pass]);
        if self.sess {
            ha1 = self.algo.hex(&[ha1.as_bytes(), d.nonce, d.cnonce]);
        }
        let resp = if d.qop.is_empty() {
            self.algo
                .hex(&[ha1.as_bytes(), d.nonce, self.ha2.as_bytes()])
        } else {
            self.algo.hex(&[
                ha1.as_bytes(),
                d.nonce,
                d.nc,
                d.cnonce,
                d.qop,
                self.ha2.as_bytes(),
            ])
        };
        d.response.eq_ignore_ascii_case(resp.as_bytes())
    }
}

/// A salted 64-bit value of (service, user, secret): equal for the same
/// credential wherever it is used, so "one password on many devices" shows
/// without keeping it; MD5 over salt ‖ service ‖ 0 ‖ user ‖ 0 ‖ secret,
/// first 8 bytes big-endian. With a per-run secret salt it cannot be
/// tested against guesses by whoever only sees the value.
pub fn fingerprint(salt: &[u8], service: &str, username: &[u8], secret: &[u8]) -> u64 {
    let mut h = Md5::new();
    h.update(salt);
    h.update(service.as_bytes());
    h.update([0u8]);
    h.update(username);
    h.update([0u8]);
    h.update(secret);
    let out = h.finalize();
    let mut b = [0u8; 8];
    for (d, s) in b.iter_mut().zip(out.iter()) {
        *d = *s;
    }
    u64::from_be_bytes(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_proto::LoginOutcome;

    fn plain<'a>(service: &'static str, user: &'a [u8], pass: &'a [u8]) -> Credential<'a> {
        Credential {
            service,
            username: user,
            secret: Secret::Plain(pass),
            outcome: LoginOutcome::Unknown,
        }
    }

    #[test]
    fn builtin_files_parse_cleanly() {
        for (n, line) in DEFAULTCREDS.lines().enumerate() {
            assert!(parse_vendor_line(line).is_ok(), "line {}", n + 1);
        }
        assert_eq!(MIRAI.lines().count(), 63);
        assert!(MIRAI.lines().skip(1).all(|l| l.split(',').count() == 6));
        assert!(SECLISTS.lines().all(|l| l.contains(':')));
        let db = CredDb::builtin();
        // 15 + 62 + 3766 + 138 lines, 2,426 distinct pairs (counted
        // independently of this code)
        assert_eq!(db.len(), 2426);
        for (i, e) in db.entries().iter().enumerate() {
            assert_eq!(e.id as usize, i);
        }
    }

    #[test]
    fn mirai_pairs_found() {
        let db = CredDb::builtin();
        let id = db.check(&plain("telnet", b"root", b"xc3511")).unwrap();
        let e = db.entry(id).unwrap();
        assert_eq!((e.username.as_str(), e.source), ("root", SOURCE_MIRAI));
        // the ids come after the SNMP list, in file order
        assert_eq!(id as usize, SNMP_COMMUNITIES.len());
        // the decoded pairs, not the wrong comments
        assert!(db
            .check(&plain("telnet", b"Administrator", b"meinsm"))
            .is_some());
        assert!(db.check(&plain("telnet", b"admin", b"4321")).is_some());
        // Mirai's empty password
        let id = db.check(&plain("telnet", b"root", b"")).unwrap();
        assert_eq!(db.entry(id).unwrap().source, SOURCE_MIRAI);
    }

    #[test]
    fn defaultcreds_blank_and_vendors() {
        let db = CredDb::builtin();
        // 3COM,Administrator,<blank>
        let id = db.check(&plain("http", b"Administrator", b"")).unwrap();
        assert_eq!(db.entry(id).unwrap().password, "");
        // 3COM,<blank>,comcomcom: an empty user name
        let id = db.check(&plain("http", b"", b"comcomcom")).unwrap();
        let e = db.entry(id).unwrap();
        assert_eq!(e.source, SOURCE_DEFAULTCREDS);
        assert_eq!(e.vendor.as_deref(), Some("3COM"));
        // admin/admin: Mirai first, vendors merged and capped
        let e = db
            .entry(db.check(&plain("http", b"admin", b"admin")).unwrap())
            .unwrap();
        assert_eq!(e.source, SOURCE_MIRAI);
        let v = e.vendor.as_deref().unwrap();
        assert!(v.starts_with("3COM, ") && v.ends_with(" more)"), "{v}");
        // the literal string is not a password
        assert_eq!(db.check(&plain("http", b"admin", b"<blank>")), None);
        // SecLists (a pair only it has)
        let e = db
            .entry(db.check(&plain("telnet", b"root", b"zlxx")).unwrap())
            .unwrap();
        assert_eq!(e.source, SOURCE_SECLISTS);
    }

    #[test]
    fn unknown_pairs_not_found() {
        let db = CredDb::builtin();
        assert_eq!(db.check(&plain("telnet", b"root", b"xc3512")), None);
        assert_eq!(db.check(&plain("telnet", b"nobody-xyz", b"admin")), None);
        assert_eq!(db.check(&plain("telnet", b"ROOT", b"xc3511")), None);
        assert_eq!(db.check(&plain("telnet", b"root\xff", b"xc3511")), None);
        let none = Credential {
            service: "telnet",
            username: b"root",
            secret: Secret::None,
            outcome: LoginOutcome::Unknown,
        };
        assert_eq!(db.check(&none), None);
    }

    #[test]
    fn snmp_communities() {
        let db = CredDb::builtin();
        let id = db.check(&plain("snmp", b"", b"public")).unwrap();
        let e = db.entry(id).unwrap();
        assert_eq!((e.source, e.username.as_str()), (SOURCE_SNMP, ""));
        assert_eq!(id, 0);
        assert!(db.check(&plain("snmp", b"", b"cable-docsis")).is_some());
        // an empty-user DefaultCreds entry counts as a community too
        assert!(db.check(&plain("snmp", b"", b"comcomcom")).is_some());
        assert_eq!(db.check(&plain("snmp", b"", b"s3cr3t-community")), None);
        // communities are case-sensitive
        assert_eq!(db.check(&plain("snmp", b"", b"PuBlIc")), None);
    }

    fn rfc2617<'a>(response: &'a [u8]) -> DigestParams<'a> {
        DigestParams {
            method: b"GET",
            realm: b"testrealm@host.com",
            nonce: b"dcd98b7102dd2f0e8b11d0f600bfb0c093",
            uri: b"/dir/index.html",
            qop: b"auth",
            nc: b"00000001",
            cnonce: b"0a4f113b",
            algorithm: b"",
            response,
        }
    }

    fn digest<'a>(user: &'a [u8], d: DigestParams<'a>) -> Credential<'a> {
        Credential {
            service: "http",
            username: user,
            secret: Secret::Digest(d),
            outcome: LoginOutcome::Unknown,
        }
    }

    #[test]
    fn digest_rfc2617_example() {
        let db = CredDb::from_csv_text(
            "# test\nvendor,username,password\nAcme,Mufasa,admin\nLion King,Mufasa,Circle Of Life\n",
            "test.csv",
        )
        .unwrap();
        assert_eq!(db.len(), 2);
        let r = b"6629fae49393a05397450978507c4ef1";
        assert_eq!(db.check(&digest(b"Mufasa", rfc2617(r))), Some(1));
        // hex case does not matter
        let upper = b"6629FAE49393A05397450978507C4EF1";
        assert_eq!(db.check(&digest(b"Mufasa", rfc2617(upper))), Some(1));
        // other user, other response: nothing
        assert_eq!(db.check(&digest(b"Simba", rfc2617(r))), None);
        let bad = b"6629fae49393a05397450978507c4ef2";
        assert_eq!(db.check(&digest(b"Mufasa", rfc2617(bad))), None);
        // a wrong password
        let wrong = CredDb::from_csv_text("x,Mufasa,Circle of Life\n", "t").unwrap();
        assert_eq!(wrong.check(&digest(b"Mufasa", rfc2617(r))), None);
        // auth-int cannot be tested
        let mut d = rfc2617(r);
        d.qop = b"auth-int";
        assert_eq!(db.check(&digest(b"Mufasa", d)), None);
    }

    #[test]
    fn digest_sess_sha256_and_no_qop() {
        let db = CredDb::from_csv_text("x,Mufasa,Circle Of Life\n", "t").unwrap();
        let base = rfc2617(b"");
        // responses computed here from the RFC 7616 formulas
        for (algo, a) in [
            (&b"MD5-sess"[..], Algo::Md5),
            (b"SHA-256", Algo::Sha256),
            (b"SHA-256-sess", Algo::Sha256),
        ] {
            let sess = algo.ends_with(b"-sess");
            let mut ha1 = a.hex(&[b"Mufasa", base.realm, b"Circle Of Life"]);
            if sess {
                ha1 = a.hex(&[ha1.as_bytes(), base.nonce, base.cnonce]);
            }
            let ha2 = a.hex(&[base.method, base.uri]);
            let resp = a.hex(&[
                ha1.as_bytes(),
                base.nonce,
                base.nc,
                base.cnonce,
                base.qop,
                ha2.as_bytes(),
            ]);
            let mut d = rfc2617(resp.as_bytes());
            d.algorithm = algo;
            assert_eq!(db.check(&digest(b"Mufasa", d)), Some(0));
            d.algorithm = b"MD5";
            assert_eq!(db.check(&digest(b"Mufasa", d)), None);
        }
        // RFC 2069 style, no qop: H(HA1:nonce:HA2)
        let a = Algo::Md5;
        let ha1 = a.hex(&[b"Mufasa", base.realm, b"Circle Of Life"]);
        let ha2 = a.hex(&[base.method, base.uri]);
        let resp = a.hex(&[ha1.as_bytes(), base.nonce, ha2.as_bytes()]);
        let mut d = rfc2617(resp.as_bytes());
        d.qop = b"";
        assert_eq!(db.check(&digest(b"Mufasa", d)), Some(0));
        // SHA-256 matches RFC 7616 §3.9.1's example
        let d = DigestParams {
            method: b"GET",
            realm: b"http-auth@example.org",
            nonce: b"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
            uri: b"/dir/index.html",
            qop: b"auth",
            nc: b"00000001",
            cnonce: b"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
            algorithm: b"SHA-256",
            response: b"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
        };
        let db = CredDb::from_csv_text(",Mufasa,Circle of Life\n", "t").unwrap();
        assert_eq!(db.check(&digest(b"Mufasa", d)), Some(0));
    }

    #[test]
    fn user_file_errors_name_the_line() {
        let e = CredDb::from_csv_text("# c\nacme,root,pw\n\nacme-root\n", "mine.csv").unwrap_err();
        assert_eq!((e.line(), e.source_name()), (4, "mine.csv"));
        assert_eq!(
            e.to_string(),
            "mine.csv line 4: expected vendor,username,password"
        );
        let e = CredDb::from_csv_text("a,b,c\na,b\tx,c\n", "f").unwrap_err();
        assert_eq!((e.line(), e.reason()), (2, "control character"));
        let long = format!("a,b,{}\n", "x".repeat(300));
        assert_eq!(CredDb::from_csv_text(&long, "f").unwrap_err().line(), 1);
        // a comma in the password, CRLF, <blank>
        let db = CredDb::from_csv_text("v,u,p,w\r\n,<blank>,<blank>\r\n", "f").unwrap();
        assert!(db.check(&plain("ftp", b"u", b"p,w")).is_some());
        assert_eq!(db.entry(1).unwrap().vendor, None);
        assert!(db.check(&plain("ftp", b"", b"")).is_some());
    }

    #[test]
    fn builtin_extended_by_user_file() {
        let extra =
            CredDb::from_csv_text("Acme,acme,acme123\nOther,root,xc3511\n", "site.csv").unwrap();
        let n = CredDb::builtin().len();
        let db = CredDb::builtin_with(extra);
        assert_eq!(db.len(), n + 1);
        let id = db.check(&plain("telnet", b"acme", b"acme123")).unwrap();
        assert_eq!(id as usize, n);
        assert_eq!(db.entry(id).unwrap().source, "site.csv");
        // built-in ids stay
        let builtin_id = CredDb::builtin().check(&plain("telnet", b"root", b"xc3511"));
        assert_eq!(db.check(&plain("telnet", b"root", b"xc3511")), builtin_id);
        let e = db.entry(builtin_id.unwrap()).unwrap();
        assert_eq!(
            e.vendor.as_deref(),
            Some("IP camera Hi3515 (telnet), telnet (telnet), Other")
        );
    }

    #[test]
    fn fingerprint_is_salted_and_separated() {
        let f = fingerprint(b"salt", "telnet", b"root", b"xc3511");
        assert_eq!(f, fingerprint(b"salt", "telnet", b"root", b"xc3511"));
        assert_ne!(f, fingerprint(b"salt2", "telnet", b"root", b"xc3511"));
        assert_ne!(f, fingerprint(b"salt", "ftp", b"root", b"xc3511"));
        // the separators keep (ro, otx) and (roo, tx) apart
        assert_ne!(
            fingerprint(b"", "s", b"ro", b"otx"),
            fingerprint(b"", "s", b"roo", b"tx")
        );
        // md5("") = d41d8cd98f00b204...; with an empty everything: md5("\0\0")
        let mut h = Md5::new();
        h.update(b"\0\0");
        let d = h.finalize();
        let want = u64::from_be_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]]);
        assert_eq!(fingerprint(b"", "", b"", b""), want);
    }
}
