//! The typed admin API against a running broker: vhosts, users, listings, and listing and
//! closing connections.

mod support;

use std::time::{Duration, Instant};

use warren_broker::broker::AdminError;
use warren_broker::config::UserConfig;
use warren_core::client::{BasicPublishOptions, ConnectionEvent, QueueDeclareOptions};
use warren_core::{BasicProperties, Error, FieldTable};

#[tokio::test]
async fn lists_open_connections_and_closes_one_with_320_and_the_reason() {
    let broker = support::start().await;
    let admin = broker.admin();
    assert!(admin.connections().unwrap().is_empty());
    let (conn, _ch) = support::open(&broker).await;
    let (other, _other_ch) = support::open(&broker).await;
    let _second = other.open_channel().await.unwrap();
    let listed = admin.connections().unwrap();
    assert_eq!(listed.len(), 2, "{listed:#?}");
    assert!(listed.iter().all(|c| c.user == "guest" && c.vhost == "/"));
    assert!(listed.iter().all(|c| c.peer.ip().is_loopback()));
    let mut channels: Vec<usize> = listed.iter().map(|c| c.channels).collect();
    channels.sort();
    assert_eq!(channels, [1, 2]);

    let target = listed
        .iter()
        .find(|c| c.channels == 1)
        .expect("the first connection")
        .id;
    let mut events = conn.events();
    admin
        .close_connection(target, "closed by the operator")
        .unwrap();
    let reason = support::within("close event", async {
        loop {
            if let Some(ConnectionEvent::Closed(e)) = events.recv().await {
                return e;
            }
        }
    })
    .await;
    match reason {
        Some(Error::ConnectionClosed(e)) => {
            assert_eq!(e.reply_code, 320);
            // As RabbitMQ words it (e.g. "CONNECTION_FORCED - Closed via management plugin").
            assert_eq!(e.reply_text, "CONNECTION_FORCED - closed by the operator");
        }
        other => panic!("expected 320 CONNECTION_FORCED, got {other:?}"),
    }
    let t0 = Instant::now();
    while admin.connections().unwrap().len() != 1 && t0.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let left = admin.connections().unwrap();
    assert_eq!(left.len(), 1);
    assert_ne!(left[0].id, target);
    assert!(matches!(
        admin.close_connection(target, "again"),
        Err(AdminError::NoSuchConnection(id)) if id == target
    ));
    broker.shutdown().await;
}

#[tokio::test]
async fn vhosts_users_and_queue_counters_through_admin() {
    let broker = support::start().await;
    let admin = broker.admin();
    assert!(matches!(
        admin.add_vhost(""),
        Err(AdminError::InvalidVhostName(_))
    ));
    admin.add_vhost("apps").unwrap();
    assert_eq!(admin.vhosts().unwrap(), ["/", "apps"]);
    assert!(matches!(
        admin.put_user(UserConfig::new("app", "pw").permit("nowhere", ".*", ".*", ".*")),
        Err(AdminError::InvalidUser(_))
    ));
    admin
        .put_user(UserConfig::new("app", "pw").permit("apps", ".*", ".*", ".*"))
        .unwrap();
    assert!(admin.users().unwrap().contains(&"app".to_string()));
    admin.delete_user("app").unwrap();
    assert!(!admin.users().unwrap().contains(&"app".to_string()));

    let (conn, ch) = support::open(&broker).await;
    let q = support::unique("admin-q");
    ch.queue_declare(&q, QueueDeclareOptions::default(), FieldTable::new())
        .await
        .unwrap();
    for _ in 0..3 {
        ch.basic_publish(
            "",
            &q,
            BasicPublishOptions::default(),
            &b"x"[..],
            BasicProperties::default(),
        )
        .await
        .unwrap();
    }
    let t0 = Instant::now();
    let counted = loop {
        let queues = admin.queues("/").unwrap();
        let mine = queues.into_iter().find(|i| i.name.as_str() == q).unwrap();
        if mine.messages == 3 || t0.elapsed() > Duration::from_secs(5) {
            break mine;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    assert_eq!((counted.messages, counted.consumers), (3, 0));
    let exchanges = admin.exchanges("/").unwrap();
    assert!(exchanges
        .iter()
        .any(|x| x.name.as_str() == "amq.topic" && x.kind == "topic"));
    assert!(matches!(
        admin.queues("missing"),
        Err(AdminError::NoSuchVhost(_))
    ));
    conn.close().await.unwrap();
    admin.delete_vhost("apps").unwrap();
    assert_eq!(admin.vhosts().unwrap(), ["/"]);
    broker.shutdown().await;
    assert!(matches!(admin.vhosts(), Err(AdminError::Stopped)));
}

#[tokio::test]
async fn deleting_a_user_closes_its_connections_as_rabbitmq_does() {
    let broker = support::start().await;
    let admin = broker.admin();
    admin
        .put_user(UserConfig::new("leaving", "pw").permit("/", ".*", ".*", ".*"))
        .unwrap();
    let uri = format!("amqp://leaving:pw@{}/%2f", broker.local_addr());
    // Without recovery: a client that reconnects would hide what the broker did.
    let options = warren_core::client::ConnectionOptions::from_uri(&uri)
        .unwrap()
        .without_recovery();
    let conn = warren_core::client::Connection::connect_with(options)
        .await
        .unwrap();
    let (guest, _guest_ch) = support::open(&broker).await;
    let mut events = conn.events();
    admin.delete_user("leaving").unwrap();
    let reason = support::within("close event", async {
        loop {
            if let Some(ConnectionEvent::Closed(e)) = events.recv().await {
                return e;
            }
        }
    })
    .await;
    match reason {
        // RabbitMQ 3.10's words, observed with `rabbitmqctl delete_user`.
        Some(Error::ConnectionClosed(e)) => {
            assert_eq!(e.reply_code, 320);
            assert_eq!(
                e.reply_text,
                "CONNECTION_FORCED - user 'leaving' is deleted"
            );
        }
        other => panic!("expected 320 CONNECTION_FORCED, got {other:?}"),
    }
    // Other users' connections go on.
    let t0 = Instant::now();
    while admin.connections().unwrap().len() != 1 && t0.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let left = admin.connections().unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].user, "guest");
    guest.open_channel().await.unwrap();
    broker.shutdown().await;
}
