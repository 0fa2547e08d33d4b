//! The entry points of `dev.warren.client.impl.Native`. Each one runs its body inside
//! `EnvUnowned::with_env` (which catches panics) and resolves errors with [`ThrowNative`], so
//! no panic and no core error leaves without becoming a Java exception. Bodies are one core
//! call each, plus the conversions of [`crate::bridge`].

use std::time::Duration;

use jni::objects::{JByteArray, JClass, JLongArray, JObjectArray, JString};
use jni::refs::Reference;
use jni::sys::{jboolean, jint, jlong};
use jni::{Env, EnvUnowned};
use warren_core::client::blocking;
use warren_core::client::{
    BasicConsumeOptions, BasicPublishOptions, ConfirmOutcome, ConnectionOptions,
    ExchangeDeclareOptions, HostAddr, QueueDeclareOptions, TlsOptions,
};
use warren_core::proto::{AuthMechanism, Credentials};

use crate::bridge::{self, Writer};
use crate::error::{BridgeError, BridgeResult, ThrowNative};
use crate::handle::{self, ChannelHandle, ConnectionHandle, RpcHandle};

/// The connection behind a handle.
fn connection<'a>(h: jlong) -> BridgeResult<&'a ConnectionHandle> {
    // SAFETY: Java passes connection handles only to connection entry points, while its
    // NativeHandle holds a use count (see handle.rs).
    unsafe { handle::borrow::<ConnectionHandle>(h) }
        .ok_or_else(|| BridgeError::Internal("null connection handle".into()))
}

/// The channel behind a handle.
fn channel<'a>(h: jlong) -> BridgeResult<&'a ChannelHandle> {
    // SAFETY: as for `connection`, for channel handles.
    unsafe { handle::borrow::<ChannelHandle>(h) }
        .ok_or_else(|| BridgeError::Internal("null channel handle".into()))
}

/// The RPC client behind a handle.
fn rpc<'a>(h: jlong) -> BridgeResult<&'a RpcHandle> {
    // SAFETY: as for `connection`, for RPC handles.
    unsafe { handle::borrow::<RpcHandle>(h) }
        .ok_or_else(|| BridgeError::Internal("null RPC handle".into()))
}

fn string(env: &Env<'_>, s: &JString<'_>) -> BridgeResult<String> {
    if s.is_null() {
        return Err(BridgeError::Core(warren_core::Error::InvalidArgument(
            "null string".into(),
        )));
    }
    Ok(s.try_to_string(env)?)
}

fn optional_string(env: &Env<'_>, s: &JString<'_>) -> BridgeResult<Option<String>> {
    if s.is_null() {
        return Ok(None);
    }
    Ok(Some(s.try_to_string(env)?))
}

/// The bytes of a Java array; empty for `null`.
fn bytes(env: &Env<'_>, a: &JByteArray<'_>) -> BridgeResult<Vec<u8>> {
    if a.is_null() {
        return Ok(Vec::new());
    }
    Ok(env.convert_byte_array(a)?)
}

fn to_java<'l>(env: &mut Env<'l>, b: &[u8]) -> BridgeResult<JByteArray<'l>> {
    Ok(env.byte_array_from_slice(b)?)
}

/// A timeout from Java: negative waits forever.
fn timeout(ms: jlong) -> Option<Duration> {
    u64::try_from(ms).ok().map(Duration::from_millis)
}

fn short_u16(v: jint, what: &str) -> BridgeResult<u16> {
    u16::try_from(v).map_err(|_| {
        BridgeError::Core(warren_core::Error::InvalidArgument(format!(
            "{what} must be between 0 and 65535, not {v}"
        )))
    })
}

// ---------------------------------------------------------------------------------------------
// Connections

/// Opens a connection. `hosts` and `ports` list the brokers to try in order; `tls` is 0 (plain
/// TCP), 1 (TLS without verifying the server, as the Java client's `useSslProtocol()`) or 2
/// (TLS verified against the system's roots).
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_dev_warren_client_impl_Native_connect<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    hosts: JObjectArray<'l, JString<'l>>,
    ports: JLongArray<'l>,
    tls: jint,
    username: JString<'l>,
    password: JString<'l>,
    vhost: JString<'l>,
    settings: JLongArray<'l>,
    connection_name: JString<'l>,
    client_properties: JByteArray<'l>,
) -> jlong {
    env.with_env(|env| -> BridgeResult<jlong> {
        let count = hosts.len(env)?;
        let mut port_values = vec![0i64; count];
        ports.get_region(env, 0, &mut port_values)?;
        let tls = match tls {
            0 => None,
            1 => Some(TlsOptions {
                danger_accept_invalid_certs: true,
                ..TlsOptions::default()
            }),
            _ => Some(TlsOptions::default()),
        };
        let mut opts = ConnectionOptions {
            hosts: Vec::with_capacity(count),
            ..ConnectionOptions::default()
        };
        for (i, port) in port_values.iter().enumerate() {
            let host = hosts.get_element(env, i)?;
            let host = string(env, &host)?;
            let port = short_u16(*port as jint, "a port")?;
            opts.hosts.push(HostAddr {
                host,
                port,
                tls: tls.clone(),
            });
        }
        // heartbeat s, connection timeout ms, channel max, frame max, recovery, topology
        // recovery, recovery interval ms, RPC timeout ms (0: none), close timeout ms, largest
        // inbound message body (0: the core's default), SASL mechanism (0 PLAIN, 1 EXTERNAL).
        let mut s = [0i64; 11];
        let given = settings.len(env)?.min(s.len());
        settings.get_region(env, 0, &mut s[..given])?;
        opts.config.credentials = Credentials {
            username: string(env, &username)?,
            password: string(env, &password)?,
        };
        opts.config.vhost = string(env, &vhost)?;
        opts.config.heartbeat = short_u16(s[0] as jint, "the heartbeat")?;
        if s[1] > 0 {
            opts.connection_timeout = Duration::from_millis(s[1] as u64);
        }
        opts.config.channel_max = short_u16(s[2] as jint, "channel max")?;
        opts.config.frame_max = u32::try_from(s[3]).unwrap_or(0);
        opts.recovery.enabled = s[4] != 0;
        opts.recovery.topology = s[5] != 0;
        if s[6] > 0 {
            // The Java client waits a fixed interval between attempts.
            let interval = Duration::from_millis(s[6] as u64);
            opts.recovery.initial_delay = interval;
            opts.recovery.max_delay = interval;
            opts.recovery.jitter = false;
        }
        opts.rpc_timeout = (s[7] > 0).then(|| Duration::from_millis(s[7] as u64));
        if s[8] > 0 {
            opts.close_timeout = Duration::from_millis(s[8] as u64);
        }
        if s[9] > 0 {
            opts.limits.max_message_size = s[9] as u64;
        }
        if s[10] == 1 {
            opts.config.mechanism = AuthMechanism::External;
        }
        opts.config.connection_name = optional_string(env, &connection_name)?;
        opts.config.client_properties = bridge::decode_table(bytes(env, &client_properties)?)?;
        let conn = blocking::Connection::connect_with(opts)?;
        let events = std::sync::Mutex::new(conn.events());
        Ok(handle::into_handle(ConnectionHandle { conn, events }))
    })
    .resolve::<ThrowNative>()
}

/// Frees a connection handle (Java's `NativeHandle` calls it once, after the last use). The
/// connection itself closes when its last channel is gone too.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_warren_client_impl_Native_connFree<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    h: jlong,
) {
    env.with_env(|_env| -> BridgeResult<()> {
        // SAFETY: called once per handle, after every use ended (NativeHandle).
        unsafe { handle::free_handle::<ConnectionHandle>(h) };
        Ok(())
    })
    .resolve::<ThrowNative>()
}

/// Closes the connection with a reply code and text.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_warren_client_impl_Native_connClose<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    h: jlong,
    code: jint,
    text: JString<'l>,
) {
    env.with_env(|env| -> BridgeResult<()> {
        let text = string(env, &text)?;
        let code = short_u16(code, "the reply code")?;
        connection(h)?.conn.close_with(code, &text)?;
        Ok(())
    })
    .resolve::<ThrowNative>()
}

/// Whether the connection is open (or recovering).
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_warren_client_impl_Native_connIsOpen<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    h: jlong,
) -> jboolean {
    env.with_env(|_env| -> BridgeResult<bool> { Ok(connection(h)?.conn.is_open()) })
        .resolve::<ThrowNative>()
}

/// Why the connection ended (a `NativeException` layout), or null while it is open.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_warren_client_impl_Native_connCloseReason<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    h: jlong,
) -> JByteArray<'l> {
    env.with_env(|env| -> BridgeResult<JByteArray<'l>> {
        match connection(h)?.conn.close_reason() {
            None => Ok(JByteArray::default()),
            Some(e) => to_java(env, &crate::error::encode_error(&e)),
        }
    })
    .resolve::<ThrowNative>()
}

/// The broker's server properties as a field table.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_warren_client_impl_Native_connServerProperties<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    h: jlong,
) -> JByteArray<'l> {
    env.with_env(|env| -> BridgeResult<JByteArray<'l>> {
        let table = connection(h)?.conn.server_properties();
        to_java(env, &bridge::encode_table(&table))
    })
    .resolve::<ThrowNative>()
}

/// Channel max, frame max, heartbeat and port of the link in use.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_warren_client_impl_Native_connTuning<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    h: jlong,
) -> JLongArray<'l> {
    env.with_env(|env| -> BridgeResult<JLongArray<'l>> {
        let conn = &connection(h)?.conn;
        let t = conn.tuning();
        let values = [
            i64::from(t.channel_max),
            i64::from(t.frame_max),
            i64::from(t.heartbeat),
            i64::from(conn.host().port),
        ];
        let array = JLongArray::new(env, values.len())?;
        array.set_region(env, 0, &values)?;
        Ok(array)
    })
    .resolve::<ThrowNative>()
}

/// The host name of the broker reached.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_warren_client_impl_Native_connHost<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    h: jlong,
) -> JString<'l> {
    env.with_env(|env| -> BridgeResult<JString<'l>> {
        let host = connection(h)?.conn.host().host;
        Ok(JString::from_str(env, host)?)
    })
    .resolve::<ThrowNative>()
}

/// The next connection event (`bridge::event` layout), waiting at most `timeout_ms`; null
/// if none came.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_warren_client_impl_Native_connNextEvent<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    h: jlong,
    timeout_ms: jlong,
) -> JByteArray<'l> {
    env.with_env(|env| -> BridgeResult<JByteArray<'l>> {
        let conn = connection(h)?;
        let mut events = conn.events.lock().unwrap_or_else(|p| p.into_inner());
        match events.recv(timeout(timeout_ms))? {
            None => Ok(JByteArray::default()),
            Some(ev) => {
                let mut w = Writer::default();
                bridge::write_event(&mut w, &ev);
                to_java(env, &w.into_bytes())
            }
        }
    })
    .resolve::<ThrowNative>()
}

/// Opens a channel; returns its handle.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_warren_client_impl_Native_connOpenChannel<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    h: jlong,
) -> jlong {
    env.with_env(|_env| -> BridgeResult<jlong> {
        let conn = &connection(h)?.conn;
        let ch = conn.open_channel()?;
        Ok(handle::into_handle(ChannelHandle {
            ch,
            inbox: Default::default(),
            conn: conn.clone(),
            confirms: Default::default(),
        }))
    })
    .resolve::<ThrowNative>()
}

/// Opens an RPC client (direct reply-to, on a channel of its own); returns its handle.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_warren_client_impl_Native_rpcOpen<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    h: jlong,
) -> jlong {
    env.with_env(|_env| -> BridgeResult<jlong> {
        let rpc = connection(h)?.conn.rpc_client()?;
        Ok(handle::into_handle(RpcHandle { rpc }))
    })
    .resolve::<ThrowNative>()
}

/// Frees an RPC handle.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_warren_client_impl_Native_rpcFree<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    h: jlong,
) {
    env.with_env(|_env| -> BridgeResult<()> {
        // SAFETY: called once per handle, after every use ended (NativeHandle).
        unsafe { handle::free_handle::<RpcHandle>(h) };
        Ok(())
    })
    .resolve::<ThrowNative>()
}

/// Sends a request and waits for its reply (a delivery in the `bridge` layout).
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_dev_warren_client_impl_Native_rpcCall<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    h: jlong,
    exchange: JString<'l>,
    routing_key: JString<'l>,
    properties: JByteArray<'l>,
    body: JByteArray<'l>,
    timeout_ms: jlong,
) -> JByteArray<'l> {
    env.with_env(|env| -> BridgeResult<JByteArray<'l>> {
        let exchange = string(env, &exchange)?;
        let routing_key = string(env, &routing_key)?;
        let props = bridge::decode_properties(bytes(env, &properties)?)?;
        let body = bytes(env, &body)?;
        let limit = timeout(timeout_ms).unwrap_or(Duration::from_secs(24 * 3600));
        let reply = rpc(h)?
            .rpc
            .call(&exchange, &routing_key, body, props, limit)?;
        let mut w = Writer::default();
        bridge::write_delivery(&mut w, &reply);
        to_java(env, &w.into_bytes())
    })
    .resolve::<ThrowNative>()
}

// ---------------------------------------------------------------------------------------------
// Channels

/// Frees a channel handle.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_warren_client_impl_Native_chFree<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    h: jlong,
) {
    env.with_env(|_env| -> BridgeResult<()> {
        // SAFETY: called once per handle, after every use ended (NativeHandle).
        unsafe { handle::free_handle::<ChannelHandle>(h) };
        Ok(())
    })
    .resolve::<ThrowNative>()
}

/// The channel number.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_warren_client_impl_Native_chNumber<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    h: jlong,
) -> jint {
    env.with_env(|_env| -> BridgeResult<jint> { Ok(jint::from(channel(h)?.ch.id())) })
        .resolve::<ThrowNative>()
}

/// Whether the channel is open (or recovering).
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_warren_client_impl_Native_chIsOpen<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    h: jlong,
) -> jboolean {
    env.with_env(|_env| -> BridgeResult<bool> { Ok(channel(h)?.ch.is_open()) })
        .resolve::<ThrowNative>()
}

/// Why the channel closed (`NativeException` layout), or null while it is open.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_warren_client_impl_Native_chCloseReason<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    h: jlong,
) -> JByteArray<'l> {
    env.with_env(|env| -> BridgeResult<JByteArray<'l>> {
        match channel(h)?.ch.close_reason() {
            None => Ok(JByteArray::default()),
            Some(e) => to_java(env, &crate::error::encode_error(&e)),
        }
    })
    .resolve::<ThrowNative>()
}

/// Closes the channel with a reply code and text.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_warren_client_impl_Native_chClose<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    h: jlong,
    code: jint,
    text: JString<'l>,
) {
    env.with_env(|env| -> BridgeResult<()> {
        let text = string(env, &text)?;
        let code = short_u16(code, "the reply code")?;
        channel(h)?.ch.close_with(code, &text)?;
        Ok(())
    })
    .resolve::<ThrowNative>()
}

/// Flags of `exchange.declare` and `queue.declare`, as Java packs them.
mod flag {
    pub const PASSIVE: i32 = 1;
    pub const DURABLE: i32 = 2;
    pub const AUTO_DELETE: i32 = 4;
    pub const INTERNAL: i32 = 8;
    pub const EXCLUSIVE: i32 = 16;
    pub const NOWAIT: i32 = 32;
    pub const NO_ACK: i32 = 64;
    pub const NO_LOCAL: i32 = 128;
    pub const MANDATORY: i32 = 256;
    pub const IMMEDIATE: i32 = 512;
}

fn has(flags: jint, f: i32) -> bool {
    flags & f != 0
}

/// `exchange.declare`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_warren_client_impl_Native_chExchangeDeclare<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    h: jlong,
    name: JString<'l>,
    kind: JString<'l>,
    flags: jint,
    arguments: JByteArray<'l>,
) {
    env.with_env(|env| -> BridgeResult<()> {
        let name = string(env, &name)?;
        let kind = string(env, &kind)?;
        let args = bridge::decode_table(bytes(env, &arguments)?)?;
        let options = ExchangeDeclareOptions {
            passive: has(flags, flag::PASSIVE),
            durable: has(flags, flag::DURABLE),
            auto_delete: has(flags, flag::AUTO_DELETE),
            internal: has(flags, flag::INTERNAL),
            nowait: has(flags, flag::NOWAIT),
        };
        channel(h)?
            .ch
            .exchange_declare(&name, &kind, options, args)?;
        Ok(())
    })
    .resolve::<ThrowNative>()
}

/// `exchange.delete`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_warren_client_impl_Native_chExchangeDelete<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    h: jlong,
    name: JString<'l>,
    if_unused: jboolean,
    nowait: jboolean,
) {
    env.with_env(|env| -> BridgeResult<()> {
        let name = string(env, &name)?;
        let ch = &channel(h)?.ch;
        if nowait {
            ch.exchange_delete_nowait(&name, if_unused)?;
        } else {
            ch.exchange_delete(&name, if_unused)?;
        }
        Ok(())
    })
    .resolve::<ThrowNative>()
}

/// `exchange.bind` (or `exchange.unbind` with `unbind`).
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_dev_warren_client_impl_Native_chExchangeBind<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    h: jlong,
    destination: JString<'l>,
    source: JString<'l>,
    routing_key: JString<'l>,
    arguments: JByteArray<'l>,
    unbind: jboolean,
    nowait: jboolean,
) {
    env.with_env(|env| -> BridgeResult<()> {
        let destination = string(env, &destination)?;
        let source = string(env, &source)?;
        let routing_key = string(env, &routing_key)?;
        let args = bridge::decode_table(bytes(env, &arguments)?)?;
        let ch = &channel(h)?.ch;
        match (unbind, nowait) {
            (false, false) => ch.exchange_bind(&destination, &source, &routing_key, args)?,
            (false, true) => ch.exchange_bind_nowait(&destination, &source, &routing_key, args)?,
            (true, false) => ch.exchange_unbind(&destination, &source, &routing_key, args)?,
            (true, true) => ch.exchange_unbind_nowait(&destination, &source, &routing_key, args)?,
        }
        Ok(())
    })
    .resolve::<ThrowNative>()
}

/// `queue.declare`: returns message count, consumer count and the queue's name (the
/// `bridge` layout: u32, u32, string); null with `nowait`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_warren_client_impl_Native_chQueueDeclare<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    h: jlong,
    name: JString<'l>,
    flags: jint,
    arguments: JByteArray<'l>,
) -> JByteArray<'l> {
    env.with_env(|env| -> BridgeResult<JByteArray<'l>> {
        let name = string(env, &name)?;
        let args = bridge::decode_table(bytes(env, &arguments)?)?;
        let options = QueueDeclareOptions {
            passive: has(flags, flag::PASSIVE),
            durable: has(flags, flag::DURABLE),
            exclusive: has(flags, flag::EXCLUSIVE),
            auto_delete: has(flags, flag::AUTO_DELETE),
            nowait: has(flags, flag::NOWAIT),
        };
        let ok = channel(h)?.ch.queue_declare(&name, options, args)?;
        if options.nowait {
            return Ok(JByteArray::default());
        }
        let mut w = Writer::default();
        w.u32(ok.message_count);
        w.u32(ok.consumer_count);
        w.long_str(ok.queue.as_bytes());
        to_java(env, &w.into_bytes())
    })
    .resolve::<ThrowNative>()
}

/// `queue.bind` (or `queue.unbind` with `unbind`; `nowait` applies to bind only, as in AMQP).
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_dev_warren_client_impl_Native_chQueueBind<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    h: jlong,
    queue: JString<'l>,
    exchange: JString<'l>,
    routing_key: JString<'l>,
    arguments: JByteArray<'l>,
    unbind: jboolean,
    nowait: jboolean,
) {
    env.with_env(|env| -> BridgeResult<()> {
        let queue = string(env, &queue)?;
        let exchange = string(env, &exchange)?;
        let routing_key = string(env, &routing_key)?;
        let args = bridge::decode_table(bytes(env, &arguments)?)?;
        let ch = &channel(h)?.ch;
        match (unbind, nowait) {
            (false, false) => ch.queue_bind(&queue, &exchange, &routing_key, args)?,
            (false, true) => ch.queue_bind_nowait(&queue, &exchange, &routing_key, args)?,
            (true, false) => ch.queue_unbind(&queue, &exchange, &routing_key, args)?,
            (true, true) => ch.queue_unbind_nowait(&queue, &exchange, &routing_key, args)?,
        }
        Ok(())
    })
    .resolve::<ThrowNative>()
}

/// `queue.purge`: the number of messages purged.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_warren_client_impl_Native_chQueuePurge<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    h: jlong,
    queue: JString<'l>,
) -> jlong {
    env.with_env(|env| -> BridgeResult<jlong> {
        let queue = string(env, &queue)?;
        Ok(jlong::from(channel(h)?.ch.queue_purge(&queue)?))
    })
    .resolve::<ThrowNative>()
}

/// `queue.delete`: the number of messages deleted (0 with `nowait`).
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_warren_client_impl_Native_chQueueDelete<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    h: jlong,
    queue: JString<'l>,
    if_unused: jboolean,
    if_empty: jboolean,
    nowait: jboolean,
) -> jlong {
    env.with_env(|env| -> BridgeResult<jlong> {
        let queue = string(env, &queue)?;
        let ch = &channel(h)?.ch;
        if nowait {
            ch.queue_delete_nowait(&queue, if_unused, if_empty)?;
            return Ok(0);
        }
        Ok(jlong::from(ch.queue_delete(&queue, if_unused, if_empty)?))
    })
    .resolve::<ThrowNative>()
}

/// `basic.qos` (prefetch size is not sent: RabbitMQ ignores it).
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_warren_client_impl_Native_chBasicQos<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    h: jlong,
    prefetch_count: jint,
    global: jboolean,
) {
    env.with_env(|_env| -> BridgeResult<()> {
        let count = short_u16(prefetch_count, "the prefetch count")?;
        channel(h)?.ch.basic_qos(count, global)?;
        Ok(())
    })
    .resolve::<ThrowNative>()
}

/// `basic.publish`. `properties` is null or the AMQP property list.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_dev_warren_client_impl_Native_chPublish<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    h: jlong,
    exchange: JString<'l>,
    routing_key: JString<'l>,
    flags: jint,
    properties: JByteArray<'l>,
    body: JByteArray<'l>,
) {
    env.with_env(|env| -> BridgeResult<()> {
        let exchange = string(env, &exchange)?;
        let routing_key = string(env, &routing_key)?;
        let props = bridge::decode_properties(bytes(env, &properties)?)?;
        let body = bytes(env, &body)?;
        let options = BasicPublishOptions {
            mandatory: has(flags, flag::MANDATORY),
            immediate: has(flags, flag::IMMEDIATE),
        };
        // The confirmation is awaited through the channel (waitForConfirms, listeners).
        channel(h)?
            .ch
            .basic_publish(&exchange, &routing_key, options, body, props)?;
        Ok(())
    })
    .resolve::<ThrowNative>()
}

/// `basic.consume` into the channel's inbox; returns the consumer tag.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_warren_client_impl_Native_chConsume<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    h: jlong,
    queue: JString<'l>,
    tag: JString<'l>,
    flags: jint,
    arguments: JByteArray<'l>,
) -> JString<'l> {
    env.with_env(|env| -> BridgeResult<JString<'l>> {
        let queue = string(env, &queue)?;
        let tag = string(env, &tag)?;
        let args = bridge::decode_table(bytes(env, &arguments)?)?;
        let ch = channel(h)?;
        let inbox = ch.inbox.get_or_init(|| ch.conn.inbox());
        let options = BasicConsumeOptions {
            no_local: has(flags, flag::NO_LOCAL),
            no_ack: has(flags, flag::NO_ACK),
            exclusive: has(flags, flag::EXCLUSIVE),
            nowait: false,
        };
        let tag = ch
            .ch
            .basic_consume_to_inbox(inbox, &queue, &tag, options, args)?;
        Ok(JString::from_str(env, tag)?)
    })
    .resolve::<ThrowNative>()
}

/// The channel's next deliveries and consumer ends (`bridge::item` layout, many per call):
/// waits at most `timeout_ms` for the first, then takes what is already there, up to
/// `max_items` and about `max_bytes`. Null if nothing came in time.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_warren_client_impl_Native_chNextDeliveries<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    h: jlong,
    timeout_ms: jlong,
    max_items: jint,
    max_bytes: jint,
) -> JByteArray<'l> {
    env.with_env(|env| -> BridgeResult<JByteArray<'l>> {
        let ch = channel(h)?;
        let Some(inbox) = ch.inbox.get() else {
            return Ok(JByteArray::default());
        };
        let id = ch.ch.id();
        let Some(first) = inbox.next_for_channel(id, timeout(timeout_ms))? else {
            return Ok(JByteArray::default());
        };
        let mut w = Writer::default();
        bridge::write_inbox_item(&mut w, &first);
        let mut items = 1;
        let max_bytes = usize::try_from(max_bytes).unwrap_or(0);
        while items < max_items && w.len() < max_bytes {
            match inbox.next_for_channel(id, Some(Duration::ZERO))? {
                Some(item) => bridge::write_inbox_item(&mut w, &item),
                None => break,
            }
            items += 1;
        }
        to_java(env, &w.into_bytes())
    })
    .resolve::<ThrowNative>()
}

/// `basic.cancel`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_warren_client_impl_Native_chCancel<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    h: jlong,
    tag: JString<'l>,
) {
    env.with_env(|env| -> BridgeResult<()> {
        let tag = string(env, &tag)?;
        channel(h)?.ch.basic_cancel(&tag)?;
        Ok(())
    })
    .resolve::<ThrowNative>()
}

/// `basic.get`: a delivery in the `bridge` layout, or null if the queue was empty.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_warren_client_impl_Native_chGet<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    h: jlong,
    queue: JString<'l>,
    no_ack: jboolean,
) -> JByteArray<'l> {
    env.with_env(|env| -> BridgeResult<JByteArray<'l>> {
        let queue = string(env, &queue)?;
        match channel(h)?.ch.basic_get(&queue, no_ack)? {
            None => Ok(JByteArray::default()),
            Some(d) => {
                let mut w = Writer::default();
                bridge::write_delivery(&mut w, &d);
                to_java(env, &w.into_bytes())
            }
        }
    })
    .resolve::<ThrowNative>()
}

/// `basic.ack`, `basic.nack` or `basic.reject` (`op` 0, 1, 2).
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_warren_client_impl_Native_chSettle<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    h: jlong,
    op: jint,
    delivery_tag: jlong,
    multiple: jboolean,
    requeue: jboolean,
) {
    env.with_env(|_env| -> BridgeResult<()> {
        let ch = &channel(h)?.ch;
        let tag = delivery_tag as u64;
        match op {
            0 => ch.basic_ack(tag, multiple)?,
            1 => ch.basic_nack(tag, multiple, requeue)?,
            _ => ch.basic_reject(tag, requeue)?,
        }
        Ok(())
    })
    .resolve::<ThrowNative>()
}

/// `basic.recover`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_warren_client_impl_Native_chRecover<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    h: jlong,
    requeue: jboolean,
) {
    env.with_env(|_env| -> BridgeResult<()> {
        channel(h)?.ch.basic_recover(requeue)?;
        Ok(())
    })
    .resolve::<ThrowNative>()
}

/// `confirm.select`, `tx.select`, `tx.commit`, `tx.rollback` (`op` 0 to 3).
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_warren_client_impl_Native_chMode<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    h: jlong,
    op: jint,
) {
    env.with_env(|_env| -> BridgeResult<()> {
        let ch = &channel(h)?.ch;
        match op {
            0 => ch.confirm_select()?,
            1 => ch.tx_select()?,
            2 => ch.tx_commit()?,
            _ => ch.tx_rollback()?,
        }
        Ok(())
    })
    .resolve::<ThrowNative>()
}

/// The sequence number the next publish will get in confirm mode.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_warren_client_impl_Native_chNextPublishSeqNo<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    h: jlong,
) -> jlong {
    env.with_env(|_env| -> BridgeResult<jlong> {
        let ch = &channel(h)?.ch;
        // Outside confirm mode the Java client answers 0.
        if !ch.is_confirm_mode() {
            return Ok(0);
        }
        Ok(ch.next_publish_seq_no() as jlong)
    })
    .resolve::<ThrowNative>()
}

/// Waits until every publish so far is confirmed: true if all were acked, false if any was
/// nacked; a `TIMEOUT` error after `timeout_ms` (negative: no limit).
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_warren_client_impl_Native_chWaitForConfirms<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    h: jlong,
    timeout_ms: jlong,
) -> jboolean {
    env.with_env(|_env| -> BridgeResult<bool> {
        let ch = &channel(h)?.ch;
        Ok(match timeout(timeout_ms) {
            None => ch.wait_for_confirms()?,
            Some(t) => ch.wait_for_confirms_timeout(t)?,
        })
    })
    .resolve::<ThrowNative>()
}

/// Subscribes to the channel's confirms (before the first publish a listener must see).
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_warren_client_impl_Native_chSubscribeConfirms<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    h: jlong,
) {
    env.with_env(|_env| -> BridgeResult<()> {
        let ch = channel(h)?;
        ch.confirms.get_or_init(|| ch.ch.confirm_events());
        Ok(())
    })
    .resolve::<ThrowNative>()
}

/// The next confirms, as pairs of (sequence number, flags: 1 multiple, 2 nack, 4 lost),
/// waiting at most `timeout_ms` for the first; null if none came (or the channel closed).
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_warren_client_impl_Native_chNextConfirms<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    h: jlong,
    timeout_ms: jlong,
    max_items: jint,
) -> JLongArray<'l> {
    env.with_env(|env| -> BridgeResult<JLongArray<'l>> {
        let ch = channel(h)?;
        let Some(confirms) = ch.confirms.get() else {
            return Ok(JLongArray::default());
        };
        let Some(first) = confirms.recv(timeout(timeout_ms))? else {
            return Ok(JLongArray::default());
        };
        let mut values = Vec::new();
        let mut push = |ev: warren_core::client::ConfirmEvent| {
            values.push(ev.seq_no as i64);
            let mut f = i64::from(ev.multiple);
            match ev.outcome {
                ConfirmOutcome::Ack => {}
                ConfirmOutcome::Nack => f |= 2,
                ConfirmOutcome::Lost => f |= 4,
            }
            values.push(f);
        };
        push(first);
        let mut items = 1;
        while items < max_items {
            match confirms.recv(Some(Duration::ZERO))? {
                Some(ev) => push(ev),
                None => break,
            }
            items += 1;
        }
        let array = JLongArray::new(env, values.len())?;
        array.set_region(env, 0, &values)?;
        Ok(array)
    })
    .resolve::<ThrowNative>()
}

/// The next returned message (`bridge` layout), waiting at most `timeout_ms`; null if none.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_warren_client_impl_Native_chNextReturn<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    h: jlong,
    timeout_ms: jlong,
) -> JByteArray<'l> {
    env.with_env(|env| -> BridgeResult<JByteArray<'l>> {
        match channel(h)?.ch.next_return(timeout(timeout_ms))? {
            None => Ok(JByteArray::default()),
            Some(r) => {
                let mut w = Writer::default();
                bridge::write_return(&mut w, &r);
                to_java(env, &w.into_bytes())
            }
        }
    })
    .resolve::<ThrowNative>()
}

/// For the tests of the panic boundary: panics inside an entry point.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_warren_client_impl_Native_panicForTest<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
) {
    env.with_env(|_env| -> BridgeResult<()> {
        panic!("a panic raised on purpose by the panic-boundary test")
    })
    .resolve::<ThrowNative>()
}

/// For the tests of the error mapping: throws the `NativeException` of one core error.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_warren_client_impl_Native_errorForTest<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    which: jint,
) {
    env.with_env(|_env| -> BridgeResult<()> { Err(BridgeError::Core(sample_error(which))) })
        .resolve::<ThrowNative>()
}

/// One core error of each kind the Java mapping handles, for its tests.
fn sample_error(which: jint) -> warren_core::Error {
    use warren_core::{AmqpError, Error};
    let close = |code: u16, text: &str| AmqpError {
        reply_code: code,
        reply_text: text.into(),
        class_id: 50,
        method_id: 10,
    };
    match which {
        1 => Error::ConnectionClosed(close(320, "CONNECTION_FORCED - shutdown")),
        2 => Error::ChannelClosed(close(404, "NOT_FOUND - no queue 'q'")),
        3 => Error::ConnectionClosedByClient,
        4 => Error::ChannelClosedByClient,
        5 => Error::Protocol("bad frame".into()),
        6 => Error::from(std::io::Error::from(std::io::ErrorKind::BrokenPipe)),
        7 => Error::Tls("handshake".into()),
        8 => Error::InvalidArgument("name too long".into()),
        9 => Error::AuthenticationFailed("ACCESS_REFUSED".into()),
        10 => Error::MechanismNotOffered {
            wanted: "PLAIN".into(),
            offered: "EXTERNAL".into(),
        },
        11 => Error::MissedHeartbeats,
        12 => Error::ConnectTimeout("127.0.0.1:1".into()),
        13 => Error::Timeout,
        14 => Error::ConsumerCancelled("ctag".into()),
        15 => Error::ChannelsExhausted(2047),
        16 => Error::InvalidState("not in confirm mode".into()),
        17 => Error::ConnectionLost(Box::new(Error::MissedHeartbeats)),
        18 => Error::PublishUnconfirmed(Box::new(Error::MissedHeartbeats)),
        19 => Error::StaleDeliveryTag(7),
        20 => Error::MessageTooLarge { size: 10, max: 5 },
        21 => Error::Unroutable(close(312, "NO_ROUTE")),
        22 => Error::BadContent(close(505, "UNEXPECTED_FRAME")),
        23 => Error::UsedAfterFork { parent: 1 },
        24 => Error::AllHostsFailed(Box::new(Error::from(std::io::Error::from(
            std::io::ErrorKind::ConnectionRefused,
        )))),
        25 => Error::ConnectionLost(Box::new(Error::ConnectionClosed(close(
            503,
            "COMMAND_INVALID - unknown exchange type 'x'",
        )))),
        _ => Error::InvalidState(format!("no sample error {which}")),
    }
}
