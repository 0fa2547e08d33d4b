//! Heartbeats: with a 1-second heartbeat the broker closes a connection that stays silent for
//! about two intervals, so an idle connection surviving several seconds proves the client
//! sends heartbeats on its own (and copes with the broker's).

use std::time::Duration;

use warren_core::client::BasicConsumeOptions;
use warren_core::{Connection, FieldTable};

use crate::support::*;

const IDLE: Duration = Duration::from_millis(3500);

#[tokio::test]
async fn heartbeats_keep_an_idle_connection_alive() {
    let conn = within("connect", Connection::connect(&uri_with("heartbeat=1")))
        .await
        .unwrap();
    assert_eq!(conn.tuning().heartbeat, 1, "negotiated heartbeat");
    let ch = conn.open_channel().await.unwrap();
    let q = temp_queue(&ch, "heartbeat").await;
    // A consumer waiting through the idle time must still get its message afterwards.
    let mut consumer = within(
        "basic.consume",
        ch.basic_consume(&q, "", BasicConsumeOptions::default(), FieldTable::new()),
    )
    .await
    .unwrap();

    tokio::time::sleep(IDLE).await;

    assert!(
        conn.is_open(),
        "closed while idle: {:?}",
        conn.close_reason()
    );
    assert!(ch.is_open());
    // Declare, publish and get on a fresh queue.
    let q2 = temp_queue(&ch, "heartbeat-after").await;
    publish(&ch, "", &q2, &b"after idling"[..]).await;
    let d = get(&ch, &q2).await.expect("message published after idling");
    assert_eq!(&d.body[..], b"after idling");
    d.ack().unwrap();
    // And the consumer that idled too.
    publish(&ch, "", &q, &b"to the idle consumer"[..]).await;
    let d = next(&mut consumer).await;
    assert_eq!(&d.body[..], b"to the idle consumer");
    d.ack().unwrap();
    within("basic.cancel", consumer.cancel()).await.unwrap();
    within("connection.close", conn.close()).await.unwrap();
}

#[tokio::test]
async fn requested_heartbeat_is_negotiated_down_to_the_smaller_value() {
    // RabbitMQ offers 60 s by default; asking for less gets what was asked for.
    let conn = within("connect", Connection::connect(&uri_with("heartbeat=5")))
        .await
        .unwrap();
    let hb = conn.tuning().heartbeat;
    assert!((1..=5).contains(&hb), "negotiated heartbeat {hb}");
    within("connection.close", conn.close()).await.unwrap();
}
