//! Durable definitions on disk: vhosts and users made at run time (with their password
//! hashes, never plain text, and permissions), durable exchanges, durable queues (with their
//! arguments) and bindings whose source and destination are both durable.
//!
//! One file, `<data_dir>/definitions.log`, an append-only log of records in the format of
//! [`super::record_log`]. Every durable declare, delete, bind and
//! unbind appends one record and `fdatasync`s before the client hears `declare-ok`
//! ([`DefinitionStore`] methods are synchronous). At startup the log is read in order up to
//! the first torn or corrupted record (a crash in the middle of an append: that change was
//! never confirmed), then rewritten compactly: the live definitions go to a temporary file,
//! which is synced and renamed over the log, and the directory is synced. The same compaction
//! runs when the log grows to four times its compacted size.
//!
//! The store only keeps what it is given; recreating the vhosts, exchanges, queues and
//! bindings it holds is the broker's ([`crate::broker`]), before the listener exists.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use parking_lot::Mutex;
use warren_core::codec::wire::{self, Reader};
use warren_core::codec::{FieldTable, ShortString};

use super::record_log;
use crate::auth::{HashAlgorithm, PasswordHash, PermissionConfig, UserConfig};

const VHOST_PUT: u8 = 1;
const VHOST_DEL: u8 = 2;
const USER_PUT: u8 = 3;
const USER_DEL: u8 = 4;
const EXCHANGE_PUT: u8 = 5;
const EXCHANGE_DEL: u8 = 6;
const QUEUE_PUT: u8 = 7;
const QUEUE_DEL: u8 = 8;
const BIND: u8 = 9;
const UNBIND: u8 = 10;

/// The log's file name in the data directory.
pub const FILE_NAME: &str = "definitions.log";
/// Compaction is not considered below this size.
const COMPACT_MIN: u64 = 1024 * 1024;

/// A durable exchange.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredExchange {
    /// Type name (`direct`, `x-consistent-hash`, ...).
    pub kind: String,
    /// Deleted with its last binding.
    pub auto_delete: bool,
    /// Not publishable directly.
    pub internal: bool,
    /// Arguments.
    pub arguments: FieldTable,
}

/// A durable queue.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredQueue {
    /// Deleted when its last consumer goes.
    pub auto_delete: bool,
    /// Arguments (`x-message-ttl`, `x-max-priority`, ...).
    pub arguments: FieldTable,
}

/// A binding between durable things.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredBinding {
    /// Vhost.
    pub vhost: String,
    /// Source exchange.
    pub source: ShortString,
    /// Destination is a queue (else an exchange).
    pub to_queue: bool,
    /// Destination name.
    pub destination: ShortString,
    /// Routing key.
    pub key: ShortString,
    /// Arguments.
    pub arguments: FieldTable,
}

/// Everything durable, as kept on disk.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Definitions {
    /// Vhosts made at run time ([`crate::broker::Admin::add_vhost`]).
    pub vhosts: BTreeSet<String>,
    /// Users made at run time ([`crate::broker::Admin::put_user`]).
    pub users: BTreeMap<String, UserConfig>,
    /// Durable exchanges by (vhost, name).
    pub exchanges: BTreeMap<(String, ShortString), StoredExchange>,
    /// Durable, non-exclusive queues by (vhost, name).
    pub queues: BTreeMap<(String, ShortString), StoredQueue>,
    /// Bindings between durable exchanges and queues, in the order made.
    pub bindings: Vec<StoredBinding>,
}

/// One change.
#[derive(Debug, Clone)]
enum Op {
    VhostPut(String),
    VhostDel(String),
    UserPut(UserConfig),
    UserDel(String),
    ExchangePut(String, ShortString, StoredExchange),
    ExchangeDel(String, ShortString),
    QueuePut(String, ShortString, StoredQueue),
    QueueDel(String, ShortString),
    Bind(StoredBinding),
    Unbind(StoredBinding),
}

impl Definitions {
    /// Applies `op`; false if it changes nothing (nothing to write).
    fn apply(&mut self, op: &Op) -> bool {
        match op {
            Op::VhostPut(v) => self.vhosts.insert(v.clone()),
            Op::VhostDel(v) => {
                let had = self.vhosts.remove(v);
                let n = self.exchanges.len() + self.queues.len() + self.bindings.len();
                self.exchanges.retain(|(vh, _), _| vh != v);
                self.queues.retain(|(vh, _), _| vh != v);
                self.bindings.retain(|b| &b.vhost != v);
                had || n != self.exchanges.len() + self.queues.len() + self.bindings.len()
            }
            Op::UserPut(u) => {
                if self.users.get(&u.name) == Some(u) {
                    return false;
                }
                self.users.insert(u.name.clone(), u.clone());
                true
            }
            Op::UserDel(name) => self.users.remove(name).is_some(),
            Op::ExchangePut(v, n, x) => {
                let key = (v.clone(), n.clone());
                if self.exchanges.get(&key) == Some(x) {
                    return false;
                }
                self.exchanges.insert(key, x.clone());
                true
            }
            Op::ExchangeDel(v, n) => {
                let had = self.exchanges.remove(&(v.clone(), n.clone())).is_some();
                self.bindings.retain(|b| {
                    !(&b.vhost == v && (&b.source == n || (!b.to_queue && &b.destination == n)))
                });
                had
            }
            Op::QueuePut(v, n, q) => {
                let key = (v.clone(), n.clone());
                if self.queues.get(&key) == Some(q) {
                    return false;
                }
                self.queues.insert(key, q.clone());
                true
            }
            Op::QueueDel(v, n) => {
                let had = self.queues.remove(&(v.clone(), n.clone())).is_some();
                self.bindings
                    .retain(|b| !(&b.vhost == v && b.to_queue && &b.destination == n));
                had
            }
            Op::Bind(b) => {
                let source = (b.vhost.clone(), b.source.clone());
                let dest = (b.vhost.clone(), b.destination.clone());
                let ends = self.exchanges.contains_key(&source)
                    && if b.to_queue {
                        self.queues.contains_key(&dest)
                    } else {
                        self.exchanges.contains_key(&dest)
                    };
                if !ends || self.bindings.contains(b) {
                    return false;
                }
                self.bindings.push(b.clone());
                true
            }
            Op::Unbind(b) => {
                let before = self.bindings.len();
                self.bindings.retain(|x| x != b);
                before != self.bindings.len()
            }
        }
    }

    /// The records that rebuild these definitions.
    fn ops(&self) -> Vec<Op> {
        let mut ops = Vec::new();
        ops.extend(self.vhosts.iter().cloned().map(Op::VhostPut));
        ops.extend(self.users.values().cloned().map(Op::UserPut));
        for ((v, n), x) in &self.exchanges {
            ops.push(Op::ExchangePut(v.clone(), n.clone(), x.clone()));
        }
        for ((v, n), q) in &self.queues {
            ops.push(Op::QueuePut(v.clone(), n.clone(), q.clone()));
        }
        ops.extend(self.bindings.iter().cloned().map(Op::Bind));
        ops
    }
}

// --- encoding ---------------------------------------------------------------------------

fn put_str(out: &mut BytesMut, s: &[u8]) {
    out.extend_from_slice(&(s.len() as u32).to_be_bytes());
    out.extend_from_slice(s);
}

fn put_short(out: &mut BytesMut, s: &ShortString) {
    wire::put_short_string(out, s);
}

fn put_bool(out: &mut BytesMut, b: bool) {
    out.extend_from_slice(&[b as u8]);
}

fn encode(op: &Op) -> BytesMut {
    let mut out = BytesMut::new();
    match op {
        Op::VhostPut(v) | Op::VhostDel(v) => {
            out.extend_from_slice(&[if matches!(op, Op::VhostPut(_)) {
                VHOST_PUT
            } else {
                VHOST_DEL
            }]);
            put_str(&mut out, v.as_bytes());
        }
        Op::UserPut(u) => {
            out.extend_from_slice(&[USER_PUT]);
            put_str(&mut out, u.name.as_bytes());
            put_str(
                &mut out,
                u.password_hash.algorithm().rabbitmq_name().as_bytes(),
            );
            put_str(&mut out, u.password_hash.to_stored().as_bytes());
            put_bool(&mut out, u.loopback_only);
            out.extend_from_slice(&(u.tags.len() as u32).to_be_bytes());
            for t in &u.tags {
                put_str(&mut out, t.as_bytes());
            }
            out.extend_from_slice(&(u.permissions.len() as u32).to_be_bytes());
            for p in &u.permissions {
                for s in [&p.vhost, &p.configure, &p.write, &p.read] {
                    put_str(&mut out, s.as_bytes());
                }
            }
        }
        Op::UserDel(name) => {
            out.extend_from_slice(&[USER_DEL]);
            put_str(&mut out, name.as_bytes());
        }
        Op::ExchangePut(v, n, x) => {
            out.extend_from_slice(&[EXCHANGE_PUT]);
            put_str(&mut out, v.as_bytes());
            put_short(&mut out, n);
            put_str(&mut out, x.kind.as_bytes());
            put_bool(&mut out, x.auto_delete);
            put_bool(&mut out, x.internal);
            wire::put_table(&mut out, &x.arguments);
        }
        Op::ExchangeDel(v, n) | Op::QueueDel(v, n) => {
            out.extend_from_slice(&[if matches!(op, Op::ExchangeDel(..)) {
                EXCHANGE_DEL
            } else {
                QUEUE_DEL
            }]);
            put_str(&mut out, v.as_bytes());
            put_short(&mut out, n);
        }
        Op::QueuePut(v, n, q) => {
            out.extend_from_slice(&[QUEUE_PUT]);
            put_str(&mut out, v.as_bytes());
            put_short(&mut out, n);
            put_bool(&mut out, q.auto_delete);
            wire::put_table(&mut out, &q.arguments);
        }
        Op::Bind(b) | Op::Unbind(b) => {
            out.extend_from_slice(&[if matches!(op, Op::Bind(_)) {
                BIND
            } else {
                UNBIND
            }]);
            put_str(&mut out, b.vhost.as_bytes());
            put_short(&mut out, &b.source);
            put_bool(&mut out, b.to_queue);
            put_short(&mut out, &b.destination);
            put_short(&mut out, &b.key);
            wire::put_table(&mut out, &b.arguments);
        }
    }
    out
}

fn bad(what: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

fn get_str(r: &mut Reader) -> io::Result<String> {
    let n = r.u32().map_err(bad)? as usize;
    let b = r.bytes(n).map_err(bad)?;
    String::from_utf8(b.to_vec()).map_err(bad)
}

fn get_bool(r: &mut Reader) -> io::Result<bool> {
    Ok(r.u8().map_err(bad)? != 0)
}

fn decode(payload: Bytes) -> io::Result<Op> {
    let mut r = Reader::new(payload);
    let kind = r.u8().map_err(bad)?;
    let op = match kind {
        VHOST_PUT => Op::VhostPut(get_str(&mut r)?),
        VHOST_DEL => Op::VhostDel(get_str(&mut r)?),
        USER_PUT => {
            let name = get_str(&mut r)?;
            let algorithm = get_str(&mut r)?;
            let algorithm = HashAlgorithm::from_name(&algorithm)
                .ok_or_else(|| bad(format!("unknown hashing algorithm {algorithm:?}")))?;
            let hash = PasswordHash::from_stored_with(algorithm, &get_str(&mut r)?).map_err(bad)?;
            let mut user = UserConfig::with_hash(name, hash);
            user.loopback_only = get_bool(&mut r)?;
            for _ in 0..r.u32().map_err(bad)? {
                user.tags.push(get_str(&mut r)?);
            }
            for _ in 0..r.u32().map_err(bad)? {
                user.permissions.push(PermissionConfig {
                    vhost: get_str(&mut r)?,
                    configure: get_str(&mut r)?,
                    write: get_str(&mut r)?,
                    read: get_str(&mut r)?,
                });
            }
            Op::UserPut(user)
        }
        USER_DEL => Op::UserDel(get_str(&mut r)?),
        EXCHANGE_PUT => {
            let v = get_str(&mut r)?;
            let n = r.short_string().map_err(bad)?;
            Op::ExchangePut(
                v,
                n,
                StoredExchange {
                    kind: get_str(&mut r)?,
                    auto_delete: get_bool(&mut r)?,
                    internal: get_bool(&mut r)?,
                    arguments: r.table().map_err(bad)?,
                },
            )
        }
        EXCHANGE_DEL => Op::ExchangeDel(get_str(&mut r)?, r.short_string().map_err(bad)?),
        QUEUE_PUT => {
            let v = get_str(&mut r)?;
            let n = r.short_string().map_err(bad)?;
            Op::QueuePut(
                v,
                n,
                StoredQueue {
                    auto_delete: get_bool(&mut r)?,
                    arguments: r.table().map_err(bad)?,
                },
            )
        }
        QUEUE_DEL => Op::QueueDel(get_str(&mut r)?, r.short_string().map_err(bad)?),
        BIND | UNBIND => {
            let b = StoredBinding {
                vhost: get_str(&mut r)?,
                source: r.short_string().map_err(bad)?,
                to_queue: get_bool(&mut r)?,
                destination: r.short_string().map_err(bad)?,
                key: r.short_string().map_err(bad)?,
                arguments: r.table().map_err(bad)?,
            };
            if kind == BIND {
                Op::Bind(b)
            } else {
                Op::Unbind(b)
            }
        }
        other => return Err(bad(format!("unknown record kind {other}"))),
    };
    if !r.is_empty() {
        return Err(bad("trailing bytes in a record"));
    }
    Ok(op)
}

fn frame(op: &Op, out: &mut Vec<u8>) {
    let payload = encode(op);
    record_log::append(out, |o| o.extend_from_slice(&payload));
}

/// Reads the records of `data` up to the first torn or corrupted one; returns the
/// definitions and how many bytes were good.
fn replay(data: &[u8]) -> (Definitions, usize) {
    let mut defs = Definitions::default();
    let mut at = 0;
    while let Ok(Some((payload, next))) = record_log::read_at(data, at) {
        match decode(Bytes::copy_from_slice(payload)) {
            Ok(op) => {
                defs.apply(&op);
            }
            Err(e) => {
                tracing::warn!("definitions log: record at byte {at} unreadable: {e}");
                break;
            }
        }
        at = next;
    }
    (defs, at)
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// The definitions log of one data directory.
#[derive(Debug)]
pub struct DefinitionStore {
    dir: PathBuf,
    inner: Mutex<Inner>,
    /// `<data_dir>/lock`, locked while the store lives: one broker per data directory.
    _lock: File,
}

/// Name of the lock file in the data directory.
pub const LOCK_FILE: &str = "lock";

/// Takes the data directory's lock: an advisory `flock` on `<dir>/lock`, released when the
/// store is dropped or the process ends, however it ends.
fn lock_data_dir(dir: &Path) -> io::Result<File> {
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(LOCK_FILE))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(io::Error::new(
            io::ErrorKind::WouldBlock,
            format!(
                "data directory {} is in use by another warren-broker",
                dir.display()
            ),
        )),
        Err(std::fs::TryLockError::Error(e)) => Err(e),
    }
}

#[derive(Debug)]
struct Inner {
    /// The log, open for appending.
    file: File,
    /// Its length now.
    len: u64,
    /// Its length after the last compaction: compaction runs again at four times that.
    compacted_len: u64,
    /// What the log holds, applied: a change that alters nothing is not written.
    defs: Definitions,
}

impl DefinitionStore {
    /// Opens (creating if needed) the log in `dir`, reads it and rewrites it compactly. Takes
    /// the directory's lock first: fails if another broker uses `dir`.
    pub fn open(dir: &Path) -> io::Result<Arc<DefinitionStore>> {
        std::fs::create_dir_all(dir)?;
        let lock = lock_data_dir(dir)?;
        let path = dir.join(FILE_NAME);
        let mut data = Vec::new();
        match File::open(&path) {
            Ok(mut f) => {
                f.read_to_end(&mut data)?;
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let (defs, good) = replay(&data);
        if good < data.len() {
            tracing::warn!(
                "definitions log {}: ignoring {} bytes after the last complete record (a \
                 change cut short by a crash, never confirmed)",
                path.display(),
                data.len() - good
            );
        }
        let (file, len) = write_compacted(dir, &defs)?;
        Ok(Arc::new(DefinitionStore {
            dir: dir.to_path_buf(),
            inner: Mutex::new(Inner {
                file,
                len,
                compacted_len: len,
                defs,
            }),
            _lock: lock,
        }))
    }

    /// A copy of the current definitions.
    pub fn definitions(&self) -> Definitions {
        self.inner.lock().defs.clone()
    }

    fn record(&self, op: Op) -> io::Result<()> {
        let mut inner = self.inner.lock();
        if !inner.defs.apply(&op) {
            return Ok(());
        }
        let mut buf = Vec::new();
        frame(&op, &mut buf);
        let written = inner
            .file
            .write_all(&buf)
            .and_then(|()| inner.file.sync_data());
        if let Err(e) = written {
            // The file may end in a partial record now: start a clean one from memory.
            tracing::error!("definitions log: cannot write: {e}");
            if let Ok((file, len)) = write_compacted(&self.dir, &inner.defs) {
                inner.file = file;
                inner.len = len;
                inner.compacted_len = len;
                return Ok(());
            }
            return Err(e);
        }
        inner.len += buf.len() as u64;
        if inner.len > COMPACT_MIN.max(4 * inner.compacted_len) {
            match write_compacted(&self.dir, &inner.defs) {
                Ok((file, len)) => {
                    inner.file = file;
                    inner.len = len;
                    inner.compacted_len = len;
                }
                Err(e) => tracing::warn!("definitions log: compaction failed: {e}"),
            }
        }
        Ok(())
    }

    /// Records a durable exchange.
    pub fn put_exchange(
        &self,
        vhost: &str,
        name: &ShortString,
        x: StoredExchange,
    ) -> io::Result<()> {
        self.record(Op::ExchangePut(vhost.into(), name.clone(), x))
    }

    /// Forgets an exchange and its bindings.
    pub fn delete_exchange(&self, vhost: &str, name: &ShortString) -> io::Result<()> {
        self.record(Op::ExchangeDel(vhost.into(), name.clone()))
    }

    /// Records a durable, non-exclusive queue.
    pub fn put_queue(&self, vhost: &str, name: &ShortString, q: StoredQueue) -> io::Result<()> {
        self.record(Op::QueuePut(vhost.into(), name.clone(), q))
    }

    /// Forgets a queue and the bindings to it.
    pub fn delete_queue(&self, vhost: &str, name: &ShortString) -> io::Result<()> {
        self.record(Op::QueueDel(vhost.into(), name.clone()))
    }

    /// Records a binding between durable ends.
    pub fn bind(&self, b: StoredBinding) -> io::Result<()> {
        self.record(Op::Bind(b))
    }

    /// Forgets a binding.
    pub fn unbind(&self, b: StoredBinding) -> io::Result<()> {
        self.record(Op::Unbind(b))
    }

    /// Records a vhost made at run time.
    pub fn put_vhost(&self, name: &str) -> io::Result<()> {
        self.record(Op::VhostPut(name.into()))
    }

    /// Forgets a vhost and everything in it.
    pub fn delete_vhost(&self, name: &str) -> io::Result<()> {
        self.record(Op::VhostDel(name.into()))
    }

    /// Records a user (its password hash, never the password).
    pub fn put_user(&self, user: &UserConfig) -> io::Result<()> {
        self.record(Op::UserPut(user.clone()))
    }

    /// Forgets a user.
    pub fn delete_user(&self, name: &str) -> io::Result<()> {
        self.record(Op::UserDel(name.into()))
    }
}

/// Runs `write` on the store if there is one; a failure is 541 INTERNAL_ERROR (the change
/// is not confirmed to the client).
pub fn persist(
    store: Option<&Arc<DefinitionStore>>,
    write: impl FnOnce(&DefinitionStore) -> io::Result<()>,
) -> crate::error::AmqpResult {
    let Some(store) = store else {
        return Ok(());
    };
    write(store).map_err(|e| {
        crate::error::AmqpException::new(
            warren_core::codec::ReplyCode::InternalError,
            format!("cannot write the definitions log: {e}"),
        )
    })
}

/// Like [`persist`] where no error can be answered (deletions the broker makes itself): a
/// failure is logged.
pub fn persist_or_log(
    store: Option<&Arc<DefinitionStore>>,
    write: impl FnOnce(&DefinitionStore) -> io::Result<()>,
) {
    if let Err(e) = persist(store, write) {
        tracing::error!("{}", e.text);
    }
}

/// Writes `defs` as a fresh log (temporary file, sync, rename, directory sync); returns it
/// open for appending, and its length.
fn write_compacted(dir: &Path, defs: &Definitions) -> io::Result<(File, u64)> {
    let mut buf = Vec::new();
    for op in defs.ops() {
        frame(&op, &mut buf);
    }
    let tmp = dir.join(format!("{FILE_NAME}.tmp"));
    {
        let mut f = File::create(&tmp)?;
        f.write_all(&buf)?;
        f.sync_all()?;
    }
    let path = dir.join(FILE_NAME);
    std::fs::rename(&tmp, &path)?;
    sync_dir(dir)?;
    let file = OpenOptions::new().append(true).open(&path)?;
    Ok((file, buf.len() as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> FieldTable {
        let mut t = FieldTable::new();
        t.insert("x-max-priority", warren_core::codec::FieldValue::LongInt(5))
            .unwrap();
        t
    }

    #[test]
    fn records_round_trip_and_a_torn_tail_is_ignored() {
        let dir = std::env::temp_dir().join(format!("warren-defs-unit-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = DefinitionStore::open(&dir).unwrap();
        let q = ShortString::from_static("q");
        let x = ShortString::from_static("x");
        store.put_vhost("v").unwrap();
        store
            .put_user(
                &UserConfig::new("u", "secret")
                    .tag("monitoring")
                    .permit("v", ".*", "", "^q$"),
            )
            .unwrap();
        store
            .record(Op::ExchangePut(
                "v".into(),
                x.clone(),
                StoredExchange {
                    kind: "topic".into(),
                    auto_delete: false,
                    internal: true,
                    arguments: table(),
                },
            ))
            .unwrap();
        store
            .record(Op::QueuePut(
                "v".into(),
                q.clone(),
                StoredQueue {
                    auto_delete: true,
                    arguments: table(),
                },
            ))
            .unwrap();
        let b = StoredBinding {
            vhost: "v".into(),
            source: x.clone(),
            to_queue: true,
            destination: q.clone(),
            key: ShortString::from_static("a.#"),
            arguments: FieldTable::new(),
        };
        store.record(Op::Bind(b.clone())).unwrap();
        let before = store.definitions();
        assert_eq!(before.bindings, vec![b]);
        drop(store);
        // A torn append: half a record at the end.
        let path = dir.join(FILE_NAME);
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(&[40, 0, 0, 0, 1, 2, 3]).unwrap();
        drop(f);
        let store = DefinitionStore::open(&dir).unwrap();
        let after = store.definitions();
        assert_eq!(after, before);
        let u = &after.users["u"];
        assert!(u.password_hash.verify("secret"));
        assert!(!std::fs::read(&path)
            .unwrap()
            .windows(6)
            .any(|w| w == b"secret"));
        store.delete_queue("v", &q).unwrap();
        assert!(store.definitions().bindings.is_empty());
        drop(store);
        let store = DefinitionStore::open(&dir).unwrap();
        assert!(store.definitions().queues.is_empty());
        assert_eq!(store.definitions().exchanges.len(), 1);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
