//! The one tokio runtime every blocking connection of the process runs on, and fork detection.
//!
//! A connection costs a task, not a thread: all blocking connections share a small runtime
//! (`WARREN_IO_THREADS` worker threads, default 2, named `warren-io`). After `fork()` the
//! child has none of the parent's threads, so the child gets a runtime of its own on first
//! use, and connections opened by the parent refuse to work in the child
//! ([`Error::UsedAfterFork`]): sharing the parent's socket would interleave frames from two
//! processes. Open new connections in the child (PHP-FPM workers, gunicorn `--preload`,
//! multiprocessing).

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::task::{Context, Poll};
use std::time::Duration;

use crate::error::{Error, Result};

/// Incremented in the child process after every `fork()`.
static FORK_GENERATION: AtomicU64 = AtomicU64::new(0);

#[cfg(unix)]
extern "C" fn after_fork_in_child() {
    // Only an atomic increment: async-signal-safe, as a fork handler must be.
    FORK_GENERATION.fetch_add(1, Ordering::Relaxed);
}

fn watch_forks() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        #[cfg(unix)]
        // SAFETY: registers a handler that only increments an atomic; it takes no locks and
        // allocates nothing, so it is safe to run in the child right after fork().
        unsafe {
            libc::pthread_atfork(None, None, Some(after_fork_in_child));
        }
    });
}

/// The current process's fork generation: it changes in a child after `fork()`.
pub(crate) fn fork_generation() -> u64 {
    FORK_GENERATION.load(Ordering::Relaxed)
}

/// A tokio runtime and the fork generation it was built in.
#[derive(Debug)]
pub(crate) struct IoRuntime {
    rt: Option<tokio::runtime::Runtime>,
    generation: u64,
}

impl Drop for IoRuntime {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            if self.generation == fork_generation() {
                // Dropping a runtime blocks, which tokio forbids inside an async context.
                rt.shutdown_background();
            } else {
                // A parent's runtime in a forked child: its threads do not exist here, and
                // shutting it down would wait for them.
                std::mem::forget(rt);
            }
        }
    }
}

fn io_threads() -> usize {
    std::env::var("WARREN_IO_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n: &usize| n > 0)
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get().min(2))
                .unwrap_or(1)
        })
}

impl IoRuntime {
    /// The process's shared runtime (a new one in a forked child).
    pub(crate) fn shared() -> Result<Arc<IoRuntime>> {
        watch_forks();
        static SHARED: Mutex<Option<Arc<IoRuntime>>> = Mutex::new(None);
        let generation = fork_generation();
        let mut shared = SHARED.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(rt) = shared.as_ref().filter(|rt| rt.generation == generation) {
            return Ok(rt.clone());
        }
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(io_threads())
            .thread_name("warren-io")
            .enable_all()
            .build()?;
        let rt = Arc::new(IoRuntime {
            rt: Some(rt),
            generation,
        });
        // A parent's runtime left here is dropped (forgotten, see Drop) with its last user.
        *shared = Some(rt.clone());
        Ok(rt)
    }

    fn runtime(&self) -> &tokio::runtime::Runtime {
        self.rt.as_ref().expect("the runtime is only taken on drop")
    }

    /// Refuses to block inside an async runtime, where it would stall the runtime's thread.
    fn check_context() -> Result<()> {
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(Error::InvalidState(
                "a blocking Warren call was made inside an async runtime; use the async API there"
                    .into(),
            ));
        }
        Ok(())
    }

    /// Runs `fut` to completion on the caller's thread while the I/O threads keep going.
    pub(crate) fn block_on<F: Future>(&self, fut: F) -> Result<F::Output> {
        Self::check_context()?;
        Ok(self.runtime().block_on(fut))
    }

    /// Like [`Self::block_on`], but first polls `fut` once without entering the blocking
    /// machinery: the common case of a publish that finds room completes with no more than a
    /// thread-local update.
    pub(crate) fn run_quick<F: Future>(&self, fut: F) -> Result<F::Output> {
        Self::check_context()?;
        let mut fut = std::pin::pin!(fut);
        let guard = self.runtime().enter();
        let mut cx = Context::from_waker(futures_util::task::noop_waker_ref());
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return Ok(v);
        }
        drop(guard);
        Ok(self.runtime().block_on(fut))
    }

    /// Runs `fut` in the background (used where blocking is not allowed, e.g. in `Drop` inside
    /// an async context).
    pub(crate) fn spawn<F>(&self, fut: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.runtime().spawn(fut);
    }
}

/// Waits for `fut` at most `timeout` (forever with `None`); `None` if the time ran out.
///
/// A zero timeout means "only what is ready now": `fut` is polled once, without a timer.
/// tokio rounds timer deadlines up to its next millisecond tick, so a zero-length timer would
/// make every "is anything there?" look (the last step of draining an inbox, of reading
/// confirms) cost about a millisecond.
pub(crate) async fn with_timeout<F: Future>(
    timeout: Option<Duration>,
    fut: F,
) -> Option<F::Output> {
    match timeout {
        Some(t) if t.is_zero() => {
            let mut fut = std::pin::pin!(fut);
            std::future::poll_fn(|cx| Poll::Ready(fut.as_mut().poll(cx)))
                .await
                .ready()
        }
        Some(t) => tokio::time::timeout(t, fut).await.ok(),
        None => Some(fut.await),
    }
}

/// `Poll` to `Option`: the value if it was ready.
trait PollReady<T> {
    fn ready(self) -> Option<T>;
}

impl<T> PollReady<T> for Poll<T> {
    fn ready(self) -> Option<T> {
        match self {
            Poll::Ready(v) => Some(v),
            Poll::Pending => None,
        }
    }
}
