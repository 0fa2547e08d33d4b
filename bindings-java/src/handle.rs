//! Native objects Java holds as `long` handles: the only place raw pointers are made or read.
//!
//! A handle is a `Box<T>` turned into a pointer. Java's `NativeHandle` counts the calls in
//! flight on it and frees it (once) only when it is closed and no call is running, so a
//! pointer this module reads is always live.

use std::sync::OnceLock;

use warren_core::client::blocking;

/// What a Java `WarrenConnection` owns.
pub struct ConnectionHandle {
    /// The connection (clones share it).
    pub conn: blocking::Connection,
    /// The connection's events, subscribed when it opened so none is missed; read by the Java
    /// connection's event thread only.
    pub events: std::sync::Mutex<blocking::Events>,
}

/// What a Java `WarrenChannel` owns.
pub struct ChannelHandle {
    /// The channel.
    pub ch: blocking::Channel,
    /// Where the channel's consumers deliver; made by the first `basicConsume`, read by the
    /// channel's dispatcher thread.
    pub inbox: OnceLock<blocking::Inbox>,
    /// Its connection, to make the inbox.
    pub conn: blocking::Connection,
    /// Publisher confirms for confirm listeners, subscribed by the first listener.
    pub confirms: OnceLock<blocking::ConfirmEvents>,
}

/// What a Java `RpcClient` owns.
pub struct RpcHandle {
    /// The core RPC client (a channel of its own, direct reply-to).
    pub rpc: blocking::RpcClient,
}

/// Gives `value` to Java as a handle.
pub fn into_handle<T>(value: T) -> i64 {
    Box::into_raw(Box::new(value)) as i64
}

/// Borrows the object behind a handle.
///
/// # Safety
///
/// `handle` must come from [`into_handle`] with the same `T`, and not have been passed to
/// [`free_handle`]. Java's `NativeHandle` guarantees both: it passes the handle only while it
/// holds a use count, and frees it only once, after the last use ended.
pub unsafe fn borrow<'a, T>(handle: i64) -> Option<&'a T> {
    // SAFETY: per the contract above the pointer is a live Box<T> (or 0, refused here).
    unsafe { (handle as *const T).as_ref() }
}

/// Frees the object behind a handle.
///
/// # Safety
///
/// As for [`borrow`], and no borrow may be in use or made afterwards.
pub unsafe fn free_handle<T>(handle: i64) {
    if handle != 0 {
        // SAFETY: the pointer came from Box::into_raw (see the contract) and is freed once.
        drop(unsafe { Box::from_raw(handle as *mut T) });
    }
}
