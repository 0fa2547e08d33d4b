use std::time::Duration;

use warren_core::client::{BasicConsumeOptions, BasicPublishOptions, QueueDeclareOptions};
use warren_core::{BasicProperties, FieldTable};

use crate::support::{connect, unique};

#[tokio::test]
async fn publish_consume_ack_round_trip() {
    let conn = connect().await;
    let ch = conn.open_channel().await.unwrap();
    let q = unique("roundtrip");
    let ok = ch
        .queue_declare(
            &q,
            QueueDeclareOptions {
                exclusive: true,
                ..Default::default()
            },
            FieldTable::new(),
        )
        .await
        .unwrap();
    assert_eq!(ok.queue, q);
    ch.basic_publish(
        "",
        &q,
        BasicPublishOptions::default(),
        &b"hello"[..],
        BasicProperties::default(),
    )
    .await
    .unwrap();
    let mut consumer = ch
        .basic_consume(&q, "", BasicConsumeOptions::default(), FieldTable::new())
        .await
        .unwrap();
    let d = tokio::time::timeout(Duration::from_secs(5), consumer.next_delivery())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(&d.body[..], b"hello");
    assert_eq!(d.routing_key, q.as_str());
    d.ack().unwrap();
    consumer.cancel().await.unwrap();
    ch.close().await.unwrap();
    conn.close().await.unwrap();
}
