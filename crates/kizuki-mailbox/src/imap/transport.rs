//! The byte stream under an IMAP session: TCP, or TLS over TCP (rustls
//! with the ring provider, the one lettre already brings in).

use std::io;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use crate::error::{MailboxError, Result};

/// A plain or TLS connection.
pub(crate) enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// The TLS settings for one server: whom to trust and the name to check.
#[derive(Clone)]
pub(crate) struct Tls {
    connector: TlsConnector,
    name: ServerName<'static>,
}

impl Tls {
    /// Trusts the certificates in `ca_file` if given, else the public roots.
    pub(crate) fn new(host: &str, ca_file: Option<&Path>) -> Result<Tls> {
        let mut roots = rustls::RootCertStore::empty();
        match ca_file {
            Some(path) => load_ca_file(&mut roots, path)?,
            None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| MailboxError::Config {
                reason: format!("TLS set-up: {e}"),
            })?
            .with_root_certificates(roots)
            .with_no_client_auth();
        // An IPv6 literal may be written in brackets; the name to check is
        // the address inside.
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let name = ServerName::try_from(bare.to_owned()).map_err(|e| MailboxError::Config {
            reason: format!("host {host:?} is not a valid TLS server name: {e}"),
        })?;
        Ok(Tls {
            connector: TlsConnector::from(Arc::new(config)),
            name,
        })
    }

    /// Runs the TLS handshake over `tcp`.
    pub(crate) async fn wrap(&self, tcp: TcpStream) -> io::Result<Stream> {
        let tls = self.connector.connect(self.name.clone(), tcp).await?;
        Ok(Stream::Tls(Box::new(tls)))
    }
}

fn load_ca_file(roots: &mut rustls::RootCertStore, path: &Path) -> Result<()> {
    let bad = |reason: String| MailboxError::CaFile {
        path: path.to_path_buf(),
        reason,
    };
    let iter = CertificateDer::pem_file_iter(path).map_err(|e| bad(e.to_string()))?;
    let mut added = 0usize;
    for cert in iter {
        let cert = cert.map_err(|e| bad(e.to_string()))?;
        roots
            .add(cert)
            .map_err(|e| bad(format!("a certificate cannot be used as a CA: {e}")))?;
        added += 1;
    }
    if added == 0 {
        return Err(bad("no PEM certificate in it".to_owned()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn ca_files_must_hold_certificates() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let Err(err) = Tls::new("localhost", Some(&empty)) else {
            panic!("an empty CA file was accepted");
        };
        assert!(err.to_string().contains("no PEM certificate"), "{err}");
        let Err(err) = Tls::new("localhost", Some(&dir.path().join("missing.pem"))) else {
            panic!("a missing CA file was accepted");
        };
        assert!(err.to_string().contains("missing.pem"), "{err}");
    }

    #[test]
    fn names_and_addresses_are_server_names() {
        assert!(Tls::new("imap.example.jp", None).is_ok());
        assert!(Tls::new("127.0.0.1", None).is_ok());
        assert!(Tls::new("[::1]", None).is_ok());
        assert!(Tls::new("bad name", None).is_err());
    }
}
