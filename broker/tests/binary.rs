//! The `warren-broker` binary: flags, environment variables, a TOML config, and a clean
//! shutdown on SIGTERM and SIGINT (clients get 320 CONNECTION_FORCED, exit status 0).

#![cfg(unix)]

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use warren_core::client::{Connection, ConnectionEvent, ConnectionOptions, Events};
use warren_core::Error;

const BIN: &str = env!("CARGO_BIN_EXE_warren-broker");

/// A loopback port nobody listens on right now.
fn free_port() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

fn temp_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("warren-binary-{}-{name}", std::process::id()))
}

const CONFIG: &str = r#"
log_level = "info"
vhosts = ["/", "apps"]

[[users]]
name = "app"
password = "app-secret"

[[users.permissions]]
vhost = "apps"
configure = ".*"
write = ".*"
read = ".*"
"#;

/// The binary, its stderr going to a file (a pipe nobody reads could fill and block it).
struct Broker {
    child: Child,
    log: PathBuf,
}

impl Broker {
    fn spawn(name: &str, configure: impl FnOnce(&mut Command)) -> Broker {
        let log = temp_path(&format!("{name}.log"));
        let mut cmd = Command::new(BIN);
        cmd.env_remove("WARREN_LISTEN")
            .env_remove("WARREN_CONFIG")
            .env_remove("WARREN_LOG")
            .env_remove("WARREN_DATA_DIR")
            // Nothing on disk: these tests are about flags and signals (durability has its
            // own tests, definitions.rs and crash.rs).
            .env("WARREN_IN_MEMORY", "true")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap());
        configure(&mut cmd);
        Broker {
            child: cmd.spawn().expect("run warren-broker"),
            log,
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Connects `uri`, retrying while the broker starts; without recovery, since these tests
    /// watch the connection end when the broker stops.
    async fn connect(&mut self, uri: &str) -> Connection {
        let t0 = Instant::now();
        let options = ConnectionOptions::from_uri(uri)
            .expect("valid URI")
            .without_recovery();
        loop {
            match Connection::connect_with(options.clone()).await {
                Ok(c) => return c,
                Err(e) => {
                    if let Some(status) = self.child.try_wait().unwrap() {
                        panic!("warren-broker exited ({status}): {}", self.log());
                    }
                    assert!(
                        t0.elapsed() < Duration::from_secs(10),
                        "cannot connect to {uri}: {e}; log:\n{}",
                        self.log()
                    );
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        }
    }

    fn signal(&self, name: &str) {
        let ok = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -{name}");
    }

    /// Waits for the exit, failing after `limit`.
    async fn exit_within(&mut self, limit: Duration) -> ExitStatus {
        let t0 = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if t0.elapsed() > limit {
                let _ = self.child.kill();
                panic!(
                    "warren-broker still running after {limit:?}; log:\n{}",
                    self.log()
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        let _ = std::fs::remove_file(&self.log);
    }
}

/// Waits for the connection's close event and returns its reply code.
async fn close_code(conn: &Connection, events: &mut Events) -> u16 {
    let reason = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match events.recv().await {
                Some(ConnectionEvent::Closed(e)) => return e,
                Some(_) => {}
                None => return conn.close_reason(),
            }
        }
    })
    .await
    .expect("the client hears of the shutdown");
    match reason {
        Some(Error::ConnectionClosed(e)) => {
            assert_eq!(
                e.reply_text,
                "CONNECTION_FORCED - broker forced connection closure with reason 'shutdown'"
            );
            e.reply_code
        }
        other => panic!("expected a connection.close from the broker, got {other:?}"),
    }
}

#[tokio::test]
async fn sigterm_closes_connections_with_320_and_exits_0() {
    let addr = free_port();
    let config = temp_path("sigterm.toml");
    std::fs::write(&config, CONFIG).unwrap();
    let mut broker = Broker::spawn("sigterm", |cmd| {
        cmd.arg("--listen")
            .arg(addr.to_string())
            .arg("--config")
            .arg(&config);
    });
    let conn = broker
        .connect(&format!("amqp://app:app-secret@{addr}/apps"))
        .await;
    let ch = conn.open_channel().await.unwrap();
    ch.queue_declare("work", Default::default(), Default::default())
        .await
        .unwrap();
    let mut events = conn.events();
    let t0 = Instant::now();
    broker.signal("TERM");
    assert_eq!(close_code(&conn, &mut events).await, 320);
    let status = broker.exit_within(Duration::from_secs(5)).await;
    assert!(
        status.success(),
        "exit status {status}; log:\n{}",
        broker.log()
    );
    assert!(t0.elapsed() < Duration::from_secs(5));
    let log = broker.log();
    assert!(log.contains("SIGTERM"), "{log}");
    assert!(
        !log.contains("app-secret"),
        "the password must not be logged: {log}"
    );
    std::fs::remove_file(&config).unwrap();
}

#[tokio::test]
async fn environment_variables_and_sigint() {
    let addr = free_port();
    let config = temp_path("env.toml");
    std::fs::write(&config, CONFIG).unwrap();
    let mut broker = Broker::spawn("env", |cmd| {
        cmd.env("WARREN_LISTEN", addr.to_string())
            .env("WARREN_CONFIG", &config)
            .env("WARREN_LOG", "debug");
    });
    let conn = broker
        .connect(&format!("amqp://app:app-secret@{addr}/apps"))
        .await;
    // The file replaced the default guest.
    let guest = Connection::connect(&format!("amqp://guest:guest@{addr}/%2f")).await;
    assert!(
        matches!(guest, Err(Error::AuthenticationFailed(_))),
        "{guest:?}"
    );
    let mut events = conn.events();
    broker.signal("INT");
    assert_eq!(close_code(&conn, &mut events).await, 320);
    let status = broker.exit_within(Duration::from_secs(5)).await;
    assert!(
        status.success(),
        "exit status {status}; log:\n{}",
        broker.log()
    );
    let log = broker.log();
    assert!(log.contains("SIGINT"), "{log}");
    assert!(log.contains("DEBUG"), "WARREN_LOG=debug: {log}");
    std::fs::remove_file(&config).unwrap();
}

#[tokio::test]
async fn flags_override_the_file_and_defaults_apply_without_one() {
    // The file says one port, --listen another: the flag wins.
    let (file_addr, flag_addr) = (free_port(), free_port());
    let config = temp_path("override.toml");
    std::fs::write(&config, format!("listen = \"{file_addr}\"\n{CONFIG}")).unwrap();
    let mut broker = Broker::spawn("override", |cmd| {
        cmd.arg("--config")
            .arg(&config)
            .arg("--listen")
            .arg(flag_addr.to_string())
            .env("WARREN_LISTEN", file_addr.to_string());
    });
    let conn = broker
        .connect(&format!("amqp://app:app-secret@{flag_addr}/apps"))
        .await;
    assert!(std::net::TcpStream::connect(file_addr).is_err());
    drop(conn);
    broker.signal("TERM");
    assert!(broker.exit_within(Duration::from_secs(5)).await.success());
    std::fs::remove_file(&config).unwrap();

    // No file: guest/guest on / (from loopback).
    let addr = free_port();
    let mut broker = Broker::spawn("defaults", |cmd| {
        cmd.arg("--listen").arg(addr.to_string());
    });
    let conn = broker
        .connect(&format!("amqp://guest:guest@{addr}/%2f"))
        .await;
    conn.open_channel().await.unwrap();
    broker.signal("TERM");
    assert!(broker.exit_within(Duration::from_secs(5)).await.success());
}

#[tokio::test]
async fn bad_configuration_exits_2_with_a_message() {
    let config = temp_path("bad.toml");
    std::fs::write(
        &config,
        "[[users]]\nname = \"a\"\npassword = \"p\"\n[[users.permissions]]\nvhost = \"nope\"\nconfigure = \"\"\nwrite = \"\"\nread = \"\"\n",
    )
    .unwrap();
    for (name, args) in [
        (
            "bad-file",
            vec!["--config".to_string(), config.display().to_string()],
        ),
        (
            "missing-file",
            vec!["--config".into(), "/nonexistent/warren.toml".into()],
        ),
        (
            "bad-listen",
            vec!["--listen".into(), "not-an-address".into()],
        ),
        ("bad-log", vec!["--log-level".into(), "warren=[".into()]),
    ] {
        let mut broker = Broker::spawn(name, |cmd| {
            cmd.args(&args);
        });
        let status = broker.exit_within(Duration::from_secs(5)).await;
        assert_eq!(status.code(), Some(2), "{name}: {}", broker.log());
        assert!(!broker.log().is_empty(), "{name}: says why");
    }
    let mut broker = Broker::spawn("bad-file-text", |cmd| {
        cmd.arg("--config").arg(&config);
    });
    broker.exit_within(Duration::from_secs(5)).await;
    assert!(broker.log().contains("vhost 'nope'"), "{}", broker.log());
    std::fs::remove_file(&config).unwrap();
}

#[tokio::test]
async fn a_taken_port_exits_1() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let mut broker = Broker::spawn("taken", |cmd| {
        cmd.arg("--listen").arg(addr.to_string());
    });
    let status = broker.exit_within(Duration::from_secs(5)).await;
    assert_eq!(status.code(), Some(1), "{}", broker.log());
    assert!(broker.log().contains("cannot start"), "{}", broker.log());
}
