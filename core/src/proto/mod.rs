//! Sans-IO AMQP client state machines: no sockets, no tokio, no clock.
//!
//! [`ClientConnection`] takes bytes read from the socket ([`ClientConnection::handle_input`])
//! and the current time as an argument, and hands back bytes to write
//! ([`ClientConnection::poll_transmit`]), [`Event`]s for the application
//! ([`ClientConnection::poll_event`]) and the next instant it needs a timer for
//! ([`ClientConnection::poll_timeout`]). Commands (open a channel, publish, send an RPC) queue
//! frames for transmission. A driver calls, after any input or command:
//! `poll_transmit` (write what it gives), then `poll_event` until `None`, then `poll_timeout`.

mod channel;
mod connection;
mod outgoing;

pub use channel::{ChannelStatus, Content};
pub use connection::{
    expects_reply, AuthMechanism, ClientConnection, ConnectionConfig, ConnectionStatus,
    Credentials, Event, Tuning,
};
pub use outgoing::Outgoing;
