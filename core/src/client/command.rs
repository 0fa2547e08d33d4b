//! What the handles ask of the connection task. A leaf module: the handles build these, the
//! driver serves them, and neither side needs the other's types.

use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::oneshot;

use super::mailbox::{Incoming, Mailbox};
use super::message::Confirmation;
use super::shared::ChannelShared;
use crate::codec::{BasicProperties, Method, ShortString};
use crate::error::Result;
use crate::proto::Content;

/// A reply to a synchronous request: the method and, for `basic.get-ok`, its content.
pub(crate) type Reply = (Method, Option<Content>);

/// Where a consumer's deliveries go: its own buffer, or an inbox shared with others.
pub(crate) type DeliverySink = Arc<Mailbox<Incoming>>;

/// Requests from handles to the connection task.
pub(crate) enum Command {
    /// Opens a channel; answered with its shared state.
    OpenChannel {
        reply: oneshot::Sender<Result<Arc<ChannelShared>>>,
    },
    /// A method; with `reply`, the broker's answer (or, for methods without one, `Ok` once it
    /// is queued). Without `reply` the answer, if any, is discarded.
    Rpc {
        channel: u16,
        method: Method,
        reply: Option<oneshot::Sender<Result<Reply>>>,
    },
    /// `basic.consume`: deliveries go to `sink` once `consume-ok` names the tag (at once for
    /// `nowait`, with the tag the application chose).
    Consume {
        channel: u16,
        method: Method,
        sink: DeliverySink,
        reply: oneshot::Sender<Result<ShortString>>,
    },
    /// Boxed: the properties alone are ~370 bytes, and every command is moved through the
    /// command queue; a small `Command` keeps those moves cheap for all of them.
    Publish(Box<PublishCommand>),
    /// Answered when every publish so far on the channel is confirmed: `true` if none was
    /// nacked since the last answer.
    WaitForConfirms {
        channel: u16,
        reply: oneshot::Sender<Result<bool>>,
    },
    /// The application dropped a consumer without cancelling it: cancel it, and give back
    /// what it had not read.
    ConsumerDropped { channel: u16, tag: ShortString },
}

/// A `basic.publish` for the connection task.
pub(crate) struct PublishCommand {
    pub channel: u16,
    pub publish: crate::codec::BasicPublish,
    pub properties: BasicProperties,
    pub body: Bytes,
    /// In confirm mode: the publish's sequence number (as the application sees it), where to
    /// send the broker's answer, and whether it holds a confirm-window permit.
    pub confirm: Option<ConfirmTicket>,
}

/// A publish's place in its channel's confirm sequence.
pub(crate) struct ConfirmTicket {
    pub seq_no: u64,
    pub reply: Option<oneshot::Sender<Result<Confirmation>>>,
}

impl Command {
    /// Fails the command with `err` without serving it (the connection is gone).
    pub(crate) fn fail(self, err: &crate::Error) {
        match self {
            Command::OpenChannel { reply } => drop(reply.send(Err(err.clone()))),
            Command::Rpc { reply, .. } => {
                if let Some(r) = reply {
                    let _ = r.send(Err(err.clone()));
                }
            }
            Command::Consume { reply, .. } => drop(reply.send(Err(err.clone()))),
            Command::Publish(cmd) => {
                if let Some(ConfirmTicket { reply: Some(r), .. }) = cmd.confirm {
                    let _ = r.send(Err(err.clone()));
                }
            }
            Command::WaitForConfirms { reply, .. } => drop(reply.send(Err(err.clone()))),
            Command::ConsumerDropped { .. } => {}
        }
    }
}
