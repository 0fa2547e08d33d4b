//! Settlement: `basic.ack`, `basic.nack`, `basic.reject` and `basic.recover`.

use super::*;

impl Session {
    /// `basic.ack` / `nack` / `reject`: checked now, applied now or at `tx.commit`.
    pub(in crate::connection) fn settle(
        &mut self,
        ch: u16,
        tag: u64,
        multiple: bool,
        requeue: Option<bool>,
    ) -> AmqpResult {
        let state = self.channel(ch)?;
        let in_tx = |t: &u64| {
            state
                .tx
                .as_ref()
                .is_some_and(|tx| tx.settled_tags.contains(t))
        };
        let known = if multiple && tag == 0 {
            true
        } else {
            state
                .unacked
                .iter()
                .any(|(t, u)| *t == tag && u.is_some() && !in_tx(t))
        };
        if !known {
            return Err(precondition_failed(format!("unknown delivery tag {tag}")));
        }
        if let Some(tx) = state.tx.as_mut() {
            for (t, u) in &state.unacked {
                if u.is_some() && (*t == tag || (multiple && (tag == 0 || *t < tag))) {
                    tx.settled_tags.insert(*t);
                }
            }
            tx.settlements.push((tag, multiple, requeue));
            return Ok(());
        }
        self.apply_settlement(ch, tag, multiple, requeue);
        Ok(())
    }

    /// `basic.recover`: every unacknowledged delivery goes back to its queue, redelivered, with
    /// its prefetch credit returned. RabbitMQ refuses `requeue=false` (540, closing the
    /// connection).
    pub(in crate::connection) fn recover(&mut self, ch: u16, requeue: bool) -> AmqpResult {
        if !requeue {
            return Err(not_implemented("requeue=false"));
        }
        let state = self.channel(ch)?;
        let entries: Vec<Unacked> = state.unacked.drain(..).filter_map(|(_, u)| u).collect();
        let from_consumers = entries.iter().filter(|u| u.credit.is_some()).count() as u32;
        state.channel_credit.give(from_consumers);
        for u in &entries {
            if let Some(c) = &u.credit {
                c.give(1);
            }
        }
        requeue_all(entries);
        self.redispatch_channel(ch);
        Ok(())
    }

    /// `basic.recover`.
    pub(in crate::connection) fn basic_recover(
        &mut self,
        ch: u16,
        r: codec::BasicRecover,
    ) -> AmqpResult {
        self.recover(ch, r.requeue)?;
        self.out.push_method(ch, &codec::BasicRecoverOk {}.into());
        Ok(())
    }

    pub(in crate::connection) fn apply_settlement(
        &mut self,
        ch: u16,
        tag: u64,
        multiple: bool,
        requeue: Option<bool>,
    ) {
        let Some(state) = self.channels.get_mut(&ch) else {
            return;
        };
        let mut settled = Vec::new();
        if multiple {
            let upto = if tag == 0 { u64::MAX } else { tag };
            for (t, u) in state.unacked.iter_mut() {
                if *t > upto {
                    break;
                }
                if let Some(u) = u.take() {
                    settled.push(u);
                }
            }
        } else if let Ok(i) = state.unacked.binary_search_by_key(&tag, |(t, _)| *t) {
            if let Some(u) = state.unacked[i].1.take() {
                settled.push(u);
            }
        }
        while matches!(state.unacked.front(), Some((_, None))) {
            state.unacked.pop_front();
        }
        if settled.is_empty() {
            return;
        }
        // basic.get deliveries (no credit) never took channel credit, as in RabbitMQ.
        let from_consumers = settled.iter().filter(|u| u.credit.is_some()).count() as u32;
        let channel_exhausted = from_consumers > 0 && state.channel_credit.give(from_consumers);
        let mut wake: Vec<Arc<Queue>> = Vec::new();
        for u in &settled {
            if let Some(c) = &u.credit {
                if c.give(1) && !wake.iter().any(|q| Arc::ptr_eq(q, &u.queue)) {
                    wake.push(u.queue.clone());
                }
            }
        }
        match requeue {
            Some(true) => requeue_all(settled),
            Some(false) => reject_all(settled),
            None => forget_all(&settled),
        }
        if channel_exhausted {
            self.redispatch_channel(ch);
        } else {
            for q in wake {
                q.try_dispatch();
            }
        }
    }
}

/// Requeues settled or abandoned deliveries, grouped by queue, keeping their order.
/// Settles deliveries rejected without requeue: their queues dead-letter them (`rejected`).
pub(super) fn reject_all(entries: Vec<Unacked>) {
    let mut by_queue: Vec<(Arc<Queue>, Vec<QueuedMessage>)> = Vec::new();
    for u in entries {
        match by_queue.iter_mut().find(|(q, _)| Arc::ptr_eq(q, &u.queue)) {
            Some((_, v)) => v.push(u.message),
            None => by_queue.push((u.queue, vec![u.message])),
        }
    }
    for (q, messages) in by_queue {
        q.reject(messages);
    }
}

/// Acknowledged deliveries leave their queues for good (their log entries are released).
pub(super) fn forget_all(entries: &[Unacked]) {
    let mut i = 0;
    while i < entries.len() {
        let q = &entries[i].queue;
        let mut j = i + 1;
        while j < entries.len() && Arc::ptr_eq(&entries[j].queue, q) {
            j += 1;
        }
        q.forget(entries[i..j].iter().map(|u| &u.message));
        i = j;
    }
}

pub(super) fn requeue_all(entries: Vec<Unacked>) {
    // Credit is returned by the callers that need it (once: giving it here as well let a
    // consumer exceed its prefetch after a nack with requeue).
    let mut by_queue: Vec<(Arc<Queue>, Vec<QueuedMessage>)> = Vec::new();
    for u in entries {
        match by_queue.iter_mut().find(|(q, _)| Arc::ptr_eq(q, &u.queue)) {
            Some((_, v)) => v.push(u.message),
            None => by_queue.push((u.queue, vec![u.message])),
        }
    }
    for (q, messages) in by_queue {
        q.requeue(messages);
    }
}
