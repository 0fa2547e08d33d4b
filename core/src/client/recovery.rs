//! Automatic recovery: what to do after the connection is lost, and the topology recorded to
//! do it.
//!
//! The connection task records every exchange, queue, binding and consumer the application
//! declares (once the broker has accepted it) and forgets what the application deletes. When
//! the connection drops, it reconnects with backoff (trying the hosts in rotation), reopens
//! every channel on its old number with its QoS, confirm mode and flow state, re-declares the
//! recorded topology (a server-named queue gets a new name, and every binding and consumer
//! that used the old one follows it) and re-registers every consumer with its tag. This file
//! holds the settings and the records; the sequencing lives in the driver.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use crate::codec::{FieldTable, Method, ShortString};

/// Settings for automatic recovery.
#[derive(Clone)]
pub struct RecoveryOptions {
    /// Reconnect after the connection is lost (default `true`). When `false`, a lost
    /// connection ends every handle with the error, as a plain AMQP client does.
    pub enabled: bool,
    /// Re-declare recorded exchanges, queues and bindings, and re-register consumers
    /// (default `true`). Channels are reopened either way.
    pub topology: bool,
    /// Delay before the first reconnection round.
    pub initial_delay: Duration,
    /// Largest delay between rounds; delays double up to it.
    pub max_delay: Duration,
    /// Randomise each delay between half and all of it, so that many clients of a restarted
    /// broker do not reconnect in lockstep.
    pub jitter: bool,
    /// Give up after this many rounds (each round tries every host once). `None`: keep trying
    /// until the application closes the connection.
    pub max_attempts: Option<u32>,
    /// Decides which recorded entities are recovered; everything when `None`.
    pub filter: Option<TopologyFilter>,
}

impl Default for RecoveryOptions {
    fn default() -> Self {
        RecoveryOptions {
            enabled: true,
            topology: true,
            initial_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(10),
            jitter: true,
            max_attempts: None,
            filter: None,
        }
    }
}

impl std::fmt::Debug for RecoveryOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecoveryOptions")
            .field("enabled", &self.enabled)
            .field("topology", &self.topology)
            .field("initial_delay", &self.initial_delay)
            .field("max_delay", &self.max_delay)
            .field("jitter", &self.jitter)
            .field("max_attempts", &self.max_attempts)
            .field("filter", &self.filter.as_ref().map(|_| "…"))
            .finish()
    }
}

impl RecoveryOptions {
    /// Recovery switched off.
    pub fn disabled() -> Self {
        RecoveryOptions {
            enabled: false,
            ..Default::default()
        }
    }

    /// The delay before reconnection round `round` (1-based): exponential from
    /// `initial_delay`, capped at `max_delay`, with jitter if enabled.
    pub fn delay(&self, round: u32) -> Duration {
        let factor = 1u32
            .checked_shl(round.saturating_sub(1).min(20))
            .unwrap_or(u32::MAX);
        let delay = self
            .initial_delay
            .saturating_mul(factor)
            .min(self.max_delay);
        if self.jitter && !delay.is_zero() {
            delay.mul_f64(0.5 + fastrand::f64() * 0.5)
        } else {
            delay
        }
    }

    pub(crate) fn keeps(&self, entity: RecordedEntity<'_>) -> bool {
        self.filter.as_ref().is_none_or(|f| (f.0)(entity))
    }
}

/// A predicate over recorded entities: `true` recovers the entity.
#[derive(Clone)]
pub struct TopologyFilter(pub Arc<dyn Fn(RecordedEntity<'_>) -> bool + Send + Sync>);

impl TopologyFilter {
    /// Wraps a predicate.
    pub fn new(f: impl Fn(RecordedEntity<'_>) -> bool + Send + Sync + 'static) -> Self {
        TopologyFilter(Arc::new(f))
    }
}

/// One recorded thing, as the topology filter sees it.
#[derive(Debug, Clone, Copy)]
pub enum RecordedEntity<'a> {
    /// An exchange declared by the application.
    Exchange(&'a RecordedExchange),
    /// A queue declared by the application.
    Queue(&'a RecordedQueue),
    /// A queue-to-exchange or exchange-to-exchange binding.
    Binding(&'a RecordedBinding),
    /// A consumer: its channel, tag and queue.
    Consumer {
        /// Channel number.
        channel: u16,
        /// Consumer tag.
        tag: &'a str,
        /// Queue consumed from.
        queue: &'a str,
    },
}

/// An exchange as declared.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedExchange {
    /// Name.
    pub name: String,
    /// Type (`direct`, `topic`...).
    pub kind: String,
    /// Durable flag.
    pub durable: bool,
    /// Auto-delete flag.
    pub auto_delete: bool,
    /// Internal flag.
    pub internal: bool,
    /// Arguments.
    pub arguments: FieldTable,
}

/// A queue as declared.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedQueue {
    /// Its current name (the broker's, for a server-named queue).
    pub name: String,
    /// Declared with an empty name: the broker names it again at recovery.
    pub server_named: bool,
    /// Durable flag.
    pub durable: bool,
    /// Exclusive flag.
    pub exclusive: bool,
    /// Auto-delete flag.
    pub auto_delete: bool,
    /// Arguments.
    pub arguments: FieldTable,
}

/// A binding as made.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedBinding {
    /// `true` for exchange-to-exchange (`exchange.bind`), `false` for `queue.bind`.
    pub exchange_to_exchange: bool,
    /// The queue or exchange bound.
    pub destination: String,
    /// The exchange bound to.
    pub source: String,
    /// Routing key.
    pub routing_key: String,
    /// Arguments.
    pub arguments: FieldTable,
}

/// What the application declared on the connection, in declaration order.
#[derive(Debug, Default)]
pub(crate) struct Topology {
    exchanges: HashMap<String, (u64, RecordedExchange)>,
    queues: HashMap<String, (u64, RecordedQueue)>,
    bindings: Vec<RecordedBinding>,
    /// Orders entries of the maps by declaration.
    counter: u64,
}

fn text(s: &ShortString) -> String {
    s.as_str().into_owned()
}

impl Topology {
    /// Records the effect of `request` once the broker accepted it; `reply` is its answer
    /// (`None` for `nowait`).
    pub fn record(&mut self, request: &Method, reply: Option<&Method>) {
        self.counter += 1;
        let n = self.counter;
        match request {
            Method::ExchangeDeclare(m) if !m.passive => {
                let name = text(&m.exchange);
                // The default exchange and the amq.* ones cannot be declared anew.
                if name.is_empty() || name.starts_with("amq.") {
                    return;
                }
                let rec = RecordedExchange {
                    name: name.clone(),
                    kind: text(&m.kind),
                    durable: m.durable,
                    auto_delete: m.auto_delete,
                    internal: m.internal,
                    arguments: m.arguments.clone(),
                };
                let order = self.exchanges.get(&name).map_or(n, |(o, _)| *o);
                self.exchanges.insert(name, (order, rec));
            }
            Method::ExchangeDelete(m) => {
                let name = text(&m.exchange);
                self.exchanges.remove(&name);
                // Its bindings are gone with it, on both sides.
                self.bindings.retain(|b| {
                    b.source != name && !(b.exchange_to_exchange && b.destination == name)
                });
            }
            Method::QueueDeclare(m) if !m.passive => {
                let declared = text(&m.queue);
                let name = match reply {
                    Some(Method::QueueDeclareOk(ok)) => text(&ok.queue),
                    _ => declared.clone(),
                };
                if name.is_empty() {
                    return;
                }
                let rec = RecordedQueue {
                    name: name.clone(),
                    server_named: declared.is_empty(),
                    durable: m.durable,
                    exclusive: m.exclusive,
                    auto_delete: m.auto_delete,
                    arguments: m.arguments.clone(),
                };
                let order = self.queues.get(&name).map_or(n, |(o, _)| *o);
                self.queues.insert(name, (order, rec));
            }
            Method::QueueDelete(m) => {
                let name = text(&m.queue);
                self.forget_queue(&name);
            }
            Method::QueueBind(m) => self.add_binding(RecordedBinding {
                exchange_to_exchange: false,
                destination: text(&m.queue),
                source: text(&m.exchange),
                routing_key: text(&m.routing_key),
                arguments: m.arguments.clone(),
            }),
            Method::QueueUnbind(m) => self.remove_binding(&RecordedBinding {
                exchange_to_exchange: false,
                destination: text(&m.queue),
                source: text(&m.exchange),
                routing_key: text(&m.routing_key),
                arguments: m.arguments.clone(),
            }),
            Method::ExchangeBind(m) => self.add_binding(RecordedBinding {
                exchange_to_exchange: true,
                destination: text(&m.destination),
                source: text(&m.source),
                routing_key: text(&m.routing_key),
                arguments: m.arguments.clone(),
            }),
            Method::ExchangeUnbind(m) => self.remove_binding(&RecordedBinding {
                exchange_to_exchange: true,
                destination: text(&m.destination),
                source: text(&m.source),
                routing_key: text(&m.routing_key),
                arguments: m.arguments.clone(),
            }),
            _ => {}
        }
    }

    fn add_binding(&mut self, b: RecordedBinding) {
        if !self.bindings.contains(&b) {
            self.bindings.push(b);
        }
    }

    fn remove_binding(&mut self, b: &RecordedBinding) {
        self.bindings.retain(|x| x != b);
        // An auto-delete exchange goes when its last binding does.
        let source = &b.source;
        if self
            .exchanges
            .get(source)
            .is_some_and(|(_, e)| e.auto_delete)
            && !self.bindings.iter().any(|x| &x.source == source)
        {
            self.exchanges.remove(source);
        }
    }

    /// Forgets a queue and its bindings (deleted by the application, or an auto-delete queue
    /// whose last consumer the application cancelled).
    pub fn forget_queue(&mut self, name: &str) {
        self.queues.remove(name);
        self.bindings
            .retain(|b| b.exchange_to_exchange || b.destination != name);
    }

    /// Whether `name` is a recorded auto-delete queue.
    pub fn is_auto_delete_queue(&self, name: &str) -> bool {
        self.queues.get(name).is_some_and(|(_, q)| q.auto_delete)
    }

    /// Recorded exchanges in declaration order.
    pub fn exchanges(&self) -> Vec<RecordedExchange> {
        let mut v: Vec<_> = self.exchanges.values().cloned().collect();
        v.sort_by_key(|(o, _)| *o);
        v.into_iter().map(|(_, e)| e).collect()
    }

    /// Recorded queues in declaration order.
    pub fn queues(&self) -> Vec<RecordedQueue> {
        let mut v: Vec<_> = self.queues.values().cloned().collect();
        v.sort_by_key(|(o, _)| *o);
        v.into_iter().map(|(_, q)| q).collect()
    }

    /// Recorded bindings in the order they were made.
    pub fn bindings(&self) -> &[RecordedBinding] {
        &self.bindings
    }

    /// A server-named queue came back under a new name: move the record and its bindings.
    pub fn rename_queue(&mut self, old: &str, new: &str) {
        if let Some((order, mut q)) = self.queues.remove(old) {
            q.name = new.to_string();
            self.queues.insert(new.to_string(), (order, q));
        }
        for b in &mut self.bindings {
            if !b.exchange_to_exchange && b.destination == old {
                b.destination = new.to_string();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{
        ExchangeDeclare, ExchangeDelete, QueueBind, QueueDeclare, QueueDeclareOk, QueueDelete,
        QueueUnbind,
    };

    fn s(v: &str) -> ShortString {
        ShortString::try_from(v).unwrap()
    }

    fn declare_queue(t: &mut Topology, name: &str, reply_name: &str) {
        let req: Method = QueueDeclare {
            queue: s(name),
            ..Default::default()
        }
        .into();
        let ok: Method = QueueDeclareOk {
            queue: s(reply_name),
            message_count: 0,
            consumer_count: 0,
        }
        .into();
        t.record(&req, Some(&ok));
    }

    fn bind(queue: &str, exchange: &str) -> Method {
        QueueBind {
            queue: s(queue),
            exchange: s(exchange),
            routing_key: s("k"),
            ..Default::default()
        }
        .into()
    }

    #[test]
    fn records_in_order_and_forgets_deleted_things() {
        let mut t = Topology::default();
        for name in ["x1", "x2", "amq.direct", ""] {
            let req: Method = ExchangeDeclare {
                exchange: s(name),
                kind: s("direct"),
                ..Default::default()
            }
            .into();
            t.record(&req, None);
        }
        let names: Vec<_> = t.exchanges().into_iter().map(|e| e.name).collect();
        assert_eq!(
            names,
            ["x1", "x2"],
            "amq.* and the default exchange are not recorded"
        );
        declare_queue(&mut t, "q", "q");
        t.record(&bind("q", "x1"), None);
        t.record(&bind("q", "x1"), None);
        assert_eq!(t.bindings().len(), 1, "a repeated binding is recorded once");
        let del: Method = ExchangeDelete {
            exchange: s("x1"),
            ..Default::default()
        }
        .into();
        t.record(&del, None);
        assert!(t.bindings().is_empty(), "bindings go with their exchange");
        t.record(&bind("q", "x2"), None);
        let del: Method = QueueDelete {
            queue: s("q"),
            ..Default::default()
        }
        .into();
        t.record(&del, None);
        assert!(t.queues().is_empty());
        assert!(t.bindings().is_empty(), "bindings go with their queue");
    }

    #[test]
    fn server_named_queue_is_renamed_with_its_bindings() {
        let mut t = Topology::default();
        declare_queue(&mut t, "", "amq.gen-1");
        t.record(&bind("amq.gen-1", "x"), None);
        let q = &t.queues()[0];
        assert!(q.server_named);
        assert_eq!(q.name, "amq.gen-1");
        t.rename_queue("amq.gen-1", "amq.gen-2");
        assert_eq!(t.queues()[0].name, "amq.gen-2");
        assert_eq!(t.bindings()[0].destination, "amq.gen-2");
    }

    #[test]
    fn unbind_forgets_binding() {
        let mut t = Topology::default();
        t.record(&bind("q", "x"), None);
        let unbind: Method = QueueUnbind {
            queue: s("q"),
            exchange: s("x"),
            routing_key: s("k"),
            ..Default::default()
        }
        .into();
        t.record(&unbind, None);
        assert!(t.bindings().is_empty());
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let o = RecoveryOptions {
            jitter: false,
            initial_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
            ..Default::default()
        };
        let d: Vec<_> = (1..=6).map(|r| o.delay(r).as_millis()).collect();
        assert_eq!(d, [100, 200, 400, 800, 1000, 1000]);
        let j = RecoveryOptions::default();
        for r in 1..10 {
            let full = RecoveryOptions {
                jitter: false,
                ..j.clone()
            }
            .delay(r);
            let got = j.delay(r);
            assert!(
                got >= full / 2 && got <= full,
                "{got:?} within [{:?}, {full:?}]",
                full / 2
            );
        }
    }
}
