//! Runs every example binary against the broker under test (`WARREN_TEST_URI`, default the local
//! RabbitMQ) and checks that it succeeds. Each example verifies its own outcome and exits
//! non-zero with a message when something is wrong.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Longer than any example should take; the examples also bound themselves.
const LIMIT: Duration = Duration::from_secs(45);

fn uri() -> String {
    std::env::var("WARREN_TEST_URI")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into())
}

/// Runs `exe` with the broker URI and `extra` arguments; panics with its output on failure.
fn run_example(name: &str, exe: &str, extra: &[&str]) {
    let started = Instant::now();
    let mut child = Command::new(exe)
        .arg(uri())
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("starting {name}: {e}"));
    // Drain the pipes on threads so a chatty example cannot block on a full pipe.
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for the example") {
            break Some(status);
        }
        if started.elapsed() > LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let (out, err) = (out.join().unwrap(), err.join().unwrap());
    match status {
        Some(s) if s.success() => {
            assert!(
                out.lines().any(|l| l.starts_with("OK")),
                "{name} exited 0 without reporting OK\n--- stdout\n{out}\n--- stderr\n{err}"
            );
            eprintln!("{name}: ok in {:?}", started.elapsed());
        }
        Some(s) => panic!("{name} failed ({s})\n--- stdout\n{out}\n--- stderr\n{err}"),
        None => {
            panic!("{name} did not finish within {LIMIT:?}\n--- stdout\n{out}\n--- stderr\n{err}")
        }
    }
}

#[test]
fn batch_processing() {
    run_example(
        "batch_processing",
        env!("CARGO_BIN_EXE_batch_processing"),
        &[],
    );
}

#[test]
fn image_upload() {
    run_example("image_upload", env!("CARGO_BIN_EXE_image_upload"), &[]);
}

#[test]
fn distributed_logging() {
    run_example(
        "distributed_logging",
        env!("CARGO_BIN_EXE_distributed_logging"),
        &[],
    );
}

#[test]
fn rpc() {
    run_example("rpc", env!("CARGO_BIN_EXE_rpc"), &[]);
}

#[test]
fn a_bad_uri_fails_with_a_message() {
    let out = Command::new(env!("CARGO_BIN_EXE_rpc"))
        .arg("amqp://guest:guest@127.0.0.1:1/%2f")
        .output()
        .expect("running rpc");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("rpc: FAILED"), "stderr: {err}");
}
