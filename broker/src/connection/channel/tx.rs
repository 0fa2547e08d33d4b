//! Transactions: `tx.select`, `tx.commit` (publishes and settlements applied at once; commit-ok
//! once the persistent ones are on disk) and `tx.rollback`.

use super::*;

impl Session {
    /// `tx.select`.
    pub(in crate::connection) fn tx_select(&mut self, ch: u16, _: codec::TxSelect) -> AmqpResult {
        let state = self.channel(ch)?;
        if state.confirm_next.is_some() {
            return Err(precondition_failed("cannot switch from confirm to tx mode"));
        }
        state.tx.get_or_insert_with(TxState::default);
        self.out.push_method(ch, &codec::TxSelectOk {}.into());
        Ok(())
    }

    /// `tx.commit`.
    pub(in crate::connection) fn tx_commit(
        &mut self,
        ch: u16,
        _: codec::TxCommit,
        vhost: &Arc<VHost>,
    ) -> AmqpResult {
        let state = self.channel(ch)?;
        let Some(tx) = state.tx.as_mut() else {
            return Err(precondition_failed("channel is not transactional"));
        };
        let tx = std::mem::take(tx);
        let mut outcome = Enqueued::default();
        for (exchange, message, mandatory) in tx.publishes {
            let enqueued = self.route_and_enqueue(ch, vhost, &exchange, message, mandatory);
            outcome = outcome.and(enqueued);
        }
        for (tag, multiple, requeue) in tx.settlements {
            self.apply_settlement(ch, tag, multiple, requeue);
        }
        if outcome.batch == 0 {
            return self.complete_commit(ch, outcome);
        }
        // As a publisher confirm: commit-ok once the log synced the persistent
        // messages of durable queues.
        let state = self.channel(ch)?;
        state.commit_wait = Some(outcome);
        self.wait_for_log(ch, outcome.batch);
        Ok(())
    }

    /// `tx.rollback`.
    pub(in crate::connection) fn tx_rollback(
        &mut self,
        ch: u16,
        _: codec::TxRollback,
    ) -> AmqpResult {
        let state = self.channel(ch)?;
        let Some(tx) = state.tx.as_mut() else {
            return Err(precondition_failed("channel is not transactional"));
        };
        *tx = TxState::default();
        self.out.push_method(ch, &codec::TxRollbackOk {}.into());
        Ok(())
    }

    /// Answers a `tx.commit` whose publishes are all in their queues (and on disk where they
    /// must be): `commit-ok`, or RabbitMQ's 406 if a queue refused one of them.
    pub(in crate::connection) fn complete_commit(
        &mut self,
        ch: u16,
        outcome: Enqueued,
    ) -> AmqpResult {
        if outcome.refused {
            return Err(precondition_failed("partial tx completion"));
        }
        self.out.push_method(ch, &codec::TxCommitOk {}.into());
        Ok(())
    }
}
