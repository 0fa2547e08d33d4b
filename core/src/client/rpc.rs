//! Request/reply over RabbitMQ's direct reply-to (`amq.rabbitmq.reply-to`): no reply queue
//! to declare, replies matched to requests by correlation id.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::oneshot;

use super::channel::{BasicConsumeOptions, BasicPublishOptions, Channel};
use super::connection::Connection;
use super::delivery::Delivery;
use super::shared::ConnectionEvent;
use crate::codec::{BasicProperties, FieldTable, ShortString};
use crate::error::{AmqpError, Error, Result};

/// The pseudo-queue RabbitMQ routes replies through.
pub const DIRECT_REPLY_TO: &str = "amq.rabbitmq.reply-to";

type Waiters = Mutex<HashMap<String, oneshot::Sender<Result<Delivery>>>>;

/// A client for RPC over direct reply-to. It has a channel of its own with one no-ack consumer
/// on `amq.rabbitmq.reply-to`; calls may run concurrently from many tasks or threads. Requests
/// are published `mandatory`: one that no queue takes fails at once with
/// [`Error::Unroutable`] instead of waiting for its timeout.
pub struct RpcClient {
    channel: Channel,
    waiters: Arc<Waiters>,
    /// Correlation ids are this prefix and a counter.
    prefix: String,
    next: AtomicU64,
    router: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for RpcClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RpcClient")
            .field("channel", &self.channel.id())
            .finish()
    }
}

impl Drop for RpcClient {
    fn drop(&mut self) {
        self.router.abort();
    }
}

fn fail_all(waiters: &Waiters, err: &Error) {
    for (_, tx) in waiters.lock().unwrap_or_else(|p| p.into_inner()).drain() {
        let _ = tx.send(Err(err.clone()));
    }
}

impl RpcClient {
    /// Opens the client's channel and starts consuming replies.
    pub async fn new(connection: &Connection) -> Result<RpcClient> {
        let channel = connection.open_channel().await?;
        let mut consumer = channel
            .basic_consume(
                DIRECT_REPLY_TO,
                "",
                BasicConsumeOptions {
                    no_ack: true,
                    ..Default::default()
                },
                FieldTable::new(),
            )
            .await?;
        let waiters: Arc<Waiters> = Arc::default();
        let mut events = connection.events();
        let (w, ch) = (waiters.clone(), channel.clone());
        let router = tokio::spawn(async move {
            loop {
                tokio::select! {
                    next = consumer.recv() => match next {
                        Ok(reply) => {
                            let id = reply
                                .properties
                                .correlation_id
                                .as_ref()
                                .map(|c| c.as_str().into_owned());
                            let tx = id.and_then(|id| {
                                w.lock().unwrap_or_else(|p| p.into_inner()).remove(&id)
                            });
                            match tx {
                                Some(tx) => drop(tx.send(Ok(reply))),
                                None => tracing::debug!("reply for no waiting call (late or unknown correlation id) dropped"),
                            }
                        }
                        Err(end) => {
                            let err = end.error().unwrap_or(Error::ChannelClosedByClient);
                            fail_all(&w, &err);
                            return;
                        }
                    },
                    returned = ch.recv_return() => {
                        let Some(r) = returned else { continue };
                        let id = r.properties.correlation_id.as_ref().map(|c| c.as_str().into_owned());
                        if let Some(tx) = id.and_then(|id| w.lock().unwrap_or_else(|p| p.into_inner()).remove(&id)) {
                            let _ = tx.send(Err(Error::Unroutable(AmqpError {
                                reply_code: r.reply_code,
                                reply_text: r.reply_text.as_str().into_owned(),
                                class_id: 60,
                                method_id: 40,
                            })));
                        }
                    }
                    event = events.recv() => match event {
                        // Replies to requests sent before the loss can no longer arrive: the
                        // reply-to pseudo-queue belonged to the lost channel.
                        Some(ConnectionEvent::ConnectionLost(cause)) => {
                            fail_all(&w, &Error::ConnectionLost(Box::new(cause)));
                        }
                        Some(_) => {}
                        None => {
                            fail_all(&w, &Error::ConnectionClosedByClient);
                            return;
                        }
                    },
                }
            }
        });
        Ok(RpcClient {
            channel,
            waiters,
            prefix: format!("warren-rpc-{}-{:x}", std::process::id(), fastrand::u64(..)),
            next: AtomicU64::new(1),
            router,
        })
    }

    /// The client's own channel.
    pub fn channel(&self) -> &Channel {
        &self.channel
    }

    /// Publishes a request to `exchange` with `routing_key` and waits at most `timeout` for
    /// its reply. `properties` are sent as given, except `reply_to` and `correlation_id`,
    /// which the client sets.
    pub async fn call(
        &self,
        exchange: &str,
        routing_key: &str,
        body: impl Into<Bytes>,
        mut properties: BasicProperties,
        timeout: Duration,
    ) -> Result<Delivery> {
        let id = format!(
            "{}-{}",
            self.prefix,
            self.next.fetch_add(1, Ordering::Relaxed)
        );
        properties.reply_to = Some(ShortString::from_static(DIRECT_REPLY_TO));
        properties.correlation_id = Some(super::short(&id)?);
        let (tx, rx) = oneshot::channel();
        self.waiters
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id.clone(), tx);
        let forget = || {
            self.waiters
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&id);
        };
        let published = self
            .channel
            .basic_publish(
                exchange,
                routing_key,
                BasicPublishOptions {
                    mandatory: true,
                    ..Default::default()
                },
                body,
                properties,
            )
            .await;
        if let Err(e) = published {
            forget();
            return Err(e);
        }
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(self
                .channel
                .close_reason()
                .unwrap_or(Error::ChannelClosedByClient)),
            Err(_) => {
                forget();
                Err(Error::Timeout)
            }
        }
    }
}
