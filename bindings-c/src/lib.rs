//! The C API of Warren: `libwarren.so` / `libwarren.a` and `include/warren.h`.
//!
//! A thin layer over `warren_core::client::blocking`: every function converts its arguments,
//! calls the core, and converts the result. The protocol, heartbeats, recovery and buffering
//! all live in the core. Conventions follow rustls-ffi: opaque types, `_new`/`_free` pairs
//! that accept NULL, numbered [`warren_result`] codes, out-parameters written only on
//! success, every entry point inside a panic boundary, every raw pointer handled in [`ffi`].
//!
//! Modules: `error` (codes and the last error), `ffi` (pointer casts, panic boundary),
//! `table` (field tables and values), `message` (properties, deliveries, returns, confirms),
//! `connection` (options, connections, events, the pollable descriptor, RPC), `channel`.

#![allow(non_camel_case_types)]
// Every extern "C" function checks its pointers itself (through `ffi`) and documents its
// contract in the header; marking them `unsafe fn` would say nothing more to a C caller.
#![allow(clippy::not_unsafe_ptr_arg_deref)]
// C enumerators carry their type's prefix (WARREN_EVENT_...), and C functions take every
// argument explicitly.
#![allow(clippy::enum_variant_names, clippy::too_many_arguments)]

pub mod channel;
pub mod connection;
pub mod error;
pub mod ffi;
pub mod message;
pub mod table;

use std::os::raw::c_char;
use std::time::Duration;

pub use error::warren_result;
use error::{warren_error, Failure, WARREN_EMPTY, WARREN_INVALID_ARGUMENT, WARREN_OK};
use ffi::{boundary, Out};

/// A C timeout in milliseconds as a Rust one: negative waits forever (`None`).
pub(crate) fn timeout(ms: i32) -> Option<Duration> {
    u64::try_from(ms).ok().map(Duration::from_millis)
}

/// The library's version, e.g. "0.1.0" (a static string).
#[no_mangle]
pub extern "C" fn warren_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// Writes a description of `result` into `buf` (`len` bytes, NUL-terminated, cut if
/// needed) and its length without the NUL into `*written` (may be NULL).
/// WARREN_INVALID_ARGUMENT for a number that is no warren_result.
#[no_mangle]
pub extern "C" fn warren_result_message(
    result: u32,
    buf: *mut c_char,
    len: usize,
    written: *mut usize,
) -> warren_result {
    boundary(|| {
        let code = warren_result::from_u32(result).ok_or_else(|| {
            Failure::new(
                WARREN_INVALID_ARGUMENT,
                format!("{result} is not a warren_result"),
            )
        })?;
        // SAFETY: `buf` has `len` writable bytes, `written` is NULL or writable (documented).
        unsafe { ffi::copy_text(code.description(), buf, len, written) }
    })
}

/// The last error of a call made on this thread (like errno: a later failure replaces it,
/// a success leaves it). WARREN_EMPTY if no call on this thread has failed.
#[no_mangle]
pub extern "C" fn warren_last_error(error: *mut warren_error) -> warren_result {
    boundary(|| {
        // SAFETY: writable (documented).
        let out = unsafe { Out::new(error, "error")? };
        Ok(match error::thread_last_error() {
            Some(f) => {
                out.write(warren_error::from_failure(&f));
                WARREN_OK
            }
            None => WARREN_EMPTY,
        })
    })
}

/// Writes an optional last failure to a C `warren_error`.
pub(crate) fn write_last_error(
    failure: Option<Failure>,
    error: *mut warren_error,
) -> Result<warren_result, Failure> {
    // SAFETY: writable (documented by every caller's entry point).
    let out = unsafe { Out::new(error, "error")? };
    Ok(match failure {
        Some(f) => {
            out.write(warren_error::from_failure(&f));
            WARREN_OK
        }
        None => WARREN_EMPTY,
    })
}
