//! A consumer: the deliveries of one `basic.consume`, in a bounded buffer of its own.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;

use super::channel::Channel;
use super::command::{Command, DeliverySink};
use super::delivery::Delivery;
use super::mailbox::{ConsumerEnd, Incoming};
use crate::codec::ShortString;
use crate::error::{Error, Result};

/// Deliveries for one consumer, in order. As a [`Stream`] (or with
/// [`Consumer::next_delivery`]) it yields `Err` once if the consumer ends abnormally (channel or
/// connection closed, or the broker cancelled it), then `None`; [`Consumer::recv`] says exactly
/// how it ended. Across an automatic recovery the consumer simply continues.
///
/// Dropping a consumer that has not ended cancels it and gives its unread messages back to
/// the broker.
pub struct Consumer {
    channel: Channel,
    tag: ShortString,
    sink: DeliverySink,
    /// How it ended, once it has.
    ended: Option<ConsumerEnd>,
}

impl std::fmt::Debug for Consumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Consumer")
            .field("channel", &self.channel.id())
            .field("tag", &self.tag)
            .field("ended", &self.ended)
            .finish()
    }
}

impl Drop for Consumer {
    fn drop(&mut self) {
        if self.ended.is_none() {
            let _ = self.channel.connection().send(Command::ConsumerDropped {
                channel: self.channel.id(),
                tag: self.tag.clone(),
            });
        }
    }
}

impl Consumer {
    pub(crate) fn new(channel: Channel, tag: ShortString, sink: DeliverySink) -> Self {
        Consumer {
            channel,
            tag,
            sink,
            ended: None,
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

    /// Deliveries received and not read yet (pika's `get_waiting_message_count`).
    pub fn buffered(&self) -> usize {
        self.sink.len()
    }

    /// How the consumer ended, once it has.
    pub fn end_reason(&self) -> Option<&ConsumerEnd> {
        self.ended.as_ref()
    }

    /// Cancels the consumer (`basic.cancel`); deliveries already received stay readable.
    pub async fn cancel(&self) -> Result<()> {
        self.channel.basic_cancel(self.tag()).await
    }

    /// The next delivery, or how the consumer ended (every later call says the same).
    pub async fn recv(&mut self) -> std::result::Result<Delivery, ConsumerEnd> {
        if let Some(end) = &self.ended {
            return Err(end.clone());
        }
        let msg = self.sink.pop().await;
        self.convert(msg)
    }

    /// A delivery already received, without waiting: `Ok(None)` if there is none yet.
    pub fn try_recv(&mut self) -> std::result::Result<Option<Delivery>, ConsumerEnd> {
        if let Some(end) = &self.ended {
            return Err(end.clone());
        }
        match self.sink.try_pop() {
            Some(msg) => self.convert(Some(msg)).map(Some),
            None => Ok(None),
        }
    }

    /// The next delivery; `None` once the consumer has ended (after one `Err` if it ended
    /// abnormally).
    pub async fn next_delivery(&mut self) -> Option<Result<Delivery>> {
        std::future::poll_fn(|cx| self.poll_delivery(cx)).await
    }

    /// A delivery already received, without waiting.
    pub fn try_next(&mut self) -> Option<Result<Delivery>> {
        if self.ended.is_some() {
            return None;
        }
        match self.try_recv() {
            Ok(Some(d)) => Some(Ok(d)),
            Ok(None) => None,
            Err(end) => self.end_error(&end).map(Err),
        }
    }

    /// The error a stream reports for `end`: `None` for the application's own cancel or
    /// close.
    fn end_error(&self, end: &ConsumerEnd) -> Option<Error> {
        match end {
            ConsumerEnd::CancelledByBroker => Some(Error::ConsumerCancelled(self.tag().into())),
            other => other.error(),
        }
    }

    fn poll_delivery(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Delivery>>> {
        if self.ended.is_some() {
            return Poll::Ready(None);
        }
        let msg = std::task::ready!(self.sink.poll_pop(cx));
        Poll::Ready(match self.convert(msg) {
            Ok(d) => Some(Ok(d)),
            Err(end) => self.end_error(&end).map(Err),
        })
    }

    fn convert(&mut self, msg: Option<Incoming>) -> std::result::Result<Delivery, ConsumerEnd> {
        match msg {
            Some(Incoming::Delivery {
                deliver, content, ..
            }) => Ok(Delivery::from_deliver(
                deliver,
                *content,
                self.channel.clone(),
            )),
            Some(Incoming::End { reason, .. }) => {
                self.ended = Some(reason.clone());
                Err(reason)
            }
            None => {
                let reason = match self.channel.close_reason() {
                    Some(e @ Error::ChannelClosed(_)) => ConsumerEnd::ChannelClosed(e),
                    Some(e) => ConsumerEnd::ConnectionClosed(e),
                    None => ConsumerEnd::ChannelClosed(Error::ChannelClosedByClient),
                };
                self.ended = Some(reason.clone());
                Err(reason)
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
