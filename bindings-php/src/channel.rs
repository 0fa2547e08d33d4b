//! `Warren\Channel`: every AMQP channel operation, camelCase, blocking, typed.
// PHP parameter names are the Rust names: camelCase reads as PHP (named arguments).
#![allow(non_snake_case)]

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use bytes::Bytes;
use ext_php_rs::binary_slice::BinarySlice;
use ext_php_rs::convert::IntoZval;
use ext_php_rs::exception::PhpException;
use ext_php_rs::prelude::*;
use ext_php_rs::types::{ZendHashTable, Zval};
use warren_core::client::blocking;
use warren_core::client::{
    BasicConsumeOptions, BasicPublishOptions, ConfirmMerger, ConfirmOutcome,
    ExchangeDeclareOptions, QueueDeclareOptions,
};
use warren_core::codec::FieldTable;
use warren_core::error::{AmqpError, Error};

use crate::connection::seconds;
use crate::errors::{invalid_argument, OrThrow};
use crate::message::Message;
use crate::session::{call, ConsumerCallbacks, Session, Waited};
use crate::values;

/// `$arguments`: an array, an `AMQPTable`, or null.
fn arguments(args: Option<&Zval>) -> Result<FieldTable, PhpException> {
    match args {
        Some(zv) => values::table_from_zval(zv).or_throw(),
        None => Ok(FieldTable::new()),
    }
}

/// A confirm listener: the subscription, what it was told, the callable.
struct ConfirmListener {
    events: blocking::ConfirmEvents,
    tracker: ConfirmMerger,
    callable: Zval,
}

/// An AMQP channel. Get one with `Warren\Connection::channel()`.
#[php_class]
#[php(name = "Warren\\Channel")]
pub struct Channel {
    ch: blocking::Channel,
    session: Rc<Session>,
    /// `setReturnListener()`'s callable, called with each returned message.
    return_listener: RefCell<Option<Zval>>,
    /// `setConfirmListener()`'s subscription to the channel's confirms, what it was told so
    /// far (to merge answers), and its callable.
    confirm_listener: RefCell<Option<ConfirmListener>>,
}

impl Channel {
    pub(crate) fn new(ch: blocking::Channel, session: Rc<Session>) -> Channel {
        Channel {
            ch,
            session,
            return_listener: RefCell::new(None),
            confirm_listener: RefCell::new(None),
        }
    }

    /// Hands the confirms received so far to the confirm listener, if one is set: what
    /// arrived together is merged first (core's `ConfirmMerger`), so a broker that answers
    /// every publish on its own costs one PHP call per run, not one per publish.
    fn dispatch_confirms(&self) -> PhpResult<()> {
        loop {
            let (answers, f) = {
                let mut guard = self.confirm_listener.borrow_mut();
                let Some(listener) = guard.as_mut() else {
                    return Ok(());
                };
                let mut events = Vec::new();
                while let Some(ev) = listener.events.recv(Some(Duration::ZERO)).or_throw()? {
                    events.push(ev);
                }
                if events.is_empty() {
                    return Ok(());
                }
                (
                    listener.tracker.merge(events),
                    listener.callable.shallow_clone(),
                )
            };
            for a in answers {
                let ack = a.outcome == ConfirmOutcome::Ack;
                call(&f, vec![&(a.seq_no as i64), &a.multiple, &ack])?;
            }
        }
    }

    /// Hands returned messages to the listener; without one, the first becomes an
    /// `UnroutableException` when `throw_unhandled`.
    fn dispatch_returns(&self, throw_unhandled: bool) -> PhpResult<()> {
        while let Some(ret) = self.ch.as_async().try_recv_return() {
            let listener = self
                .return_listener
                .borrow()
                .as_ref()
                .map(Zval::shallow_clone);
            match listener {
                Some(f) => {
                    let msg = Message::returned(ret);
                    let reply_code = i64::from(msg.return_code());
                    let reply_text = msg.return_text();
                    let exchange = msg.get_exchange();
                    let routing_key = msg.get_routing_key();
                    let msg = msg.into_zval(false)?;
                    call(
                        &f,
                        vec![&reply_code, &reply_text, &exchange, &routing_key, &msg],
                    )?;
                }
                None if throw_unhandled => {
                    return Err(Error::Unroutable(AmqpError {
                        reply_code: ret.reply_code,
                        reply_text: ret.reply_text.as_str().into_owned(),
                        class_id: 60,
                        method_id: 40,
                    }))
                    .or_throw();
                }
                None => {}
            }
        }
        Ok(())
    }
}

#[php_impl]
impl Channel {
    /// The channel number.
    pub fn id(&self) -> i64 {
        i64::from(self.ch.id())
    }

    /// Whether the channel is usable (open, or being recovered).
    pub fn is_open(&self) -> bool {
        self.ch.is_open()
    }

    /// Declares an exchange (`direct`, `fanout`, `topic`, `headers`, or a plugin's type).
    #[php(defaults(passive = false, durable = false, autoDelete = false, internal = false))]
    // AMQP's flags, one named PHP argument each (`durable: true`).
    #[allow(clippy::too_many_arguments)]
    pub fn exchange_declare(
        &self,
        exchange: &str,
        r#type: &str,
        passive: bool,
        durable: bool,
        autoDelete: bool,
        internal: bool,
        arguments: Option<&Zval>,
    ) -> PhpResult<()> {
        let options = ExchangeDeclareOptions {
            passive,
            durable,
            auto_delete: autoDelete,
            internal,
            ..Default::default()
        };
        self.ch
            .exchange_declare(exchange, r#type, options, self::arguments(arguments)?)
            .or_throw()
    }

    /// Deletes an exchange (deleting one that does not exist succeeds, as on RabbitMQ).
    #[php(defaults(ifUnused = false))]
    pub fn exchange_delete(&self, exchange: &str, ifUnused: bool) -> PhpResult<()> {
        self.ch.exchange_delete(exchange, ifUnused).or_throw()
    }

    /// Binds exchange `$destination` to exchange `$source`.
    pub fn exchange_bind(
        &self,
        destination: &str,
        source: &str,
        routingKey: Option<&str>,
        arguments: Option<&Zval>,
    ) -> PhpResult<()> {
        self.ch
            .exchange_bind(
                destination,
                source,
                routingKey.unwrap_or(""),
                self::arguments(arguments)?,
            )
            .or_throw()
    }

    /// Removes an exchange-to-exchange binding.
    pub fn exchange_unbind(
        &self,
        destination: &str,
        source: &str,
        routingKey: Option<&str>,
        arguments: Option<&Zval>,
    ) -> PhpResult<()> {
        self.ch
            .exchange_unbind(
                destination,
                source,
                routingKey.unwrap_or(""),
                self::arguments(arguments)?,
            )
            .or_throw()
    }

    /// Declares a queue ('' for a server-named one) and returns
    /// `['name' => ..., 'messageCount' => ..., 'consumerCount' => ...]`.
    #[php(defaults(
        passive = false,
        durable = false,
        exclusive = false,
        autoDelete = false
    ))]
    pub fn queue_declare(
        &self,
        queue: Option<&str>,
        passive: bool,
        durable: bool,
        exclusive: bool,
        autoDelete: bool,
        arguments: Option<&Zval>,
    ) -> PhpResult<Vec<(String, Zval)>> {
        let options = QueueDeclareOptions {
            passive,
            durable,
            exclusive,
            auto_delete: autoDelete,
            ..Default::default()
        };
        let ok = self
            .ch
            .queue_declare(queue.unwrap_or(""), options, self::arguments(arguments)?)
            .or_throw()?;
        let mut name = Zval::new();
        name.set_string(&ok.queue, false)?;
        let mut messages = Zval::new();
        messages.set_long(i64::from(ok.message_count));
        let mut consumers = Zval::new();
        consumers.set_long(i64::from(ok.consumer_count));
        Ok(vec![
            ("name".into(), name),
            ("messageCount".into(), messages),
            ("consumerCount".into(), consumers),
        ])
    }

    /// Binds a queue to an exchange.
    pub fn queue_bind(
        &self,
        queue: &str,
        exchange: &str,
        routingKey: Option<&str>,
        arguments: Option<&Zval>,
    ) -> PhpResult<()> {
        self.ch
            .queue_bind(
                queue,
                exchange,
                routingKey.unwrap_or(""),
                self::arguments(arguments)?,
            )
            .or_throw()
    }

    /// Removes a queue binding.
    pub fn queue_unbind(
        &self,
        queue: &str,
        exchange: &str,
        routingKey: Option<&str>,
        arguments: Option<&Zval>,
    ) -> PhpResult<()> {
        self.ch
            .queue_unbind(
                queue,
                exchange,
                routingKey.unwrap_or(""),
                self::arguments(arguments)?,
            )
            .or_throw()
    }

    /// Removes every ready message from a queue; returns how many.
    pub fn queue_purge(&self, queue: &str) -> PhpResult<i64> {
        self.ch.queue_purge(queue).map(i64::from).or_throw()
    }

    /// Deletes a queue; returns how many messages it held.
    #[php(defaults(ifUnused = false, ifEmpty = false))]
    pub fn queue_delete(&self, queue: &str, ifUnused: bool, ifEmpty: bool) -> PhpResult<i64> {
        self.ch
            .queue_delete(queue, ifUnused, ifEmpty)
            .map(i64::from)
            .or_throw()
    }

    /// Limits unacknowledged deliveries per consumer (`$global`: per channel, as RabbitMQ
    /// reads it).
    #[php(defaults(global = false))]
    pub fn basic_qos(&self, prefetchCount: i64, global: bool) -> PhpResult<()> {
        let count = u16::try_from(prefetchCount)
            .map_err(|_| invalid_argument("prefetchCount must be 0..65535"))?;
        self.ch.basic_qos(count, global).or_throw()
    }

    /// Publishes a message. `$properties`: a `Warren\Properties`, or an array of content_type, content_encoding, headers (or
    /// application_headers), delivery_mode (2 = persistent), priority, correlation_id,
    /// reply_to, expiration, message_id, timestamp, type, user_id, app_id, cluster_id.
    /// Returns at once: in confirm mode, the publish's sequence number (as
    /// `nextPublishSeqNo()` announced it; `waitForConfirms()` waits for the broker), else 0.
    #[php(defaults(mandatory = false))]
    pub fn basic_publish(
        &self,
        exchange: &str,
        routingKey: &str,
        body: BinarySlice<u8>,
        properties: Option<&Zval>,
        mandatory: bool,
    ) -> PhpResult<i64> {
        let props = crate::properties::from_argument(properties)?;
        self.session.dispatch_events()?;
        // Only this PHP thread publishes on the channel: the number read now is the one the
        // publish takes.
        let seq_no = if self.ch.is_confirm_mode() {
            self.ch.next_publish_seq_no() as i64
        } else {
            0
        };
        let options = BasicPublishOptions {
            mandatory,
            ..Default::default()
        };
        self.ch
            .basic_publish(
                exchange,
                routingKey,
                options,
                Bytes::copy_from_slice(&body),
                props,
            )
            .or_throw()?;
        Ok(seq_no)
    }

    /// Fetches one message, or null when the queue is empty.
    #[php(defaults(noAck = false))]
    pub fn basic_get(&self, queue: &str, noAck: bool) -> PhpResult<Option<Message>> {
        Ok(self
            .ch
            .basic_get(queue, noAck)
            .or_throw()?
            .map(|d| Message::new(d, noAck)))
    }

    /// Starts a consumer whose messages `wait()` hands to `$callback` (a `Warren\Message`
    /// each); returns its tag. `$options`: consumer_tag, no_ack, exclusive, no_local,
    /// arguments, on_cancel (callable, given the tag when the broker cancels the consumer).
    pub fn basic_consume(
        &self,
        queue: &str,
        callback: &Zval,
        options: Option<&ZendHashTable>,
    ) -> PhpResult<String> {
        if !callback.is_callable() {
            return Err(invalid_argument("the callback is not callable"));
        }
        let mut tag = String::new();
        let mut opts = BasicConsumeOptions::default();
        let mut args = FieldTable::new();
        let mut on_cancel = None;
        if let Some(ht) = options {
            for (key, value) in ht.iter() {
                let key = String::try_from(key).unwrap_or_default();
                let value = value.dereference();
                let flag = || {
                    value
                        .bool()
                        .ok_or_else(|| invalid_argument(format!("option {key} must be a bool")))
                };
                match key.as_str() {
                    "consumer_tag" => {
                        tag = value
                            .string()
                            .ok_or_else(|| invalid_argument("consumer_tag must be a string"))?
                    }
                    "no_ack" => opts.no_ack = flag()?,
                    "exclusive" => opts.exclusive = flag()?,
                    "no_local" => opts.no_local = flag()?,
                    "arguments" => args = values::table_from_zval(value).or_throw()?,
                    "on_cancel" => {
                        if !value.is_callable() {
                            return Err(invalid_argument("on_cancel must be callable"));
                        }
                        on_cancel = Some(value.shallow_clone());
                    }
                    other => {
                        return Err(invalid_argument(format!(
                            "unknown consume option {other:?} (known: consumer_tag, no_ack, \
                             exclusive, no_local, arguments, on_cancel)"
                        )))
                    }
                }
            }
        }
        let no_ack = opts.no_ack;
        let tag = self
            .ch
            .basic_consume_to_inbox(&self.session.inbox, queue, &tag, opts, args)
            .or_throw()?;
        self.session.add_consumer(
            self.ch.id(),
            tag.clone(),
            ConsumerCallbacks {
                on_message: callback.shallow_clone(),
                on_cancel,
                no_ack,
            },
        );
        Ok(tag)
    }

    /// Cancels a consumer; messages already buffered for it go back to the queue.
    pub fn basic_cancel(&self, consumerTag: &str) -> PhpResult<()> {
        let result = self.ch.basic_cancel(consumerTag).or_throw();
        self.session.remove_consumer(self.ch.id(), consumerTag);
        result
    }

    /// Acknowledges a delivery (with `$multiple`, every earlier one too).
    #[php(defaults(multiple = false))]
    pub fn basic_ack(&self, deliveryTag: i64, multiple: bool) -> PhpResult<()> {
        self.ch
            .basic_ack(delivery_tag(deliveryTag)?, multiple)
            .or_throw()
    }

    /// Rejects deliveries (`basic.nack`); with `$requeue` the broker delivers them again.
    #[php(defaults(multiple = false, requeue = true))]
    pub fn basic_nack(&self, deliveryTag: i64, multiple: bool, requeue: bool) -> PhpResult<()> {
        self.ch
            .basic_nack(delivery_tag(deliveryTag)?, multiple, requeue)
            .or_throw()
    }

    /// Rejects one delivery (`basic.reject`).
    #[php(defaults(requeue = true))]
    pub fn basic_reject(&self, deliveryTag: i64, requeue: bool) -> PhpResult<()> {
        self.ch
            .basic_reject(delivery_tag(deliveryTag)?, requeue)
            .or_throw()
    }

    /// Asks the broker to redeliver every unacknowledged message of the channel.
    #[php(defaults(requeue = true))]
    pub fn basic_recover(&self, requeue: bool) -> PhpResult<()> {
        self.ch.basic_recover(requeue).or_throw()
    }

    /// Puts the channel in confirm mode.
    pub fn confirm_select(&self) -> PhpResult<()> {
        self.ch.confirm_select().or_throw()
    }

    /// Waits until the broker confirmed every publish so far (at most `$timeout` seconds;
    /// forever with null). Throws NackException if any was nacked (or lost with the
    /// connection), TimeoutException when the time runs out, and UnroutableException for a
    /// mandatory publish that came back when no return listener is set.
    pub fn wait_for_confirms(&self, timeout: Option<f64>) -> PhpResult<()> {
        let all_acked = match timeout {
            Some(t) => self.ch.wait_for_confirms_timeout(seconds("timeout", t)?),
            None => self.ch.wait_for_confirms(),
        }
        .or_throw()?;
        self.session.dispatch_events()?;
        // Returns first: the broker sends a mandatory message's return before its ack.
        self.dispatch_returns(true)?;
        self.dispatch_confirms()?;
        if !all_acked {
            return Err(crate::errors::new_exception(
                crate::errors::Kind::Nack,
                "the broker nacked at least one publish",
                0,
                "",
                0,
                0,
            ));
        }
        Ok(())
    }

    /// The sequence number the next publish will get in confirm mode.
    pub fn next_publish_seq_no(&self) -> i64 {
        self.ch.next_publish_seq_no() as i64
    }

    /// Sets (or with null, removes) the callable given each returned mandatory message:
    /// `fn(int $replyCode, string $replyText, string $exchange, string $routingKey,
    /// Warren\Message $message)`. Returns are handed over in `wait()` and `waitForConfirms()`.
    pub fn set_return_listener(&self, listener: Option<&Zval>) -> PhpResult<()> {
        let listener = match listener {
            Some(f) if !f.is_null() => {
                if !f.is_callable() {
                    return Err(invalid_argument("the return listener is not callable"));
                }
                Some(f.shallow_clone())
            }
            _ => None,
        };
        *self.return_listener.borrow_mut() = listener;
        Ok(())
    }

    /// Starts a transaction mode on the channel.
    pub fn tx_select(&self) -> PhpResult<()> {
        self.ch.tx_select().or_throw()
    }

    /// Commits the current transaction.
    pub fn tx_commit(&self) -> PhpResult<()> {
        self.ch.tx_commit().or_throw()
    }

    /// Rolls the current transaction back.
    pub fn tx_rollback(&self) -> PhpResult<()> {
        self.ch.tx_rollback().or_throw()
    }

    /// Waits for the next message to any consumer of the connection (only of this channel
    /// with `$thisChannelOnly`) and runs its callback (see `Warren\Connection::wait()`); also
    /// hands this channel's returned messages and confirms to their listeners. True if a
    /// consumer callback ran.
    #[php(defaults(thisChannelOnly = false))]
    pub fn wait(&self, timeout: Option<f64>, thisChannelOnly: bool) -> PhpResult<bool> {
        self.dispatch_returns(false)?;
        self.dispatch_confirms()?;
        let timeout = timeout.map(|t| seconds("timeout", t)).transpose()?;
        let scope = thisChannelOnly.then(|| self.ch.id());
        let waited = self.session.wait(scope, timeout)?;
        self.dispatch_returns(false)?;
        self.dispatch_confirms()?;
        self.session.dispatch_events()?;
        Ok(matches!(waited, Waited::Dispatched))
    }

    /// Sets (or with null, removes) the callable given each publisher confirm of this
    /// channel: `fn(int $seqNo, bool $multiple, bool $ack)` (`$multiple`: every earlier
    /// unanswered publish too; `$ack` false for a nack or a publish lost with the connection).
    /// Confirms are handed over in `wait()` and `waitForConfirms()`; answers that arrived
    /// together come as one call with `$multiple` when they leave every earlier publish
    /// answered (set the listener before the first publish for this).
    pub fn set_confirm_listener(&self, listener: Option<&Zval>) -> PhpResult<()> {
        let mut current = self.confirm_listener.borrow_mut();
        match listener {
            Some(f) if !f.is_null() => {
                if !f.is_callable() {
                    return Err(invalid_argument("the confirm listener is not callable"));
                }
                match current.as_mut() {
                    // Another callable for the same subscription: what was answered stays known.
                    Some(l) => l.callable = f.shallow_clone(),
                    None => {
                        *current = Some(ConfirmListener {
                            events: self.ch.confirm_events(),
                            tracker: ConfirmMerger::new(self.ch.next_publish_seq_no()),
                            callable: f.shallow_clone(),
                        })
                    }
                }
            }
            _ => *current = None,
        }
        Ok(())
    }

    /// Whether consumers of this channel are delivering to `wait()`.
    pub fn is_consuming(&self) -> bool {
        self.session.is_consuming(Some(self.ch.id()))
    }

    /// Closes the channel (closing a closed channel does nothing).
    pub fn close(&self) -> PhpResult<()> {
        self.session.forget_channel(self.ch.id());
        *self.return_listener.borrow_mut() = None;
        *self.confirm_listener.borrow_mut() = None;
        match self.ch.close() {
            Ok(()) | Err(Error::ChannelClosedByClient) | Err(Error::ConnectionClosedByClient) => {
                Ok(())
            }
            Err(e) => Err(e).or_throw(),
        }
    }
}

fn delivery_tag(tag: i64) -> Result<u64, PhpException> {
    u64::try_from(tag).map_err(|_| invalid_argument("a delivery tag is never negative"))
}
