//! `warren.Channel`: pika's method names and keyword arguments over the blocking channel, and
//! the consume iterator.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use pyo3::exceptions::PyStopIteration;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use warren_core::client::blocking::{self, Next};
use warren_core::client::{
    BasicConsumeOptions, BasicPublishOptions, ConfirmOutcome, Confirmation, ConsumerEnd,
    ExchangeDeclareOptions, InboxItem, QueueDeclareOptions,
};
use warren_core::Error;

use crate::connection::{new_consumer_tag, ConnState, ConsumerEntry, DRAIN_LIMIT};
use crate::convert::{body, seconds};
use crate::message::{properties_arg, Message, QueueDeclareOk, ReturnedMessage};
use crate::wait::wait_sliced;

/// An AMQP channel. Thread-safe: one channel may be used from many threads.
#[pyclass(module = "warren", name = "Channel", frozen)]
pub struct Channel {
    ch: blocking::Channel,
    state: Arc<ConnState>,
}

impl Channel {
    pub(crate) fn new(ch: blocking::Channel, state: Arc<ConnState>) -> Self {
        Channel { ch, state }
    }

    /// Runs a channel call with the GIL released and maps its error.
    fn call<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&blocking::Channel) -> Result<T, Error> + Send,
    ) -> PyResult<T> {
        let ch = &self.ch;
        py.detach(|| f(ch)).map_err(|e| self.state.err(py, e))
    }

    /// Marks a `basic_consume` consumer cancelled and sends the cancel (see `basic_cancel`).
    fn cancel_consumer(&self, consumer_tag: &str) -> PyResult<()> {
        crate::convert::short(consumer_tag, "consumer_tag")?;
        if let Some(e) = self
            .state
            .consumers()
            .get_mut(&(self.ch.id(), consumer_tag.to_owned()))
        {
            e.cancelled = true;
        }
        cancel_in_background(self.ch.clone(), consumer_tag.to_owned());
        Ok(())
    }

    /// Closes the channel unless it is closed already.
    fn close_channel(&self, py: Python<'_>, reply_code: u16, reply_text: &str) -> PyResult<()> {
        if !self.ch.is_open() {
            return Ok(());
        }
        let ch = &self.ch;
        match py.detach(|| ch.close_with(reply_code, reply_text)) {
            Ok(()) | Err(Error::ChannelClosedByClient) | Err(Error::ConnectionClosedByClient) => {
                Ok(())
            }
            Err(e) => Err(self.state.err(py, e)),
        }
    }

    fn publish_options(mandatory: bool) -> BasicPublishOptions {
        BasicPublishOptions {
            mandatory,
            ..Default::default()
        }
    }
}

#[pymethods]
impl Channel {
    /// The channel number.
    #[getter]
    fn channel_number(&self) -> u16 {
        self.ch.id()
    }

    /// Whether the channel is usable (open, or being recovered).
    #[getter]
    fn is_open(&self) -> bool {
        self.ch.is_open()
    }

    /// Whether the channel is closed.
    #[getter]
    fn is_closed(&self) -> bool {
        !self.ch.is_open()
    }

    /// Whether `confirm_select` was called.
    #[getter]
    fn is_confirm_mode(&self) -> bool {
        self.ch.is_confirm_mode()
    }

    /// The sequence number the next publish gets in confirm mode.
    #[getter]
    fn next_publish_seq_no(&self) -> u64 {
        self.ch.next_publish_seq_no()
    }

    /// Declares an exchange.
    #[pyo3(signature = (exchange, exchange_type=None, *, passive=false, durable=false,
        auto_delete=false, internal=false, arguments=None),
        text_signature = "(self, exchange, exchange_type='direct', *, passive=False, durable=False, auto_delete=False, internal=False, arguments=None)")]
    #[allow(clippy::too_many_arguments)]
    fn exchange_declare(
        &self,
        py: Python<'_>,
        exchange: PyBackedStr,
        exchange_type: Option<PyBackedStr>,
        passive: bool,
        durable: bool,
        auto_delete: bool,
        internal: bool,
        arguments: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let exchange: &str = &exchange;
        let exchange_type: &str = exchange_type.as_deref().unwrap_or("direct");
        let args = crate::convert::arguments(arguments)?;
        let opts = ExchangeDeclareOptions {
            passive,
            durable,
            auto_delete,
            internal,
            nowait: false,
        };
        self.call(py, |ch| {
            ch.exchange_declare(exchange, exchange_type, opts, args)
        })
    }

    /// Deletes an exchange (deleting one that does not exist succeeds, as in RabbitMQ).
    #[pyo3(signature = (exchange, *, if_unused=false))]
    fn exchange_delete(
        &self,
        py: Python<'_>,
        exchange: PyBackedStr,
        if_unused: bool,
    ) -> PyResult<()> {
        let exchange: &str = &exchange;
        self.call(py, |ch| ch.exchange_delete(exchange, if_unused))
    }

    /// Binds exchange `destination` to exchange `source`.
    #[pyo3(signature = (destination, source, routing_key=None, arguments=None),
        text_signature = "(self, destination, source, routing_key='', arguments=None)")]
    fn exchange_bind(
        &self,
        py: Python<'_>,
        destination: PyBackedStr,
        source: PyBackedStr,
        routing_key: Option<PyBackedStr>,
        arguments: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let (destination, source): (&str, &str) = (&destination, &source);
        let routing_key: &str = routing_key.as_deref().unwrap_or("");
        let args = crate::convert::arguments(arguments)?;
        self.call(py, |ch| {
            ch.exchange_bind(destination, source, routing_key, args)
        })
    }

    /// Removes an exchange-to-exchange binding.
    #[pyo3(signature = (destination, source, routing_key=None, arguments=None),
        text_signature = "(self, destination, source, routing_key='', arguments=None)")]
    fn exchange_unbind(
        &self,
        py: Python<'_>,
        destination: PyBackedStr,
        source: PyBackedStr,
        routing_key: Option<PyBackedStr>,
        arguments: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let (destination, source): (&str, &str) = (&destination, &source);
        let routing_key: &str = routing_key.as_deref().unwrap_or("");
        let args = crate::convert::arguments(arguments)?;
        self.call(py, |ch| {
            ch.exchange_unbind(destination, source, routing_key, args)
        })
    }

    /// Declares a queue; an empty name lets the broker choose one (see `.queue`).
    #[pyo3(signature = (queue=None, *, passive=false, durable=false, exclusive=false,
        auto_delete=false, arguments=None),
        text_signature = "(self, queue='', *, passive=False, durable=False, exclusive=False, auto_delete=False, arguments=None)")]
    #[allow(clippy::too_many_arguments)]
    fn queue_declare(
        &self,
        py: Python<'_>,
        queue: Option<PyBackedStr>,
        passive: bool,
        durable: bool,
        exclusive: bool,
        auto_delete: bool,
        arguments: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<QueueDeclareOk> {
        let queue: &str = queue.as_deref().unwrap_or("");
        let args = crate::convert::arguments(arguments)?;
        let opts = QueueDeclareOptions {
            passive,
            durable,
            exclusive,
            auto_delete,
            nowait: false,
        };
        let ok = self.call(py, |ch| ch.queue_declare(queue, opts, args))?;
        Ok(QueueDeclareOk {
            queue: ok.queue,
            message_count: ok.message_count,
            consumer_count: ok.consumer_count,
        })
    }

    /// Binds a queue to an exchange; the routing key defaults to the queue's name, as in pika.
    #[pyo3(signature = (queue, exchange, routing_key=None, arguments=None))]
    fn queue_bind(
        &self,
        py: Python<'_>,
        queue: PyBackedStr,
        exchange: PyBackedStr,
        routing_key: Option<PyBackedStr>,
        arguments: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let queue: &str = &queue;
        let exchange: &str = &exchange;
        let routing_key: Option<&str> = routing_key.as_deref();
        let args = crate::convert::arguments(arguments)?;
        let key = routing_key.unwrap_or(queue);
        self.call(py, |ch| ch.queue_bind(queue, exchange, key, args))
    }

    /// Removes a queue binding; the routing key defaults to the queue's name.
    #[pyo3(signature = (queue, exchange, routing_key=None, arguments=None))]
    fn queue_unbind(
        &self,
        py: Python<'_>,
        queue: PyBackedStr,
        exchange: PyBackedStr,
        routing_key: Option<PyBackedStr>,
        arguments: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let queue: &str = &queue;
        let exchange: &str = &exchange;
        let routing_key: Option<&str> = routing_key.as_deref();
        let args = crate::convert::arguments(arguments)?;
        let key = routing_key.unwrap_or(queue);
        self.call(py, |ch| ch.queue_unbind(queue, exchange, key, args))
    }

    /// Removes every ready message from a queue; returns how many.
    fn queue_purge(&self, py: Python<'_>, queue: PyBackedStr) -> PyResult<u32> {
        let queue: &str = &queue;
        self.call(py, |ch| ch.queue_purge(queue))
    }

    /// Deletes a queue; returns how many messages it held.
    #[pyo3(signature = (queue, *, if_unused=false, if_empty=false))]
    fn queue_delete(
        &self,
        py: Python<'_>,
        queue: PyBackedStr,
        if_unused: bool,
        if_empty: bool,
    ) -> PyResult<u32> {
        let queue: &str = &queue;
        self.call(py, |ch| ch.queue_delete(queue, if_unused, if_empty))
    }

    /// Limits unacknowledged deliveries per consumer (per channel with `global_qos`, as
    /// RabbitMQ reads it). `prefetch_size` must be 0: RabbitMQ does not implement it.
    #[pyo3(signature = (prefetch_count=0, *, prefetch_size=0, global_qos=false))]
    fn basic_qos(
        &self,
        py: Python<'_>,
        prefetch_count: u16,
        prefetch_size: u32,
        global_qos: bool,
    ) -> PyResult<()> {
        if prefetch_size != 0 {
            return Err(crate::errors::plain(Error::InvalidArgument(
                "prefetch_size is not supported (RabbitMQ refuses it with 540 NOT_IMPLEMENTED); use prefetch_count".into(),
            )));
        }
        self.call(py, |ch| ch.basic_qos(prefetch_count, global_qos))
    }

    /// Publishes a message. `body` is bytes (or str, sent as UTF-8); `properties` a
    /// `BasicProperties`. Returns at once (in confirm mode, `wait_for_confirms` waits for the
    /// broker; `publish_and_wait` waits for this message alone).
    #[pyo3(signature = (exchange, routing_key, body, properties=None, *, mandatory=false))]
    fn basic_publish(
        &self,
        py: Python<'_>,
        exchange: PyBackedStr,
        routing_key: PyBackedStr,
        body: &Bound<'_, PyAny>,
        properties: Option<&Bound<'_, PyAny>>,
        mandatory: bool,
    ) -> PyResult<()> {
        let exchange: &str = &exchange;
        let routing_key: &str = &routing_key;
        let payload = crate::convert::body(body)?;
        let props = properties_arg(properties)?;
        let opts = Self::publish_options(mandatory);
        self.call(py, |ch| {
            ch.basic_publish(exchange, routing_key, opts, payload, props)
                .map(drop)
        })
    }

    /// Publishes many bodies with the same exchange, routing key and properties in one call
    /// (one crossing into Rust, the GIL released once). Returns how many were published.
    #[pyo3(signature = (exchange, routing_key, bodies, properties=None, *, mandatory=false))]
    fn basic_publish_many(
        &self,
        py: Python<'_>,
        exchange: PyBackedStr,
        routing_key: PyBackedStr,
        bodies: &Bound<'_, PyAny>,
        properties: Option<&Bound<'_, PyAny>>,
        mandatory: bool,
    ) -> PyResult<usize> {
        let exchange: &str = &exchange;
        let routing_key: &str = &routing_key;
        let payloads = bodies
            .try_iter()?
            .map(|b| body(&b?))
            .collect::<PyResult<Vec<_>>>()?;
        let props = properties_arg(properties)?;
        let opts = Self::publish_options(mandatory);
        let n = payloads.len();
        self.call(py, |ch| {
            for payload in payloads {
                ch.basic_publish(exchange, routing_key, opts, payload, props.clone())?;
            }
            Ok(n)
        })
    }

    /// Publishes a message and waits for the broker's confirm (the channel must be in confirm
    /// mode). Raises `Nacked` when the broker refuses it and, with `mandatory`, `Unroutable`
    /// when no queue took it.
    #[pyo3(signature = (exchange, routing_key, body, properties=None, *, mandatory=false, timeout=None))]
    #[allow(clippy::too_many_arguments)]
    fn publish_and_wait(
        &self,
        py: Python<'_>,
        exchange: PyBackedStr,
        routing_key: PyBackedStr,
        body: &Bound<'_, PyAny>,
        properties: Option<&Bound<'_, PyAny>>,
        mandatory: bool,
        timeout: Option<f64>,
    ) -> PyResult<()> {
        let exchange: &str = &exchange;
        let routing_key: &str = &routing_key;
        if !self.ch.is_confirm_mode() {
            return Err(crate::errors::plain(Error::InvalidState(
                "publish_and_wait needs confirm mode: call confirm_select() first".into(),
            )));
        }
        let payload = crate::convert::body(body)?;
        let props = properties_arg(properties)?;
        let opts = Self::publish_options(mandatory);
        let timeout = seconds(timeout)?;
        let (confirmation, returned) = self.call(py, |ch| {
            let pending = ch.basic_publish(exchange, routing_key, opts, payload, props)?;
            let confirmation = match timeout {
                Some(t) => pending.wait_timeout(t)?,
                None => pending.wait()?,
            };
            // A return precedes its confirm on the wire, so it has been queued by now.
            let returned = if mandatory {
                ch.next_return(Some(Duration::ZERO))?
            } else {
                None
            };
            Ok((confirmation, returned))
        })?;
        if let Some(r) = returned {
            let err = Error::Unroutable(warren_core::AmqpError {
                reply_code: r.reply_code,
                reply_text: r.reply_text.as_str().into_owned(),
                class_id: 60,
                method_id: 40,
            });
            return Err(self.state.err(py, err));
        }
        match confirmation {
            Confirmation::Nack => Err(crate::errors::exception_class(py, "Nacked")?
                .call1(("the broker nacked the message",))
                .map(PyErr::from_value)?),
            Confirmation::Ack | Confirmation::NotRequested => Ok(()),
        }
    }

    /// Fetches one message, or `None` when the queue is empty.
    #[pyo3(signature = (queue, *, auto_ack=false))]
    fn basic_get(
        &self,
        py: Python<'_>,
        queue: PyBackedStr,
        auto_ack: bool,
    ) -> PyResult<Option<Message>> {
        let queue: &str = &queue;
        let got = self.call(py, |ch| ch.basic_get(queue, auto_ack))?;
        Ok(got.map(|d| Message::new(d, Some(self.ch.clone()))))
    }

    /// Acknowledges a delivery (with `multiple`, every one up to it).
    #[pyo3(signature = (delivery_tag=0, multiple=false))]
    fn basic_ack(&self, py: Python<'_>, delivery_tag: u64, multiple: bool) -> PyResult<()> {
        self.call(py, |ch| ch.basic_ack(delivery_tag, multiple))
    }

    /// Rejects deliveries (`basic.nack`); with `requeue` the broker delivers them again.
    #[pyo3(signature = (delivery_tag=0, multiple=false, requeue=true))]
    fn basic_nack(
        &self,
        py: Python<'_>,
        delivery_tag: u64,
        multiple: bool,
        requeue: bool,
    ) -> PyResult<()> {
        self.call(py, |ch| ch.basic_nack(delivery_tag, multiple, requeue))
    }

    /// Rejects one delivery (`basic.reject`).
    #[pyo3(signature = (delivery_tag=0, requeue=true))]
    fn basic_reject(&self, py: Python<'_>, delivery_tag: u64, requeue: bool) -> PyResult<()> {
        self.call(py, |ch| ch.basic_reject(delivery_tag, requeue))
    }

    /// Asks the broker to redeliver every unacknowledged message of the channel.
    #[pyo3(signature = (requeue=true))]
    fn basic_recover(&self, py: Python<'_>, requeue: bool) -> PyResult<()> {
        self.call(py, |ch| ch.basic_recover(requeue))
    }

    /// Starts a consumer that calls `callback(message)` for each delivery while
    /// `start_consuming()` or `Connection.drain_events()` runs (on the thread that runs
    /// them). Returns the consumer tag.
    #[pyo3(signature = (queue, callback, *, auto_ack=false, exclusive=false, consumer_tag=None,
        arguments=None))]
    #[allow(clippy::too_many_arguments)]
    fn basic_consume(
        &self,
        py: Python<'_>,
        queue: PyBackedStr,
        callback: Py<PyAny>,
        auto_ack: bool,
        exclusive: bool,
        consumer_tag: Option<String>,
        arguments: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<String> {
        let queue: &str = &queue;
        if !callback.bind(py).is_callable() {
            return Err(pyo3::exceptions::PyTypeError::new_err(
                "basic_consume: callback must be callable",
            ));
        }
        let args = crate::convert::arguments(arguments)?;
        let tag = match consumer_tag {
            Some(t) if !t.is_empty() => t,
            _ => new_consumer_tag(self.ch.id()),
        };
        let key = (self.ch.id(), tag.clone());
        {
            let mut consumers = self.state.consumers();
            if consumers.contains_key(&key) {
                return Err(crate::errors::exception_class(py, "DuplicateConsumerTag")?
                    .call1((format!(
                        "consumer tag {tag:?} is already in use on this channel"
                    ),))
                    .map(PyErr::from_value)?);
            }
            // Registered before the consumer starts, so its first delivery finds it.
            consumers.insert(
                key.clone(),
                ConsumerEntry {
                    callback,
                    auto_ack,
                    cancelled: false,
                },
            );
        }
        let inbox = self.state.inbox().clone();
        let opts = BasicConsumeOptions {
            no_ack: auto_ack,
            exclusive,
            ..Default::default()
        };
        let started = self.call(py, |ch| {
            ch.basic_consume_to_inbox(&inbox, queue, &tag, opts, args)
        });
        if started.is_err() {
            self.state.consumers().remove(&key);
        }
        started
    }

    /// Cancels a `basic_consume` consumer: its callback is not called again. Deliveries
    /// already buffered for it go back to the queue (manual ack) or are dropped (auto-ack).
    /// Returns at once; `start_consuming` returns once the broker confirmed.
    ///
    /// With `drain=True` it waits instead until the broker confirmed the cancel, and the
    /// callback still gets every delivery that arrived before that (this channel's other
    /// consumers are served meanwhile): pika's `basic_cancel` hands those back to its caller.
    /// Gives up waiting after `timeout` seconds (then as without `drain`).
    #[pyo3(signature = (consumer_tag, *, drain=false, timeout=30.0))]
    fn basic_cancel(
        &self,
        py: Python<'_>,
        consumer_tag: PyBackedStr,
        drain: bool,
        timeout: f64,
    ) -> PyResult<()> {
        if !drain {
            return self.cancel_consumer(&consumer_tag);
        }
        crate::convert::short(&consumer_tag, "consumer_tag")?;
        let id = self.ch.id();
        let key = (id, consumer_tag.to_string());
        if !self.state.consumers().contains_key(&key) {
            // Ended already (cancelled by the broker, or its channel closed).
            return Ok(());
        }
        cancel_in_background(self.ch.clone(), key.1.clone());
        let inbox = self.state.inbox().clone();
        let deadline = std::time::Instant::now() + seconds(Some(timeout))?.unwrap_or_default();
        loop {
            let remaining = deadline.saturating_duration_since(std::time::Instant::now());
            if remaining.is_zero() {
                // No answer in time: stop handing its deliveries to the callback.
                return self.cancel_consumer(&consumer_tag);
            }
            let item = wait_sliced(py, Some(remaining), |slice| {
                inbox.next_for_channel(id, Some(slice))
            })?
            .map_err(|e| self.state.err(py, e))?;
            let Some(item) = item else { continue };
            let ends_it = matches!(&item, InboxItem::Ended { consumer_tag: t, .. } if *t == key.1);
            self.state.dispatch(py, item)?;
            if ends_it {
                return Ok(());
            }
        }
    }

    /// Calls the callbacks of this channel's consumers until every one of them is cancelled
    /// (by `stop_consuming`, `basic_cancel` or the broker). Errors that end a consumer, and
    /// exceptions raised by callbacks, are raised here.
    fn start_consuming(&self, py: Python<'_>) -> PyResult<()> {
        let id = self.ch.id();
        let inbox = self.state.inbox().clone();
        loop {
            if inbox.consumers_of(id) == 0 {
                // Hand over what is still buffered (deliveries and consumer ends), then stop.
                self.state
                    .drain(py, Some(id), Some(Duration::ZERO), DRAIN_LIMIT)?;
                return Ok(());
            }
            self.state
                .drain(py, Some(id), Some(Duration::from_millis(200)), DRAIN_LIMIT)?;
        }
    }

    /// Cancels this channel's `basic_consume` consumers (or the one given), so that
    /// `start_consuming` returns. Safe to call from a callback or another thread.
    #[pyo3(signature = (consumer_tag=None))]
    fn stop_consuming(&self, py: Python<'_>, consumer_tag: Option<PyBackedStr>) -> PyResult<()> {
        let consumer_tag: Option<&str> = consumer_tag.as_deref();
        let id = self.ch.id();
        let tags: Vec<String> = match consumer_tag {
            Some(t) => vec![t.to_owned()],
            None => self
                .state
                .consumers()
                .iter()
                .filter(|((ch, _), e)| *ch == id && !e.cancelled)
                .map(|((_, t), _)| t.clone())
                .collect(),
        };
        let _ = py;
        for tag in tags {
            self.cancel_consumer(&tag)?;
        }
        Ok(())
    }

    /// Calls `callback(consumer_tag)` when the broker cancels one of this channel's
    /// `basic_consume` consumers (e.g. its queue was deleted).
    fn add_on_cancel_callback(&self, callback: Py<PyAny>) {
        self.state
            .cancel_callbacks()
            .entry(self.ch.id())
            .or_default()
            .push(callback);
    }

    /// The consumer tags of this channel's running `basic_consume` consumers.
    #[getter]
    fn consumer_tags(&self) -> Vec<String> {
        let id = self.ch.id();
        self.state
            .consumers()
            .iter()
            .filter(|((ch, _), e)| *ch == id && !e.cancelled)
            .map(|((_, t), _)| t.clone())
            .collect()
    }

    /// Consumes `queue` as an iterator of messages: `for msg in ch.consume(q): ...`. With
    /// `inactivity_timeout` it yields `None` after that many seconds without a message.
    /// `cancel()` on the iterator (or `break`, then dropping it) ends the consumer.
    #[pyo3(signature = (queue, *, auto_ack=false, exclusive=false, arguments=None,
        inactivity_timeout=None, consumer_tag=None))]
    #[allow(clippy::too_many_arguments)]
    fn consume(
        &self,
        py: Python<'_>,
        queue: PyBackedStr,
        auto_ack: bool,
        exclusive: bool,
        arguments: Option<&Bound<'_, PyAny>>,
        inactivity_timeout: Option<f64>,
        consumer_tag: Option<String>,
    ) -> PyResult<ConsumeIterator> {
        let queue: &str = &queue;
        let args = crate::convert::arguments(arguments)?;
        let inactivity = seconds(inactivity_timeout)?;
        let opts = BasicConsumeOptions {
            no_ack: auto_ack,
            exclusive,
            ..Default::default()
        };
        let tag = consumer_tag.unwrap_or_default();
        let consumer = self.call(py, |ch| ch.basic_consume(queue, &tag, opts, args))?;
        Ok(ConsumeIterator {
            tag: consumer.tag().to_owned(),
            consumer: Mutex::new(consumer),
            ch: self.ch.clone(),
            state: self.state.clone(),
            inactivity,
        })
    }

    /// The next message the broker returned as unroutable (published with `mandatory`),
    /// waiting at most `timeout` seconds (0: only what already came); `None` if none.
    #[pyo3(signature = (timeout=Some(0.0)), text_signature = "(self, timeout=0.0)")]
    fn next_return(
        &self,
        py: Python<'_>,
        timeout: Option<f64>,
    ) -> PyResult<Option<ReturnedMessage>> {
        let timeout = seconds(timeout)?;
        let got = self.call(py, |ch| ch.next_return(timeout))?;
        got.map(|r| ReturnedMessage::new(py, &r)).transpose()
    }

    /// The channel's publisher confirms as a stream (for asyncio and confirm listeners).
    fn confirm_events(&self) -> ConfirmEventStream {
        ConfirmEventStream {
            inner: self.ch.confirm_events(),
            state: self.state.clone(),
        }
    }

    /// Puts the channel in confirm mode (publisher confirms).
    fn confirm_select(&self, py: Python<'_>) -> PyResult<()> {
        self.call(py, |ch| ch.confirm_select())
    }

    /// Waits until the broker answered every publish so far: `True` if it acked all,
    /// `False` if it nacked any. Raises `Timeout` after `timeout` seconds.
    #[pyo3(signature = (timeout=None))]
    fn wait_for_confirms(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<bool> {
        match seconds(timeout)? {
            Some(t) => self.call(py, |ch| ch.wait_for_confirms_timeout(t)),
            None => self.call(py, |ch| ch.wait_for_confirms()),
        }
    }

    fn tx_select(&self, py: Python<'_>) -> PyResult<()> {
        self.call(py, |ch| ch.tx_select())
    }

    fn tx_commit(&self, py: Python<'_>) -> PyResult<()> {
        self.call(py, |ch| ch.tx_commit())
    }

    fn tx_rollback(&self, py: Python<'_>) -> PyResult<()> {
        self.call(py, |ch| ch.tx_rollback())
    }

    /// Asks the broker to pause (`False`) or resume (`True`) deliveries; returns the state
    /// the broker confirmed.
    fn flow(&self, py: Python<'_>, active: bool) -> PyResult<bool> {
        self.call(py, |ch| ch.channel_flow(active))
    }

    /// Closes the channel; a no-op when it is already closed.
    #[pyo3(signature = (reply_code=200, reply_text=None),
        text_signature = "(self, reply_code=200, reply_text='Normal shutdown')")]
    fn close(
        &self,
        py: Python<'_>,
        reply_code: u16,
        reply_text: Option<PyBackedStr>,
    ) -> PyResult<()> {
        self.close_channel(
            py,
            reply_code,
            reply_text.as_deref().unwrap_or("Normal shutdown"),
        )
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __exit__(
        &self,
        py: Python<'_>,
        _exc_type: Option<&Bound<'_, PyAny>>,
        _exc: Option<&Bound<'_, PyAny>>,
        _tb: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        self.close_channel(py, 200, "Normal shutdown")?;
        Ok(false)
    }

    fn __repr__(&self) -> String {
        let state = if self.ch.is_open() { "open" } else { "closed" };
        format!("<warren.Channel {} ({state})>", self.ch.id())
    }
}

/// Sends `basic.cancel` and waits for the broker's answer on a thread of its own. Waiting on
/// the caller's thread could deadlock: when the consumer's buffer is full the connection stops
/// reading its socket until the application drains it, and the `cancel-ok` is behind the
/// deliveries. Errors are not reported: a closed channel or connection ends the consumer too.
fn cancel_in_background(ch: blocking::Channel, tag: String) {
    let (fallback, fallback_tag) = (ch.clone(), tag.clone());
    let spawned = std::thread::Builder::new()
        .name("warren-cancel".into())
        .spawn(move || {
            let _ = ch.basic_cancel(&tag);
        });
    if spawned.is_err() {
        // No thread to wait on: the broker still gets the cancel, without an answer.
        let _ = fallback.basic_cancel_nowait(&fallback_tag);
    }
}

/// Messages of one consumer, as an iterator (see `Channel.consume`).
#[pyclass(module = "warren", name = "ConsumeIterator", frozen)]
pub struct ConsumeIterator {
    /// Locked only with the GIL released (waiting for a delivery holds it).
    consumer: Mutex<blocking::Consumer>,
    tag: String,
    ch: blocking::Channel,
    state: Arc<ConnState>,
    inactivity: Option<Duration>,
}

#[pymethods]
impl ConsumeIterator {
    /// The consumer tag.
    #[getter]
    fn consumer_tag(&self) -> &str {
        &self.tag
    }

    /// Messages received for this consumer and not yet taken from the iterator.
    #[getter]
    fn waiting(&self, py: Python<'_>) -> usize {
        let consumer = &self.consumer;
        py.detach(|| {
            consumer
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .buffered()
        })
    }

    /// Cancels the consumer; the iteration ends once the messages already received are read.
    /// Returns at once (see `Channel.basic_cancel`).
    fn cancel(&self) {
        cancel_in_background(self.ch.clone(), self.tag.clone());
    }

    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// The next message, or `None` after `inactivity_timeout` (a yielded `None`, not the end).
    fn __next__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let consumer = &self.consumer;
        let got = wait_sliced(py, self.inactivity, |slice| {
            let mut c = consumer.lock().unwrap_or_else(|p| p.into_inner());
            match c.next(Some(slice))? {
                Next::Timeout => Ok(None),
                other => Ok(Some(other)),
            }
        })?
        .map_err(|e| self.state.err(py, e))?;
        match got {
            // inactivity_timeout passed without a message.
            None | Some(Next::Timeout) => Ok(py.None()),
            Some(Next::Delivery(d)) => {
                Ok(Py::new(py, Message::new(d, Some(self.ch.clone())))?.into_any())
            }
            Some(Next::Ended(end)) => match end {
                ConsumerEnd::CancelledByApp
                | ConsumerEnd::ChannelClosed(Error::ChannelClosedByClient)
                | ConsumerEnd::ConnectionClosed(Error::ConnectionClosedByClient) => {
                    Err(PyStopIteration::new_err(()))
                }
                ConsumerEnd::CancelledByBroker => Err(self
                    .state
                    .err(py, Error::ConsumerCancelled(self.tag.clone()))),
                ConsumerEnd::ChannelClosed(e) | ConsumerEnd::ConnectionClosed(e) => {
                    Err(self.state.err(py, e))
                }
            },
        }
    }
}

/// A channel's publisher confirms (see `Channel.confirm_events`).
#[pyclass(module = "warren", name = "ConfirmEventStream", frozen)]
pub struct ConfirmEventStream {
    inner: blocking::ConfirmEvents,
    state: Arc<ConnState>,
}

#[pymethods]
impl ConfirmEventStream {
    /// Waits at most `timeout` seconds (forever with `None`) for a confirm, then returns it and
    /// every confirm already received, as `(seq_no, multiple, outcome)` tuples with outcome
    /// `"ack"`, `"nack"` or `"lost"` (the connection was lost before the broker answered). An
    /// empty list when the time ran out or the channel is closed.
    #[pyo3(signature = (timeout=None))]
    fn next(
        &self,
        py: Python<'_>,
        timeout: Option<f64>,
    ) -> PyResult<Vec<(u64, bool, &'static str)>> {
        let timeout = seconds(timeout)?;
        let inner = &self.inner;
        let first = wait_sliced(py, timeout, |slice| inner.recv(Some(slice)))?
            .map_err(|e| self.state.err(py, e))?;
        let mut out = Vec::new();
        let mut next = first;
        while let Some(ev) = next {
            let outcome = match ev.outcome {
                ConfirmOutcome::Ack => "ack",
                ConfirmOutcome::Nack => "nack",
                ConfirmOutcome::Lost => "lost",
            };
            out.push((ev.seq_no, ev.multiple, outcome));
            next = inner
                .recv(Some(Duration::ZERO))
                .map_err(|e| self.state.err(py, e))?;
        }
        Ok(out)
    }
}
