//! The listener and shutdown: accepts connections and hands each to [`crate::connection`];
//! the state they share is [`crate::broker`]'s.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::broker::{Admin, BrokerState};
use crate::config::BrokerConfig;

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

    /// The typed administration API (vhosts, users, listings).
    pub fn admin(&self) -> Admin {
        Admin::new(&self.state)
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
        tokio::spawn(crate::resources::monitor(
            state.resources.clone(),
            rx.clone(),
        ));
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
