//! The crate's error.

use std::path::PathBuf;
use std::time::Duration;

/// Why a mailbox could not be read or written.
///
/// IMAP variants name the server (`host:port`), the mailbox and the command
/// that failed. None of them ever holds the password: `LOGIN` is named
/// without its arguments, and server text quoted after a failed login has
/// the password blanked out.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MailboxError {
    /// A file or directory of a Maildir could not be read or written.
    #[error("maildir {path}: cannot {action}: {source}")]
    MaildirIo {
        /// The file or directory.
        path: PathBuf,
        /// What was being done ("list", "read", "create", ...).
        action: &'static str,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The directory lacks one of `new/`, `cur/`, `tmp/`.
    #[error("{path} is not a maildir: it has no {missing}/ directory")]
    NotAMaildir {
        /// The directory that was opened.
        path: PathBuf,
        /// The subdirectory that is missing.
        missing: &'static str,
    },
    /// A message listed a moment ago is no longer there: another reader
    /// moved or deleted it between the listing and this call.
    #[error(
        "maildir message {path} vanished before it could be {action} (another reader took it?)"
    )]
    Vanished {
        /// Where the message was.
        path: PathBuf,
        /// What was being done ("read", "marked processed").
        action: &'static str,
    },
    /// The IMAP configuration cannot be used as it is.
    #[error("IMAP configuration: {reason}")]
    Config {
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// The environment variable that should hold the password is not set.
    #[error(
        "IMAP password for {user}@{host}: environment variable {var} is not set (or not UTF-8)"
    )]
    PasswordMissing {
        /// The variable named by `password_env`.
        var: String,
        /// The user.
        user: String,
        /// The server.
        host: String,
    },
    /// The CA file given as `ca_file` cannot be used.
    #[error("IMAP CA file {path}: {reason}")]
    CaFile {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The TCP connection could not be made (or timed out).
    #[error("IMAP {server}: cannot connect: {source}")]
    Connect {
        /// `host:port`.
        server: String,
        /// The operating system's error (kind `TimedOut` for a time-out).
        source: std::io::Error,
    },
    /// The TLS handshake failed (e.g. the certificate is not trusted).
    #[error("IMAP {server}: TLS handshake failed: {source}")]
    Tls {
        /// `host:port`.
        server: String,
        /// rustls' error, as an I/O error.
        source: std::io::Error,
    },
    /// The server refused the user name and password.
    #[error("IMAP {server}: login as {user} rejected: {text}")]
    LoginRejected {
        /// `host:port`.
        server: String,
        /// The user name.
        user: String,
        /// The server's reason (password blanked out).
        text: String,
    },
    /// A command got no complete answer in time.
    #[error("IMAP {server}, mailbox {mailbox}: {command} timed out after {after:?}")]
    Timeout {
        /// `host:port`.
        server: String,
        /// The mailbox being worked on.
        mailbox: String,
        /// The command (without secret arguments).
        command: String,
        /// The time-out that ran out.
        after: Duration,
    },
    /// The server answered a command with `NO` or `BAD`.
    #[error("IMAP {server}, mailbox {mailbox}: {command} failed: {status} {text}")]
    Rejected {
        /// `host:port`.
        server: String,
        /// The mailbox being worked on.
        mailbox: String,
        /// The command (without secret arguments).
        command: String,
        /// `NO` or `BAD`.
        status: String,
        /// The server's text.
        text: String,
    },
    /// Reading from or writing to the connection failed during a command.
    #[error("IMAP {server}, mailbox {mailbox}: {command}: connection failed: {source}")]
    Io {
        /// `host:port`.
        server: String,
        /// The mailbox being worked on.
        mailbox: String,
        /// The command (without secret arguments).
        command: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The server said something this client cannot use.
    #[error("IMAP {server}, mailbox {mailbox}: {command}: {reason}")]
    Protocol {
        /// `host:port`.
        server: String,
        /// The mailbox being worked on.
        mailbox: String,
        /// The command (without secret arguments).
        command: String,
        /// What was wrong, with a short excerpt of the response.
        reason: String,
    },
    /// A message given to `append` cannot be sent.
    #[error("IMAP {server}, mailbox {mailbox}: cannot append the message: {reason}")]
    BadMessage {
        /// `host:port`.
        server: String,
        /// The mailbox it was meant for.
        mailbox: String,
        /// Why.
        reason: String,
    },
}

/// The crate's result type.
pub(crate) type Result<T, E = MailboxError> = std::result::Result<T, E>;
