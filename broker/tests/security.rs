//! Security of the in-process broker: logins (PLAIN, AMQPLAIN, the guest loopback rule,
//! `authentication_failure_close`), vhost access, and every permission check of RabbitMQ's
//! "How Permissions Work" table with a restricted user.
//!
//! The expected outcomes and texts are RabbitMQ 3.10.8's, observed with the same user,
//! patterns and resources. `every_permission_check_on_rabbitmq` runs the same cases against
//! RabbitMQ itself with `WARREN_SECURITY_ORACLE=127.0.0.1:5672` after (`scripts/test.sh`
//! does this set-up and clean-up itself)
//!
//! ```sh
//! rabbitmqctl add_vhost wtest
//! rabbitmqctl add_user app secret
//! rabbitmqctl set_permissions -p wtest app ':c' ':w' ':r'
//! rabbitmqctl set_permissions -p wtest guest '.*' '.*' '.*'
//! ```
//!
//! (and `rabbitmqctl delete_vhost wtest; rabbitmqctl delete_user app` to clean up).

mod support;

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use warren_broker::auth::LoginError;
use warren_broker::config::UserConfig;
use warren_broker::{BrokerConfig, BrokerHandle};
use warren_core::client::{
    BasicConsumeOptions, BasicPublishOptions, Connection, ExchangeDeclareOptions,
    QueueDeclareOptions,
};
use warren_core::codec::{self, FieldTable, FieldValue, Frame, Method, ShortString};
use warren_core::{BasicProperties, Error};

const VHOST: &str = "wtest";
/// `host:port` of a RabbitMQ set up for the permission table (see the module comment).
const ORACLE_ENV: &str = "WARREN_SECURITY_ORACLE";

/// Guest as RabbitMQ's default, plus vhost `wtest` where `app` may configure names containing
/// `:c`, write `:w`, read `:r`; `outsider` has permissions on `wtest` only.
fn config() -> BrokerConfig {
    let guest = UserConfig::new("guest", "guest")
        .tag("administrator")
        .permit("/", ".*", ".*", ".*")
        .permit(VHOST, ".*", ".*", ".*");
    BrokerConfig::ephemeral()
        .with_vhost(VHOST)
        .with_user(guest)
        .with_user(UserConfig::new("app", "secret").permit(VHOST, ":c", ":w", ":r"))
        .with_user(UserConfig::new("outsider", "pw").permit(VHOST, "", "", ""))
        .with_user(UserConfig::new("gen", "pw").permit(
            VHOST,
            r"^amq\.gen-",
            r"^amq\.default$",
            r"^amq\.gen-",
        ))
        .with_user(
            UserConfig::new("service", "pw")
                .tag("impersonator")
                .permit(VHOST, ".*", ".*", ".*"),
        )
}

fn uri(addr: SocketAddr, user: &str, password: &str, vhost: &str) -> String {
    let vhost = if vhost == "/" { "%2f" } else { vhost };
    format!("amqp://{user}:{password}@{addr}/{vhost}")
}

async fn connect_as(addr: SocketAddr, user: &str, password: &str) -> Connection {
    Connection::connect(&uri(addr, user, password, VHOST))
        .await
        .unwrap_or_else(|e| panic!("connect as {user}: {e}"))
}

/// Exchanges and queues named after the permissions `app` has on them, declared by guest.
async fn declare_resources(addr: SocketAddr) {
    let admin = connect_as(addr, "guest", "guest").await;
    let ch = admin.open_channel().await.unwrap();
    for x in ["x:r", "x:w", "x:c", "x:rw", "x"] {
        ch.exchange_declare(x, "fanout", Default::default(), FieldTable::new())
            .await
            .unwrap();
    }
    for q in ["q:r", "q:w", "q:c", "q:rw", "q"] {
        ch.queue_declare(q, Default::default(), FieldTable::new())
            .await
            .unwrap();
    }
    admin.close().await.unwrap();
}

fn args(key: &'static str, value: &str) -> FieldTable {
    let mut t = FieldTable::new();
    t.insert_key(ShortString::from_static(key), value.into());
    t
}

fn passive() -> ExchangeDeclareOptions {
    ExchangeDeclareOptions {
        passive: true,
        ..Default::default()
    }
}

fn qpassive() -> QueueDeclareOptions {
    QueueDeclareOptions {
        passive: true,
        ..Default::default()
    }
}

/// `Ok`, or the broker's channel-close code and text.
type Outcome = Result<(), (u16, String)>;

/// The outcome of one operation.
fn outcome<T>(r: Result<T, Error>) -> Outcome {
    match r {
        Ok(_) => Ok(()),
        Err(Error::ChannelClosed(e)) => Err((e.reply_code, e.reply_text)),
        Err(e) => Err((0, format!("not a channel error: {e}"))),
    }
}

/// Runs `$op` on a fresh channel of `$conn` (the previous case may have closed its channel).
macro_rules! on_channel {
    ($conn:expr, |$ch:ident| $op:expr) => {{
        let $ch = $conn.open_channel().await.expect("open channel");
        let r = outcome(support::within(stringify!($op), $op).await);
        if r.is_ok() {
            let _ = $ch.close().await;
        }
        r
    }};
}

/// Publishes in confirm mode and waits for the confirm (or the channel's closing).
macro_rules! publish {
    ($ch:ident, $exchange:expr, $props:expr) => {
        async {
            $ch.confirm_select().await?;
            $ch.basic_publish(
                $exchange,
                "k",
                BasicPublishOptions::default(),
                &b"x"[..],
                $props,
            )
            .await?
            .await
        }
    };
}

fn refused(what: &str) -> Outcome {
    Err((
        403,
        format!("ACCESS_REFUSED - access to {what} in vhost '{VHOST}' refused for user 'app'"),
    ))
}

fn err(code: u16, text: &str) -> Outcome {
    Err((code, text.to_string()))
}

const DEFAULT_EXCHANGE: &str = "ACCESS_REFUSED - operation not permitted on the default exchange";

#[tokio::test]
async fn every_permission_check_matches_rabbitmq() {
    let broker = support::start_with(config()).await;
    every_permission_check(broker.local_addr()).await;
    broker.shutdown().await;
}

/// The same cases against RabbitMQ, set up as in the module comment, with
/// `WARREN_SECURITY_ORACLE=127.0.0.1:5672`.
#[tokio::test]
async fn every_permission_check_on_rabbitmq() {
    let Ok(addr) = std::env::var(ORACLE_ENV) else {
        support::oracle_skipped(ORACLE_ENV, "127.0.0.1:5672");
        return;
    };
    let addr = addr
        .parse()
        .unwrap_or_else(|e| panic!("{ORACLE_ENV}={addr:?} is not host:port: {e}"));
    every_permission_check(addr).await;
}

/// Every check of RabbitMQ's permission table, by `app` on vhost `wtest` of the broker at
/// `addr`, against RabbitMQ's outcome and text.
async fn every_permission_check(addr: SocketAddr) {
    declare_resources(addr).await;
    let app = connect_as(addr, "app", "secret").await;
    let none = FieldTable::new;
    let ok = Ok(());
    let cases: Vec<(&str, Outcome, Outcome)> = vec![
        // exchange.declare: configure; passive declares check nothing but the default exchange.
        (
            "declare exchange without configure",
            on_channel!(app, |ch| ch.exchange_declare("x:w", "fanout", Default::default(), none())),
            refused("exchange 'x:w'"),
        ),
        (
            "declare existing exchange with configure",
            on_channel!(app, |ch| ch.exchange_declare("x:c", "fanout", Default::default(), none())),
            ok.clone(),
        ),
        (
            "passive declare without configure",
            on_channel!(app, |ch| ch.exchange_declare("x:w", "fanout", passive(), none())),
            ok.clone(),
        ),
        (
            "passive declare of a missing exchange",
            on_channel!(app, |ch| ch.exchange_declare("x:nope", "fanout", passive(), none())),
            err(404, "NOT_FOUND - no exchange 'x:nope' in vhost 'wtest'"),
        ),
        (
            "declare the default exchange",
            on_channel!(app, |ch| ch.exchange_declare("", "direct", Default::default(), none())),
            err(403, DEFAULT_EXCHANGE),
        ),
        (
            "passive declare of the default exchange",
            on_channel!(app, |ch| ch.exchange_declare("", "direct", passive(), none())),
            err(403, DEFAULT_EXCHANGE),
        ),
        (
            "declare amq.direct without configure",
            on_channel!(app, |ch| ch.exchange_declare("amq.direct", "direct", Default::default(), none())),
            refused("exchange 'amq.direct'"),
        ),
        (
            "passive declare of amq.direct",
            on_channel!(app, |ch| ch.exchange_declare("amq.direct", "direct", passive(), none())),
            ok.clone(),
        ),
        // A new exchange with an alternate exchange: read on it, write on the alternate.
        (
            "new exchange with AE, no read on the exchange",
            on_channel!(app, |ch| ch.exchange_declare("x:c:n1", "fanout", Default::default(), args("alternate-exchange", "x:w"))),
            refused("exchange 'x:c:n1'"),
        ),
        (
            "new exchange with AE, no write on the AE",
            on_channel!(app, |ch| ch.exchange_declare("x:c:r:n2", "fanout", Default::default(), args("alternate-exchange", "x:r"))),
            refused("exchange 'x:r'"),
        ),
        (
            "new exchange with AE, permitted",
            on_channel!(app, |ch| ch.exchange_declare("x:c:r:n3", "fanout", Default::default(), args("alternate-exchange", "x:w"))),
            ok.clone(),
        ),
        // exchange.delete: configure, checked before existence; system exchanges first.
        (
            "delete exchange without configure",
            on_channel!(app, |ch| ch.exchange_delete("x:w", false)),
            refused("exchange 'x:w'"),
        ),
        (
            "delete missing exchange without configure",
            on_channel!(app, |ch| ch.exchange_delete("x:nope", false)),
            refused("exchange 'x:nope'"),
        ),
        (
            "delete missing exchange with configure",
            on_channel!(app, |ch| ch.exchange_delete("x:c:nope", false)),
            ok.clone(),
        ),
        (
            "delete the default exchange",
            on_channel!(app, |ch| ch.exchange_delete("", false)),
            err(403, DEFAULT_EXCHANGE),
        ),
        (
            "delete amq.direct",
            on_channel!(app, |ch| ch.exchange_delete("amq.direct", false)),
            err(403, "ACCESS_REFUSED - deletion of system exchange 'amq.direct' in vhost 'wtest' not allowed"),
        ),
        // queue.declare: configure; passive checks nothing; server-named by the amq.gen name.
        (
            "declare existing queue without configure",
            on_channel!(app, |ch| ch.queue_declare("q:w", Default::default(), none())),
            refused("queue 'q:w'"),
        ),
        (
            "declare queue with configure",
            on_channel!(app, |ch| ch.queue_declare("q:c", Default::default(), none())),
            ok.clone(),
        ),
        (
            "passive declare of a queue without configure",
            on_channel!(app, |ch| ch.queue_declare("q:w", qpassive(), none())),
            ok.clone(),
        ),
        (
            "passive declare of a missing queue",
            on_channel!(app, |ch| ch.queue_declare("q:nope", qpassive(), none())),
            err(404, "NOT_FOUND - no queue 'q:nope' in vhost 'wtest'"),
        ),
        (
            "declare queue with the reserved prefix",
            on_channel!(app, |ch| ch.queue_declare("amq.foo:c", Default::default(), none())),
            err(403, "ACCESS_REFUSED - queue name 'amq.foo:c' contains reserved prefix 'amq.*'"),
        ),
        (
            "declare reserved-prefix queue without configure",
            on_channel!(app, |ch| ch.queue_declare("amq.foo", Default::default(), none())),
            err(403, "ACCESS_REFUSED - queue name 'amq.foo' contains reserved prefix 'amq.*'"),
        ),
        // A new queue with a dead-letter exchange: read on it, write on the DLX.
        (
            "new queue with DLX, no read on the queue",
            on_channel!(app, |ch| ch.queue_declare("q:c:n1", Default::default(), args("x-dead-letter-exchange", "x:w"))),
            refused("queue 'q:c:n1'"),
        ),
        (
            "new queue with DLX, no write on the DLX",
            on_channel!(app, |ch| ch.queue_declare("q:c:r:n2", Default::default(), args("x-dead-letter-exchange", "x:r"))),
            refused("exchange 'x:r'"),
        ),
        (
            "new queue with the default exchange as DLX",
            on_channel!(app, |ch| ch.queue_declare("q:c:r:n3", Default::default(), args("x-dead-letter-exchange", ""))),
            refused("exchange 'amq.default'"),
        ),
        // queue.delete: configure, before existence.
        (
            "delete queue without configure",
            on_channel!(app, |ch| ch.queue_delete("q:w", false, false)),
            refused("queue 'q:w'"),
        ),
        (
            "delete missing queue without configure",
            on_channel!(app, |ch| ch.queue_delete("q:nope", false, false)),
            refused("queue 'q:nope'"),
        ),
        (
            "delete missing queue with configure",
            on_channel!(app, |ch| ch.queue_delete("q:c:nope", false, false)),
            ok.clone(),
        ),
        // queue.bind / unbind: write on the queue, then read on the exchange.
        (
            "bind without write on the queue",
            on_channel!(app, |ch| ch.queue_bind("q:r", "x:r", "", none())),
            refused("queue 'q:r'"),
        ),
        (
            "bind without read on the exchange",
            on_channel!(app, |ch| ch.queue_bind("q:w", "x:w", "", none())),
            refused("exchange 'x:w'"),
        ),
        (
            "bind without either: the queue is checked first",
            on_channel!(app, |ch| ch.queue_bind("q:r", "x:w", "", none())),
            refused("queue 'q:r'"),
        ),
        (
            "bind permitted",
            on_channel!(app, |ch| ch.queue_bind("q:w", "x:r", "", none())),
            ok.clone(),
        ),
        (
            "bind to the default exchange",
            on_channel!(app, |ch| ch.queue_bind("q:w", "", "", none())),
            err(403, DEFAULT_EXCHANGE),
        ),
        (
            "bind to the default exchange without write on the queue",
            on_channel!(app, |ch| ch.queue_bind("q:r", "", "", none())),
            refused("queue 'q:r'"),
        ),
        (
            "bind to a missing exchange",
            on_channel!(app, |ch| ch.queue_bind("q:w", "x:nope:r", "", none())),
            err(404, "NOT_FOUND - no exchange 'x:nope:r' in vhost 'wtest'"),
        ),
        (
            "bind a missing queue",
            on_channel!(app, |ch| ch.queue_bind("q:nope:w", "x:r", "", none())),
            err(404, "NOT_FOUND - no queue 'q:nope:w' in vhost 'wtest'"),
        ),
        (
            "unbind without write on the queue",
            on_channel!(app, |ch| ch.queue_unbind("q:r", "x:r", "", none())),
            refused("queue 'q:r'"),
        ),
        (
            "unbind without read on the exchange",
            on_channel!(app, |ch| ch.queue_unbind("q:w", "x:w", "", none())),
            refused("exchange 'x:w'"),
        ),
        (
            "unbind permitted",
            on_channel!(app, |ch| ch.queue_unbind("q:w", "x:r", "", none())),
            ok.clone(),
        ),
        // exchange.bind / unbind (destination, source): write on the destination, read on the
        // source.
        (
            "e2e bind without write on the destination",
            on_channel!(app, |ch| ch.exchange_bind("x:r", "x:r", "", none())),
            refused("exchange 'x:r'"),
        ),
        (
            "e2e bind without read on the source",
            on_channel!(app, |ch| ch.exchange_bind("x:w", "x:w", "", none())),
            refused("exchange 'x:w'"),
        ),
        (
            "e2e bind permitted",
            on_channel!(app, |ch| ch.exchange_bind("x:w", "x:r", "", none())),
            ok.clone(),
        ),
        (
            "e2e bind from the default exchange",
            on_channel!(app, |ch| ch.exchange_bind("x:w", "", "", none())),
            err(403, DEFAULT_EXCHANGE),
        ),
        (
            "e2e bind to the default exchange: write on amq.default first",
            on_channel!(app, |ch| ch.exchange_bind("", "x:r", "", none())),
            refused("exchange 'amq.default'"),
        ),
        (
            "e2e unbind without write on the destination",
            on_channel!(app, |ch| ch.exchange_unbind("x:r", "x:r", "", none())),
            refused("exchange 'x:r'"),
        ),
        (
            "e2e unbind without read on the source",
            on_channel!(app, |ch| ch.exchange_unbind("x:w", "x:w", "", none())),
            refused("exchange 'x:w'"),
        ),
        (
            "e2e unbind permitted",
            on_channel!(app, |ch| ch.exchange_unbind("x:w", "x:r", "", none())),
            ok.clone(),
        ),
        // basic.publish: write on the exchange (amq.default for ""), before existence.
        (
            "publish without write",
            on_channel!(app, |ch| publish!(ch, "x:r", BasicProperties::default())),
            refused("exchange 'x:r'"),
        ),
        (
            "publish permitted",
            on_channel!(app, |ch| publish!(ch, "x:w", BasicProperties::default())),
            ok.clone(),
        ),
        (
            "publish to the default exchange",
            on_channel!(app, |ch| publish!(ch, "", BasicProperties::default())),
            refused("exchange 'amq.default'"),
        ),
        (
            "publish to a missing exchange without write",
            on_channel!(app, |ch| publish!(ch, "x:nope", BasicProperties::default())),
            refused("exchange 'x:nope'"),
        ),
        (
            "publish to a missing exchange with write",
            on_channel!(app, |ch| publish!(ch, "x:nope:w", BasicProperties::default())),
            err(404, "NOT_FOUND - no exchange 'x:nope:w' in vhost 'wtest'"),
        ),
        (
            "publish with another user_id",
            on_channel!(app, |ch| publish!(ch, "x:w", BasicProperties { user_id: Some(ShortString::from_static("someone")), ..Default::default() })),
            err(406, "PRECONDITION_FAILED - user_id property set to 'someone' but authenticated user was 'app'"),
        ),
        // basic.get / consume / queue.purge: read on the queue, before existence.
        (
            "get without read",
            on_channel!(app, |ch| ch.basic_get("q:w", true)),
            refused("queue 'q:w'"),
        ),
        (
            "get permitted",
            on_channel!(app, |ch| ch.basic_get("q:r", true)),
            ok.clone(),
        ),
        (
            "get from a missing queue without read",
            on_channel!(app, |ch| ch.basic_get("q:nope", true)),
            refused("queue 'q:nope'"),
        ),
        (
            "get from a missing queue with read",
            on_channel!(app, |ch| ch.basic_get("q:nope:r", true)),
            err(404, "NOT_FOUND - no queue 'q:nope:r' in vhost 'wtest'"),
        ),
        (
            "consume without read",
            on_channel!(app, |ch| ch.basic_consume("q:w", "", BasicConsumeOptions::default(), none())),
            refused("queue 'q:w'"),
        ),
        (
            "consume permitted",
            on_channel!(app, |ch| ch.basic_consume("q:r", "", BasicConsumeOptions::default(), none())),
            ok.clone(),
        ),
        (
            "direct reply-to needs no permission",
            on_channel!(app, |ch| ch.basic_consume(
                "amq.rabbitmq.reply-to",
                "",
                BasicConsumeOptions {
                    no_ack: true,
                    ..Default::default()
                },
                none()
            )),
            ok.clone(),
        ),
        (
            "purge without read",
            on_channel!(app, |ch| ch.queue_purge("q:w")),
            refused("queue 'q:w'"),
        ),
        (
            "purge permitted",
            on_channel!(app, |ch| ch.queue_purge("q:r")),
            ok.clone(),
        ),
        (
            "purge a missing queue without read",
            on_channel!(app, |ch| ch.queue_purge("q:nope")),
            refused("queue 'q:nope'"),
        ),
    ];
    let wrong: Vec<String> = cases
        .iter()
        .filter(|(_, got, want)| got != want)
        .map(|(name, got, want)| format!("{name}:\n    got  {got:?}\n    want {want:?}"))
        .collect();
    assert!(
        wrong.is_empty(),
        "{} of {} cases differ from RabbitMQ:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n")
    );
    assert!(app.is_open(), "permission refusals are channel errors");
}

#[tokio::test]
async fn server_named_queues_are_checked_by_their_generated_name() {
    let broker = support::start_with(config()).await;
    let vhost = broker.state().vhost(VHOST).unwrap();
    // app may configure only names containing ":c": RabbitMQ refuses it a server-named queue.
    let app = connect_as(broker.local_addr(), "app", "secret").await;
    for exclusive in [false, true] {
        let opts = QueueDeclareOptions {
            exclusive,
            ..Default::default()
        };
        let got = on_channel!(app, |ch| ch.queue_declare("", opts, FieldTable::new()));
        let (code, text) = got.expect_err("refused");
        assert_eq!(code, 403);
        let name = text
            .strip_prefix("ACCESS_REFUSED - access to queue '")
            .and_then(|t| t.strip_suffix("' in vhost 'wtest' refused for user 'app'"))
            .unwrap_or_else(|| panic!("unexpected text {text:?}"));
        assert!(name.starts_with("amq.gen-"), "{name}");
        assert!(
            vhost.queue(&ShortString::try_from(name).unwrap()).is_none(),
            "the refused queue must not be left behind"
        );
    }
    // gen may configure and read amq.gen-* and write amq.default.
    let gen = connect_as(broker.local_addr(), "gen", "pw").await;
    let ch = gen.open_channel().await.unwrap();
    let q = ch
        .queue_declare("", Default::default(), FieldTable::new())
        .await
        .unwrap();
    assert!(q.queue.starts_with("amq.gen-"));
    ch.basic_publish(
        "",
        &q.queue,
        BasicPublishOptions::default(),
        &b"hi"[..],
        BasicProperties::default(),
    )
    .await
    .unwrap();
    let got = support::within("get", ch.basic_get(&q.queue, true))
        .await
        .unwrap();
    assert_eq!(&got.expect("a message").body[..], b"hi");
    // ... but not a server-named one whose dead-letter exchange it may not write to, nor a
    // named queue.
    let got = on_channel!(gen, |ch| ch.queue_declare(
        "",
        Default::default(),
        args("x-dead-letter-exchange", "x")
    ));
    assert_eq!(
        got.unwrap_err().1,
        "ACCESS_REFUSED - access to exchange 'x' in vhost 'wtest' refused for user 'gen'"
    );
    let got = on_channel!(gen, |ch| ch.queue_declare(
        "mine",
        Default::default(),
        FieldTable::new()
    ));
    assert_eq!(
        got.unwrap_err().1,
        "ACCESS_REFUSED - access to queue 'mine' in vhost 'wtest' refused for user 'gen'"
    );
}

#[tokio::test]
async fn impersonator_may_publish_as_another_user() {
    let broker = support::start_with(config()).await;
    declare_resources(broker.local_addr()).await;
    let service = connect_as(broker.local_addr(), "service", "pw").await;
    let props = || BasicProperties {
        user_id: Some(ShortString::from_static("someone-else")),
        ..Default::default()
    };
    let got = on_channel!(service, |ch| publish!(ch, "amq.fanout", props()));
    assert_eq!(got, Ok(()));
    let app = connect_as(broker.local_addr(), "app", "secret").await;
    let got = on_channel!(app, |ch| publish!(ch, "x:w", props()));
    assert_eq!(got.unwrap_err().0, 406);
}

// ---- logins ----

fn login_refused_text(mechanism: &str) -> String {
    format!(
        "ACCESS_REFUSED - Login was refused using authentication mechanism {mechanism}. For \
         details see the broker logfile."
    )
}

async fn connect_err(uri: &str) -> Error {
    match support::within("connect", Connection::connect(uri)).await {
        Ok(_) => panic!("{uri}: connected, expected a refusal"),
        Err(e) => e,
    }
}

#[tokio::test]
async fn guest_default_works_from_loopback_and_is_refused_from_elsewhere() {
    let broker = support::start().await;
    let (conn, ch) = support::open(&broker).await;
    ch.queue_declare("", Default::default(), FieldTable::new())
        .await
        .unwrap();
    conn.close().await.unwrap();
    // The decision the broker makes at start-ok, for a peer it cannot have in a test.
    let users = broker.state().users.read();
    let remote: IpAddr = "10.0.0.1".parse().unwrap();
    let err = users.login("PLAIN", b"\0guest\0guest", remote).unwrap_err();
    assert!(
        matches!(&err, LoginError::Refused { username, .. } if username == "guest"),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "PLAIN login refused: user 'guest' can only connect via localhost"
    );
    for local in ["127.0.0.1", "::1", "::ffff:127.0.0.1"] {
        let ip: IpAddr = local.parse().unwrap();
        assert!(
            users.login("PLAIN", b"\0guest\0guest", ip).is_ok(),
            "{local}"
        );
    }
}

#[tokio::test]
async fn a_user_without_loopback_only_works_from_anywhere() {
    let broker = support::start_with(
        BrokerConfig::ephemeral().with_user(
            UserConfig::new("remote", "pw")
                .loopback_only(false)
                .permit("/", ".*", ".*", ".*"),
        ),
    )
    .await;
    let conn = Connection::connect(&uri(broker.local_addr(), "remote", "pw", "/"))
        .await
        .unwrap();
    let ch = conn.open_channel().await.unwrap();
    ch.queue_declare("", Default::default(), FieldTable::new())
        .await
        .unwrap();
    let remote: IpAddr = "10.0.0.1".parse().unwrap();
    let login = broker
        .state()
        .users
        .read()
        .login("PLAIN", b"\0remote\0pw", remote);
    assert_eq!(login.unwrap().name, "remote");
    // A guest configured without the rule may connect from anywhere too (RabbitMQ:
    // loopback_users = none).
    let guest = UserConfig::new("guest", "guest").loopback_only(false);
    let config = BrokerConfig::ephemeral().with_user(guest.permit("/", ".*", ".*", ".*"));
    let broker2 = support::start_with(config).await;
    assert!(broker2
        .state()
        .users
        .read()
        .login("PLAIN", b"\0guest\0guest", remote)
        .is_ok());
}

#[tokio::test]
async fn amqplain_login() {
    let broker = support::start_with(config()).await;
    let good = format!(
        "{}?auth_mechanism=AMQPLAIN",
        uri(broker.local_addr(), "app", "secret", VHOST)
    );
    let conn = Connection::connect(&good).await.unwrap();
    conn.open_channel().await.unwrap();
    let bad = format!(
        "{}?auth_mechanism=AMQPLAIN",
        uri(broker.local_addr(), "app", "wrong", VHOST)
    );
    match connect_err(&bad).await {
        Error::AuthenticationFailed(text) => assert_eq!(text, login_refused_text("AMQPLAIN")),
        other => panic!("expected AuthenticationFailed, got {other:?}"),
    }
}

#[tokio::test]
async fn bad_credentials_are_refused_with_403_to_clients_that_ask() {
    let broker = support::start_with(config()).await;
    // The client announces authentication_failure_close: it is told, without saying why.
    for (user, password) in [("app", "wrong"), ("nobody", "secret"), ("app", "")] {
        match connect_err(&uri(broker.local_addr(), user, password, VHOST)).await {
            Error::AuthenticationFailed(text) => {
                assert_eq!(text, login_refused_text("PLAIN"), "{user}/{password}")
            }
            other => panic!("{user}/{password}: expected AuthenticationFailed, got {other:?}"),
        }
    }
    // On the wire: connection.close 403 on start-ok.
    let mut raw = Raw::connect(&broker).await;
    raw.start_ok("PLAIN", b"\0app\0wrong", true).await;
    let close = raw.expect_close().await;
    assert_eq!(close.reply_code, 403);
    assert_eq!(close.reply_text.as_str(), login_refused_text("PLAIN"));
    assert_eq!((close.class_id, close.method_id), (0, 0));
}

#[tokio::test]
async fn refusals_without_the_capability_are_silent() {
    let delay = Duration::from_millis(300);
    let broker = support::start_with(BrokerConfig {
        silent_close_delay: delay,
        ..config()
    })
    .await;
    // Bad password, client without authentication_failure_close; then malformed responses,
    // which RabbitMQ answers with a silent close even to clients that ask.
    let cases: [(&str, &[u8], bool); 4] = [
        ("PLAIN", b"\0app\0wrong", false),
        ("PLAIN", b"app\0app\0secret", true),
        ("PLAIN", b"\0app\0secret\0", true),
        ("AMQPLAIN", b"\x05LOGINS\0\0\0\x03app", true),
    ];
    for (mechanism, response, caps) in cases {
        let mut raw = Raw::connect(&broker).await;
        raw.start_ok(mechanism, response, caps).await;
        let t0 = Instant::now();
        let frames = raw.read_until_eof(Duration::from_secs(5)).await;
        assert!(
            frames.is_empty(),
            "{mechanism} {response:?}: expected a silent close, got {frames:?}"
        );
        // Not at once: failed attempts are slowed down.
        assert!(
            t0.elapsed() >= delay - Duration::from_millis(50),
            "{mechanism} {response:?}: closed after {:?}",
            t0.elapsed()
        );
    }
}

#[tokio::test]
async fn unknown_vhost_and_vhost_without_permissions_are_530() {
    let broker = support::start_with(config()).await;
    match connect_err(&uri(broker.local_addr(), "guest", "guest", "nosuch")).await {
        Error::ConnectionClosed(e) => {
            assert_eq!(e.reply_code, 530);
            assert_eq!(e.reply_text, "NOT_ALLOWED - vhost nosuch not found");
        }
        other => panic!("expected 530, got {other:?}"),
    }
    match connect_err(&uri(broker.local_addr(), "app", "secret", "/")).await {
        Error::ConnectionClosed(e) => {
            assert_eq!(e.reply_code, 530);
            assert_eq!(
                e.reply_text,
                "NOT_ALLOWED - access to vhost '/' refused for user 'app'"
            );
        }
        other => panic!("expected 530, got {other:?}"),
    }
    // Empty patterns still grant access to the vhost itself, as in RabbitMQ.
    let outsider = connect_as(broker.local_addr(), "outsider", "pw").await;
    let got = on_channel!(outsider, |ch| ch.queue_declare(
        "q",
        Default::default(),
        FieldTable::new()
    ));
    assert_eq!(
        got.unwrap_err().1,
        "ACCESS_REFUSED - access to queue 'q' in vhost 'wtest' refused for user 'outsider'"
    );
}

// ---- a raw AMQP client for what warren-core will not send ----

struct Raw {
    stream: TcpStream,
    buf: BytesMut,
}

impl Raw {
    async fn connect(broker: &BrokerHandle) -> Raw {
        let mut stream = TcpStream::connect(broker.local_addr()).await.unwrap();
        stream.write_all(codec::PROTOCOL_HEADER).await.unwrap();
        let mut raw = Raw {
            stream,
            buf: BytesMut::new(),
        };
        match raw.next_frame(Duration::from_secs(5)).await {
            Some(Frame::Method(0, Method::ConnectionStart(_))) => raw,
            other => panic!("expected connection.start, got {other:?}"),
        }
    }

    async fn start_ok(&mut self, mechanism: &'static str, response: &[u8], caps: bool) {
        let mut props = FieldTable::new();
        props.insert_key(ShortString::from_static("product"), "security-test".into());
        if caps {
            let mut c = FieldTable::new();
            c.insert_key(
                ShortString::from_static("authentication_failure_close"),
                FieldValue::Boolean(true),
            );
            props.insert_key(
                ShortString::from_static("capabilities"),
                FieldValue::Table(c),
            );
        }
        let start_ok = codec::ConnectionStartOk {
            client_properties: props,
            mechanism: ShortString::from_static(mechanism),
            response: codec::LongString(Bytes::copy_from_slice(response)),
            locale: ShortString::from_static("en_US"),
        };
        let mut out = BytesMut::new();
        codec::encode_method_frame(&mut out, 0, &start_ok.into());
        self.stream.write_all(&out).await.unwrap();
    }

    /// The next frame, or `None` at EOF or after `timeout`.
    async fn next_frame(&mut self, timeout: Duration) -> Option<Frame> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(f) = codec::decode_frame(&mut self.buf, 0).expect("valid frame") {
                return Some(f);
            }
            match tokio::time::timeout_at(deadline, self.stream.read_buf(&mut self.buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return None,
                Ok(Ok(_)) => {}
            }
        }
    }

    async fn expect_close(&mut self) -> codec::ConnectionClose {
        match self.next_frame(Duration::from_secs(5)).await {
            Some(Frame::Method(0, Method::ConnectionClose(c))) => c,
            other => panic!("expected connection.close, got {other:?}"),
        }
    }

    /// Frames received until the broker closes the socket; panics if it is still open after
    /// `timeout`.
    async fn read_until_eof(&mut self, timeout: Duration) -> Vec<Frame> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut frames = Vec::new();
        loop {
            while let Some(f) = codec::decode_frame(&mut self.buf, 0).expect("valid frame") {
                frames.push(f);
            }
            match tokio::time::timeout_at(deadline, self.stream.read_buf(&mut self.buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) => return frames,
                Ok(Ok(_)) => {}
                Err(_) => panic!("socket still open after {timeout:?}"),
            }
        }
    }
}
