//! Plain data the broker sends back about publishes: returned (unroutable mandatory)
//! messages and publisher confirms. A leaf module (deliveries, which hold their channel, are in
//! `delivery.rs`).

use std::collections::BTreeSet;

use bytes::Bytes;

use super::mailbox::Weighed;
use crate::codec::{BasicProperties, ShortString};

/// A mandatory message the broker could not route (`basic.return`).
#[derive(Debug, Clone, PartialEq)]
pub struct Returned {
    /// Why, usually 312 NO_ROUTE.
    pub reply_code: u16,
    /// The broker's explanation.
    pub reply_text: ShortString,
    /// Exchange it was published to.
    pub exchange: ShortString,
    /// Routing key it was published with.
    pub routing_key: ShortString,
    /// Its properties.
    pub properties: BasicProperties,
    /// Its body.
    pub body: Bytes,
}

/// The broker's answer to a publish on a channel in confirm mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirmation {
    /// The broker took responsibility for the message (`basic.ack`).
    Ack,
    /// The broker could not take the message (`basic.nack`), e.g. a queue refused it.
    Nack,
    /// The channel is not in confirm mode, so there is nothing to wait for.
    NotRequested,
}

impl Confirmation {
    /// True for `Ack`.
    pub fn is_ack(self) -> bool {
        self == Confirmation::Ack
    }
}

impl Weighed for Returned {
    fn weight(&self) -> usize {
        self.body.len()
    }
}

/// A publisher confirm as a confirm listener sees it (the Java client's `ConfirmListener`):
/// `seq_no` is the publish's sequence number on its channel, as
/// `Channel::next_publish_seq_no` announced it; sequence numbers keep growing across
/// recoveries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConfirmEvent {
    /// The publish (with `multiple`: every publish up to it) this answer is about.
    pub seq_no: u64,
    /// Whether it covers every earlier unanswered publish too.
    pub multiple: bool,
    /// The outcome: `Ack`, `Nack`, or (after a lost connection) never answered.
    pub outcome: ConfirmOutcome,
}

/// What became of a publish in confirm mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfirmOutcome {
    /// `basic.ack`.
    Ack,
    /// `basic.nack`.
    Nack,
    /// The connection was lost before the broker answered.
    Lost,
}

impl Weighed for ConfirmEvent {
    fn weight(&self) -> usize {
        0
    }
}

/// Merges publisher confirms that arrived together, for APIs that call the application once
/// per answer (confirm listeners). A broker may answer every publish on its own
/// (warren-broker does; RabbitMQ mostly sends `multiple` acks): a thousand events for a
/// thousand publishes. A run of answers with the same outcome that leaves every publish up to
/// its last one answered is reported once, as `multiple` — which means the same to the
/// listener (every unanswered publish up to that number had that outcome).
#[derive(Debug)]
pub struct ConfirmMerger {
    /// Every publish up to this sequence number is answered; `None` when the merger started
    /// after the channel had published (what came before is unknown, so nothing is merged).
    through: Option<u64>,
    /// Publishes above `through` answered out of order.
    above: BTreeSet<u64>,
}

impl ConfirmMerger {
    /// A merger for a channel whose next publish gets `next_seq_no`: merging is on only if
    /// it has not published in confirm mode yet.
    pub fn new(next_seq_no: u64) -> ConfirmMerger {
        ConfirmMerger {
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
    pub fn merge(&mut self, events: impl IntoIterator<Item = ConfirmEvent>) -> Vec<ConfirmEvent> {
        let mut out = Vec::new();
        // The run being merged: its last answer, reported as `multiple`.
        let mut run: Option<ConfirmEvent> = None;
        for ev in events {
            if self.record(&ev) {
                let merged = ConfirmEvent {
                    multiple: true,
                    ..ev
                };
                match run {
                    Some(r) if r.outcome == ev.outcome => run = Some(merged),
                    _ => out.extend(run.replace(merged)),
                }
            } else {
                out.extend(run.take());
                out.push(ev);
            }
        }
        out.extend(run);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(seq_no: u64, multiple: bool, outcome: ConfirmOutcome) -> ConfirmEvent {
        ConfirmEvent {
            seq_no,
            multiple,
            outcome,
        }
    }

    #[test]
    fn in_order_answers_merge_into_one_multiple_per_outcome() {
        let mut m = ConfirmMerger::new(1);
        let got = m.merge([
            ev(1, false, ConfirmOutcome::Ack),
            ev(2, false, ConfirmOutcome::Ack),
            ev(3, false, ConfirmOutcome::Nack),
            ev(4, false, ConfirmOutcome::Ack),
            ev(5, false, ConfirmOutcome::Ack),
        ]);
        assert_eq!(
            got,
            [
                ev(2, true, ConfirmOutcome::Ack),
                ev(3, true, ConfirmOutcome::Nack),
                ev(5, true, ConfirmOutcome::Ack),
            ]
        );
    }

    #[test]
    fn a_gap_is_reported_as_it_came_until_it_closes() {
        let mut m = ConfirmMerger::new(1);
        assert_eq!(
            m.merge([ev(2, false, ConfirmOutcome::Ack)]),
            [ev(2, false, ConfirmOutcome::Ack)],
            "publish 1 is unanswered: 2 alone cannot be multiple"
        );
        assert_eq!(
            m.merge([
                ev(1, false, ConfirmOutcome::Ack),
                ev(3, false, ConfirmOutcome::Ack)
            ]),
            [ev(3, true, ConfirmOutcome::Ack)]
        );
    }

    #[test]
    fn a_merger_started_late_passes_answers_through() {
        let mut m = ConfirmMerger::new(10);
        let evs = [
            ev(10, false, ConfirmOutcome::Ack),
            ev(11, false, ConfirmOutcome::Ack),
        ];
        assert_eq!(m.merge(evs), evs);
    }
}
