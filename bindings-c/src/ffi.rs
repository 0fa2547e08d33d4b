//! Every raw-pointer cast of the library, and the panic boundary every entry point runs in.
//!
//! The rest of the crate gets references, strings and slices from here and never touches a
//! raw pointer itself. Each function states what the C caller promised that makes it sound;
//! the header documents those promises on every function.

use std::ffi::{c_void, CStr};
use std::os::raw::c_char;
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::error::{warren_result, Failure, WARREN_INVALID_ARGUMENT, WARREN_OK, WARREN_PANIC};

/// Runs the body of an entry point that returns a `warren_result`: a failure is recorded as
/// the thread's last error and its code returned; a panic becomes `WARREN_PANIC` instead of
/// unwinding into C.
pub(crate) fn boundary(body: impl FnOnce() -> Result<warren_result, Failure>) -> warren_result {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(code)) => code,
        Ok(Err(failure)) => failure.report(),
        Err(panic) => panic_failure(panic).report(),
    }
}

/// Like [`boundary`] for an entry point that cannot fail: `default` if it panics.
pub(crate) fn boundary_or<T>(default: T, body: impl FnOnce() -> T) -> T {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(v) => v,
        Err(panic) => {
            panic_failure(panic).report();
            default
        }
    }
}

fn panic_failure(panic: Box<dyn std::any::Any + Send>) -> Failure {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    Failure::new(
        WARREN_PANIC,
        format!("internal error (please report it): {what}"),
    )
}

/// The object behind a handle, or a `WARREN_NULL_PARAMETER` failure.
///
/// # Safety
/// `ptr` is NULL or a pointer this library returned for a `T` that has not been freed; the
/// object outlives the returned reference (the caller does not free it while the call runs).
pub(crate) unsafe fn object<'a, T>(ptr: *const T, what: &str) -> Result<&'a T, Failure> {
    // SAFETY: non-NULL pointers are live objects of this library (the caller's promise).
    unsafe { ptr.as_ref() }.ok_or_else(|| Failure::null(what))
}

/// Like [`object`], allowing NULL (`None`).
///
/// # Safety
/// As for [`object`].
pub(crate) unsafe fn optional_object<'a, T>(ptr: *const T) -> Option<&'a T> {
    // SAFETY: as for `object`.
    unsafe { ptr.as_ref() }
}

/// Mutable access to an object only one thread may change at a time (properties, tables).
///
/// # Safety
/// As for [`object`], and no other reference to the object is in use during the call (the
/// header documents these objects as not thread-safe for writing).
pub(crate) unsafe fn object_mut<'a, T>(ptr: *mut T, what: &str) -> Result<&'a mut T, Failure> {
    // SAFETY: the caller's promise above.
    unsafe { ptr.as_mut() }.ok_or_else(|| Failure::null(what))
}

/// Hands an object to C.
pub(crate) fn into_handle<T>(value: T) -> *mut T {
    Box::into_raw(Box::new(value))
}

/// Takes an object back from C and drops it; NULL does nothing.
///
/// # Safety
/// `ptr` is NULL or a pointer returned by [`into_handle`] for a `T` that was not freed yet,
/// and no other thread uses it any more.
pub(crate) unsafe fn free_handle<T>(ptr: *mut T) {
    if !ptr.is_null() {
        // SAFETY: it came from Box::into_raw and is freed once (the caller's promise).
        drop(unsafe { Box::from_raw(ptr) });
    }
}

/// A required NUL-terminated UTF-8 string.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string that stays valid during the call.
pub(crate) unsafe fn string<'a>(ptr: *const c_char, what: &str) -> Result<&'a str, Failure> {
    if ptr.is_null() {
        return Err(Failure::null(what));
    }
    // SAFETY: non-NULL and NUL-terminated (the caller's promise).
    let cstr = unsafe { CStr::from_ptr(ptr) };
    cstr.to_str()
        .map_err(|_| Failure::new(WARREN_INVALID_ARGUMENT, format!("{what} is not UTF-8")))
}

/// An optional string: NULL is `default`.
///
/// # Safety
/// As for [`string`].
pub(crate) unsafe fn string_or<'a>(
    ptr: *const c_char,
    default: &'a str,
    what: &str,
) -> Result<&'a str, Failure> {
    if ptr.is_null() {
        Ok(default)
    } else {
        // SAFETY: as for `string`.
        unsafe { string(ptr, what) }
    }
}

/// Bytes given as pointer and length; NULL is allowed when the length is 0.
///
/// # Safety
/// `ptr` is NULL (with `len` 0) or points to `len` readable bytes that stay valid and
/// unchanged during the call.
pub(crate) unsafe fn bytes<'a>(
    ptr: *const u8,
    len: usize,
    what: &str,
) -> Result<&'a [u8], Failure> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(Failure::null(what));
    }
    // SAFETY: `len` readable bytes at `ptr` (the caller's promise); len > 0, ptr non-NULL.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// An out-parameter, checked before any work is done so that a NULL one fails the call
/// without side effects.
pub(crate) struct Out<T>(*mut T);

impl<T> Out<T> {
    /// # Safety
    /// `ptr` is NULL or points to writable memory for a `T` that stays valid during the call.
    pub unsafe fn new(ptr: *mut T, what: &str) -> Result<Out<T>, Failure> {
        if ptr.is_null() {
            Err(Failure::null(what))
        } else {
            Ok(Out(ptr))
        }
    }

    /// Writes the result; called only once the call has succeeded.
    pub fn write(self, value: T) {
        // SAFETY: non-NULL and writable (checked in `new`, promised by the caller). The old
        // contents are not dropped: C memory holds no Rust value that needs dropping.
        unsafe { self.0.write(value) }
    }
}

/// An out-parameter the caller may leave NULL when not interested.
pub(crate) struct OptOut<T>(*mut T);

impl<T> OptOut<T> {
    /// # Safety
    /// As for [`Out::new`], NULL allowed.
    pub unsafe fn new(ptr: *mut T) -> OptOut<T> {
        OptOut(ptr)
    }

    pub fn write(self, value: T) {
        if !self.0.is_null() {
            // SAFETY: as for `Out::write`.
            unsafe { self.0.write(value) }
        }
    }
}

/// Copies `text` into the caller's buffer of `len` bytes, NUL-terminated and cut if needed,
/// and reports the bytes written (without the NUL) in `written` (may be NULL).
///
/// # Safety
/// `buf` is NULL (with `len` 0) or points to `len` writable bytes; `written` is NULL or
/// writable.
pub(crate) unsafe fn copy_text(
    text: &str,
    buf: *mut c_char,
    len: usize,
    written: *mut usize,
) -> Result<warren_result, Failure> {
    let n = if len == 0 {
        0
    } else {
        if buf.is_null() {
            return Err(Failure::null("buf"));
        }
        // SAFETY: `len` writable bytes at `buf` (the caller's promise).
        let dst = unsafe { std::slice::from_raw_parts_mut(buf, len) };
        crate::error::fill_c_chars(dst, text)
    };
    // SAFETY: NULL or writable (the caller's promise).
    unsafe { OptOut::new(written) }.write(n);
    Ok(WARREN_OK)
}

/// A borrowed view of bytes for C: pointer and length, not NUL-terminated.
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Clone, Copy)]
pub struct warren_bytes {
    /// The first byte (NULL when `len` is 0 and there is nothing).
    pub data: *const u8,
    /// How many bytes.
    pub len: usize,
}

impl warren_bytes {
    /// A view of `b`; the caller documents how long it stays valid.
    pub(crate) fn of(b: &[u8]) -> warren_bytes {
        warren_bytes {
            data: b.as_ptr(),
            len: b.len(),
        }
    }

    pub(crate) const EMPTY: warren_bytes = warren_bytes {
        data: std::ptr::null(),
        len: 0,
    };

    /// The bytes a C caller passed in a `warren_bytes`.
    ///
    /// # Safety
    /// As for [`bytes`].
    pub(crate) unsafe fn as_slice<'a>(&self, what: &str) -> Result<&'a [u8], Failure> {
        // SAFETY: as for `bytes`.
        unsafe { bytes(self.data, self.len, what) }
    }
}

/// A C callback's `void *userdata`, carried to the thread that calls the callback.
#[derive(Clone, Copy)]
pub(crate) struct UserData(pub *mut c_void);

// SAFETY: the header documents that callbacks run on a thread of the library, so by
// registering one the application promises its userdata may be used from that thread. The
// library never dereferences it; it only passes it back to the callback.
unsafe impl Send for UserData {}
// SAFETY: as above; it is only copied, never dereferenced.
unsafe impl Sync for UserData {}

/// A borrowed core table seen as a C table.
pub(crate) fn table_view(t: &warren_core::codec::FieldTable) -> *const crate::table::warren_table {
    // `warren_table` is `repr(transparent)` over `FieldTable`: same layout, so the pointer
    // may be read as either. C only reads through it while the owner lives (documented).
    (t as *const warren_core::codec::FieldTable).cast()
}

/// A borrowed core array seen as a C array.
pub(crate) fn array_view(
    a: &Vec<warren_core::codec::FieldValue>,
) -> *const crate::table::warren_array {
    // `warren_array` is `repr(transparent)` over `Vec<FieldValue>` (see `table_view`).
    (a as *const Vec<warren_core::codec::FieldValue>).cast()
}

/// Borrowed core properties seen as C properties.
pub(crate) fn properties_view(
    p: &warren_core::codec::BasicProperties,
) -> *const crate::message::warren_properties {
    // `warren_properties` is `repr(transparent)` over `BasicProperties` (see `table_view`).
    (p as *const warren_core::codec::BasicProperties).cast()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{thread_last_error, WARREN_NULL_PARAMETER};

    #[test]
    fn a_panic_becomes_warren_panic_and_the_last_error() {
        let code = boundary(|| panic!("boom"));
        assert_eq!(code, WARREN_PANIC);
        let last = thread_last_error().expect("recorded");
        assert_eq!(last.code, WARREN_PANIC);
        assert!(last.message.contains("boom"), "{}", last.message);
        assert_eq!(boundary_or(7, || panic!("again")), 7);
    }

    #[test]
    fn failures_are_recorded_and_successes_leave_the_last_error() {
        let code = boundary(|| Err(Failure::null("conn")));
        assert_eq!(code, WARREN_NULL_PARAMETER);
        assert_eq!(boundary(|| Ok(WARREN_OK)), WARREN_OK);
        assert_eq!(
            thread_last_error().map(|f| f.code),
            Some(WARREN_NULL_PARAMETER)
        );
    }

    #[test]
    fn null_pointers_are_refused_before_use() {
        // SAFETY: NULL is within every function's contract.
        unsafe {
            assert!(object::<u8>(std::ptr::null(), "x").is_err());
            assert!(string(std::ptr::null(), "s").is_err());
            assert_eq!(string_or(std::ptr::null(), "d", "s").unwrap(), "d");
            assert_eq!(bytes(std::ptr::null(), 0, "b").unwrap(), &[] as &[u8]);
            assert!(bytes(std::ptr::null(), 3, "b").is_err());
            assert!(Out::<u32>::new(std::ptr::null_mut(), "out").is_err());
        }
    }

    #[test]
    fn invalid_utf8_is_an_invalid_argument() {
        let bad = [0xffu8, 0xfe, 0];
        // SAFETY: a NUL-terminated buffer that lives through the call.
        let err = unsafe { string(bad.as_ptr().cast(), "name") }.unwrap_err();
        assert_eq!(err.code, WARREN_INVALID_ARGUMENT);
    }
}
