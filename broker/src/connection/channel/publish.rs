//! Publishing: `basic.publish` and its content, routing, mandatory returns, and publisher
//! confirms (at once, or once the message log synced the batch).

use super::*;

impl Session {
    /// `basic.publish`.
    pub(in crate::connection) fn basic_publish(
        &mut self,
        ch: u16,
        p: codec::BasicPublish,
        vhost: &Arc<VHost>,
    ) -> AmqpResult {
        if p.immediate {
            return Err(not_implemented("immediate=true"));
        }
        let exchange = self.publish_exchange(vhost, &p.exchange)?;
        if exchange.internal {
            return Err(access_refused(format!(
                "cannot publish to internal exchange '{}' in vhost '{}'",
                p.exchange, vhost.name
            )));
        }
        let state = self.channel(ch)?;
        state.content = Some(PendingPublish {
            exchange,
            publish: p,
            header: None,
            undecodable: None,
            body: BodyParts::Empty,
        });
        Ok(())
    }

    /// The exchange a `basic.publish` names, with the write permission checked. The last one
    /// used is cached: publishers usually repeat the same exchange, and this spares a vhost
    /// lookup and a permission regex per message. A deleted exchange is looked up again.
    pub(in crate::connection) fn publish_exchange(
        &mut self,
        vhost: &Arc<VHost>,
        name: &ShortString,
    ) -> AmqpResult<Arc<Exchange>> {
        if let Some((cached, ex)) = &self.publish_cache {
            if cached == name && !ex.is_deleted() {
                return Ok(ex.clone());
            }
        }
        self.check(Access::Write, "exchange", &exchange_resource(name))?;
        let ex = vhost.exchange_or_404(name)?;
        self.publish_cache = Some((name.clone(), ex.clone()));
        Ok(ex)
    }

    /// Routes `message`, with a one-entry cache for the default exchange (publishing straight
    /// to a queue by name is the most common pattern).
    pub(in crate::connection) fn route_cached(
        &mut self,
        vhost: &Arc<VHost>,
        exchange: &Arc<Exchange>,
        message: &Message,
        out: &mut Vec<Arc<Queue>>,
    ) {
        if !exchange.name.is_empty() {
            return vhost.route(exchange, message, out);
        }
        if let Some(q) = &self.default_route_cache {
            if q.name == message.routing_key && !q.is_deleted() {
                out.push(q.clone());
                return;
            }
        }
        vhost.route(exchange, message, out);
        if let Some(q) = out.first() {
            self.default_route_cache = Some(q.clone());
        }
    }

    /// A publish is complete: route it (or hold it for the transaction), confirm it.
    pub(in crate::connection) fn finish_publish(&mut self, ch: u16) -> AmqpResult {
        let user = self
            .user
            .as_ref()
            .map(|u| u.name.clone())
            .unwrap_or_default();
        let vhost = self.vhost()?;
        let Some(state) = self.channels.get_mut(&ch) else {
            return Ok(());
        };
        let Some(pending) = state.content.take() else {
            return Ok(());
        };
        if let Some(cause) = pending.undecodable {
            // RabbitMQ decodes a message's properties here, once the message is complete and
            // its exchange and permissions checked (a missing exchange is still 404). Its
            // channel process crashes on properties it cannot decode, and the connection is
            // closed with 541 and no method ids (3.10.8), whatever the channel's mode.
            return Err(internal_error(format!(
                "cannot decode the properties of the message published on channel {ch}: {cause}"
            )));
        }
        let header = pending.header.unwrap_or_default();
        if let Some(uid) = &header.properties.user_id {
            let impersonator = self
                .user
                .as_ref()
                .is_some_and(|u| u.has_tag("impersonator"));
            if uid.as_bytes() != user.as_bytes() && !impersonator {
                let e = precondition_failed(format!(
                    "user_id property set to '{uid}' but authenticated user was '{user}'"
                ))
                .caused_by(60, 40);
                self.channel_exception(ch, e);
                return Ok(());
            }
        }
        if let Err(why) = crate::message::parse_expiration(&header.properties) {
            let exp = header.properties.expiration.clone().unwrap_or_default();
            let e = precondition_failed(format!("invalid expiration '{exp}': {}", why.0))
                .caused_by(60, 40);
            self.channel_exception(ch, e);
            return Ok(());
        }
        let mut properties = header.properties;
        if properties
            .reply_to
            .as_ref()
            .is_some_and(|r| *r == crate::reply_to::REPLY_TO)
        {
            match &state.reply_to {
                Some((key, _)) => properties.reply_to = Some(key.clone()),
                None => {
                    let e =
                        precondition_failed("fast reply consumer does not exist").caused_by(60, 40);
                    self.channel_exception(ch, e);
                    return Ok(());
                }
            }
        }
        let message = Arc::new(Message {
            exchange: pending.publish.exchange.clone(),
            routing_key: pending.publish.routing_key.clone(),
            properties,
            body: pending.body.into_bytes(),
        });
        let mandatory = pending.publish.mandatory;
        if let Some(tx) = state.tx.as_mut() {
            tx.publishes.push((pending.exchange, message, mandatory));
            return Ok(());
        }
        let enqueued = self.route_and_enqueue(ch, &vhost, &pending.exchange, message, mandatory);
        self.confirm_publish(ch, enqueued);
        Ok(())
    }

    /// Routes a publish and enqueues it (or returns it, if `mandatory` and unroutable).
    pub(in crate::connection) fn route_and_enqueue(
        &mut self,
        ch: u16,
        vhost: &Arc<VHost>,
        exchange: &Arc<Exchange>,
        message: MessageRef,
        mandatory: bool,
    ) -> Enqueued {
        let mut queues = std::mem::take(&mut self.route_buf);
        queues.clear();
        if exchange.name.is_empty()
            && crate::reply_to::ReplyRegistry::is_reply_key(&message.routing_key)
        {
            // Like RabbitMQ, a reply-to name is "not a queue": the reply is delivered, yet a
            // mandatory publish to it alone is also returned as unroutable.
            let m = QueuedMessage {
                message: message.clone(),
                redelivered: false,
                expires_at: None,
                seq: 0,
                persist: None,
            };
            self.state.reply_to.deliver(&message.routing_key, m);
        } else {
            self.route_cached(vhost, exchange, &message, &mut queues);
        }
        if queues.is_empty() && mandatory {
            let ret = codec::BasicReturn {
                reply_code: codec::ReplyCode::NoRoute as u16,
                reply_text: ShortString::from_static("NO_ROUTE"),
                exchange: message.exchange.clone(),
                routing_key: message.routing_key.clone(),
            };
            self.out.push_method(ch, &ret.into());
            let _ = self
                .out
                .push_content(ch, &message.properties, &message.body, self.frame_max);
        }
        // A queue may refuse the message (x-overflow reject-publish): the publish is nacked
        // (or its transaction fails) if any queue refused it, as in RabbitMQ; the others keep
        // their copy.
        let mut enqueued = Enqueued::default();
        for q in queues.drain(..) {
            let (accepted, batch) = q.publish_logged(message.clone());
            enqueued = enqueued.and(Enqueued {
                batch,
                refused: !accepted,
            });
        }
        self.route_buf = queues;
        enqueued
    }

    /// `confirm.select`.
    pub(in crate::connection) fn confirm_select(
        &mut self,
        ch: u16,
        c: codec::ConfirmSelect,
    ) -> AmqpResult {
        let state = self.channel(ch)?;
        if state.tx.is_some() {
            return Err(precondition_failed("cannot switch from tx to confirm mode"));
        }
        if state.confirm_next.is_none() {
            state.confirm_next = Some(1);
        }
        if !c.nowait {
            self.out.push_method(ch, &codec::ConfirmSelectOk {}.into());
        }
        Ok(())
    }

    /// Confirms a publish on a channel in confirm mode: at once, or once the message log
    /// synced it.
    pub(in crate::connection) fn confirm_publish(&mut self, ch: u16, enqueued: Enqueued) {
        let Enqueued { batch, refused } = enqueued;
        if let Some(state) = self.channels.get_mut(&ch) {
            if let Some(seq) = state.confirm_next {
                state.confirm_next = Some(seq + 1);
                if batch != 0 || !state.confirm_wait.is_empty() {
                    // Persistent in a durable queue: confirmed once the log synced it (and
                    // everything published before it on this channel was confirmed).
                    state.confirm_wait.push_back((seq, batch, refused));
                    self.wait_for_log(ch, batch);
                    return;
                }
                // Routing is synchronous, so confirms go out in publish order.
                let confirm = if refused {
                    codec::BasicNack {
                        delivery_tag: seq,
                        multiple: false,
                        requeue: false,
                    }
                    .into()
                } else {
                    codec::BasicAck {
                        delivery_tag: seq,
                        multiple: false,
                    }
                    .into()
                };
                self.out.push_method(ch, &confirm);
            }
        }
    }

    /// Makes the connection watch the message log until `batch` is synced
    /// ([`crate::storage::MessageStore::synced`]), unless the channel waits for it (or a later
    /// batch) already.
    pub(in crate::connection) fn wait_for_log(&mut self, ch: u16, batch: u64) {
        let Some(state) = self.channels.get_mut(&ch) else {
            return;
        };
        if batch > state.confirm_registered {
            state.confirm_registered = batch;
            if self.log_synced.is_some() {
                self.log_awaited = self.log_awaited.max(batch);
            }
        }
    }

    /// The message log synced up to `batch`: sends the confirms that waited for it, in
    /// publish order, a run of acks as one `multiple` ack, and completes the commits that
    /// waited for it.
    pub(in crate::connection) fn confirm_durable(&mut self, batch: u64) {
        let mut commits = Vec::new();
        for (&ch, state) in self.channels.iter_mut() {
            if let Some(outcome) = state.commit_wait.filter(|o| o.batch <= batch) {
                state.commit_wait = None;
                commits.push((ch, outcome));
            }
            let mut last_ack = None;
            while let Some(&(seq, b, nack)) = state.confirm_wait.front() {
                if b > batch {
                    break;
                }
                state.confirm_wait.pop_front();
                if nack {
                    if let Some(tag) = last_ack.take() {
                        let ack = codec::BasicAck {
                            delivery_tag: tag,
                            multiple: true,
                        };
                        self.out.push_method(ch, &ack.into());
                    }
                    let n = codec::BasicNack {
                        delivery_tag: seq,
                        multiple: false,
                        requeue: false,
                    };
                    self.out.push_method(ch, &n.into());
                } else {
                    last_ack = Some(seq);
                }
            }
            if let Some(tag) = last_ack {
                let ack = codec::BasicAck {
                    delivery_tag: tag,
                    multiple: true,
                };
                self.out.push_method(ch, &ack.into());
            }
        }
        for (ch, outcome) in commits {
            if let Err(e) = self.complete_commit(ch, outcome) {
                self.channel_exception(ch, e.caused_by(90, 20));
            }
        }
    }
}
