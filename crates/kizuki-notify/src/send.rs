//! The sender: takes messages from the outbox and delivers them, over SMTP
//! or, with no SMTP configured, into a Maildir.
//!
//! Each worker claims one message at a time; the claim (state `sending`)
//! is committed before the SMTP transaction starts and the result after it
//! ends. A sender killed in between leaves the row in `sending`: the next
//! sender records it as interrupted and sends it again under the same
//! Message-ID, so a message can arrive twice only when it was in flight at
//! the kill, and the receiver can tell the copies apart.
//!
//! Each SMTP worker keeps its own connection open and reuses it for
//! message after message; `concurrency` workers run at once.
//!
//! Failures: a 4xx reply, a dropped connection or a timeout is retried
//! after a delay that doubles each attempt (`backoff` up to `backoff_max`);
//! a 5xx reply to the message fails the notice with the server's words.
//! Failing to connect, start TLS or log in never fails a notice: it waits.
//! Only one sender may run per store: the caller holds a lock.

use crate::config::{self, SmtpConfig, Tls};
use crate::error::NotifyError;
use kizuki_store::{OutboxRow, Store, now_micros};
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, Certificate, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// An SMTP server and how to talk to it.
#[derive(Clone)]
pub struct SmtpTarget {
    host: String,
    port: u16,
    tls: Tls,
    tls_parameters: Option<TlsParameters>,
    credentials: Option<Credentials>,
    timeout: Duration,
}

/// Where messages go.
#[derive(Clone)]
pub enum Transport {
    /// An SMTP server: each worker keeps one connection open and reuses it
    /// for message after message.
    Smtp {
        /// The server.
        target: SmtpTarget,
        /// Messages in flight at once (one connection each).
        concurrency: usize,
    },
    /// A Maildir (`new/` gets one `.eml` file per message).
    Maildir(PathBuf),
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Transport::Smtp { target, .. } => write!(f, "SMTP {}:{}", target.host, target.port),
            Transport::Maildir(p) => write!(f, "Maildir {}", p.display()),
        }
    }
}

impl Transport {
    /// The SMTP transport the configuration describes.
    pub fn smtp(c: &SmtpConfig) -> Result<Transport, NotifyError> {
        let cfg = |e: String| NotifyError::Config(format!("[notify.smtp]: {e}"));
        let port = c.port.unwrap_or(match c.tls {
            Tls::Implicit => 465,
            _ => 25,
        });
        let tls_parameters = if c.tls == Tls::None {
            None
        } else {
            let mut p = TlsParameters::builder(c.host.clone());
            if let Some(ca) = &c.ca_file {
                let pem = std::fs::read(ca).map_err(|source| NotifyError::Io {
                    path: ca.display().to_string(),
                    source,
                })?;
                let cert = Certificate::from_pem(&pem)
                    .map_err(|e| cfg(format!("ca_file {}: {e}", ca.display())))?;
                p = p.add_root_certificate(cert);
            }
            Some(p.build().map_err(|e| cfg(e.to_string()))?)
        };
        let credentials = match &c.username {
            Some(user) => {
                let var = c.password_env.as_deref().ok_or_else(|| {
                    cfg("username is set but password_env (the variable holding the password) is not".into())
                })?;
                let password = std::env::var(var)
                    .map_err(|_| cfg(format!("the environment variable {var} is not set")))?;
                Some(Credentials::new(user.clone(), password))
            }
            None => None,
        };
        Ok(Transport::Smtp {
            target: SmtpTarget {
                host: c.host.clone(),
                port,
                tls: c.tls,
                tls_parameters,
                credentials,
                timeout: Duration::from_secs(c.timeout_secs.max(1)),
            },
            concurrency: c.concurrency.max(1),
        })
    }
}

/// Opens a connection: TCP with Nagle off (the final `.` of DATA goes out
/// at once instead of waiting for the server's delayed ACK), then TLS as
/// configured, then AUTH.
async fn connect(t: &SmtpTarget) -> Result<AsyncSmtpConnection, Outcome> {
    let hello = ClientId::default();
    // Whatever goes wrong before a message is under way (a refused
    // connection, TLS, a rejected password, even a 5xx greeting) says
    // nothing about the recipient: the message waits, to be retried once
    // the server or the configuration is fixed.
    let lettre_err = |e: lettre::transport::smtp::Error| {
        Outcome::Retry(format!("cannot connect to {}:{}: {e}", t.host, t.port))
    };
    let mut conn = if t.tls == Tls::Implicit {
        AsyncSmtpConnection::connect_tokio1(
            (t.host.as_str(), t.port),
            Some(t.timeout),
            &hello,
            t.tls_parameters.clone(),
            None,
        )
        .await
        .map_err(lettre_err)?
    } else {
        let tcp = tokio::time::timeout(
            t.timeout,
            tokio::net::TcpStream::connect((t.host.as_str(), t.port)),
        )
        .await
        .map_err(|_| {
            Outcome::Retry(format!(
                "cannot connect to {}:{}: timed out",
                t.host, t.port
            ))
        })?
        .map_err(|e| Outcome::Retry(format!("cannot connect to {}:{}: {e}", t.host, t.port)))?;
        let _ = tcp.set_nodelay(true);
        let mut conn = AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &hello)
            .await
            .map_err(lettre_err)?;
        if let (Tls::Starttls, Some(p)) = (t.tls, &t.tls_parameters) {
            conn.starttls(p.clone(), &hello).await.map_err(lettre_err)?;
        }
        conn
    };
    if let Some(c) = &t.credentials {
        conn.auth(&[Mechanism::Plain, Mechanism::Login], c)
            .await
            .map_err(lettre_err)?;
    }
    Ok(conn)
}

/// Retry timing.
#[derive(Clone, Copy, Debug)]
pub struct Backoff {
    /// First delay (microseconds).
    pub base: i64,
    /// Longest delay (microseconds).
    pub max: i64,
    /// Attempts before giving up.
    pub max_attempts: u32,
}

impl Backoff {
    /// From `[notify.smtp]`, or the defaults.
    pub fn from_config(c: Option<&SmtpConfig>) -> Result<Backoff, NotifyError> {
        let (b, m, a) = match c {
            Some(c) => (c.backoff.as_str(), c.backoff_max.as_str(), c.max_attempts),
            None => ("1m", "6h", 20),
        };
        Ok(Backoff {
            base: config::seconds(b)? * 1_000_000,
            max: config::seconds(m)? * 1_000_000,
            max_attempts: a.max(1),
        })
    }

    /// The delay after attempt `n` (1-based) failed.
    pub fn delay(&self, n: i64) -> i64 {
        let shift = u32::try_from((n - 1).clamp(0, 30)).unwrap_or(30);
        self.base.saturating_mul(1i64 << shift).min(self.max)
    }
}

/// What a `send` run did.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct SendReport {
    /// Delivered.
    pub sent: u64,
    /// Temporary failures, to be retried.
    pub retried: u64,
    /// Permanent failures.
    pub failed: u64,
    /// Messages a dead sender left in flight, sent again.
    pub interrupted: u64,
}

enum Outcome {
    Sent(String),
    Retry(String),
    Fail(String),
}

async fn deliver(
    t: &Transport,
    conn: &mut Option<AsyncSmtpConnection>,
    row: &OutboxRow,
) -> Outcome {
    match t {
        Transport::Smtp { target, .. } => {
            let from = row.envelope_from.parse().ok();
            let to: Vec<_> = row
                .rcpt
                .iter()
                .filter_map(|r| r.trim().parse().ok())
                .collect();
            if to.is_empty() {
                return Outcome::Fail("no valid recipient address".into());
            }
            let env = match Envelope::new(from, to) {
                Ok(e) => e,
                Err(e) => return Outcome::Fail(format!("envelope: {e}")),
            };
            if conn.as_ref().is_some_and(AsyncSmtpConnection::has_broken) {
                *conn = None;
            }
            if conn.is_none() {
                match connect(target).await {
                    Ok(c) => *conn = Some(c),
                    Err(o) => return o,
                }
            }
            let Some(c) = conn.as_mut() else {
                return Outcome::Retry("no connection".into());
            };
            // Generous for a large message, but bounded: a server that stops
            // answering cannot hold a worker for ever.
            let limit = target.timeout * 4;
            let r = match tokio::time::timeout(limit, c.send(&env, row.message.as_bytes())).await {
                Ok(r) => r,
                Err(_) => {
                    *conn = None;
                    return Outcome::Retry(format!("no reply within {} s", limit.as_secs()));
                }
            };
            match r {
                Ok(r) => Outcome::Sent(format!(
                    "{} {}",
                    r.code(),
                    r.message().collect::<Vec<_>>().join(" ")
                )),
                Err(e) => {
                    // After any failure, start the next message on a fresh
                    // connection: the old one may be mid-transaction.
                    if let Some(mut c) = conn.take() {
                        c.abort().await;
                    }
                    if e.is_permanent() {
                        Outcome::Fail(e.to_string())
                    } else {
                        Outcome::Retry(e.to_string())
                    }
                }
            }
        }
        Transport::Maildir(dir) => match maildir_put(dir, row) {
            Ok(name) => Outcome::Sent(format!("written to {name}")),
            Err(e) => Outcome::Retry(format!("Maildir {}: {e}", dir.display())),
        },
    }
}

/// A file name for the message: the notice id and the Message-ID, made
/// safe. The same message always gets the same name.
fn maildir_name(row: &OutboxRow) -> String {
    let mid: String = row
        .message_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{:010}.{mid}.eml", row.notice_id)
}

/// Writes the message into `dir/new` once: through `tmp/`, synced, then
/// renamed. A file of that name in `new/` or `cur/` means it is there
/// already.
fn maildir_put(dir: &Path, row: &OutboxRow) -> std::io::Result<String> {
    use std::io::Write;
    let name = maildir_name(row);
    for sub in ["tmp", "new", "cur"] {
        std::fs::create_dir_all(dir.join(sub))?;
    }
    let target = dir.join("new").join(&name);
    if target.exists() || dir.join("cur").join(&name).exists() {
        return Ok(format!("new/{name}"));
    }
    let tmp = dir.join("tmp").join(&name);
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(row.message.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, &target)?;
    if let Ok(d) = std::fs::File::open(dir.join("new")) {
        let _ = d.sync_all();
    }
    Ok(format!("new/{name}"))
}

/// Delivers what the outbox holds.
#[derive(Debug)]
pub struct Sender {
    store: Store,
    transport: Transport,
    backoff: Backoff,
}

impl Sender {
    /// A sender. Hold the store's sender lock while it runs.
    pub fn new(store: Store, transport: Transport, backoff: Backoff) -> Sender {
        Sender {
            store,
            transport,
            backoff,
        }
    }

    /// Sends every message due now. With `wait`, keeps going until no
    /// message is queued (retries included), sleeping until the next is
    /// due.
    pub async fn run(&self, wait: bool) -> Result<SendReport, NotifyError> {
        let interrupted = self.store.outbox_recover().await?;
        let report = Arc::new(Counters::default());
        report
            .interrupted
            .store(interrupted.len() as u64, Ordering::Relaxed);
        let workers = match &self.transport {
            Transport::Smtp { concurrency, .. } => *concurrency,
            Transport::Maildir(_) => 1,
        };
        loop {
            // One pass takes what is due when it starts: a message that
            // fails in it waits for the next pass (`wait`) or run.
            let pass_start = now_micros();
            let mut set = tokio::task::JoinSet::new();
            for _ in 0..workers {
                let store = self.store.clone();
                let transport = self.transport.clone();
                let backoff = self.backoff;
                let report = Arc::clone(&report);
                set.spawn(
                    async move { worker(&store, &transport, backoff, &report, pass_start).await },
                );
            }
            while let Some(r) = set.join_next().await {
                r.map_err(|e| NotifyError::Config(format!("a sender task failed: {e}")))??;
            }
            if !wait {
                break;
            }
            let (_, next) = self.store.outbox_summary().await?;
            let Some(next) = next else { break };
            let wait_us = (next - now_micros()).clamp(0, 60_000_000);
            tokio::time::sleep(Duration::from_micros(
                u64::try_from(wait_us).unwrap_or(0) + 1000,
            ))
            .await;
        }
        Ok(report.snapshot())
    }
}

#[derive(Default)]
struct Counters {
    sent: AtomicU64,
    retried: AtomicU64,
    failed: AtomicU64,
    interrupted: AtomicU64,
}

impl Counters {
    fn snapshot(&self) -> SendReport {
        SendReport {
            sent: self.sent.load(Ordering::Relaxed),
            retried: self.retried.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            interrupted: self.interrupted.load(Ordering::Relaxed),
        }
    }
}

async fn worker(
    store: &Store,
    transport: &Transport,
    backoff: Backoff,
    report: &Counters,
    pass_start: i64,
) -> Result<(), NotifyError> {
    let mut conn = None;
    let r = work(store, transport, backoff, report, pass_start, &mut conn).await;
    if let Some(mut c) = conn {
        let _ = c.quit().await;
    }
    r
}

async fn work(
    store: &Store,
    transport: &Transport,
    backoff: Backoff,
    report: &Counters,
    pass_start: i64,
    conn: &mut Option<AsyncSmtpConnection>,
) -> Result<(), NotifyError> {
    loop {
        let Some(row) = store.outbox_claim(pass_start, 1).await?.pop() else {
            return Ok(());
        };
        match deliver(transport, conn, &row).await {
            Outcome::Sent(reply) => {
                store.outbox_sent(&row, &reply).await?;
                report.sent.fetch_add(1, Ordering::Relaxed);
            }
            Outcome::Fail(why) => {
                tracing::warn!(notice = row.notice_id, "permanent failure: {why}");
                store.outbox_failed(&row, &why).await?;
                report.failed.fetch_add(1, Ordering::Relaxed);
            }
            Outcome::Retry(why) => {
                if row.attempts >= i64::from(backoff.max_attempts) {
                    let why = format!("{why} (gave up after {} attempts)", row.attempts);
                    store.outbox_failed(&row, &why).await?;
                    report.failed.fetch_add(1, Ordering::Relaxed);
                } else {
                    let next = now_micros() + backoff.delay(row.attempts);
                    tracing::info!(
                        notice = row.notice_id,
                        "temporary failure, retry later: {why}"
                    );
                    store.outbox_retry(&row, next, &why).await?;
                    report.retried.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_limit() {
        let b = Backoff {
            base: 60_000_000,
            max: 3_600_000_000,
            max_attempts: 5,
        };
        assert_eq!(b.delay(1), 60_000_000);
        assert_eq!(b.delay(2), 120_000_000);
        assert_eq!(b.delay(4), 480_000_000);
        assert_eq!(b.delay(10), 3_600_000_000);
        assert_eq!(b.delay(1000), 3_600_000_000);
    }

    #[test]
    fn maildir_names_are_stable_and_safe() {
        let row = OutboxRow {
            notice_id: 7,
            message_id: "kizuki.7.abc@isp.example/../x".into(),
            envelope_from: String::new(),
            rcpt: Vec::new(),
            message: "x".into(),
            state: "sending".into(),
            attempts: 1,
            next_attempt_at: 0,
            last_error: String::new(),
        };
        let n = maildir_name(&row);
        assert_eq!(n, "0000000007.kizuki.7.abc_isp.example_.._x.eml");
        assert!(!n.contains('/'));
    }
}
