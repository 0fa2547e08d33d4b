//! Connection options and the AMQP URI (`amqp[s]://user:password@host:port/vhost?query`).
//!
//! Follows RabbitMQ's URI spec: user, password and vhost are percent-decoded (`%2f` is `/`),
//! the port defaults to 5672 (5671 for `amqps`), and the query parameters `heartbeat`,
//! `frame_max`, `channel_max`, `connection_timeout` (milliseconds), `auth_mechanism`
//! (`plain`, `amqplain`, `external`) and the TLS parameters `cacertfile`, `certfile`, `keyfile`,
//! `verify` (`verify_peer` or `verify_none`) and `server_name_indication` are understood.

use std::path::PathBuf;
use std::time::Duration;

use url::Url;

use crate::error::{Error, Result};
use crate::proto::{AuthMechanism, ConnectionConfig, Credentials};

/// One broker address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostAddr {
    /// Host name or IP address.
    pub host: String,
    /// TCP port.
    pub port: u16,
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
    /// Brokers to try, in order, until one accepts.
    pub hosts: Vec<HostAddr>,
    /// TLS settings; plain TCP when `None`.
    pub tls: Option<TlsOptions>,
    /// Handshake settings: credentials, vhost, heartbeat, limits, client properties.
    pub config: ConnectionConfig,
    /// Limit for TCP connect, TLS and the AMQP handshake, per host.
    pub connection_timeout: Duration,
}

impl Default for ConnectionOptions {
    fn default() -> Self {
        ConnectionOptions {
            hosts: vec![HostAddr {
                host: "localhost".into(),
                port: 5672,
            }],
            tls: None,
            config: ConnectionConfig::default(),
            connection_timeout: Duration::from_secs(30),
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
        opts.hosts = vec![HostAddr { host, port }];
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
        let path = url.path();
        let vhost = path.strip_prefix('/').unwrap_or(path);
        if vhost.contains('/') {
            return Err(Error::InvalidUri(format!(
                "{uri:?}: vhost must be one path segment; write / as %2f"
            )));
        }
        opts.config.vhost = if vhost.is_empty() {
            "/".into()
        } else {
            decode(vhost)?
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
        if tls {
            opts.tls = Some(tls_opts);
        }
        Ok(opts)
    }

    /// Options trying each URI's host in order; credentials, vhost and settings come from the
    /// first URI.
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
