//! `Warren\Connection` and `Warren\RpcClient`.

use std::rc::Rc;
use std::time::Duration;

use ext_php_rs::exception::PhpException;
use ext_php_rs::prelude::*;
use ext_php_rs::types::{ZendHashTable, Zval};
use warren_core::client::blocking;
use warren_core::client::ConnectionOptions;
use warren_core::error::Error;

use crate::channel::Channel;
use crate::errors::{invalid_argument, OrThrow};
use crate::message::Message;
use crate::session::{Session, Waited};
use crate::values;

/// Seconds from PHP as a duration; refuses negative, NaN and absurd values.
pub(crate) fn seconds(what: &str, secs: f64) -> Result<Duration, PhpException> {
    Duration::try_from_secs_f64(secs).map_err(|_| {
        invalid_argument(format!(
            "{what} must be a number of seconds >= 0, not {secs}"
        ))
    })
}

fn option_seconds(key: &str, value: &Zval) -> Result<Duration, PhpException> {
    let secs = value
        .coerce_to_double()
        .filter(|_| value.is_long() || value.is_double())
        .ok_or_else(|| invalid_argument(format!("option {key} must be a number of seconds")))?;
    seconds(key, secs)
}

fn option_int<T: TryFrom<i64>>(key: &str, value: &Zval) -> Result<T, PhpException> {
    value
        .long()
        .and_then(|n| T::try_from(n).ok())
        .ok_or_else(|| invalid_argument(format!("option {key} must be an int in range")))
}

fn option_bool(key: &str, value: &Zval) -> Result<bool, PhpException> {
    value
        .bool()
        .ok_or_else(|| invalid_argument(format!("option {key} must be a bool")))
}

fn option_string(key: &str, value: &Zval) -> Result<String, PhpException> {
    value
        .string()
        .ok_or_else(|| invalid_argument(format!("option {key} must be a string")))
}

/// The option keys `new Warren\Connection()` understands.
const OPTION_KEYS: &str = "heartbeat, connection_timeout, rpc_timeout, publish_timeout, \
     close_timeout, recovery, recovery_interval, recovery_max_attempts, connection_name, \
     client_properties, channel_max, frame_max, locale, user, password, vhost";

/// Applies the PHP options array to the options parsed from the URI(s).
fn apply_options(opts: &mut ConnectionOptions, ht: &ZendHashTable) -> Result<(), PhpException> {
    for (key, value) in ht.iter() {
        let key = String::try_from(key).unwrap_or_default();
        let value = value.dereference();
        match key.as_str() {
            "heartbeat" => opts.config.heartbeat = option_int(&key, value)?,
            "connection_timeout" => opts.connection_timeout = option_seconds(&key, value)?,
            "rpc_timeout" => {
                opts.rpc_timeout = if value.is_null() {
                    None
                } else {
                    Some(option_seconds(&key, value)?)
                }
            }
            "publish_timeout" => {
                opts.publish_timeout = if value.is_null() {
                    None
                } else {
                    Some(option_seconds(&key, value)?)
                }
            }
            "close_timeout" => opts.close_timeout = option_seconds(&key, value)?,
            "recovery" => opts.recovery.enabled = option_bool(&key, value)?,
            "recovery_interval" => opts.recovery.initial_delay = option_seconds(&key, value)?,
            "recovery_max_attempts" => {
                opts.recovery.max_attempts = if value.is_null() {
                    None
                } else {
                    Some(option_int(&key, value)?)
                }
            }
            "connection_name" => opts.config.connection_name = Some(option_string(&key, value)?),
            "client_properties" => {
                opts.config.client_properties = values::table_from_zval(value).or_throw()?
            }
            "channel_max" => opts.config.channel_max = option_int(&key, value)?,
            "frame_max" => opts.config.frame_max = option_int(&key, value)?,
            "locale" => opts.config.locale = option_string(&key, value)?,
            "user" => opts.config.credentials.username = option_string(&key, value)?,
            "password" => opts.config.credentials.password = option_string(&key, value)?,
            "vhost" => opts.config.vhost = option_string(&key, value)?,
            other => {
                return Err(invalid_argument(format!(
                    "unknown connection option {other:?} (known: {OPTION_KEYS})"
                )))
            }
        }
    }
    Ok(())
}

/// A connection to an AMQP 0-9-1 broker (RabbitMQ or warren-broker).
///
/// The connection runs on warren-core's I/O threads: heartbeats, publisher confirms and
/// automatic recovery (on by default) keep going while PHP is busy in a callback or asleep.
/// It closes with `close()` or when its last object (connection, channel, message) is freed.
#[php_class]
#[php(name = "Warren\\Connection")]
pub struct Connection {
    session: Rc<Session>,
}

#[php_impl]
impl Connection {
    /// Connects. `$uri` is an AMQP URI (`amqp://user:pass@host:5672/%2f?heartbeat=30`) or a
    /// list of them (tried in order, and in rotation by recovery). `$options`: heartbeat
    /// (s), connection_timeout, rpc_timeout, publish_timeout, close_timeout (s), recovery
    /// (bool, default true), recovery_interval (s), recovery_max_attempts, connection_name,
    /// client_properties, channel_max, frame_max, locale, user, password, vhost.
    pub fn __construct(uri: &Zval, options: Option<&ZendHashTable>) -> PhpResult<Self> {
        let uri = uri.dereference();
        let mut opts = if let Some(s) = uri.str() {
            ConnectionOptions::from_uri(s).or_throw()?
        } else if let Some(list) = uri.array() {
            let uris = list
                .values()
                .map(|v| {
                    v.string()
                        .ok_or_else(|| invalid_argument("every URI in the list must be a string"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            ConnectionOptions::from_uris(&uris).or_throw()?
        } else {
            return Err(invalid_argument(
                "the URI must be a string or a list of strings",
            ));
        };
        if let Some(ht) = options {
            apply_options(&mut opts, ht)?;
        }
        let conn = blocking::Connection::connect_with(opts).or_throw()?;
        Ok(Connection {
            session: Rc::new(Session::new(conn)),
        })
    }

    /// Opens a channel.
    pub fn channel(&self) -> PhpResult<Channel> {
        let ch = self.session.conn.open_channel().or_throw()?;
        Ok(Channel::new(ch, self.session.clone()))
    }

    /// Closes the connection (waiting for the broker's close-ok) and stops recovery.
    /// Closing a closed connection does nothing.
    pub fn close(&self) -> PhpResult<()> {
        self.session.forget_all();
        match self.session.conn.close() {
            Ok(()) | Err(Error::ConnectionClosedByClient) => Ok(()),
            Err(e) => Err(e).or_throw(),
        }
    }

    /// Whether the link to the broker is up right now (false while recovery reconnects).
    pub fn is_connected(&self) -> bool {
        self.session.conn.is_connected()
    }

    /// Whether the connection is usable: open, or being recovered.
    pub fn is_open(&self) -> bool {
        self.session.conn.is_open()
    }

    /// Whether the broker currently blocks publishers (`connection.blocked`).
    pub fn is_blocked(&self) -> bool {
        self.session.conn.is_blocked()
    }

    /// The connection's counters: published, confirmed, delivered, acked, recoveries, ...
    pub fn metrics(&self) -> Vec<(String, i64)> {
        self.session
            .conn
            .metrics()
            .pairs()
            .iter()
            .map(|(k, v)| ((*k).to_string(), *v as i64))
            .collect()
    }

    /// The broker's `server-properties` (product, version, capabilities).
    pub fn server_properties(&self) -> Zval {
        values::table_to_php(&self.session.conn.server_properties())
    }

    /// Waits for the next message to any consumer of this connection and runs its callback:
    /// true if one ran, false when `$timeout` seconds passed (no limit with null), when a
    /// signal is pending (pcntl handlers then run), or at once when there is no time limit
    /// and nothing is consuming.
    pub fn wait(&self, timeout: Option<f64>) -> PhpResult<bool> {
        let timeout = timeout.map(|t| seconds("timeout", t)).transpose()?;
        Ok(matches!(
            self.session.wait(None, timeout)?,
            Waited::Dispatched
        ))
    }

    /// Sets (or with null, removes) the callable given each connection event from now on:
    /// `fn(string $event, array $details)`. Events: `blocked` (reason), `unblocked`,
    /// `connection_lost` (error), `recovery_started` (attempt), `recovered` (host),
    /// `recovery_failed` (error), `topology_recovery_failed` (what, error), `queue_renamed`
    /// (old, new), `channel_closed` (channel, reply_code, reply_text), `consumer_cancelled`
    /// (channel, consumer_tag), `closed` (error or null). They are handed over on the PHP
    /// thread, in `wait()` (of the connection or any of its channels), `waitForConfirms()`,
    /// `basicPublish()` and `dispatchEvents()`.
    pub fn set_event_listener(&self, listener: Option<&Zval>) -> PhpResult<()> {
        let listener = match listener {
            Some(f) if !f.is_null() => {
                if !f.is_callable() {
                    return Err(invalid_argument("the event listener is not callable"));
                }
                Some(f.shallow_clone())
            }
            _ => None,
        };
        self.session.set_event_listener(listener);
        Ok(())
    }

    /// Hands the connection events that arrived so far to the event listener, without
    /// waiting.
    pub fn dispatch_events(&self) -> PhpResult<()> {
        self.session.dispatch_events()
    }

    /// Whether any consumer of this connection is delivering to `wait()`.
    pub fn is_consuming(&self) -> bool {
        self.session.is_consuming(None)
    }

    /// An RPC client over RabbitMQ's direct reply-to, on a channel of its own.
    pub fn rpc_client(&self) -> PhpResult<RpcClient> {
        let inner = self.session.conn.rpc_client().or_throw()?;
        Ok(RpcClient {
            inner,
            _session: self.session.clone(),
        })
    }
}

/// Request/reply over RabbitMQ's direct reply-to (`amq.rabbitmq.reply-to`): `call()` sets
/// `reply_to` and a fresh `correlation_id` and returns the reply as a `Warren\Message`.
#[php_class]
#[php(name = "Warren\\RpcClient")]
pub struct RpcClient {
    inner: blocking::RpcClient,
    /// Keeps the connection open while the client lives.
    _session: Rc<Session>,
}

#[php_impl]
impl RpcClient {
    /// Publishes a request (mandatory: an unroutable request throws UnroutableException)
    /// and waits at most `$timeout` seconds (default 30) for its reply.
    pub fn call(
        &self,
        exchange: &str,
        routing_key: &str,
        body: &Zval,
        properties: Option<&Zval>,
        timeout: Option<f64>,
    ) -> PhpResult<Message> {
        let body = values::string_bytes(body.dereference())
            .ok_or_else(|| invalid_argument("the body must be a string"))?;
        let props = crate::properties::from_argument(properties)?;
        let timeout = seconds("timeout", timeout.unwrap_or(30.0))?;
        let reply = self
            .inner
            .call(
                exchange,
                routing_key,
                bytes::Bytes::copy_from_slice(body),
                props,
                timeout,
            )
            .or_throw()?;
        Ok(Message::new(reply, true))
    }
}
