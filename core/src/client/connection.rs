//! The async connection handle.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use tokio::net::TcpStream;
use tokio::sync::{broadcast, mpsc, oneshot, Semaphore};

use super::channel::Channel;
use super::driver::{Command, Driver};
use super::options::{ConnectionOptions, HostAddr};
use crate::codec::{FieldTable, LongString, Method};
use crate::error::{Error, Result};
use crate::proto::{ClientConnection, Tuning};

/// Publishes that may wait in the command queue before `basic_publish` waits (back-pressure).
const PUBLISH_QUEUE_LIMIT: usize = 16 * 1024;

/// Something that happened to the connection as a whole.
#[derive(Debug, Clone)]
pub enum ConnectionEvent {
    /// The broker stopped reading from publishers (`connection.blocked`), with its reason.
    Blocked(String),
    /// The broker reads from publishers again.
    Unblocked,
    /// The connection ended; `None` after [`Connection::close`].
    Closed(Option<Error>),
}

/// State shared between the handles and the connection task.
#[derive(Debug)]
pub(crate) struct ConnectionShared {
    /// Set once, when the connection ends: why.
    pub closed: OnceLock<Error>,
    /// Whether `connection.blocked` is in force.
    pub blocked: AtomicBool,
    /// Broadcast of blocked/unblocked/closed.
    pub events: broadcast::Sender<ConnectionEvent>,
    /// Bounds the publishes queued for the task; the task returns a permit per publish taken.
    pub publish_permits: Semaphore,
}

struct ConnectionInner {
    commands: mpsc::UnboundedSender<Command>,
    shared: Arc<ConnectionShared>,
    server_properties: FieldTable,
    tuning: Tuning,
    host: HostAddr,
}

/// An open AMQP connection. Cheap to clone; every clone drives the same connection, from any
/// task or thread. The connection closes when [`Connection::close`] is called or when the last
/// handle (including channels and deliveries) is dropped.
#[derive(Clone)]
pub struct Connection {
    inner: Arc<ConnectionInner>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("host", &self.inner.host)
            .field("tuning", &self.inner.tuning)
            .finish()
    }
}

impl Connection {
    /// Connects to the broker an AMQP URI names, e.g. `amqp://guest:guest@localhost:5672/%2f`.
    pub async fn connect(uri: &str) -> Result<Connection> {
        Self::connect_with(ConnectionOptions::from_uri(uri)?).await
    }

    /// Connects with explicit options, trying each host in order.
    pub async fn connect_with(options: ConnectionOptions) -> Result<Connection> {
        let mut last = None;
        for host in &options.hosts {
            let attempt = tokio::time::timeout(
                options.connection_timeout,
                Self::connect_host(host, &options),
            )
            .await;
            match attempt {
                Ok(Ok(conn)) => return Ok(conn),
                Ok(Err(e)) => last = Some(e),
                Err(_) => {
                    last = Some(Error::ConnectTimeout(format!(
                        "{}:{}",
                        host.host, host.port
                    )))
                }
            }
        }
        match last {
            Some(e) if options.hosts.len() == 1 => Err(e),
            Some(e) => Err(Error::AllHostsFailed(Box::new(e))),
            None => Err(Error::InvalidUri("no hosts to connect to".into())),
        }
    }

    async fn connect_host(host: &HostAddr, options: &ConnectionOptions) -> Result<Connection> {
        let tcp = TcpStream::connect((host.host.as_str(), host.port)).await?;
        tcp.set_nodelay(true)?;
        match &options.tls {
            None => Self::handshake(tcp, host, options).await,
            Some(tls) => {
                let stream = super::tls::connect(tcp, &host.host, tls).await?;
                Self::handshake(stream, host, options).await
            }
        }
    }

    async fn handshake<S>(
        stream: S,
        host: &HostAddr,
        options: &ConnectionOptions,
    ) -> Result<Connection>
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let proto = ClientConnection::new(options.config.clone(), std::time::Instant::now());
        let (commands, rx) = mpsc::unbounded_channel();
        let shared = Arc::new(ConnectionShared {
            closed: OnceLock::new(),
            blocked: AtomicBool::new(false),
            events: broadcast::channel(64).0,
            publish_permits: Semaphore::new(PUBLISH_QUEUE_LIMIT),
        });
        let (connected_tx, connected_rx) = oneshot::channel();
        let driver = Driver::new(proto, stream, rx, shared.clone(), connected_tx);
        let task = tokio::spawn(driver.run());
        let abort = task.abort_handle();
        // If this future is dropped (connection timeout), stop the half-open connection.
        struct AbortOnDrop(Option<tokio::task::AbortHandle>);
        impl Drop for AbortOnDrop {
            fn drop(&mut self) {
                if let Some(a) = self.0.take() {
                    a.abort();
                }
            }
        }
        let mut guard = AbortOnDrop(Some(abort));
        let (server_properties, tuning) = connected_rx
            .await
            .map_err(|_| Error::ConnectionClosedByClient)??;
        guard.0 = None;
        Ok(Connection {
            inner: Arc::new(ConnectionInner {
                commands,
                shared,
                server_properties,
                tuning,
                host: host.clone(),
            }),
        })
    }

    /// Opens a new channel.
    pub async fn open_channel(&self) -> Result<Channel> {
        let (tx, rx) = oneshot::channel();
        self.send(Command::OpenChannel { reply: tx })?;
        let (id, shared, returns) = self.wait(rx).await?;
        Ok(Channel::new(self.clone(), id, shared, returns))
    }

    /// Closes the connection with reply code 200 and waits for the broker's `close-ok`.
    pub async fn close(&self) -> Result<()> {
        self.close_with(200, "Goodbye").await
    }

    /// Closes the connection with the given reply code and text.
    pub async fn close_with(&self, code: u16, text: &str) -> Result<()> {
        let (tx, rx) = oneshot::channel();
        if self
            .inner
            .commands
            .send(Command::CloseConnection {
                code,
                text: text.into(),
                reply: tx,
            })
            .is_err()
        {
            return Ok(()); // Already closed.
        }
        rx.await.unwrap_or(Ok(()))
    }

    /// Sends `connection.update-secret` (e.g. a refreshed OAuth token).
    pub async fn update_secret(&self, new_secret: &str, reason: &str) -> Result<()> {
        let method = crate::codec::ConnectionUpdateSecret {
            new_secret: LongString::from(new_secret),
            reason: super::short(reason)?,
        };
        self.rpc(0, method.into()).await.map(|_| ())
    }

    /// Subscribes to blocked/unblocked/closed notifications.
    pub fn events(&self) -> broadcast::Receiver<ConnectionEvent> {
        self.inner.shared.events.subscribe()
    }

    /// Whether the broker currently blocks publishers.
    pub fn is_blocked(&self) -> bool {
        self.inner.shared.blocked.load(Ordering::Acquire)
    }

    /// Whether the connection is still open.
    pub fn is_open(&self) -> bool {
        self.inner.shared.closed.get().is_none()
    }

    /// Why the connection ended, once it has.
    pub fn close_reason(&self) -> Option<Error> {
        self.inner.shared.closed.get().cloned()
    }

    /// The broker's `server-properties` (product, version, capabilities...).
    pub fn server_properties(&self) -> &FieldTable {
        &self.inner.server_properties
    }

    /// Limits agreed with the broker.
    pub fn tuning(&self) -> Tuning {
        self.inner.tuning
    }

    /// The host this connection reached.
    pub fn host(&self) -> &HostAddr {
        &self.inner.host
    }

    // ---- used by channels ----

    pub(crate) fn shared(&self) -> &ConnectionShared {
        &self.inner.shared
    }

    pub(crate) fn send(&self, cmd: Command) -> Result<()> {
        self.inner
            .commands
            .send(cmd)
            .map_err(|_| self.closed_error())
    }

    pub(crate) fn closed_error(&self) -> Error {
        self.inner
            .shared
            .closed
            .get()
            .cloned()
            .unwrap_or(Error::ConnectionClosedByClient)
    }

    pub(crate) async fn wait<T>(&self, rx: oneshot::Receiver<Result<T>>) -> Result<T> {
        rx.await.map_err(|_| self.closed_error())?
    }

    pub(crate) async fn rpc(&self, channel: u16, method: Method) -> Result<super::driver::Reply> {
        let (tx, rx) = oneshot::channel();
        self.send(Command::Rpc {
            channel,
            method,
            reply: Some(tx),
        })?;
        self.wait(rx).await
    }
}
