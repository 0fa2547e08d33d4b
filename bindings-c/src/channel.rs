//! Channels: every AMQP operation (exchange, queue, basic, confirm, tx), pull and callback
//! consumers, returned messages and publisher confirms.

use std::ffi::c_void;
use std::os::raw::c_char;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::thread::JoinHandle;

use bytes::Bytes;
use warren_core::client::blocking::{self, ConfirmEvents};
use warren_core::client::{
    BasicConsumeOptions, BasicPublishOptions, ConsumerEnd, ExchangeDeclareOptions,
    QueueDeclareOptions,
};
use warren_core::error::Error;

use crate::connection::{delivery_from_inbox, Shared};
use crate::error::{
    warren_error, warren_result, ErrorSlot, Failure, WARREN_EMPTY, WARREN_INVALID_ARGUMENT,
    WARREN_INVALID_STATE, WARREN_OK, WARREN_TIMEOUT,
};
use crate::ffi::{self, boundary, boundary_or, OptOut, Out, UserData};
use crate::message::{
    warren_confirm, warren_confirm_event, warren_delivery, warren_properties, warren_returned,
};
use crate::table::{self, warren_table};

/// `passive`: only check that the exchange or queue exists (404 if not).
pub const WARREN_PASSIVE: u32 = 1;
/// `durable`: survives a broker restart.
pub const WARREN_DURABLE: u32 = 1 << 1;
/// `auto-delete`: deleted when its last binding (exchange) or consumer (queue) goes.
pub const WARREN_AUTO_DELETE: u32 = 1 << 2;
/// `internal`: an exchange only other exchanges publish to.
pub const WARREN_INTERNAL: u32 = 1 << 3;
/// `exclusive`: a queue used by this connection only, or a consumer that is the queue's only one.
pub const WARREN_EXCLUSIVE: u32 = 1 << 4;
/// `no-wait`: do not wait for the broker's answer (errors then close the channel later).
pub const WARREN_NOWAIT: u32 = 1 << 5;
/// `if-unused`: delete only if unused.
pub const WARREN_IF_UNUSED: u32 = 1 << 6;
/// `if-empty`: delete a queue only if empty.
pub const WARREN_IF_EMPTY: u32 = 1 << 7;
/// `no-ack`: the broker considers messages acknowledged as soon as it sends them.
pub const WARREN_NO_ACK: u32 = 1 << 8;
/// `no-local`: do not deliver this connection's own publishes (RabbitMQ ignores it).
pub const WARREN_NO_LOCAL: u32 = 1 << 9;
/// `mandatory`: return the message (warren_channel_next_return) if no queue takes it.
pub const WARREN_MANDATORY: u32 = 1 << 10;
/// `immediate`: refused by RabbitMQ; present for completeness.
pub const WARREN_IMMEDIATE: u32 = 1 << 11;

/// Bytes a consumer-tag buffer needs: the longest AMQP short string and its NUL.
pub const WARREN_SHORT_STRING_SIZE: usize = 256;

/// Refuses flags a call does not take.
fn allowed(flags: u32, allowed: u32, call: &str) -> Result<(), Failure> {
    if flags & !allowed != 0 {
        return Err(Failure::new(
            WARREN_INVALID_ARGUMENT,
            format!("{call} does not take flags {:#x}", flags & !allowed),
        ));
    }
    Ok(())
}

fn has(flags: u32, flag: u32) -> bool {
    flags & flag != 0
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A channel. Safe to use from several threads at once: calls on one channel are sent in
/// the order they are made.
pub struct warren_channel {
    ch: blocking::Channel,
    shared: Arc<Shared>,
    /// Threads running callback consumers, with their tags, joined on cancel and free.
    handlers: Mutex<Vec<(String, JoinHandle<ConsumerEnd>)>>,
    /// The confirm stream, subscribed on the first warren_channel_next_confirm.
    confirms: OnceLock<ConfirmEvents>,
    errors: ErrorSlot,
}

impl warren_channel {
    pub(crate) fn new(ch: blocking::Channel, shared: Arc<Shared>) -> warren_channel {
        warren_channel {
            ch,
            shared,
            handlers: Mutex::new(Vec::new()),
            confirms: OnceLock::new(),
            errors: ErrorSlot::default(),
        }
    }

    fn check<T>(&self, r: warren_core::Result<T>) -> Result<T, Failure> {
        self.errors.check(r)
    }

    /// Joins the handler threads of `tag` (all of them for `None`), except the calling one.
    fn join_handlers(&self, tag: Option<&str>) {
        let mine: Vec<_> = {
            let mut handlers = lock(&self.handlers);
            let (mine, rest) = handlers
                .drain(..)
                .partition(|(t, _)| tag.is_none_or(|tag| t == tag));
            *handlers = rest;
            mine
        };
        let me = std::thread::current().id();
        for (_, h) in mine {
            if h.thread().id() != me {
                let _ = h.join();
            }
        }
    }
}

impl Drop for warren_channel {
    fn drop(&mut self) {
        // Closing ends the channel's consumers, so their callback threads finish.
        let _ = self.ch.close();
        self.join_handlers(None);
    }
}

/// Runs an operation on a channel, recording failures on it.
fn with_channel(
    ch: *mut warren_channel,
    f: impl FnOnce(&warren_channel) -> Result<warren_result, Failure>,
) -> warren_result {
    boundary(|| {
        // SAFETY: a live channel (documented).
        let c = unsafe { ffi::object(ch, "ch")? };
        f(c).inspect_err(|e| c.errors.set(e))
    })
}

/// Closes the channel (if open), waits for its callback consumers' threads, and frees it;
/// NULL does nothing. Do not call it from one of its callbacks.
#[no_mangle]
pub extern "C" fn warren_channel_free(ch: *mut warren_channel) {
    // SAFETY: NULL or a channel this library handed over, not used after (documented).
    boundary_or((), || unsafe { ffi::free_handle(ch) })
}

/// Closes the channel normally. The handle stays valid until warren_channel_free.
#[no_mangle]
pub extern "C" fn warren_channel_close(ch: *mut warren_channel) -> warren_result {
    with_channel(ch, |c| {
        c.check(c.ch.close())?;
        Ok(WARREN_OK)
    })
}

/// The channel number (0 for NULL).
#[no_mangle]
pub extern "C" fn warren_channel_id(ch: *const warren_channel) -> u16 {
    boundary_or(0, || {
        // SAFETY: NULL or a live channel.
        unsafe { ffi::optional_object(ch) }.map_or(0, |c| c.ch.id())
    })
}

/// Whether the channel is usable: open, or being recovered (false for NULL).
#[no_mangle]
pub extern "C" fn warren_channel_is_open(ch: *const warren_channel) -> bool {
    boundary_or(false, || {
        // SAFETY: NULL or a live channel.
        unsafe { ffi::optional_object(ch) }.is_some_and(|c| c.ch.is_open())
    })
}

/// The last error of a call on this channel, from any thread; WARREN_EMPTY if none.
#[no_mangle]
pub extern "C" fn warren_channel_last_error(
    ch: *const warren_channel,
    error: *mut warren_error,
) -> warren_result {
    boundary(|| {
        // SAFETY: a live channel (documented).
        let c = unsafe { ffi::object(ch, "ch")? };
        crate::write_last_error(c.errors.get(), error)
    })
}

/// Declares an exchange of `type` ("direct", "fanout", "topic", "headers", or a plugin's).
/// Flags: WARREN_PASSIVE, WARREN_DURABLE, WARREN_AUTO_DELETE, WARREN_INTERNAL, WARREN_NOWAIT.
/// `arguments` may be NULL.
#[no_mangle]
pub extern "C" fn warren_channel_exchange_declare(
    ch: *mut warren_channel,
    exchange: *const c_char,
    exchange_type: *const c_char,
    flags: u32,
    arguments: *const warren_table,
) -> warren_result {
    with_channel(ch, |c| {
        allowed(
            flags,
            WARREN_PASSIVE | WARREN_DURABLE | WARREN_AUTO_DELETE | WARREN_INTERNAL | WARREN_NOWAIT,
            "exchange_declare",
        )?;
        // SAFETY: the documented contract of each argument.
        let (exchange, kind, args) = unsafe {
            (
                ffi::string(exchange, "exchange")?,
                ffi::string(exchange_type, "type")?,
                table::arguments(arguments),
            )
        };
        let options = ExchangeDeclareOptions {
            passive: has(flags, WARREN_PASSIVE),
            durable: has(flags, WARREN_DURABLE),
            auto_delete: has(flags, WARREN_AUTO_DELETE),
            internal: has(flags, WARREN_INTERNAL),
            nowait: has(flags, WARREN_NOWAIT),
        };
        c.check(c.ch.exchange_declare(exchange, kind, options, args))?;
        Ok(WARREN_OK)
    })
}

/// Deletes an exchange. Flags: WARREN_IF_UNUSED, WARREN_NOWAIT.
#[no_mangle]
pub extern "C" fn warren_channel_exchange_delete(
    ch: *mut warren_channel,
    exchange: *const c_char,
    flags: u32,
) -> warren_result {
    with_channel(ch, |c| {
        allowed(flags, WARREN_IF_UNUSED | WARREN_NOWAIT, "exchange_delete")?;
        // SAFETY: NUL-terminated (documented).
        let exchange = unsafe { ffi::string(exchange, "exchange")? };
        let if_unused = has(flags, WARREN_IF_UNUSED);
        c.check(if has(flags, WARREN_NOWAIT) {
            c.ch.exchange_delete_nowait(exchange, if_unused)
        } else {
            c.ch.exchange_delete(exchange, if_unused)
        })?;
        Ok(WARREN_OK)
    })
}

/// Strings and arguments of a binding call.
///
/// # Safety
/// Each pointer as the header documents for the bind functions.
unsafe fn binding_args<'a>(
    a: *const c_char,
    a_name: &str,
    b: *const c_char,
    b_name: &str,
    routing_key: *const c_char,
    arguments: *const warren_table,
) -> Result<(&'a str, &'a str, &'a str, warren_core::codec::FieldTable), Failure> {
    // SAFETY: the caller's promise.
    unsafe {
        Ok((
            ffi::string(a, a_name)?,
            ffi::string(b, b_name)?,
            ffi::string(routing_key, "routing_key")?,
            table::arguments(arguments),
        ))
    }
}

/// Binds exchange `destination` to exchange `source` (a RabbitMQ extension). Flags:
/// WARREN_NOWAIT. `arguments` may be NULL.
#[no_mangle]
pub extern "C" fn warren_channel_exchange_bind(
    ch: *mut warren_channel,
    destination: *const c_char,
    source: *const c_char,
    routing_key: *const c_char,
    arguments: *const warren_table,
    flags: u32,
) -> warren_result {
    with_channel(ch, |c| {
        allowed(flags, WARREN_NOWAIT, "exchange_bind")?;
        // SAFETY: the documented contract of each argument.
        let (d, s, rk, args) = unsafe {
            binding_args(
                destination,
                "destination",
                source,
                "source",
                routing_key,
                arguments,
            )?
        };
        c.check(if has(flags, WARREN_NOWAIT) {
            c.ch.exchange_bind_nowait(d, s, rk, args)
        } else {
            c.ch.exchange_bind(d, s, rk, args)
        })?;
        Ok(WARREN_OK)
    })
}

/// Removes an exchange-to-exchange binding. Flags: WARREN_NOWAIT.
#[no_mangle]
pub extern "C" fn warren_channel_exchange_unbind(
    ch: *mut warren_channel,
    destination: *const c_char,
    source: *const c_char,
    routing_key: *const c_char,
    arguments: *const warren_table,
    flags: u32,
) -> warren_result {
    with_channel(ch, |c| {
        allowed(flags, WARREN_NOWAIT, "exchange_unbind")?;
        // SAFETY: the documented contract of each argument.
        let (d, s, rk, args) = unsafe {
            binding_args(
                destination,
                "destination",
                source,
                "source",
                routing_key,
                arguments,
            )?
        };
        c.check(if has(flags, WARREN_NOWAIT) {
            c.ch.exchange_unbind_nowait(d, s, rk, args)
        } else {
            c.ch.exchange_unbind(d, s, rk, args)
        })?;
        Ok(WARREN_OK)
    })
}

/// What queue.declare reports.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct warren_queue_info {
    /// The queue's name, NUL-terminated (the broker's choice when declared with "").
    pub queue: [c_char; WARREN_SHORT_STRING_SIZE],
    /// Messages ready in the queue.
    pub message_count: u32,
    /// Active consumers.
    pub consumer_count: u32,
}

/// Declares a queue ("" for a server-named one). Flags: WARREN_PASSIVE, WARREN_DURABLE,
/// WARREN_EXCLUSIVE, WARREN_AUTO_DELETE, WARREN_NOWAIT. `arguments` may be NULL (e.g.
/// "x-queue-type", "x-message-ttl"); `info` may be NULL, else it receives the name and
/// counts (left unset with WARREN_NOWAIT).
#[no_mangle]
pub extern "C" fn warren_channel_queue_declare(
    ch: *mut warren_channel,
    queue: *const c_char,
    flags: u32,
    arguments: *const warren_table,
    info: *mut warren_queue_info,
) -> warren_result {
    with_channel(ch, |c| {
        allowed(
            flags,
            WARREN_PASSIVE | WARREN_DURABLE | WARREN_EXCLUSIVE | WARREN_AUTO_DELETE | WARREN_NOWAIT,
            "queue_declare",
        )?;
        // SAFETY: the documented contract of each argument.
        let (queue, args, out) = unsafe {
            (
                ffi::string(queue, "queue")?,
                table::arguments(arguments),
                OptOut::new(info),
            )
        };
        let options = QueueDeclareOptions {
            passive: has(flags, WARREN_PASSIVE),
            durable: has(flags, WARREN_DURABLE),
            exclusive: has(flags, WARREN_EXCLUSIVE),
            auto_delete: has(flags, WARREN_AUTO_DELETE),
            nowait: has(flags, WARREN_NOWAIT),
        };
        let ok = c.check(c.ch.queue_declare(queue, options, args))?;
        if !options.nowait {
            let mut q = warren_queue_info {
                queue: [0; WARREN_SHORT_STRING_SIZE],
                message_count: ok.message_count,
                consumer_count: ok.consumer_count,
            };
            crate::error::fill_c_chars(&mut q.queue, &ok.queue);
            out.write(q);
        }
        Ok(WARREN_OK)
    })
}

/// Binds a queue to an exchange. Flags: WARREN_NOWAIT. `arguments` may be NULL.
#[no_mangle]
pub extern "C" fn warren_channel_queue_bind(
    ch: *mut warren_channel,
    queue: *const c_char,
    exchange: *const c_char,
    routing_key: *const c_char,
    arguments: *const warren_table,
    flags: u32,
) -> warren_result {
    with_channel(ch, |c| {
        allowed(flags, WARREN_NOWAIT, "queue_bind")?;
        // SAFETY: the documented contract of each argument.
        let (q, e, rk, args) =
            unsafe { binding_args(queue, "queue", exchange, "exchange", routing_key, arguments)? };
        c.check(if has(flags, WARREN_NOWAIT) {
            c.ch.queue_bind_nowait(q, e, rk, args)
        } else {
            c.ch.queue_bind(q, e, rk, args)
        })?;
        Ok(WARREN_OK)
    })
}

/// Removes a queue binding. Flags: WARREN_NOWAIT (not sent on the wire; the call returns
/// without waiting).
#[no_mangle]
pub extern "C" fn warren_channel_queue_unbind(
    ch: *mut warren_channel,
    queue: *const c_char,
    exchange: *const c_char,
    routing_key: *const c_char,
    arguments: *const warren_table,
    flags: u32,
) -> warren_result {
    with_channel(ch, |c| {
        allowed(flags, WARREN_NOWAIT, "queue_unbind")?;
        // SAFETY: the documented contract of each argument.
        let (q, e, rk, args) =
            unsafe { binding_args(queue, "queue", exchange, "exchange", routing_key, arguments)? };
        c.check(if has(flags, WARREN_NOWAIT) {
            c.ch.queue_unbind_nowait(q, e, rk, args)
        } else {
            c.ch.queue_unbind(q, e, rk, args)
        })?;
        Ok(WARREN_OK)
    })
}

/// Removes every ready message from a queue; `*message_count` (may be NULL) receives how
/// many. Flags: WARREN_NOWAIT (the count is then not written).
#[no_mangle]
pub extern "C" fn warren_channel_queue_purge(
    ch: *mut warren_channel,
    queue: *const c_char,
    flags: u32,
    message_count: *mut u32,
) -> warren_result {
    with_channel(ch, |c| {
        allowed(flags, WARREN_NOWAIT, "queue_purge")?;
        // SAFETY: the documented contract of each argument.
        let (queue, out) = unsafe { (ffi::string(queue, "queue")?, OptOut::new(message_count)) };
        if has(flags, WARREN_NOWAIT) {
            c.check(c.ch.queue_purge_nowait(queue))?;
        } else {
            out.write(c.check(c.ch.queue_purge(queue))?);
        }
        Ok(WARREN_OK)
    })
}

/// Deletes a queue; `*message_count` (may be NULL) receives how many messages went with it.
/// Flags: WARREN_IF_UNUSED, WARREN_IF_EMPTY, WARREN_NOWAIT.
#[no_mangle]
pub extern "C" fn warren_channel_queue_delete(
    ch: *mut warren_channel,
    queue: *const c_char,
    flags: u32,
    message_count: *mut u32,
) -> warren_result {
    with_channel(ch, |c| {
        allowed(
            flags,
            WARREN_IF_UNUSED | WARREN_IF_EMPTY | WARREN_NOWAIT,
            "queue_delete",
        )?;
        // SAFETY: the documented contract of each argument.
        let (queue, out) = unsafe { (ffi::string(queue, "queue")?, OptOut::new(message_count)) };
        let (unused, empty) = (has(flags, WARREN_IF_UNUSED), has(flags, WARREN_IF_EMPTY));
        if has(flags, WARREN_NOWAIT) {
            c.check(c.ch.queue_delete_nowait(queue, unused, empty))?;
        } else {
            out.write(c.check(c.ch.queue_delete(queue, unused, empty))?);
        }
        Ok(WARREN_OK)
    })
}

/// Limits unacknowledged deliveries to `prefetch_count` per consumer (with `global`: per
/// channel, as RabbitMQ reads it); 0 means no limit.
#[no_mangle]
pub extern "C" fn warren_channel_basic_qos(
    ch: *mut warren_channel,
    prefetch_count: u16,
    global: bool,
) -> warren_result {
    with_channel(ch, |c| {
        c.check(c.ch.basic_qos(prefetch_count, global))?;
        Ok(WARREN_OK)
    })
}

/// Arguments shared by both consume calls.
struct ConsumeArgs<'a> {
    queue: &'a str,
    tag: &'a str,
    options: BasicConsumeOptions,
    arguments: warren_core::codec::FieldTable,
}

/// # Safety
/// Each pointer as the header documents for the consume functions.
unsafe fn consume_args<'a>(
    queue: *const c_char,
    consumer_tag: *const c_char,
    flags: u32,
    arguments: *const warren_table,
) -> Result<ConsumeArgs<'a>, Failure> {
    allowed(
        flags,
        WARREN_NO_ACK | WARREN_EXCLUSIVE | WARREN_NO_LOCAL | WARREN_NOWAIT,
        "basic_consume",
    )?;
    // SAFETY: the caller's promise.
    unsafe {
        Ok(ConsumeArgs {
            queue: ffi::string(queue, "queue")?,
            tag: ffi::string_or(consumer_tag, "", "consumer_tag")?,
            options: BasicConsumeOptions {
                no_local: has(flags, WARREN_NO_LOCAL),
                no_ack: has(flags, WARREN_NO_ACK),
                exclusive: has(flags, WARREN_EXCLUSIVE),
                nowait: has(flags, WARREN_NOWAIT),
            },
            arguments: table::arguments(arguments),
        })
    }
}

/// Writes a consumer tag to the caller's buffer of WARREN_SHORT_STRING_SIZE bytes, if any.
///
/// # Safety
/// `out` is NULL or has WARREN_SHORT_STRING_SIZE writable bytes.
unsafe fn write_tag(out: *mut c_char, tag: &str) -> Result<(), Failure> {
    if !out.is_null() {
        // SAFETY: the caller's promise.
        unsafe { ffi::copy_text(tag, out, WARREN_SHORT_STRING_SIZE, std::ptr::null_mut())? };
    }
    Ok(())
}

/// Starts a pull consumer on `queue`: take its deliveries with warren_channel_next_delivery
/// or warren_connection_next_delivery. `consumer_tag` NULL or "" lets the broker choose;
/// `consumer_tag_out` (NULL, or WARREN_SHORT_STRING_SIZE bytes) receives the tag. Flags:
/// WARREN_NO_ACK, WARREN_EXCLUSIVE, WARREN_NO_LOCAL, WARREN_NOWAIT. Deliveries of every pull
/// consumer of a connection share one bounded buffer: when consuming on several channels,
/// read them all (or use warren_connection_next_delivery), or the buffer fills and every
/// consumer of the connection waits.
#[no_mangle]
pub extern "C" fn warren_channel_basic_consume(
    ch: *mut warren_channel,
    queue: *const c_char,
    consumer_tag: *const c_char,
    flags: u32,
    arguments: *const warren_table,
    consumer_tag_out: *mut c_char,
) -> warren_result {
    with_channel(ch, |c| {
        // SAFETY: the documented contract of each argument.
        let a = unsafe { consume_args(queue, consumer_tag, flags, arguments)? };
        let tag = c.check(c.ch.basic_consume_to_inbox(
            &c.shared.inbox,
            a.queue,
            a.tag,
            a.options,
            a.arguments,
        ))?;
        // SAFETY: NULL or WARREN_SHORT_STRING_SIZE writable bytes (documented).
        unsafe { write_tag(consumer_tag_out, &tag)? };
        Ok(WARREN_OK)
    })
}

/// Called with each delivery of a callback consumer, on the consumer's own thread;
/// `delivery` is borrowed for the call (acknowledge it there, or keep a copy with
/// warren_delivery_clone).
pub type warren_delivery_callback =
    Option<extern "C" fn(userdata: *mut c_void, delivery: *const warren_delivery)>;

/// Starts a consumer that calls `callback(userdata, delivery)` for each delivery, in order,
/// on a thread of its own, until it is cancelled or its channel closes (cancel and
/// warren_channel_free wait for the thread). `userdata` must be usable from that thread.
/// Other arguments as for warren_channel_basic_consume.
#[no_mangle]
pub extern "C" fn warren_channel_basic_consume_callback(
    ch: *mut warren_channel,
    queue: *const c_char,
    consumer_tag: *const c_char,
    flags: u32,
    arguments: *const warren_table,
    callback: warren_delivery_callback,
    userdata: *mut c_void,
    consumer_tag_out: *mut c_char,
) -> warren_result {
    with_channel(ch, |c| {
        let callback = callback.ok_or_else(|| Failure::null("callback"))?;
        // SAFETY: the documented contract of each argument.
        let a = unsafe { consume_args(queue, consumer_tag, flags, arguments)? };
        let consumer = c.check(c.ch.basic_consume(a.queue, a.tag, a.options, a.arguments))?;
        let tag = consumer.tag().to_string();
        let userdata = UserData(userdata);
        let handle = c.check(consumer.spawn_handler(move |d| {
            let user = userdata;
            let d = warren_delivery(d);
            callback(user.0, &d);
        }))?;
        lock(&c.handlers).push((tag.clone(), handle));
        // SAFETY: NULL or WARREN_SHORT_STRING_SIZE writable bytes (documented).
        unsafe { write_tag(consumer_tag_out, &tag)? };
        Ok(WARREN_OK)
    })
}

/// Cancels a consumer (basic.cancel). For a callback consumer it also waits for its thread
/// to finish the delivery it is handling (unless called from that callback).
#[no_mangle]
pub extern "C" fn warren_channel_basic_cancel(
    ch: *mut warren_channel,
    consumer_tag: *const c_char,
) -> warren_result {
    with_channel(ch, |c| {
        // SAFETY: NUL-terminated (documented).
        let tag = unsafe { ffi::string(consumer_tag, "consumer_tag")? };
        c.check(c.ch.basic_cancel(tag))?;
        c.join_handlers(Some(tag));
        Ok(WARREN_OK)
    })
}

/// # Safety
/// Each pointer as the header documents for the publish functions.
unsafe fn publish(
    c: &warren_channel,
    exchange: *const c_char,
    routing_key: *const c_char,
    body: *const u8,
    body_len: usize,
    props: *const warren_properties,
    flags: u32,
) -> Result<blocking::PublishConfirm, Failure> {
    allowed(flags, WARREN_MANDATORY | WARREN_IMMEDIATE, "basic_publish")?;
    // SAFETY: the caller's promise.
    let (exchange, routing_key, body, props) = unsafe {
        (
            ffi::string(exchange, "exchange")?,
            ffi::string(routing_key, "routing_key")?,
            ffi::bytes(body, body_len, "body")?,
            ffi::optional_object(props),
        )
    };
    let options = BasicPublishOptions {
        mandatory: has(flags, WARREN_MANDATORY),
        immediate: has(flags, WARREN_IMMEDIATE),
    };
    let properties = props.map(|p| p.0.clone()).unwrap_or_default();
    c.check(c.ch.basic_publish(
        exchange,
        routing_key,
        options,
        Bytes::copy_from_slice(body),
        properties,
    ))
}

/// Publishes a message (the body is copied; `props` may be NULL). Returns as soon as the
/// message is queued for the socket; waits only when too many publishes are queued or
/// unconfirmed (at most the options' publish timeout). Flags: WARREN_MANDATORY,
/// WARREN_IMMEDIATE. In confirm mode, learn the outcome with warren_channel_wait_for_confirms
/// or warren_channel_next_confirm, or publish with warren_channel_basic_publish_confirmed.
#[no_mangle]
pub extern "C" fn warren_channel_basic_publish(
    ch: *mut warren_channel,
    exchange: *const c_char,
    routing_key: *const c_char,
    body: *const u8,
    body_len: usize,
    props: *const warren_properties,
    flags: u32,
) -> warren_result {
    with_channel(ch, |c| {
        // SAFETY: the documented contract of each argument.
        unsafe { publish(c, exchange, routing_key, body, body_len, props, flags)? };
        Ok(WARREN_OK)
    })
}

/// Like warren_channel_basic_publish, and hands over this publish's confirmation in
/// `*confirm` (wait with warren_confirm_wait, free with warren_confirm_free).
#[no_mangle]
pub extern "C" fn warren_channel_basic_publish_confirmed(
    ch: *mut warren_channel,
    exchange: *const c_char,
    routing_key: *const c_char,
    body: *const u8,
    body_len: usize,
    props: *const warren_properties,
    flags: u32,
    confirm: *mut *mut warren_confirm,
) -> warren_result {
    with_channel(ch, |c| {
        // SAFETY: the documented contract of each argument.
        let out = unsafe { Out::new(confirm, "confirm")? };
        // SAFETY: as above.
        let pending = unsafe { publish(c, exchange, routing_key, body, body_len, props, flags)? };
        out.write(ffi::into_handle(warren_confirm(Mutex::new(Some(pending)))));
        Ok(WARREN_OK)
    })
}

/// Fetches one message from `queue` (basic.get) into `*out` (free it with
/// warren_delivery_free); WARREN_EMPTY if the queue is empty. Flags: WARREN_NO_ACK.
#[no_mangle]
pub extern "C" fn warren_channel_basic_get(
    ch: *mut warren_channel,
    queue: *const c_char,
    flags: u32,
    out: *mut *mut warren_delivery,
) -> warren_result {
    with_channel(ch, |c| {
        allowed(flags, WARREN_NO_ACK, "basic_get")?;
        // SAFETY: the documented contract of each argument.
        let (queue, out) = unsafe { (ffi::string(queue, "queue")?, Out::new(out, "out")?) };
        Ok(
            match c.check(c.ch.basic_get(queue, has(flags, WARREN_NO_ACK)))? {
                Some(d) => {
                    out.write(ffi::into_handle(warren_delivery(d)));
                    WARREN_OK
                }
                None => WARREN_EMPTY,
            },
        )
    })
}

/// Acknowledges delivery `delivery_tag` (with `multiple`: and every earlier one).
#[no_mangle]
pub extern "C" fn warren_channel_basic_ack(
    ch: *mut warren_channel,
    delivery_tag: u64,
    multiple: bool,
) -> warren_result {
    with_channel(ch, |c| {
        c.check(c.ch.basic_ack(delivery_tag, multiple))?;
        Ok(WARREN_OK)
    })
}

/// Rejects delivery `delivery_tag` (with `multiple`: and every earlier one) with
/// basic.nack; with `requeue` the broker delivers them again.
#[no_mangle]
pub extern "C" fn warren_channel_basic_nack(
    ch: *mut warren_channel,
    delivery_tag: u64,
    multiple: bool,
    requeue: bool,
) -> warren_result {
    with_channel(ch, |c| {
        c.check(c.ch.basic_nack(delivery_tag, multiple, requeue))?;
        Ok(WARREN_OK)
    })
}

/// Rejects delivery `delivery_tag` with basic.reject; with `requeue` the broker delivers it
/// again.
#[no_mangle]
pub extern "C" fn warren_channel_basic_reject(
    ch: *mut warren_channel,
    delivery_tag: u64,
    requeue: bool,
) -> warren_result {
    with_channel(ch, |c| {
        c.check(c.ch.basic_reject(delivery_tag, requeue))?;
        Ok(WARREN_OK)
    })
}

/// Asks the broker to redeliver every unacknowledged message of the channel (basic.recover;
/// RabbitMQ supports only `requeue` true).
#[no_mangle]
pub extern "C" fn warren_channel_basic_recover(
    ch: *mut warren_channel,
    requeue: bool,
) -> warren_result {
    with_channel(ch, |c| {
        c.check(c.ch.basic_recover(requeue))?;
        Ok(WARREN_OK)
    })
}

/// Waits at most `timeout_ms` for the next delivery of this channel's pull consumers, into
/// `*out` (free it with warren_delivery_free). WARREN_TIMEOUT if none came; a consumer that
/// ended other than by the application's own cancel or close gives the code of why.
/// WARREN_INVALID_STATE once warren_connection_fd was called on the connection.
#[no_mangle]
pub extern "C" fn warren_channel_next_delivery(
    ch: *mut warren_channel,
    timeout_ms: i32,
    out: *mut *mut warren_delivery,
) -> warren_result {
    with_channel(ch, |c| {
        // SAFETY: writable (documented).
        let out = unsafe { Out::new(out, "out")? };
        if c.shared.poller.get().is_some() {
            return Err(Failure::new(
                WARREN_INVALID_STATE,
                "the connection's descriptor is in use: take deliveries with warren_connection_next_delivery",
            ));
        }
        let id = c.ch.id();
        Ok(
            match delivery_from_inbox(|t| c.shared.inbox.next_for_channel(id, t), timeout_ms)? {
                Some(d) => {
                    out.write(ffi::into_handle(warren_delivery(d)));
                    WARREN_OK
                }
                None => WARREN_TIMEOUT,
            },
        )
    })
}

/// Waits at most `timeout_ms` for the next message the broker returned as unroutable (a
/// publish with WARREN_MANDATORY), into `*out` (free it with warren_returned_free).
/// WARREN_TIMEOUT if none came. At most 1024 unread returns are kept per channel.
#[no_mangle]
pub extern "C" fn warren_channel_next_return(
    ch: *mut warren_channel,
    timeout_ms: i32,
    out: *mut *mut warren_returned,
) -> warren_result {
    with_channel(ch, |c| {
        // SAFETY: writable (documented).
        let out = unsafe { Out::new(out, "out")? };
        Ok(
            match c.check(c.ch.next_return(crate::timeout(timeout_ms)))? {
                Some(r) => {
                    out.write(ffi::into_handle(warren_returned(r)));
                    WARREN_OK
                }
                None => WARREN_TIMEOUT,
            },
        )
    })
}

/// Puts the channel in confirm mode: the broker acks or nacks every later publish.
#[no_mangle]
pub extern "C" fn warren_channel_confirm_select(ch: *mut warren_channel) -> warren_result {
    with_channel(ch, |c| {
        c.check(c.ch.confirm_select())?;
        Ok(WARREN_OK)
    })
}

/// The sequence number the next publish on this channel will get in confirm mode (from 1;
/// 0 for NULL).
#[no_mangle]
pub extern "C" fn warren_channel_next_publish_seq_no(ch: *const warren_channel) -> u64 {
    boundary_or(0, || {
        // SAFETY: NULL or a live channel.
        unsafe { ffi::optional_object(ch) }.map_or(0, |c| c.ch.next_publish_seq_no())
    })
}

/// Waits at most `timeout_ms` for the next publisher confirm of this channel, into
/// `*event`; WARREN_TIMEOUT if none came. Confirms are recorded from the first call on (call
/// it once with timeout 0 right after warren_channel_confirm_select); at most 1024 unread
/// ones are kept.
#[no_mangle]
pub extern "C" fn warren_channel_next_confirm(
    ch: *mut warren_channel,
    timeout_ms: i32,
    event: *mut warren_confirm_event,
) -> warren_result {
    with_channel(ch, |c| {
        // SAFETY: writable (documented).
        let out = unsafe { Out::new(event, "event")? };
        let confirms = c.confirms.get_or_init(|| c.ch.confirm_events());
        Ok(match c.check(confirms.recv(crate::timeout(timeout_ms)))? {
            Some(ev) => {
                out.write(warren_confirm_event {
                    seq_no: ev.seq_no,
                    multiple: ev.multiple,
                    outcome: ev.outcome.into(),
                });
                WARREN_OK
            }
            None => WARREN_TIMEOUT,
        })
    })
}

/// Waits at most `timeout_ms` until every publish so far is confirmed; `*all_acked` (may be
/// NULL) is true if none was nacked since the previous call. WARREN_TIMEOUT if the time ran
/// out; WARREN_PUBLISH_UNCONFIRMED if the connection was lost first; WARREN_INVALID_STATE
/// outside confirm mode.
#[no_mangle]
pub extern "C" fn warren_channel_wait_for_confirms(
    ch: *mut warren_channel,
    timeout_ms: i32,
    all_acked: *mut bool,
) -> warren_result {
    with_channel(ch, |c| {
        // SAFETY: NULL or writable (documented).
        let out = unsafe { OptOut::new(all_acked) };
        let answer = match crate::timeout(timeout_ms) {
            Some(t) => c.ch.wait_for_confirms_timeout(t),
            None => c.ch.wait_for_confirms(),
        };
        match answer {
            Ok(acked) => {
                out.write(acked);
                Ok(WARREN_OK)
            }
            Err(Error::Timeout) => Ok(WARREN_TIMEOUT),
            Err(e) => Err(Failure::from(e)),
        }
    })
}

/// Starts using transactions on this channel (tx.select).
#[no_mangle]
pub extern "C" fn warren_channel_tx_select(ch: *mut warren_channel) -> warren_result {
    with_channel(ch, |c| {
        c.check(c.ch.tx_select())?;
        Ok(WARREN_OK)
    })
}

/// Commits the current transaction (tx.commit).
#[no_mangle]
pub extern "C" fn warren_channel_tx_commit(ch: *mut warren_channel) -> warren_result {
    with_channel(ch, |c| {
        c.check(c.ch.tx_commit())?;
        Ok(WARREN_OK)
    })
}

/// Rolls the current transaction back (tx.rollback).
#[no_mangle]
pub extern "C" fn warren_channel_tx_rollback(ch: *mut warren_channel) -> warren_result {
    with_channel(ch, |c| {
        c.check(c.ch.tx_rollback())?;
        Ok(WARREN_OK)
    })
}

/// Asks the broker to pause (`active` false) or resume deliveries (channel.flow; RabbitMQ
/// refuses to pause with 540 NOT_IMPLEMENTED); `*active_out` (may be NULL) receives the
/// broker's answer.
#[no_mangle]
pub extern "C" fn warren_channel_flow(
    ch: *mut warren_channel,
    active: bool,
    active_out: *mut bool,
) -> warren_result {
    with_channel(ch, |c| {
        // SAFETY: NULL or writable (documented).
        let out = unsafe { OptOut::new(active_out) };
        out.write(c.check(c.ch.channel_flow(active))?);
        Ok(WARREN_OK)
    })
}
