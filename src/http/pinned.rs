//! The certificates a request names with `ca:`: trusted as roots for the usual chain
//! verification, and also as the exact certificate a server may present. A plain
//! `openssl req -x509` certificate is marked CA:TRUE, which WebPKI refuses as a server's own
//! certificate (`CaUsedAsEndEntity`); `curl --cacert` accepts it, and so does this verifier when
//! the server's certificate is byte for byte one of those named, still valid, and valid for the
//! host name asked for.

use crate::diagnostic::error_kind::ErrorKind::Io;
use crate::diagnostic::error_kind::TypedError;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, Error, OtherError, SignatureScheme};
use std::path::Path;
use std::sync::Arc;

/// A TLS client configuration trusting the system's roots and the certificates in `path` (PEM).
pub fn client_config(path: &Path) -> Result<rustls::ClientConfig, TypedError> {
    let pem = std::fs::read(path)
        .map_err(|e| Io.error(format!("cannot read the CA {}: {e}", path.display())))?;
    let not_pem = |e: &dyn std::fmt::Display| {
        Io.error(format!("{} is not a PEM certificate: {e}", path.display()))
    };
    let pinned = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| not_pem(&e))?;
    if pinned.is_empty() {
        return Err(not_pem(&"no certificate in it"));
    }
    let provider = rustls::crypto::CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()));
    let setup = |e: Error| Io.error(format!("cannot set up TLS with {}: {e}", path.display()));
    let chain =
        rustls_platform_verifier::Verifier::new_with_extra_roots(pinned.clone(), provider.clone())
            .map_err(setup)?;
    let mut roots = rustls::RootCertStore::empty();
    roots.add_parsable_certificates(pinned.clone());
    let pinned_chain = rustls::client::WebPkiServerVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .build()
    .map_err(|e| Io.error(format!("cannot set up TLS with {}: {e}", path.display())))?;
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(setup)?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(PinnedOrChain {
            chain: Arc::new(chain),
            pinned_chain,
            pinned,
        }))
        .with_no_client_auth())
}

/// A server presenting one of the named certificates: checked against those alone, accepted by
/// exact match when refused only for being a CA, else by the full chain. Any other certificate:
/// the full chain.
#[derive(Debug)]
struct PinnedOrChain {
    /// The system's roots and the named certificates (the platform verifier).
    chain: Arc<dyn ServerCertVerifier>,
    /// The named certificates alone, for a server presenting one of them: the platform
    /// verifier would log its expected refusal as an error.
    pinned_chain: Arc<dyn ServerCertVerifier>,
    pinned: Vec<CertificateDer<'static>>,
}

impl ServerCertVerifier for PinnedOrChain {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let verify = |verifier: &Arc<dyn ServerCertVerifier>| {
            verifier.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        };
        if !self.pinned.iter().any(|pinned| pinned == end_entity) {
            return verify(&self.chain);
        }
        match verify(&self.pinned_chain) {
            // WebPKI checks validity dates before basic constraints: this certificate is current.
            Err(error) if is_ca_used_as_end_entity(&error) => {
                let parsed = rustls::server::ParsedCertificate::try_from(end_entity)?;
                rustls::client::verify_server_name(&parsed, server_name)?;
                Ok(ServerCertVerified::assertion())
            }
            // A pinned certificate a public CA issued: its chain decides.
            Err(_) => verify(&self.chain),
            verified => verified,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.chain.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.chain.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.chain.supported_verify_schemes()
    }
}

fn is_ca_used_as_end_entity(error: &Error) -> bool {
    match error {
        Error::InvalidCertificate(CertificateError::Other(OtherError(inner))) => matches!(
            inner.downcast_ref::<webpki::Error>(),
            Some(webpki::Error::CaUsedAsEndEntity)
        ),
        _ => false,
    }
}
