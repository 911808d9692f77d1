//! One unlocked profile, as a handle that user commands and background jobs
//! share: [`Vault`].
//!
//! # How the database is shared
//!
//! A [`Vault`] is a cheap clone of an `Arc`. Behind it sit one **writer**
//! connection (a mutex) and a small pool of **reader** connections to the
//! same SQLCipher file in WAL mode, plus the in-memory [`Catalog`] of secret
//! names and the settings, each behind its own `RwLock`.
//!
//! A pool with one writer, rather than a thread that owns a single
//! connection: with one connection, listing or revealing would queue behind
//! whatever else is in flight (a scan storing 20,000 docs, an import of
//! 10,000 keys), which is exactly what must not happen while a background
//! job runs. WAL gives readers a consistent snapshot while the writer
//! commits, SQLite allows one writer anyway, and the catalog is only
//! write-locked for the in-memory update after a commit (microseconds), so
//! searches and listing never wait behind a long write. Opening another
//! reader costs no KDF (the raw key is kept), so the pool grows on demand.
//!
//! # Epochs
//!
//! Each unlock is an **epoch** with a cancellation token. Locking cancels it
//! ([`Vault::retire`]): every job token (a child of it) fires, every later
//! [`Vault::read`] or [`Vault::write`] on any clone fails with
//! `vault.locked`, and the keys are wiped when the last clone is dropped —
//! as soon as in-flight operations end. A job that outlives a lock and a new
//! unlock still holds the *old* handle, so it can never write into the new
//! one (or another profile).
//!
//! The epoch check happens under the writer mutex, and the lock's own audit
//! event is written under that mutex after the cancel: no commit can land
//! after a lock.

use rusqlite::{Connection, TransactionBehavior};
use serde_json::json;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, Weak};
use tokio_util::sync::CancellationToken;
use zeroize::Zeroizing;

use crate::audit::{self, EventType};
use crate::catalog::{Catalog, CatalogChange};
use crate::crypto::{DbKey, FieldKey, Pvk};
use crate::error::{Error, Result};
use crate::index::{Index, ProfileRecord};
use crate::paths::{self, Root};
use crate::providers;
use crate::settings::{self, Settings};
use crate::sqlite_file::{self, Access};

/// Idle reader connections kept for reuse.
const MAX_IDLE_READERS: usize = 4;

/// Outcome of probing a database file with a key.
pub(crate) enum Probe {
    Opens(Connection, Access),
    WrongKey,
}

/// Open a SQLCipher database with the raw key, check the key, set the
/// connection pragmas. No migrations.
pub(crate) fn open_keyed(path: &Path, key: &DbKey, create: bool) -> Result<Probe> {
    open_keyed_here(path, key, create).map_err(|e| paths::explain_storage_failure(e, path))
}

fn open_keyed_here(path: &Path, key: &DbKey, create: bool) -> Result<Probe> {
    if !create && !path.exists() {
        return Err(Error::corruption("the profile's vault file is missing")
            .with_suggestion("Restore the profile folder from a backup, or delete the profile."));
    }
    let (conn, access) = sqlite_file::open(path, create)?;
    // SQLCipher logs a failed key check to stderr itself; we report it as a
    // structured error instead.
    conn.query_row("PRAGMA cipher_log_level = NONE", [], |_| Ok(())).or_else(ignore_no_rows)?;
    let pragma = Zeroizing::new(format!("PRAGMA key = \"{}\";", key.pragma_value().as_str()));
    conn.execute_batch(&pragma)?;
    match conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0)) {
        Ok(_) => {}
        Err(e) if e.sqlite_error_code() == Some(rusqlite::ffi::ErrorCode::NotADatabase) => {
            return Ok(Probe::WrongKey);
        }
        Err(e) => return Err(e.into()),
    }
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // Keep temporary tables and sort spills in memory: no plaintext temp files.
    conn.execute_batch("PRAGMA temp_store = MEMORY; PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON;")?;
    Ok(Probe::Opens(conn, access))
}

fn ignore_no_rows(e: rusqlite::Error) -> rusqlite::Result<()> {
    match e {
        rusqlite::Error::QueryReturnedNoRows => Ok(()),
        other => Err(other),
    }
}

/// Open an existing vault file whose key is known to be right (it was
/// unwrapped by an authenticated AEAD): failing to read it is corruption.
fn open_vault_db(path: &Path, key: &DbKey) -> Result<(Connection, Access)> {
    match open_keyed(path, key, false)? {
        Probe::Opens(conn, access) => {
            if access == Access::ReadWrite {
                conn.pragma_update(None, "journal_mode", "WAL")?;
            }
            Ok((conn, access))
        }
        Probe::WrongKey => {
            Err(Error::corruption("the vault file cannot be decrypted with the profile's key"))
        }
    }
}

/// Create the vault of a new profile: schema, settings row, providers,
/// the `profile.create` event.
pub(crate) fn create_vault_db(root: &Root, profile_id: &str, pvk: &Pvk, name: &str) -> Result<()> {
    let dir = root.profile_dir(profile_id);
    paths::create_private_dir(&dir)?;
    let path = root.vault_db(profile_id);
    let Probe::Opens(mut conn, _) = open_keyed(&path, &pvk.db_key(), true)? else {
        return Err(Error::internal("a new vault file did not accept its key"));
    };
    conn.pragma_update(None, "journal_mode", "WAL")?;
    crate::migrations::vault().to_latest(&mut conn)?;
    let tx = conn.transaction()?;
    settings::insert_default(&tx, profile_id)?;
    providers::seed(&tx, &crate::time::now())?;
    audit::record(&tx, profile_id, EventType::ProfileCreate, json!({ "display_name": name }))?;
    tx.commit()?;
    Ok(())
}

/// Whether `key` opens the database at `path` (rotation recovery).
pub(crate) fn key_opens(path: &Path, key: &DbKey) -> Result<bool> {
    Ok(matches!(open_keyed(path, key, false)?, Probe::Opens(..)))
}

/// Identifies one unlock of one profile. Two handles with the same epoch
/// are clones of the same unlock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EpochId(u64);

impl EpochId {
    fn next() -> EpochId {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        EpochId(NEXT.fetch_add(1, Ordering::Relaxed))
    }

    /// The number, for logs and the UI.
    pub fn get(self) -> u64 {
        self.0
    }
}

/// A shared handle to an unlocked profile (see the module documentation).
#[derive(Clone)]
pub struct Vault {
    inner: Arc<Inner>,
}

struct Inner {
    root: Root,
    /// This process's shared hold on the profile (see [`crate::exclusion`]),
    /// released with the last clone.
    hold: crate::exclusion::Hold,
    epoch: EpochId,
    token: CancellationToken,
    profile: RwLock<ProfileRecord>,
    index: Mutex<Index>,
    pvk: Pvk,
    field_key: FieldKey,
    rotation_version: u64,
    /// Read-only when the profile's folder cannot be written: every write
    /// is refused up front, with one clear error.
    access: Access,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    catalog: RwLock<Catalog>,
    settings: RwLock<Settings>,
    /// The HTTP client of this unlock, built on first use.
    net: std::sync::OnceLock<crate::net::Net>,
    /// The writer connection's `PRAGMA data_version` when the catalog and
    /// settings were last read: it moves only when another connection
    /// (another process) commits.
    data_version: Mutex<i64>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault").field("epoch", &self.inner.epoch.0).finish_non_exhaustive()
    }
}

fn data_version(conn: &Connection) -> Result<i64> {
    Ok(conn.pragma_query_value(None, "data_version", |r| r.get(0))?)
}

/// Poison only means another thread panicked while holding the lock; the
/// data behind every lock here stays consistent (writes are transactions),
/// so recover rather than make the app unusable.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn read_lock<T>(l: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(|p| p.into_inner())
}

fn write_lock<T>(l: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(|p| p.into_inner())
}

/// A write transaction: the SQL transaction, plus what to change in the
/// catalog and settings once it commits. Derefs to the connection.
pub(crate) struct Write<'a> {
    tx: rusqlite::Transaction<'a>,
    profile_id: &'a str,
    /// A [`Vault::write_hand_out`] on a read-only data folder: the records
    /// have nowhere to go and are skipped (see there).
    unrecorded: bool,
    catalog: Vec<CatalogChange>,
    settings: Option<Settings>,
}

impl Deref for Write<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.tx
    }
}

impl Write<'_> {
    /// Record an audit event in this transaction.
    pub(crate) fn record(&self, event: EventType, metadata: serde_json::Value) -> Result<()> {
        if self.unrecorded {
            // Fronts tell the person once, when the vault opens read-only.
            tracing::debug!(event = event.as_str(), "not recorded: the data folder is read-only");
            return Ok(());
        }
        audit::record(&self.tx, self.profile_id, event, metadata)
    }

    /// Whether this transaction can keep only what it hands out, not
    /// records or bookkeeping ([`Vault::write_hand_out`] on a read-only
    /// data folder).
    pub(crate) fn unrecorded(&self) -> bool {
        self.unrecorded
    }

    /// The profile this transaction writes to.
    pub(crate) fn profile_id(&self) -> &str {
        self.profile_id
    }

    /// Change the catalog once the transaction commits.
    pub(crate) fn catalog(&mut self, change: CatalogChange) {
        self.catalog.push(change);
    }

    /// Replace the cached settings once the transaction commits.
    pub(crate) fn set_settings(&mut self, settings: Settings) {
        self.settings = Some(settings);
    }
}

/// An unlock taken whole by [`Vault::into_owned`]: no other handle exists.
pub(crate) struct Owned {
    pub(crate) root: Root,
    pub(crate) hold: crate::exclusion::Hold,
    pub(crate) index: Index,
    pub(crate) profile: ProfileRecord,
    pub(crate) conn: Connection,
    pub(crate) pvk: Pvk,
    pub(crate) field_key: FieldKey,
    pub(crate) rotation_version: u64,
}

/// A weak reference that tells whether a vault's keys are gone (every
/// handle dropped). For tests and diagnostics.
#[derive(Debug, Clone)]
pub struct VaultWatch(Weak<Inner>);

impl VaultWatch {
    /// Whether every handle was dropped, so the keys are wiped.
    pub fn is_wiped(&self) -> bool {
        self.0.strong_count() == 0
    }
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Inner(***)")
    }
}

impl Vault {
    /// Open the vault of an authenticated profile: migrate, seed providers,
    /// load settings and the in-memory catalog of secret names. A new epoch.
    pub(crate) fn open(
        root: Root,
        hold: crate::exclusion::Hold,
        index: Index,
        profile: ProfileRecord,
        pvk: Pvk,
        rotation_version: u64,
    ) -> Result<Vault> {
        let (mut conn, access) = open_vault_db(&root.vault_db(&profile.id), &pvk.db_key())?;
        crate::migrations::vault().to_latest(&mut conn)?;
        if access == Access::ReadWrite {
            let tx = conn.transaction()?;
            providers::seed(&tx, &crate::time::now())?;
            tx.commit()?;
        }
        let settings = settings::load(&conn, &profile.id)?;
        let catalog = Catalog::load(&conn)?;
        let data_version = data_version(&conn)?;
        let field_key = pvk.field_key();
        Ok(Vault {
            inner: Arc::new(Inner {
                root,
                hold,
                epoch: EpochId::next(),
                token: CancellationToken::new(),
                profile: RwLock::new(profile),
                index: Mutex::new(index),
                pvk,
                field_key,
                rotation_version,
                access,
                writer: Mutex::new(conn),
                readers: Mutex::new(Vec::new()),
                catalog: RwLock::new(catalog),
                settings: RwLock::new(settings),
                data_version: Mutex::new(data_version),
                net: std::sync::OnceLock::new(),
            }),
        })
    }

    /// The unlocked profile (a copy: the record can change, e.g. the TOTP flag).
    pub fn profile(&self) -> ProfileRecord {
        read_lock(&self.inner.profile).clone()
    }

    /// The profile's id.
    pub fn profile_id(&self) -> String {
        read_lock(&self.inner.profile).id.clone()
    }

    /// The profile's settings (a copy).
    pub fn settings(&self) -> Settings {
        read_lock(&self.inner.settings).clone()
    }

    /// Change and store the settings (validated first).
    pub fn update_settings(&self, new: Settings) -> Result<Settings> {
        new.validate()?;
        let profile_id = self.profile_id();
        self.write(|w| {
            settings::save(w, &profile_id, &new)?;
            w.record(EventType::SettingsUpdate, json!({}))?;
            w.set_settings(new.clone());
            Ok(())
        })?;
        Ok(new)
    }

    /// Catch up with another process's commits: when one has committed to
    /// the vault since this handle last looked, reload the catalog and the
    /// settings (kept in memory) from the database. Returns whether it
    /// did. For a long-lived handle that other processes write beside (the
    /// CLI's unlock agent, the desktop app), before each operation; a few
    /// microseconds when nothing changed. Never waits behind a write in
    /// flight in this process: then it looks next time.
    pub fn sync_external_changes(&self) -> Result<bool> {
        self.ensure_open(None)?;
        let profile_id = self.profile_id();
        // Writer, then catalog: the order every write takes.
        let conn = match self.inner.writer.try_lock() {
            Ok(c) => c,
            Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => return Ok(false),
        };
        let now = data_version(&conn)?;
        let mut seen = lock(&self.inner.data_version);
        if *seen == now {
            return Ok(false);
        }
        let catalog = Catalog::load(&conn)?;
        let settings = settings::load(&conn, &profile_id)?;
        *write_lock(&self.inner.catalog) = catalog;
        *write_lock(&self.inner.settings) = settings;
        *seen = now;
        Ok(true)
    }

    /// Audit events, newest first, optionally of one type.
    pub fn audit_log(&self, limit: usize, event_type: Option<&str>) -> Result<Vec<audit::AuditEvent>> {
        self.read(|conn| audit::list(conn, limit, event_type))
    }

    /// Current rotation version of the profile vault key.
    pub fn rotation_version(&self) -> u64 {
        self.inner.rotation_version
    }

    /// Path of the vault file (diagnostics and tests).
    pub fn db_path(&self) -> PathBuf {
        self.inner.root.vault_db(&self.profile_id())
    }

    /// This unlock.
    pub fn epoch(&self) -> EpochId {
        self.inner.epoch
    }

    /// Whether the profile's folder is read-only: it reads, every change
    /// is refused with `storage.read_only`.
    pub fn read_only(&self) -> bool {
        self.inner.access == Access::ReadOnly
    }

    /// Whether this handle's unlock is still current (not locked since).
    pub fn is_open(&self) -> bool {
        !self.inner.token.is_cancelled()
    }

    /// A token for a job under this unlock: it fires when the vault locks
    /// (or when the job itself is cancelled through its own child).
    pub fn job_token(&self) -> CancellationToken {
        self.inner.token.child_token()
    }

    /// The HTTP client of this unlock ([`crate::net`]): one per profile
    /// session, so its connection pool and circuit breakers live as long as
    /// the unlock. Built on first use (nothing is resolved until a request).
    pub fn net(&self) -> Result<crate::net::Net> {
        self.ensure_open(None)?;
        if let Some(n) = self.inner.net.get() {
            return Ok(n.clone());
        }
        let n = crate::net::Net::new(self.inner.root.logs_dir(), crate::net::NetConfig::default())?;
        Ok(self.inner.net.get_or_init(|| n).clone())
    }

    /// Use `config` for this unlock's HTTP client (shorter waits in tests
    /// and benchmarks). `internal` once the client was built.
    pub fn configure_net(&self, config: crate::net::NetConfig) -> Result<()> {
        let n = crate::net::Net::new(self.inner.root.logs_dir(), config)?;
        self.inner.net.set(n).map_err(|_| Error::internal("the HTTP client of this unlock is already in use"))
    }

    /// A weak watch that tells when the keys are wiped.
    pub fn watch(&self) -> VaultWatch {
        VaultWatch(Arc::downgrade(&self.inner))
    }

    /// Whether two handles are the same unlock.
    pub fn same_as(&self, other: &Vault) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    pub(crate) fn root(&self) -> &Root {
        &self.inner.root
    }

    pub(crate) fn pvk(&self) -> &Pvk {
        &self.inner.pvk
    }

    pub(crate) fn field_key(&self) -> &FieldKey {
        &self.inner.field_key
    }

    /// The profile index, for a short read or write (never across a KDF).
    pub(crate) fn index(&self) -> MutexGuard<'_, Index> {
        lock(&self.inner.index)
    }

    /// The catalog, read-locked for a moment.
    pub(crate) fn catalog(&self) -> RwLockReadGuard<'_, Catalog> {
        read_lock(&self.inner.catalog)
    }

    /// Record in index.db (and the in-memory profile) whether TOTP is on.
    pub(crate) fn set_totp_flag(&self, enabled: bool) -> Result<()> {
        let id = self.profile_id();
        self.index().set_totp_enabled(&id, enabled)?;
        write_lock(&self.inner.profile).totp_enabled = enabled;
        Ok(())
    }

    /// Record in the in-memory profile whether keychain unlock is on
    /// (index.db is written by [`crate::keychain`]).
    pub(crate) fn set_keychain_flag(&self, enabled: bool) {
        write_lock(&self.inner.profile).keychain_unlock = enabled;
    }

    fn ensure_open(&self, job: Option<&CancellationToken>) -> Result<()> {
        if self.inner.token.is_cancelled() {
            return Err(Error::locked());
        }
        if job.is_some_and(CancellationToken::is_cancelled) {
            return Err(Error::new(crate::ErrorCode::JobCancelled, "the job was cancelled"));
        }
        Ok(())
    }

    /// Run `f` on a reader connection (a snapshot of what is committed).
    /// Never waits for the writer.
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        self.ensure_open(None)?;
        let conn = match lock(&self.inner.readers).pop() {
            Some(c) => c,
            None => self.open_reader()?,
        };
        let out = f(&conn);
        let mut idle = lock(&self.inner.readers);
        if idle.len() < MAX_IDLE_READERS {
            idle.push(conn);
        }
        out
    }

    fn open_reader(&self) -> Result<Connection> {
        let (conn, _) = open_vault_db(&self.db_path(), &self.inner.pvk.db_key())?;
        conn.pragma_update(None, "query_only", true)?;
        Ok(conn)
    }

    /// Run `f` in one immediate write transaction with the writer
    /// connection and commit it; then apply its catalog and settings
    /// changes. Refused with `vault.locked` once the vault locked, and
    /// with `storage.read_only` on a read-only data folder.
    pub(crate) fn write<T>(&self, f: impl FnOnce(&mut Write<'_>) -> Result<T>) -> Result<T> {
        self.write_for(None, f)
    }

    /// [`Vault::write`] for a job: also refused once `job` is cancelled.
    pub(crate) fn write_for<T>(
        &self,
        job: Option<&CancellationToken>,
        f: impl FnOnce(&mut Write<'_>) -> Result<T>,
    ) -> Result<T> {
        if self.read_only() {
            return Err(sqlite_file::read_only_error());
        }
        self.transact(job, false, f)
    }

    /// [`Vault::write`] for handing values out (a reveal, a `.env` write, a
    /// bundle export), whose only changes are the audit record and
    /// bookkeeping. On a read-only data folder (a backup on a locked disk)
    /// there is nowhere to keep those: the values still go out, as the
    /// unlock there does, and the record is skipped with a warning in the
    /// log, rather than keeping a person from their own keys. `f` asks
    /// [`Write::unrecorded`] before bookkeeping of its own.
    pub(crate) fn write_hand_out<T>(&self, f: impl FnOnce(&mut Write<'_>) -> Result<T>) -> Result<T> {
        self.transact(None, self.read_only(), f)
    }

    fn transact<T>(
        &self,
        job: Option<&CancellationToken>,
        unrecorded: bool,
        f: impl FnOnce(&mut Write<'_>) -> Result<T>,
    ) -> Result<T> {
        let profile_id = self.profile_id();
        let mut conn = lock(&self.inner.writer);
        self.ensure_open(job)?;
        // A read-only connection cannot start an immediate transaction.
        let behavior =
            if unrecorded { TransactionBehavior::Deferred } else { TransactionBehavior::Immediate };
        let tx = conn.transaction_with_behavior(behavior)?;
        let mut w = Write { tx, profile_id: &profile_id, unrecorded, catalog: Vec::new(), settings: None };
        let out = f(&mut w)?;
        // Checked again right before the commit: a lock that came during
        // `f` wins (the transaction rolls back when dropped).
        self.ensure_open(job)?;
        let Write { tx, catalog, settings, .. } = w;
        tx.commit()?;
        if !catalog.is_empty() {
            write_lock(&self.inner.catalog).apply(catalog);
        }
        if let Some(s) = settings {
            *write_lock(&self.inner.settings) = s;
        }
        Ok(out)
    }

    /// End this unlock: every job token fires and every later read or
    /// write through any clone fails with `vault.locked`. Does not wait.
    pub fn retire(&self) {
        self.inner.token.cancel();
    }

    /// Take the unlock whole, for work that replaces the vault file (key
    /// rotation): retire it, then wait up to `wait` for every other clone
    /// (in-flight operations, jobs winding down) to be dropped, so that no
    /// connection to the old file is left open. `vault.busy` if some
    /// clone is still held after `wait`; the vault stays locked then.
    pub(crate) fn into_owned(self, wait: std::time::Duration) -> Result<Owned> {
        self.retire();
        lock(&self.inner.readers).clear();
        let deadline = std::time::Instant::now() + wait;
        let mut inner = self.inner;
        let inner = loop {
            match Arc::try_unwrap(inner) {
                Ok(i) => break i,
                Err(shared) if std::time::Instant::now() < deadline => {
                    inner = shared;
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
                Err(_) => {
                    return Err(Error::new(
                        crate::ErrorCode::VaultBusy,
                        "the vault is still in use by another operation",
                    )
                    .with_suggestion("Wait for running work to finish, unlock again and retry."));
                }
            }
        };
        let profile = inner.profile.into_inner().unwrap_or_else(|p| p.into_inner());
        let index = inner.index.into_inner().unwrap_or_else(|p| p.into_inner());
        let conn = inner.writer.into_inner().unwrap_or_else(|p| p.into_inner());
        Ok(Owned {
            root: inner.root,
            hold: inner.hold,
            index,
            profile,
            conn,
            pvk: inner.pvk,
            field_key: inner.field_key,
            rotation_version: inner.rotation_version,
        })
    }

    /// Lock: end the unlock, then record `vault.lock` (after any write in
    /// flight has committed) and drop this handle. The keys are wiped when
    /// the last clone is gone. The vault is locked even if recording fails.
    pub fn close(self) -> Result<()> {
        self.retire();
        self.inner.readers.lock().map(|mut r| r.clear()).ok();
        let conn = lock(&self.inner.writer);
        if self.inner.access == Access::ReadOnly {
            // Nothing can be recorded there; the lock itself still holds.
            return Ok(());
        }
        audit::record(&conn, &read_lock(&self.inner.profile).id, EventType::Lock, json!({}))
    }
}
