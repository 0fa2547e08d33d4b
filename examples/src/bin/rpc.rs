//! Request/reply (RPC) over AMQP.
//!
//! A server consumes requests from the queue `warren-rpc-fib`, computes a Fibonacci number and
//! publishes the answer to the queue named in the request's `reply_to`, copying its
//! `correlation_id`. The client declares an exclusive, server-named queue for its replies,
//! puts that name in `reply_to` and a fresh `correlation_id` on every request, and matches
//! replies to requests by it.
//!
//! The example makes a few calls one at a time, then sends a batch of requests at once and
//! matches the replies (which could arrive in any order with more than one server), checks
//! every answer, and removes the request queue.
//!
//! ```text
//! cargo run -p warren-examples --bin rpc -- [URI] [--calls 10]
//! ```

use std::collections::HashMap;
use std::process::ExitCode;
use std::time::Duration;

use warren_core::client::{
    BasicConsumeOptions, BasicPublishOptions, Connection, QueueDeclareOptions,
};
use warren_core::{BasicProperties, Channel, Consumer, FieldTable};
use warren_examples::{next_delivery, run, short, Args, Result};

const RPC_QUEUE: &str = "warren-rpc-fib";
const SERVER_TAG: &str = "fib-server";

fn main() -> ExitCode {
    run("rpc", rpc)
}

fn fib(n: u32) -> u64 {
    let (mut a, mut b) = (0u64, 1u64);
    for _ in 0..n {
        (a, b) = (b, a.wrapping_add(b));
    }
    a
}

async fn rpc(args: Args) -> Result<()> {
    let calls: u32 = args.get("calls", 10)?;

    // ---- the server ----
    let server_conn = Connection::connect(&args.uri).await?;
    let server_ch = server_conn.open_channel().await?;
    server_ch
        .queue_declare(RPC_QUEUE, QueueDeclareOptions::default(), FieldTable::new())
        .await?;
    server_ch.queue_purge(RPC_QUEUE).await?;
    server_ch.basic_qos(1, false).await?;
    let requests = server_ch
        .basic_consume(
            RPC_QUEUE,
            SERVER_TAG,
            BasicConsumeOptions::default(),
            FieldTable::new(),
        )
        .await?;
    let server = tokio::spawn(serve(server_ch.clone(), requests));

    // ---- the client ----
    let client_conn = Connection::connect(&args.uri).await?;
    let mut client = RpcClient::new(&client_conn).await?;
    println!("client: replies go to {}", client.reply_queue);

    let mut failures = Vec::new();
    // One call at a time.
    for n in 0..calls {
        let answer = client.call(n).await?;
        println!("client: fib({n}) = {answer}");
        if answer != fib(n) {
            failures.push(format!("fib({n}) came back as {answer}"));
        }
    }
    // A batch in flight together, matched by correlation id.
    let mut pending = HashMap::new();
    for n in 50..50 + calls {
        pending.insert(client.send(n).await?, n);
    }
    let sent = pending.len();
    while !pending.is_empty() {
        let (correlation_id, answer) = client.receive().await?;
        match pending.remove(&correlation_id) {
            Some(n) if answer == fib(n) => {}
            Some(n) => failures.push(format!("fib({n}) came back as {answer}")),
            None => failures.push(format!(
                "reply with unknown correlation id {correlation_id}"
            )),
        }
    }
    println!("client: {sent} pipelined call(s) answered");

    // ---- clean up ----
    server_ch.basic_cancel(SERVER_TAG).await?;
    let served = server.await??;
    server_ch.queue_delete(RPC_QUEUE, false, false).await?;
    client_conn.close().await?;
    server_conn.close().await?;
    println!("server: answered {served} request(s)");
    if served != 2 * calls as usize {
        failures.push(format!(
            "server answered {served} requests, not {}",
            2 * calls
        ));
    }
    if !failures.is_empty() {
        return Err(failures.join("; ").into());
    }
    println!("OK: every reply matched its request");
    Ok(())
}

/// The server loop: answers requests until its consumer is cancelled; returns how many.
async fn serve(ch: Channel, mut requests: Consumer) -> Result<usize> {
    let mut served = 0;
    while let Some(request) = requests.next_delivery().await {
        let request = request?;
        let (Some(reply_to), Some(correlation_id)) = (
            request.properties.reply_to.clone(),
            request.properties.correlation_id.clone(),
        ) else {
            // Nobody to answer: drop the request rather than requeue it forever.
            request.reject(false)?;
            continue;
        };
        let answer = std::str::from_utf8(&request.body)
            .ok()
            .and_then(|s| s.parse::<u32>().ok())
            .map(|n| fib(n).to_string())
            .unwrap_or_else(|| "error: expected a number".into());
        let properties = BasicProperties {
            correlation_id: Some(correlation_id),
            ..Default::default()
        };
        ch.basic_publish(
            "",
            &reply_to.as_str(),
            BasicPublishOptions::default(),
            answer.into_bytes(),
            properties,
        )
        .await?;
        request.ack()?;
        served += 1;
    }
    Ok(served)
}

/// The client side: a reply queue and a consumer on it.
struct RpcClient {
    ch: Channel,
    reply_queue: String,
    replies: Consumer,
    next_id: u64,
}

impl RpcClient {
    async fn new(conn: &Connection) -> Result<RpcClient> {
        let ch = conn.open_channel().await?;
        // Exclusive and server-named: private to this client, deleted when it disconnects.
        let reply_queue = ch
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
        let replies = ch
            .basic_consume(
                &reply_queue,
                "",
                BasicConsumeOptions {
                    no_ack: true,
                    ..Default::default()
                },
                FieldTable::new(),
            )
            .await?;
        Ok(RpcClient {
            ch,
            reply_queue,
            replies,
            next_id: 0,
        })
    }

    /// Sends a request for fib(n); returns its correlation id.
    async fn send(&mut self, n: u32) -> Result<String> {
        self.next_id += 1;
        let correlation_id = format!("{}-{}", std::process::id(), self.next_id);
        let properties = BasicProperties {
            reply_to: Some(short(&self.reply_queue)?),
            correlation_id: Some(short(&correlation_id)?),
            ..Default::default()
        };
        self.ch
            .basic_publish(
                "",
                RPC_QUEUE,
                BasicPublishOptions::default(),
                n.to_string().into_bytes(),
                properties,
            )
            .await?;
        Ok(correlation_id)
    }

    /// The next reply: its correlation id and answer.
    async fn receive(&mut self) -> Result<(String, u64)> {
        let reply = next_delivery(&mut self.replies, Duration::from_secs(5)).await?;
        let correlation_id = reply
            .properties
            .correlation_id
            .as_ref()
            .map(|c| c.as_str().into_owned())
            .ok_or("a reply without a correlation id")?;
        let text = String::from_utf8_lossy(&reply.body);
        let answer = text
            .parse()
            .map_err(|_| format!("the server answered {text:?}"))?;
        Ok((correlation_id, answer))
    }

    /// Sends a request and waits for its reply, skipping stale replies to earlier requests.
    async fn call(&mut self, n: u32) -> Result<u64> {
        let id = self.send(n).await?;
        loop {
            let (correlation_id, answer) = self.receive().await?;
            if correlation_id == id {
                return Ok(answer);
            }
        }
    }
}
