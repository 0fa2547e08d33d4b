//! Transactions: publishes and acks take effect on commit and are discarded on rollback.

use crate::support::*;

#[tokio::test]
async fn rollback_discards_publishes() {
    let (conn, tx) = open().await;
    let observer = conn.open_channel().await.unwrap();
    let q = temp_queue(&observer, "tx-rollback").await;
    within("tx.select", tx.tx_select()).await.unwrap();
    publish(&tx, "", &q, &b"never"[..]).await;
    publish(&tx, "", &q, &b"nor this"[..]).await;
    within("tx.rollback", tx.tx_rollback()).await.unwrap();
    assert!(
        get(&observer, &q).await.is_none(),
        "rolled-back publish arrived"
    );
    // The channel stays transactional and usable.
    publish(&tx, "", &q, &b"committed"[..]).await;
    within("tx.commit", tx.tx_commit()).await.unwrap();
    assert_eq!(drain(&observer, &q).await, vec![b"committed".to_vec()]);
    conn.close().await.unwrap();
}

#[tokio::test]
async fn commit_makes_publishes_visible() {
    let (conn, tx) = open().await;
    let observer = conn.open_channel().await.unwrap();
    let q = temp_queue(&observer, "tx-commit").await;
    within("tx.select", tx.tx_select()).await.unwrap();
    publish(&tx, "", &q, &b"one"[..]).await;
    publish(&tx, "", &q, &b"two"[..]).await;
    // Nothing is routed before the commit. The broker answers this declare on the tx channel
    // only after handling the publishes sent before it, so the count is not a race.
    let ok = within(
        "passive queue.declare",
        tx.queue_declare(
            &q,
            warren_core::client::QueueDeclareOptions {
                passive: true,
                ..Default::default()
            },
            warren_core::FieldTable::new(),
        ),
    )
    .await
    .unwrap();
    assert_eq!(
        ok.message_count, 0,
        "uncommitted publishes are in the queue"
    );
    within("tx.commit", tx.tx_commit()).await.unwrap();
    assert_eq!(
        drain(&observer, &q).await,
        vec![b"one".to_vec(), b"two".to_vec()]
    );
    // Each commit starts a new transaction.
    publish(&tx, "", &q, &b"three"[..]).await;
    assert!(get(&observer, &q).await.is_none());
    within("tx.commit", tx.tx_commit()).await.unwrap();
    assert_eq!(drain(&observer, &q).await, vec![b"three".to_vec()]);
    conn.close().await.unwrap();
}

#[tokio::test]
async fn acks_inside_a_transaction() {
    let (conn, setup) = open_confirming().await;
    let q = temp_queue(&setup, "tx-acks").await;
    for body in ["m1", "m2"] {
        publish_confirmed(&setup, "", &q, body.as_bytes().to_vec(), Default::default()).await;
    }

    let tx = conn.open_channel().await.unwrap();
    within("tx.select", tx.tx_select()).await.unwrap();
    let m1 = get(&tx, &q).await.unwrap();
    let m2 = get(&tx, &q).await.unwrap();
    assert_eq!((&m1.body[..], &m2.body[..]), (&b"m1"[..], &b"m2"[..]));

    // This ack is rolled back: m1 stays unacknowledged.
    m1.ack().unwrap();
    within("tx.rollback", tx.tx_rollback()).await.unwrap();
    // This one is committed.
    m2.ack().unwrap();
    within("tx.commit", tx.tx_commit()).await.unwrap();
    // Closing the channel requeues what is still unacknowledged: only m1.
    within("channel.close", tx.close()).await.unwrap();

    let back = get(&setup, &q).await.expect("m1 requeued");
    assert_eq!(&back.body[..], b"m1");
    assert!(back.redelivered);
    back.ack().unwrap();
    assert!(
        get(&setup, &q).await.is_none(),
        "m2's committed ack was lost"
    );
    conn.close().await.unwrap();
}

#[tokio::test]
async fn publish_and_ack_commit_together() {
    // The classic transactional hand-off: take from one queue, put into another, atomically.
    let (conn, setup) = open_confirming().await;
    let inbox = temp_queue(&setup, "tx-inbox").await;
    let outbox = temp_queue(&setup, "tx-outbox").await;
    publish_confirmed(&setup, "", &inbox, &b"job"[..], Default::default()).await;

    let tx = conn.open_channel().await.unwrap();
    within("tx.select", tx.tx_select()).await.unwrap();
    let job = get(&tx, &inbox).await.unwrap();
    publish(&tx, "", &outbox, job.body.clone()).await;
    job.ack().unwrap();
    within("tx.rollback", tx.tx_rollback()).await.unwrap();
    assert!(get(&setup, &outbox).await.is_none(), "rolled-back publish");

    publish(&tx, "", &outbox, job.body.clone()).await;
    job.ack().unwrap();
    within("tx.commit", tx.tx_commit()).await.unwrap();
    within("channel.close", tx.close()).await.unwrap();
    assert_eq!(drain(&setup, &outbox).await, vec![b"job".to_vec()]);
    assert!(get(&setup, &inbox).await.is_none(), "committed ack");
    conn.close().await.unwrap();
}
