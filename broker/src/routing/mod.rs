//! Exchanges and routing: direct, fanout, topic (trie) and headers exchanges, the default
//! exchange, exchange-to-exchange bindings and alternate exchanges.

pub mod headers;
pub mod topic;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use parking_lot::RwLock;
use warren_core::codec::{FieldTable, ShortString};

use crate::message::Message;
use crate::queue::Queue;
use headers::HeadersMatch;
use topic::TopicTrie;

/// The routing algorithm of an exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExchangeKind {
    /// Routing key equals binding key.
    Direct,
    /// Every bound destination.
    Fanout,
    /// Dot-separated patterns with `*` and `#`.
    Topic,
    /// Matching on the `headers` property.
    Headers,
}

impl ExchangeKind {
    /// Parses the type named in `exchange.declare`.
    pub fn from_name(name: &str) -> Option<ExchangeKind> {
        match name {
            "direct" => Some(ExchangeKind::Direct),
            "fanout" => Some(ExchangeKind::Fanout),
            "topic" => Some(ExchangeKind::Topic),
            "headers" => Some(ExchangeKind::Headers),
            _ => None,
        }
    }

    /// The type's name.
    pub fn name(self) -> &'static str {
        match self {
            ExchangeKind::Direct => "direct",
            ExchangeKind::Fanout => "fanout",
            ExchangeKind::Topic => "topic",
            ExchangeKind::Headers => "headers",
        }
    }
}

/// Where a binding leads.
#[derive(Debug, Clone)]
pub enum Destination {
    /// A queue.
    Queue(Arc<Queue>),
    /// Another exchange (a RabbitMQ extension).
    Exchange(Arc<Exchange>),
}

impl PartialEq for Destination {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Destination::Queue(a), Destination::Queue(b)) => Arc::ptr_eq(a, b),
            (Destination::Exchange(a), Destination::Exchange(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

/// A binding as stored: destination plus the key and arguments it was made with (bindings are
/// identified by all three, as in RabbitMQ).
#[derive(Debug, Clone, PartialEq)]
struct Bound {
    destination: Destination,
    key: ShortString,
    arguments: FieldTable,
}

/// The bindings of one exchange, indexed for its routing algorithm.
#[derive(Debug, Default)]
struct Bindings {
    /// Every binding, in creation order (the source of truth).
    all: Vec<Bound>,
    /// Direct: routing key → indices into `all`.
    by_key: HashMap<ShortString, Vec<usize>>,
    /// Topic: pattern trie of indices into `all`.
    trie: TopicTrie<usize>,
}

impl Bindings {
    fn rebuild(&mut self, kind: ExchangeKind) {
        self.by_key.clear();
        self.trie = TopicTrie::default();
        for (i, b) in self.all.iter().enumerate() {
            match kind {
                ExchangeKind::Direct => self.by_key.entry(b.key.clone()).or_default().push(i),
                ExchangeKind::Topic => {
                    self.trie.insert(&b.key.as_str(), i);
                }
                _ => {}
            }
        }
    }
}

/// An exchange.
#[derive(Debug)]
pub struct Exchange {
    /// Name.
    pub name: ShortString,
    /// Routing algorithm.
    pub kind: ExchangeKind,
    /// Survives restart.
    pub durable: bool,
    /// Deleted when its last binding (as source) goes.
    pub auto_delete: bool,
    /// Only reachable through exchange-to-exchange bindings.
    pub internal: bool,
    /// Declaration arguments (for equivalence checks).
    pub arguments: FieldTable,
    /// `alternate-exchange`: where unroutable messages go.
    pub alternate: Option<ShortString>,
    bindings: RwLock<Bindings>,
    /// Set when deleted, so cached references stop routing.
    deleted: AtomicBool,
}

impl Exchange {
    /// A new exchange with no bindings.
    pub fn new(
        name: ShortString,
        kind: ExchangeKind,
        durable: bool,
        auto_delete: bool,
        internal: bool,
        arguments: FieldTable,
    ) -> Exchange {
        let alternate = arguments
            .get("alternate-exchange")
            .and_then(|v| v.as_str())
            .and_then(|s| ShortString::try_from(s.as_ref()).ok());
        Exchange {
            name,
            kind,
            durable,
            auto_delete,
            internal,
            arguments,
            alternate,
            bindings: RwLock::new(Bindings::default()),
            deleted: AtomicBool::new(false),
        }
    }

    /// Whether the exchange was deleted.
    pub fn is_deleted(&self) -> bool {
        self.deleted.load(Ordering::Acquire)
    }

    /// Marks the exchange deleted and drops its bindings.
    pub fn mark_deleted(&self) {
        self.deleted.store(true, Ordering::Release);
        let mut b = self.bindings.write();
        b.all.clear();
        b.rebuild(self.kind);
    }

    /// Adds a binding; returns false if an identical one exists (binding is idempotent).
    pub fn bind(&self, destination: Destination, key: ShortString, arguments: FieldTable) -> bool {
        let mut b = self.bindings.write();
        let bound = Bound {
            destination,
            key,
            arguments,
        };
        if b.all.contains(&bound) {
            return false;
        }
        b.all.push(bound);
        b.rebuild(self.kind);
        true
    }

    /// Removes a binding; returns whether it existed.
    pub fn unbind(
        &self,
        destination: &Destination,
        key: &ShortString,
        arguments: &FieldTable,
    ) -> bool {
        let mut b = self.bindings.write();
        let before = b.all.len();
        b.all.retain(|x| {
            !(x.destination == *destination && x.key == *key && x.arguments == *arguments)
        });
        let removed = b.all.len() != before;
        if removed {
            b.rebuild(self.kind);
        }
        removed
    }

    /// Whether a binding to `destination` with this key and arguments exists.
    pub fn has_binding(
        &self,
        destination: &Destination,
        key: &ShortString,
        arguments: &FieldTable,
    ) -> bool {
        let b = self.bindings.read();
        b.all
            .iter()
            .any(|x| x.destination == *destination && x.key == *key && x.arguments == *arguments)
    }

    /// Whether any binding leads to `destination`.
    pub fn has_any_binding_to(&self, destination: &Destination) -> bool {
        self.bindings
            .read()
            .all
            .iter()
            .any(|x| x.destination == *destination)
    }

    /// Removes every binding to `destination`; returns how many.
    pub fn unbind_all(&self, destination: &Destination) -> usize {
        let mut b = self.bindings.write();
        let before = b.all.len();
        b.all.retain(|x| x.destination != *destination);
        let removed = before - b.all.len();
        if removed > 0 {
            b.rebuild(self.kind);
        }
        removed
    }

    /// Number of bindings with this exchange as source.
    pub fn binding_count(&self) -> usize {
        self.bindings.read().all.len()
    }

    /// Adds to `out` the destinations `message` is routed to by this exchange alone.
    pub fn route_into(&self, message: &Message, out: &mut Vec<Destination>) {
        let b = self.bindings.read();
        match self.kind {
            ExchangeKind::Fanout => out.extend(b.all.iter().map(|x| x.destination.clone())),
            ExchangeKind::Direct => {
                if let Some(ids) = b.by_key.get(&message.routing_key) {
                    out.extend(ids.iter().map(|&i| b.all[i].destination.clone()));
                }
            }
            ExchangeKind::Topic => {
                let key = message.routing_key.as_str();
                b.trie
                    .for_each_match(&key, &mut |&i| out.push(b.all[i].destination.clone()));
            }
            ExchangeKind::Headers => {
                let headers = message.properties.headers.as_ref();
                for x in &b.all {
                    let mode =
                        HeadersMatch::from_arguments(&x.arguments).unwrap_or(HeadersMatch::All);
                    if headers::matches(&x.arguments, mode, headers) {
                        out.push(x.destination.clone());
                    }
                }
            }
        }
    }
}
