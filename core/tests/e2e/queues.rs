//! Queues: server-named queues, passive declare, the counts in declare-ok, purge-ok and
//! delete-ok, and bindings.

use warren_core::client::{BasicConsumeOptions, QueueDeclareOptions};
use warren_core::FieldTable;

use crate::support::*;

fn passive() -> QueueDeclareOptions {
    QueueDeclareOptions {
        passive: true,
        ..Default::default()
    }
}

#[tokio::test]
async fn empty_name_gives_a_server_named_queue() {
    let (conn, ch) = open_confirming().await;
    let ok = within(
        "queue.declare",
        ch.queue_declare(
            "",
            QueueDeclareOptions {
                exclusive: true,
                ..Default::default()
            },
            FieldTable::new(),
        ),
    )
    .await
    .unwrap();
    assert!(
        ok.queue.starts_with("amq.gen-"),
        "server-generated name {:?}",
        ok.queue
    );
    assert_eq!((ok.message_count, ok.consumer_count), (0, 0));

    // Two server-named queues never share a name.
    let other = within(
        "queue.declare",
        ch.queue_declare(
            "",
            QueueDeclareOptions {
                exclusive: true,
                ..Default::default()
            },
            FieldTable::new(),
        ),
    )
    .await
    .unwrap();
    assert_ne!(ok.queue, other.queue);

    // The generated name is a real queue: reachable through the default exchange.
    publish_confirmed(&ch, "", &ok.queue, &b"to generated"[..], Default::default()).await;
    assert_eq!(drain(&ch, &ok.queue).await, vec![b"to generated".to_vec()]);
    conn.close().await.unwrap();
}

#[tokio::test]
async fn declare_ok_reports_message_and_consumer_counts() {
    let (conn, ch) = open_confirming().await;
    let q = temp_queue(&ch, "counts").await;
    for i in 0..3u8 {
        publish_confirmed(&ch, "", &q, vec![i], Default::default()).await;
    }
    let ok = within(
        "passive queue.declare",
        ch.queue_declare(&q, passive(), FieldTable::new()),
    )
    .await
    .unwrap();
    assert_eq!(ok.queue, q);
    assert_eq!((ok.message_count, ok.consumer_count), (3, 0));

    // A non-passive redeclare with the same options reports the same counts.
    let again = within(
        "queue.declare",
        ch.queue_declare(
            &q,
            QueueDeclareOptions {
                exclusive: true,
                ..Default::default()
            },
            FieldTable::new(),
        ),
    )
    .await
    .unwrap();
    assert_eq!((again.message_count, again.consumer_count), (3, 0));

    // Consumers are counted; an empty queue keeps them idle.
    let idle = temp_queue(&ch, "counts-consumers").await;
    let c1 = within(
        "basic.consume",
        ch.basic_consume(&idle, "", BasicConsumeOptions::default(), FieldTable::new()),
    )
    .await
    .unwrap();
    let c2 = within(
        "basic.consume",
        ch.basic_consume(&idle, "", BasicConsumeOptions::default(), FieldTable::new()),
    )
    .await
    .unwrap();
    let ok = within(
        "passive queue.declare",
        ch.queue_declare(&idle, passive(), FieldTable::new()),
    )
    .await
    .unwrap();
    assert_eq!((ok.message_count, ok.consumer_count), (0, 2));
    within("basic.cancel", c1.cancel()).await.unwrap();
    let ok = within(
        "passive queue.declare",
        ch.queue_declare(&idle, passive(), FieldTable::new()),
    )
    .await
    .unwrap();
    assert_eq!((ok.message_count, ok.consumer_count), (0, 1));
    within("basic.cancel", c2.cancel()).await.unwrap();
    conn.close().await.unwrap();
}

#[tokio::test]
async fn passive_declare_from_another_connection_sees_a_shared_queue() {
    let (conn, ch) = open_confirming().await;
    let q = unique("shared");
    within(
        "queue.declare",
        ch.queue_declare(
            &q,
            QueueDeclareOptions {
                auto_delete: true,
                ..Default::default()
            },
            FieldTable::new(),
        ),
    )
    .await
    .unwrap();
    publish_confirmed(&ch, "", &q, &b"x"[..], Default::default()).await;

    let (other, och) = open().await;
    let ok = within(
        "passive queue.declare",
        och.queue_declare(&q, passive(), FieldTable::new()),
    )
    .await
    .unwrap();
    assert_eq!((ok.queue.as_str(), ok.message_count), (q.as_str(), 1));
    other.close().await.unwrap();

    assert_eq!(
        within("queue.delete", ch.queue_delete(&q, false, false))
            .await
            .unwrap(),
        1
    );
    conn.close().await.unwrap();
}

#[tokio::test]
async fn purge_returns_the_number_of_messages_removed() {
    let (conn, ch) = open_confirming().await;
    let q = temp_queue(&ch, "purge").await;
    for i in 0..5u8 {
        publish_confirmed(&ch, "", &q, vec![i], Default::default()).await;
    }
    assert_eq!(within("queue.purge", ch.queue_purge(&q)).await.unwrap(), 5);
    assert_eq!(within("queue.purge", ch.queue_purge(&q)).await.unwrap(), 0);
    assert!(get(&ch, &q).await.is_none());

    // Unacknowledged messages are not ready, so purge leaves them alone.
    publish_confirmed(&ch, "", &q, &b"held"[..], Default::default()).await;
    publish_confirmed(&ch, "", &q, &b"ready"[..], Default::default()).await;
    let held = get(&ch, &q).await.unwrap();
    assert_eq!(within("queue.purge", ch.queue_purge(&q)).await.unwrap(), 1);
    held.nack(true).unwrap();
    assert_eq!(drain(&ch, &q).await, vec![b"held".to_vec()]);
    conn.close().await.unwrap();
}

#[tokio::test]
async fn delete_returns_the_message_count() {
    let (conn, ch) = open_confirming().await;
    let q = temp_queue(&ch, "delete").await;
    for i in 0..4u8 {
        publish_confirmed(&ch, "", &q, vec![i], Default::default()).await;
    }
    assert_eq!(
        within("queue.delete", ch.queue_delete(&q, false, false))
            .await
            .unwrap(),
        4
    );
    // Gone: a passive declare now fails (on its own channel).
    let probe = conn.open_channel().await.unwrap();
    let err = within(
        "passive queue.declare",
        probe.queue_declare(&q, passive(), FieldTable::new()),
    )
    .await
    .expect_err("deleted queue still exists");
    assert_channel_closed(&err, 404, QUEUE_DECLARE);

    // if_unused / if_empty succeed when their condition holds.
    let empty = temp_queue(&ch, "delete-empty").await;
    assert_eq!(
        within("queue.delete", ch.queue_delete(&empty, true, true))
            .await
            .unwrap(),
        0
    );
    conn.close().await.unwrap();
}

#[tokio::test]
async fn unbind_stops_routing_to_the_queue() {
    let (conn, ch) = open_confirming().await;
    let q = temp_queue(&ch, "unbind").await;
    let key = unique("unbind-key");
    within(
        "queue.bind",
        ch.queue_bind(&q, "amq.direct", &key, FieldTable::new()),
    )
    .await
    .unwrap();
    // Binding twice is idempotent: still one copy per publish.
    within(
        "queue.bind",
        ch.queue_bind(&q, "amq.direct", &key, FieldTable::new()),
    )
    .await
    .unwrap();
    publish_confirmed(&ch, "amq.direct", &key, &b"bound"[..], Default::default()).await;
    assert_eq!(drain(&ch, &q).await, vec![b"bound".to_vec()]);

    within(
        "queue.unbind",
        ch.queue_unbind(&q, "amq.direct", &key, FieldTable::new()),
    )
    .await
    .unwrap();
    publish_confirmed(&ch, "amq.direct", &key, &b"unbound"[..], Default::default()).await;
    assert!(
        drain(&ch, &q).await.is_empty(),
        "unbound queue still receives"
    );

    // The default exchange binding (by queue name) is unaffected.
    publish_confirmed(&ch, "", &q, &b"default"[..], Default::default()).await;
    assert_eq!(drain(&ch, &q).await, vec![b"default".to_vec()]);
    conn.close().await.unwrap();
}

#[tokio::test]
async fn exclusive_queue_disappears_with_its_connection() {
    let (conn, ch) = open().await;
    let q = temp_queue(&ch, "exclusive-gone").await;
    conn.close().await.unwrap();

    // The broker deletes it once it notices the owner is gone, which may take a moment.
    let conn = connect().await;
    let mut attempts = 0;
    loop {
        let ch = within("channel.open", conn.open_channel()).await.unwrap();
        match within(
            "passive queue.declare",
            ch.queue_declare(&q, passive(), FieldTable::new()),
        )
        .await
        {
            Err(err) if err.reply_code() != Some(405) => {
                assert_channel_closed(&err, 404, QUEUE_DECLARE);
                break;
            }
            // Still there (405 RESOURCE_LOCKED: still owned by the closing connection).
            _ => {
                attempts += 1;
                assert!(attempts < 50, "exclusive queue outlived its connection");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
    }
    conn.close().await.unwrap();
}

#[tokio::test]
async fn queue_name_of_255_bytes_is_accepted() {
    let (conn, ch) = open().await;
    let prefix = unique("long");
    let name = format!("{prefix}{}", "x".repeat(255 - prefix.len()));
    assert_eq!(name.len(), 255);
    let q = temp_queue_with_name(&ch, &name).await;
    publish(&ch, "", &q, &b"long name"[..]).await;
    assert_eq!(drain(&ch, &q).await, vec![b"long name".to_vec()]);
    conn.close().await.unwrap();
}

async fn temp_queue_with_name(ch: &warren_core::Channel, name: &str) -> String {
    let ok = within(
        "queue.declare",
        ch.queue_declare(
            name,
            QueueDeclareOptions {
                exclusive: true,
                ..Default::default()
            },
            FieldTable::new(),
        ),
    )
    .await
    .unwrap();
    ok.queue
}
