//! What the PHP objects of one connection share: the core connection, the one inbox every
//! consumer of the connection delivers into, and the PHP callbacks of those consumers.
//!
//! PHP runs one thread per request, so this is `Rc` + `RefCell`, never locked; callbacks are
//! taken out of the map before they run, so a callback may consume, cancel or ack freely.

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::{Duration, Instant};

use ext_php_rs::convert::IntoZval;
use ext_php_rs::exception::PhpException;
use ext_php_rs::types::{ZendCallable, Zval};
use warren_core::client::blocking;
use warren_core::client::{ConnectionEvent, ConsumerEnd, InboxItem};
use warren_core::error::Error;

use crate::errors::{to_exception, OrThrow};
use crate::message::Message;
use crate::signals;

/// A consumer's PHP side.
pub(crate) struct ConsumerCallbacks {
    /// Called with each `Warren\Message`.
    pub on_message: Zval,
    /// Called with the consumer tag when the broker cancels the consumer.
    pub on_cancel: Option<Zval>,
    /// Whether the consumer was started with `no_ack` (its messages need no ack).
    pub no_ack: bool,
}

/// The shared state of a connection's PHP objects.
pub(crate) struct Session {
    /// The connection (its clones live in the channels).
    pub conn: blocking::Connection,
    /// Where every consumer started from PHP delivers, so that one `wait()` serves them all.
    pub inbox: blocking::Inbox,
    /// Callbacks by (channel number, consumer tag).
    consumers: RefCell<HashMap<(u16, String), ConsumerCallbacks>>,
    /// `setEventListener()`'s subscription to the connection's events, and its callable.
    event_listener: RefCell<Option<(blocking::Events, Zval)>>,
}

/// What one `wait()` did.
pub(crate) enum Waited {
    /// A message went to its callback (or a consumer ended and was told).
    Dispatched,
    /// Nothing came within the timeout, a signal is pending, or nothing is consuming.
    Idle,
}

impl Session {
    pub(crate) fn new(conn: blocking::Connection) -> Session {
        let inbox = conn.inbox();
        Session {
            conn,
            inbox,
            consumers: RefCell::new(HashMap::new()),
            event_listener: RefCell::new(None),
        }
    }

    /// Sets (or with `None`, removes) the callable given each connection event; only events
    /// that happen from now on are reported.
    pub(crate) fn set_event_listener(&self, listener: Option<Zval>) {
        *self.event_listener.borrow_mut() = listener.map(|f| (self.conn.events(), f));
    }

    /// Hands the connection events received so far to the event listener, if one is set.
    pub(crate) fn dispatch_events(&self) -> Result<(), PhpException> {
        loop {
            let next = {
                let mut guard = self.event_listener.borrow_mut();
                let Some((events, f)) = guard.as_mut() else {
                    return Ok(());
                };
                match events.try_recv() {
                    Some(ev) => (ev, f.shallow_clone()),
                    None => return Ok(()),
                }
            };
            let (ev, f) = next;
            let (name, details) = describe_event(&ev);
            let mut array = ext_php_rs::types::ZendHashTable::new();
            for (k, v) in details {
                array.insert(k, v).map_err(|e| {
                    crate::errors::invalid_argument(format!("event detail {k}: {e}"))
                })?;
            }
            call(&f, vec![&name, &array])?;
        }
    }

    pub(crate) fn add_consumer(&self, channel: u16, tag: String, callbacks: ConsumerCallbacks) {
        self.consumers
            .borrow_mut()
            .insert((channel, tag), callbacks);
    }

    pub(crate) fn remove_consumer(&self, channel: u16, tag: &str) -> Option<ConsumerCallbacks> {
        self.consumers
            .borrow_mut()
            .remove(&(channel, tag.to_string()))
    }

    /// Forgets the callbacks of a closed channel's consumers.
    pub(crate) fn forget_channel(&self, channel: u16) {
        self.consumers
            .borrow_mut()
            .retain(|(ch, _), _| *ch != channel);
    }

    /// Forgets every callback (the connection is closed).
    pub(crate) fn forget_all(&self) {
        let drained: Vec<_> = self.consumers.borrow_mut().drain().collect();
        drop(drained);
        let listener = self.event_listener.borrow_mut().take();
        drop(listener);
    }

    /// Whether consumers of `channel` (any channel with `None`) started from PHP are still
    /// on: not cancelled, their channel not closed (as far as this process knows: a broker's
    /// cancel counts once `wait()` has seen it).
    pub(crate) fn is_consuming(&self, channel: Option<u16>) -> bool {
        let consumers = self.consumers.borrow();
        match channel {
            Some(ch) => consumers.keys().any(|(c, _)| *c == ch),
            None => !consumers.is_empty(),
        }
    }

    fn next(
        &self,
        channel: Option<u16>,
        timeout: Duration,
    ) -> Result<Option<InboxItem>, PhpException> {
        match channel {
            Some(ch) => self.inbox.next_for_channel(ch, Some(timeout)),
            None => self.inbox.next(Some(timeout)),
        }
        .or_throw()
    }

    /// Waits for the next delivery to a consumer of `channel` (of any channel of the
    /// connection with `None`) and runs its callback; at most `timeout` (forever with
    /// `None`), and never past a pending signal.
    pub(crate) fn wait(
        &self,
        channel: Option<u16>,
        timeout: Option<Duration>,
    ) -> Result<Waited, PhpException> {
        let deadline = timeout.map(|t| Instant::now() + t);
        loop {
            self.dispatch_events()?;
            if deadline.is_none() && !self.is_consuming(channel) {
                // Nothing could ever arrive and no time limit: an endless wait would hang
                // the worker. What is left in the buffer (ends of cancelled consumers) is
                // still handled.
                match self.next(channel, Duration::ZERO)? {
                    Some(item) => match self.dispatch(item)? {
                        Waited::Dispatched => return Ok(Waited::Dispatched),
                        Waited::Idle => continue,
                    },
                    None => return Ok(Waited::Idle),
                }
            }
            let slice = match deadline {
                Some(d) => d
                    .saturating_duration_since(Instant::now())
                    .min(signals::SLICE),
                None => signals::SLICE,
            };
            if let Some(item) = self.next(channel, slice)? {
                if let Waited::Dispatched = self.dispatch(item)? {
                    return Ok(Waited::Dispatched);
                }
                continue;
            }
            if signals::interrupt_pending() || deadline.is_some_and(|d| Instant::now() >= d) {
                return Ok(Waited::Idle);
            }
        }
    }

    /// Runs the callback an item is for: `Dispatched` if a PHP callback ran, `Idle` for an
    /// item PHP never sees (the end of a consumer PHP cancelled, a delivery that raced it).
    fn dispatch(&self, item: InboxItem) -> Result<Waited, PhpException> {
        match item {
            InboxItem::Delivery(delivery) => {
                let channel = delivery.channel().id();
                let key = (channel, delivery.consumer_tag.as_str().into_owned());
                let callback = self
                    .consumers
                    .borrow()
                    .get(&key)
                    .map(|c| (c.on_message.shallow_clone(), c.no_ack));
                let Some((callback, no_ack)) = callback else {
                    // The consumer was cancelled from PHP while this delivery was buffered:
                    // hand the message back to the broker.
                    let _ = delivery.nack(true);
                    return Ok(Waited::Idle);
                };
                let message = Message::new(delivery, no_ack).into_zval(false)?;
                call(&callback, vec![&message])?;
                Ok(Waited::Dispatched)
            }
            InboxItem::Ended {
                channel,
                consumer_tag,
                reason,
            } => {
                let Some(callbacks) = self.remove_consumer(channel, &consumer_tag) else {
                    // Cancelled from PHP already, or its channel closed from PHP: PHP knows.
                    return Ok(Waited::Idle);
                };
                match reason {
                    ConsumerEnd::CancelledByApp
                    | ConsumerEnd::ChannelClosed(Error::ChannelClosedByClient) => Ok(Waited::Idle),
                    ConsumerEnd::CancelledByBroker => match callbacks.on_cancel {
                        Some(on_cancel) => {
                            call(&on_cancel, vec![&consumer_tag])?;
                            Ok(Waited::Dispatched)
                        }
                        None => Ok(Waited::Idle),
                    },
                    ConsumerEnd::ChannelClosed(e) | ConsumerEnd::ConnectionClosed(e) => {
                        Err(to_exception(&e))
                    }
                }
            }
        }
    }
}

/// Calls a PHP callable; an exception it throws stays pending and propagates to PHP.
pub(crate) fn call(
    callable: &Zval,
    args: Vec<&dyn ext_php_rs::convert::IntoZvalDyn>,
) -> Result<Zval, PhpException> {
    let f = ZendCallable::new(callable)
        .map_err(|_| crate::errors::invalid_argument("the callback is not callable"))?;
    f.try_call(args).map_err(|e| {
        // A pending exception (thrown by the callback) wins over this one: see
        // `PhpException::throw`.
        PhpException::from(e)
    })
}

/// A connection event as the listener gets it: a name and an array of details.
fn describe_event(ev: &ConnectionEvent) -> (&'static str, Vec<(&'static str, Zval)>) {
    fn text(s: impl Into<String>) -> Zval {
        let mut zv = Zval::new();
        // A string is always representable.
        let _ = zv.set_string(&s.into(), false);
        zv
    }
    fn int(n: i64) -> Zval {
        let mut zv = Zval::new();
        zv.set_long(n);
        zv
    }
    match ev {
        ConnectionEvent::Blocked(reason) => ("blocked", vec![("reason", text(reason.as_str()))]),
        ConnectionEvent::Unblocked => ("unblocked", vec![]),
        ConnectionEvent::ConnectionLost(e) => {
            ("connection_lost", vec![("error", text(e.to_string()))])
        }
        ConnectionEvent::RecoveryStarted { attempt } => (
            "recovery_started",
            vec![("attempt", int(i64::from(*attempt)))],
        ),
        ConnectionEvent::Recovered { host } => ("recovered", vec![("host", text(host.as_str()))]),
        ConnectionEvent::RecoveryFailed(e) => {
            ("recovery_failed", vec![("error", text(e.to_string()))])
        }
        ConnectionEvent::TopologyRecoveryFailed { what, error } => (
            "topology_recovery_failed",
            vec![
                ("what", text(what.as_str())),
                ("error", text(error.to_string())),
            ],
        ),
        ConnectionEvent::QueueRenamed { old, new } => (
            "queue_renamed",
            vec![("old", text(old.as_str())), ("new", text(new.as_str()))],
        ),
        ConnectionEvent::ChannelClosed { channel, error } => (
            "channel_closed",
            vec![
                ("channel", int(i64::from(*channel))),
                ("reply_code", int(i64::from(error.reply_code))),
                ("reply_text", text(error.reply_text.as_str())),
            ],
        ),
        ConnectionEvent::ConsumerCancelled {
            channel,
            consumer_tag,
        } => (
            "consumer_cancelled",
            vec![
                ("channel", int(i64::from(*channel))),
                ("consumer_tag", text(consumer_tag.as_str())),
            ],
        ),
        ConnectionEvent::Closed(e) => (
            "closed",
            vec![(
                "error",
                match e {
                    Some(e) => text(e.to_string()),
                    None => Zval::null(),
                },
            )],
        ),
    }
}
