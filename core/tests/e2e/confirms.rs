//! Publisher confirms: the ack path, the nack path (a full queue that rejects publishes), and
//! `wait_for_confirms` outside confirm mode.

use warren_core::client::{BasicPublishOptions, Confirmation};
use warren_core::{Error, FieldTable, FieldValue};

use crate::support::*;

#[tokio::test]
async fn every_publish_is_acked_in_confirm_mode() {
    let (conn, ch) = open().await;
    assert!(!ch.is_confirm_mode());
    within("confirm.select", ch.confirm_select()).await.unwrap();
    assert!(ch.is_confirm_mode());
    // Selecting twice is allowed.
    within("confirm.select", ch.confirm_select()).await.unwrap();

    let q = temp_queue(&ch, "confirm-ack").await;
    let mut confirms = Vec::new();
    for i in 0..20u8 {
        let c = within(
            "basic.publish",
            ch.basic_publish(
                "",
                &q,
                BasicPublishOptions::default(),
                vec![i],
                Default::default(),
            ),
        )
        .await
        .unwrap();
        confirms.push(c);
    }
    assert!(within("wait_for_confirms", ch.wait_for_confirms())
        .await
        .unwrap());
    for c in confirms {
        assert_eq!(within("confirm", c).await.unwrap(), Confirmation::Ack);
    }
    // Nothing outstanding: answers at once.
    assert!(within("wait_for_confirms", ch.wait_for_confirms())
        .await
        .unwrap());
    assert_eq!(drain(&ch, &q).await.len(), 20);
    conn.close().await.unwrap();
}

#[tokio::test]
async fn full_queue_with_reject_publish_nacks() {
    let (conn, ch) = open_confirming().await;
    let mut args = FieldTable::new();
    args.insert("x-max-length", FieldValue::LongInt(1)).unwrap();
    args.insert("x-overflow", "reject-publish").unwrap();
    let q = temp_queue_with(&ch, "confirm-nack", args).await;

    let mut outcomes = Vec::new();
    for body in ["first", "second", "third"] {
        let c = within(
            "basic.publish",
            ch.basic_publish(
                "",
                &q,
                BasicPublishOptions::default(),
                body.as_bytes().to_vec(),
                Default::default(),
            ),
        )
        .await
        .unwrap();
        outcomes.push(c);
    }
    let mut results = Vec::new();
    for c in outcomes {
        results.push(within("confirm", c).await.unwrap());
    }
    assert_eq!(
        results,
        [Confirmation::Ack, Confirmation::Nack, Confirmation::Nack]
    );
    assert!(
        !within("wait_for_confirms", ch.wait_for_confirms())
            .await
            .unwrap(),
        "wait_for_confirms reports the nacks"
    );
    // The nacks were reported once; a later wait with nothing new is true again.
    assert!(within("wait_for_confirms", ch.wait_for_confirms())
        .await
        .unwrap());
    assert_eq!(drain(&ch, &q).await, vec![b"first".to_vec()]);

    // Room again: acked.
    publish_confirmed(&ch, "", &q, &b"fourth"[..], Default::default()).await;
    assert!(within("wait_for_confirms", ch.wait_for_confirms())
        .await
        .unwrap());
    assert!(ch.is_open());
    conn.close().await.unwrap();
}

#[tokio::test]
async fn nacks_are_reported_by_wait_for_confirms_alone() {
    let (conn, ch) = open_confirming().await;
    let mut args = FieldTable::new();
    args.insert("x-max-length", FieldValue::LongInt(1)).unwrap();
    args.insert("x-overflow", "reject-publish").unwrap();
    let q = temp_queue_with(&ch, "confirm-nack-wait", args).await;
    // Drop the per-publish futures: wait_for_confirms still sees the nacks.
    for i in 0..3u8 {
        publish(&ch, "", &q, vec![i]).await;
    }
    assert!(!within("wait_for_confirms", ch.wait_for_confirms())
        .await
        .unwrap());
    assert_eq!(drain(&ch, &q).await, vec![vec![0u8]]);
    conn.close().await.unwrap();
}

#[tokio::test]
async fn without_confirm_mode_nothing_is_confirmed() {
    let (conn, ch) = open().await;
    let q = temp_queue(&ch, "no-confirm").await;
    let c = within(
        "basic.publish",
        ch.basic_publish(
            "",
            &q,
            BasicPublishOptions::default(),
            &b"x"[..],
            Default::default(),
        ),
    )
    .await
    .unwrap();
    assert!(c.is_ready());
    assert_eq!(c.await.unwrap(), Confirmation::NotRequested);
    match ch.wait_for_confirms().await {
        Err(Error::InvalidState(_)) => {}
        other => panic!("wait_for_confirms outside confirm mode gave {other:?}"),
    }
    assert!(ch.is_open(), "a local misuse does not close the channel");
    conn.close().await.unwrap();
}

#[tokio::test]
async fn interleaved_acks_and_nacks_reach_the_right_publishes() {
    let (conn, ch) = open_confirming().await;
    let mut args = FieldTable::new();
    args.insert("x-max-length", FieldValue::LongInt(1)).unwrap();
    args.insert("x-overflow", "reject-publish").unwrap();
    let full = temp_queue_with(&ch, "confirm-full", args).await;
    let open_q = temp_queue(&ch, "confirm-open").await;
    publish_confirmed(&ch, "", &full, &b"filler"[..], Default::default()).await;

    let mut pending = Vec::new();
    for i in 0..60u8 {
        let to_full = i % 3 == 0;
        let q = if to_full { &full } else { &open_q };
        let c = ch
            .basic_publish(
                "",
                q,
                BasicPublishOptions::default(),
                vec![i],
                Default::default(),
            )
            .await
            .unwrap();
        pending.push((to_full, c));
    }
    for (i, (to_full, c)) in pending.into_iter().enumerate() {
        let want = if to_full {
            Confirmation::Nack
        } else {
            Confirmation::Ack
        };
        assert_eq!(within("confirm", c).await.unwrap(), want, "publish {i}");
    }
    assert!(!within("wait_for_confirms", ch.wait_for_confirms())
        .await
        .unwrap());
    assert_eq!(drain(&ch, &open_q).await.len(), 40);
    assert_eq!(drain(&ch, &full).await, vec![b"filler".to_vec()]);
    conn.close().await.unwrap();
}
