//! Where an IMAP mailbox is and how to log in to it.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How the connection to the IMAP server is protected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// Plain TCP. The password crosses the network in clear: only for a
    /// server on the same host or a test server.
    None,
    /// Plain TCP upgraded with `STARTTLS` before login. A server that does
    /// not offer `STARTTLS` is an error, never a silent fallback to plain.
    Starttls,
    /// TLS from the first byte ("imaps"). The default.
    #[default]
    Tls,
}

impl Security {
    /// The usual port: 993 for `tls`, 143 otherwise.
    pub fn default_port(self) -> u16 {
        match self {
            Security::Tls => 993,
            Security::None | Security::Starttls => 143,
        }
    }
}

/// An IMAP mailbox to read notices from or to put drill messages into.
///
/// In TOML:
///
/// ```toml
/// host = "imap.example.co.jp"
/// security = "tls"            # "none" | "starttls" | "tls"
/// user = "csirt@example.co.jp"
/// password_env = "KIZUKI_IMAP_PASSWORD"
/// mailbox = "INBOX"
/// ```
///
/// The password is never part of the configuration: `password_env` names
/// the environment variable that holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImapConfig {
    /// Server host name or IP address; also the name the TLS certificate
    /// must carry.
    pub host: String,
    /// Server port. By default, 993 for `security = "tls"` and 143 for
    /// `"starttls"` and `"none"`.
    #[serde(default)]
    pub port: Option<u16>,
    /// `"none"`, `"starttls"` or `"tls"`. By default, `"tls"`.
    #[serde(default)]
    pub security: Security,
    /// A PEM file of CA certificates to trust instead of the built-in
    /// public roots (Mozilla's), for a server with a private CA. By
    /// default, the public roots.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// The login name.
    pub user: String,
    /// The name of the environment variable that holds the password.
    pub password_env: String,
    /// The mailbox (folder) to read or append to, in UTF-8 (sent to the
    /// server in IMAP's modified UTF-7). By default, `INBOX`.
    #[serde(default = "default_mailbox")]
    pub mailbox: String,
    /// Seconds allowed for connecting, including the TLS handshake and the
    /// server's greeting. By default, 30.
    #[serde(default = "default_connect_timeout")]
    pub connect_timeout_secs: u64,
    /// Seconds allowed for each command to be answered completely. A
    /// fetch asks for at most 20 messages per command, so this bounds the
    /// time for 20 messages. By default, 120.
    #[serde(default = "default_command_timeout")]
    pub command_timeout_secs: u64,
    /// The most messages one `fetch_new` takes (lowest UIDs first); the
    /// rest wait for the next call, which starts where this one stopped.
    /// Bounds memory on a first run against a full mailbox. By default,
    /// 1000.
    #[serde(default = "default_max_messages")]
    pub max_messages: usize,
}

fn default_mailbox() -> String {
    "INBOX".to_owned()
}

fn default_connect_timeout() -> u64 {
    30
}

fn default_command_timeout() -> u64 {
    120
}

fn default_max_messages() -> usize {
    1000
}

impl ImapConfig {
    /// A configuration with the defaults for everything but the server,
    /// the user and the password's variable.
    pub fn new(
        host: impl Into<String>,
        user: impl Into<String>,
        password_env: impl Into<String>,
    ) -> ImapConfig {
        ImapConfig {
            host: host.into(),
            port: None,
            security: Security::default(),
            ca_file: None,
            user: user.into(),
            password_env: password_env.into(),
            mailbox: default_mailbox(),
            connect_timeout_secs: default_connect_timeout(),
            command_timeout_secs: default_command_timeout(),
            max_messages: default_max_messages(),
        }
    }

    /// The port in use: `port`, or the usual one for `security`.
    pub fn effective_port(&self) -> u16 {
        self.port.unwrap_or(self.security.default_port())
    }

    /// `host:port`, as errors name the server.
    pub fn server(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.effective_port())
        } else {
            format!("{}:{}", self.host, self.effective_port())
        }
    }

    pub(crate) fn connect_timeout(&self) -> Duration {
        Duration::from_secs(self.connect_timeout_secs.max(1))
    }

    pub(crate) fn command_timeout(&self) -> Duration {
        Duration::from_secs(self.command_timeout_secs.max(1))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn defaults_fill_in() {
        let cfg: ImapConfig =
            toml::from_str("host = \"imap.example.jp\"\nuser = \"u\"\npassword_env = \"PW\"\n")
                .unwrap();
        assert_eq!(cfg, ImapConfig::new("imap.example.jp", "u", "PW"));
        assert_eq!(cfg.security, Security::Tls);
        assert_eq!(cfg.effective_port(), 993);
        assert_eq!(cfg.mailbox, "INBOX");
        assert_eq!(cfg.server(), "imap.example.jp:993");
    }

    #[test]
    fn every_field_parses_and_starttls_defaults_to_143() {
        let cfg: ImapConfig = toml::from_str(
            r#"
            host = "::1"
            security = "starttls"
            ca_file = "/etc/ca.pem"
            user = "u"
            password_env = "PW"
            mailbox = "通報"
            connect_timeout_secs = 5
            command_timeout_secs = 9
            max_messages = 50
            "#,
        )
        .unwrap();
        assert_eq!(cfg.effective_port(), 143);
        assert_eq!(cfg.server(), "[::1]:143");
        assert_eq!(cfg.mailbox, "通報");
        assert_eq!(cfg.command_timeout(), Duration::from_secs(9));
        assert_eq!(cfg.max_messages, 50);
    }

    #[test]
    fn unknown_fields_and_a_password_are_refused() {
        let err = toml::from_str::<ImapConfig>(
            "host = \"h\"\nuser = \"u\"\npassword_env = \"PW\"\npassword = \"x\"\n",
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("unknown field `password`"),
            "{err}"
        );
        let err = toml::from_str::<ImapConfig>(
            "host = \"h\"\nuser = \"u\"\npassword_env = \"PW\"\nsecurity = \"ssl\"\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("unknown variant"), "{err}");
    }
}
