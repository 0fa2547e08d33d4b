//! Crash test: the real `warren-broker` binary on a temporary `--data-dir` is killed with
//! SIGKILL at random moments and restarted, `WARREN_CRASH_CYCLES` times (default 5; CI runs
//! 20, see scripts/test.sh), within `WARREN_CRASH_SECONDS` (default 120) overall. Meanwhile
//! publishers in confirm mode send persistent messages with unique ids to a durable queue
//! and a consumer acknowledges what it gets, both reconnecting after every restart. Some
//! kills come right after the start, during recovery. Finally everything left is drained
//! and checked: every confirmed id was consumed; an id consumed more than once was
//! redelivered (`redelivered` set) after its first delivery; no id was made up. Prints
//! `published N, confirmed N, recovered N, duplicates N`.

#![cfg(unix)]

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use rand::{Rng, SeedableRng};
use tokio::sync::watch;
use warren_core::client::{
    BasicConsumeOptions, BasicPublishOptions, Confirmation, QueueDeclareOptions,
};
use warren_core::{BasicProperties, Connection, FieldTable};

const QUEUE: &str = "crash.q";
const PUBLISHERS: usize = 3;
const BATCH: usize = 25;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Broker {
    Down,
    Up(String),
    Stop,
}

#[derive(Default)]
struct Counts {
    published: HashSet<String>,
    confirmed: HashSet<String>,
    /// Every delivery: id and its `redelivered` flag, in the order received.
    consumed: Vec<(String, bool)>,
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn free_port() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

fn spawn(dir: &PathBuf, addr: SocketAddr, log: &PathBuf) -> Child {
    Command::new(env!("CARGO_BIN_EXE_warren-broker"))
        .env_remove("WARREN_CONFIG")
        .env_remove("WARREN_IN_MEMORY")
        .arg("--listen")
        .arg(addr.to_string())
        .arg("--data-dir")
        .arg(dir)
        .arg("--log-level")
        .arg("warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(log)
                .unwrap(),
        )
        .spawn()
        .expect("run warren-broker")
}

/// Connects without automatic recovery: this test reconnects by hand after every restart, to
/// see the broker's behaviour rather than the client's.
async fn connect_once(uri: &str) -> warren_core::Result<Connection> {
    let options = warren_core::client::ConnectionOptions::from_uri(uri)?.without_recovery();
    Connection::connect_with(options).await
}

fn durable() -> QueueDeclareOptions {
    QueueDeclareOptions {
        durable: true,
        ..Default::default()
    }
}

/// Connects to `uri` until it answers (the broker may still be recovering); `None` after 30 s
/// or if the child exited.
async fn connect(uri: &str, child: &mut Child) -> Option<Connection> {
    let t0 = Instant::now();
    loop {
        if let Ok(Ok(c)) = tokio::time::timeout(Duration::from_secs(5), connect_once(uri)).await {
            return Some(c);
        }
        if child.try_wait().unwrap().is_some() || t0.elapsed() > Duration::from_secs(30) {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Waits for the broker to be up; `None` when told to stop.
async fn next_up(rx: &mut watch::Receiver<Broker>) -> Option<String> {
    loop {
        match rx.borrow_and_update().clone() {
            Broker::Up(uri) => return Some(uri),
            Broker::Stop => return None,
            Broker::Down => {}
        }
        if rx.changed().await.is_err() {
            return None;
        }
    }
}

async fn publisher(n: usize, mut rx: watch::Receiver<Broker>, counts: Arc<Mutex<Counts>>) {
    let mut seq = 0u64;
    while let Some(uri) = next_up(&mut rx).await {
        let session = async {
            let conn = connect_once(&uri).await?;
            let ch = conn.open_channel().await?;
            ch.confirm_select().await?;
            ch.queue_declare(QUEUE, durable(), FieldTable::new())
                .await?;
            loop {
                if !matches!(*rx.borrow(), Broker::Up(_)) {
                    return Ok::<(), warren_core::Error>(());
                }
                let mut batch = Vec::with_capacity(BATCH);
                for _ in 0..BATCH {
                    seq += 1;
                    let id = format!("p{n}-{seq}");
                    counts.lock().published.insert(id.clone());
                    let props = BasicProperties {
                        delivery_mode: Some(2),
                        message_id: Some(id.as_str().try_into().unwrap()),
                        ..Default::default()
                    };
                    let confirm = ch
                        .basic_publish(
                            "",
                            QUEUE,
                            BasicPublishOptions::default(),
                            id.clone().into_bytes(),
                            props,
                        )
                        .await?;
                    batch.push((id, confirm));
                }
                for (id, confirm) in batch {
                    match tokio::time::timeout(Duration::from_secs(10), confirm).await {
                        Ok(Ok(Confirmation::Ack)) => {
                            counts.lock().confirmed.insert(id);
                        }
                        Ok(Ok(_)) => {}
                        Ok(Err(e)) => return Err(e),
                        Err(_) => return Ok(()),
                    }
                }
            }
        };
        let _ = session.await;
        // Wait for this broker to go before trying the next one.
        while matches!(&*rx.borrow(), Broker::Up(u) if *u == uri) {
            if rx.changed().await.is_err() {
                return;
            }
        }
    }
}

async fn consumer(mut rx: watch::Receiver<Broker>, counts: Arc<Mutex<Counts>>) {
    while let Some(uri) = next_up(&mut rx).await {
        let session = async {
            let conn = connect_once(&uri).await?;
            let ch = conn.open_channel().await?;
            ch.basic_qos(100, false).await?;
            ch.queue_declare(QUEUE, durable(), FieldTable::new())
                .await?;
            let mut deliveries = ch
                .basic_consume(QUEUE, "", BasicConsumeOptions::default(), FieldTable::new())
                .await?;
            loop {
                let next = tokio::select! {
                    d = deliveries.next_delivery() => d,
                    _ = rx.changed() => return Ok::<(), warren_core::Error>(()),
                };
                let Some(d) = next else {
                    return Ok(());
                };
                let d = d?;
                let id = String::from_utf8_lossy(&d.body).into_owned();
                counts.lock().consumed.push((id, d.redelivered));
                ch.basic_ack(d.delivery_tag, false)?;
            }
        };
        let _ = session.await;
        while matches!(&*rx.borrow(), Broker::Up(u) if *u == uri) {
            if rx.changed().await.is_err() {
                return;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn confirmed_persistent_messages_survive_sigkill() {
    let cycles: usize = env_or("WARREN_CRASH_CYCLES", 5);
    let limit = Duration::from_secs(env_or("WARREN_CRASH_SECONDS", 120));
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("warren-crash-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let log = dir.with_extension("log");
    let _ = std::fs::remove_file(&log);
    let t0 = Instant::now();

    let counts = Arc::new(Mutex::new(Counts::default()));
    let (tx, rx) = watch::channel(Broker::Down);
    let mut workers = Vec::new();
    for n in 0..PUBLISHERS {
        workers.push(tokio::spawn(publisher(n, rx.clone(), counts.clone())));
    }
    workers.push(tokio::spawn(consumer(rx.clone(), counts.clone())));

    let mut rng = rand::rngs::StdRng::from_entropy();
    let mut recovered = 0u64;
    let mut done = 0;
    let mut early_kills = 0;
    while done < cycles && t0.elapsed() < limit {
        done += 1;
        let addr = free_port();
        let mut child = spawn(&dir, addr, &log);
        if rng.gen_ratio(1, 5) {
            // Killed while starting: during recovery, before or just after it listens.
            early_kills += 1;
            tokio::time::sleep(Duration::from_millis(rng.gen_range(0..40))).await;
            child.kill().unwrap();
            child.wait().unwrap();
            continue;
        }
        let uri = format!("amqp://guest:guest@{addr}/%2f");
        let conn = connect(&uri, &mut child).await.unwrap_or_else(|| {
            panic!(
                "warren-broker did not come up in cycle {done}; log:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            )
        });
        let ch = conn.open_channel().await.unwrap();
        let ok = ch
            .queue_declare(QUEUE, durable(), FieldTable::new())
            .await
            .unwrap();
        recovered += u64::from(ok.message_count);
        conn.close().await.unwrap();
        tx.send_replace(Broker::Up(uri));
        tokio::time::sleep(Duration::from_millis(rng.gen_range(50..600))).await;
        child.kill().unwrap();
        child.wait().unwrap();
        tx.send_replace(Broker::Down);
    }
    tx.send_replace(Broker::Stop);
    for w in workers {
        tokio::time::timeout(Duration::from_secs(30), w)
            .await
            .expect("a worker did not stop")
            .unwrap();
    }

    // Last start: drain what is left.
    let addr = free_port();
    let mut child = spawn(&dir, addr, &log);
    let uri = format!("amqp://guest:guest@{addr}/%2f");
    let conn = connect(&uri, &mut child)
        .await
        .expect("warren-broker did not come up for the drain");
    let ch = conn.open_channel().await.unwrap();
    let ok = ch
        .queue_declare(QUEUE, durable(), FieldTable::new())
        .await
        .unwrap();
    recovered += u64::from(ok.message_count);
    while let Some(d) = ch.basic_get(QUEUE, false).await.unwrap() {
        let id = String::from_utf8_lossy(&d.body).into_owned();
        counts.lock().consumed.push((id, d.redelivered));
        ch.basic_ack(d.delivery_tag, false).unwrap();
    }
    conn.close().await.unwrap();
    child.kill().unwrap();
    child.wait().unwrap();

    let c = counts.lock();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut unflagged = Vec::new();
    let mut made_up = Vec::new();
    for (id, redelivered) in &c.consumed {
        let n = seen.entry(id.as_str()).or_default();
        *n += 1;
        if *n > 1 && !redelivered {
            unflagged.push(id.clone());
        }
        if !c.published.contains(id) {
            made_up.push(id.clone());
        }
    }
    let duplicates = c.consumed.len() - seen.len();
    let mut missing: Vec<&String> = c
        .confirmed
        .iter()
        .filter(|id| !seen.contains_key(id.as_str()))
        .collect();
    missing.sort();
    println!(
        "crash test: {done} cycles ({early_kills} killed while starting) in {:.1} s; \
         published {}, confirmed {}, recovered {recovered}, duplicates {duplicates} \
         ({} without redelivered), consumed {} distinct, missing {}",
        t0.elapsed().as_secs_f64(),
        c.published.len(),
        c.confirmed.len(),
        unflagged.len(),
        seen.len(),
        missing.len(),
    );
    assert!(done >= cycles.min(3), "only {done} cycles ran");
    assert!(!c.confirmed.is_empty(), "nothing was confirmed");
    assert!(
        missing.is_empty(),
        "{} confirmed messages are missing, e.g. {:?}",
        missing.len(),
        &missing[..missing.len().min(10)]
    );
    assert!(
        unflagged.is_empty(),
        "{} messages came again without redelivered, e.g. {:?}",
        unflagged.len(),
        &unflagged[..unflagged.len().min(10)]
    );
    assert!(made_up.is_empty(), "unknown ids consumed: {made_up:?}");
    drop(c);
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_file(&log);
}
