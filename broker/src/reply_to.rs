//! Direct reply-to (`amq.rabbitmq.reply-to`): RPC replies delivered straight to the requesting
//! channel's consumer, without a queue, as RabbitMQ does it.

use std::sync::Arc;

use parking_lot::RwLock;
use rand::Rng;
use tokio::sync::mpsc;
use warren_core::codec::ShortString;

use crate::queue::{Queue, QueueOptions, QueuedMessage, SessionMessage};

/// The pseudo-queue name a client consumes from (with `no_ack`) and puts in `reply_to`.
pub const REPLY_TO: &str = "amq.rabbitmq.reply-to";

/// Where replies for one channel go.
#[derive(Debug, Clone)]
struct ReplyConsumer {
    outbox: mpsc::UnboundedSender<SessionMessage>,
    channel: u16,
    tag: ShortString,
}

/// Every direct reply-to consumer of the broker, by the routing key replies are sent to.
#[derive(Debug)]
pub struct ReplyRegistry {
    consumers: RwLock<crate::FastMap<ShortString, ReplyConsumer>>,
    /// Stands in for a queue in deliveries (they need no ack, so it is never used).
    placeholder: Arc<Queue>,
}

impl Default for ReplyRegistry {
    fn default() -> Self {
        ReplyRegistry {
            consumers: RwLock::default(),
            placeholder: Queue::new(ShortString::from_static(REPLY_TO), QueueOptions::default()),
        }
    }
}

impl ReplyRegistry {
    /// Registers a channel's reply consumer; returns the routing key replies must use.
    pub fn register(
        &self,
        outbox: mpsc::UnboundedSender<SessionMessage>,
        channel: u16,
        tag: ShortString,
    ) -> ShortString {
        use base64::Engine;
        let token: [u8; 18] = rand::thread_rng().gen();
        let key = format!(
            "{REPLY_TO}.{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(token)
        );
        let key = ShortString::try_from(key).unwrap_or_else(|_| ShortString::from_static(REPLY_TO));
        self.consumers.write().insert(
            key.clone(),
            ReplyConsumer {
                outbox,
                channel,
                tag,
            },
        );
        key
    }

    /// Removes a registration.
    pub fn unregister(&self, key: &ShortString) {
        self.consumers.write().remove(key);
    }

    /// The pseudo-queue used for reply consumers' bookkeeping.
    pub fn placeholder(&self) -> Arc<Queue> {
        self.placeholder.clone()
    }

    /// Delivers a reply published to `routing_key`; false if no such consumer exists.
    pub fn deliver(&self, routing_key: &ShortString, message: QueuedMessage) -> bool {
        let Some(c) = self.consumers.read().get(routing_key).cloned() else {
            return false;
        };
        c.outbox
            .send(SessionMessage::Deliver {
                channel: c.channel,
                consumer_tag: c.tag,
                ack_required: false,
                queue: self.placeholder.clone(),
                message,
            })
            .is_ok()
    }

    /// Whether `routing_key` addresses a reply consumer.
    pub fn is_reply_key(routing_key: &ShortString) -> bool {
        routing_key.as_bytes().starts_with(REPLY_TO.as_bytes())
            && routing_key.len() > REPLY_TO.len()
    }
}
