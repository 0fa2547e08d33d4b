//! TLS for `amqps` with rustls: system or custom CA roots, optional client certificate.

use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

use super::options::TlsOptions;
use crate::error::{Error, Result};

fn tls_err(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Tls(format!("{what}: {e}"))
}

fn read_certs(path: &std::path::Path) -> Result<Vec<CertificateDer<'static>>> {
    let data =
        std::fs::read(path).map_err(|e| tls_err(&format!("reading {}", path.display()), e))?;
    rustls_pemfile::certs(&mut data.as_slice())
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| tls_err(&format!("parsing {}", path.display()), e))
}

fn read_key(path: &std::path::Path) -> Result<PrivateKeyDer<'static>> {
    let data =
        std::fs::read(path).map_err(|e| tls_err(&format!("reading {}", path.display()), e))?;
    rustls_pemfile::private_key(&mut data.as_slice())
        .map_err(|e| tls_err(&format!("parsing {}", path.display()), e))?
        .ok_or_else(|| Error::Tls(format!("no private key in {}", path.display())))
}

/// Builds the rustls client configuration for `opts`.
pub fn client_config(opts: &TlsOptions) -> Result<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_err("protocol versions", e))?;
    let builder = if opts.danger_accept_invalid_certs {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCert(provider)))
    } else {
        let mut roots = rustls::RootCertStore::empty();
        match &opts.ca_file {
            Some(path) => {
                for cert in read_certs(path)? {
                    roots
                        .add(cert)
                        .map_err(|e| tls_err("adding CA certificate", e))?;
                }
            }
            None => {
                let native = rustls_native_certs::load_native_certs();
                roots.add_parsable_certificates(native.certs);
            }
        }
        builder.with_root_certificates(roots)
    };
    match (&opts.cert_file, &opts.key_file) {
        (Some(cert), Some(key)) => builder
            .with_client_auth_cert(read_certs(cert)?, read_key(key)?)
            .map_err(|e| tls_err("client certificate", e)),
        (None, None) => Ok(builder.with_no_client_auth()),
        _ => Err(Error::Tls(
            "certfile and keyfile must be given together".into(),
        )),
    }
}

/// Runs the TLS handshake over `tcp`.
pub async fn connect(
    tcp: TcpStream,
    host: &str,
    opts: &TlsOptions,
) -> Result<TlsStream<TcpStream>> {
    let config = client_config(opts)?;
    let name = opts.server_name.as_deref().unwrap_or(host).to_string();
    let server_name = ServerName::try_from(name).map_err(|e| tls_err("server name", e))?;
    TlsConnector::from(Arc::new(config))
        .connect(server_name, tcp)
        .await
        .map_err(|e| {
            // rustls reports certificate and protocol failures as InvalidData; anything else
            // (a reset, an early EOF) is the network's doing, and worth retrying.
            if e.kind() == std::io::ErrorKind::InvalidData {
                tls_err("handshake", e)
            } else {
                Error::from(e)
            }
        })
}

/// Verifier for `verify=verify_none`: checks signatures but trusts any certificate.
#[derive(Debug)]
struct AcceptAnyCert(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AcceptAnyCert {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> std::result::Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
