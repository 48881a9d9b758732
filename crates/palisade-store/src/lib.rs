//! palisade's embedded store: SQLite (the bundled library, so nothing is
//! installed), one file, WAL journal.
//!
//! The store is a sink beside EVE JSON (DESIGN.md: every sink receives the
//! same events): alerts, the incidents they belong to and posture findings
//! of every run are kept, and a later run into the same file merges into
//! what is there (the same finding on the same device updates its row; the
//! inventory issue adds devices the same way). No secret is ever stored:
//! the events themselves carry none (a password taken from traffic becomes
//! the id of the default-credential entry it matched, or nothing).
//!
//! Writes happen on one writer thread ([`writer::StoreWriter`]), in
//! transactions of up to a few hundred events, never on the packet path.
//!
//! Layout: [`schema`] (migrations), [`write`] (how an event becomes rows),
//! [`writer`] (the thread), [`query`] (reads for reports and tests).
#![forbid(unsafe_code)]

pub mod query;
pub mod schema;
pub mod write;
pub mod writer;

use rusqlite::Connection;
use std::path::{Path, PathBuf};

pub use write::{finding_key, DeviceRow, RunInfo, RunTotals, ServiceRow};
pub use writer::{StoreOp, StoreWriter, WriterStats};

/// What can go wrong with the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite said no (disk full, locked, corrupt, ...).
    #[error("store {path}: {source}")]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },
    /// The file was written by a newer palisade.
    #[error(
        "store {path}: schema version {found} is newer than this palisade knows ({known}); \
         use a newer palisade or another --db file"
    )]
    TooNew {
        /// The database file.
        path: PathBuf,
        /// Its `user_version`.
        found: i64,
        /// Migrations this build knows.
        known: usize,
    },
    /// The writer thread is gone (it panicked).
    #[error("store writer thread stopped unexpectedly")]
    WriterGone,
}

/// Result of store operations.
pub type Result<T> = std::result::Result<T, StoreError>;

/// An open store.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the store at `path`, in WAL mode, and
    /// brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store> {
        let conn = Connection::open(path).map_err(|e| err(path, e))?;
        Self::setup(conn, path)
    }

    /// A store in memory (tests, dry runs).
    pub fn in_memory() -> Result<Store> {
        let path = Path::new(":memory:");
        let conn = Connection::open_in_memory().map_err(|e| err(path, e))?;
        Self::setup(conn, path)
    }

    fn setup(conn: Connection, path: &Path) -> Result<Store> {
        let e = |e| err(path, e);
        // WAL: readers (a report, a dashboard) never block the writer.
        // NORMAL sync is durable across application crashes in WAL mode;
        // only a power loss may lose the last transactions.
        conn.pragma_update(None, "journal_mode", "WAL").map_err(e)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(e)?;
        conn.pragma_update(None, "foreign_keys", "ON").map_err(e)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(e)?;
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
        };
        store.migrate()?;
        Ok(store)
    }

    /// Applies the migrations the file has not had.
    fn migrate(&mut self) -> Result<()> {
        let path = self.path.clone();
        let e = |x| err(&path, x);
        let version: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(e)?;
        if version < 0 || version as usize > schema::MIGRATIONS.len() {
            return Err(StoreError::TooNew {
                path,
                found: version,
                known: schema::MIGRATIONS.len(),
            });
        }
        for (i, sql) in schema::MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = self.conn.transaction().map_err(e)?;
            tx.execute_batch(sql).map_err(e)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)
                .map_err(e)?;
            tx.commit().map_err(e)?;
        }
        Ok(())
    }

    /// The schema version (migrations applied).
    pub fn schema_version(&self) -> Result<i64> {
        self.conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|e| err(&self.path, e))
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The connection, for queries.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    pub(crate) fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }
}

pub(crate) fn err(path: &Path, source: rusqlite::Error) -> StoreError {
    StoreError::Sqlite {
        path: path.to_path_buf(),
        source,
    }
}
