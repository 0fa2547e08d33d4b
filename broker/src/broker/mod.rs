//! The broker as a whole: the state every connection shares (users, vhosts, the logs, the
//! alarms, connection accounting), recreating what the data directory holds at startup
//! ([`loading`]), and the typed administration API ([`Admin`]) that management tools use.

mod admin;
mod loading;
mod registry;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use parking_lot::RwLock;

use crate::auth::UserStore;
use crate::config::BrokerConfig;
use crate::vhost::VHost;
pub use admin::{Admin, AdminError, ExchangeInfo, QueueInfo};
pub use registry::{ConnectionInfo, ConnectionRegistry, Registration};

/// State every connection shares.
#[derive(Debug)]
pub struct BrokerState {
    /// Limits and defaults.
    pub config: BrokerConfig,
    /// Users and permissions.
    pub users: RwLock<UserStore>,
    /// Virtual hosts by name.
    pub vhosts: RwLock<HashMap<String, Arc<VHost>>>,
    next_connection_id: AtomicU64,
    /// TCP connections being served, in any phase.
    pub connections: AtomicUsize,
    /// Connections past `connection.open`, counted against `max_connections`.
    open_connections: AtomicUsize,
    /// Open connections, for the admin API to list and close (registered at
    /// `connection.open`).
    pub(crate) registry: Arc<ConnectionRegistry>,
    /// Direct reply-to consumers.
    pub reply_to: crate::reply_to::ReplyRegistry,
    /// The message log (`<data_dir>/messages`), when the broker has a data directory.
    pub message_store: Option<Arc<crate::storage::MessageStore>>,
    /// Recovered messages of vhosts not created yet ([`BrokerState::attach_vhost`]).
    recovered: parking_lot::Mutex<crate::storage::Recovered>,
    /// Memory and disk alarms (flow control).
    pub resources: Arc<crate::resources::Resources>,
    /// The definitions log (`<data_dir>/definitions.log`), when the broker has a data
    /// directory.
    pub definitions: Option<Arc<crate::storage::DefinitionStore>>,
}

impl BrokerState {
    /// Builds the state from `config`; fails on an invalid configuration
    /// ([`BrokerConfig::validate`]).
    pub fn new(config: BrokerConfig) -> Result<BrokerState, String> {
        config.validate().map_err(|e| e.to_string())?;
        let users =
            UserStore::from_config(&config.users, &config.vhosts).map_err(|e| e.to_string())?;
        let vhosts: HashMap<String, Arc<VHost>> = config
            .vhosts
            .iter()
            .map(|v| (v.clone(), VHost::new(v)))
            .collect();
        // First: it locks the data directory (one broker per directory).
        let definitions = match &config.data_dir {
            Some(dir) => Some(crate::storage::DefinitionStore::open(dir).map_err(|e| {
                format!("cannot open the definitions log in {}: {e}", dir.display())
            })?),
            None => None,
        };
        let (message_store, recovered) = match &config.data_dir {
            Some(dir) => {
                let (store, recovered) = crate::storage::MessageStore::open(&dir.join("messages"))
                    .map_err(|e| {
                        format!("cannot open the message log in {}: {e}", dir.display())
                    })?;
                (Some(store), recovered)
            }
            None => (None, Default::default()),
        };
        let resources = Arc::new(crate::resources::Resources::new(
            config.memory_high_watermark,
            config.disk_free_limit,
            config.data_dir.clone(),
        ));
        let state = BrokerState {
            resources,
            config,
            users: RwLock::new(users),
            vhosts: RwLock::new(HashMap::new()),
            next_connection_id: AtomicU64::new(1),
            connections: AtomicUsize::new(0),
            open_connections: AtomicUsize::new(0),
            reply_to: crate::reply_to::ReplyRegistry::default(),
            registry: Arc::default(),
            message_store,
            recovered: parking_lot::Mutex::new(recovered),
            definitions,
        };
        for v in vhosts.values() {
            state.attach_vhost(v);
        }
        *state.vhosts.write() = vhosts;
        if let Some(store) = &state.definitions {
            loading::load(&state, store);
        }
        Ok(state)
    }

    /// Gives a vhost the message log and its recovered messages (done for the configured
    /// vhosts; call it for a vhost created later, e.g. from stored definitions, before its
    /// durable queues are recreated).
    pub fn attach_vhost(&self, vhost: &VHost) {
        let Some(store) = &self.message_store else {
            return;
        };
        let mut recovered = self.recovered.lock();
        let keys: Vec<(String, String)> = recovered
            .keys()
            .filter(|(v, _)| *v == vhost.name)
            .cloned()
            .collect();
        let mine = keys
            .into_iter()
            .filter_map(|k| recovered.remove_entry(&k))
            .map(|((_, q), m)| (q, m))
            .collect();
        vhost.attach_message_store(store.clone(), mine);
    }

    /// A fresh connection id.
    pub fn next_connection_id(&self) -> u64 {
        self.next_connection_id.fetch_add(1, Ordering::Relaxed)
    }

    /// The vhost called `name`.
    pub fn vhost(&self, name: &str) -> Option<Arc<VHost>> {
        self.vhosts.read().get(name).cloned()
    }

    /// Connections past `connection.open`.
    pub fn open_connections(&self) -> usize {
        self.open_connections.load(Ordering::Acquire)
    }

    /// Takes a place for one more open connection, or `None` at `max_connections`. The place
    /// is held until the slot is dropped. Connections still in the handshake take none (the
    /// handshake timeout bounds them), so they cannot starve clients that log in.
    pub fn open_connection_slot(self: &Arc<Self>) -> Option<OpenConnectionSlot> {
        let max = self.config.max_connections;
        let before = self.open_connections.fetch_add(1, Ordering::AcqRel);
        if max != 0 && before >= max {
            self.open_connections.fetch_sub(1, Ordering::AcqRel);
            return None;
        }
        Some(OpenConnectionSlot {
            state: self.clone(),
        })
    }
}

/// One connection's place under `max_connections` ([`BrokerState::open_connection_slot`]).
#[derive(Debug)]
pub struct OpenConnectionSlot {
    state: Arc<BrokerState>,
}

impl Drop for OpenConnectionSlot {
    fn drop(&mut self) {
        self.state.open_connections.fetch_sub(1, Ordering::AcqRel);
    }
}
