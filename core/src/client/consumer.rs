//! A consumer: the stream of deliveries for one `basic.consume`.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use tokio::sync::mpsc;

use super::channel::Channel;
use super::driver::ConsumerMessage;
use super::message::Delivery;
use crate::codec::ShortString;
use crate::error::{Error, Result};

/// Deliveries for one consumer, in order. Yields `Err` once if the consumer ends abnormally
/// (channel or connection closed, or the broker cancelled it), then `None`.
#[derive(Debug)]
pub struct Consumer {
    channel: Channel,
    tag: ShortString,
    rx: mpsc::UnboundedReceiver<ConsumerMessage>,
    /// The end has been reported.
    finished: bool,
}

impl Consumer {
    pub(crate) fn new(
        channel: Channel,
        tag: ShortString,
        rx: mpsc::UnboundedReceiver<ConsumerMessage>,
    ) -> Self {
        Consumer {
            channel,
            tag,
            rx,
            finished: false,
        }
    }

    /// The consumer tag.
    pub fn tag(&self) -> &str {
        std::str::from_utf8(self.tag.as_bytes()).unwrap_or("")
    }

    /// The channel the consumer lives on.
    pub fn channel(&self) -> &Channel {
        &self.channel
    }

    /// Cancels the consumer (`basic.cancel`); deliveries already received stay readable.
    pub async fn cancel(&self) -> Result<()> {
        self.channel.basic_cancel(self.tag()).await
    }

    /// The next delivery; `None` once the consumer has ended.
    pub async fn next_delivery(&mut self) -> Option<Result<Delivery>> {
        std::future::poll_fn(|cx| self.poll_delivery(cx)).await
    }

    /// A delivery already received, without waiting.
    pub fn try_next(&mut self) -> Option<Result<Delivery>> {
        if self.finished {
            return None;
        }
        match self.rx.try_recv() {
            Ok(msg) => self.convert(Some(msg)),
            Err(mpsc::error::TryRecvError::Empty) => None,
            Err(mpsc::error::TryRecvError::Disconnected) => self.convert(None),
        }
    }

    fn poll_delivery(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Delivery>>> {
        if self.finished {
            return Poll::Ready(None);
        }
        match self.rx.poll_recv(cx) {
            Poll::Ready(msg) => Poll::Ready(self.convert(msg)),
            Poll::Pending => Poll::Pending,
        }
    }

    fn convert(&mut self, msg: Option<ConsumerMessage>) -> Option<Result<Delivery>> {
        match msg {
            Some(ConsumerMessage::Delivery(deliver, content)) => {
                let content = *content;
                Some(Ok(Delivery {
                    consumer_tag: deliver.consumer_tag,
                    delivery_tag: deliver.delivery_tag,
                    redelivered: deliver.redelivered,
                    exchange: deliver.exchange,
                    routing_key: deliver.routing_key,
                    properties: content.properties,
                    body: content.body,
                    message_count: None,
                    channel: self.channel.clone(),
                }))
            }
            Some(ConsumerMessage::End(err)) => {
                self.finished = true;
                err.map(Err)
            }
            None => {
                self.finished = true;
                let err = self
                    .channel
                    .close_reason()
                    .unwrap_or(Error::ChannelClosedByClient);
                match err {
                    Error::ChannelClosedByClient | Error::ConnectionClosedByClient => None,
                    e => Some(Err(e)),
                }
            }
        }
    }
}

impl Stream for Consumer {
    type Item = Result<Delivery>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.poll_delivery(cx)
    }
}
