//! After `fork()`, a connection of the parent refuses to work in the child (it would share
//! the parent's socket) with `Error::UsedAfterFork`, the child can open connections of its
//! own, and the parent's connection is unaffected. Against `WARREN_TEST_URI`.

#![cfg(target_os = "linux")]

use warren_core::client::blocking::Connection;
use warren_core::client::QueueDeclareOptions;
use warren_core::{Error, FieldTable};

fn uri() -> String {
    std::env::var("WARREN_TEST_URI")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into())
}

/// What the child checks; its exit code says which check failed (0: all passed).
fn in_child(parent_conn: &Connection) -> i32 {
    match parent_conn.open_channel() {
        Err(Error::UsedAfterFork { .. }) => {}
        _ => return 1,
    }
    // Dropping the parent's handles in the child must neither block nor touch the socket.
    let own = match Connection::connect(&uri()) {
        Ok(c) => c,
        Err(_) => return 2,
    };
    let ch = match own.open_channel() {
        Ok(c) => c,
        Err(_) => return 3,
    };
    let exclusive = QueueDeclareOptions {
        exclusive: true,
        ..Default::default()
    };
    if ch.queue_declare("", exclusive, FieldTable::new()).is_err() {
        return 4;
    }
    if own.close().is_err() {
        return 5;
    }
    0
}

#[test]
fn a_forked_child_refuses_the_parents_connection_and_opens_its_own() {
    let conn = Connection::connect(&uri()).unwrap();
    let ch = conn.open_channel().unwrap();
    // SAFETY: the child runs only `in_child` (which uses this library's fork-aware paths and
    // the allocator, which glibc keeps usable across fork) and leaves with _exit, running no
    // destructors or atexit handlers of the parent.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let code = in_child(&conn);
        unsafe { libc::_exit(code) };
    }
    let mut status = 0;
    // SAFETY: waits for the child just forked; `status` is a valid out-pointer.
    let waited = unsafe { libc::waitpid(pid, &mut status, 0) };
    assert_eq!(waited, pid);
    assert!(
        libc::WIFEXITED(status),
        "child did not exit normally: {status}"
    );
    assert_eq!(
        libc::WEXITSTATUS(status),
        0,
        "child check failed (see in_child)"
    );
    // The parent's connection carries on.
    ch.queue_declare(
        "",
        QueueDeclareOptions {
            exclusive: true,
            ..Default::default()
        },
        FieldTable::new(),
    )
    .unwrap();
    conn.close().unwrap();
}
