//! The message log: persistent messages of durable queues, on disk.
//!
//! One append-only log of segment files (`00000000000000000001.seg`, ...) shared by every
//! durable queue, of records in the format of [`record_log`], the payload starting with its
//! kind:
//!
//! - `PUBLISH`: entry id, vhost, queue, exchange, routing key, properties, body: one copy of a
//!   message in one queue;
//! - `DELIVERED`: entry id: delivered to a consumer that acknowledges (comes back
//!   `redelivered` after a restart);
//! - `ACK`: entry id: the entry left its queue (acknowledged, rejected, dropped, purged);
//! - `QUEUE_DELETED`: vhost, queue: every earlier entry of that queue is gone.
//!
//! Appends go to an in-memory buffer under one mutex; a dedicated writer thread takes
//! everything appended meanwhile as one *batch*, writes it and calls `fdatasync` once (group
//! commit), then publishes that batch's number on its own channel ([`MessageStore::synced`]);
//! connections waiting for a batch only then confirm its publishes.
//!
//! Each segment counts its live entries (published, not yet acknowledged); segments are
//! reclaimed from the front of the log once all their entries are gone, so that an `ACK`
//! record is never deleted while the `PUBLISH` it cancels survives. Under steady
//! publish/consume disk use is bounded by a few segments.
//!
//! Recovery ([`MessageStore::open`]) reads every segment in order, checks each record's
//! length and checksum, and stops reading a segment at the first torn or corrupted record
//! (logged, never fatal); what survives is returned per queue, in publish order, with whether
//! it was delivered before.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use parking_lot::{Condvar, Mutex};
use tokio::sync::watch;
use warren_core::codec::wire::{self, Reader};
use warren_core::codec::{BasicProperties, ShortString};

use crate::message::Message;

pub mod definitions;
pub mod record_log;
#[cfg(test)]
mod tests;

pub use definitions::DefinitionStore;

const PUBLISH: u8 = 1;
const DELIVERED: u8 = 2;
const ACK: u8 = 3;
const QUEUE_DELETED: u8 = 4;
const CLEAN_MARKER: &str = "clean-shutdown";

/// Size at which the log moves on to a new segment (64 MiB). Tests lower it to see
/// segments reclaimed; it is read when a segment fills.
pub static SEGMENT_BYTES: AtomicU64 = AtomicU64::new(64 * 1024 * 1024);

/// Number of `fdatasync` calls made by every store in this process (for tests).
pub static FSYNCS: AtomicU64 = AtomicU64::new(0);

/// Where an entry's `PUBLISH` record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PersistRef {
    /// Entry id, unique in the log.
    pub id: u64,
    /// Segment number.
    pub seg: u32,
    /// Offset of the record in its segment.
    pub off: u32,
    /// Length of the record, header included.
    pub len: u32,
}

/// A message found in the log at startup, for its queue ([`crate::queue::Queue::restore`]).
#[derive(Debug, Clone)]
pub struct RecoveredMessage {
    /// Its record.
    pub persist: PersistRef,
    /// Delivered before the restart and not acknowledged.
    pub redelivered: bool,
    /// Its priority property (for priority queues).
    pub priority: u8,
    /// Body length.
    pub body_len: u32,
}

/// Recovered messages by (vhost, queue), each in publish order.
pub type Recovered = HashMap<(String, String), Vec<RecoveredMessage>>;

/// Appended records not yet on disk, contiguous in one segment.
struct Chunk {
    /// The segment they belong to.
    seg: u32,
    /// Their offset in that segment.
    start: u64,
    /// The records, headers included.
    data: Vec<u8>,
}

struct Inner {
    /// Appended, not yet taken by the writer.
    pending: Vec<Chunk>,
    /// Taken by the writer, being written (readable from here until written).
    inflight: Vec<Arc<Chunk>>,
    cur_seg: u32,
    cur_len: u64,
    next_id: u64,
    /// The batch appends go to now (the batch a publish must wait for).
    batch: u64,
    /// Live entries per segment (every segment on disk has an entry).
    live: BTreeMap<u32, u64>,
    shutdown: bool,
}

/// The message log (see the module documentation).
pub struct MessageStore {
    /// Where the segment files are.
    dir: PathBuf,
    /// Appends, batches and live counts, shared by appending connections and the writer.
    inner: Mutex<Inner>,
    /// Wakes the writer when the first record of a batch is appended (or at shutdown).
    wake: Condvar,
    /// Open segment files, kept to avoid an open per write or read.
    files: Mutex<HashMap<u32, Arc<File>>>,
    /// The writer thread, joined by [`MessageStore::close`].
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
    /// The last batch written and synced (0: none yet); connections watch it to confirm
    /// the publishes of the batches they wait for.
    durable: watch::Sender<u64>,
    /// How long the writer lets appends gather before it takes a batch, in microseconds
    /// (`WARREN_GROUP_COMMIT_US` at open, [`MessageStore::set_group_commit`]; 0: take
    /// whatever is there at once).
    group_commit_us: AtomicU64,
}

impl std::fmt::Debug for MessageStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageStore")
            .field("dir", &self.dir)
            .finish()
    }
}

fn seg_path(dir: &Path, seg: u32) -> PathBuf {
    dir.join(format!("{seg:020}.seg"))
}

fn put_str(out: &mut Vec<u8>, s: &[u8]) {
    let n = s.len().min(255);
    out.push(n as u8);
    out.extend_from_slice(&s[..n]);
}

impl MessageStore {
    /// Opens (creating) the log in `dir`, recovers what it holds and starts the writer thread.
    pub fn open(dir: &Path) -> io::Result<(Arc<MessageStore>, Recovered)> {
        std::fs::create_dir_all(dir)?;
        let group_commit_us = std::env::var("WARREN_GROUP_COMMIT_US")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut segs: Vec<u32> = std::fs::read_dir(dir)?
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                name.strip_suffix(".seg")?.parse::<u32>().ok()
            })
            .collect();
        segs.sort_unstable();
        // A clean shutdown leaves a marker: the delivered flags are then exact. After a crash a
        // delivery may have reached a consumer before its DELIVERED record was synced, so
        // every recovered message is marked redelivered ("may have been delivered").
        let marker = dir.join(CLEAN_MARKER);
        let clean = marker.exists();
        if clean {
            std::fs::remove_file(&marker)?;
        }
        // id -> (key index, ref, delivered, priority, body_len)
        let mut keys: Vec<(String, String)> = Vec::new();
        let mut key_index: HashMap<(String, String), usize> = HashMap::new();
        let mut entries: BTreeMap<u64, (usize, PersistRef, bool, u8, u32)> = BTreeMap::new();
        let mut max_id = 0u64;
        for &seg in &segs {
            let path = seg_path(dir, seg);
            let data = std::fs::read(&path)?;
            let mut off = 0usize;
            loop {
                let bad = |why: &str| {
                    tracing::warn!(
                        segment = %path.display(),
                        offset = off,
                        "message log: {why}; the rest of this segment is skipped"
                    );
                };
                let (payload, next) = match record_log::read_at(&data, off) {
                    Ok(Some(record)) => record,
                    Ok(None) => break,
                    Err(e) => {
                        bad(e.describe());
                        break;
                    }
                };
                let r = PersistRef {
                    id: 0,
                    seg,
                    off: off as u32,
                    len: (next - off) as u32,
                };
                if Self::scan_record(
                    payload,
                    r,
                    &mut keys,
                    &mut key_index,
                    &mut entries,
                    &mut max_id,
                )
                .is_none()
                {
                    bad("undecodable record");
                    break;
                }
                off = next;
            }
        }
        let mut live: BTreeMap<u32, u64> = segs.iter().map(|&s| (s, 0)).collect();
        let mut recovered: Recovered = HashMap::new();
        if !clean && !entries.is_empty() {
            tracing::info!("message log: no clean shutdown; recovered messages are redelivered");
        }
        for (_, (k, r, delivered, priority, body_len)) in entries {
            let delivered = delivered || !clean;
            *live.entry(r.seg).or_default() += 1;
            recovered
                .entry(keys[k].clone())
                .or_default()
                .push(RecoveredMessage {
                    persist: r,
                    redelivered: delivered,
                    priority,
                    body_len,
                });
        }
        let cur_seg = segs.last().map_or(1, |s| s + 1);
        live.insert(cur_seg, 0);
        let n: usize = recovered.values().map(Vec::len).sum();
        if n > 0 {
            tracing::info!(
                messages = n,
                queues = recovered.len(),
                "message log recovered"
            );
        }
        let store = Arc::new(MessageStore {
            dir: dir.to_path_buf(),
            inner: Mutex::new(Inner {
                pending: Vec::new(),
                inflight: Vec::new(),
                cur_seg,
                cur_len: 0,
                next_id: max_id + 1,
                batch: 1,
                live,
                shutdown: false,
            }),
            wake: Condvar::new(),
            files: Mutex::new(HashMap::new()),
            writer: Mutex::new(None),
            durable: watch::Sender::new(0),
            group_commit_us: AtomicU64::new(group_commit_us),
        });
        let writer = store.clone();
        let handle = std::thread::Builder::new()
            .name("warren-msglog".into())
            .spawn(move || writer.run_writer())?;
        *store.writer.lock() = Some(handle);
        // Segments left with nothing live are reclaimed by the writer's first pass.
        store.wake.notify_one();
        Ok((store, recovered))
    }

    #[allow(clippy::type_complexity)]
    fn scan_record(
        payload: &[u8],
        mut r: PersistRef,
        keys: &mut Vec<(String, String)>,
        key_index: &mut HashMap<(String, String), usize>,
        entries: &mut BTreeMap<u64, (usize, PersistRef, bool, u8, u32)>,
        max_id: &mut u64,
    ) -> Option<()> {
        let mut p = Cursor(payload);
        match p.u8()? {
            PUBLISH => {
                let id = p.u64()?;
                let vhost = p.str()?;
                let queue = p.str()?;
                let mut rd = Reader::new(Bytes::copy_from_slice(p.0));
                let _exchange = rd.short_string().ok()?;
                let _rk = rd.short_string().ok()?;
                let props = BasicProperties::decode(&mut rd).ok()?;
                let body_len = rd.remaining() as u32;
                r.id = id;
                *max_id = (*max_id).max(id);
                let key = (vhost, queue);
                let k = match key_index.get(&key) {
                    Some(&k) => k,
                    None => {
                        keys.push(key.clone());
                        key_index.insert(key, keys.len() - 1);
                        keys.len() - 1
                    }
                };
                entries.insert(id, (k, r, false, props.priority.unwrap_or(0), body_len));
            }
            DELIVERED => {
                let id = p.u64()?;
                if let Some(e) = entries.get_mut(&id) {
                    e.2 = true;
                }
            }
            ACK => {
                let id = p.u64()?;
                entries.remove(&id);
            }
            QUEUE_DELETED => {
                let key = (p.str()?, p.str()?);
                if let Some(&k) = key_index.get(&key) {
                    entries.retain(|_, e| e.0 != k);
                }
            }
            _ => return None,
        }
        Some(())
    }

    /// Appends one record (payload written by `fill`); returns its place and batch.
    fn append(&self, inner: &mut Inner, fill: impl FnOnce(&mut Vec<u8>)) -> (u32, u32, u32, u64) {
        let seg_max = SEGMENT_BYTES.load(Ordering::Relaxed);
        if inner.cur_len >= seg_max {
            inner.cur_seg += 1;
            inner.cur_len = 0;
            let s = inner.cur_seg;
            inner.live.insert(s, 0);
        }
        let (seg, start) = (inner.cur_seg, inner.cur_len);
        if !matches!(inner.pending.last(), Some(c) if c.seg == seg) {
            inner.pending.push(Chunk {
                seg,
                start,
                data: Vec::with_capacity(64 * 1024),
            });
        }
        let chunk = inner.pending.last_mut().expect("pushed above");
        let start = chunk.start;
        let at = chunk.data.len();
        let len = record_log::append(&mut chunk.data, fill);
        let off = start + at as u64;
        inner.cur_len = off + len as u64;
        if inner.pending.len() == 1 && at == 0 {
            self.wake.notify_one();
        }
        (seg, off as u32, len as u32, inner.batch)
    }

    /// Logs a copy of `m` in queue `queue` of `vhost`; returns its place and the batch whose
    /// sync makes it durable.
    pub fn publish(&self, vhost: &str, queue: &ShortString, m: &Message) -> (PersistRef, u64) {
        let mut inner = self.inner.lock();
        let id = inner.next_id;
        inner.next_id += 1;
        let (seg, off, len, batch) = self.append(&mut inner, |out| {
            out.push(PUBLISH);
            out.extend_from_slice(&id.to_le_bytes());
            put_str(out, vhost.as_bytes());
            put_str(out, queue.as_bytes());
            let mut b = BytesMut::new();
            wire::put_short_string(&mut b, &m.exchange);
            wire::put_short_string(&mut b, &m.routing_key);
            m.properties.encode(&mut b);
            out.extend_from_slice(&b);
            out.extend_from_slice(&m.body);
        });
        *inner.live.entry(seg).or_default() += 1;
        (PersistRef { id, seg, off, len }, batch)
    }

    /// Records that entries were delivered to consumers that acknowledge.
    pub fn delivered(&self, ids: impl IntoIterator<Item = u64>) {
        let mut inner = self.inner.lock();
        for id in ids {
            self.append(&mut inner, |out| {
                out.push(DELIVERED);
                out.extend_from_slice(&id.to_le_bytes());
            });
        }
    }

    /// Records that entries left their queues; their segments may be reclaimed.
    pub fn ack(&self, refs: impl IntoIterator<Item = PersistRef>) {
        let mut inner = self.inner.lock();
        for r in refs {
            self.append(&mut inner, |out| {
                out.push(ACK);
                out.extend_from_slice(&r.id.to_le_bytes());
            });
            if let Some(n) = inner.live.get_mut(&r.seg) {
                *n = n.saturating_sub(1);
            }
        }
    }

    /// Records that a queue was deleted; `refs` are the entries it still held.
    pub fn queue_deleted(&self, vhost: &str, queue: &ShortString, refs: Vec<PersistRef>) {
        let mut inner = self.inner.lock();
        self.append(&mut inner, |out| {
            out.push(QUEUE_DELETED);
            put_str(out, vhost.as_bytes());
            put_str(out, queue.as_bytes());
        });
        for r in refs {
            if let Some(n) = inner.live.get_mut(&r.seg) {
                *n = n.saturating_sub(1);
            }
        }
    }

    /// The number of the last batch on disk, on its own channel: a publish made durable by
    /// batch `b` ([`MessageStore::publish`]) may be confirmed once this is `>= b`.
    pub fn synced(&self) -> watch::Receiver<u64> {
        self.durable.subscribe()
    }

    /// Reads messages back (for queues whose bodies are on disk), in the order asked.
    pub fn read(&self, refs: &[PersistRef]) -> io::Result<Vec<Message>> {
        let mut out = Vec::with_capacity(refs.len());
        let mut i = 0;
        while i < refs.len() {
            // One read for a run of records close together in one segment.
            let first = refs[i];
            let mut j = i + 1;
            let mut end = first.off as u64 + first.len as u64;
            while j < refs.len()
                && refs[j].seg == first.seg
                && refs[j].off as u64 >= first.off as u64
                && (refs[j].off as u64 + refs[j].len as u64) - (first.off as u64) < (4 << 20)
            {
                end = end.max(refs[j].off as u64 + refs[j].len as u64);
                j += 1;
            }
            match self.read_span(first.seg, first.off as u64, end) {
                Ok(span) => {
                    for r in &refs[i..j] {
                        let at = (r.off - first.off) as usize;
                        out.push(decode_publish(&span[at..at + r.len as usize])?);
                    }
                }
                // The run straddles what is written and what is still buffered: one record
                // at a time (a record is never split).
                Err(_) => {
                    for r in &refs[i..j] {
                        let rec = self.read_span(r.seg, r.off as u64, (r.off + r.len) as u64)?;
                        out.push(decode_publish(&rec)?);
                    }
                }
            }
            i = j;
        }
        Ok(out)
    }

    fn read_span(&self, seg: u32, start: u64, end: u64) -> io::Result<Vec<u8>> {
        let mut buf = vec![0u8; (end - start) as usize];
        // Not yet written: copy from the buffers.
        {
            let inner = self.inner.lock();
            let chunks = inner
                .inflight
                .iter()
                .map(|c| &**c)
                .chain(inner.pending.iter());
            let mut from_memory = false;
            for c in chunks {
                if c.seg == seg && start >= c.start && end <= c.start + c.data.len() as u64 {
                    let a = (start - c.start) as usize;
                    let n = buf.len();
                    buf.copy_from_slice(&c.data[a..a + n]);
                    from_memory = true;
                    break;
                }
            }
            if from_memory {
                return Ok(buf);
            }
        }
        let file = self.file(seg, false)?;
        file.read_exact_at(&mut buf, start)?;
        Ok(buf)
    }

    fn file(&self, seg: u32, create: bool) -> io::Result<Arc<File>> {
        let mut files = self.files.lock();
        if let Some(f) = files.get(&seg) {
            return Ok(f.clone());
        }
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(create)
            .create(create)
            .open(seg_path(&self.dir, seg))?;
        let f = Arc::new(f);
        if create {
            files.insert(seg, f.clone());
        }
        Ok(f)
    }

    /// Stops the writer after it wrote and synced what is pending, and waits for it.
    pub fn close(&self) {
        self.inner.lock().shutdown = true;
        self.wake.notify_one();
        if let Some(h) = self.writer.lock().take() {
            let _ = h.join();
            if let Err(e) = File::create(self.dir.join(CLEAN_MARKER)).and_then(|f| f.sync_all()) {
                tracing::warn!("message log: cannot mark the clean shutdown: {e}");
            }
        }
    }

    fn run_writer(self: Arc<Self>) {
        loop {
            let (chunks, batch) = {
                let mut inner = self.inner.lock();
                while inner.pending.is_empty() && !inner.shutdown {
                    self.reclaim(&mut inner);
                    self.wake.wait(&mut inner);
                }
                if inner.pending.is_empty() {
                    return;
                }
                let gather = self.group_commit_us.load(Ordering::Relaxed);
                if gather > 0 && !inner.shutdown {
                    drop(inner);
                    std::thread::sleep(std::time::Duration::from_micros(gather));
                    inner = self.inner.lock();
                }
                let chunks: Vec<Arc<Chunk>> = inner.pending.drain(..).map(Arc::new).collect();
                inner.inflight = chunks.clone();
                let batch = inner.batch;
                inner.batch += 1;
                (chunks, batch)
            };
            let mut result = Ok(());
            let mut synced: Vec<u32> = Vec::new();
            for c in &chunks {
                result = self
                    .file(c.seg, true)
                    .and_then(|f| f.write_all_at(&c.data, c.start));
                if result.is_err() {
                    break;
                }
                if !synced.contains(&c.seg) {
                    synced.push(c.seg);
                }
            }
            if result.is_ok() {
                for seg in &synced {
                    result = self.file(*seg, true).and_then(|f| f.sync_data());
                    FSYNCS.fetch_add(1, Ordering::Relaxed);
                    if result.is_err() {
                        break;
                    }
                }
            }
            if let Err(e) = &result {
                // Publishes of this batch are never confirmed; the broker keeps serving.
                tracing::error!("message log write failed: {e}");
            }
            {
                let mut inner = self.inner.lock();
                inner.inflight.clear();
                self.reclaim(&mut inner);
            }
            if result.is_ok() {
                // Batches are synced in order, so `batch` covers every earlier one.
                self.durable.send_replace(batch);
            }
        }
    }

    /// Deletes the front segments with nothing live (never the current one, nor one with
    /// unwritten records).
    fn reclaim(&self, inner: &mut Inner) {
        loop {
            let Some((&seg, &n)) = inner.live.first_key_value() else {
                return;
            };
            if n > 0
                || seg >= inner.cur_seg
                || inner.pending.iter().any(|c| c.seg == seg)
                || inner.inflight.iter().any(|c| c.seg == seg)
            {
                return;
            }
            inner.live.remove(&seg);
            self.files.lock().remove(&seg);
            match std::fs::remove_file(seg_path(&self.dir, seg)) {
                Ok(()) => tracing::debug!(segment = seg, "message log segment reclaimed"),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => tracing::warn!(segment = seg, "cannot reclaim segment: {e}"),
            }
        }
    }

    /// Sets how long the writer lets appends gather before it writes and syncs them as one
    /// batch: fewer syncs under load, at the cost of that much latency for every confirm
    /// (tests also use it to hold a batch back).
    pub fn set_group_commit(&self, gather: std::time::Duration) {
        let us = u64::try_from(gather.as_micros()).unwrap_or(u64::MAX);
        self.group_commit_us.store(us, Ordering::Relaxed);
    }

    /// Segment files currently on disk (for tests and monitoring).
    pub fn segment_count(&self) -> usize {
        self.inner.lock().live.len()
    }

    /// The directory of the log.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

fn decode_publish(rec: &[u8]) -> io::Result<Message> {
    let bad = || io::Error::new(io::ErrorKind::InvalidData, "bad message record");
    let payload = record_log::payload_of(rec).map_err(|_| bad())?;
    let mut p = Cursor(payload);
    if p.u8() != Some(PUBLISH) {
        return Err(bad());
    }
    p.u64().ok_or_else(bad)?;
    p.str().ok_or_else(bad)?;
    p.str().ok_or_else(bad)?;
    let mut rd = Reader::new(Bytes::copy_from_slice(p.0));
    let exchange = rd.short_string().map_err(|_| bad())?;
    let routing_key = rd.short_string().map_err(|_| bad())?;
    let properties = BasicProperties::decode(&mut rd).map_err(|_| bad())?;
    let body = rd.rest();
    Ok(Message {
        exchange,
        routing_key,
        properties,
        body,
    })
}

struct Cursor<'a>(&'a [u8]);

impl Cursor<'_> {
    fn u8(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }
    fn u64(&mut self) -> Option<u64> {
        if self.0.len() < 8 {
            return None;
        }
        let v = u64::from_le_bytes(self.0[..8].try_into().ok()?);
        self.0 = &self.0[8..];
        Some(v)
    }
    fn str(&mut self) -> Option<String> {
        let n = usize::from(self.u8()?);
        if self.0.len() < n {
            return None;
        }
        let s = String::from_utf8_lossy(&self.0[..n]).into_owned();
        self.0 = &self.0[n..];
        Some(s)
    }
}
