//! Users, password hashes and permissions.
//!
//! Passwords are stored as RabbitMQ stores them with `rabbit_password_hashing_sha256`:
//! base64(salt ‖ SHA-256(salt ‖ password)) with a random 4-byte salt, never in plain text.
//! Permissions are RabbitMQ's three regular expressions per vhost (configure, write, read).

use std::collections::HashMap;

use base64::Engine;
use rand::RngCore;
use regex::Regex;
use sha2::{Digest, Sha256};

/// A salted SHA-256 password hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Hashes `password` with a fresh random salt.
    pub fn new(password: &str) -> PasswordHash {
        let mut salt = [0u8; 4];
        rand::thread_rng().fill_bytes(&mut salt);
        PasswordHash::with_salt(salt, password)
    }

    fn with_salt(salt: [u8; 4], password: &str) -> PasswordHash {
        let mut h = Sha256::new();
        h.update(salt);
        h.update(password.as_bytes());
        let mut bytes = salt.to_vec();
        bytes.extend_from_slice(&h.finalize());
        PasswordHash(base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    /// A hash as stored (base64), e.g. from a config file.
    pub fn from_stored(s: &str) -> Option<PasswordHash> {
        let bytes = base64::engine::general_purpose::STANDARD.decode(s).ok()?;
        (bytes.len() == 36).then(|| PasswordHash(s.to_string()))
    }

    /// The stored form.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `password` matches.
    pub fn verify(&self, password: &str) -> bool {
        let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(&self.0) else {
            return false;
        };
        let Ok(salt) = <[u8; 4]>::try_from(&bytes[..4.min(bytes.len())]) else {
            return false;
        };
        let candidate = PasswordHash::with_salt(salt, password);
        // Constant-time comparison of the encoded forms.
        let (a, b) = (candidate.0.as_bytes(), self.0.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

/// Configure, write and read permissions of a user in one vhost.
#[derive(Debug, Clone)]
pub struct Permissions {
    /// Declare and delete resources.
    pub configure: Regex,
    /// Publish to exchanges, bind queues and exchanges (as destination... see RabbitMQ docs).
    pub write: Regex,
    /// Consume, get, purge, bind (as source).
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
    /// The word RabbitMQ uses in its refusal.
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
    /// Tags such as `administrator`.
    pub tags: Vec<String>,
    /// Permissions by vhost name.
    pub permissions: HashMap<String, Permissions>,
    /// May only connect from loopback (RabbitMQ's rule for `guest`).
    pub loopback_only: bool,
}

impl User {
    /// Whether the user may do `access` on resource `name` in `vhost`.
    pub fn allows(&self, vhost: &str, access: Access, name: &str) -> bool {
        self.permissions.get(vhost).is_some_and(|p| {
            let re = match access {
                Access::Configure => &p.configure,
                Access::Write => &p.write,
                Access::Read => &p.read,
            };
            re.is_match(name)
        })
    }
}

/// The user database.
#[derive(Debug, Clone, Default)]
pub struct UserStore {
    users: HashMap<String, User>,
}

impl UserStore {
    /// Adds or replaces a user.
    pub fn insert(&mut self, user: User) {
        self.users.insert(user.name.clone(), user);
    }

    /// The user called `name`.
    pub fn get(&self, name: &str) -> Option<&User> {
        self.users.get(name)
    }

    /// Checks a login: returns the user when the password matches.
    pub fn authenticate(&self, name: &str, password: &str) -> Option<&User> {
        self.users.get(name).filter(|u| u.password.verify(password))
    }
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
        assert_ne!(a, b, "salts should differ");
        assert!(PasswordHash::from_stored(a.as_str()).is_some());
        assert!(!a.as_str().contains("secret"));
    }

    #[test]
    fn permissions_follow_rabbitmq() {
        let p = Permissions::new("^app-.*", "app-.*", "").unwrap();
        let mut user = User {
            name: "u".into(),
            password: PasswordHash::new("p"),
            tags: vec![],
            permissions: HashMap::new(),
            loopback_only: false,
        };
        user.permissions.insert("/".into(), p);
        assert!(user.allows("/", Access::Configure, "app-x"));
        assert!(!user.allows("/", Access::Configure, "x-app-"), "^ anchors");
        assert!(
            user.allows("/", Access::Write, "x-app-y"),
            "unanchored patterns search"
        );
        assert!(!user.allows("/", Access::Read, "app-x"));
        assert!(!user.allows("other", Access::Write, "app-x"));
    }
}
