//! Broker configuration: defaults like RabbitMQ's, overridable from a TOML file
//! ([`ConfigFile`], documented by `broker/warren-broker.example.toml`), environment variables
//! and flags (see `main.rs`).
//!
//! Passwords never stay in plain text: a password read from the file is hashed as the file is
//! applied ([`ConfigFile::apply`]), and [`BrokerConfig`] holds only [`PasswordHash`]es.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use serde::Deserialize;

use crate::auth::{HashAlgorithm, InvalidUsers, PasswordHash, UserStore};
pub use crate::auth::{PermissionConfig, UserConfig};

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML, or not of the expected shape (the message gives the line).
    #[error("{origin}: {message}")]
    Parse {
        /// The file, or `<string>`.
        origin: String,
        /// The TOML parser's message.
        message: String,
    },
    /// The settings are inconsistent or out of range.
    #[error("{0}")]
    Invalid(String),
}

impl From<InvalidUsers> for ConfigError {
    fn from(e: InvalidUsers) -> ConfigError {
        ConfigError::Invalid(e.0)
    }
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
    /// Time a client has to finish the handshake (RabbitMQ: 10 s).
    pub handshake_timeout: Duration,
    /// How long a connection refused during the handshake without a `connection.close` (bad
    /// login without `authentication_failure_close`, protocol errors before `tune-ok`) is held
    /// before its socket is closed, so failed attempts cannot be repeated at full speed
    /// (RabbitMQ's `SILENT_CLOSE_DELAY`: 3 s).
    pub silent_close_delay: Duration,
    /// Where durable state lives: definitions (vhosts, users, permissions, durable exchanges,
    /// queues and bindings) and persistent messages in durable queues. `None` keeps
    /// everything in memory and nothing survives the process (the library's default, for
    /// tests and embedding); the `warren-broker` binary defaults to [`default_data_dir`].
    /// One broker at a time may use a directory.
    pub data_dir: Option<PathBuf>,
    /// Publishers are blocked while the broker's resident memory is above this (RabbitMQ's
    /// `vm_memory_high_watermark`, 0.4 of RAM by default). See [`crate::resources`].
    pub memory_high_watermark: MemoryWatermark,
    /// Publishers are blocked while the free space where `data_dir` is (the current
    /// directory without one) is below this many bytes (RabbitMQ's `disk_free_limit`: 50 MB).
    pub disk_free_limit: u64,
}

/// The binary's data directory when neither `--data-dir`, `WARREN_DATA_DIR` nor the file's
/// `data_dir` gives one: `$XDG_DATA_HOME/warren-broker`, else
/// `$HOME/.local/share/warren-broker`, else `./warren-data`.
pub fn default_data_dir() -> PathBuf {
    let absolute = |var: &str| {
        std::env::var_os(var)
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
    };
    if let Some(xdg) = absolute("XDG_DATA_HOME") {
        return xdg.join("warren-broker");
    }
    if let Some(home) = absolute("HOME") {
        return home.join(".local/share/warren-broker");
    }
    PathBuf::from("warren-data")
}

/// RabbitMQ's ceiling for `max_message_size`.
pub const MAX_MESSAGE_SIZE_LIMIT: u64 = 512 * 1024 * 1024;
/// AMQP's smallest `frame_max`.
pub const FRAME_MIN_SIZE: u32 = 4096;

impl Default for BrokerConfig {
    fn default() -> Self {
        BrokerConfig {
            listen: "127.0.0.1:5672".parse().expect("constant address"),
            users: vec![UserConfig::new("guest", "guest")
                .tag("administrator")
                .permit("/", ".*", ".*", ".*")],
            vhosts: vec!["/".into()],
            frame_max: 131_072,
            channel_max: 2047,
            heartbeat: 60,
            max_connections: 0,
            max_message_size: 128 * 1024 * 1024,
            handshake_timeout: Duration::from_secs(10),
            silent_close_delay: Duration::from_secs(3),
            data_dir: None,
            memory_high_watermark: MemoryWatermark::default(),
            disk_free_limit: DEFAULT_DISK_FREE_LIMIT,
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

    /// Adds a user (replacing one of the same name).
    pub fn with_user(mut self, user: UserConfig) -> Self {
        self.users.retain(|u| u.name != user.name);
        self.users.push(user);
        self
    }

    /// Keeps durable state in `dir` (created if missing).
    pub fn with_data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.data_dir = Some(dir.into());
        self
    }

    /// Adds a vhost.
    pub fn with_vhost(mut self, name: &str) -> Self {
        if !self.vhosts.iter().any(|v| v == name) {
            self.vhosts.push(name.into());
        }
        self
    }

    /// Checks the settings: vhosts, users and their permissions, limits.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |s: String| Err(ConfigError::Invalid(s));
        for (i, v) in self.vhosts.iter().enumerate() {
            if v.is_empty() {
                return invalid("a vhost has an empty name".into());
            }
            if v.len() > 255 {
                return invalid(format!("vhost name {v:?} is longer than 255 bytes"));
            }
            if self.vhosts[..i].contains(v) {
                return invalid(format!("vhost '{v}' is configured twice"));
            }
        }
        UserStore::from_config(&self.users, &self.vhosts)?;
        if self.frame_max < FRAME_MIN_SIZE {
            return invalid(format!(
                "frame_max {} is below AMQP's minimum of {FRAME_MIN_SIZE}",
                self.frame_max
            ));
        }
        if self.max_message_size == 0 || self.max_message_size > MAX_MESSAGE_SIZE_LIMIT {
            return invalid(format!(
                "max_message_size {} is not within 1..={MAX_MESSAGE_SIZE_LIMIT}",
                self.max_message_size
            ));
        }
        if self.handshake_timeout.is_zero() {
            return invalid("handshake_timeout_ms must be positive".into());
        }
        self.memory_high_watermark
            .validate()
            .map_err(ConfigError::Invalid)?;
        if self
            .data_dir
            .as_ref()
            .is_some_and(|d| d.as_os_str().is_empty())
        {
            return invalid(
                "data_dir is empty (use in_memory = true to keep nothing on disk)".into(),
            );
        }
        Ok(())
    }

    /// Defaults with a TOML file applied.
    pub fn from_file(path: &Path) -> Result<BrokerConfig, ConfigError> {
        let mut config = BrokerConfig::default();
        ConfigFile::load(path)?.apply(&mut config)?;
        Ok(config)
    }
}

// ---- flow control (see crate::resources) ----

/// RabbitMQ's default `disk_free_limit`: 50 MB.
pub const DEFAULT_DISK_FREE_LIMIT: u64 = 50_000_000;
/// RabbitMQ's default `vm_memory_high_watermark.relative`.
pub const DEFAULT_MEMORY_FRACTION: f64 = 0.4;

/// The memory high watermark: above it, publishers are blocked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MemoryWatermark {
    /// A fraction of the machine's RAM (or of the cgroup's limit, if lower). RabbitMQ's
    /// `vm_memory_high_watermark.relative`, 0.4 by default; 0 blocks every publisher.
    Relative(f64),
    /// Bytes of resident memory (RabbitMQ's `vm_memory_high_watermark.absolute`).
    Absolute(u64),
}

impl Default for MemoryWatermark {
    fn default() -> Self {
        MemoryWatermark::Relative(DEFAULT_MEMORY_FRACTION)
    }
}

impl MemoryWatermark {
    /// The limit in bytes on a machine with `total` bytes of RAM.
    pub fn limit(&self, total: u64) -> u64 {
        match *self {
            MemoryWatermark::Relative(f) => (total as f64 * f).min(u64::MAX as f64) as u64,
            MemoryWatermark::Absolute(b) => b,
        }
    }

    /// Checks the value: a fraction must be finite and not negative.
    pub fn validate(&self) -> Result<(), String> {
        match *self {
            MemoryWatermark::Relative(f) if !f.is_finite() || f < 0.0 => Err(format!(
                "memory_high_watermark {f} is not a fraction of RAM (0.4) nor bytes (\"2GB\")"
            )),
            _ => Ok(()),
        }
    }
}

impl fmt::Display for MemoryWatermark {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MemoryWatermark::Relative(r) => write!(f, "{r} of RAM"),
            MemoryWatermark::Absolute(b) => write!(f, "{b} bytes"),
        }
    }
}

/// `0.4` (a number with a decimal point) is a fraction of RAM; `1073741824`, `512MB`, `2GiB`
/// are bytes.
impl FromStr for MemoryWatermark {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let w = if s.contains('.') && s.chars().all(|c| c.is_ascii_digit() || c == '.') {
            MemoryWatermark::Relative(
                s.parse()
                    .map_err(|_| format!("invalid memory watermark {s:?}"))?,
            )
        } else {
            MemoryWatermark::Absolute(parse_bytes(s)?)
        };
        w.validate()?;
        Ok(w)
    }
}

/// In TOML: a float is a fraction of RAM (`0.4`), an integer is bytes, a string is either
/// (`"0.4"`, `"2GB"`, `"512MiB"`).
impl<'de> Deserialize<'de> for MemoryWatermark {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Int(u64),
            Float(f64),
            Text(String),
        }
        let w = match Raw::deserialize(d)? {
            Raw::Int(b) => MemoryWatermark::Absolute(b),
            Raw::Float(f) => MemoryWatermark::Relative(f),
            Raw::Text(s) => s.parse().map_err(serde::de::Error::custom)?,
        };
        w.validate().map_err(serde::de::Error::custom)?;
        Ok(w)
    }
}

/// A byte count: TOML integer or a string with a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteSize(pub u64);

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Int(u64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Int(b) => Ok(ByteSize(b)),
            Raw::Text(s) => parse_bytes(&s)
                .map(ByteSize)
                .map_err(serde::de::Error::custom),
        }
    }
}

/// Bytes as RabbitMQ writes them: `50000000`, `50MB` (10^6), `50MiB` (2^20), also `k`, `G`...
pub fn parse_bytes(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("invalid byte size {s:?} (e.g. 50000000, 50MB, 2GiB)"))?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1_000,
        "kib" => 1 << 10,
        "m" | "mb" => 1_000_000,
        "mib" => 1 << 20,
        "g" | "gb" => 1_000_000_000,
        "gib" => 1 << 30,
        "t" | "tb" => 1_000_000_000_000,
        "tib" => 1 << 40,
        _ => {
            return Err(format!(
                "unknown unit in byte size {s:?} (use kB, MB, GB, KiB, MiB, GiB)"
            ))
        }
    };
    n.checked_mul(factor)
        .ok_or_else(|| format!("byte size {s:?} is too large"))
}

/// The TOML file's shape; every key is optional. See `broker/warren-broker.example.toml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// `listen = "127.0.0.1:5672"`.
    pub listen: Option<SocketAddr>,
    /// `log_level = "info"`: a level or a tracing filter (`warren_broker=debug`).
    pub log_level: Option<String>,
    /// `data_dir = "/var/lib/warren"`: where durable state lives.
    pub data_dir: Option<PathBuf>,
    /// `in_memory = true`: keep nothing on disk (overrides `data_dir`).
    pub in_memory: Option<bool>,
    /// `vhosts = ["/", "staging"]`; replaces the default `["/"]`.
    pub vhosts: Option<Vec<String>>,
    /// `[[users]]` tables; replace the default guest user.
    pub users: Option<Vec<UserEntry>>,
    /// `[limits]`.
    #[serde(default)]
    pub limits: LimitsEntry,
}

/// A `[[users]]` table. Give `password` (hashed on load) or `password_hash`.
#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserEntry {
    /// Login name.
    pub name: String,
    /// Plain-text password, hashed when the file is applied.
    pub password: Option<String>,
    /// A stored hash, e.g. from RabbitMQ's definitions export.
    pub password_hash: Option<String>,
    /// `rabbit_password_hashing_sha256` (default for 36-byte hashes) or `..._sha512`.
    pub hashing_algorithm: Option<String>,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Loopback only; by default true for `guest` only.
    pub loopback_only: Option<bool>,
    /// `[[users.permissions]]` tables.
    #[serde(default)]
    pub permissions: Vec<PermissionConfig>,
}

impl fmt::Debug for UserEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserEntry")
            .field("name", &self.name)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("password_hash", &self.password_hash)
            .field("hashing_algorithm", &self.hashing_algorithm)
            .field("tags", &self.tags)
            .field("loopback_only", &self.loopback_only)
            .field("permissions", &self.permissions)
            .finish()
    }
}

impl UserEntry {
    fn into_user(self) -> Result<UserConfig, ConfigError> {
        let invalid = |s: String| ConfigError::Invalid(format!("user '{}': {s}", self.name));
        let algorithm = match &self.hashing_algorithm {
            None => None,
            Some(name) => Some(HashAlgorithm::from_name(name).ok_or_else(|| {
                invalid(format!(
                    "unknown hashing_algorithm '{name}' (use rabbit_password_hashing_sha256 or \
                     rabbit_password_hashing_sha512)"
                ))
            })?),
        };
        let hash = match (&self.password, &self.password_hash) {
            (Some(p), None) => {
                if p.is_empty() {
                    return Err(invalid(
                        "empty password (RabbitMQ refuses blank passwords)".into(),
                    ));
                }
                PasswordHash::with_algorithm(algorithm.unwrap_or_default(), p)
            }
            (None, Some(h)) => match algorithm {
                Some(a) => PasswordHash::from_stored_with(a, h),
                None => PasswordHash::from_stored(h),
            }
            .map_err(invalid)?,
            _ => {
                return Err(invalid(
                    "give exactly one of password and password_hash".into(),
                ))
            }
        };
        let mut user = UserConfig::with_hash(self.name.clone(), hash);
        user.tags = self.tags;
        user.permissions = self.permissions;
        if let Some(l) = self.loopback_only {
            user.loopback_only = l;
        }
        Ok(user)
    }
}

/// The `[limits]` table.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsEntry {
    /// Largest frame offered.
    pub frame_max: Option<u32>,
    /// Highest channel number offered.
    pub channel_max: Option<u16>,
    /// Heartbeat offered, seconds.
    pub heartbeat: Option<u16>,
    /// Connections at once; 0 for no limit.
    pub max_connections: Option<usize>,
    /// Largest message body, bytes.
    pub max_message_size: Option<u64>,
    /// Time for the handshake, milliseconds (as RabbitMQ's `handshake_timeout`).
    pub handshake_timeout_ms: Option<u64>,
    /// How long a connection refused silently during the handshake is held, milliseconds.
    pub silent_close_delay_ms: Option<u64>,
    /// Memory high watermark: a fraction of RAM (`0.4`) or bytes (`2147483648`, `"2GB"`).
    pub memory_high_watermark: Option<MemoryWatermark>,
    /// Free disk space limit: bytes (`50000000`, `"50MB"`).
    pub disk_free_limit: Option<ByteSize>,
}

impl ConfigFile {
    /// Reads and parses a TOML file.
    pub fn load(path: &Path) -> Result<ConfigFile, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        ConfigFile::parse_from(&text, &path.display().to_string())
    }

    /// Parses TOML text.
    pub fn parse(text: &str) -> Result<ConfigFile, ConfigError> {
        ConfigFile::parse_from(text, "<string>")
    }

    fn parse_from(text: &str, origin: &str) -> Result<ConfigFile, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::Parse {
            origin: origin.into(),
            message: e.to_string().trim_end().to_string(),
        })
    }

    /// Applies the file's settings over `config`, hashing plain-text passwords, and checks the
    /// result ([`BrokerConfig::validate`]). On error `config` is left unchanged.
    pub fn apply(self, config: &mut BrokerConfig) -> Result<(), ConfigError> {
        let mut next = config.clone();
        if let Some(v) = self.listen {
            next.listen = v;
        }
        if let Some(v) = self.vhosts {
            next.vhosts = v;
        }
        if let Some(v) = self.data_dir {
            next.data_dir = Some(v);
        }
        if self.in_memory == Some(true) {
            next.data_dir = None;
        }
        if let Some(users) = self.users {
            next.users = users
                .into_iter()
                .map(UserEntry::into_user)
                .collect::<Result<_, _>>()?;
        }
        let l = self.limits;
        if let Some(v) = l.frame_max {
            next.frame_max = v;
        }
        if let Some(v) = l.channel_max {
            next.channel_max = v;
        }
        if let Some(v) = l.heartbeat {
            next.heartbeat = v;
        }
        if let Some(v) = l.max_connections {
            next.max_connections = v;
        }
        if let Some(v) = l.max_message_size {
            next.max_message_size = v;
        }
        if let Some(v) = l.handshake_timeout_ms {
            next.handshake_timeout = Duration::from_millis(v);
        }
        if let Some(v) = l.silent_close_delay_ms {
            next.silent_close_delay = Duration::from_millis(v);
        }
        if let Some(v) = l.memory_high_watermark {
            next.memory_high_watermark = v;
        }
        if let Some(v) = l.disk_free_limit {
            next.disk_free_limit = v.0;
        }
        next.validate()?;
        *config = next;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate() {
        BrokerConfig::default().validate().unwrap();
        let c = BrokerConfig::ephemeral();
        assert_eq!(c.users.len(), 1);
        assert!(c.users[0].loopback_only);
        assert!(c.users[0].password_hash.verify("guest"));
    }

    #[test]
    fn example_file_parses() {
        let text = include_str!("../warren-broker.example.toml");
        let mut config = BrokerConfig::default();
        ConfigFile::parse(text).unwrap().apply(&mut config).unwrap();
    }
}
