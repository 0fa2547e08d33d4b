//! Publisher confirms for a PHP confirm listener, merged before they cross into PHP.
//!
//! A broker may answer every publish on its own (warren-broker does; RabbitMQ mostly sends
//! `multiple` acks): a thousand events for a thousand publishes, each a call into PHP. What
//! arrived together is merged here: a run of answers with the same outcome that leaves every
//! publish up to its last one answered is reported once, as `multiple` — which means the same
//! to the listener (every unanswered publish up to that number had that outcome).

use std::collections::BTreeSet;

use warren_core::client::{ConfirmEvent, ConfirmOutcome};

/// Which publishes of a channel have been answered, to tell when a run of answers covers
/// everything before it.
#[derive(Debug)]
pub(crate) struct ConfirmTracker {
    /// Every publish up to this sequence number is answered; `None` when the tracker started
    /// after the channel had published (what came before is unknown, so nothing is merged).
    through: Option<u64>,
    /// Publishes above `through` answered out of order.
    above: BTreeSet<u64>,
}

/// What the listener is told: sequence number, `multiple`, and whether it is an ack.
pub(crate) type Answer = (u64, bool, bool);

impl ConfirmTracker {
    /// A tracker for a channel whose next publish gets `next_seq_no`: merging is on only if
    /// it has not published in confirm mode yet.
    pub(crate) fn new(next_seq_no: u64) -> ConfirmTracker {
        ConfirmTracker {
            through: (next_seq_no <= 1).then_some(0),
            above: BTreeSet::new(),
        }
    }

    /// Records an answer; whether every publish up to it is now answered.
    fn record(&mut self, ev: &ConfirmEvent) -> bool {
        let Some(through) = self.through.as_mut() else {
            return false;
        };
        if ev.multiple {
            *through = (*through).max(ev.seq_no);
            let t = *through;
            self.above.retain(|s| *s > t);
        } else if ev.seq_no > *through {
            self.above.insert(ev.seq_no);
        }
        while self.above.remove(&(*through + 1)) {
            *through += 1;
        }
        *through >= ev.seq_no
    }

    /// The answers to report for `events` (in the order they arrived), merged.
    pub(crate) fn merge(&mut self, events: impl IntoIterator<Item = ConfirmEvent>) -> Vec<Answer> {
        let mut out = Vec::new();
        // The run being merged: its last sequence number and outcome.
        let mut run: Option<(u64, bool)> = None;
        for ev in events {
            let ack = ev.outcome == ConfirmOutcome::Ack;
            if self.record(&ev) {
                match run {
                    Some((_, run_ack)) if run_ack == ack => run = Some((ev.seq_no, ack)),
                    _ => {
                        if let Some((seq, a)) = run.take() {
                            out.push((seq, true, a));
                        }
                        run = Some((ev.seq_no, ack));
                    }
                }
            } else {
                if let Some((seq, a)) = run.take() {
                    out.push((seq, true, a));
                }
                out.push((ev.seq_no, ev.multiple, ack));
            }
        }
        if let Some((seq, a)) = run {
            out.push((seq, true, a));
        }
        out
    }
}
