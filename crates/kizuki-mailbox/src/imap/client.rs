//! [`Imap`]: new mail by UID with a cursor, marking seen, appending.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::config::ImapConfig;
use super::parse::Response;
use super::session::Session;
use super::transport::Tls;
use super::wire::Command;
use crate::error::{MailboxError, Result};

/// How many messages one `UID FETCH` asks for. Keeps each command's
/// answer (and so the command time-out) bounded.
const FETCH_BATCH: usize = 20;

/// How many UIDs one `UID STORE` names.
const STORE_BATCH: usize = 500;

/// Where reading a mailbox got to: the mailbox's UIDVALIDITY and the
/// highest UID already taken. Keep it after the fetched messages are
/// stored, and pass it to the next [`Imap::fetch_new`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ImapCursor {
    /// The mailbox's UIDVALIDITY when the UIDs were taken.
    pub uidvalidity: u32,
    /// The highest UID taken (0 for none).
    pub last_uid: u32,
}

/// One message read from the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedMessage {
    /// Its UID in the mailbox.
    pub uid: u32,
    /// The whole message, byte for byte as the server sent it.
    pub bytes: Vec<u8>,
}

/// What [`Imap::fetch_new`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// The new messages, lowest UID first.
    pub messages: Vec<FetchedMessage>,
    /// The cursor to keep once the messages are stored.
    pub cursor: ImapCursor,
    /// Whether more new messages wait than `max_messages` allowed to
    /// take: call again with the new cursor.
    pub more_waiting: bool,
    /// Whether the mailbox's UIDVALIDITY differed from the cursor's, so
    /// every message was taken again: the server renumbered the mailbox
    /// and some of them may have been read before (dedupe by Message-ID).
    pub restarted: bool,
}

/// A password held in memory; its `Debug` shows nothing.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    /// Wraps a password.
    pub fn new(password: impl Into<String>) -> Password {
        Password(password.into())
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(********)")
    }
}

/// An IMAP mailbox, ready to be read and written.
///
/// Each operation opens its own connection, logs in, does its work and
/// logs out: intake polls now and then, and a connection that is not kept
/// cannot go stale.
#[derive(Debug, Clone)]
pub struct Imap {
    config: ImapConfig,
    password: Password,
    tls: TlsDebug,
}

/// The TLS settings, made once (the CA file is read when the [`Imap`] is
/// made, so a bad file shows up before any connection).
#[derive(Clone)]
struct TlsDebug(Tls);

impl fmt::Debug for TlsDebug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Tls")
    }
}

impl Imap {
    /// Prepares a mailbox from its configuration, reading the password
    /// from the environment variable `password_env` names.
    pub fn from_config(config: ImapConfig) -> Result<Imap> {
        let password =
            std::env::var(&config.password_env).map_err(|_| MailboxError::PasswordMissing {
                var: config.password_env.clone(),
                user: config.user.clone(),
                host: config.host.clone(),
            })?;
        Imap::with_password(config, Password::new(password))
    }

    /// Prepares a mailbox with a password from elsewhere (a secret store);
    /// `password_env` is not read.
    pub fn with_password(config: ImapConfig, password: Password) -> Result<Imap> {
        if config.host.is_empty() {
            return Err(MailboxError::Config {
                reason: "host is empty".into(),
            });
        }
        if config.mailbox.is_empty() {
            return Err(MailboxError::Config {
                reason: "mailbox is empty".into(),
            });
        }
        let tls = Tls::new(&config.host, config.ca_file.as_deref())?;
        Ok(Imap {
            config,
            password,
            tls: TlsDebug(tls),
        })
    }

    /// The configuration in use.
    pub fn config(&self) -> &ImapConfig {
        &self.config
    }

    async fn open(&self) -> Result<Session> {
        let mut session = Session::connect(&self.config, &self.tls.0).await?;
        session.login(&self.config.user, &self.password.0).await?;
        Ok(session)
    }

    /// Takes the messages that arrived since `since` (all of them without a
    /// cursor, or when the mailbox's UIDVALIDITY changed; at most
    /// `max_messages`, lowest UIDs first), without marking
    /// anything: the mailbox is opened read-only (`EXAMINE`) and bodies are
    /// fetched with `BODY.PEEK[]`, so `\Seen` stays as it was.
    pub async fn fetch_new(&self, since: Option<ImapCursor>) -> Result<Fetched> {
        let mut s = self.open().await?;
        let examine = Command::new("EXAMINE", "EXAMINE").mailbox(&self.config.mailbox);
        let reply = s.run(examine).await?;
        let mut uidvalidity = None;
        let mut exists = None;
        for r in &reply.untagged {
            match r {
                Response::Status(line) => {
                    uidvalidity = line.code_number("UIDVALIDITY").or(uidvalidity);
                }
                Response::Exists(n) => exists = Some(*n),
                _ => {}
            }
        }
        let Some(uidvalidity) = uidvalidity else {
            // Without it UIDs may be reused, and "never twice" cannot hold.
            return Err(s.protocol_error("EXAMINE", "server sent no UIDVALIDITY".into()));
        };
        let restarted = since.is_some_and(|c| c.uidvalidity != uidvalidity);
        let last = match since {
            Some(c) if c.uidvalidity == uidvalidity => c.last_uid,
            _ => 0,
        };
        let mut cursor = ImapCursor {
            uidvalidity,
            last_uid: last,
        };
        let mut uids = match (exists, last.checked_add(1)) {
            (Some(0), _) | (_, None) => Vec::new(),
            (_, Some(first)) => new_uids(&mut s, first, last).await?,
        };
        let more_waiting = uids.len() > self.config.max_messages.max(1);
        uids.truncate(self.config.max_messages.max(1));
        let mut messages = Vec::with_capacity(uids.len());
        for batch in uids.chunks(FETCH_BATCH) {
            let set = uid_set(batch);
            let name = format!("UID FETCH {set}");
            let cmd = Command::new("UID FETCH", name.clone())
                .text(&set)
                .text("(UID BODY.PEEK[])");
            let reply = s.run(cmd).await?;
            let mut got: BTreeMap<u32, Vec<u8>> = BTreeMap::new();
            for r in reply.untagged {
                let Response::Fetch {
                    uid: Some(uid),
                    body,
                } = r
                else {
                    continue;
                };
                if batch.binary_search(&uid).is_err() {
                    continue;
                }
                let Some(body) = body else {
                    return Err(s.protocol_error(&name, format!("no body for UID {uid}")));
                };
                got.insert(uid, body);
            }
            for uid in batch {
                if !got.contains_key(uid) {
                    // Expunged since the search: gone from the server.
                    tracing::warn!(server = %self.config.server(), mailbox = %self.config.mailbox, uid, "message vanished between UID SEARCH and UID FETCH");
                }
            }
            for (uid, bytes) in got {
                cursor.last_uid = cursor.last_uid.max(uid);
                messages.push(FetchedMessage { uid, bytes });
            }
        }
        s.logout().await;
        Ok(Fetched {
            messages,
            cursor,
            restarted,
            more_waiting,
        })
    }

    /// Sets `\Seen` on messages taken by [`Imap::fetch_new`], for mail
    /// readers that share the mailbox. `uidvalidity` is the cursor's: if
    /// the mailbox was renumbered since, nothing is marked.
    pub async fn mark_seen(&self, uidvalidity: u32, uids: &[u32]) -> Result<()> {
        if uids.is_empty() {
            return Ok(());
        }
        let mut s = self.open().await?;
        let select = Command::new("SELECT", "SELECT").mailbox(&self.config.mailbox);
        let reply = s.run(select).await?;
        let now = reply.untagged.iter().find_map(|r| match r {
            Response::Status(line) => line.code_number("UIDVALIDITY"),
            _ => None,
        });
        if now != Some(uidvalidity) {
            return Err(s.protocol_error(
                "SELECT",
                format!(
                    "UIDVALIDITY is {} now, not {uidvalidity}: the UIDs name other messages",
                    now.map_or_else(|| "missing".to_owned(), |n| n.to_string())
                ),
            ));
        }
        let mut sorted = uids.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        for batch in sorted.chunks(STORE_BATCH) {
            let set = uid_set(batch);
            let cmd = Command::new("UID STORE", format!("UID STORE {set} +FLAGS.SILENT"))
                .text(&set)
                .text("+FLAGS.SILENT (\\Seen)");
            s.run(cmd).await?;
        }
        s.logout().await;
        Ok(())
    }

    /// Puts a message into the mailbox (for drills: a synthetic notice
    /// arrives as real mail does), unseen. Bare LF line ends are sent as
    /// CRLF, as IMAP requires. Returns the new message's UID when the
    /// server tells it (UIDPLUS).
    pub async fn append(&self, message: &[u8]) -> Result<Option<u32>> {
        let bad = |reason: &str| MailboxError::BadMessage {
            server: self.config.server(),
            mailbox: self.config.mailbox.clone(),
            reason: reason.to_owned(),
        };
        if message.is_empty() {
            return Err(bad("it is empty"));
        }
        if message.contains(&0) {
            return Err(bad("it holds NUL bytes, which IMAP literals cannot carry"));
        }
        let mut s = self.open().await?;
        let name = format!("APPEND {}", self.config.mailbox);
        let cmd = Command::new("APPEND", name)
            .mailbox(&self.config.mailbox)
            .literal(crlf(message));
        let reply = s.run(cmd).await?;
        let uid = reply.status.code.as_deref().and_then(|code| {
            let mut words = code.split(' ');
            let head = words.next()?;
            if !head.eq_ignore_ascii_case("APPENDUID") {
                return None;
            }
            words.nth(1)?.parse().ok()
        });
        s.logout().await;
        Ok(uid)
    }

    /// Creates a mailbox (folder), e.g. for a drill.
    pub async fn create_mailbox(&self, name: &str) -> Result<()> {
        let mut s = self.open().await?;
        s.run(Command::new("CREATE", format!("CREATE {name}")).mailbox(name))
            .await?;
        s.logout().await;
        Ok(())
    }

    /// Deletes a mailbox (folder) and the messages in it.
    pub async fn delete_mailbox(&self, name: &str) -> Result<()> {
        let mut s = self.open().await?;
        s.run(Command::new("DELETE", format!("DELETE {name}")).mailbox(name))
            .await?;
        s.logout().await;
        Ok(())
    }
}

/// The UIDs above `last`. `UID SEARCH UID n:*` always matches the highest
/// UID, even one at or below `last` (`*` is "the highest", and `n:*` is the
/// same as `*:n`), so the answer is filtered.
async fn new_uids(s: &mut Session, first: u32, last: u32) -> Result<Vec<u32>> {
    let range = format!("{first}:*");
    let cmd = Command::new("UID SEARCH", format!("UID SEARCH UID {range}"))
        .text("UID")
        .text(&range);
    let reply = s.run(cmd).await?;
    let mut uids: Vec<u32> = reply
        .untagged
        .into_iter()
        .filter_map(|r| match r {
            Response::Search(v) => Some(v),
            _ => None,
        })
        .flatten()
        .filter(|&u| u > last)
        .collect();
    uids.sort_unstable();
    uids.dedup();
    Ok(uids)
}

/// A compact UID set for sorted, distinct UIDs: `3:5,9`.
fn uid_set(sorted: &[u32]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        let mut end = start;
        while i + 1 < sorted.len() && sorted[i + 1] == end.saturating_add(1) {
            i += 1;
            end = sorted[i];
        }
        if !out.is_empty() {
            out.push(',');
        }
        if start == end {
            out.push_str(&start.to_string());
        } else {
            out.push_str(&format!("{start}:{end}"));
        }
        i += 1;
    }
    out
}

/// The message with every bare LF made CRLF (CRLFs kept as they are).
fn crlf(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + message.len() / 32);
    let mut prev = 0u8;
    for &b in message {
        if b == b'\n' && prev != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        prev = b;
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn uid_sets_are_compact() {
        assert_eq!(uid_set(&[1]), "1");
        assert_eq!(uid_set(&[1, 2, 3, 7, 9, 10]), "1:3,7,9:10");
        assert_eq!(
            uid_set(&[u32::MAX - 1, u32::MAX]),
            format!("{}:{}", u32::MAX - 1, u32::MAX)
        );
        assert_eq!(uid_set(&[]), "");
    }

    #[test]
    fn bare_lf_becomes_crlf_and_crlf_stays() {
        assert_eq!(crlf(b"a\nb\r\nc\n"), b"a\r\nb\r\nc\r\n");
        assert_eq!(crlf(b"\n"), b"\r\n");
        assert_eq!(crlf(b"x\r"), b"x\r");
    }

    #[test]
    fn passwords_do_not_show_in_debug() {
        let cfg = ImapConfig::new("imap.example.jp", "u", "PW");
        let imap = Imap::with_password(cfg, Password::new("s3cret-pw")).unwrap();
        let shown = format!("{imap:?}");
        assert!(!shown.contains("s3cret-pw"), "{shown}");
        assert!(shown.contains("********"), "{shown}");
    }

    #[test]
    fn a_missing_password_variable_is_named() {
        let cfg = ImapConfig::new("imap.example.jp", "csirt", "KIZUKI_TEST_NO_SUCH_VARIABLE_1");
        let err = Imap::from_config(cfg).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("KIZUKI_TEST_NO_SUCH_VARIABLE_1"), "{text}");
        assert!(text.contains("csirt@imap.example.jp"), "{text}");
    }

    #[test]
    fn cursors_round_trip_through_json() {
        let c = ImapCursor {
            uidvalidity: 1_796_598_019,
            last_uid: 42,
        };
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(json, r#"{"uidvalidity":1796598019,"last_uid":42}"#);
        assert_eq!(serde_json::from_str::<ImapCursor>(&json).unwrap(), c);
    }
}
