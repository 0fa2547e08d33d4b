//! The listener and broker-wide state: users, vhosts, connection accounting, shutdown.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::RwLock;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::auth::UserStore;
use crate::config::BrokerConfig;
use crate::vhost::VHost;

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
    /// Direct reply-to consumers.
    pub reply_to: crate::reply_to::ReplyRegistry,
    /// The message log (`<data_dir>/messages`), when the broker has a data directory.
    pub message_store: Option<Arc<crate::storage::MessageStore>>,
    /// Recovered messages of vhosts not created yet ([`BrokerState::attach_vhost`]).
    recovered: parking_lot::Mutex<crate::storage::Recovered>,
    /// Memory and disk alarms (flow control).
    pub resources: crate::resources::Resources,
    /// The definitions log (`<data_dir>/definitions.log`), when the broker has a data
    /// directory.
    pub definitions: Option<Arc<crate::definitions::DefinitionStore>>,
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
            Some(dir) => Some(crate::definitions::DefinitionStore::open(dir).map_err(|e| {
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
        let resources = crate::resources::Resources::new(
            config.memory_high_watermark,
            config.disk_free_limit,
            config.data_dir.clone(),
        );
        let state = BrokerState {
            resources,
            config,
            users: RwLock::new(users),
            vhosts: RwLock::new(HashMap::new()),
            next_connection_id: AtomicU64::new(1),
            connections: AtomicUsize::new(0),
            open_connections: AtomicUsize::new(0),
            reply_to: crate::reply_to::ReplyRegistry::default(),
            message_store,
            recovered: parking_lot::Mutex::new(recovered),
            definitions,
        };
        for v in vhosts.values() {
            state.attach_vhost(v);
        }
        *state.vhosts.write() = vhosts;
        if let Some(store) = &state.definitions {
            crate::definitions::load(&state, store);
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

/// A running broker. Dropping it does not stop the broker; call [`BrokerHandle::shutdown`].
#[derive(Debug)]
pub struct BrokerHandle {
    addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
    state: Arc<BrokerState>,
}

impl BrokerHandle {
    /// The address the broker listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// An AMQP URI for the default guest user and vhost on this broker.
    pub fn amqp_uri(&self) -> String {
        format!("amqp://guest:guest@{}/%2f", self.addr)
    }

    /// Shared state (for tests and embedding).
    pub fn state(&self) -> &Arc<BrokerState> {
        &self.state
    }

    /// Closes every connection with 320 CONNECTION_FORCED and stops listening; returns when
    /// every connection task has ended.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
        if let Some(store) = &self.state.message_store {
            // Everything logged is written and synced; the log can be opened again.
            let store = store.clone();
            let _ = tokio::task::spawn_blocking(move || store.close()).await;
        }
        // Give the tasks still holding the state (they stop on the same signal) a moment to
        // drop it, so that its data directory is unlocked for the next broker.
        let t0 = std::time::Instant::now();
        while Arc::strong_count(&self.state) > 1 && t0.elapsed() < Duration::from_secs(2) {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
}

/// The broker.
pub struct Broker;

impl Broker {
    /// Binds the listener and starts accepting connections.
    pub async fn start(config: BrokerConfig) -> std::io::Result<BrokerHandle> {
        let state = Arc::new(
            BrokerState::new(config)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?,
        );
        let listener = TcpListener::bind(state.config.listen).await?;
        let addr = listener.local_addr()?;
        let (shutdown, rx) = watch::channel(false);
        state.resources.check();
        tokio::spawn(crate::resources::monitor(state.clone(), rx.clone()));
        let task = tokio::spawn(accept_loop(listener, state.clone(), rx));
        tracing::info!(%addr, "warren-broker listening");
        Ok(BrokerHandle {
            addr,
            shutdown,
            task,
            state,
        })
    }
}

async fn accept_loop(
    listener: TcpListener,
    state: Arc<BrokerState>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    let state = state.clone();
                    let rx = shutdown.clone();
                    connections.spawn(async move {
                        crate::connection::serve(stream, peer, state, rx).await;
                    });
                }
                Err(e) => {
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            _ = shutdown.changed() => break,
        }
    }
    drop(listener);
    while connections.join_next().await.is_some() {}
    tracing::info!("warren-broker stopped");
}
