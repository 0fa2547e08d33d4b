//! Automatic recovery end to end: the real `warren-broker` binary killed with SIGKILL and
//! restarted, a network cut made by a forwarding proxy (missed heartbeats), the application's
//! view through it all (events, consumers that continue, unconfirmed publishes reported,
//! stale delivery tags refused), and the calls that must never hang. The RabbitMQ restart and
//! RabbitMQ cluster variants are `#[ignore]`d here and run by scripts/test.sh with
//! `--ignored`, since they need root's `rabbitmqctl` and a cluster.

#![cfg(unix)]

mod cluster;
mod no_hangs;
mod rabbitmq;
mod support;
mod topology;
mod warren_broker;
