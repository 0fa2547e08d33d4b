//! `amqps` and host-list connecting against an in-process fake broker.
//!
//! The broker (tokio, and tokio-rustls for TLS, on 127.0.0.1:0) plays the broker side of the
//! AMQP handshake with warren's own codec: it reads the protocol header, offers
//! `PLAIN AMQPLAIN EXTERNAL` in `connection.start`, reads `start-ok`, sends `tune`, reads
//! `tune-ok` and `open`, sends `open-ok`, then answers `channel.open` and `connection.close`,
//! recording what it saw. A CA, a server certificate for `localhost`/127.0.0.1 and a client
//! certificate are generated per test with rcgen and written as PEM files to a temp dir.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use warren_core::client::ConnectionOptions;
use warren_core::codec::{
    decode_frame, encode_method_frame, ChannelCloseOk, ChannelOpenOk, ConnectionClose,
    ConnectionCloseOk, ConnectionOpen, ConnectionOpenOk, ConnectionStart, ConnectionStartOk,
    ConnectionTune, ConnectionTuneOk, FieldTable, Frame, LongString, Method, PROTOCOL_HEADER,
};
use warren_core::{Connection, Error};

/// Upper bound for anything a test waits on, so a regression fails instead of hanging.
const TEST_LIMIT: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------------------------------------
// Certificates
// ---------------------------------------------------------------------------------------------

/// A CA, a server certificate it signed for `localhost` and 127.0.0.1, and a client
/// certificate it signed, with the PEM files the client reads.
struct Pki {
    _dir: tempfile::TempDir,
    ca_file: PathBuf,
    ca_der: CertificateDer<'static>,
    server_chain: Vec<CertificateDer<'static>>,
    server_key: PrivatePkcs8KeyDer<'static>,
    client_cert_file: PathBuf,
    client_key_file: PathBuf,
    client_der: CertificateDer<'static>,
}

impl Pki {
    fn new() -> Pki {
        let dir = tempfile::tempdir().expect("temp dir");

        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "Warren test CA");
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_key = KeyPair::generate().unwrap();
        let ca_cert = ca_params.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca_params, ca_key);

        let mut server_params =
            CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
        server_params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let server_key = KeyPair::generate().unwrap();
        let server_cert = server_params.signed_by(&server_key, &issuer).unwrap();

        let mut client_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        client_params
            .distinguished_name
            .push(DnType::CommonName, "warren-client");
        client_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let client_key = KeyPair::generate().unwrap();
        let client_cert = client_params.signed_by(&client_key, &issuer).unwrap();

        let write = |name: &str, pem: String| {
            let path = dir.path().join(name);
            std::fs::write(&path, pem).unwrap();
            path
        };
        let ca_file = write("ca_certificate.pem", ca_cert.pem());
        let client_cert_file = write("client_certificate.pem", client_cert.pem());
        let client_key_file = write("client_key.pem", client_key.serialize_pem());

        Pki {
            ca_file,
            ca_der: ca_cert.der().clone(),
            server_chain: vec![server_cert.der().clone()],
            server_key: PrivatePkcs8KeyDer::from(server_key.serialize_der()),
            client_cert_file,
            client_key_file,
            client_der: client_cert.der().clone(),
            _dir: dir,
        }
    }

    /// The broker's TLS acceptor; with `require_client_cert`, only clients presenting a
    /// certificate signed by the CA are accepted.
    fn acceptor(&self, require_client_cert: bool) -> TlsAcceptor {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .unwrap();
        let builder = if require_client_cert {
            let mut roots = rustls::RootCertStore::empty();
            roots.add(self.ca_der.clone()).unwrap();
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            )
            .build()
            .unwrap();
            builder.with_client_cert_verifier(verifier)
        } else {
            builder.with_no_client_auth()
        };
        let config = builder
            .with_single_cert(
                self.server_chain.clone(),
                PrivateKeyDer::Pkcs8(self.server_key.clone_key()),
            )
            .unwrap();
        TlsAcceptor::from(Arc::new(config))
    }
}

/// A path as a query-parameter value.
fn q(path: &Path) -> String {
    url::form_urlencoded::byte_serialize(path.to_str().unwrap().as_bytes()).collect()
}

// ---------------------------------------------------------------------------------------------
// Fake broker
// ---------------------------------------------------------------------------------------------

/// What the fake broker saw on its one connection.
#[derive(Debug, Default)]
struct Seen {
    /// Certificates the client presented during the TLS handshake.
    peer_certs: Vec<CertificateDer<'static>>,
    start_ok: Option<ConnectionStartOk>,
    tune_ok: Option<ConnectionTuneOk>,
    open: Option<ConnectionOpen>,
    channels_opened: Vec<u16>,
    close: Option<ConnectionClose>,
}

fn unexpected(what: impl std::fmt::Debug) -> io::Error {
    io::Error::other(format!("fake broker: unexpected {what:?}"))
}

struct Wire<S> {
    stream: S,
    buf: BytesMut,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Wire<S> {
    async fn send(&mut self, channel: u16, method: Method) -> io::Result<()> {
        let mut out = BytesMut::new();
        encode_method_frame(&mut out, channel, &method);
        self.stream.write_all(&out).await?;
        self.stream.flush().await
    }

    /// The next frame, or `None` at end of stream.
    async fn recv(&mut self) -> io::Result<Option<Frame>> {
        loop {
            if let Some(frame) = decode_frame(&mut self.buf, 0).map_err(io::Error::other)? {
                return Ok(Some(frame));
            }
            if self.stream.read_buf(&mut self.buf).await? == 0 {
                return Ok(None);
            }
        }
    }

    /// The next method on channel 0, skipping heartbeats.
    async fn recv_method(&mut self) -> io::Result<Method> {
        loop {
            match self.recv().await? {
                Some(Frame::Heartbeat(0)) => {}
                Some(Frame::Method(0, method)) => return Ok(method),
                other => return Err(unexpected(other)),
            }
        }
    }
}

/// Plays the broker side of one AMQP connection over `stream`.
async fn amqp_session<S>(stream: S, seen: &mut Seen) -> io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut wire = Wire {
        stream,
        buf: BytesMut::new(),
    };
    let mut header = [0u8; 8];
    wire.stream.read_exact(&mut header).await?;
    if &header != PROTOCOL_HEADER {
        return Err(unexpected(header));
    }
    let mut server_properties = FieldTable::new();
    server_properties.insert("product", "fake broker").unwrap();
    let start = ConnectionStart {
        version_major: 0,
        version_minor: 9,
        server_properties,
        mechanisms: LongString::from("PLAIN AMQPLAIN EXTERNAL"),
        locales: LongString::from("en_US"),
    };
    wire.send(0, start.into()).await?;
    match wire.recv_method().await? {
        Method::ConnectionStartOk(m) => seen.start_ok = Some(m),
        other => return Err(unexpected(other)),
    }
    let tune = ConnectionTune {
        channel_max: 2047,
        frame_max: 131_072,
        heartbeat: 0,
    };
    wire.send(0, tune.into()).await?;
    match wire.recv_method().await? {
        Method::ConnectionTuneOk(m) => seen.tune_ok = Some(m),
        other => return Err(unexpected(other)),
    }
    match wire.recv_method().await? {
        Method::ConnectionOpen(m) => seen.open = Some(m),
        other => return Err(unexpected(other)),
    }
    wire.send(0, ConnectionOpenOk::default().into()).await?;
    loop {
        match wire.recv().await? {
            None => return Ok(()),
            Some(Frame::Heartbeat(_)) => {}
            Some(Frame::Method(ch, Method::ChannelOpen(_))) if ch != 0 => {
                seen.channels_opened.push(ch);
                wire.send(ch, ChannelOpenOk::default().into()).await?;
            }
            Some(Frame::Method(ch, Method::ChannelClose(_))) if ch != 0 => {
                wire.send(ch, ChannelCloseOk {}.into()).await?;
            }
            Some(Frame::Method(0, Method::ConnectionClose(close))) => {
                seen.close = Some(close);
                wire.send(0, ConnectionCloseOk {}.into()).await?;
                let _ = wire.stream.shutdown().await;
                return Ok(());
            }
            Some(other) => return Err(unexpected(other)),
        }
    }
}

/// Starts a broker that serves one connection, over TLS when `tls` is given. The handle
/// yields what it saw, or why the connection failed.
async fn spawn_broker(tls: Option<TlsAcceptor>) -> (u16, JoinHandle<io::Result<Seen>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await?;
        let mut seen = Seen::default();
        match tls {
            None => amqp_session(tcp, &mut seen).await?,
            Some(acceptor) => {
                let stream = acceptor.accept(tcp).await?;
                seen.peer_certs = stream
                    .get_ref()
                    .1
                    .peer_certificates()
                    .unwrap_or(&[])
                    .to_vec();
                amqp_session(stream, &mut seen).await?;
            }
        }
        Ok(seen)
    });
    (port, task)
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// A listener that accepts connections and keeps them open without ever writing.
async fn silent_listener() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    port
}

async fn connect(uri: &str) -> Result<Connection, Error> {
    tokio::time::timeout(TEST_LIMIT, Connection::connect(uri))
        .await
        .unwrap_or_else(|_| panic!("connecting to {uri} hung"))
}

async fn connect_with(opts: ConnectionOptions) -> Result<Connection, Error> {
    tokio::time::timeout(TEST_LIMIT, Connection::connect_with(opts))
        .await
        .expect("connect_with hung")
}

async fn broker_result(task: JoinHandle<io::Result<Seen>>) -> io::Result<Seen> {
    tokio::time::timeout(TEST_LIMIT, task)
        .await
        .expect("fake broker hung")
        .expect("fake broker panicked")
}

/// Opens a channel and closes the connection, then returns what the broker saw.
async fn exercise(conn: Connection, broker: JoinHandle<io::Result<Seen>>) -> Seen {
    let channel = tokio::time::timeout(TEST_LIMIT, conn.open_channel())
        .await
        .expect("open_channel hung")
        .expect("open_channel");
    tokio::time::timeout(TEST_LIMIT, conn.close())
        .await
        .expect("close hung")
        .expect("close");
    drop(channel);
    let seen = broker_result(broker).await.expect("fake broker failed");
    assert_eq!(seen.channels_opened, vec![1]);
    let close = seen.close.as_ref().expect("broker saw connection.close");
    assert_eq!(close.reply_code, 200);
    seen
}

// ---------------------------------------------------------------------------------------------
// TLS
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn amqps_with_custom_ca_completes_handshake() {
    let pki = Pki::new();
    let (port, broker) = spawn_broker(Some(pki.acceptor(false))).await;
    let uri = format!(
        "amqps://localhost:{port}/%2f?cacertfile={}",
        q(&pki.ca_file)
    );
    let conn = connect(&uri).await.expect("amqps connect");
    assert_eq!(conn.host().port, port);
    assert_eq!(
        conn.server_properties()
            .get("product")
            .and_then(|v| v.as_str())
            .as_deref(),
        Some("fake broker")
    );
    let seen = exercise(conn, broker).await;
    assert!(
        seen.peer_certs.is_empty(),
        "no client certificate was configured"
    );
    let start_ok = seen.start_ok.unwrap();
    assert_eq!(start_ok.mechanism.as_str(), "PLAIN");
    assert_eq!(start_ok.response.as_bytes(), b"\0guest\0guest");
    let tune_ok = seen.tune_ok.unwrap();
    assert_eq!(tune_ok.frame_max, 131_072);
    assert_eq!(seen.open.unwrap().virtual_host.as_str(), "/");
}

#[tokio::test]
async fn amqps_to_ip_address_matches_ip_san() {
    let pki = Pki::new();
    let (port, broker) = spawn_broker(Some(pki.acceptor(false))).await;
    let uri = format!("amqps://127.0.0.1:{port}?cacertfile={}", q(&pki.ca_file));
    let conn = connect(&uri).await.expect("amqps connect by IP");
    exercise(conn, broker).await;
}

#[tokio::test]
async fn client_certificate_and_external_auth() {
    let pki = Pki::new();
    let (port, broker) = spawn_broker(Some(pki.acceptor(true))).await;
    let uri = format!(
        "amqps://localhost:{port}?cacertfile={}&certfile={}&keyfile={}&auth_mechanism=external",
        q(&pki.ca_file),
        q(&pki.client_cert_file),
        q(&pki.client_key_file),
    );
    let conn = connect(&uri).await.expect("amqps connect with client cert");
    let seen = exercise(conn, broker).await;
    assert_eq!(seen.peer_certs, vec![pki.client_der.clone()]);
    let start_ok = seen.start_ok.unwrap();
    assert_eq!(start_ok.mechanism.as_str(), "EXTERNAL");
    assert!(
        start_ok.response.is_empty(),
        "EXTERNAL sends an empty response, got {:?}",
        start_ok.response
    );
}

#[tokio::test]
async fn server_requiring_client_certificate_refuses_client_without_one() {
    let pki = Pki::new();
    let (port, broker) = spawn_broker(Some(pki.acceptor(true))).await;
    let uri = format!(
        "amqps://localhost:{port}?cacertfile={}&connection_timeout=5000",
        q(&pki.ca_file)
    );
    let err = connect(&uri)
        .await
        .expect_err("server requires a client cert");
    // With TLS 1.3 the client learns of the refusal from an alert after its side of the
    // handshake, so it may surface as a TLS or an I/O error; never as a timeout.
    assert!(
        matches!(err, Error::Tls(_) | Error::Io(_)),
        "unexpected error {err:?}"
    );
    assert!(broker_result(broker).await.is_err());
}

#[tokio::test]
async fn untrusted_server_fails_with_system_roots() {
    let pki = Pki::new();
    let (port, _broker) = spawn_broker(Some(pki.acceptor(false))).await;
    let err = connect(&format!("amqps://localhost:{port}"))
        .await
        .expect_err("the test CA is not a system root");
    assert!(
        matches!(err, Error::Tls(_)),
        "expected Error::Tls, got {err:?}"
    );
}

#[tokio::test]
async fn verify_none_accepts_untrusted_server() {
    let pki = Pki::new();
    let (port, broker) = spawn_broker(Some(pki.acceptor(false))).await;
    let conn = connect(&format!("amqps://localhost:{port}?verify=verify_none"))
        .await
        .expect("verify_none connect");
    exercise(conn, broker).await;
}

#[tokio::test]
async fn verify_peer_is_the_default() {
    let pki = Pki::new();
    let (port, _broker) = spawn_broker(Some(pki.acceptor(false))).await;
    let err = connect(&format!("amqps://localhost:{port}?verify=verify_peer"))
        .await
        .expect_err("verify_peer with system roots");
    assert!(
        matches!(err, Error::Tls(_)),
        "expected Error::Tls, got {err:?}"
    );
}

#[tokio::test]
async fn wrong_server_name_indication_fails() {
    let pki = Pki::new();
    let (port, _broker) = spawn_broker(Some(pki.acceptor(false))).await;
    let uri = format!(
        "amqps://localhost:{port}?cacertfile={}&server_name_indication=wrong.example",
        q(&pki.ca_file)
    );
    let err = connect(&uri)
        .await
        .expect_err("certificate is not for wrong.example");
    assert!(
        matches!(err, Error::Tls(_)),
        "expected Error::Tls, got {err:?}"
    );
}

#[tokio::test]
async fn server_name_indication_overrides_host() {
    // Connect by an address the certificate does not name, and check it as "localhost".
    let pki = Pki::new();
    let (port, broker) = spawn_broker(Some(pki.acceptor(false))).await;
    let mut opts = ConnectionOptions::from_uri(&format!(
        "amqps://localhost:{port}?cacertfile={}&server_name_indication=localhost",
        q(&pki.ca_file)
    ))
    .unwrap();
    opts.hosts[0].host = "127.0.0.1".into();
    let conn = connect_with(opts)
        .await
        .expect("SNI localhost on 127.0.0.1");
    exercise(conn, broker).await;
}

#[tokio::test]
async fn missing_ca_file_is_a_tls_error() {
    let pki = Pki::new();
    let (port, _broker) = spawn_broker(Some(pki.acceptor(false))).await;
    let missing = pki.ca_file.with_file_name("no_such_ca.pem");
    let err = connect(&format!(
        "amqps://localhost:{port}?cacertfile={}",
        q(&missing)
    ))
    .await
    .expect_err("CA file does not exist");
    assert!(
        matches!(err, Error::Tls(_)),
        "expected Error::Tls, got {err:?}"
    );
}

#[tokio::test]
async fn tls_handshake_counts_against_connection_timeout() {
    let port = silent_listener().await;
    let started = Instant::now();
    let err = connect(&format!(
        "amqps://localhost:{port}?verify=verify_none&connection_timeout=200"
    ))
    .await
    .expect_err("server never answers the ClientHello");
    assert!(
        matches!(err, Error::ConnectTimeout(_)),
        "expected Error::ConnectTimeout, got {err:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(1));
}

// ---------------------------------------------------------------------------------------------
// Host list and connection timeout (plain TCP)
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn host_list_skips_closed_port() {
    let dead = closed_port();
    let (port, broker) = spawn_broker(None).await;
    let opts = ConnectionOptions::from_uris(&[
        format!("amqp://u:p@127.0.0.1:{dead}/vh"),
        format!("amqp://127.0.0.1:{port}"),
    ])
    .unwrap();
    let conn = connect_with(opts).await.expect("second host");
    assert_eq!(conn.host().port, port);
    let seen = exercise(conn, broker).await;
    // Credentials and vhost come from the first URI.
    assert_eq!(seen.start_ok.unwrap().response.as_bytes(), b"\0u\0p");
    assert_eq!(seen.open.unwrap().virtual_host.as_str(), "vh");
}

#[tokio::test]
async fn host_list_skips_host_that_times_out() {
    let silent = silent_listener().await;
    let (port, broker) = spawn_broker(None).await;
    let opts = ConnectionOptions::from_uris(&[
        format!("amqp://127.0.0.1:{silent}?connection_timeout=200"),
        format!("amqp://127.0.0.1:{port}"),
    ])
    .unwrap();
    let started = Instant::now();
    let conn = connect_with(opts).await.expect("second host");
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(conn.host().port, port);
    exercise(conn, broker).await;
}

#[tokio::test]
async fn all_hosts_failing_is_all_hosts_failed() {
    let opts = ConnectionOptions::from_uris(&[
        format!("amqp://127.0.0.1:{}", closed_port()),
        format!("amqp://127.0.0.1:{}", closed_port()),
    ])
    .unwrap();
    let err = connect_with(opts).await.expect_err("nothing listens");
    match err {
        Error::AllHostsFailed(last) => {
            assert!(matches!(*last, Error::Io(_)), "last error {last:?}")
        }
        other => panic!("expected Error::AllHostsFailed, got {other:?}"),
    }
}

#[tokio::test]
async fn all_hosts_failed_keeps_the_last_error() {
    let silent = silent_listener().await;
    let opts = ConnectionOptions::from_uris(&[
        format!("amqp://127.0.0.1:{}?connection_timeout=200", closed_port()),
        format!("amqp://127.0.0.1:{silent}"),
    ])
    .unwrap();
    let err = connect_with(opts).await.expect_err("nothing answers");
    match err {
        Error::AllHostsFailed(last) => assert!(
            matches!(*last, Error::ConnectTimeout(_)),
            "last error {last:?}"
        ),
        other => panic!("expected Error::AllHostsFailed, got {other:?}"),
    }
}

#[tokio::test]
async fn single_closed_host_reports_its_own_error() {
    let err = connect(&format!("amqp://127.0.0.1:{}", closed_port()))
        .await
        .expect_err("nothing listens");
    assert!(
        matches!(err, Error::Io(_)),
        "expected Error::Io, got {err:?}"
    );
}

#[tokio::test]
async fn silent_server_gives_connect_timeout() {
    let port = silent_listener().await;
    let started = Instant::now();
    let err = connect(&format!("amqp://127.0.0.1:{port}?connection_timeout=200"))
        .await
        .expect_err("the server never speaks");
    let elapsed = started.elapsed();
    assert!(
        matches!(err, Error::ConnectTimeout(_)),
        "expected Error::ConnectTimeout, got {err:?}"
    );
    assert!(
        elapsed >= Duration::from_millis(150) && elapsed < Duration::from_secs(1),
        "timed out after {elapsed:?}"
    );
}
