//! The TOML configuration: parsing and its errors, password hashing at load, stored
//! (RabbitMQ-made) hashes, and a broker started from a file.

mod support;

use std::time::Duration;

use warren_broker::auth::HashAlgorithm;
use warren_broker::config::{BrokerConfig, ConfigError, ConfigFile};
use warren_core::client::Connection;
use warren_core::Error;

/// Applies `toml` over the defaults.
fn load(toml: &str) -> Result<BrokerConfig, ConfigError> {
    let mut config = BrokerConfig::ephemeral();
    ConfigFile::parse(toml)?.apply(&mut config)?;
    Ok(config)
}

/// The error `toml` gives, as text.
fn error(toml: &str) -> String {
    match load(toml) {
        Ok(c) => panic!("expected an error, got {c:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn empty_file_keeps_the_defaults() {
    let c = load("").unwrap();
    let d = BrokerConfig::ephemeral();
    assert_eq!(c.listen, d.listen);
    assert_eq!(c.vhosts, vec!["/".to_string()]);
    assert_eq!(c.users.len(), 1);
    assert_eq!(c.users[0].name, "guest");
    assert!(c.users[0].loopback_only);
    assert_eq!(c.frame_max, 131_072);
}

#[test]
fn full_file() {
    let c = load(
        r#"
        listen = "127.0.0.1:15672"
        log_level = "debug"
        vhosts = ["/", "prod"]

        [limits]
        frame_max = 65536
        channel_max = 64
        heartbeat = 30
        max_connections = 100
        max_message_size = 1048576
        handshake_timeout_ms = 2500
        silent_close_delay_ms = 250

        [[users]]
        name = "admin"
        password = "s3cret"
        tags = ["administrator"]

        [[users.permissions]]
        vhost = "/"
        configure = ".*"
        write = ".*"
        read = ".*"

        [[users.permissions]]
        vhost = "prod"
        configure = ""
        write = "^orders$"
        read = "^orders\\."

        [[users]]
        name = "guest"
        password = "guest"
        loopback_only = false
        "#,
    )
    .unwrap();
    assert_eq!(c.listen.to_string(), "127.0.0.1:15672");
    assert_eq!(c.vhosts, vec!["/".to_string(), "prod".into()]);
    assert_eq!((c.frame_max, c.channel_max, c.heartbeat), (65536, 64, 30));
    assert_eq!((c.max_connections, c.max_message_size), (100, 1_048_576));
    assert_eq!(c.handshake_timeout, Duration::from_millis(2500));
    assert_eq!(c.silent_close_delay, Duration::from_millis(250));
    let admin = &c.users[0];
    assert_eq!(admin.name, "admin");
    assert_eq!(admin.tags, vec!["administrator".to_string()]);
    assert!(
        !admin.loopback_only,
        "only guest is loopback-only by default"
    );
    assert_eq!(admin.permissions.len(), 2);
    assert_eq!(admin.permissions[1].write, "^orders$");
    assert_eq!(admin.permissions[1].read, "^orders\\.");
    assert!(
        !c.users[1].loopback_only,
        "guest's default can be turned off"
    );
    let file = ConfigFile::parse("log_level = \"debug\"").unwrap();
    assert_eq!(file.log_level.as_deref(), Some("debug"));
}

#[test]
fn the_example_file_is_valid() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/warren-broker.example.toml");
    let c = BrokerConfig::from_file(path.as_ref()).unwrap();
    assert_eq!(c.vhosts, vec!["/".to_string(), "staging".into()]);
    let names: Vec<&str> = c.users.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(names, ["guest", "orders", "monitor"]);
    let monitor = &c.users[2];
    assert!(monitor.password_hash.verify("monitor-secret"));
    assert!(c.users[0].loopback_only && !c.users[1].loopback_only);
}

#[test]
fn plain_text_passwords_are_hashed_on_load() {
    let c = load(
        r#"
        [[users]]
        name = "app"
        password = "hunter2-plaintext"
        "#,
    )
    .unwrap();
    let user = &c.users[0];
    assert!(user.password_hash.verify("hunter2-plaintext"));
    assert!(!user.password_hash.verify("hunter2"));
    assert_eq!(user.password_hash.algorithm(), HashAlgorithm::Sha256);
    let stored = user.password_hash.to_stored();
    assert!(!stored.contains("hunter2"));
    // Nothing the broker keeps or prints holds the password.
    assert!(!format!("{c:?}").contains("hunter2"));
    let file =
        ConfigFile::parse("[[users]]\nname = \"a\"\npassword = \"hunter2-plaintext\"").unwrap();
    assert!(!format!("{file:?}").contains("hunter2"));
    // Salted: the same password hashes differently each time.
    let again = load("[[users]]\nname = \"app\"\npassword = \"hunter2-plaintext\"").unwrap();
    assert_ne!(again.users[0].password_hash.to_stored(), stored);
    // SHA-512 on request.
    let c = load(
        r#"
        [[users]]
        name = "app"
        password = "x"
        hashing_algorithm = "rabbit_password_hashing_sha512"
        "#,
    )
    .unwrap();
    assert_eq!(c.users[0].password_hash.algorithm(), HashAlgorithm::Sha512);
    assert!(c.users[0].password_hash.verify("x"));
}

#[test]
fn errors_say_what_and_where() {
    let cases: &[(&str, &[&str])] = &[
        ("listen = 5672", &["listen", "line 1"]),
        ("listen = \"localhost\"", &["listen"]),
        ("lissten = \"127.0.0.1:1\"", &["unknown field", "lissten"]),
        ("[limits]\nframe_maxx = 1", &["unknown field", "frame_maxx"]),
        ("[limits]\nframe_max = 100", &["frame_max 100", "4096"]),
        ("[limits]\nmax_message_size = 0", &["max_message_size"]),
        ("[limits]\nmax_message_size = 600000000", &["max_message_size"]),
        ("[limits]\nhandshake_timeout_ms = 0", &["handshake_timeout_ms"]),
        ("[limits]\nchannel_max = 70000", &["channel_max"]),
        ("vhosts = [\"/\", \"/\"]", &["vhost '/' is configured twice"]),
        ("vhosts = [\"\"]", &["empty name"]),
        ("[[users]]\nname = \"a\"", &["user 'a'", "exactly one of password and password_hash"]),
        (
            "[[users]]\nname = \"a\"\npassword = \"p\"\npassword_hash = \"QIzaIKbqHkGoHTrbwSRgatUm9bOzFWmn6lh8gRBmi9AzBVH9\"",
            &["user 'a'", "exactly one"],
        ),
        ("[[users]]\nname = \"a\"\npassword = \"\"", &["user 'a'", "empty password"]),
        ("[[users]]\nname = \"a\"\npassword_hash = \"!!\"", &["user 'a'", "base64"]),
        ("[[users]]\nname = \"a\"\npassword_hash = \"c2hvcnQ=\"", &["user 'a'", "36", "MD5"]),
        (
            "[[users]]\nname = \"a\"\npassword_hash = \"QIzaIKbqHkGoHTrbwSRgatUm9bOzFWmn6lh8gRBmi9AzBVH9\"\nhashing_algorithm = \"rabbit_password_hashing_sha512\"",
            &["user 'a'", "sha256"],
        ),
        (
            "[[users]]\nname = \"a\"\npassword = \"p\"\nhashing_algorithm = \"rabbit_password_hashing_md5\"",
            &["user 'a'", "unknown hashing_algorithm"],
        ),
        ("[[users]]\nname = \"a\"\npasword = \"p\"", &["unknown field", "pasword"]),
        ("[[users]]\nname = \"\"\npassword = \"p\"", &["empty name"]),
        (
            "[[users]]\nname = \"a\"\npassword = \"p\"\n[[users]]\nname = \"a\"\npassword = \"q\"",
            &["user 'a' is configured twice"],
        ),
        (
            "[[users]]\nname = \"a\"\npassword = \"p\"\n[[users.permissions]]\nvhost = \"nope\"\nconfigure = \"\"\nwrite = \"\"\nread = \"\"",
            &["user 'a'", "vhost 'nope'", "not configured"],
        ),
        (
            "[[users]]\nname = \"a\"\npassword = \"p\"\n[[users.permissions]]\nvhost = \"/\"\nconfigure = \"(\"\nwrite = \"\"\nread = \"\"",
            &["user 'a'", "configure pattern", "regular expression"],
        ),
        (
            "[[users]]\nname = \"a\"\npassword = \"p\"\n[[users.permissions]]\nvhost = \"/\"\nconfigure = \".*\"",
            &["missing field", "write"],
        ),
        (
            "[[users]]\nname = \"a\"\npassword = \"p\"\n[[users.permissions]]\nvhost = \"/\"\nconfigure = \"\"\nwrite = \"\"\nread = \"\"\n[[users.permissions]]\nvhost = \"/\"\nconfigure = \"\"\nwrite = \"\"\nread = \"\"",
            &["given twice"],
        ),
        ("this is not toml", &["<string>"]),
    ];
    for (toml, needles) in cases {
        let text = error(toml);
        for needle in *needles {
            assert!(
                text.contains(needle),
                "error for {toml:?} should mention {needle:?}: {text}"
            );
        }
    }
}

#[test]
fn a_failed_apply_leaves_the_config_unchanged() {
    let mut config = BrokerConfig::ephemeral();
    let file = ConfigFile::parse(
        r#"
        vhosts = ["other"]
        [[users]]
        name = "a"
        password = "p"
        [[users.permissions]]
        vhost = "missing"
        configure = ""
        write = ""
        read = ""
        "#,
    )
    .unwrap();
    assert!(file.apply(&mut config).is_err());
    assert_eq!(config.vhosts, vec!["/".to_string()]);
    assert_eq!(config.users[0].name, "guest");
}

#[test]
fn unreadable_file() {
    let err = BrokerConfig::from_file("/nonexistent/warren.toml".as_ref()).unwrap_err();
    assert!(matches!(err, ConfigError::Read { .. }), "{err:?}");
    assert!(err.to_string().contains("/nonexistent/warren.toml"));
}

#[test]
fn parse_errors_name_the_file() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join(format!("warren-config-test-{}.toml", std::process::id()));
    std::fs::write(&path, "vhosts = [\n").unwrap();
    let err = BrokerConfig::from_file(&path).unwrap_err();
    std::fs::remove_file(&path).unwrap();
    assert!(matches!(err, ConfigError::Parse { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err}"
    );
}

/// Hashes made by RabbitMQ 3.10.8 (`rabbitmqctl eval 'base64:encode(rabbit_password:hash(
/// rabbit_password_hashing_sha256, <<"monitor-secret">>)).'`, and SHA-512 of "correct horse"),
/// and a plain-text password, logging in to a broker started from the file.
#[tokio::test]
async fn stored_hashes_and_hashed_passwords_log_in() {
    let config = load(
        r#"
        vhosts = ["/", "v"]

        [[users]]
        name = "monitor"
        password_hash = "QIzaIKbqHkGoHTrbwSRgatUm9bOzFWmn6lh8gRBmi9AzBVH9"
        hashing_algorithm = "rabbit_password_hashing_sha256"
        [[users.permissions]]
        vhost = "v"
        configure = ""
        write = ""
        read = ".*"

        [[users]]
        name = "horse"
        password_hash = "/0bHWYgyN/g5nFvAVIb5nlxBc3WUMgCBkXmP58e3V8fYx2tgupxRfdWlz7vjzO1KDIDUlapKUMSYAUuZtQOJNiLkDz0="
        [[users.permissions]]
        vhost = "/"
        configure = ".*"
        write = ".*"
        read = ".*"

        [[users]]
        name = "plain"
        password = "plain-pw"
        [[users.permissions]]
        vhost = "v"
        configure = ".*"
        write = ".*"
        read = ".*"
        "#,
    )
    .unwrap();
    let broker = support::start_with(config).await;
    let addr = broker.local_addr();
    for (user, password, vhost) in [
        ("monitor", "monitor-secret", "v"),
        ("horse", "correct horse", "%2f"),
        ("plain", "plain-pw", "v"),
    ] {
        let conn = Connection::connect(&format!("amqp://{user}:{password}@{addr}/{vhost}"))
            .await
            .unwrap_or_else(|e| panic!("{user}: {e}"));
        conn.open_channel().await.unwrap();
        conn.close().await.unwrap();
        let wrong = Connection::connect(&format!("amqp://{user}:wrong@{addr}/{vhost}")).await;
        assert!(
            matches!(wrong, Err(Error::AuthenticationFailed(_))),
            "{user} with a wrong password: {wrong:?}"
        );
    }
    // The default guest is gone once users are configured.
    let guest = Connection::connect(&broker.amqp_uri()).await;
    assert!(
        matches!(guest, Err(Error::AuthenticationFailed(_))),
        "{guest:?}"
    );
    // What the broker keeps is the hash.
    let users = broker.state().users.read();
    let plain = users.get("plain").unwrap();
    assert!(!plain.password.to_stored().contains("plain-pw"));
    assert!(plain.password.verify("plain-pw"));
}
