//! `ConnectionOptions::from_uri` / `from_uris` against RabbitMQ's URI spec
//! (<https://www.rabbitmq.com/docs/uri-spec>) and its query parameters
//! (<https://www.rabbitmq.com/docs/uri-query-parameters>).

use std::path::PathBuf;
use std::time::Duration;

use warren_core::client::{ConnectionOptions, HostAddr, TlsOptions};
use warren_core::proto::{AuthMechanism, ConnectionConfig, Credentials};
use warren_core::Error;

fn parse(uri: &str) -> ConnectionOptions {
    ConnectionOptions::from_uri(uri).unwrap_or_else(|e| panic!("{uri:?} should parse: {e}"))
}

fn host(host: &str, port: u16) -> HostAddr {
    HostAddr::new(host, port)
}

fn tls_host(host: &str, port: u16) -> HostAddr {
    HostAddr {
        tls: Some(TlsOptions::default()),
        ..HostAddr::new(host, port)
    }
}

fn creds(username: &str, password: &str) -> Credentials {
    Credentials {
        username: username.into(),
        password: password.into(),
    }
}

#[track_caller]
fn assert_invalid(uri: &str) {
    match ConnectionOptions::from_uri(uri) {
        Err(Error::InvalidUri(_)) => {}
        Err(other) => panic!("{uri:?}: expected Error::InvalidUri, got {other:?}"),
        Ok(opts) => panic!("{uri:?}: expected Error::InvalidUri, parsed as {opts:?}"),
    }
}

// ---- scheme, host, port ----------------------------------------------------------------------

#[test]
fn localhost_has_rabbitmq_defaults() {
    let opts = parse("amqp://localhost");
    let default = ConnectionConfig::default();
    assert_eq!(opts.hosts, vec![host("localhost", 5672)]);
    assert!(opts.hosts[0].tls.is_none());
    assert_eq!(opts.config.credentials, creds("guest", "guest"));
    assert_eq!(opts.config.vhost, "/");
    assert_eq!(opts.config.mechanism, AuthMechanism::Plain);
    assert_eq!(opts.config.heartbeat, default.heartbeat);
    assert_eq!(opts.config.frame_max, default.frame_max);
    assert_eq!(opts.config.channel_max, default.channel_max);
    assert_eq!(opts.config.connection_name, None);
    assert_eq!(
        opts.connection_timeout,
        ConnectionOptions::default().connection_timeout
    );
}

#[test]
fn bare_scheme_means_localhost_with_defaults() {
    let opts = parse("amqp://");
    assert_eq!(opts.hosts, vec![host("localhost", 5672)]);
    assert_eq!(opts.config.credentials, creds("guest", "guest"));
    assert_eq!(opts.config.vhost, "/");
}

#[test]
fn amqps_defaults_to_port_5671_and_tls() {
    let opts = parse("amqps://broker.example");
    assert_eq!(opts.hosts, vec![tls_host("broker.example", 5671)]);
    assert_eq!(opts.hosts[0].tls, Some(TlsOptions::default()));
}

#[test]
fn explicit_port_overrides_default() {
    assert_eq!(parse("amqp://h:10000").hosts, vec![host("h", 10000)]);
    assert_eq!(parse("amqps://h:5672").hosts, vec![tls_host("h", 5672)]);
    // The default port written out is still that port.
    assert_eq!(parse("amqp://h:5672").hosts, vec![host("h", 5672)]);
}

#[test]
fn scheme_is_case_insensitive() {
    let opts = parse("AMQPS://h");
    assert_eq!(opts.hosts, vec![tls_host("h", 5671)]);
    assert!(opts.hosts[0].tls.is_some());
}

#[test]
fn ipv6_host_in_brackets() {
    let opts = parse("amqp://[::1]");
    assert_eq!(opts.hosts, vec![host("::1", 5672)]);
    let opts = parse("amqps://u:p@[fe80::1:2]:5999/v");
    assert_eq!(opts.hosts, vec![tls_host("fe80::1:2", 5999)]);
    assert_eq!(opts.config.credentials, creds("u", "p"));
    assert_eq!(opts.config.vhost, "v");
}

#[test]
fn ipv4_host() {
    assert_eq!(
        parse("amqp://192.168.0.7:5673").hosts,
        vec![host("192.168.0.7", 5673)]
    );
}

#[test]
fn port_without_host_means_localhost() {
    assert_eq!(parse("amqp://:10000").hosts, vec![host("localhost", 10000)]);
}

#[test]
fn bad_scheme_is_invalid() {
    assert_invalid("http://localhost");
    assert_invalid("amqpx://localhost");
    assert_invalid("localhost:5672");
    assert_invalid("not a uri");
    assert_invalid("");
}

#[test]
fn bad_port_is_invalid() {
    assert_invalid("amqp://h:99999");
    assert_invalid("amqp://h:65536");
    assert_invalid("amqp://h:port");
    assert_invalid("amqp://h:-1");
}

// ---- userinfo ----------------------------------------------------------------------------------

#[test]
fn user_and_password() {
    let opts = parse("amqp://user:pass@host:10000/vhost");
    assert_eq!(opts.hosts, vec![host("host", 10000)]);
    assert_eq!(opts.config.credentials, creds("user", "pass"));
    assert_eq!(opts.config.vhost, "vhost");
}

#[test]
fn spec_example_percent_decodes_every_part() {
    // The spec's own example: every component is percent-decoded.
    let opts = parse("amqp://user%61:%61pass@ho%61st:10000/v%2fhost");
    assert_eq!(opts.config.credentials, creds("usera", "apass"));
    assert_eq!(opts.hosts, vec![host("hoast", 10000)]);
    assert_eq!(opts.config.vhost, "v/host");
}

#[test]
fn userinfo_reserved_characters_are_percent_decoded() {
    let opts = parse("amqp://us%40er%3Aname:p%40ss%3Aw%2Fo%25rd%20x@h");
    assert_eq!(
        opts.config.credentials,
        creds("us@er:name", "p@ss:w/o%rd x")
    );
    // UTF-8 as percent-encoded octets.
    let opts = parse("amqp://j%C3%BCrgen:%E2%82%AC@h");
    assert_eq!(opts.config.credentials, creds("jürgen", "€"));
}

#[test]
fn user_without_password() {
    let opts = parse("amqp://alice@h");
    assert_eq!(opts.config.credentials.username, "alice");
}

#[test]
fn user_without_password_keeps_default_password() {
    let opts = parse("amqp://user@h");
    assert_eq!(opts.config.credentials, creds("user", "guest"));
}

#[test]
fn invalid_utf8_in_userinfo_is_invalid() {
    assert_invalid("amqp://%ff:p@h");
}

// ---- vhost -------------------------------------------------------------------------------------

#[test]
fn vhost_percent_2f_is_slash() {
    assert_eq!(parse("amqp://h/%2f").config.vhost, "/");
    assert_eq!(parse("amqp://h/%2F").config.vhost, "/");
    assert_eq!(parse("amqp://h:1/%2fprod").config.vhost, "/prod");
}

#[test]
fn named_vhost() {
    assert_eq!(parse("amqp://h/myvhost").config.vhost, "myvhost");
    assert_eq!(parse("amqp://h/my%20vhost").config.vhost, "my vhost");
}

#[test]
fn no_path_is_default_vhost_and_empty_path_is_the_empty_vhost() {
    // RabbitMQ's URI spec: "amqp://host" uses the default vhost "/", while in "amqp://host/"
    // the empty path segment names the vhost "".
    assert_eq!(parse("amqp://h").config.vhost, "/");
    assert_eq!(parse("amqp://h:5672?heartbeat=5").config.vhost, "/");
    assert_eq!(parse("amqp://h/").config.vhost, "");
    assert_eq!(parse("amqp://h:5672/?heartbeat=5").config.vhost, "");
}

#[test]
fn unencoded_slash_in_vhost_is_invalid() {
    assert_invalid("amqp://h/a/b");
    assert_invalid("amqp://h//");
}

// ---- query parameters --------------------------------------------------------------------------

#[test]
fn every_connection_query_parameter() {
    let opts = parse(
        "amqp://h/v?heartbeat=10&frame_max=8192&channel_max=100&connection_timeout=2500\
         &auth_mechanism=amqplain&connection_name=my%20app",
    );
    assert_eq!(opts.config.heartbeat, 10);
    assert_eq!(opts.config.frame_max, 8192);
    assert_eq!(opts.config.channel_max, 100);
    assert_eq!(opts.connection_timeout, Duration::from_millis(2500));
    assert_eq!(opts.config.mechanism, AuthMechanism::AmqPlain);
    assert_eq!(opts.config.connection_name.as_deref(), Some("my app"));
    assert!(opts.hosts[0].tls.is_none());
}

#[test]
fn zero_disables_heartbeat_and_limits() {
    let opts = parse("amqp://h?heartbeat=0&frame_max=0&channel_max=0");
    assert_eq!(opts.config.heartbeat, 0);
    assert_eq!(opts.config.frame_max, 0);
    assert_eq!(opts.config.channel_max, 0);
}

#[test]
fn auth_mechanisms() {
    for (value, mechanism) in [
        ("plain", AuthMechanism::Plain),
        ("PLAIN", AuthMechanism::Plain),
        ("amqplain", AuthMechanism::AmqPlain),
        ("external", AuthMechanism::External),
        ("EXTERNAL", AuthMechanism::External),
    ] {
        let opts = parse(&format!("amqps://h?auth_mechanism={value}"));
        assert_eq!(opts.config.mechanism, mechanism, "auth_mechanism={value}");
    }
}

#[test]
fn every_tls_query_parameter() {
    let opts = parse(
        "amqps://h?cacertfile=/etc/ssl/ca.pem&certfile=/etc/ssl/client.pem\
         &keyfile=/etc/ssl/client%20key.pem&verify=verify_none&server_name_indication=broker.example",
    );
    assert_eq!(
        opts.hosts[0].tls,
        Some(TlsOptions {
            ca_file: Some(PathBuf::from("/etc/ssl/ca.pem")),
            cert_file: Some(PathBuf::from("/etc/ssl/client.pem")),
            key_file: Some(PathBuf::from("/etc/ssl/client key.pem")),
            server_name: Some("broker.example".into()),
            danger_accept_invalid_certs: true,
        })
    );
    let opts = parse("amqps://h?verify=verify_peer");
    assert_eq!(opts.hosts[0].tls, Some(TlsOptions::default()));
}

#[test]
fn tls_parameters_do_not_turn_on_tls_for_amqp() {
    let opts = parse("amqp://h?cacertfile=/ca.pem&verify=verify_none");
    assert!(opts.hosts[0].tls.is_none());
}

#[test]
fn unknown_query_parameters_are_ignored() {
    let opts = parse("amqp://h?fail_if_no_peer_cert=true&depth=3&heartbeat=7");
    assert_eq!(opts.config.heartbeat, 7);
}

#[test]
fn later_query_parameter_wins() {
    assert_eq!(
        parse("amqp://h?heartbeat=5&heartbeat=9").config.heartbeat,
        9
    );
}

#[test]
fn bad_query_values_are_invalid() {
    for query in [
        "heartbeat=abc",
        "heartbeat=-1",
        "heartbeat=65536",
        "heartbeat=",
        "frame_max=big",
        "frame_max=4294967296",
        "channel_max=65536",
        "channel_max=1.5",
        "connection_timeout=soon",
        "connection_timeout=-5",
        "auth_mechanism=cram-md5",
        "auth_mechanism=",
        "verify=maybe",
        "verify=true",
    ] {
        assert_invalid(&format!("amqps://h?{query}"));
    }
}

#[test]
fn frame_max_below_4096_is_invalid() {
    assert_invalid("amqp://h?frame_max=4095");
    assert_invalid("amqp://h?frame_max=1");
    assert_eq!(parse("amqp://h?frame_max=4096").config.frame_max, 4096);
}

// ---- from_uris ---------------------------------------------------------------------------------

#[test]
fn from_uris_collects_hosts_in_order() {
    let opts = ConnectionOptions::from_uris(&[
        "amqp://u:p@h1:1111/v?heartbeat=3",
        "amqp://other:creds@h2/elsewhere?heartbeat=99",
        "amqp://[::1]:3333",
        "amqp://h4",
    ])
    .unwrap();
    assert_eq!(
        opts.hosts,
        vec![
            host("h1", 1111),
            host("h2", 5672),
            host("::1", 3333),
            host("h4", 5672)
        ]
    );
    // Credentials, vhost and settings come from the first URI.
    assert_eq!(opts.config.credentials, creds("u", "p"));
    assert_eq!(opts.config.vhost, "v");
    assert_eq!(opts.config.heartbeat, 3);
}

#[test]
fn from_uris_accepts_owned_strings() {
    let uris = vec![String::from("amqps://a"), String::from("amqps://b:1")];
    let opts = ConnectionOptions::from_uris(&uris).unwrap();
    assert_eq!(opts.hosts, vec![tls_host("a", 5671), tls_host("b", 1)]);
}

#[test]
fn each_uri_keeps_its_own_scheme_port_and_tls() {
    let opts = ConnectionOptions::from_uris(&[
        "amqp://u:p@plain:5672/v",
        "amqps://secure?cacertfile=/ca.pem&server_name_indication=broker",
        "amqps://other:5999",
    ])
    .unwrap();
    let secure_tls = TlsOptions {
        ca_file: Some(PathBuf::from("/ca.pem")),
        server_name: Some("broker".into()),
        ..Default::default()
    };
    assert_eq!(
        opts.hosts,
        vec![
            host("plain", 5672),
            HostAddr {
                tls: Some(secure_tls),
                ..HostAddr::new("secure", 5671)
            },
            tls_host("other", 5999),
        ]
    );
}

#[test]
fn from_uris_single_equals_from_uri() {
    let one = ConnectionOptions::from_uris(&["amqp://u:p@h:1/v"]).unwrap();
    let direct = parse("amqp://u:p@h:1/v");
    assert_eq!(one.hosts, direct.hosts);
    assert_eq!(one.config.credentials, direct.config.credentials);
    assert_eq!(one.config.vhost, direct.config.vhost);
}

#[test]
fn from_uris_rejects_empty_list_and_bad_members() {
    let none: [&str; 0] = [];
    assert!(matches!(
        ConnectionOptions::from_uris(&none),
        Err(Error::InvalidUri(_))
    ));
    assert!(matches!(
        ConnectionOptions::from_uris(&["amqp://h1", "http://h2"]),
        Err(Error::InvalidUri(_))
    ));
    assert!(matches!(
        ConnectionOptions::from_uris(&["amqp://h1", "amqp://h2:99999"]),
        Err(Error::InvalidUri(_))
    ));
}
