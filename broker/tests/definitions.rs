//! Definitions on disk: durable exchanges, queues (with arguments) and bindings between
//! durable things, vhosts and users made at run time come back after a restart on the same
//! data directory (in-process, and after SIGKILL of the binary); transient ones do not.

mod support;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use warren_broker::config::UserConfig;
use warren_broker::{Broker, BrokerConfig, BrokerHandle};
use warren_core::client::{Channel, ExchangeDeclareOptions, QueueDeclareOptions};
use warren_core::{Connection, Error, FieldTable, FieldValue};

fn data_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("warren-definitions-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

async fn start(dir: &PathBuf) -> BrokerHandle {
    Broker::start(BrokerConfig::ephemeral().with_data_dir(dir))
        .await
        .expect("start broker on the data dir")
}

fn ttl_args() -> FieldTable {
    let mut t = FieldTable::new();
    t.insert("x-max-priority", FieldValue::LongInt(7)).unwrap();
    t
}

fn durable_ex() -> ExchangeDeclareOptions {
    ExchangeDeclareOptions {
        durable: true,
        ..Default::default()
    }
}

fn durable_q() -> QueueDeclareOptions {
    QueueDeclareOptions {
        durable: true,
        ..Default::default()
    }
}

/// Declares durable and transient things (and a durable binding removed again).
async fn declare_everything(ch: &Channel) {
    ch.exchange_declare("d.topic", "topic", durable_ex(), FieldTable::new())
        .await
        .unwrap();
    ch.exchange_declare("d.fan", "fanout", durable_ex(), FieldTable::new())
        .await
        .unwrap();
    ch.exchange_declare("t.direct", "direct", Default::default(), FieldTable::new())
        .await
        .unwrap();
    ch.queue_declare("d.q", durable_q(), ttl_args())
        .await
        .unwrap();
    ch.queue_declare("d.gone", durable_q(), FieldTable::new())
        .await
        .unwrap();
    ch.queue_declare("t.q", Default::default(), FieldTable::new())
        .await
        .unwrap();
    ch.queue_declare(
        "d.exclusive",
        QueueDeclareOptions {
            durable: true,
            exclusive: true,
            ..Default::default()
        },
        FieldTable::new(),
    )
    .await
    .unwrap();
    ch.queue_bind("d.q", "d.topic", "a.#", FieldTable::new())
        .await
        .unwrap();
    ch.queue_bind("d.q", "d.topic", "removed", FieldTable::new())
        .await
        .unwrap();
    ch.queue_unbind("d.q", "d.topic", "removed", FieldTable::new())
        .await
        .unwrap();
    ch.exchange_bind("d.fan", "d.topic", "b.*", FieldTable::new())
        .await
        .unwrap();
    ch.queue_bind("d.q", "d.fan", "", FieldTable::new())
        .await
        .unwrap();
    // Bindings with a transient end are not durable.
    ch.queue_bind("t.q", "d.topic", "a.#", FieldTable::new())
        .await
        .unwrap();
    ch.queue_bind("d.q", "t.direct", "k", FieldTable::new())
        .await
        .unwrap();
    ch.queue_delete("d.gone", false, false).await.unwrap();
}

/// Whether `name` exists (passive declare on a fresh channel).
async fn queue_exists(conn: &Connection, name: &str) -> bool {
    let ch = conn.open_channel().await.unwrap();
    let passive = QueueDeclareOptions {
        passive: true,
        ..Default::default()
    };
    match ch.queue_declare(name, passive, FieldTable::new()).await {
        Ok(_) => {
            ch.close().await.unwrap();
            true
        }
        Err(Error::ChannelClosed(e)) if e.reply_code == 404 => false,
        Err(e) => panic!("passive declare of {name}: {e}"),
    }
}

async fn exchange_exists(conn: &Connection, name: &str) -> bool {
    let ch = conn.open_channel().await.unwrap();
    let passive = ExchangeDeclareOptions {
        passive: true,
        ..Default::default()
    };
    match ch
        .exchange_declare(name, "topic", passive, FieldTable::new())
        .await
    {
        Ok(()) => {
            ch.close().await.unwrap();
            true
        }
        Err(Error::ChannelClosed(e)) if e.reply_code == 404 => false,
        Err(e) => panic!("passive declare of {name}: {e}"),
    }
}

/// Checks what came back: durable things and their bindings, no transient ones.
async fn check_recovered(uri: &str) {
    let conn = Connection::connect(uri).await.unwrap();
    assert!(exchange_exists(&conn, "d.topic").await);
    assert!(exchange_exists(&conn, "d.fan").await);
    assert!(!exchange_exists(&conn, "t.direct").await);
    assert!(queue_exists(&conn, "d.q").await);
    assert!(!queue_exists(&conn, "d.gone").await);
    assert!(!queue_exists(&conn, "t.q").await);
    assert!(!queue_exists(&conn, "d.exclusive").await);

    let ch = conn.open_channel().await.unwrap();
    // Same arguments: equivalent; other arguments: 406.
    ch.queue_declare("d.q", durable_q(), ttl_args())
        .await
        .unwrap();
    let ch2 = conn.open_channel().await.unwrap();
    match ch2
        .queue_declare("d.q", durable_q(), FieldTable::new())
        .await
    {
        Err(Error::ChannelClosed(e)) => assert_eq!(e.reply_code, 406, "{e}"),
        other => panic!("expected 406, got {other:?}"),
    }
    ch.queue_purge("d.q").await.unwrap();
    // d.topic --a.#--> d.q; d.topic --b.*--> d.fan --> d.q; "removed" is gone.
    for key in ["a.x", "b.y", "removed", "k"] {
        ch.basic_publish(
            "d.topic",
            key,
            Default::default(),
            key.as_bytes().to_vec(),
            Default::default(),
        )
        .await
        .unwrap();
    }
    let mut got = Vec::new();
    let t0 = Instant::now();
    while got.len() < 2 && t0.elapsed() < Duration::from_secs(5) {
        match ch.basic_get("d.q", true).await.unwrap() {
            Some(d) => got.push(String::from_utf8(d.body.to_vec()).unwrap()),
            None => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(ch.basic_get("d.q", true).await.unwrap().is_none());
    got.sort();
    assert_eq!(got, ["a.x", "b.y"]);
    conn.close().await.unwrap();
}

#[tokio::test]
async fn durable_definitions_survive_a_restart_and_transient_ones_do_not() {
    let dir = data_dir("restart");
    let broker = start(&dir).await;
    let (conn, ch) = support::open(&broker).await;
    declare_everything(&ch).await;
    conn.close().await.unwrap();
    broker.shutdown().await;

    let broker = start(&dir).await;
    check_recovered(&broker.amqp_uri()).await;
    broker.shutdown().await;
    // And again: the compacted log reads back the same.
    let broker = start(&dir).await;
    check_recovered(&broker.amqp_uri()).await;
    broker.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn deletions_survive_a_restart() {
    let dir = data_dir("deletions");
    let broker = start(&dir).await;
    let (conn, ch) = support::open(&broker).await;
    declare_everything(&ch).await;
    ch.queue_delete("d.q", false, false).await.unwrap();
    ch.exchange_delete("d.fan", false).await.unwrap();
    conn.close().await.unwrap();
    broker.shutdown().await;

    let broker = start(&dir).await;
    let conn = support::connect(&broker).await;
    assert!(!queue_exists(&conn, "d.q").await);
    assert!(!exchange_exists(&conn, "d.fan").await);
    assert!(exchange_exists(&conn, "d.topic").await);
    conn.close().await.unwrap();
    broker.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn vhosts_and_users_made_at_run_time_survive_a_restart() {
    let dir = data_dir("users");
    let broker = start(&dir).await;
    let admin = broker.admin();
    admin.add_vhost("apps").unwrap();
    admin
        .put_user(UserConfig::new("app", "app-secret").permit("apps", ".*", ".*", ".*"))
        .unwrap();
    admin
        .put_user(UserConfig::new("gone", "x").permit("apps", ".*", ".*", ".*"))
        .unwrap();
    admin.delete_user("gone").unwrap();
    let uri = |user: &str, pw: &str, b: &BrokerHandle| {
        format!("amqp://{user}:{pw}@{}/apps", b.local_addr())
    };
    let conn = Connection::connect(&uri("app", "app-secret", &broker))
        .await
        .unwrap();
    let ch = conn.open_channel().await.unwrap();
    ch.queue_declare("apps.q", durable_q(), FieldTable::new())
        .await
        .unwrap();
    conn.close().await.unwrap();
    broker.shutdown().await;

    // The password is stored hashed, never in plain text.
    let log = std::fs::read(dir.join(warren_broker::storage::definitions::FILE_NAME)).unwrap();
    assert!(!log.windows(10).any(|w| w == b"app-secret"));

    let broker = start(&dir).await;
    let conn = Connection::connect(&uri("app", "app-secret", &broker))
        .await
        .unwrap();
    assert!(queue_exists(&conn, "apps.q").await);
    conn.close().await.unwrap();
    assert!(Connection::connect(&uri("app", "wrong", &broker))
        .await
        .is_err());
    assert!(Connection::connect(&uri("gone", "x", &broker))
        .await
        .is_err());
    broker.shutdown().await;

    // Without a data dir nothing was kept.
    let broker = support::start().await;
    assert!(broker.state().vhost("apps").is_none());
    broker.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(unix)]
#[tokio::test]
async fn durable_definitions_survive_sigkill_of_the_binary() {
    use std::process::{Command, Stdio};

    let dir = data_dir("sigkill");
    let spawn = |addr: std::net::SocketAddr| {
        Command::new(env!("CARGO_BIN_EXE_warren-broker"))
            .env_remove("WARREN_CONFIG")
            .env_remove("WARREN_IN_MEMORY")
            .arg("--listen")
            .arg(addr.to_string())
            .arg("--data-dir")
            .arg(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("run warren-broker")
    };
    let free = || {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
    };
    async fn connect(uri: &str) -> Connection {
        let t0 = Instant::now();
        loop {
            match Connection::connect(uri).await {
                Ok(c) => return c,
                Err(e) if t0.elapsed() > Duration::from_secs(10) => panic!("{uri}: {e}"),
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    }
    let addr = free();
    let mut child = spawn(addr);
    let uri = format!("amqp://guest:guest@{addr}/%2f");
    let conn = connect(&uri).await;
    let ch = conn.open_channel().await.unwrap();
    declare_everything(&ch).await;
    // No clean shutdown: SIGKILL right after the last declare-ok.
    child.kill().unwrap();
    child.wait().unwrap();
    drop(conn);

    let addr = free();
    let mut child = spawn(addr);
    let uri = format!("amqp://guest:guest@{addr}/%2f");
    connect(&uri).await.close().await.unwrap();
    check_recovered(&uri).await;
    child.kill().unwrap();
    child.wait().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn one_broker_per_data_directory() {
    let dir = data_dir("lock");
    let broker = start(&dir).await;
    let second = Broker::start(BrokerConfig::ephemeral().with_data_dir(&dir)).await;
    let err = second.expect_err("a second broker on the same data dir");
    assert!(err.to_string().contains("in use"), "{err}");
    broker.shutdown().await;
    // Free again once the first has stopped.
    start(&dir).await.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}
