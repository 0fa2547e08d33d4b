//! The typed administration API: what a management HTTP API, a CLI or a metrics endpoint may
//! do to a running broker, without reaching into [`BrokerState`]'s locks. Every operation
//! returns a typed [`AdminError`].
//!
//! Today: add and delete vhosts, add, replace and delete users (with their permissions), list
//! vhosts, users, exchanges and queues with their counters, and list and close connections.
//! Not yet (issue 15, item 4): per-connection, per-queue and per-exchange message counters
//! and rates, a metrics snapshot, and listing channels and consumers.

use std::io;
use std::sync::{Arc, Weak};

use warren_core::codec::ShortString;

use super::{BrokerState, ConnectionInfo};
use crate::auth::{InvalidUsers, UserConfig, UserStore};
use crate::vhost::VHost;

/// Why an administration operation was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// A vhost name must be 1 to 255 bytes.
    #[error("invalid vhost name {0:?}")]
    InvalidVhostName(String),
    /// No open connection with that id.
    #[error("no open connection {0}")]
    NoSuchConnection(u64),
    /// No vhost of that name.
    #[error("no vhost '{0}'")]
    NoSuchVhost(String),
    /// The user or its permissions cannot be used (e.g. a permission on an unknown vhost, an
    /// invalid pattern).
    #[error(transparent)]
    InvalidUser(#[from] InvalidUsers),
    /// The broker has stopped.
    #[error("the broker has stopped")]
    Stopped,
    /// The change could not be written to the definitions log; it was not made.
    #[error("cannot write the definitions log: {0}")]
    Storage(#[from] io::Error),
}

/// One queue and its counters, as listed by [`Admin::queues`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueInfo {
    /// Name.
    pub name: ShortString,
    /// Survives a restart.
    pub durable: bool,
    /// Deleted when its last consumer goes.
    pub auto_delete: bool,
    /// Owned by one connection.
    pub exclusive: bool,
    /// Messages ready for delivery.
    pub messages: u32,
    /// Consumers attached.
    pub consumers: u32,
}

/// One exchange, as listed by [`Admin::exchanges`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExchangeInfo {
    /// Name (empty: the default exchange).
    pub name: ShortString,
    /// Type name (`direct`, `topic`, ...).
    pub kind: String,
    /// Survives a restart.
    pub durable: bool,
    /// Deleted with its last binding.
    pub auto_delete: bool,
    /// Not publishable directly.
    pub internal: bool,
    /// Bindings with this exchange as source.
    pub bindings: usize,
}

/// A handle on a running broker's administration (cheap to clone; see the module docs).
#[derive(Debug, Clone)]
pub struct Admin {
    /// The broker administered, weakly: a management tool holding an `Admin` must not keep a
    /// stopped broker's state (and its data directory's lock) alive.
    state: Weak<BrokerState>,
}

impl Admin {
    /// Administers the broker whose state this is.
    pub fn new(state: &Arc<BrokerState>) -> Admin {
        Admin {
            state: Arc::downgrade(state),
        }
    }

    fn state(&self) -> Result<Arc<BrokerState>, AdminError> {
        self.state.upgrade().ok_or(AdminError::Stopped)
    }

    /// Creates a vhost at run time (kept across restarts when the broker has a data
    /// directory); returns the existing one if the name is taken. Users need permissions on
    /// it ([`Admin::put_user`]) to open it.
    pub fn add_vhost(&self, name: &str) -> Result<Arc<VHost>, AdminError> {
        let state = self.state()?;
        if name.is_empty() || name.len() > 255 {
            return Err(AdminError::InvalidVhostName(name.into()));
        }
        if let Some(v) = state.vhost(name) {
            return Ok(v);
        }
        if let Some(store) = &state.definitions {
            store.put_vhost(name)?;
        }
        let vhost = VHost::new(name);
        state.attach_vhost(&vhost);
        if let Some(store) = &state.definitions {
            vhost.attach_definitions(store.clone());
        }
        let vhost = state
            .vhosts
            .write()
            .entry(name.into())
            .or_insert(vhost)
            .clone();
        Ok(vhost)
    }

    /// Deletes a vhost and its queues and exchanges (durable ones too); a missing vhost is
    /// not an error. A vhost named in the configuration comes back, empty, at the next start.
    pub fn delete_vhost(&self, name: &str) -> Result<(), AdminError> {
        let state = self.state()?;
        let Some(vhost) = state.vhosts.write().remove(name) else {
            return Ok(());
        };
        if let Some(store) = &state.definitions {
            store.delete_vhost(name)?;
        }
        for q in vhost.queues() {
            vhost.remove_queue(&q);
        }
        Ok(())
    }

    /// Adds or replaces a user at run time (its password hash is kept across restarts when
    /// the broker has a data directory; a user the configuration names is replaced by the
    /// configured one at the next start). Permissions must name existing vhosts.
    pub fn put_user(&self, user: UserConfig) -> Result<(), AdminError> {
        let state = self.state()?;
        let vhosts: Vec<String> = state.vhosts.read().keys().cloned().collect();
        let one = UserStore::from_config(std::slice::from_ref(&user), &vhosts)?;
        let built = one
            .get(&user.name)
            .cloned()
            .expect("a store built from one user holds that user");
        if let Some(store) = &state.definitions {
            store.put_user(&user)?;
        }
        state.users.write().insert(built);
        Ok(())
    }

    /// Deletes a user at run time; a missing user is not an error. Its open connections are
    /// closed with 320 and RabbitMQ 3.10's words (`CONNECTION_FORCED - user 'app' is
    /// deleted`).
    pub fn delete_user(&self, name: &str) -> Result<(), AdminError> {
        let state = self.state()?;
        if let Some(store) = &state.definitions {
            store.delete_user(name)?;
        }
        state.users.write().remove(name);
        state
            .registry
            .close_user(name, &format!("user '{name}' is deleted"));
        Ok(())
    }

    /// The vhosts' names, sorted.
    pub fn vhosts(&self) -> Result<Vec<String>, AdminError> {
        let mut names: Vec<String> = self.state()?.vhosts.read().keys().cloned().collect();
        names.sort();
        Ok(names)
    }

    /// The users' names, sorted.
    pub fn users(&self) -> Result<Vec<String>, AdminError> {
        let mut names = self.state()?.users.read().names();
        names.sort();
        Ok(names)
    }

    /// The queues of `vhost` with their counters, sorted by name.
    pub fn queues(&self, vhost: &str) -> Result<Vec<QueueInfo>, AdminError> {
        let v = self.vhost(vhost)?;
        let mut out: Vec<QueueInfo> = v
            .queues()
            .iter()
            .map(|q| QueueInfo {
                name: q.name.clone(),
                durable: q.options.durable,
                auto_delete: q.options.auto_delete,
                exclusive: q.options.exclusive_owner.is_some(),
                messages: q.message_count(),
                consumers: q.consumer_count(),
            })
            .collect();
        out.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
        Ok(out)
    }

    /// The exchanges of `vhost`, sorted by name.
    pub fn exchanges(&self, vhost: &str) -> Result<Vec<ExchangeInfo>, AdminError> {
        let v = self.vhost(vhost)?;
        let mut out: Vec<ExchangeInfo> = v
            .exchanges()
            .iter()
            .map(|x| ExchangeInfo {
                name: x.name.clone(),
                kind: x.kind.name().into(),
                durable: x.durable,
                auto_delete: x.auto_delete,
                internal: x.internal,
                bindings: x.binding_count(),
            })
            .collect();
        out.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
        Ok(out)
    }

    /// Connections past `connection.open` (counted against `max_connections`).
    pub fn open_connections(&self) -> Result<usize, AdminError> {
        Ok(self.state()?.open_connections())
    }

    /// The open connections (past `connection.open`), by id.
    pub fn connections(&self) -> Result<Vec<ConnectionInfo>, AdminError> {
        Ok(self.state()?.registry.list())
    }

    /// Closes connection `id` with 320 CONNECTION_FORCED and `reason` as the reply text (as
    /// `rabbitmqctl close_connection`); its channels' unacknowledged messages are requeued.
    pub fn close_connection(&self, id: u64, reason: &str) -> Result<(), AdminError> {
        if self.state()?.registry.close(id, reason) {
            Ok(())
        } else {
            Err(AdminError::NoSuchConnection(id))
        }
    }

    fn vhost(&self, name: &str) -> Result<Arc<VHost>, AdminError> {
        self.state()?
            .vhost(name)
            .ok_or_else(|| AdminError::NoSuchVhost(name.into()))
    }
}
