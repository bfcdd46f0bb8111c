//! A notice as an RFC 5322 message: the text in the recipient's language
//! (and an HTML part when the operator has an HTML template), a
//! machine-readable part that kizuki's intake reads back, and, for
//! organisations, the events as CSV, X-ARF or IntelMQ JSON.
//!
//! The message is built once, when the notice is made, and stored in the
//! outbox byte for byte: every attempt sends the same bytes under the same
//! Message-ID, and a DKIM signature stays valid.

use crate::error::NotifyError;
use lettre::message::header::{ContentTransferEncoding, ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};

/// An attachment ready to go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attached {
    /// File name.
    pub name: String,
    /// MIME type.
    pub mime: String,
    /// Contents.
    pub bytes: Vec<u8>,
}

/// What a message is made of.
#[derive(Clone, Debug)]
pub struct Parts<'a> {
    /// The notice id (for errors).
    pub notice: i64,
    /// From: (display name and address).
    pub from: (&'a str, &'a str),
    /// To:.
    pub to: &'a [String],
    /// Cc:.
    pub cc: &'a [String],
    /// Subject.
    pub subject: &'a str,
    /// Message-ID without angle brackets.
    pub message_id: &'a str,
    /// The notice code, printed form (also in `X-Kizuki-Notice-Code`).
    pub code: &'a str,
    /// Date (seconds since 1970).
    pub date: i64,
    /// The text part.
    pub text: &'a str,
    /// The HTML part.
    pub html: Option<&'a str>,
    /// The machine-readable part (`kizuki-notice.json`).
    pub machine: &'a [u8],
    /// A report attachment.
    pub attachment: Option<&'a Attached>,
}

fn mailbox(name: Option<&str>, addr: &str, notice: i64) -> Result<Mailbox, NotifyError> {
    let email = addr.trim().parse().map_err(|e| NotifyError::Message {
        notice,
        why: format!("{addr:?} is not an e-mail address: {e}"),
    })?;
    Ok(Mailbox::new(name.map(str::to_owned), email))
}

fn text_part(ct: ContentType, body: &str) -> SinglePart {
    // Base64 keeps the stored message 7-bit whatever the language, so it
    // crosses any relay unchanged and its DKIM signature holds.
    SinglePart::builder()
        .header(ct)
        .header(ContentTransferEncoding::Base64)
        .body(body.to_owned())
}

/// Builds the message; DKIM-signs it when a key is given.
pub fn build(
    p: &Parts<'_>,
    dkim: Option<&lettre::message::dkim::DkimConfig>,
) -> Result<String, NotifyError> {
    let err = |why: String| NotifyError::Message {
        notice: p.notice,
        why,
    };
    let mut b = lettre::Message::builder()
        .from(mailbox(Some(p.from.0), p.from.1, p.notice)?)
        .subject(p.subject)
        .message_id(Some(format!("<{}>", p.message_id)))
        .date(
            std::time::UNIX_EPOCH
                + std::time::Duration::from_secs(u64::try_from(p.date).unwrap_or(0)),
        )
        .header(lettre::message::header::MIME_VERSION_1_0);
    if p.to.is_empty() {
        return Err(err("no To: address".into()));
    }
    for t in p.to {
        b = b.to(mailbox(None, t, p.notice)?);
    }
    for c in p.cc {
        b = b.cc(mailbox(None, c, p.notice)?);
    }
    b = b.raw_header(HeaderValue::new(
        HeaderName::new_from_ascii_str("X-Kizuki-Notice-Code"),
        p.code.to_owned(),
    ));
    // RFC 3834: no vacation replies to a notice.
    b = b.raw_header(HeaderValue::new(
        HeaderName::new_from_ascii_str("Auto-Submitted"),
        "auto-generated".to_owned(),
    ));
    let text = text_part(ContentType::TEXT_PLAIN, p.text);
    let body = match p.html {
        Some(h) => MultiPart::alternative()
            .singlepart(text)
            .singlepart(text_part(ContentType::TEXT_HTML, h)),
        None => MultiPart::alternative().singlepart(text),
    };
    let json = ContentType::parse("application/json").map_err(|e| err(e.to_string()))?;
    let mut mixed = MultiPart::mixed()
        .multipart(body)
        .singlepart(Attachment::new("kizuki-notice.json".into()).body(p.machine.to_vec(), json));
    if let Some(a) = p.attachment {
        let ct = ContentType::parse(&a.mime).map_err(|e| err(format!("{}: {e}", a.mime)))?;
        mixed = mixed.singlepart(Attachment::new(a.name.clone()).body(a.bytes.clone(), ct));
    }
    let mut m = b.multipart(mixed).map_err(|e| err(e.to_string()))?;
    if let Some(k) = dkim {
        m.sign(k);
    }
    String::from_utf8(m.formatted()).map_err(|_| err("the message is not 7-bit text".into()))
}

/// The DKIM signer for a `[notify.dkim]` section.
pub fn load_dkim(
    c: &crate::config::DkimConfig,
) -> Result<lettre::message::dkim::DkimConfig, NotifyError> {
    crate::dkim::load(c)
}
