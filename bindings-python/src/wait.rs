//! Waiting with the GIL released, in slices, so that Ctrl-C (a signal the interpreter handles
//! only on the main thread, between bytecodes) interrupts a long wait promptly.

use std::time::{Duration, Instant};

use pyo3::prelude::*;
use warren_core::Error;

/// Longest stretch spent waiting without looking at pending signals.
const SLICE: Duration = Duration::from_millis(100);

/// Calls `step(slice)` with the GIL released until it yields a value, `timeout` has passed
/// (`Ok(None)`; `None` waits forever) or a signal handler raises (e.g. `KeyboardInterrupt`).
/// `step` waits at most `slice` and returns `Ok(None)` when nothing came.
pub(crate) fn wait_sliced<T, F>(
    py: Python<'_>,
    timeout: Option<Duration>,
    mut step: F,
) -> PyResult<Result<Option<T>, Error>>
where
    T: Send,
    F: FnMut(Duration) -> Result<Option<T>, Error> + Send,
{
    let deadline = timeout.map(|t| Instant::now() + t);
    loop {
        let slice = match deadline {
            Some(d) => d.saturating_duration_since(Instant::now()).min(SLICE),
            None => SLICE,
        };
        match py.detach(|| step(slice)) {
            Ok(None) => {}
            other => return Ok(other),
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Ok(Ok(None));
        }
        py.check_signals()?;
    }
}

/// Sleeps `duration` with the GIL released, waking for signals.
pub(crate) fn sleep(py: Python<'_>, duration: Duration) -> PyResult<()> {
    wait_sliced::<(), _>(py, Some(duration), |slice| {
        std::thread::sleep(slice);
        Ok(None)
    })?
    .map(|_| ())
    .map_err(crate::errors::plain)
}
