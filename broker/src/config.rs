//! Broker configuration: defaults like RabbitMQ's, overridable from a TOML file, environment
//! variables and flags (see `main.rs`).

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

/// A user as configured. Give `password` (hashed at startup, never kept in plain text) or a
/// pre-computed `password_hash` (RabbitMQ's salted SHA-256, base64).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct UserConfig {
    /// Login name.
    pub name: String,
    /// Plain-text password (hashed on load).
    #[serde(default)]
    pub password: Option<String>,
    /// Stored hash instead of a password.
    #[serde(default)]
    pub password_hash: Option<String>,
    /// Tags such as `administrator`.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Permissions per vhost.
    #[serde(default)]
    pub permissions: Vec<PermissionConfig>,
    /// Refuse connections from other hosts than loopback (default true for `guest`).
    #[serde(default)]
    pub loopback_only: Option<bool>,
}

/// One user's permissions in one vhost: configure, write and read regular expressions.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PermissionConfig {
    /// Vhost name.
    pub vhost: String,
    /// Configure regex.
    #[serde(default = "all")]
    pub configure: String,
    /// Write regex.
    #[serde(default = "all")]
    pub write: String,
    /// Read regex.
    #[serde(default = "all")]
    pub read: String,
}

fn all() -> String {
    ".*".into()
}

/// Everything the broker needs to start.
#[derive(Debug, Clone)]
pub struct BrokerConfig {
    /// Where to listen; port 0 picks a free one (tests).
    pub listen: SocketAddr,
    /// Users; the default is `guest`/`guest` on `/`, from loopback only.
    pub users: Vec<UserConfig>,
    /// Virtual hosts; the default is `/`.
    pub vhosts: Vec<String>,
    /// Largest frame offered in `connection.tune` (RabbitMQ: 131072).
    pub frame_max: u32,
    /// Highest channel number offered (RabbitMQ: 2047).
    pub channel_max: u16,
    /// Heartbeat interval offered, seconds (RabbitMQ: 60).
    pub heartbeat: u16,
    /// Connections accepted at once (0: no limit).
    pub max_connections: usize,
    /// Largest message body accepted (RabbitMQ 3.10: 128 MiB).
    pub max_message_size: u64,
    /// Time a client has to finish the handshake.
    pub handshake_timeout: Duration,
}

impl Default for BrokerConfig {
    fn default() -> Self {
        BrokerConfig {
            listen: "127.0.0.1:5672".parse().expect("constant address"),
            users: vec![UserConfig {
                name: "guest".into(),
                password: Some("guest".into()),
                password_hash: None,
                tags: vec!["administrator".into()],
                permissions: vec![PermissionConfig {
                    vhost: "/".into(),
                    configure: all(),
                    write: all(),
                    read: all(),
                }],
                loopback_only: Some(true),
            }],
            vhosts: vec!["/".into()],
            frame_max: 131_072,
            channel_max: 2047,
            heartbeat: 60,
            max_connections: 0,
            max_message_size: 128 * 1024 * 1024,
            handshake_timeout: Duration::from_secs(10),
        }
    }
}

impl BrokerConfig {
    /// Defaults, listening on an ephemeral loopback port: for tests and embedding.
    pub fn ephemeral() -> Self {
        BrokerConfig {
            listen: "127.0.0.1:0".parse().expect("constant address"),
            ..Default::default()
        }
    }
}

/// The TOML file's shape; every key is optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// `listen = "127.0.0.1:5672"`.
    pub listen: Option<SocketAddr>,
    /// `log_level = "info"`.
    pub log_level: Option<String>,
    /// `vhosts = ["/", "staging"]`.
    pub vhosts: Option<Vec<String>>,
    /// `[[users]]` tables; replace the default guest user.
    pub users: Option<Vec<UserConfig>>,
    /// `frame_max = 131072`.
    pub frame_max: Option<u32>,
    /// `channel_max = 2047`.
    pub channel_max: Option<u16>,
    /// `heartbeat = 60`.
    pub heartbeat: Option<u16>,
    /// `max_connections = 0`.
    pub max_connections: Option<usize>,
    /// `max_message_size = 134217728`.
    pub max_message_size: Option<u64>,
}

impl ConfigFile {
    /// Reads and parses a TOML file.
    pub fn load(path: &Path) -> Result<ConfigFile, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("reading {}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| format!("parsing {}: {e}", path.display()))
    }

    /// Applies the file's settings over `config`.
    pub fn apply(self, config: &mut BrokerConfig) {
        if let Some(v) = self.listen {
            config.listen = v;
        }
        if let Some(v) = self.vhosts {
            config.vhosts = v;
        }
        if let Some(v) = self.users {
            config.users = v;
        }
        if let Some(v) = self.frame_max {
            config.frame_max = v;
        }
        if let Some(v) = self.channel_max {
            config.channel_max = v;
        }
        if let Some(v) = self.heartbeat {
            config.heartbeat = v;
        }
        if let Some(v) = self.max_connections {
            config.max_connections = v;
        }
        if let Some(v) = self.max_message_size {
            config.max_message_size = v;
        }
    }
}
