//! The credentials tried per service, from the default-credential database
//! of the passive detector (`palisade_detectors::creds::CredDb`), so that
//! an audit finding and a passive finding name the same entry id.
//!
//! Order matters because attempts per device are capped: entries follow
//! the database's id order, which puts the pairs IoT botnets try first
//! (Mirai's list, most frequent first) before the vendor cheat sheets; with
//! a vendor hint, entries of that vendor move to the front. SNMP tries the
//! community entries (those without a user name).

use crate::Service;
use palisade_detectors::creds::CredDb;

/// One credential to try.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// The database entry id.
    pub entry_id: u32,
    /// User name (empty for SNMP).
    pub username: String,
    /// Password or community; kept in memory only, never reported.
    pub secret: String,
    /// Vendors that ship it, when known.
    pub vendor: Option<String>,
}

/// The candidate lists.
#[derive(Clone, Debug, Default)]
pub struct Candidates {
    login: Vec<Candidate>,
    communities: Vec<Candidate>,
}

/// Longest user name or password tried (protocol encoders stay simple).
const MAX_LEN: usize = 128;

impl Candidates {
    /// From a database; `vendor_hint` (case-insensitive substring of the
    /// entry's vendor) moves that vendor's entries first.
    pub fn from_db(db: &CredDb, vendor_hint: Option<&str>) -> Candidates {
        let mut login = Vec::new();
        let mut communities = Vec::new();
        for e in db.entries() {
            if e.username.len() > MAX_LEN
                || e.password.len() > MAX_LEN
                || e.username
                    .chars()
                    .chain(e.password.chars())
                    .any(char::is_control)
            {
                continue;
            }
            let c = Candidate {
                entry_id: e.id,
                username: e.username.clone(),
                secret: e.password.clone(),
                vendor: e.vendor.clone(),
            };
            if e.username.is_empty() {
                if !e.password.is_empty() {
                    communities.push(c);
                }
            } else {
                login.push(c);
            }
        }
        if let Some(h) = vendor_hint
            .map(str::to_ascii_lowercase)
            .filter(|h| !h.is_empty())
        {
            let hit = |c: &Candidate| {
                c.vendor
                    .as_deref()
                    .is_some_and(|v| v.to_ascii_lowercase().contains(&h))
            };
            // stable: the vendor's entries first, each group in id order
            login.sort_by_key(|c| !hit(c));
        }
        Candidates { login, communities }
    }

    /// The list for a service, at most `max` long.
    pub fn for_service(&self, s: Service, max: usize) -> &[Candidate] {
        let list = if s == Service::Snmp {
            &self.communities
        } else {
            &self.login
        };
        &list[..list.len().min(max)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mirai_first_communities_for_snmp() {
        let c = Candidates::from_db(CredDb::builtin(), None);
        let ssh = c.for_service(Service::Ssh, 10);
        assert_eq!(ssh.len(), 10);
        assert_eq!(
            (ssh[0].username.as_str(), ssh[0].secret.as_str()),
            ("root", "xc3511")
        );
        assert!(ssh
            .iter()
            .any(|x| x.username == "admin" && x.secret == "admin"));
        let snmp = c.for_service(Service::Snmp, 3);
        assert_eq!(snmp[0].secret, "public");
        assert!(snmp.iter().all(|x| x.username.is_empty()));
        let db = CredDb::builtin();
        let e = db.entry(ssh[0].entry_id).unwrap();
        assert_eq!(e.password, "xc3511");
        let hinted = Candidates::from_db(db, Some("hikvision"));
        let first = &hinted.for_service(Service::Http, 1)[0];
        assert!(first
            .vendor
            .as_deref()
            .unwrap_or("")
            .to_lowercase()
            .contains("hikvision"));
    }
}
