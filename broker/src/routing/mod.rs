//! Exchanges and routing: direct, fanout, topic (trie) and headers exchanges, the default
//! exchange, exchange-to-exchange bindings and alternate exchanges.
//!
//! Each exchange keeps its bindings indexed for its type, and the indexes are updated per
//! binding, so binding, unbinding and routing cost does not grow with the number of other
//! bindings (a topic exchange walks its trie once per message; a direct exchange does one hash
//! lookup).

pub mod headers;
pub mod topic;

use std::collections::{BTreeMap, BTreeSet};

use crate::FastMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use parking_lot::RwLock;
use warren_core::codec::{FieldTable, FieldValue, ShortString};

use crate::error::{precondition_failed, AmqpResult};
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
        self.identity() == other.identity()
    }
}

/// A destination's identity: which kind, and the address of its `Arc`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum DestinationId {
    Queue(usize),
    Exchange(usize),
}

impl Destination {
    fn identity(&self) -> DestinationId {
        match self {
            Destination::Queue(q) => DestinationId::Queue(Arc::as_ptr(q) as usize),
            Destination::Exchange(x) => DestinationId::Exchange(Arc::as_ptr(x) as usize),
        }
    }
}

/// A binding as stored: destination plus the key and arguments it was made with (bindings are
/// identified by all three, as in RabbitMQ).
#[derive(Debug, Clone)]
struct Bound {
    destination: Destination,
    key: ShortString,
    arguments: FieldTable,
    /// Headers exchanges: the binding's `x-match`, parsed once.
    mode: HeadersMatch,
}

/// The bindings of one exchange, indexed for its routing algorithm. Every index holds binding
/// ids; `all` maps them to the bindings, in creation order.
#[derive(Debug, Default)]
struct Bindings {
    all: BTreeMap<u64, Bound>,
    next_id: u64,
    /// (destination, key) → ids: finds a binding by its identity without a scan.
    by_route: FastMap<(DestinationId, ShortString), Vec<u64>>,
    /// destination → ids: for removing everything bound to a deleted queue or exchange.
    by_destination: FastMap<DestinationId, BTreeSet<u64>>,
    /// Direct: routing key → ids.
    by_key: FastMap<ShortString, Vec<u64>>,
    /// Topic: pattern trie of ids.
    trie: TopicTrie<u64>,
}

impl Bindings {
    fn find(&self, d: DestinationId, key: &ShortString, arguments: &FieldTable) -> Option<u64> {
        self.by_route
            .get(&(d, key.clone()))?
            .iter()
            .copied()
            .find(|id| self.all[id].arguments == *arguments)
    }

    fn insert(&mut self, kind: ExchangeKind, bound: Bound) {
        let id = self.next_id;
        self.next_id += 1;
        let d = bound.destination.identity();
        self.by_route
            .entry((d, bound.key.clone()))
            .or_default()
            .push(id);
        self.by_destination.entry(d).or_default().insert(id);
        match kind {
            ExchangeKind::Direct => self.by_key.entry(bound.key.clone()).or_default().push(id),
            ExchangeKind::Topic => {
                self.trie.insert(&bound.key.as_str(), id);
            }
            ExchangeKind::Fanout | ExchangeKind::Headers => {}
        }
        self.all.insert(id, bound);
    }

    fn remove(&mut self, kind: ExchangeKind, id: u64) {
        let Some(bound) = self.all.remove(&id) else {
            return;
        };
        let d = bound.destination.identity();
        remove_id(&mut self.by_route, &(d, bound.key.clone()), id);
        if let Some(ids) = self.by_destination.get_mut(&d) {
            ids.remove(&id);
            if ids.is_empty() {
                self.by_destination.remove(&d);
            }
        }
        match kind {
            ExchangeKind::Direct => remove_id(&mut self.by_key, &bound.key, id),
            ExchangeKind::Topic => {
                self.trie.remove(&bound.key.as_str(), &id);
            }
            ExchangeKind::Fanout | ExchangeKind::Headers => {}
        }
    }

    fn clear(&mut self) {
        self.all.clear();
        self.by_route.clear();
        self.by_destination.clear();
        self.by_key.clear();
        self.trie = TopicTrie::default();
    }
}

fn remove_id<K: std::hash::Hash + Eq>(map: &mut FastMap<K, Vec<u64>>, key: &K, id: u64) {
    if let Some(ids) = map.get_mut(key) {
        ids.retain(|&x| x != id);
        if ids.is_empty() {
            map.remove(key);
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
        self.bindings.write().clear();
    }

    /// Adds a binding; returns false if an identical one exists (binding is idempotent).
    pub fn bind(&self, destination: Destination, key: ShortString, arguments: FieldTable) -> bool {
        let mut b = self.bindings.write();
        if b.find(destination.identity(), &key, &arguments).is_some() {
            return false;
        }
        let mode = HeadersMatch::from_arguments(&arguments).unwrap_or(HeadersMatch::All);
        let bound = Bound {
            destination,
            key,
            arguments,
            mode,
        };
        b.insert(self.kind, bound);
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
        match b.find(destination.identity(), key, arguments) {
            Some(id) => {
                b.remove(self.kind, id);
                true
            }
            None => false,
        }
    }

    /// Whether a binding to `destination` with this key and arguments exists.
    pub fn has_binding(
        &self,
        destination: &Destination,
        key: &ShortString,
        arguments: &FieldTable,
    ) -> bool {
        self.bindings
            .read()
            .find(destination.identity(), key, arguments)
            .is_some()
    }

    /// Whether any binding leads to `destination`.
    pub fn has_any_binding_to(&self, destination: &Destination) -> bool {
        self.bindings
            .read()
            .by_destination
            .contains_key(&destination.identity())
    }

    /// Removes every binding to `destination`; returns how many.
    pub fn unbind_all(&self, destination: &Destination) -> usize {
        let mut b = self.bindings.write();
        let Some(ids) = b.by_destination.get(&destination.identity()).cloned() else {
            return 0;
        };
        for &id in &ids {
            b.remove(self.kind, id);
        }
        ids.len()
    }

    /// Number of bindings with this exchange as source.
    pub fn binding_count(&self) -> usize {
        self.bindings.read().all.len()
    }

    /// Checks a redeclaration against this exchange as RabbitMQ does: type, `durable`,
    /// `auto_delete`, `internal`, and among the arguments only `alternate-exchange` (others
    /// are ignored). `kind_name` is the type as the client sent it.
    #[allow(clippy::too_many_arguments)]
    pub fn check_equivalent(
        &self,
        kind: ExchangeKind,
        kind_name: &str,
        durable: bool,
        auto_delete: bool,
        internal: bool,
        arguments: &FieldTable,
        vhost: &str,
    ) -> AmqpResult {
        let fail = |arg: &str, received: String, current: String| {
            Err(precondition_failed(format!(
                "inequivalent arg '{arg}' for exchange '{}' in vhost '{vhost}': received {received} but current is {current}",
                self.name
            )))
        };
        let quoted = |v: &dyn std::fmt::Display| format!("'{v}'");
        if self.kind != kind {
            return fail("type", quoted(&kind_name), quoted(&self.kind.name()));
        }
        for (arg, received, current) in [
            ("durable", durable, self.durable),
            ("auto_delete", auto_delete, self.auto_delete),
            ("internal", internal, self.internal),
        ] {
            if received != current {
                return fail(arg, quoted(&received), quoted(&current));
            }
        }
        const AE: &str = "alternate-exchange";
        match (self.arguments.get(AE), arguments.get(AE)) {
            (None, None) => Ok(()),
            (Some(current), Some(received)) if field_equal(current, received) => Ok(()),
            (Some(current), Some(received)) => fail(
                AE,
                quoted(&field_text(received)),
                quoted(&field_text(current)),
            ),
            (Some(current), None) => fail(AE, "none".into(), typed_text(current)),
            (None, Some(received)) => fail(AE, typed_text(received), "none".into()),
        }
    }

    /// Adds to `out` the destinations `message` is routed to by this exchange alone, each
    /// binding once, in the order the bindings were made.
    pub fn route_into(&self, message: &Message, out: &mut Vec<Destination>) {
        let b = self.bindings.read();
        match self.kind {
            ExchangeKind::Fanout => out.extend(b.all.values().map(|x| x.destination.clone())),
            ExchangeKind::Direct => {
                if let Some(ids) = b.by_key.get(&message.routing_key) {
                    out.extend(ids.iter().map(|id| b.all[id].destination.clone()));
                }
            }
            ExchangeKind::Topic => {
                let mut ids = Vec::new();
                b.trie
                    .for_each_match(&message.routing_key.as_str(), &mut |&id| ids.push(id));
                // A pattern with several `#` can match one key in several ways.
                ids.sort_unstable();
                ids.dedup();
                out.extend(ids.iter().map(|id| b.all[id].destination.clone()));
            }
            ExchangeKind::Headers => {
                let headers = message.properties.headers.as_ref();
                for x in b.all.values() {
                    if headers::matches(&x.arguments, x.mode, headers) {
                        out.push(x.destination.clone());
                    }
                }
            }
        }
    }
}

/// A new exchange's `alternate-exchange` must be a long string, as RabbitMQ requires.
pub fn check_alternate_exchange_type(
    name: &ShortString,
    arguments: &FieldTable,
    vhost: &str,
) -> AmqpResult {
    match arguments.get("alternate-exchange") {
        None | Some(FieldValue::LongString(_)) => Ok(()),
        Some(other) => Err(precondition_failed(format!(
            "invalid type '{}' for arg 'alternate-exchange' in exchange '{name}' in vhost '{vhost}'",
            type_name(other)
        ))),
    }
}

/// Argument equality as RabbitMQ's equivalence check has it: same type class and value.
fn field_equal(a: &FieldValue, b: &FieldValue) -> bool {
    match (a.as_i64(), b.as_i64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// A value as RabbitMQ prints it in an equivalence error.
fn field_text(v: &FieldValue) -> String {
    match v {
        FieldValue::LongString(s) => s.as_str().into_owned(),
        FieldValue::ByteArray(b) => String::from_utf8_lossy(b).into_owned(),
        FieldValue::Boolean(b) => b.to_string(),
        FieldValue::Float(f) => f.to_string(),
        FieldValue::Double(d) => d.to_string(),
        FieldValue::Void => "undefined".into(),
        other => match other.as_i64() {
            Some(n) => n.to_string(),
            None => format!("{other:?}"),
        },
    }
}

/// `the value 'x' of type 'longstr'`, as RabbitMQ words a value against a missing one.
fn typed_text(v: &FieldValue) -> String {
    format!("the value '{}' of type '{}'", field_text(v), type_name(v))
}

/// RabbitMQ's name for a field type.
fn type_name(v: &FieldValue) -> &'static str {
    match v {
        FieldValue::Boolean(_) => "bool",
        FieldValue::ShortShortInt(_) => "byte",
        FieldValue::ShortShortUInt(_) => "unsignedbyte",
        FieldValue::ShortInt(_) => "short",
        FieldValue::ShortUInt(_) => "unsignedshort",
        FieldValue::LongInt(_) => "signedint",
        FieldValue::LongUInt(_) => "unsignedint",
        // RabbitMQ decodes `L` as the same signed `long` as `l`.
        FieldValue::LongLongInt(_) | FieldValue::LongLongUInt(_) => "long",
        FieldValue::Float(_) => "float",
        FieldValue::Double(_) => "double",
        FieldValue::Decimal(_) => "decimal",
        FieldValue::LongString(_) => "longstr",
        FieldValue::Array(_) => "array",
        FieldValue::Timestamp(_) => "timestamp",
        FieldValue::Table(_) => "table",
        FieldValue::Void => "void",
        FieldValue::ByteArray(_) => "binary",
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use bytes::Bytes;
    use warren_core::codec::BasicProperties;

    use super::*;

    fn exchange(kind: ExchangeKind) -> Arc<Exchange> {
        Arc::new(Exchange::new(
            ShortString::from_static("x"),
            kind,
            false,
            false,
            false,
            FieldTable::new(),
        ))
    }

    fn dest(i: usize) -> Destination {
        Destination::Exchange(Arc::new(Exchange::new(
            ShortString::try_from(format!("d{i}")).unwrap(),
            ExchangeKind::Fanout,
            false,
            false,
            false,
            FieldTable::new(),
        )))
    }

    fn message(key: &str) -> Message {
        Message {
            exchange: ShortString::from_static("x"),
            routing_key: ShortString::try_from(key).unwrap(),
            properties: BasicProperties::default(),
            body: Bytes::new(),
        }
    }

    fn key(s: String) -> ShortString {
        ShortString::try_from(s).unwrap()
    }

    fn names(out: &[Destination]) -> Vec<String> {
        out.iter()
            .map(|d| match d {
                Destination::Exchange(x) => x.name.to_string(),
                Destination::Queue(q) => q.name.to_string(),
            })
            .collect()
    }

    /// Topic routing walks the trie: with 10,000 bindings, binding is not quadratic and each
    /// message costs a few trie steps, not a pattern (regex) test per binding. The same work
    /// done by testing every binding would take orders of magnitude longer than the bound.
    #[test]
    fn topic_routing_uses_the_trie_with_10000_bindings() {
        let x = exchange(ExchangeKind::Topic);
        let dests: Vec<Destination> = (0..100).map(dest).collect();
        let t0 = Instant::now();
        for i in 0..10_000 {
            let pattern = match i % 4 {
                0 => format!("region{}.orders.*", i),
                1 => format!("region{}.#", i),
                2 => format!("*.service{}.log", i),
                _ => format!("#.event{}", i),
            };
            assert!(x.bind(dests[i % 100].clone(), key(pattern), FieldTable::new()));
        }
        let bind_time = t0.elapsed();
        assert_eq!(x.binding_count(), 10_000);

        let mut out = Vec::new();
        let t0 = Instant::now();
        let rounds = 20_000;
        for r in 0..rounds {
            out.clear();
            let i = (r * 4) % 10_000;
            x.route_into(&message(&format!("region{i}.orders.new")), &mut out);
            // region{i}.orders.* (binding i, to dest i % 100) matches; so does region{i+1}.#
            // only for its own region.
            assert_eq!(out.len(), 1, "key region{i}.orders.new: {:?}", names(&out));
        }
        let route_time = t0.elapsed();
        out.clear();
        x.route_into(&message("region1.a.b"), &mut out);
        assert_eq!(names(&out), ["d1"]);
        out.clear();
        x.route_into(&message("a.service2.log"), &mut out);
        assert_eq!(names(&out), ["d2"]);
        out.clear();
        x.route_into(&message("p.q.event3"), &mut out);
        assert_eq!(names(&out), ["d3"]);
        out.clear();
        x.route_into(&message("nothing.matches.this"), &mut out);
        assert!(out.is_empty());
        // Generous bounds (debug build, shared CI machine): testing 10,000 patterns per
        // message would need well over a second for 20,000 messages.
        assert!(
            bind_time < Duration::from_secs(2),
            "binding took {bind_time:?}"
        );
        assert!(
            route_time < Duration::from_secs(2),
            "{rounds} messages took {route_time:?}"
        );

        // Unbinding is per binding too, and leaves the others routing.
        let t0 = Instant::now();
        for i in (0..10_000).step_by(2) {
            let pattern = match i % 4 {
                0 => format!("region{}.orders.*", i),
                _ => format!("*.service{}.log", i),
            };
            assert!(x.unbind(&dests[i % 100], &key(pattern), &FieldTable::new()));
        }
        assert!(t0.elapsed() < Duration::from_secs(2));
        assert_eq!(x.binding_count(), 5_000);
        out.clear();
        x.route_into(&message("region4.orders.new"), &mut out);
        assert!(out.is_empty());
        x.route_into(&message("region5.orders.new"), &mut out);
        assert_eq!(names(&out), ["d5"]);
    }

    #[test]
    fn many_hashes_match_once_and_fast() {
        let x = exchange(ExchangeKind::Topic);
        x.bind(dest(0), key("#.#.#.#.#.#.#.#".into()), FieldTable::new());
        x.bind(dest(1), key("#.a.#.a.#.a.#".into()), FieldTable::new());
        let long = vec!["a"; 40].join(".");
        let t0 = Instant::now();
        let mut out = Vec::new();
        x.route_into(&message(&long), &mut out);
        assert_eq!(names(&out), ["d0", "d1"]);
        assert!(t0.elapsed() < Duration::from_secs(1), "{:?}", t0.elapsed());
    }

    #[test]
    fn bindings_are_identified_by_destination_key_and_arguments() {
        let x = exchange(ExchangeKind::Direct);
        let d = dest(0);
        let mut args = FieldTable::new();
        args.insert("a", "1").unwrap();
        assert!(x.bind(d.clone(), key("k".into()), FieldTable::new()));
        assert!(!x.bind(d.clone(), key("k".into()), FieldTable::new()));
        assert!(x.bind(d.clone(), key("k".into()), args.clone()));
        assert!(x.bind(d.clone(), key("j".into()), FieldTable::new()));
        assert_eq!(x.binding_count(), 3);
        let mut out = Vec::new();
        x.route_into(&message("k"), &mut out);
        assert_eq!(
            out.len(),
            2,
            "two bindings, one destination: the vhost dedups"
        );
        assert!(x.unbind(&d, &key("k".into()), &args));
        assert!(!x.unbind(&d, &key("k".into()), &args));
        assert!(x.has_binding(&d, &key("k".into()), &FieldTable::new()));
        assert!(x.has_any_binding_to(&d));
        assert_eq!(x.unbind_all(&d), 2);
        assert!(!x.has_any_binding_to(&d));
        assert_eq!(x.binding_count(), 0);
        out.clear();
        x.route_into(&message("k"), &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn fanout_and_headers_keep_binding_order() {
        let x = exchange(ExchangeKind::Fanout);
        for i in [3, 1, 2] {
            x.bind(dest(i), key(String::new()), FieldTable::new());
        }
        let mut out = Vec::new();
        x.route_into(&message("any"), &mut out);
        assert_eq!(names(&out), ["d3", "d1", "d2"]);
        x.unbind(&out[1].clone(), &key(String::new()), &FieldTable::new());
        out.clear();
        x.route_into(&message("any"), &mut out);
        assert_eq!(names(&out), ["d3", "d2"]);
    }

    #[test]
    fn equivalence_compares_only_the_alternate_exchange_argument() {
        let mut ae = FieldTable::new();
        ae.insert("alternate-exchange", "ae1").unwrap();
        let x = Exchange::new(
            ShortString::from_static("x"),
            ExchangeKind::Direct,
            false,
            false,
            false,
            ae.clone(),
        );
        let check = |kind, durable, args: &FieldTable| {
            x.check_equivalent(
                kind,
                ExchangeKind::name(kind),
                durable,
                false,
                false,
                args,
                "/",
            )
        };
        assert!(check(ExchangeKind::Direct, false, &ae).is_ok());
        let mut extra = ae.clone();
        extra.insert("x-other", "1").unwrap();
        assert!(check(ExchangeKind::Direct, false, &extra).is_ok());
        let e = check(ExchangeKind::Fanout, false, &ae).unwrap_err();
        assert!(
            e.text
                .ends_with("received 'fanout' but current is 'direct'"),
            "{}",
            e.text
        );
        let e = check(ExchangeKind::Direct, true, &ae).unwrap_err();
        assert!(
            e.text.ends_with("received 'true' but current is 'false'"),
            "{}",
            e.text
        );
        let e = check(ExchangeKind::Direct, false, &FieldTable::new()).unwrap_err();
        assert_eq!(
            e.text,
            "PRECONDITION_FAILED - inequivalent arg 'alternate-exchange' for exchange 'x' in vhost '/': received none but current is the value 'ae1' of type 'longstr'"
        );
        let mut other = FieldTable::new();
        other.insert("alternate-exchange", "ae2").unwrap();
        let e = check(ExchangeKind::Direct, false, &other).unwrap_err();
        assert!(
            e.text.ends_with("received 'ae2' but current is 'ae1'"),
            "{}",
            e.text
        );
    }
}
