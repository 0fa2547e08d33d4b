//! `warren-perf`: measures a broker with warren-core's client.
//!
//! This first version runs the `one-to-one` scenario (P producers → one queue → C consumers),
//! bounded by a message count and a time limit; the benchmark issue grows it into the full
//! scenario list with latency percentiles and JSON output.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::Parser;
use warren_core::client::{
    BasicConsumeOptions, BasicPublishOptions, Connection, QueueDeclareOptions,
};
use warren_core::{BasicProperties, FieldTable};

/// Load generator for AMQP 0-9-1 brokers.
#[derive(Debug, Parser)]
struct Args {
    /// Broker URI (loopback only).
    #[arg(long, default_value = "amqp://guest:guest@127.0.0.1:5672/%2f")]
    uri: String,
    /// Messages to publish in total.
    #[arg(long, default_value_t = 500_000)]
    messages: u64,
    /// Body size in bytes.
    #[arg(long, default_value_t = 16)]
    size: usize,
    /// Producers.
    #[arg(long, default_value_t = 1)]
    producers: usize,
    /// Consumers.
    #[arg(long, default_value_t = 1)]
    consumers: usize,
    /// Consumers acknowledge manually (otherwise no-ack).
    #[arg(long)]
    manual_ack: bool,
    /// Prefetch for manual-ack consumers.
    #[arg(long, default_value_t = 1000)]
    prefetch: u16,
    /// Publisher confirm window (0: no confirms).
    #[arg(long, default_value_t = 0)]
    confirm: usize,
    /// Persistent messages on a durable queue.
    #[arg(long)]
    persistent: bool,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 60)]
    time_limit: u64,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    if let Err(e) = run(args).await {
        eprintln!("warren-perf: {e}");
        std::process::exit(1);
    }
}

async fn run(args: Args) -> warren_core::Result<()> {
    let queue = format!("warren-perf-{}", std::process::id());
    let setup = Connection::connect(&args.uri).await?;
    let ch = setup.open_channel().await?;
    let opts = QueueDeclareOptions {
        durable: args.persistent,
        auto_delete: false,
        ..Default::default()
    };
    ch.queue_declare(&queue, opts, FieldTable::new()).await?;
    ch.queue_purge(&queue).await?;

    let consumed = Arc::new(AtomicU64::new(0));
    let target = args.messages;
    let deadline = Instant::now() + Duration::from_secs(args.time_limit);
    let mut consumer_tasks = Vec::new();
    for _ in 0..args.consumers {
        let conn = Connection::connect(&args.uri).await?;
        let ch = conn.open_channel().await?;
        if args.manual_ack {
            ch.basic_qos(args.prefetch, false).await?;
        }
        let no_ack = !args.manual_ack;
        let mut consumer = ch
            .basic_consume(
                &queue,
                "",
                BasicConsumeOptions {
                    no_ack,
                    ..Default::default()
                },
                FieldTable::new(),
            )
            .await?;
        let consumed = consumed.clone();
        consumer_tasks.push(tokio::spawn(async move {
            let _conn = conn;
            let mut n = 0u64;
            loop {
                let next = tokio::time::timeout_at(deadline.into(), consumer.next_delivery()).await;
                let Ok(Some(Ok(d))) = next else { break };
                n += 1;
                if !no_ack && n.is_multiple_of(100) {
                    let _ = d.ack_multiple();
                }
                if consumed.fetch_add(1, Ordering::Relaxed) + 1 >= target {
                    if !no_ack {
                        let _ = d.ack_multiple();
                    }
                    break;
                }
            }
        }));
    }

    let body = Bytes::from(vec![b'x'; args.size]);
    let start = Instant::now();
    let per_producer = args.messages / args.producers as u64;
    let mut producer_tasks = Vec::new();
    for _ in 0..args.producers {
        let conn = Connection::connect(&args.uri).await?;
        let ch = conn.open_channel().await?;
        if args.confirm > 0 {
            ch.confirm_select().await?;
        }
        let queue = queue.clone();
        let body = body.clone();
        let window = args.confirm;
        let persistent = args.persistent;
        producer_tasks.push(tokio::spawn(async move {
            let _conn = conn;
            let props = BasicProperties {
                delivery_mode: persistent.then_some(2),
                ..Default::default()
            };
            let mut inflight = std::collections::VecDeque::new();
            for _ in 0..per_producer {
                let c = ch
                    .basic_publish(
                        "",
                        &queue,
                        BasicPublishOptions::default(),
                        body.clone(),
                        props.clone(),
                    )
                    .await?;
                if window > 0 {
                    inflight.push_back(c);
                    if inflight.len() >= window {
                        if let Some(c) = inflight.pop_front() {
                            c.await?;
                        }
                    }
                }
            }
            for c in inflight {
                c.await?;
            }
            Ok::<_, warren_core::Error>(())
        }));
    }
    for t in producer_tasks {
        t.await
            .map_err(|e| warren_core::Error::Protocol(e.to_string()))??;
    }
    let published_in = start.elapsed();
    for t in consumer_tasks {
        let _ = t.await;
    }
    let elapsed = start.elapsed();
    let n = consumed.load(Ordering::Relaxed);
    println!(
        "one-to-one: published {} in {:.2}s ({:.0} msg/s), consumed {n} in {:.2}s ({:.0} msg/s)",
        per_producer * args.producers as u64,
        published_in.as_secs_f64(),
        (per_producer * args.producers as u64) as f64 / published_in.as_secs_f64(),
        elapsed.as_secs_f64(),
        n as f64 / elapsed.as_secs_f64()
    );
    let _ = ch.queue_delete(&queue, false, false).await;
    setup.close().await?;
    Ok(())
}
