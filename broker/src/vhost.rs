//! A virtual host: its exchanges and queues, declaration and deletion with RabbitMQ's checks,
//! and routing through the exchange graph.

use std::collections::HashMap;
use std::sync::{Arc, Weak};

use parking_lot::RwLock;
use rand::Rng;
use warren_core::codec::{FieldTable, ShortString};

use crate::error::{access_refused, command_invalid, not_found, precondition_failed, AmqpResult};
use crate::message::Message;
use crate::queue::{args, Queue, QueueArgs, QueueHost, QueueLog, QueueOptions};
use crate::routing::{Destination, Exchange, ExchangeKind};
use crate::storage::definitions::{
    persist, persist_or_log, DefinitionStore, StoredBinding, StoredExchange, StoredQueue,
};

/// What `exchange.declare` asks for.
#[derive(Debug, Clone)]
pub struct ExchangeDeclaration {
    /// Name.
    pub name: ShortString,
    /// Type name as sent.
    pub kind: String,
    /// Only check existence.
    pub passive: bool,
    /// Survives restart.
    pub durable: bool,
    /// Deleted with its last binding.
    pub auto_delete: bool,
    /// Not publishable directly.
    pub internal: bool,
    /// Arguments.
    pub arguments: FieldTable,
}

/// What `queue.declare` asks for.
#[derive(Debug, Clone)]
pub struct QueueDeclaration {
    /// Name; empty asks for a generated one.
    pub name: ShortString,
    /// Only check existence.
    pub passive: bool,
    /// Survives restart.
    pub durable: bool,
    /// Owned by the declaring connection.
    pub exclusive: bool,
    /// Deleted when its last consumer goes.
    pub auto_delete: bool,
    /// Arguments.
    pub arguments: FieldTable,
}

/// A virtual host.
#[derive(Debug)]
pub struct VHost {
    /// Name, e.g. `/`.
    pub name: String,
    exchanges: RwLock<crate::FastMap<ShortString, Arc<Exchange>>>,
    queues: RwLock<crate::FastMap<ShortString, Arc<Queue>>>,
    /// Itself, for queues (dead-lettering, `x-expires`).
    me: Weak<VHost>,
    /// The broker's message log, for durable queues (none in memory-only mode).
    store: std::sync::OnceLock<Arc<crate::storage::MessageStore>>,
    /// Messages recovered from the log, by queue, until the durable queue is recreated.
    recovered: parking_lot::Mutex<HashMap<String, Vec<crate::storage::RecoveredMessage>>>,
    /// The definitions log, for durable exchanges, queues and bindings (none in memory-only
    /// mode).
    definitions: std::sync::OnceLock<Arc<DefinitionStore>>,
}

fn inequivalent(
    arg: &str,
    what: &str,
    name: &ShortString,
    vhost: &str,
    received: impl std::fmt::Display,
    current: impl std::fmt::Display,
) -> crate::error::AmqpException {
    precondition_failed(format!(
        "inequivalent arg '{arg}' for {what} '{name}' in vhost '{vhost}': received '{received}' but current is '{current}'"
    ))
}

impl VHost {
    /// A vhost with the default exchange and the predeclared `amq.*` exchanges.
    pub fn new(name: &str) -> Arc<VHost> {
        Arc::new_cyclic(|me| VHost::with_default_exchanges(name, me.clone()))
    }

    /// Gives the vhost the broker's message log and the messages recovered from it for its
    /// queues: a durable queue declared (or recreated from definitions) while recovered
    /// messages wait for it gets them back, in order ([`Queue::restore`]).
    pub fn attach_message_store(
        &self,
        store: Arc<crate::storage::MessageStore>,
        recovered: HashMap<String, Vec<crate::storage::RecoveredMessage>>,
    ) {
        let _ = self.store.set(store);
        *self.recovered.lock() = recovered;
    }

    /// Writes durable declarations, deletions and bindings to `store` from now on.
    pub fn attach_definitions(&self, store: Arc<DefinitionStore>) {
        let _ = self.definitions.set(store);
    }

    /// Every queue.
    pub fn queues(&self) -> Vec<Arc<Queue>> {
        self.queues.read().values().cloned().collect()
    }

    /// Every exchange.
    pub fn exchanges(&self) -> Vec<Arc<Exchange>> {
        self.exchanges.read().values().cloned().collect()
    }

    /// The broker's message log, if it keeps one.
    pub fn message_store(&self) -> Option<Arc<crate::storage::MessageStore>> {
        self.store.get().cloned()
    }

    /// Takes the recovered messages waiting for queue `name` (the definitions loader may
    /// restore them itself; [`VHost::declare_queue`] does it for a new durable queue).
    pub fn take_recovered(&self, name: &str) -> Vec<crate::storage::RecoveredMessage> {
        self.recovered.lock().remove(name).unwrap_or_default()
    }

    fn with_default_exchanges(name: &str, me: Weak<VHost>) -> VHost {
        let vhost = VHost {
            name: name.to_string(),
            exchanges: RwLock::default(),
            queues: RwLock::default(),
            me,
            store: std::sync::OnceLock::new(),
            recovered: Default::default(),
            definitions: std::sync::OnceLock::new(),
        };
        {
            let mut ex = vhost.exchanges.write();
            for (n, kind) in [
                ("", ExchangeKind::Direct),
                ("amq.direct", ExchangeKind::Direct),
                ("amq.fanout", ExchangeKind::Fanout),
                ("amq.topic", ExchangeKind::Topic),
                ("amq.headers", ExchangeKind::Headers),
                ("amq.match", ExchangeKind::Headers),
            ] {
                let name = ShortString::from_static(n);
                ex.insert(
                    name.clone(),
                    Arc::new(Exchange::new(
                        name,
                        kind,
                        true,
                        false,
                        false,
                        FieldTable::new(),
                    )),
                );
            }
        }
        vhost
    }

    /// The exchange called `name`.
    pub fn exchange(&self, name: &ShortString) -> Option<Arc<Exchange>> {
        self.exchanges.read().get(name).cloned()
    }

    /// The queue called `name`.
    pub fn queue(&self, name: &ShortString) -> Option<Arc<Queue>> {
        self.queues.read().get(name).cloned()
    }

    /// The exchange, or 404 in RabbitMQ's words.
    pub fn exchange_or_404(&self, name: &ShortString) -> AmqpResult<Arc<Exchange>> {
        self.exchange(name)
            .ok_or_else(|| not_found(format!("no exchange '{name}' in vhost '{}'", self.name)))
    }

    /// The queue, or 404 in RabbitMQ's words.
    pub fn queue_or_404(&self, name: &ShortString) -> AmqpResult<Arc<Queue>> {
        self.queue(name)
            .ok_or_else(|| not_found(format!("no queue '{name}' in vhost '{}'", self.name)))
    }

    /// `exchange.declare` with RabbitMQ's checks.
    pub fn declare_exchange(&self, d: ExchangeDeclaration) -> AmqpResult<Arc<Exchange>> {
        if d.passive {
            return self.exchange_or_404(&d.name);
        }
        let kind = ExchangeKind::from_name(&d.kind)
            .ok_or_else(|| command_invalid(format!("invalid exchange type '{}'", d.kind)))?;
        if let Some(existing) = self.exchange(&d.name) {
            existing.check_equivalent(
                kind,
                &d.kind,
                d.durable,
                d.auto_delete,
                d.internal,
                &d.arguments,
                &self.name,
            )?;
            return Ok(existing);
        }
        if d.name.as_bytes().starts_with(b"amq.") {
            return Err(access_refused(format!(
                "exchange name '{}' contains reserved prefix 'amq.*'",
                d.name
            )));
        }
        crate::routing::check_alternate_exchange_type(&d.name, &d.arguments, &self.name)?;
        let ex = Arc::new(Exchange::new(
            d.name.clone(),
            kind,
            d.durable,
            d.auto_delete,
            d.internal,
            d.arguments,
        ));
        let mut exchanges = self.exchanges.write();
        if let Some(raced) = exchanges.get(&d.name) {
            return Ok(raced.clone());
        }
        if let Some(stored) = stored_exchange(&ex) {
            persist(self.definitions.get(), |s| {
                s.put_exchange(&self.name, &ex.name, stored)
            })?;
        }
        exchanges.insert(d.name, ex.clone());
        Ok(ex)
    }

    /// `exchange.delete`: idempotent, refused for the default and `amq.*` exchanges.
    pub fn delete_exchange(&self, name: &ShortString, if_unused: bool) -> AmqpResult {
        if name.is_empty() || name.as_bytes().starts_with(b"amq.") {
            return Err(access_refused(format!(
                "operation not permitted on the default exchange or system exchange '{name}'"
            )));
        }
        let Some(ex) = self.exchange(name) else {
            return Ok(());
        };
        // As in RabbitMQ, only bindings with the exchange as source make it "used".
        if if_unused && ex.binding_count() > 0 {
            return Err(precondition_failed(format!(
                "exchange '{name}' in vhost '{}' in use",
                self.name
            )));
        }
        self.remove_exchange(&ex);
        Ok(())
    }

    fn remove_exchange(&self, ex: &Arc<Exchange>) {
        self.exchanges.write().remove(&ex.name);
        if ex.durable {
            persist_or_log(self.definitions.get(), |s| {
                s.delete_exchange(&self.name, &ex.name)
            });
        }
        ex.mark_deleted();
        let d = Destination::Exchange(ex.clone());
        self.unbind_everywhere(&d);
    }

    /// Removes every binding to `d`, deleting auto-delete exchanges left without bindings.
    fn unbind_everywhere(&self, d: &Destination) {
        let exchanges: Vec<Arc<Exchange>> = self.exchanges.read().values().cloned().collect();
        for x in exchanges {
            if x.unbind_all(d) > 0 && x.auto_delete && x.binding_count() == 0 {
                self.remove_exchange(&x);
            }
        }
    }

    /// `queue.declare` with RabbitMQ's checks. Returns the queue and whether it is new.
    pub fn declare_queue(&self, d: QueueDeclaration, connection_id: u64) -> AmqpResult<Arc<Queue>> {
        if d.passive {
            let q = self.queue_or_404(&d.name)?;
            q.check_access(connection_id)?;
            q.touch();
            return Ok(q);
        }
        let name = if d.name.is_empty() {
            generated_queue_name()
        } else {
            if d.name.as_bytes().starts_with(b"amq.") {
                return Err(access_refused(format!(
                    "queue name '{}' contains reserved prefix 'amq.*'",
                    d.name
                )));
            }
            d.name.clone()
        };
        let options = QueueOptions {
            durable: d.durable,
            exclusive_owner: d.exclusive.then_some(connection_id),
            auto_delete: d.auto_delete,
            arguments: d.arguments,
        };
        let mut queues = self.queues.write();
        if let Some(existing) = queues.get(&name) {
            existing.check_access(connection_id)?;
            let o = &existing.options;
            if o.durable != options.durable {
                return Err(inequivalent(
                    "durable",
                    "queue",
                    &name,
                    &self.name,
                    options.durable,
                    o.durable,
                ));
            }
            if o.exclusive_owner.is_some() != options.exclusive_owner.is_some() {
                return Err(inequivalent(
                    "exclusive",
                    "queue",
                    &name,
                    &self.name,
                    d.exclusive,
                    o.exclusive_owner.is_some(),
                ));
            }
            if o.auto_delete != options.auto_delete {
                return Err(inequivalent(
                    "auto_delete",
                    "queue",
                    &name,
                    &self.name,
                    options.auto_delete,
                    o.auto_delete,
                ));
            }
            args::check_equivalence(&name, &self.name, &o.arguments, &options.arguments)?;
            existing.touch();
            return Ok(existing.clone());
        }
        let parsed = QueueArgs::parse(&name, &self.name, &options.arguments)?;
        let durable = options.durable;
        let log = match self.store.get() {
            Some(store) if options.durable => Some(QueueLog {
                store: store.clone(),
                scope: self.name.clone(),
            }),
            _ => None,
        };
        let host: Weak<dyn QueueHost> = self.me.clone();
        let q = Queue::with_args(name.clone(), options, parsed, Some(host), log);
        q.touch();
        if let Some(stored) = stored_queue(&q) {
            persist(self.definitions.get(), |s| {
                s.put_queue(&self.name, &q.name, stored)
            })?;
        }
        queues.insert(name.clone(), q.clone());
        drop(queues);
        if durable && self.store.get().is_some() {
            let recovered = self.take_recovered(&name.as_str());
            if !recovered.is_empty() {
                q.restore(recovered);
            }
        }
        Ok(q)
    }

    /// `queue.delete`: idempotent; returns the messages the queue held.
    pub fn delete_queue(
        &self,
        name: &ShortString,
        if_unused: bool,
        if_empty: bool,
        connection_id: u64,
    ) -> AmqpResult<u32> {
        let Some(q) = self.queue(name) else {
            return Ok(0);
        };
        q.check_access(connection_id)?;
        if if_unused && q.consumer_count() > 0 {
            return Err(precondition_failed(format!(
                "queue '{name}' in vhost '{}' in use",
                self.name
            )));
        }
        if if_empty && q.message_count() > 0 {
            return Err(precondition_failed(format!(
                "queue '{name}' in vhost '{}' is not empty",
                self.name
            )));
        }
        Ok(self.remove_queue(&q))
    }

    /// Deletes a queue unconditionally (auto-delete, exclusive owner gone).
    pub fn remove_queue(&self, q: &Arc<Queue>) -> u32 {
        {
            let mut queues = self.queues.write();
            match queues.get(&q.name) {
                Some(existing) if Arc::ptr_eq(existing, q) => {
                    queues.remove(&q.name);
                    if q.options.durable {
                        persist_or_log(self.definitions.get(), |s| {
                            s.delete_queue(&self.name, &q.name)
                        });
                    }
                }
                _ => return 0,
            }
        }
        let n = q.delete();
        self.unbind_everywhere(&Destination::Queue(q.clone()));
        n
    }

    /// Deletes the exclusive queues owned by a closed connection.
    pub fn remove_exclusive_queues(&self, connection_id: u64) {
        let owned: Vec<Arc<Queue>> = self
            .queues
            .read()
            .values()
            .filter(|q| q.options.exclusive_owner == Some(connection_id))
            .cloned()
            .collect();
        for q in owned {
            self.remove_queue(&q);
        }
    }

    /// Binds `destination` to exchange `source`.
    pub fn bind(
        &self,
        source: &ShortString,
        destination: Destination,
        key: ShortString,
        arguments: FieldTable,
    ) -> AmqpResult {
        if source.is_empty() {
            return Err(access_refused(
                "operation not permitted on the default exchange",
            ));
        }
        let src = self.exchange_or_404(source)?;
        if src.kind == ExchangeKind::Headers {
            crate::routing::headers::check_binding(&arguments)?;
        }
        if let Some(b) = stored_binding(&self.name, &src, &destination, &key, &arguments) {
            persist(self.definitions.get(), |s| s.bind(b))?;
        }
        src.bind(destination, key, arguments);
        Ok(())
    }

    /// Removes a binding; a missing binding, source or destination is not an error (as in
    /// RabbitMQ).
    pub fn unbind(
        &self,
        source: &ShortString,
        destination: &Destination,
        key: &ShortString,
        arguments: &FieldTable,
    ) -> AmqpResult {
        if source.is_empty() {
            return Err(access_refused(
                "operation not permitted on the default exchange",
            ));
        }
        // Like RabbitMQ 3.10, unbinding from a missing exchange is not an error.
        let Some(src) = self.exchange(source) else {
            return Ok(());
        };
        if let Some(b) = stored_binding(&self.name, &src, destination, key, arguments) {
            persist(self.definitions.get(), |s| s.unbind(b))?;
        }
        if src.unbind(destination, key, arguments) && src.auto_delete && src.binding_count() == 0 {
            self.remove_exchange(&src);
        }
        Ok(())
    }

    /// The queues `message` published to `exchange` reaches, each once: through
    /// exchange-to-exchange bindings, and to an exchange's alternate exchange when that
    /// exchange routes nowhere.
    pub fn route(&self, exchange: &Arc<Exchange>, message: &Message, out: &mut Vec<Arc<Queue>>) {
        if exchange.name.is_empty() {
            if let Some(q) = self.queue(&message.routing_key) {
                out.push(q);
            }
            return;
        }
        ROUTE_SCRATCH.with(|scratch| {
            let Ok(mut scratch) = scratch.try_borrow_mut() else {
                // Re-entered on this thread (not expected): route without the scratch buffers.
                return self.route_with(exchange, message, out, &mut RouteScratch::default());
            };
            self.route_with(exchange, message, out, &mut scratch);
        })
    }

    fn route_with(
        &self,
        exchange: &Arc<Exchange>,
        message: &Message,
        out: &mut Vec<Arc<Queue>>,
        s: &mut RouteScratch,
    ) {
        s.visited.clear();
        s.stack.clear();
        s.seen.clear();
        s.stack.push(exchange.clone());
        while let Some(x) = s.stack.pop() {
            if s.visited.contains(&Arc::as_ptr(&x)) {
                continue;
            }
            s.visited.push(Arc::as_ptr(&x));
            s.dests.clear();
            x.route_into(message, &mut s.dests);
            if s.dests.is_empty() {
                if let Some(ae) = x.alternate.as_ref().and_then(|n| self.exchange(n)) {
                    s.stack.push(ae);
                }
                continue;
            }
            for d in s.dests.drain(..) {
                match d {
                    Destination::Queue(q) => {
                        if !q.is_deleted() && push_unique(out, &mut s.seen, &q) {
                            out.push(q);
                        }
                    }
                    Destination::Exchange(e) => s.stack.push(e),
                }
            }
        }
    }
}

/// Reusable buffers for [`VHost::route`], one set per thread, so routing a message allocates
/// nothing once they have grown.
#[derive(Default)]
struct RouteScratch {
    visited: Vec<*const Exchange>,
    stack: Vec<Arc<Exchange>>,
    dests: Vec<Destination>,
    /// Queues already in the result, once it is too long for a linear scan.
    seen: std::collections::HashSet<*const Queue>,
}

thread_local! {
    static ROUTE_SCRATCH: std::cell::RefCell<RouteScratch> = std::cell::RefCell::new(RouteScratch::default());
}

/// Whether `q` is not yet in `out`: a linear scan for the usual handful of queues, a hash set
/// beyond that (a fanout to thousands of queues stays linear overall).
fn push_unique(
    out: &[Arc<Queue>],
    seen: &mut std::collections::HashSet<*const Queue>,
    q: &Arc<Queue>,
) -> bool {
    const LINEAR: usize = 16;
    if out.len() < LINEAR {
        return !out.iter().any(|o| Arc::ptr_eq(o, q));
    }
    if seen.is_empty() {
        seen.extend(out.iter().map(Arc::as_ptr));
    }
    seen.insert(Arc::as_ptr(q))
}

/// `amq.gen-` followed by 22 URL-safe base64 characters, like RabbitMQ's generated names.
fn generated_queue_name() -> ShortString {
    use base64::Engine;
    let bytes: [u8; 16] = rand::thread_rng().gen();
    let s = format!(
        "amq.gen-{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    );
    ShortString::try_from(s).unwrap_or_else(|_| ShortString::from_static("amq.gen-fallback"))
}

impl QueueHost for VHost {
    fn route_via(
        &self,
        exchange: &ShortString,
        message: &Message,
        out: &mut Vec<Arc<Queue>>,
    ) -> bool {
        let Some(x) = self.exchange(exchange) else {
            return false;
        };
        self.route(&x, message, out);
        true
    }

    fn remove_expired(&self, queue: &Arc<Queue>) {
        self.remove_queue(queue);
    }
}

/// The exchange as the definitions log keeps it, if it is durable.
fn stored_exchange(x: &Exchange) -> Option<StoredExchange> {
    x.durable.then(|| StoredExchange {
        kind: x.kind.name().into(),
        auto_delete: x.auto_delete,
        internal: x.internal,
        arguments: x.arguments.clone(),
    })
}

/// The queue as the definitions log keeps it, if it is durable and not exclusive.
fn stored_queue(q: &Queue) -> Option<StoredQueue> {
    let o = &q.options;
    (o.durable && o.exclusive_owner.is_none()).then(|| StoredQueue {
        auto_delete: o.auto_delete,
        arguments: o.arguments.clone(),
    })
}

/// The binding as the definitions log keeps it, if both ends are durable.
fn stored_binding(
    vhost: &str,
    source: &Exchange,
    destination: &Destination,
    key: &ShortString,
    arguments: &FieldTable,
) -> Option<StoredBinding> {
    let (to_queue, name, durable) = match destination {
        Destination::Queue(q) => (
            true,
            q.name.clone(),
            q.options.durable && q.options.exclusive_owner.is_none(),
        ),
        Destination::Exchange(x) => (false, x.name.clone(), x.durable),
    };
    (source.durable && durable && !source.name.is_empty()).then(|| StoredBinding {
        vhost: vhost.into(),
        source: source.name.clone(),
        to_queue,
        destination: name,
        key: key.clone(),
        arguments: arguments.clone(),
    })
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use warren_core::codec::{BasicProperties, FieldValue, ReplyCode};

    use super::*;

    fn s(x: &str) -> ShortString {
        ShortString::try_from(x.to_string()).unwrap()
    }

    fn exchange(v: &VHost, name: &str, kind: &str) -> Arc<Exchange> {
        v.declare_exchange(ExchangeDeclaration {
            name: s(name),
            kind: kind.into(),
            passive: false,
            durable: false,
            auto_delete: false,
            internal: false,
            arguments: FieldTable::new(),
        })
        .unwrap()
    }

    fn queue(v: &VHost, name: &str, args: &[(&str, FieldValue)], owner: u64) -> Arc<Queue> {
        let mut arguments = FieldTable::new();
        for (k, val) in args {
            arguments.insert(k, val.clone()).unwrap();
        }
        v.declare_queue(
            QueueDeclaration {
                name: s(name),
                passive: false,
                durable: false,
                exclusive: owner != 0,
                auto_delete: false,
                arguments,
            },
            owner,
        )
        .unwrap()
    }

    fn message(exchange: &str, key: &str) -> Message {
        Message {
            exchange: s(exchange),
            routing_key: s(key),
            properties: BasicProperties::default(),
            body: Bytes::from_static(b"x"),
        }
    }

    fn routed(v: &VHost, x: &Arc<Exchange>, key: &str) -> Vec<String> {
        let mut out = Vec::new();
        v.route(x, &message(&x.name.as_str(), key), &mut out);
        let mut names: Vec<String> = out.iter().map(|q| q.name.to_string()).collect();
        names.sort();
        names
    }

    #[test]
    fn the_default_exchange_routes_by_queue_name() {
        let v = VHost::new("/");
        queue(&v, "jobs", &[], 0);
        let default = v.exchange(&s("")).unwrap();
        assert_eq!(routed(&v, &default, "jobs"), ["jobs"]);
        assert!(routed(&v, &default, "nobody").is_empty());
        for name in ["amq.direct", "amq.fanout", "amq.topic", "amq.headers"] {
            assert!(v.exchange(&s(name)).is_some(), "{name}");
        }
    }

    #[test]
    fn topic_bindings_route_until_unbound() {
        let v = VHost::new("/");
        let logs = exchange(&v, "logs", "topic");
        let errors = queue(&v, "errors", &[], 0);
        let all = queue(&v, "all", &[], 0);
        v.bind(
            &s("logs"),
            Destination::Queue(errors.clone()),
            s("#.error"),
            FieldTable::new(),
        )
        .unwrap();
        v.bind(
            &s("logs"),
            Destination::Queue(all.clone()),
            s("server1.#"),
            FieldTable::new(),
        )
        .unwrap();
        assert_eq!(routed(&v, &logs, "server1.user.error"), ["all", "errors"]);
        assert_eq!(routed(&v, &logs, "server2.user.error"), ["errors"]);
        assert_eq!(routed(&v, &logs, "server1.user.info"), ["all"]);
        v.unbind(
            &s("logs"),
            &Destination::Queue(errors),
            &s("#.error"),
            &FieldTable::new(),
        )
        .unwrap();
        assert!(routed(&v, &logs, "server2.user.error").is_empty());
    }

    #[test]
    fn redeclaring_with_another_type_is_refused() {
        let v = VHost::new("/");
        exchange(&v, "x", "direct");
        let err = v
            .declare_exchange(ExchangeDeclaration {
                name: s("x"),
                kind: "fanout".into(),
                passive: false,
                durable: false,
                auto_delete: false,
                internal: false,
                arguments: FieldTable::new(),
            })
            .unwrap_err();
        assert_eq!(err.code, ReplyCode::PreconditionFailed);
        let missing = v.queue_or_404(&s("nope")).unwrap_err();
        assert_eq!(missing.code, ReplyCode::NotFound);
    }

    #[test]
    fn dead_letters_reach_the_queues_bound_to_the_dead_letter_exchange() {
        let v = VHost::new("/");
        exchange(&v, "dlx", "fanout");
        let dead = queue(&v, "dead", &[], 0);
        v.bind(
            &s("dlx"),
            Destination::Queue(dead.clone()),
            s(""),
            FieldTable::new(),
        )
        .unwrap();
        let work = queue(
            &v,
            "work",
            &[(
                "x-dead-letter-exchange",
                FieldValue::LongString("dlx".into()),
            )],
            0,
        );
        work.publish(Arc::new(message("", "work")));
        let (m, _) = work.get().unwrap();
        work.reject(vec![m]);
        let (letter, _) = dead.get().unwrap();
        let headers = letter.message.properties.headers.as_ref().unwrap();
        assert!(headers.get("x-death").is_some());
        assert_eq!(work.message_count(), 0);
    }

    #[test]
    fn exclusive_queues_go_with_their_connection() {
        let v = VHost::new("/");
        queue(&v, "mine", &[], 7);
        queue(&v, "theirs", &[], 8);
        v.remove_exclusive_queues(7);
        assert!(v.queue(&s("mine")).is_none());
        assert!(v.queue(&s("theirs")).is_some());
    }

    #[tokio::test]
    async fn an_expired_queue_leaves_its_vhost() {
        let v = VHost::new("/");
        queue(&v, "brief", &[("x-expires", FieldValue::LongInt(20))], 0);
        let t0 = std::time::Instant::now();
        while v.queue(&s("brief")).is_some() && t0.elapsed() < std::time::Duration::from_secs(5) {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        assert!(v.queue(&s("brief")).is_none());
    }
}
