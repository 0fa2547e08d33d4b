//! Fanout: one upload event, several independent services.
//!
//! Every picture upload is published once to the fanout exchange `upload-pictures`, which copies
//! it to each bound queue whatever the routing key: `resize-picture` (make thumbnails),
//! `reward-user` (give the uploader points) and `notify-friends`. Each service consumes its own
//! queue with manual acknowledgements and parses the JSON body
//! `{"image_id":..,"user_id":..,"image_path":..}`.
//!
//! The example publishes a fixed set of uploads, checks that every service saw every upload
//! exactly once with content type `application/json`, and deletes its queues and exchange.
//!
//! ```text
//! cargo run -p warren-examples --bin image_upload -- [URI] [--uploads 8]
//! ```

use std::collections::BTreeSet;
use std::process::ExitCode;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use warren_core::client::{
    BasicConsumeOptions, BasicPublishOptions, Connection, ExchangeDeclareOptions,
    QueueDeclareOptions,
};
use warren_core::{BasicProperties, Channel, Consumer, FieldTable};
use warren_examples::{next_delivery, run, short, Args, Result};

const EXCHANGE: &str = "upload-pictures";
const SERVICES: [&str; 3] = ["resize-picture", "reward-user", "notify-friends"];

/// The event published for each uploaded picture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Upload {
    image_id: u32,
    user_id: u32,
    image_path: String,
}

fn main() -> ExitCode {
    run("image_upload", image_upload)
}

async fn image_upload(args: Args) -> Result<()> {
    let uploads: u32 = args.get("uploads", 8)?;
    let conn = Connection::connect(&args.uri).await?;
    let setup = conn.open_channel().await?;
    setup
        .exchange_declare(
            EXCHANGE,
            "fanout",
            ExchangeDeclareOptions {
                durable: true,
                ..Default::default()
            },
            FieldTable::new(),
        )
        .await?;
    for queue in SERVICES {
        setup
            .queue_declare(
                queue,
                QueueDeclareOptions {
                    durable: true,
                    ..Default::default()
                },
                FieldTable::new(),
            )
            .await?;
        // A fanout exchange ignores the routing key; the binding key can be anything.
        setup
            .queue_bind(queue, EXCHANGE, "", FieldTable::new())
            .await?;
        setup.queue_purge(queue).await?;
    }

    // One consumer per service, each on its own channel.
    let mut services = Vec::new();
    for queue in SERVICES {
        let ch = conn.open_channel().await?;
        ch.basic_qos(10, false).await?;
        let consumer = ch
            .basic_consume(queue, "", BasicConsumeOptions::default(), FieldTable::new())
            .await?;
        services.push(tokio::spawn(serve(queue, consumer, uploads)));
    }

    let sent = publish_uploads(&conn, uploads).await?;
    println!("published {uploads} upload event(s) to fanout exchange {EXCHANGE}");

    let mut failures = Vec::new();
    for (queue, service) in SERVICES.iter().zip(services) {
        let received = service.await??;
        if received != sent {
            let got: BTreeSet<u32> = received.iter().map(|u| u.image_id).collect();
            failures.push(format!(
                "{queue} got {} upload(s), image ids {got:?}",
                received.len()
            ));
        } else {
            println!("{queue}: handled all {} upload(s)", received.len());
        }
    }

    // These queues and the exchange exist only for this demo.
    for queue in SERVICES {
        setup.queue_delete(queue, false, false).await?;
    }
    setup.exchange_delete(EXCHANGE, false).await?;
    conn.close().await?;

    if !failures.is_empty() {
        return Err(failures.join("; ").into());
    }
    println!("OK: every service received every upload exactly once");
    Ok(())
}

/// Publishes `count` uploads (with confirms) and returns them in order.
async fn publish_uploads(conn: &Connection, count: u32) -> Result<Vec<Upload>> {
    let ch = conn.open_channel().await?;
    ch.confirm_select().await?;
    let mut sent = Vec::new();
    for i in 0..count {
        let upload = Upload {
            image_id: 1000 + i,
            user_id: 7 + i % 4,
            image_path: format!("/uploads/user-{}/IMG_{:04}.jpg", 7 + i % 4, 1000 + i),
        };
        let properties = BasicProperties {
            content_type: Some(short("application/json")?),
            ..Default::default()
        };
        ch.basic_publish(
            EXCHANGE,
            "",
            BasicPublishOptions::default(),
            serde_json::to_vec(&upload)?,
            properties,
        )
        .await?;
        sent.push(upload);
    }
    if !ch.wait_for_confirms().await? {
        return Err("the broker nacked an upload event".into());
    }
    ch.close().await?;
    Ok(sent)
}

/// One service: handles `expected` uploads from its queue, then checks that nothing more is
/// waiting, and returns what it handled in arrival order.
async fn serve(queue: &'static str, mut consumer: Consumer, expected: u32) -> Result<Vec<Upload>> {
    let mut handled = Vec::new();
    for _ in 0..expected {
        let delivery = next_delivery(&mut consumer, Duration::from_secs(5)).await?;
        let content_type = delivery.properties.content_type.as_ref();
        if content_type.map(|c| c.as_bytes()) != Some(b"application/json".as_slice()) {
            return Err(format!("{queue}: unexpected content type {content_type:?}").into());
        }
        let upload: Upload = serde_json::from_slice(&delivery.body)
            .map_err(|e| format!("{queue}: bad upload event: {e}"))?;
        match queue {
            "resize-picture" => println!("  resize-picture: thumbnails for {}", upload.image_path),
            "reward-user" => println!("  reward-user: +10 points to user {}", upload.user_id),
            _ => println!(
                "  notify-friends: friends of user {} see image {}",
                upload.user_id, upload.image_id
            ),
        }
        delivery.ack()?;
        handled.push(upload);
    }
    let channel: Channel = consumer.channel().clone();
    consumer.cancel().await?;
    // Anything delivered before the cancel took effect is a duplicate or a stray.
    if let Some(extra) = consumer.next_delivery().await {
        extra?.ack()?;
        return Err(format!("{queue}: received more than {expected} upload(s)").into());
    }
    channel.close().await?;
    Ok(handled)
}
