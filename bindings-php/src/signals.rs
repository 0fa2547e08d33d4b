//! Prompt return from blocking calls when a signal arrives.
//!
//! With `pcntl_async_signals(true)`, pcntl's signal handler only records the signal and
//! raises the engine's interrupt flag (`EG(vm_interrupt)`); PHP runs the user's handler at
//! the next interrupt check, e.g. when an internal function returns. A call blocked in Rust
//! would never get there, so `wait()` sleeps in short slices and returns as soon as the flag
//! is up. The flag is process-wide, so this works whichever thread the kernel delivered the
//! signal to (warren-core's I/O threads included).

use std::time::Duration;

use ext_php_rs::zend::ExecutorGlobals;

/// The longest a blocking wait sleeps before looking at the interrupt flag again.
pub(crate) const SLICE: Duration = Duration::from_millis(50);

/// Whether PHP has an interrupt pending (a signal for a pcntl handler, a timeout).
pub(crate) fn interrupt_pending() -> bool {
    let eg = ExecutorGlobals::get();
    // SAFETY: `vm_interrupt` is a one-byte atomic boolean (`zend_atomic_bool` since PHP 8.2)
    // that signal handlers set; a volatile byte read is how the engine's own non-atomic
    // fallback reads it.
    unsafe { std::ptr::read_volatile(std::ptr::addr_of!(eg.vm_interrupt).cast::<u8>()) != 0 }
}
