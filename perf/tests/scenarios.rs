//! Runs each scenario of the `warren-perf` binary briefly against an in-process
//! warren-broker and checks that the numbers of its JSON line are consistent.

use std::process::Command;

use serde_json::Value;
use warren_broker::{Broker, BrokerConfig, BrokerHandle};
use warren_core::client::{Connection, QueueDeclareOptions};
use warren_core::FieldTable;

async fn broker() -> BrokerHandle {
    Broker::start(BrokerConfig::ephemeral())
        .await
        .expect("start broker")
}

/// Runs `warren-perf ARGS --uri URI --json --quiet`; returns the exit code and the JSON line.
async fn perf(uri: &str, args: &[&str]) -> (i32, Value) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_warren-perf"));
    cmd.args(args).args(["--uri", uri, "--json", "--quiet"]);
    let out = tokio::task::spawn_blocking(move || cmd.output().expect("run warren-perf"))
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("warren-perf {args:?}:\n{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    let json = match lines.as_slice() {
        [line] => serde_json::from_str(line).expect("one JSON line"),
        [] => Value::Null,
        _ => panic!("stdout must be one JSON line, got {stdout:?}"),
    };
    (out.status.code().unwrap_or(-1), json)
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a count: {v}"))
}

/// Nothing the run declared is left: a passive declare of each queue fails.
async fn assert_cleaned_up(uri: &str, summary: &Value) {
    let conn = Connection::connect(uri).await.unwrap();
    for q in summary["per_queue"].as_array().unwrap() {
        let ch = conn.open_channel().await.unwrap();
        let name = q["queue"].as_str().unwrap();
        let passive = QueueDeclareOptions {
            passive: true,
            ..Default::default()
        };
        assert!(
            ch.queue_declare(name, passive, FieldTable::new())
                .await
                .is_err(),
            "queue {name} left behind"
        );
    }
    conn.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_to_one_with_confirms_and_multiple_acks() {
    let b = broker().await;
    let uri = b.amqp_uri();
    let (code, s) = perf(
        &uri,
        &[
            "one-to-one",
            "--messages",
            "20000",
            "--duration",
            "20",
            "--producers",
            "2",
            "--consumers",
            "2",
            "--confirm",
            "200",
            "--ack",
            "multiple",
            "--ack-every",
            "50",
            "--prefetch",
            "200",
            "--size",
            "100",
        ],
    )
    .await;
    assert_eq!(code, 0, "{s}");
    assert_eq!(u(&s["published"]), 20000);
    assert_eq!(u(&s["confirmed"]), 20000);
    assert_eq!(u(&s["nacked"]), 0);
    assert_eq!(u(&s["consumed"]), 20000);
    assert_eq!(s["check"], "exact");
    assert_eq!(u(&s["latency"]["samples"]), 20000);
    let l = &s["latency"];
    assert!(l["p50_us"].as_f64() <= l["p99_us"].as_f64());
    assert!(l["p99_us"].as_f64() <= l["p999_us"].as_f64());
    assert!(l["p999_us"].as_f64() <= l["max_us"].as_f64());
    assert!(s["published_rate"].as_f64().unwrap() > 0.0);
    assert!(s["consumed_rate"].as_f64().unwrap() > 0.0);
    assert_cleaned_up(&uri, &s).await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fanout_every_queue_gets_everything() {
    let b = broker().await;
    let uri = b.amqp_uri();
    let (code, s) = perf(&uri, &["fanout", "--messages", "5000", "--duration", "20"]).await;
    assert_eq!(code, 0, "{s}");
    assert_eq!(u(&s["published"]), 5000);
    let queues = s["per_queue"].as_array().unwrap();
    assert_eq!(queues.len(), 3);
    for q in queues {
        assert_eq!(u(&q["expected"]), 5000);
        assert_eq!(u(&q["consumed"]), 5000);
    }
    assert_eq!(u(&s["consumed"]), 15000);
    assert_eq!(s["check"], "exact");
    assert_cleaned_up(&uri, &s).await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topic_queues_get_exactly_their_messages() {
    let b = broker().await;
    let uri = b.amqp_uri();
    // 8100 messages cycle 100 times through the 81 keys `serverN.module.action.level`.
    let (code, s) = perf(
        &uri,
        &[
            "topic",
            "--messages",
            "8100",
            "--duration",
            "20",
            "--ack",
            "single",
        ],
    )
    .await;
    assert_eq!(code, 0, "{s}");
    assert_eq!(u(&s["published"]), 8100);
    let per_queue: Vec<(String, u64, u64)> = s["per_queue"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| {
            (
                q["binding"].as_str().unwrap().to_string(),
                u(&q["expected"]),
                u(&q["consumed"]),
            )
        })
        .collect();
    assert_eq!(
        per_queue,
        vec![
            ("server1.#".to_string(), 2700, 2700),
            ("#.error".to_string(), 2700, 2700),
            ("*.user.*.info".to_string(), 900, 900),
        ]
    );
    assert_eq!(u(&s["misrouted"]), 0);
    assert_eq!(s["check"], "exact");
    assert_cleaned_up(&uri, &s).await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publish_only_is_bounded_by_duration() {
    let b = broker().await;
    let uri = b.amqp_uri();
    let t = std::time::Instant::now();
    let (code, s) = perf(
        &uri,
        &["publish-only", "--duration", "1", "--confirm", "100"],
    )
    .await;
    assert_eq!(code, 0, "{s}");
    assert!(t.elapsed().as_secs_f64() < 10.0);
    assert!(u(&s["published"]) > 0);
    assert_eq!(s["confirmed"], s["published"]);
    assert_eq!(u(&s["consumed"]), 0);
    assert!(s["publish_seconds"].as_f64().unwrap() < 1.5);
    assert_cleaned_up(&uri, &s).await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publish_only_holds_the_queue_and_measures_the_broker() {
    let b = broker().await;
    let uri = b.amqp_uri();
    // The broker runs in this test process: its RSS is ours.
    let pid = std::process::id().to_string();
    let t = std::time::Instant::now();
    let (code, s) = perf(
        &uri,
        &[
            "publish-only",
            "--messages",
            "5000",
            "--confirm",
            "256",
            "--persistent",
            "--hold",
            "1",
            "--broker-pid",
            &pid,
        ],
    )
    .await;
    assert_eq!(code, 0, "{s}");
    assert!(t.elapsed().as_secs_f64() >= 1.0, "the hold was skipped");
    assert_eq!(u(&s["confirmed"]), 5000);
    // Still queued at the end of the hold, as the broker reports it.
    assert_eq!(u(&s["queued_at_end"]), 5000);
    let rss = &s["broker_rss_kib"];
    for k in ["before", "peak", "end_of_publish", "end_of_hold"] {
        assert!(u(&rss[k]) > 0, "{k}: {rss}");
    }
    assert!(u(&rss["peak"]) >= u(&rss["before"]), "{rss}");
    assert_cleaned_up(&uri, &s).await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prefill_is_bounded_by_its_timeout() {
    let b = broker().await;
    let uri = b.amqp_uri();
    let t = std::time::Instant::now();
    let (code, s) = perf(
        &uri,
        &[
            "consume-only",
            "--prefill",
            "100000000",
            "--prefill-timeout",
            "0.5",
        ],
    )
    .await;
    assert_eq!(code, 1, "{s}");
    assert!(t.elapsed().as_secs_f64() < 15.0);
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consume_only_drains_the_prefill() {
    let b = broker().await;
    let uri = b.amqp_uri();
    let (code, s) = perf(
        &uri,
        &[
            "consume-only",
            "--prefill",
            "10000",
            "--duration",
            "20",
            "--consumers",
            "2",
        ],
    )
    .await;
    assert_eq!(code, 0, "{s}");
    assert_eq!(u(&s["prefill"]), 10000);
    assert_eq!(u(&s["consumed"]), 10000);
    assert_eq!(u(&s["published"]), 0);
    assert_eq!(s["check"], "exact");
    assert_cleaned_up(&uri, &s).await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_holds() {
    let b = broker().await;
    let uri = b.amqp_uri();
    let (code, s) = perf(&uri, &["one-to-one", "--rate", "500", "--duration", "1"]).await;
    assert_eq!(code, 0, "{s}");
    let published = u(&s["published"]);
    assert!((250..=501).contains(&published), "{published}");
    assert_eq!(u(&s["consumed"]), published);
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_are_opened_held_and_measured() {
    let b = broker().await;
    let uri = b.amqp_uri();
    // The broker runs in this test process: its RSS is ours.
    let pid = std::process::id().to_string();
    let (code, s) = perf(
        &uri,
        &[
            "connections",
            "--connections",
            "20",
            "--channels",
            "3",
            "--duration",
            "0.5",
            "--broker-pid",
            &pid,
        ],
    )
    .await;
    assert_eq!(code, 0, "{s}");
    assert_eq!(u(&s["opened"]), 20);
    assert_eq!(u(&s["channels_opened"]), 60);
    assert_eq!(u(&s["failed"]), 0);
    assert_eq!(u(&s["still_open_after_hold"]), 20);
    assert!(u(&s["broker_rss_kib"]["before"]) > 0);
    assert!(u(&s["broker_rss_kib"]["open"]) > 0);
    // Every connection is closed again.
    let start = std::time::Instant::now();
    while b.state().open_connections() > 0 && start.elapsed().as_secs() < 5 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(b.state().open_connections(), 0);
    b.shutdown().await;
}

#[tokio::test]
async fn refuses_non_loopback_and_small_bodies() {
    let (code, s) = perf("amqp://guest:guest@192.0.2.1:5672/%2f", &["one-to-one"]).await;
    assert_eq!(code, 1);
    assert!(s.is_null());
    let (code, _) = perf("amqp://127.0.0.1:1/", &["one-to-one", "--size", "8"]).await;
    assert_eq!(code, 1);
}
