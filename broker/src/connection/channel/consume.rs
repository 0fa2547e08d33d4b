//! Consuming: prefetch (`basic.qos`), consumers (`basic.consume`, `basic.cancel`, direct
//! reply-to), `basic.get`, and the deliveries queues hand to this connection.

use super::*;

impl Session {
    /// `basic.qos`.
    pub(in crate::connection) fn basic_qos(&mut self, ch: u16, q: codec::BasicQos) -> AmqpResult {
        if q.prefetch_size != 0 {
            return Err(not_implemented(format!(
                "prefetch_size!=0 ({})",
                q.prefetch_size
            )));
        }
        let state = self.channel(ch)?;
        if q.global {
            state.channel_credit.set_limit(u32::from(q.prefetch_count));
        } else {
            state.prefetch = q.prefetch_count;
        }
        self.out.push_method(ch, &codec::BasicQosOk {}.into());
        self.redispatch_channel(ch);
        Ok(())
    }

    pub(in crate::connection) fn basic_consume(
        &mut self,
        ch: u16,
        c: codec::BasicConsume,
        vhost: &Arc<VHost>,
    ) -> AmqpResult {
        if c.queue == crate::reply_to::REPLY_TO {
            return self.consume_reply_to(ch, c);
        }
        self.check(Access::Read, "queue", &c.queue.as_str())?;
        let q = vhost.queue_or_404(&c.queue)?;
        q.check_access(self.id)?;
        let id = self.id;
        let outbox = self.inbox_tx.clone();
        let state = self.channel(ch)?;
        let tag = if c.consumer_tag.is_empty() {
            generated_tag()
        } else {
            c.consumer_tag.clone()
        };
        if state.consumers.contains_key(&tag) {
            return Err(not_allowed(format!(
                "attempt to reuse consumer tag '{tag}'"
            )));
        }
        let priority = c
            .arguments
            .get("x-priority")
            .and_then(|v| v.as_i64())
            .unwrap_or(0);
        let credit = Credit::new(u32::from(state.prefetch));
        let unsent = Credit::new(crate::queue::UNSENT_LIMIT);
        let handle = ConsumerHandle {
            tag: tag.clone(),
            channel: ch,
            connection_id: id,
            outbox,
            no_ack: c.no_ack,
            exclusive: c.exclusive,
            priority,
            credit: credit.clone(),
            channel_credit: state.channel_credit.clone(),
            unsent: unsent.clone(),
        };
        // Deliveries the queue hands over at once go through the inbox, which this task reads
        // only after consume-ok is queued, so consume-ok always precedes them.
        q.consume(handle)?;
        state.consumers.insert(
            tag.clone(),
            ConsumerEntry {
                queue: q.clone(),
                credit,
                unsent,
            },
        );
        if !c.nowait {
            self.out
                .push_method(ch, &codec::BasicConsumeOk { consumer_tag: tag }.into());
        }
        Ok(())
    }

    /// Direct reply-to: a no-ack consumer on the pseudo-queue `amq.rabbitmq.reply-to`.
    pub(in crate::connection) fn consume_reply_to(
        &mut self,
        ch: u16,
        c: codec::BasicConsume,
    ) -> AmqpResult {
        if !c.no_ack {
            return Err(precondition_failed("reply consumer cannot acknowledge"));
        }
        let outbox = self.inbox_tx.clone();
        let placeholder = self.state.reply_to.placeholder();
        let state = self.channel(ch)?;
        if state.reply_to.is_some() {
            return Err(precondition_failed("reply consumer already set"));
        }
        let tag = if c.consumer_tag.is_empty() {
            generated_tag()
        } else {
            c.consumer_tag.clone()
        };
        if state.consumers.contains_key(&tag) {
            return Err(not_allowed(format!(
                "attempt to reuse consumer tag '{tag}'"
            )));
        }
        state.consumers.insert(
            tag.clone(),
            ConsumerEntry {
                queue: placeholder,
                credit: Credit::new(0),
                // Replies are pushed by publishers, not dispatched from a queue: no limit.
                unsent: Credit::new(0),
            },
        );
        let key = self.state.reply_to.register(outbox, ch, tag.clone());
        if let Some(state) = self.channels.get_mut(&ch) {
            state.reply_to = Some((key, tag.clone()));
        }
        if !c.nowait {
            self.out
                .push_method(ch, &codec::BasicConsumeOk { consumer_tag: tag }.into());
        }
        Ok(())
    }

    /// `basic.cancel`.
    pub(in crate::connection) fn basic_cancel(
        &mut self,
        ch: u16,
        c: codec::BasicCancel,
        vhost: &Arc<VHost>,
    ) -> AmqpResult {
        let state = self.channel(ch)?;
        if state
            .reply_to
            .as_ref()
            .is_some_and(|(_, tag)| *tag == c.consumer_tag)
        {
            if let Some((key, _)) = state.reply_to.take() {
                self.state.reply_to.unregister(&key);
            }
        }
        let state = self.channel(ch)?;
        if let Some(entry) = state.consumers.remove(&c.consumer_tag) {
            if entry.queue.cancel(self.id, ch, &c.consumer_tag) == CancelOutcome::RemovedLast {
                vhost.remove_queue(&entry.queue);
            }
        }
        if !c.nowait {
            self.out.push_method(
                ch,
                &codec::BasicCancelOk {
                    consumer_tag: c.consumer_tag,
                }
                .into(),
            );
        }
        Ok(())
    }

    /// Asks every queue this channel consumes from to deliver again (credit changed).
    pub(in crate::connection) fn redispatch_channel(&self, ch: u16) {
        if let Some(state) = self.channels.get(&ch) {
            for c in state.consumers.values() {
                c.queue.try_dispatch();
            }
        }
    }

    /// `basic.get`.
    pub(in crate::connection) fn basic_get(
        &mut self,
        ch: u16,
        g: codec::BasicGet,
        vhost: &Arc<VHost>,
    ) -> AmqpResult {
        self.check(Access::Read, "queue", &g.queue.as_str())?;
        let q = vhost.queue_or_404(&g.queue)?;
        q.check_access(self.id)?;
        match q.get() {
            None => self
                .out
                .push_method(ch, &codec::BasicGetEmpty::default().into()),
            Some((message, remaining)) => {
                let frame_max = self.frame_max;
                let state = self.channel(ch)?;
                let tag = state.next_tag;
                state.next_tag += 1;
                let m = &message.message;
                let ok = codec::BasicGetOk {
                    delivery_tag: tag,
                    redelivered: message.redelivered,
                    exchange: m.exchange.clone(),
                    routing_key: m.routing_key.clone(),
                    message_count: remaining,
                };
                self.out.push_method(ch, &ok.into());
                let _ = self.out.push_content(ch, &m.properties, &m.body, frame_max);
                q.got(&message, g.no_ack);
                if !g.no_ack {
                    let state = self.channel(ch)?;
                    state.unacked.push_back((
                        tag,
                        Some(Unacked {
                            queue: q,
                            message,
                            credit: None,
                        }),
                    ));
                }
            }
        }
        Ok(())
    }

    /// A message from a queue: deliver it, or put it back if its consumer is gone.
    pub(in crate::connection) fn handle_session_message(&mut self, msg: SessionMessage) {
        match msg {
            SessionMessage::Deliver {
                channel,
                consumer_tag,
                ack_required,
                queue,
                message,
            } => {
                let frame_max = self.frame_max;
                let consumer = self
                    .channels
                    .get_mut(&channel)
                    .filter(|s| !s.closing)
                    .and_then(|s| {
                        s.consumers
                            .get(&consumer_tag)
                            .map(|c| {
                                // Written into the output below: the queue may send more.
                                if c.unsent.give(1) {
                                    c.queue.try_dispatch();
                                }
                                c.credit.clone()
                            })
                            .map(|c| (s, c))
                    });
                let Some((state, credit)) = consumer else {
                    // Cancelled or closed meanwhile: the message goes back to its queue.
                    if ack_required {
                        queue.requeue(vec![message]);
                    }
                    return;
                };
                let tag = state.next_tag;
                state.next_tag += 1;
                let m = &message.message;
                let deliver = codec::BasicDeliver {
                    consumer_tag,
                    delivery_tag: tag,
                    redelivered: message.redelivered,
                    exchange: m.exchange.clone(),
                    routing_key: m.routing_key.clone(),
                };
                self.out.push_method(channel, &deliver.into());
                if self
                    .out
                    .push_content(channel, &m.properties, &m.body, frame_max)
                    .is_err()
                {
                    tracing::warn!(
                        connection = self.id,
                        "content header exceeds the consumer's frame_max; message dropped"
                    );
                }
                if ack_required {
                    if let Some(state) = self.channels.get_mut(&channel) {
                        state.unacked.push_back((
                            tag,
                            Some(Unacked {
                                queue,
                                message,
                                credit: Some(credit),
                            }),
                        ));
                    }
                }
            }
            SessionMessage::Cancel {
                channel,
                consumer_tag,
            } => {
                // As RabbitMQ: only a client that announced it expects basic.cancel from the
                // broker (others may take it for a protocol error); the consumer of any other
                // client is removed without a word.
                let notify = self.client_announced("consumer_cancel_notify");
                if let Some(state) = self.channels.get_mut(&channel) {
                    if state.consumers.remove(&consumer_tag).is_some() && !state.closing && notify {
                        let cancel = codec::BasicCancel {
                            consumer_tag,
                            nowait: true,
                        };
                        self.out.push_method(channel, &cancel.into());
                    }
                }
            }
        }
    }
}

pub(super) fn generated_tag() -> ShortString {
    use base64::Engine;
    let bytes: [u8; 16] = rand::thread_rng().gen();
    let s = format!(
        "amq.ctag-{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    );
    ShortString::try_from(s).unwrap_or_else(|_| ShortString::from_static("amq.ctag-fallback"))
}
