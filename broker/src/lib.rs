//! # warren-broker
//!
//! Warren's reference AMQP 0-9-1 broker, built on warren-core's codec. A library first: a test
//! starts one in-process on an ephemeral port in milliseconds ([`Broker::start`] with
//! [`BrokerConfig::ephemeral`]); the `warren-broker` binary is a thin main around it.
//!
//! Rooms, leaves first (a module imports only modules before it; `tests/layers.rs` keeps it
//! so): [`error`], [`message`] → [`auth`], [`config`], [`resources`] (memory and disk alarms:
//! flow control) → [`storage`] (the message log and the definitions log, one record format)
//! → [`queue`] (queues, consumers, prefetch; no vhost) → [`routing`] (exchanges) →
//! [`reply_to`] → [`vhost`] (declarations and the exchange graph) → [`broker`] (shared state,
//! loading, the typed [`broker::Admin`] API) → [`connection`] (one task per client
//! connection: handshake, channels, publish and deliver) → [`server`] (listener, shutdown).

#![warn(missing_docs)]

/// The hash map of the hot paths (channels, consumer tags, routing keys, topic words, queue and
/// exchange names): aHash with a per-process random key — several times faster than the
/// standard SipHash on short keys, and still keyed against hash flooding by peers.
pub(crate) type FastMap<K, V> = std::collections::HashMap<K, V, ahash::RandomState>;

pub mod auth;
pub mod broker;
pub mod config;
pub mod connection;
pub mod error;
pub mod message;
pub mod queue;
pub mod reply_to;
pub mod resources;
pub mod routing;
pub mod server;
pub mod storage;
pub mod vhost;

pub use broker::Admin;
pub use config::BrokerConfig;
pub use server::{Broker, BrokerHandle};
