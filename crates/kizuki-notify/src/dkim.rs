//! DKIM signing (optional): the key named in `[notify.dkim]`.

use crate::config::DkimConfig;
use crate::error::NotifyError;
use lettre::message::dkim::{
    DkimCanonicalization, DkimCanonicalizationType, DkimConfig as Signer, DkimSigningAlgorithm,
    DkimSigningKey,
};
use lettre::message::header::HeaderName;

/// The signer for the configured key. The signature covers From, To, Cc,
/// Subject, Date and Message-ID, relaxed canonicalization.
pub fn load(c: &DkimConfig) -> Result<Signer, NotifyError> {
    let text = std::fs::read_to_string(&c.key_file).map_err(|source| NotifyError::Io {
        path: c.key_file.display().to_string(),
        source,
    })?;
    let algorithm = match c.algorithm.to_ascii_lowercase().as_str() {
        "rsa" => DkimSigningAlgorithm::Rsa,
        "ed25519" => DkimSigningAlgorithm::Ed25519,
        other => {
            return Err(NotifyError::Config(format!(
                "dkim algorithm {other:?}: expected rsa or ed25519"
            )));
        }
    };
    let key = DkimSigningKey::new(text.trim(), algorithm).map_err(|e| {
        NotifyError::Config(format!(
            "dkim key {}: {e:?} (RSA: PKCS#1 PEM; Ed25519: the 32-byte key in base64)",
            c.key_file.display()
        ))
    })?;
    let headers = ["From", "To", "Cc", "Subject", "Date", "Message-ID"]
        .into_iter()
        .map(HeaderName::new_from_ascii_str)
        .collect();
    Ok(Signer::new(
        c.selector.clone(),
        c.domain.clone(),
        key,
        headers,
        DkimCanonicalization {
            header: DkimCanonicalizationType::Relaxed,
            body: DkimCanonicalizationType::Relaxed,
        },
    ))
}
