//! Users, password hashes, SASL logins (PLAIN and AMQPLAIN), the loopback rule and
//! permissions — each as RabbitMQ's internal auth backend does it.
//!
//! * Passwords are never kept in plain text: a [`PasswordHash`] is RabbitMQ's
//!   `base64(salt ‖ H(salt ‖ password))` with a random 4-byte salt and H = SHA-256
//!   (`rabbit_password_hashing_sha256`, RabbitMQ's default) or SHA-512
//!   (`rabbit_password_hashing_sha512`), so hashes exported from RabbitMQ
//!   (`rabbitmqctl export_definitions`) can be used as they are.
//! * [`UserStore::login`] is the whole `connection.start-ok` decision: the mechanism, the
//!   response's shape, the credentials, the blank-password rule and the loopback rule.
//! * [`Permissions`] are RabbitMQ's three regular expressions per vhost (configure, write,
//!   read), searched anywhere in a resource name; [`User::allows`] answers one check.

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;

use base64::Engine;
use bytes::{Bytes, BytesMut};
use rand::RngCore;
use regex::Regex;
use sha2::{Digest, Sha256, Sha512};
use warren_core::codec::{self, FieldValue};

use serde::Deserialize;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
const SALT_LEN: usize = 4;

/// The digest behind a [`PasswordHash`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HashAlgorithm {
    /// `rabbit_password_hashing_sha256`, RabbitMQ's default since 3.6.
    #[default]
    Sha256,
    /// `rabbit_password_hashing_sha512`.
    Sha512,
}

impl HashAlgorithm {
    /// Parses RabbitMQ's module name (`rabbit_password_hashing_sha256`) or the short form
    /// (`sha256`, `sha512`).
    pub fn from_name(name: &str) -> Option<HashAlgorithm> {
        match name
            .strip_prefix("rabbit_password_hashing_")
            .unwrap_or(name)
        {
            "sha256" => Some(HashAlgorithm::Sha256),
            "sha512" => Some(HashAlgorithm::Sha512),
            _ => None,
        }
    }

    /// RabbitMQ's name for it, as in its definitions export.
    pub fn rabbitmq_name(self) -> &'static str {
        match self {
            HashAlgorithm::Sha256 => "rabbit_password_hashing_sha256",
            HashAlgorithm::Sha512 => "rabbit_password_hashing_sha512",
        }
    }

    fn digest_len(self) -> usize {
        match self {
            HashAlgorithm::Sha256 => 32,
            HashAlgorithm::Sha512 => 64,
        }
    }

    fn digest(self, salt: &[u8], password: &[u8]) -> Vec<u8> {
        match self {
            HashAlgorithm::Sha256 => Sha256::new()
                .chain_update(salt)
                .chain_update(password)
                .finalize()
                .to_vec(),
            HashAlgorithm::Sha512 => Sha512::new()
                .chain_update(salt)
                .chain_update(password)
                .finalize()
                .to_vec(),
        }
    }
}

/// A salted password hash: `salt ‖ H(salt ‖ password)`, stored as base64.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash {
    algorithm: HashAlgorithm,
    /// Salt followed by the digest.
    bytes: Vec<u8>,
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PasswordHash({})", self.algorithm.rabbitmq_name())
    }
}

impl PasswordHash {
    /// Hashes `password` with SHA-256 and a fresh random salt.
    pub fn new(password: &str) -> PasswordHash {
        PasswordHash::with_algorithm(HashAlgorithm::Sha256, password)
    }

    /// Hashes `password` with `algorithm` and a fresh random salt.
    pub fn with_algorithm(algorithm: HashAlgorithm, password: &str) -> PasswordHash {
        let mut salt = [0u8; SALT_LEN];
        rand::thread_rng().fill_bytes(&mut salt);
        PasswordHash::with_salt(algorithm, salt, password)
    }

    fn with_salt(algorithm: HashAlgorithm, salt: [u8; SALT_LEN], password: &str) -> PasswordHash {
        let mut bytes = salt.to_vec();
        bytes.extend_from_slice(&algorithm.digest(&salt, password.as_bytes()));
        PasswordHash { algorithm, bytes }
    }

    /// A stored hash (base64), its algorithm told by its length: 36 bytes decoded is SHA-256,
    /// 68 is SHA-512.
    pub fn from_stored(stored: &str) -> Result<PasswordHash, String> {
        let bytes = B64
            .decode(stored.trim())
            .map_err(|e| format!("password_hash is not base64: {e}"))?;
        let algorithm = [HashAlgorithm::Sha256, HashAlgorithm::Sha512]
            .into_iter()
            .find(|a| SALT_LEN + a.digest_len() == bytes.len())
            .ok_or_else(|| {
                format!(
                    "password_hash decodes to {} bytes; a salted SHA-256 hash has 36, SHA-512 68 \
                     (MD5 hashes are not accepted)",
                    bytes.len()
                )
            })?;
        Ok(PasswordHash { algorithm, bytes })
    }

    /// A stored hash (base64) made with `algorithm`.
    pub fn from_stored_with(
        algorithm: HashAlgorithm,
        stored: &str,
    ) -> Result<PasswordHash, String> {
        let h = PasswordHash::from_stored(stored)?;
        if h.algorithm != algorithm {
            return Err(format!(
                "password_hash has the length of a {} hash, not {}",
                h.algorithm.rabbitmq_name(),
                algorithm.rabbitmq_name()
            ));
        }
        Ok(h)
    }

    /// The stored form (base64), as RabbitMQ's definitions export shows it.
    pub fn to_stored(&self) -> String {
        B64.encode(&self.bytes)
    }

    /// The digest used.
    pub fn algorithm(&self) -> HashAlgorithm {
        self.algorithm
    }

    /// Whether `password` matches (in time independent of where the digests differ).
    pub fn verify(&self, password: &str) -> bool {
        let (salt, expected) = self.bytes.split_at(SALT_LEN);
        let actual = self.algorithm.digest(salt, password.as_bytes());
        actual.len() == expected.len()
            && actual
                .iter()
                .zip(expected)
                .fold(0u8, |acc, (x, y)| acc | (x ^ y))
                == 0
    }
}

/// Configure, write and read permissions of a user in one vhost.
#[derive(Debug, Clone)]
pub struct Permissions {
    /// Declare and delete queues and exchanges.
    pub configure: Regex,
    /// Publish to an exchange; be the destination of a binding.
    pub write: Regex,
    /// Consume, get and purge a queue; be the source of a binding.
    pub read: Regex,
}

impl Permissions {
    /// Permissions from three regular expressions, read as RabbitMQ reads them: a search
    /// anywhere in the name (not anchored unless the pattern says so), and an empty pattern
    /// granting nothing (it becomes `^$`).
    pub fn new(configure: &str, write: &str, read: &str) -> Result<Permissions, regex::Error> {
        let compile = |p: &str| Regex::new(if p.is_empty() { "^$" } else { p });
        Ok(Permissions {
            configure: compile(configure)?,
            write: compile(write)?,
            read: compile(read)?,
        })
    }

    /// Everything (`.*` for all three).
    pub fn all() -> Permissions {
        Permissions::new(".*", ".*", ".*").expect("constant regex")
    }

    fn regex(&self, access: Access) -> &Regex {
        match access {
            Access::Configure => &self.configure,
            Access::Write => &self.write,
            Access::Read => &self.read,
        }
    }
}

/// Which permission an operation needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Declare/delete.
    Configure,
    /// Publish, bind destination.
    Write,
    /// Consume, get, purge, bind source.
    Read,
}

impl Access {
    /// The permission's name (for logs; RabbitMQ's refusal does not name it).
    pub fn name(self) -> &'static str {
        match self {
            Access::Configure => "configure",
            Access::Write => "write",
            Access::Read => "read",
        }
    }
}

/// A user.
#[derive(Debug, Clone)]
pub struct User {
    /// Login name.
    pub name: String,
    /// Salted password hash.
    pub password: PasswordHash,
    /// Tags such as `administrator`; `impersonator` may publish with another `user_id`.
    pub tags: Vec<String>,
    /// Permissions by vhost name.
    pub permissions: HashMap<String, Permissions>,
    /// May only connect from loopback (RabbitMQ's `loopback_users`, by default `guest`).
    pub loopback_only: bool,
}

impl User {
    /// Whether the user may do `access` on resource `name` in `vhost`.
    pub fn allows(&self, vhost: &str, access: Access, name: &str) -> bool {
        self.permissions
            .get(vhost)
            .is_some_and(|p| p.regex(access).is_match(name))
    }

    /// Whether the user may open `vhost`: RabbitMQ grants it to anyone with a permissions
    /// entry there, whatever its patterns.
    pub fn may_open_vhost(&self, vhost: &str) -> bool {
        self.permissions.contains_key(vhost)
    }

    /// RabbitMQ's loopback rule: a loopback-only user may connect from a loopback address
    /// only.
    pub fn may_connect_from(&self, peer: IpAddr) -> bool {
        !self.loopback_only || is_loopback(peer)
    }

    /// Whether the user has `tag`.
    pub fn has_tag(&self, tag: &str) -> bool {
        self.tags.iter().any(|t| t == tag)
    }
}

/// Loopback as RabbitMQ sees it: 127.0.0.0/8, `::1`, and IPv4-mapped `::ffff:127.x.y.z` (what
/// an IPv4 client looks like to a listener on `[::]`; Rust's `Ipv6Addr::is_loopback` says no).
pub fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

/// SASL mechanisms the broker offers, as listed in `connection.start`.
pub const MECHANISMS: &str = "PLAIN AMQPLAIN";

/// A SASL mechanism.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mechanism {
    /// RFC 4616: `\0user\0password` (RabbitMQ refuses an authorization identity).
    Plain,
    /// A field table, without its length prefix, with long strings `LOGIN` and `PASSWORD`.
    AmqPlain,
}

impl Mechanism {
    /// The mechanism called `name` (case-sensitive, as RabbitMQ).
    pub fn from_name(name: &str) -> Option<Mechanism> {
        match name {
            "PLAIN" => Some(Mechanism::Plain),
            "AMQPLAIN" => Some(Mechanism::AmqPlain),
            _ => None,
        }
    }

    /// The name on the wire.
    pub fn name(self) -> &'static str {
        match self {
            Mechanism::Plain => "PLAIN",
            Mechanism::AmqPlain => "AMQPLAIN",
        }
    }

    /// Username and password from a `start-ok` response, accepting exactly what RabbitMQ
    /// 3.10 accepts; the error says why not (for the log).
    pub fn credentials(self, response: &[u8]) -> Result<(String, String), String> {
        match self {
            Mechanism::Plain => {
                // RabbitMQ's rabbit_auth_mechanism_plain: an empty authzid, the user, the
                // password, and nothing after it.
                let invalid = || format!("response {:?} invalid", Bytes::copy_from_slice(response));
                let rest = response.strip_prefix(b"\0").ok_or_else(invalid)?;
                let nul = rest.iter().position(|&b| b == 0).ok_or_else(invalid)?;
                let (user, pass) = (&rest[..nul], &rest[nul + 1..]);
                if pass.contains(&0) {
                    return Err(invalid());
                }
                Ok((
                    String::from_utf8_lossy(user).into_owned(),
                    String::from_utf8_lossy(pass).into_owned(),
                ))
            }
            Mechanism::AmqPlain => {
                let mut framed = BytesMut::with_capacity(response.len() + 4);
                framed.extend_from_slice(&(response.len() as u32).to_be_bytes());
                framed.extend_from_slice(response);
                let table = codec::wire::Reader::new(framed.freeze())
                    .table()
                    .map_err(|e| format!("AMQPLAIN response is not a field table: {e}"))?;
                let field = |key: &str| match table.get(key) {
                    Some(FieldValue::LongString(s)) => {
                        Some(String::from_utf8_lossy(s.as_bytes()).into_owned())
                    }
                    _ => None,
                };
                match (field("LOGIN"), field("PASSWORD")) {
                    (Some(user), Some(pass)) => Ok((user, pass)),
                    _ => Err("AMQPLAIN auth info is missing LOGIN or PASSWORD field".into()),
                }
            }
        }
    }
}

/// Why a login failed. `Display` gives the detail for the broker's log, in RabbitMQ's words;
/// the client learns no more than [`LoginError::client_text`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginError {
    /// The client chose a mechanism we do not offer: 503 COMMAND_INVALID.
    UnknownMechanism(String),
    /// The response cannot be read. RabbitMQ raises a syntax error and closes the socket
    /// without a `connection.close`, even to clients with `authentication_failure_close`.
    Malformed {
        /// The mechanism.
        mechanism: Mechanism,
        /// What is wrong with the response.
        detail: String,
    },
    /// The credentials or the peer are refused: 403 ACCESS_REFUSED, sent only to clients
    /// that announce `authentication_failure_close`.
    Refused {
        /// The mechanism.
        mechanism: Mechanism,
        /// The login name given.
        username: String,
        /// Why (unknown user, wrong or blank password, loopback only).
        reason: String,
    },
}

impl LoginError {
    /// What the client is told in `connection.close` (403), if it announced
    /// `authentication_failure_close`: RabbitMQ never says which check failed.
    pub fn client_text(&self) -> String {
        match self {
            LoginError::UnknownMechanism(m) => format!("unknown authentication mechanism '{m}'"),
            LoginError::Malformed { mechanism, .. } | LoginError::Refused { mechanism, .. } => {
                format!(
                    "Login was refused using authentication mechanism {}. For details see the \
                     broker logfile.",
                    mechanism.name()
                )
            }
        }
    }
}

impl fmt::Display for LoginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoginError::UnknownMechanism(m) => write!(f, "unknown authentication mechanism '{m}'"),
            LoginError::Malformed { mechanism, detail } => {
                write!(f, "{} login failed: {detail}", mechanism.name())
            }
            LoginError::Refused {
                mechanism, reason, ..
            } => write!(f, "{} login refused: {reason}", mechanism.name()),
        }
    }
}

impl std::error::Error for LoginError {}

/// A user as the broker keeps it: the password already hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserConfig {
    /// Login name.
    pub name: String,
    /// Salted password hash.
    pub password_hash: PasswordHash,
    /// Tags such as `administrator`; `impersonator` may publish with another `user_id`.
    pub tags: Vec<String>,
    /// Permissions per vhost.
    pub permissions: Vec<PermissionConfig>,
    /// Refuse connections from other hosts than loopback (RabbitMQ's `loopback_users`).
    pub loopback_only: bool,
}

impl UserConfig {
    /// A user with `password` (hashed now), no permissions, loopback-only if it is `guest`
    /// (RabbitMQ's default `loopback_users`).
    pub fn new(name: impl Into<String>, password: &str) -> UserConfig {
        UserConfig::with_hash(name, PasswordHash::new(password))
    }

    /// A user with a stored hash.
    pub fn with_hash(name: impl Into<String>, password_hash: PasswordHash) -> UserConfig {
        let name = name.into();
        UserConfig {
            loopback_only: name == "guest",
            name,
            password_hash,
            tags: Vec::new(),
            permissions: Vec::new(),
        }
    }

    /// Grants configure, write and read patterns on `vhost` (RabbitMQ's `set_permissions`).
    pub fn permit(mut self, vhost: &str, configure: &str, write: &str, read: &str) -> UserConfig {
        self.permissions.push(PermissionConfig {
            vhost: vhost.into(),
            configure: configure.into(),
            write: write.into(),
            read: read.into(),
        });
        self
    }

    /// Sets whether the user may connect from loopback only.
    pub fn loopback_only(mut self, loopback_only: bool) -> UserConfig {
        self.loopback_only = loopback_only;
        self
    }

    /// Adds a tag.
    pub fn tag(mut self, tag: &str) -> UserConfig {
        self.tags.push(tag.into());
        self
    }
}

/// One user's permissions in one vhost: configure, write and read regular expressions.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PermissionConfig {
    /// Vhost name.
    pub vhost: String,
    /// Configure regex.
    pub configure: String,
    /// Write regex.
    pub write: String,
    /// Read regex.
    pub read: String,
}

/// Users or permissions that cannot be used (a name given twice, a permission on an unknown
/// vhost, an invalid pattern); the configuration reports it as [`crate::config::ConfigError`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidUsers(pub String);

/// The user database.
#[derive(Debug, Clone, Default)]
pub struct UserStore {
    users: HashMap<String, User>,
}

impl UserStore {
    /// Builds the store from configured users, checking every entry against `vhosts`: unique
    /// names, permissions only on configured vhosts, valid regular expressions.
    pub fn from_config(users: &[UserConfig], vhosts: &[String]) -> Result<UserStore, InvalidUsers> {
        let invalid = |s: String| Err(InvalidUsers(s));
        let mut store = UserStore::default();
        for u in users {
            if u.name.is_empty() {
                return invalid("a user has an empty name".into());
            }
            if store.users.contains_key(&u.name) {
                return invalid(format!("user '{}' is configured twice", u.name));
            }
            let mut permissions = HashMap::new();
            for p in &u.permissions {
                if !vhosts.contains(&p.vhost) {
                    return invalid(format!(
                        "user '{}': permissions for vhost '{}', which is not configured",
                        u.name, p.vhost
                    ));
                }
                for (which, pattern) in [
                    ("configure", &p.configure),
                    ("write", &p.write),
                    ("read", &p.read),
                ] {
                    if let Err(e) = Regex::new(pattern) {
                        return invalid(format!(
                            "user '{}' vhost '{}': {which} pattern {pattern:?} is not a valid \
                             regular expression: {e}",
                            u.name, p.vhost
                        ));
                    }
                }
                let perms = Permissions::new(&p.configure, &p.write, &p.read)
                    .map_err(|e| InvalidUsers(e.to_string()))?;
                if permissions.insert(p.vhost.clone(), perms).is_some() {
                    return invalid(format!(
                        "user '{}': permissions for vhost '{}' are given twice",
                        u.name, p.vhost
                    ));
                }
            }
            store.insert(User {
                name: u.name.clone(),
                password: u.password_hash.clone(),
                tags: u.tags.clone(),
                permissions,
                loopback_only: u.loopback_only,
            });
        }
        Ok(store)
    }

    /// Adds or replaces a user.
    pub fn insert(&mut self, user: User) {
        self.users.insert(user.name.clone(), user);
    }

    /// Removes a user; connections already open keep their permissions until they close.
    pub fn remove(&mut self, name: &str) -> Option<User> {
        self.users.remove(name)
    }

    /// Every user's name.
    pub fn names(&self) -> Vec<String> {
        self.users.keys().cloned().collect()
    }

    /// The user called `name`.
    pub fn get(&self, name: &str) -> Option<&User> {
        self.users.get(name)
    }

    /// Checks a password: the user when it matches. A blank password never does (RabbitMQ's
    /// internal backend refuses it whatever is stored).
    pub fn authenticate(&self, name: &str, password: &str) -> Option<&User> {
        self.check_password(name, password).ok()
    }

    fn check_password(&self, name: &str, password: &str) -> Result<&User, String> {
        if password.is_empty() {
            return Err(format!(
                "user '{name}' attempted to log in with a blank password, which is prohibited"
            ));
        }
        match self.users.get(name) {
            Some(u) if u.password.verify(password) => Ok(u),
            Some(_) => Err(format!("user '{name}' - invalid credentials")),
            None => {
                // Spend the same work as for a known user, so timing does not tell them apart.
                let _ = DUMMY_HASH.with(|h| h.verify(password));
                Err(format!("user '{name}' - invalid credentials"))
            }
        }
    }

    /// The whole `connection.start-ok` decision: `mechanism`, then its `response`, then the
    /// credentials, then the loopback rule for a connection from `peer`.
    pub fn login(
        &self,
        mechanism: &str,
        response: &[u8],
        peer: IpAddr,
    ) -> Result<User, LoginError> {
        let mech = Mechanism::from_name(mechanism)
            .ok_or_else(|| LoginError::UnknownMechanism(mechanism.to_string()))?;
        let (username, password) =
            mech.credentials(response)
                .map_err(|detail| LoginError::Malformed {
                    mechanism: mech,
                    detail,
                })?;
        let refused = |reason: String| LoginError::Refused {
            mechanism: mech,
            username: username.clone(),
            reason,
        };
        let user = self.check_password(&username, &password).map_err(refused)?;
        if !user.may_connect_from(peer) {
            return Err(refused(format!(
                "user '{}' can only connect via localhost",
                user.name
            )));
        }
        Ok(user.clone())
    }
}

thread_local! {
    static DUMMY_HASH: PasswordHash = PasswordHash::new("warren-dummy-password");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_differ_by_salt() {
        let a = PasswordHash::new("secret");
        let b = PasswordHash::new("secret");
        assert!(a.verify("secret"));
        assert!(!a.verify("Secret"));
        assert!(!a.verify(""));
        assert_ne!(a, b, "salts should differ");
        assert_eq!(PasswordHash::from_stored(&a.to_stored()).unwrap(), a);
        assert!(!a.to_stored().contains("secret"));
        assert!(!format!("{a:?}").contains(&a.to_stored()));
    }

    #[test]
    fn verifies_hashes_made_by_rabbitmq() {
        // rabbitmqctl eval 'base64:encode(rabbit_password:hash(rabbit_password_hashing_sha256,
        // <<"pässwörd"/utf8>>)).' on RabbitMQ 3.10.8, and the same with sha512.
        let h =
            PasswordHash::from_stored("JC7PITWJtlSwm5dafb/qFAcN/SEmpDVfQ9mGZqDCrzDGf5aT").unwrap();
        assert_eq!(h.algorithm(), HashAlgorithm::Sha256);
        assert!(h.verify("pässwörd"));
        assert!(!h.verify("passwort"));
        let h = PasswordHash::from_stored(
            "/0bHWYgyN/g5nFvAVIb5nlxBc3WUMgCBkXmP58e3V8fYx2tgupxRfdWlz7vjzO1KDIDUlapKUMSYAUuZtQOJNiLkDz0=",
        )
        .unwrap();
        assert_eq!(h.algorithm(), HashAlgorithm::Sha512);
        assert!(h.verify("correct horse"));
        assert!(PasswordHash::from_stored_with(HashAlgorithm::Sha256, &h.to_stored()).is_err());
        assert!(PasswordHash::from_stored("not base64!").is_err());
        assert!(PasswordHash::from_stored("c2hvcnQ=").is_err());
    }

    #[test]
    fn algorithm_names() {
        for a in [HashAlgorithm::Sha256, HashAlgorithm::Sha512] {
            assert_eq!(HashAlgorithm::from_name(a.rabbitmq_name()), Some(a));
        }
        assert_eq!(
            HashAlgorithm::from_name("sha512"),
            Some(HashAlgorithm::Sha512)
        );
        assert_eq!(
            HashAlgorithm::from_name("rabbit_password_hashing_md5"),
            None
        );
        let h = PasswordHash::with_algorithm(HashAlgorithm::Sha512, "x");
        assert!(h.verify("x"));
        assert_eq!(B64.decode(h.to_stored()).unwrap().len(), 68);
    }

    fn user(name: &str, password: &str, loopback_only: bool) -> User {
        User {
            name: name.into(),
            password: PasswordHash::new(password),
            tags: vec![],
            permissions: HashMap::new(),
            loopback_only,
        }
    }

    #[test]
    fn permissions_follow_rabbitmq() {
        let p = Permissions::new("^app-.*", "app-.*", "").unwrap();
        let mut user = user("u", "p", false);
        user.permissions.insert("/".into(), p);
        assert!(user.allows("/", Access::Configure, "app-x"));
        assert!(!user.allows("/", Access::Configure, "x-app-"), "^ anchors");
        assert!(
            user.allows("/", Access::Write, "x-app-y"),
            "unanchored patterns search"
        );
        assert!(
            !user.allows("/", Access::Read, "app-x"),
            "empty grants nothing"
        );
        assert!(!user.allows("other", Access::Write, "app-x"));
        assert!(user.may_open_vhost("/"));
        assert!(!user.may_open_vhost("other"));
    }

    #[test]
    fn loopback_addresses() {
        for ip in ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"] {
            assert!(is_loopback(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "10.0.0.1",
            "192.168.1.1",
            "::ffff:10.0.0.1",
            "fe80::1",
            "0.0.0.0",
        ] {
            assert!(!is_loopback(ip.parse().unwrap()), "{ip}");
        }
    }

    fn store() -> UserStore {
        let mut s = UserStore::default();
        s.insert(user("guest", "guest", true));
        s.insert(user("app", "secret", false));
        s
    }

    #[test]
    fn guest_only_from_loopback() {
        let s = store();
        let remote: IpAddr = "10.0.0.1".parse().unwrap();
        let local: IpAddr = "127.0.0.1".parse().unwrap();
        let mapped: IpAddr = "::ffff:127.0.0.1".parse().unwrap();
        assert!(s.login("PLAIN", b"\0guest\0guest", local).is_ok());
        assert!(s.login("PLAIN", b"\0guest\0guest", mapped).is_ok());
        let err = s.login("PLAIN", b"\0guest\0guest", remote).unwrap_err();
        assert_eq!(
            err.to_string(),
            "PLAIN login refused: user 'guest' can only connect via localhost"
        );
        assert_eq!(
            err.client_text(),
            "Login was refused using authentication mechanism PLAIN. For details see the broker logfile."
        );
        assert!(s.login("PLAIN", b"\0app\0secret", remote).is_ok());
    }

    #[test]
    fn plain_responses_as_rabbitmq_reads_them() {
        let s = store();
        let lo: IpAddr = "127.0.0.1".parse().unwrap();
        assert_eq!(s.login("PLAIN", b"\0app\0secret", lo).unwrap().name, "app");
        for bad in [
            &b"app\0app\0secret"[..],
            b"\0app\0secret\0",
            b"garbage",
            b"\0app",
            b"",
        ] {
            assert!(
                matches!(s.login("PLAIN", bad, lo), Err(LoginError::Malformed { .. })),
                "{bad:?}"
            );
        }
        let refused = |r: &[u8]| matches!(s.login("PLAIN", r, lo), Err(LoginError::Refused { .. }));
        assert!(refused(b"\0app\0wrong"));
        assert!(refused(b"\0nobody\0secret"));
        assert!(refused(b"\0app\0"), "blank password");
        assert_eq!(
            s.login("plain", b"\0app\0secret", lo).unwrap_err(),
            LoginError::UnknownMechanism("plain".into())
        );
    }

    #[test]
    fn amqplain_responses() {
        let s = store();
        let lo: IpAddr = "127.0.0.1".parse().unwrap();
        let table = |pairs: &[(&'static str, FieldValue)]| {
            let mut t = codec::FieldTable::new();
            for (k, v) in pairs {
                t.insert_key(codec::ShortString::from_static(k), v.clone());
            }
            let mut buf = BytesMut::new();
            codec::wire::put_table(&mut buf, &t);
            buf.split_off(4).to_vec()
        };
        let ok = table(&[("LOGIN", "app".into()), ("PASSWORD", "secret".into())]);
        assert_eq!(s.login("AMQPLAIN", &ok, lo).unwrap().name, "app");
        let wrong = table(&[("LOGIN", "app".into()), ("PASSWORD", "nope".into())]);
        assert!(matches!(
            s.login("AMQPLAIN", &wrong, lo),
            Err(LoginError::Refused { .. })
        ));
        let missing = table(&[("LOGIN", "app".into())]);
        let not_string = table(&[
            ("LOGIN", "app".into()),
            ("PASSWORD", FieldValue::LongInt(1)),
        ]);
        for bad in [missing, not_string, b"\xff\xff".to_vec()] {
            assert!(matches!(
                s.login("AMQPLAIN", &bad, lo),
                Err(LoginError::Malformed { .. })
            ));
        }
    }
}
