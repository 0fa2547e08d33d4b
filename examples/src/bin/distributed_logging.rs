//! Distributed logging with a topic exchange.
//!
//! Servers publish log lines to the topic exchange `logs` with routing keys shaped
//! `server.module.action.level`, e.g. `server1.user.profile.info` or
//! `server2.billing.invoice.error`. Listeners each declare their own exclusive, server-named
//! queue and bind it with a pattern: `*` matches one word, `#` matches zero or more.
//!
//! - `server1.#`: everything server1 logs;
//! - `#.error`: every error, from any server;
//! - `*.auth.*.*`: the auth module on every server.
//!
//! The example publishes a fixed set of log lines and checks that each listener received
//! exactly the lines its pattern selects, in order. To know when a listener has seen
//! everything, every queue is also bound to `control.flush` and a flush marker goes out last:
//! messages from one channel reach a queue in publishing order.
//!
//! ```text
//! cargo run -p warren-examples --bin distributed_logging -- [URI]
//! ```

use std::process::ExitCode;
use std::time::Duration;

use warren_core::client::{
    BasicConsumeOptions, BasicPublishOptions, Connection, ExchangeDeclareOptions,
    QueueDeclareOptions,
};
use warren_core::{BasicProperties, FieldTable};
use warren_examples::{next_delivery, run, short, Args, Result};

const EXCHANGE: &str = "logs";
const FLUSH_KEY: &str = "control.flush";

/// The log lines the servers publish: routing key and text.
const LOG_LINES: [(&str, &str); 8] = [
    ("server1.user.profile.info", "user 42 updated their profile"),
    (
        "server1.billing.invoice.error",
        "invoice 981 could not be rendered",
    ),
    (
        "server2.billing.invoice.error",
        "payment gateway timed out for invoice 982",
    ),
    ("server2.user.login.warning", "3 failed logins for user 17"),
    (
        "server3.auth.token.info",
        "token refreshed for service reports",
    ),
    ("server1.auth.login.debug", "login form rendered in 12 ms"),
    ("server3.auth.token.error", "token signature is invalid"),
    ("server2.search.index.info", "reindexed 1200 documents"),
];

/// Listeners: name, binding pattern, and the routing keys it must receive, in order.
const LISTENERS: [(&str, &str, &[&str]); 3] = [
    (
        "server1-listener",
        "server1.#",
        &[
            "server1.user.profile.info",
            "server1.billing.invoice.error",
            "server1.auth.login.debug",
        ],
    ),
    (
        "error-listener",
        "#.error",
        &[
            "server1.billing.invoice.error",
            "server2.billing.invoice.error",
            "server3.auth.token.error",
        ],
    ),
    (
        "auth-listener",
        "*.auth.*.*",
        &[
            "server3.auth.token.info",
            "server1.auth.login.debug",
            "server3.auth.token.error",
        ],
    ),
];

fn main() -> ExitCode {
    run("distributed_logging", distributed_logging)
}

async fn distributed_logging(args: Args) -> Result<()> {
    let conn = Connection::connect(&args.uri).await?;
    let setup = conn.open_channel().await?;
    setup
        .exchange_declare(
            EXCHANGE,
            "topic",
            ExchangeDeclareOptions::default(),
            FieldTable::new(),
        )
        .await?;

    // Each listener: its own channel, exclusive server-named queue, pattern binding.
    let mut listeners = Vec::new();
    for (name, pattern, expected) in LISTENERS {
        let ch = conn.open_channel().await?;
        let queue = ch
            .queue_declare(
                "",
                QueueDeclareOptions {
                    exclusive: true,
                    ..Default::default()
                },
                FieldTable::new(),
            )
            .await?
            .queue;
        ch.queue_bind(&queue, EXCHANGE, pattern, FieldTable::new())
            .await?;
        ch.queue_bind(&queue, EXCHANGE, FLUSH_KEY, FieldTable::new())
            .await?;
        // Log lines are fire-and-forget: let the broker consider them acknowledged on delivery.
        let consumer = ch
            .basic_consume(
                &queue,
                name,
                BasicConsumeOptions {
                    no_ack: true,
                    ..Default::default()
                },
                FieldTable::new(),
            )
            .await?;
        println!("{name}: queue {queue} bound with {pattern:?}");
        listeners.push(tokio::spawn(listen(name, consumer, expected)));
    }

    // The servers: publish the lines, then the flush marker, with confirms.
    let publisher = conn.open_channel().await?;
    publisher.confirm_select().await?;
    for (key, text) in LOG_LINES.iter().chain([&(FLUSH_KEY, "")]) {
        let properties = BasicProperties {
            content_type: Some(short("text/plain")?),
            ..Default::default()
        };
        publisher
            .basic_publish(
                EXCHANGE,
                key,
                BasicPublishOptions::default(),
                text.as_bytes().to_vec(),
                properties,
            )
            .await?;
    }
    if !publisher.wait_for_confirms().await? {
        return Err("the broker nacked a log line".into());
    }
    println!("published {} log line(s) to {EXCHANGE}", LOG_LINES.len());

    let mut failures = Vec::new();
    for (listener, (name, _, _)) in listeners.into_iter().zip(LISTENERS) {
        if let Err(e) = listener.await? {
            failures.push(format!("{name}: {e}"));
        }
    }

    // The exclusive queues go with the connection; the exchange is this demo's own.
    setup.exchange_delete(EXCHANGE, false).await?;
    conn.close().await?;
    if !failures.is_empty() {
        return Err(failures.join("; ").into());
    }
    println!("OK: every listener received exactly the log lines its pattern selects");
    Ok(())
}

/// Receives until the flush marker and compares what arrived with `expected`.
async fn listen(
    name: &'static str,
    mut consumer: warren_core::Consumer,
    expected: &'static [&'static str],
) -> Result<()> {
    let mut got = Vec::new();
    loop {
        let delivery = next_delivery(&mut consumer, Duration::from_secs(5)).await?;
        let key = delivery.routing_key.as_str().into_owned();
        if key == FLUSH_KEY {
            break;
        }
        println!(
            "  {name} <- [{key}] {}",
            String::from_utf8_lossy(&delivery.body)
        );
        got.push(key);
    }
    if got != expected {
        return Err(format!("received {got:?}, expected {expected:?}").into());
    }
    Ok(())
}
