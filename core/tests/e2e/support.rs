//! Shared helpers: the broker URI, connecting, unique names.

use std::sync::atomic::{AtomicU32, Ordering};

use warren_core::client::Connection;

/// The broker under test.
pub fn uri() -> String {
    std::env::var("WARREN_TEST_URI")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into())
}

/// Connects to the broker under test.
pub async fn connect() -> Connection {
    Connection::connect(&uri())
        .await
        .expect("connect to the broker under test (is it running? set WARREN_TEST_URI)")
}

/// A name no other test (or earlier run) uses.
pub fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "warren-test.{prefix}.{}.{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}
