//! Stage 5: the decision database. Letters indexed once into an embedded SQLite file, then
//! searched ([`Search`]), counted ([`StatsRow`]) and read back as [`Letter`](crate::Letter)s for
//! training.
//!
//! - One row per letter and per item with every parsed field, the item's treatment kind and the
//!   guidelines its reviewer cites; with a model, each item's scores and themes.
//! - Safe: letters are written in batches, one transaction each, in WAL mode, so a process
//!   killed at any moment leaves the database as it was before the batch in flight.
//! - Versioned: `user_version` counts the [`schema::MIGRATIONS`] run; an older database is
//!   migrated when opened for writing, and a newer one is refused.
//!
//! Every value of a query reaches SQLite as a bound parameter.

mod guideline;
mod query;
mod read;
pub mod schema;
mod stats;
mod text;
mod write;

pub use guideline::guidelines_cited;
pub use query::{DateRange, Filters, FtsQuery, Hit, Matches, Search, Sort};
pub use stats::{StatsJson, StatsKey, StatsRow};
pub use text::LetterText;
pub use write::{FileInfo, IndexedLetter, ItemScores, ModelInfo, Naming, WriteReport};

use crate::error::{Error, Result};
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};

/// The database file `imr index`, `search` and `stats` use when none is named.
pub const DEFAULT_PATH: &str = "imr.db";

/// An open decision database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// The schema version the file had when opened.
    opened_at: i64,
    /// The file opened (device and inode), to tell whether `path` names another file since.
    file: Option<(u64, u64)>,
    /// The last search's words and filters (with the database's state then), and the matches
    /// they kept: a search and its count compute them once.
    last_kept: std::cell::RefCell<Option<(SearchKey, std::sync::Arc<text::Found>)>>,
}

/// A search's filters, `PRAGMA data_version` and the connection's total changes.
type SearchKey = (String, i64, u64);

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Opens the database at `path` for writing, creating it when absent and migrating an older
    /// one to [`schema::SCHEMA_VERSION`].
    pub fn open(path: &Path) -> Result<Store> {
        Store::open_reporting(path, &mut |_, _| {})
    }

    /// [`Store::open`], telling `progress` (items done, of how many) while it makes the
    /// full-text index again, which takes a while in a large database (a minute a million items).
    pub fn open_reporting(path: &Path, progress: &mut dyn FnMut(usize, usize)) -> Result<Store> {
        refuse_non_files(path)?;
        // As every output of imr, a database may go in a folder that does not exist yet.
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| Error::Database {
                path: path.into(),
                cause: format!("cannot make its folder {}: {e}", parent.display()),
            })?;
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut store = Store::connect(path, flags)?;
        // SQLite opens a file it may not write read-only, without a word; said before anything
        // is read, which would leave `-wal` and `-shm` files beside it.
        if store.conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(false) {
            return Err(Error::Database {
                path: path.into(),
                cause: "the file cannot be written (its permissions, or a read-only file \
                        system); `imr search` and `imr stats` read it as it is"
                    .into(),
            });
        }
        // Checked before any setting is written: another program's file is left as it is.
        let version = store.check_identity()?;
        // WAL: readers are not blocked by an index run, and a killed writer's transaction is
        // rolled back. NORMAL sync loses nothing to a killed process (only to a power cut).
        if version == 0 {
            // A new file. Items and letters are a few KB each: on larger pages fewer of them
            // spill onto overflow pages, and a batch dirties fewer pages. Set before WAL, which
            // fixes the page size.
            store.pragma("page_size", PAGE_SIZE)?;
        }
        store.wal()?;
        store.pragma("synchronous", "NORMAL")?;
        // A writer touches index pages all over the file: a larger cache keeps them, and rarer
        // checkpoints write each page fewer times (the WAL grows to 16384 pages before one: 256
        // MB on a new file's pages, 64 MB on older files').
        store.pragma("cache_size", "-262144")?;
        store.pragma("wal_autocheckpoint", "16384")?;
        store.opened_at = version;
        store.migrate(version)?;
        store.text_analyzer_current(progress)?;
        Ok(store)
    }

    /// The version of the analyzer that made the full-text index.
    fn text_analyzer(&self) -> Result<i64> {
        self.conn
            .query_row("SELECT analyzer FROM text_settings", [], |r| r.get(0))
            .map_err(self.err())
    }

    /// Makes the full-text index again, from the stored texts, where another analyzer made it
    /// (or none): in one transaction, so a run stopped meanwhile leaves it to the next.
    fn text_analyzer_current(&mut self, progress: &mut dyn FnMut(usize, usize)) -> Result<()> {
        if self.text_analyzer()? == text::ANALYZER_VERSION {
            return Ok(());
        }
        let path = self.path.clone();
        let err = |e: rusqlite::Error| Error::Database {
            path: path.clone(),
            cause: format!("making the full-text index again: {e}"),
        };
        let tx = self.write_transaction().map_err(err)?;
        let now: i64 = tx
            .query_row("SELECT analyzer FROM text_settings", [], |r| r.get(0))
            .map_err(err)?;
        if now != text::ANALYZER_VERSION {
            text::rebuild(&tx, progress).map_err(err)?;
            tx.execute(
                "UPDATE text_settings SET analyzer = ?1",
                [text::ANALYZER_VERSION],
            )
            .map_err(err)?;
        }
        tx.commit().map_err(err)
    }

    /// Opens an existing database for reading only (search, stats, the web page).
    pub fn open_read_only(path: &Path) -> Result<Store> {
        refuse_non_files(path)?;
        if !path.exists() {
            return Err(Error::NoDatabase { path: path.into() });
        }
        let store = match Store::connect_query_only(path)? {
            Some(store) => store,
            None => {
                let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
                let store = Store::connect(path, flags)?;
                match store.readable()? {
                    true => store,
                    false => Store::connect_immutable(path)?.unwrap_or(store),
                }
            }
        };
        let version = store.check_identity()?;
        if version == 0 {
            return Err(Error::NotADatabase {
                path: path.into(),
                reason: "an empty file; `imr index LETTERS --db FILE` makes one".into(),
            });
        }
        if version < schema::SCHEMA_VERSION {
            return Err(Error::DatabaseOlder {
                path: path.into(),
                found: version,
                supported: schema::SCHEMA_VERSION,
            });
        }
        let analyzer = store.text_analyzer()?;
        if analyzer != text::ANALYZER_VERSION {
            return Err(Error::TextIndexOlder {
                path: path.into(),
                found: analyzer,
                supported: text::ANALYZER_VERSION,
            });
        }
        Ok(store)
    }

    /// A connection that may write but is kept from it (`query_only`), where the file and its
    /// folder may be written: as the last to close it removes the WAL's `-wal` and `-shm` files,
    /// which a read-only connection makes and must leave behind. None where it cannot read.
    fn connect_query_only(path: &Path) -> Result<Option<Store>> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let Ok(store) = Store::connect(path, flags) else {
            return Ok(None);
        };
        if store.pragma("query_only", "ON").is_err() {
            return Ok(None);
        }
        Ok(store.readable()?.then_some(store))
    }

    fn connect(path: &Path, flags: OpenFlags) -> Result<Store> {
        let name = match flags.contains(OpenFlags::SQLITE_OPEN_URI) {
            true => path.to_path_buf(),
            false => sqlite_name(path),
        };
        // Before it is opened: a file put in its place meanwhile is then one more reopening,
        // never a replacement missed.
        let file = file_id(path);
        let conn = Connection::open_with_flags(&name, flags).map_err(|e| Error::Database {
            path: path.into(),
            cause: match e.sqlite_error_code() {
                Some(rusqlite::ErrorCode::CannotOpen) => "cannot open or make the file (can its \
                                                          folder be written and read?)"
                    .into(),
                _ => e.to_string(),
            },
        })?;
        let store = Store {
            conn,
            path: path.into(),
            opened_at: 0,
            file,
            last_kept: Default::default(),
        };
        store.conn.busy_timeout(busy_wait()).map_err(store.err())?;
        store.pragma("foreign_keys", "ON")?;
        query::register_functions(&store.conn).map_err(store.err())?;
        rusqlite::vtab::array::load_module(&store.conn).map_err(store.err())?;
        Ok(store)
    }

    /// Whether a first read works. A WAL database needs its `-shm` file beside it, which a
    /// reader makes when absent: in a directory it cannot write (a read-only share, a disc) the
    /// first read fails.
    ///
    /// A database another program holds alone (one being made, or locked for itself) is an error
    /// once waited for, said as a reader's: nothing of this run is lost.
    fn readable(&self) -> Result<bool> {
        let r = self
            .conn
            .query_row("SELECT count(*) FROM sqlite_schema", [], |r| {
                r.get::<_, i64>(0)
            });
        use rusqlite::ErrorCode as C;
        match r.map_err(|e| e.sqlite_error_code()) {
            Err(Some(C::CannotOpen | C::ReadOnly)) => Ok(false),
            Err(Some(C::DatabaseBusy | C::DatabaseLocked)) => Err(Error::Database {
                path: self.path.clone(),
                cause: format!(
                    "another program holds it alone (an imr index making it, or a program that \
                     locked it for itself), and it was waited for {} s; try again when it is done",
                    busy_wait().as_secs()
                ),
            }),
            _ => Ok(true),
        }
    }

    /// `path` opened as a file nothing changes (SQLite's `immutable`), which needs no `-shm`
    /// file: right where no write-ahead log is left to apply (an index run that ended closes
    /// the database and removes its log). None where a log is left, or the path cannot be
    /// written as a URI.
    fn connect_immutable(path: &Path) -> Result<Option<Store>> {
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        if std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0) {
            return Ok(None);
        }
        let name = sqlite_name(path);
        let Some(text) = name.to_str() else {
            return Ok(None);
        };
        // A URI's own characters escaped; the rest is the path as it is.
        let escaped = text
            .replace('%', "%25")
            .replace('?', "%3f")
            .replace('#', "%23");
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI;
        let uri = format!("file:{escaped}?immutable=1");
        let file = file_id(path);
        let mut store = Store::connect(Path::new(&uri), flags)?;
        store.path = path.into();
        store.file = file;
        Ok(Some(store))
    }

    /// Whether opening it ran migrations (a new file, or one of an older imr).
    pub fn migrated(&self) -> bool {
        self.opened_at < schema::SCHEMA_VERSION
    }

    /// Whether its path now names another file than the one opened, or none: the database was
    /// deleted and made again, or another file moved onto its name, while this connection held
    /// the old one. Never off Unix, where a file open in SQLite cannot be deleted or replaced.
    pub fn is_replaced(&self) -> bool {
        self.file.is_some() && file_id(&self.path) != self.file
    }

    /// The file this database is in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<i64> {
        self.conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(self.err())
    }

    /// Letters and items held.
    pub fn counts(&self) -> Result<(usize, usize)> {
        let n = |table: &str| -> Result<usize> {
            self.conn
                .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| {
                    r.get::<_, i64>(0)
                })
                .map(|n| n as usize)
                .map_err(self.err())
        };
        Ok((n("letters")?, n("items")?))
    }

    /// SQLite's own consistency check: `Ok(())` when it answers "ok", the problems otherwise.
    pub fn integrity_check(&self) -> Result<()> {
        let rows = self.strings("PRAGMA integrity_check")?;
        if rows == ["ok"] {
            Ok(())
        } else {
            Err(Error::Database {
                path: self.path.clone(),
                cause: format!("integrity check failed: {}", rows.join("; ")),
            })
        }
    }

    /// The first column of every row of `sql` (which takes no value), as text.
    fn strings(&self, sql: &str) -> Result<Vec<String>> {
        let mut st = self.conn.prepare(sql).map_err(self.err())?;
        let rows = st.query_map([], |r| r.get(0)).map_err(self.err())?;
        rows.collect::<rusqlite::Result<_>>().map_err(self.err())
    }

    /// Maps SQLite's errors to the library's, naming the file.
    fn err(&self) -> impl Fn(rusqlite::Error) -> Error + '_ {
        |e| db_error(&self.path, e)
    }

    fn pragma(&self, name: &str, value: &str) -> Result<()> {
        self.conn
            .pragma_update(None, name, value)
            .map_err(|e| self.open_error(e))
    }

    /// Turns the file to WAL. That needs the file alone for a moment, and SQLite refuses at once
    /// (no busy wait) while another run has it open: tried again for as long as a lock is
    /// waited for.
    fn wal(&self) -> Result<()> {
        let started = std::time::Instant::now();
        loop {
            match self.conn.pragma_update(None, "journal_mode", "WAL") {
                Err(e)
                    if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy)
                        && started.elapsed() < busy_wait() =>
                {
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
                r => return r.map_err(|e| self.open_error(e)),
            }
        }
    }

    /// The first statement on a file that is not SQLite fails: say so in plain words.
    fn open_error(&self, e: rusqlite::Error) -> Error {
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::NotADatabase) => Error::NotADatabase {
                path: self.path.clone(),
                reason: "not a SQLite file".into(),
            },
            _ => self.err()(e),
        }
    }

    /// The schema version of an imr database, 0 for a new empty file; other files are refused.
    fn check_identity(&self) -> Result<i64> {
        // One statement, so one snapshot: a run creating the file at the same time is seen
        // before or after its first migration, never half way (tables without the application
        // id). An explicit read transaction would be refused, not waited for, while the other
        // run turns the file to WAL.
        let (app, version, tables): (i64, i64, i64) = self
            .conn
            .query_row(
                "SELECT (SELECT application_id FROM pragma_application_id), \
                 (SELECT user_version FROM pragma_user_version), \
                 (SELECT count(*) FROM sqlite_schema)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .map_err(|e| self.open_error(e))?;
        if app != i64::from(schema::APPLICATION_ID) && (app != 0 || tables > 0) {
            return Err(Error::NotADatabase {
                path: self.path.clone(),
                reason: if app == 0 {
                    "a SQLite database of another program".into()
                } else {
                    format!("SQLite application_id {app:#x}")
                },
            });
        }
        if version == 0 && tables > 0 {
            // imr's mark, and tables, but no schema version: not what any imr writes (each
            // migration sets the version with its tables), so nothing is migrated over them.
            return Err(Error::NotADatabase {
                path: self.path.clone(),
                reason: "it has imr's tables but schema version 0, which no imr writes; \
                         index into a new file"
                    .into(),
            });
        }
        if version < 0 {
            return Err(Error::NotADatabase {
                path: self.path.clone(),
                reason: format!("schema version {version}, which no imr writes"),
            });
        }
        if version > schema::SCHEMA_VERSION {
            return Err(Error::DatabaseVersion {
                path: self.path.clone(),
                found: version,
                supported: schema::SCHEMA_VERSION,
            });
        }
        Ok(version)
    }

    /// Runs the migrations after `from`, each in its own transaction.
    fn migrate(&mut self, from: i64) -> Result<()> {
        self.migrate_to(from, schema::SCHEMA_VERSION)
    }

    fn migrate_to(&mut self, from: i64, to: i64) -> Result<()> {
        for v in from..to {
            let path = self.path.clone();
            // Said as any database error is, with the migration it failed in.
            let err = |e: rusqlite::Error| match db_error(&path, e) {
                Error::Database { path, cause } => Error::Database {
                    path,
                    cause: format!("migrating to schema version {}: {cause}", v + 1),
                },
                other => other,
            };
            // Under the write lock, the version is read again: another run that opened the file
            // at the same time may have migrated it meanwhile.
            let tx = self.write_transaction().map_err(err)?;
            let now: i64 = tx
                .query_row("PRAGMA user_version", [], |r| r.get(0))
                .map_err(err)?;
            if now > v {
                continue;
            }
            tx.execute_batch(schema::MIGRATIONS[v as usize])
                .map_err(err)?;
            tx.pragma_update(None, "application_id", schema::APPLICATION_ID)
                .map_err(err)?;
            tx.pragma_update(None, "user_version", v + 1).map_err(err)?;
            tx.commit().map_err(err)?;
        }
        Ok(())
    }

    /// A database at an older schema version, for the migration tests.
    #[doc(hidden)]
    pub fn create_at_version(path: &Path, version: i64) -> Result<Store> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE;
        let mut store = Store::connect(path, flags)?;
        store.pragma("journal_mode", "WAL")?;
        let from = store.check_identity()?;
        store.migrate_to(from, version.min(schema::SCHEMA_VERSION))?;
        Ok(store)
    }
}

/// The device and inode of the file at `path` (None where it cannot be read, or off Unix).
fn file_id(path: &Path) -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// The page size of a new database file (SQLite's default is 4096). Older files keep theirs.
const PAGE_SIZE: &str = "16384";

/// The name SQLite is given for `path`: a file, always. SQLite reads a name that begins `file:` as
/// a URI (its build here accepts them) and `:memory:` as a database in memory, where an index run
/// would keep nothing and say it had indexed; `./` before a relative path makes it neither.
fn sqlite_name(path: &Path) -> PathBuf {
    match path.is_relative() {
        true => Path::new(".").join(path),
        false => path.to_path_buf(),
    }
}

/// A directory given as the database is said so (SQLite would call it a disk I/O error), as is a
/// name ending in `/` (which names one, where SQLite would make a file without the `/`); a path
/// the system cannot follow (a loop of links, a file where a folder should be) in its words, not
/// as a database that is not there.
fn refuse_non_files(path: &Path) -> Result<()> {
    if path.as_os_str() == "-" {
        return Err(Error::Dash {
            wanted: "a database file",
        });
    }
    if path.as_os_str().as_encoded_bytes().ends_with(b"/") {
        return Err(Error::NotAFile {
            path: path.into(),
            kind: "a folder's name (it ends with `/`)",
            wanted: "a database file",
        });
    }
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io(path, e)),
    };
    // A device (/dev/null) or a FIFO would reach SQLite, whose words for it are "disk I/O error".
    let kind = match meta.is_dir() {
        true => Some("a directory"),
        false => crate::parse::walk::special_kind(&meta),
    };
    match kind {
        Some(kind) => Err(Error::NotADatabase {
            path: path.into(),
            reason: format!("{kind}; --db names the database file"),
        }),
        None => Ok(()),
    }
}

/// How long a lock another run holds is waited for.
const BUSY_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

#[cfg(test)]
thread_local! {
    /// A shorter wait for the tests of a lock held (set per test thread).
    static TEST_WAIT: std::cell::Cell<Option<std::time::Duration>> =
        const { std::cell::Cell::new(None) };
}

/// [`BUSY_WAIT`], or a test's own.
fn busy_wait() -> std::time::Duration {
    #[cfg(test)]
    if let Some(wait) = TEST_WAIT.with(std::cell::Cell::get) {
        return wait;
    }
    BUSY_WAIT
}

/// SQLite's error as the library's, naming the file; an interrupted query is its own variant.
fn db_error(path: &Path, e: rusqlite::Error) -> Error {
    use rusqlite::ErrorCode as C;
    // SQLite's words for what a user can act on, with what to do; the rest as SQLite says it.
    let cause = match e.sqlite_error_code() {
        Some(C::OperationInterrupted) => return Error::Interrupted { path: path.into() },
        Some(C::DatabaseBusy) => format!(
            "another program holds its write lock (another imr index, or a program with a \
             transaction open), and it was waited for {} s; what this run had not written is not \
             written, and running it again when the other is done is safe",
            busy_wait().as_secs()
        ),
        Some(C::ReadOnly) => "the file or its folder cannot be written (permissions, a \
                              read-only disk, or an immutable file)"
            .into(),
        Some(C::DiskFull) => "the disk is full: what was in flight is not written (what was \
                              committed before stays), and running it again once there is room \
                              goes on from there"
            .into(),
        Some(C::DatabaseCorrupt) => format!("{}; {DAMAGED}", e),
        _ => match altered(&e) {
            Some(what) => format!("{what}; {DAMAGED}"),
            None => e.to_string(),
        },
    };
    Error::Database {
        path: path.into(),
        cause,
    }
}

/// What to do with a database whose tables are not what its schema version says.
const DAMAGED: &str = "the file is damaged or was changed by another program: index the letters \
                       into a new file (`imr index LETTERS --db NEW`)";

/// What is wrong where a database's tables or rows are not imr's (a table dropped, a migration
/// that finds its table made, a value of another kind), in a line; None for other errors.
fn altered(e: &rusqlite::Error) -> Option<String> {
    use rusqlite::Error as E;
    // SQLite's message, without the statement it failed on.
    let tables = |message: &str| {
        let first = message.split(" in \n").next().unwrap_or(message);
        let first = first.lines().next().unwrap_or(first);
        let schema = [
            "no such table",
            "no such column",
            "malformed database schema",
        ];
        let made = ["already exists", "duplicate column name"];
        (schema.iter().any(|s| first.starts_with(s)) || made.iter().any(|s| first.contains(s)))
            .then(|| format!("its tables are not imr's ({first})"))
    };
    match e {
        E::SqliteFailure(_, Some(message)) => tables(message),
        E::SqlInputError { msg, .. } => tables(msg),
        E::QueryReturnedNoRows => Some("a row imr keeps is missing".into()),
        E::InvalidColumnType(_, name, _) => Some(format!("a value of another kind in `{name}`")),
        E::FromSqlConversionFailure(..) | E::Utf8Error(..) | E::IntegralValueOutOfRange(..) => {
            Some("a value of another kind than imr keeps".into())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests;
