//! Connection options and the AMQP URI (`amqp[s]://user:password@host:port/vhost?query`).
//!
//! Follows RabbitMQ's URI spec: user, password and vhost are percent-decoded (`%2f` is `/`),
//! the port defaults to 5672 (5671 for `amqps`), and the query parameters `heartbeat`,
//! `frame_max`, `channel_max`, `connection_timeout` (milliseconds), `auth_mechanism`
//! (`plain`, `amqplain`, `external`) and the TLS parameters `cacertfile`, `certfile`, `keyfile`,
//! `verify` (`verify_peer` or `verify_none`) and `server_name_indication` are understood.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use url::Url;

use super::metrics::MetricsCollector;
use super::recovery::RecoveryOptions;
use crate::error::{Error, Result};
use crate::proto::{AuthMechanism, ConnectionConfig, Credentials};

/// One broker address, with its own transport: each URI of a host list keeps its scheme, port
/// and TLS settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostAddr {
    /// Host name or IP address.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// TLS settings for this host (`amqps`); plain TCP when `None`.
    pub tls: Option<TlsOptions>,
}

impl HostAddr {
    /// A plain-TCP address.
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        HostAddr {
            host: host.into(),
            port,
            tls: None,
        }
    }
}

impl std::fmt::Display for HostAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let scheme = if self.tls.is_some() { "amqps" } else { "amqp" };
        if self.host.contains(':') {
            write!(f, "{scheme}://[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{scheme}://{}:{}", self.host, self.port)
        }
    }
}

/// Bounds on what the client buffers for the application, so a slow application cannot grow
/// the process without limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientLimits {
    /// Deliveries buffered per consumer (or per shared inbox) before the client stops reading
    /// the socket and lets TCP push back on the broker; reading resumes at half. Heartbeats
    /// keep flowing meanwhile.
    pub consumer_buffer: usize,
    /// Body bytes buffered per consumer (or inbox) before reading pauses, whichever bound is
    /// reached first.
    pub consumer_buffer_bytes: usize,
    /// Returned (unroutable mandatory) messages kept per channel until read; beyond that they
    /// are dropped, counted in the metrics and logged.
    pub returns_buffer: usize,
    /// Connection events kept for each subscriber that falls behind; older ones are dropped,
    /// counted and logged.
    pub events_buffer: usize,
    /// Publisher confirm events kept for a confirm listener (`Channel::confirm_events`) until
    /// it reads them; beyond that they are dropped and logged. Larger than `max_unconfirmed`
    /// by default, so a listener on a busy machine keeps up with a full window of individual
    /// acks.
    pub confirm_events_buffer: usize,
    /// Largest incoming message accepted (RabbitMQ's `max_message_size` default, 128 MiB): a
    /// larger one closes its channel with [`Error::MessageTooLarge`] before it is allocated.
    pub max_message_size: u64,
    /// Publishes that may wait for the connection task before `basic_publish` waits.
    pub publish_queue: usize,
    /// Unconfirmed publishes per channel in confirm mode: the limit is released when the broker
    /// confirms (or the publish fails), not when the frame is written.
    pub max_unconfirmed: usize,
}

impl Default for ClientLimits {
    fn default() -> Self {
        ClientLimits {
            consumer_buffer: 4096,
            consumer_buffer_bytes: 64 * 1024 * 1024,
            returns_buffer: 1024,
            events_buffer: 1024,
            confirm_events_buffer: 64 * 1024,
            max_message_size: 128 * 1024 * 1024,
            publish_queue: 16 * 1024,
            max_unconfirmed: 16 * 1024,
        }
    }
}

/// TLS settings for `amqps`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsOptions {
    /// PEM file with the CA certificates to trust; the system's roots when `None`.
    pub ca_file: Option<PathBuf>,
    /// PEM file with the client certificate chain (for `EXTERNAL`).
    pub cert_file: Option<PathBuf>,
    /// PEM file with the client private key.
    pub key_file: Option<PathBuf>,
    /// Name checked against the server certificate; the host name when `None`.
    pub server_name: Option<String>,
    /// Skip verification of the server certificate. Only for tests.
    pub danger_accept_invalid_certs: bool,
}

/// Everything needed to open a connection.
#[derive(Debug, Clone)]
pub struct ConnectionOptions {
    /// Brokers to try, in order, until one accepts; recovery tries them in rotation.
    pub hosts: Vec<HostAddr>,
    /// Handshake settings: credentials, vhost, heartbeat, limits, client properties.
    pub config: ConnectionConfig,
    /// Limit for TCP connect, TLS and the AMQP handshake, per host.
    pub connection_timeout: Duration,
    /// Automatic recovery after the connection is lost (on by default).
    pub recovery: RecoveryOptions,
    /// Bounds on the client's buffers.
    pub limits: ClientLimits,
    /// How long a synchronous request (declare, bind, get, close...) waits for the broker's
    /// answer before failing with [`Error::Timeout`], like the Java client's
    /// `channelRpcTimeout` (default 10 minutes). `None`: no limit.
    pub rpc_timeout: Option<Duration>,
    /// How long `basic_publish` may wait for room in the publish queue (e.g. while the broker
    /// holds the connection blocked) before failing with [`Error::Timeout`]. `None` (the
    /// default): wait as long as the connection lives.
    pub publish_timeout: Option<Duration>,
    /// How long `close` waits for the broker's `close-ok` before dropping the socket.
    pub close_timeout: Duration,
    /// An extra collector of client metrics (for example one shared by every connection of
    /// the process); each connection also keeps its own counters, see `Connection::metrics`.
    pub metrics: Option<Arc<dyn MetricsCollector>>,
}

impl Default for ConnectionOptions {
    fn default() -> Self {
        ConnectionOptions {
            hosts: vec![HostAddr::new("localhost", 5672)],
            config: ConnectionConfig::default(),
            connection_timeout: Duration::from_secs(30),
            recovery: RecoveryOptions::default(),
            limits: ClientLimits::default(),
            rpc_timeout: Some(Duration::from_secs(600)),
            publish_timeout: None,
            close_timeout: Duration::from_secs(10),
            metrics: None,
        }
    }
}

impl ConnectionOptions {
    /// Parses an AMQP URI.
    pub fn from_uri(uri: &str) -> Result<Self> {
        let url = match Url::parse(uri) {
            // `amqp://:10000` (default host, explicit port) is valid per RabbitMQ's URI spec but
            // refused by the URL parser; give it the default host explicitly.
            Err(url::ParseError::EmptyHost) => Url::parse(&with_default_host(uri)),
            other => other,
        }
        .map_err(|e| Error::InvalidUri(format!("{uri:?}: {e}")))?;
        let tls = match url.scheme() {
            "amqp" => false,
            "amqps" => true,
            other => {
                return Err(Error::InvalidUri(format!(
                    "scheme must be amqp or amqps, not {other:?}"
                )))
            }
        };
        let decode = |s: &str| {
            percent_decode(s)
                .map_err(|_| Error::InvalidUri(format!("{uri:?}: bad percent-encoding")))
        };
        let mut opts = ConnectionOptions::default();
        let host = url.host_str().unwrap_or("localhost");
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let host = if host.is_empty() {
            "localhost".to_string()
        } else {
            decode(host)?
        };
        let port = url.port().unwrap_or(if tls { 5671 } else { 5672 });
        if !url.username().is_empty() {
            // An absent password keeps the default; an empty one (`user:@`) is empty.
            let password = match url.password() {
                Some(p) => decode(p)?,
                None => Credentials::default().password,
            };
            opts.config.credentials = Credentials {
                username: decode(url.username())?,
                password,
            };
        } else if let Some(p) = url.password() {
            opts.config.credentials.password = decode(p)?;
        }
        // RabbitMQ's URI spec: no path at all means the default vhost "/", while an empty
        // path segment (`amqp://host/`) names the vhost "".
        let path = url.path();
        opts.config.vhost = match path.strip_prefix('/') {
            None if path.is_empty() => "/".into(),
            None => return Err(Error::InvalidUri(format!("{uri:?}: bad path"))),
            Some(vhost) if vhost.contains('/') => {
                return Err(Error::InvalidUri(format!(
                    "{uri:?}: vhost must be one path segment; write / as %2f"
                )))
            }
            Some(vhost) => decode(vhost)?,
        };
        let mut tls_opts = TlsOptions::default();
        for (key, value) in url.query_pairs() {
            let bad = || Error::InvalidUri(format!("{uri:?}: bad value {value:?} for {key}"));
            match key.as_ref() {
                "heartbeat" => opts.config.heartbeat = value.parse().map_err(|_| bad())?,
                "frame_max" => opts.config.frame_max = value.parse().map_err(|_| bad())?,
                "channel_max" => opts.config.channel_max = value.parse().map_err(|_| bad())?,
                "connection_timeout" => {
                    opts.connection_timeout =
                        Duration::from_millis(value.parse().map_err(|_| bad())?)
                }
                "auth_mechanism" => {
                    opts.config.mechanism = AuthMechanism::from_name(&value).ok_or_else(bad)?
                }
                "connection_name" => opts.config.connection_name = Some(value.into_owned()),
                "cacertfile" => tls_opts.ca_file = Some(PathBuf::from(value.as_ref())),
                "certfile" => tls_opts.cert_file = Some(PathBuf::from(value.as_ref())),
                "keyfile" => tls_opts.key_file = Some(PathBuf::from(value.as_ref())),
                "server_name_indication" => tls_opts.server_name = Some(value.into_owned()),
                "verify" => match value.as_ref() {
                    "verify_peer" => tls_opts.danger_accept_invalid_certs = false,
                    "verify_none" => tls_opts.danger_accept_invalid_certs = true,
                    _ => return Err(bad()),
                },
                // Unknown parameters are ignored, as RabbitMQ's clients do.
                _ => {}
            }
        }
        if opts.config.frame_max != 0
            && opts.config.frame_max < u32::from(crate::codec::FRAME_MIN_SIZE)
        {
            return Err(Error::InvalidUri(format!(
                "{uri:?}: frame_max must be 0 or at least 4096"
            )));
        }
        opts.hosts = vec![HostAddr {
            host,
            port,
            tls: tls.then_some(tls_opts),
        }];
        Ok(opts)
    }

    /// Options trying each URI's host in order (and in rotation during recovery). Each host
    /// keeps its own scheme, port and TLS settings; credentials, vhost and the other settings
    /// come from the first URI.
    pub fn from_uris<S: AsRef<str>>(uris: &[S]) -> Result<Self> {
        let (first, rest) = uris
            .split_first()
            .ok_or_else(|| Error::InvalidUri("no URI given".into()))?;
        let mut opts = ConnectionOptions::from_uri(first.as_ref())?;
        for uri in rest {
            let other = ConnectionOptions::from_uri(uri.as_ref())?;
            opts.hosts.extend(other.hosts);
        }
        Ok(opts)
    }

    /// These options with automatic recovery switched off: a lost connection then ends every
    /// handle with the error, as a plain AMQP client does.
    pub fn without_recovery(mut self) -> Self {
        self.recovery.enabled = false;
        self
    }

    /// Whether any host uses TLS.
    pub fn uses_tls(&self) -> bool {
        self.hosts.iter().any(|h| h.tls.is_some())
    }
}

/// Inserts `localhost` where the authority has no host (`amqp://user@:port/...`).
fn with_default_host(uri: &str) -> String {
    let Some((scheme, rest)) = uri.split_once("://") else {
        return uri.to_string();
    };
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (format!("{u}@"), h),
        None => (String::new(), authority),
    };
    let hostport = if hostport.is_empty() || hostport.starts_with(':') {
        format!("localhost{hostport}")
    } else {
        hostport.to_string()
    };
    format!("{scheme}://{userinfo}{hostport}{tail}")
}

fn percent_decode(s: &str) -> std::result::Result<String, std::str::Utf8Error> {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .map(|c| c.into_owned())
}
