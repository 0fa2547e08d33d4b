//! The open connections, for listing and closing them from [`super::Admin`]. A connection
//! registers at `connection.open` and leaves when its [`Registration`] is dropped; nothing
//! here is touched per message (the channel count changes at `channel.open` and close only).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::SystemTime;

use parking_lot::Mutex;
use tokio::sync::mpsc;

/// One open connection as listed by [`super::Admin::connections`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionInfo {
    /// The broker's id for it (unique per run).
    pub id: u64,
    /// The client's address.
    pub peer: SocketAddr,
    /// The user it logged in as.
    pub user: String,
    /// The vhost it opened.
    pub vhost: String,
    /// The client's `connection_name` property, if it sent one.
    pub client_name: Option<String>,
    /// Channels open now.
    pub channels: usize,
    /// When `connection.open` succeeded.
    pub opened_at: SystemTime,
}

/// What the registry keeps of one connection.
#[derive(Debug)]
struct Entry {
    /// Fixed at `connection.open` (`channels` is read from `channels` below).
    info: ConnectionInfo,
    /// Channels open now, kept by the connection task.
    channels: Arc<AtomicUsize>,
    /// Asks the connection task to close with 320 CONNECTION_FORCED and this reason.
    close: mpsc::UnboundedSender<String>,
}

/// The open connections (see the module documentation).
#[derive(Debug, Default)]
pub struct ConnectionRegistry {
    entries: Mutex<HashMap<u64, Entry>>,
}

/// A connection's place in the registry; dropping it removes the entry.
#[derive(Debug)]
pub struct Registration {
    /// The registry to leave.
    registry: Arc<ConnectionRegistry>,
    /// The entry's id.
    id: u64,
    /// Channels open now: the connection task updates it at `channel.open` and close.
    pub channels: Arc<AtomicUsize>,
}

impl ConnectionRegistry {
    /// Registers an open connection; returns its registration and where close requests arrive.
    pub fn register(
        self: &Arc<Self>,
        info: ConnectionInfo,
    ) -> (Registration, mpsc::UnboundedReceiver<String>) {
        let (close, requests) = mpsc::unbounded_channel();
        let channels = Arc::new(AtomicUsize::new(0));
        let id = info.id;
        self.entries.lock().insert(
            id,
            Entry {
                info,
                channels: channels.clone(),
                close,
            },
        );
        let registration = Registration {
            registry: self.clone(),
            id,
            channels,
        };
        (registration, requests)
    }

    /// Every open connection, by id.
    pub fn list(&self) -> Vec<ConnectionInfo> {
        let mut out: Vec<ConnectionInfo> = self
            .entries
            .lock()
            .values()
            .map(|e| ConnectionInfo {
                channels: e.channels.load(Ordering::Relaxed),
                ..e.info.clone()
            })
            .collect();
        out.sort_by_key(|c| c.id);
        out
    }

    /// Asks connection `id` to close; false if there is no such open connection.
    pub fn close(&self, id: u64, reason: &str) -> bool {
        match self.entries.lock().get(&id) {
            Some(e) => e.close.send(reason.to_owned()).is_ok(),
            None => false,
        }
    }

    /// Asks every connection of `user` to close; returns how many were asked.
    pub fn close_user(&self, user: &str, reason: &str) -> usize {
        self.entries
            .lock()
            .values()
            .filter(|e| e.info.user == user)
            .filter(|e| e.close.send(reason.to_owned()).is_ok())
            .count()
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.registry.entries.lock().remove(&self.id);
    }
}
