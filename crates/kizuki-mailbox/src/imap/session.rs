//! One IMAP connection: connect (TLS or STARTTLS), log in, run commands
//! with a time-out each, log out.

use std::io;
use std::time::Duration;

use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::time::timeout;

use super::config::{ImapConfig, Security};
use super::parse::{Response, Status, StatusLine, excerpt, parse_response};
use super::transport::{Stream, Tls};
use super::wire::{Chunk, Command, read_response};
use crate::error::{MailboxError, Result};

/// What a command got back: the untagged responses and the tagged status.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) untagged: Vec<Response>,
    pub(crate) status: StatusLine,
}

/// Why an exchange failed, before it is named with server and command.
enum Failure {
    Io(io::Error),
    Protocol(String),
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Failure::Io(e)
    }
}

/// A logged-out or logged-in connection to one server.
pub(crate) struct Session {
    io: BufReader<Stream>,
    server: String,
    mailbox: String,
    timeout: Duration,
    next_tag: u32,
    capabilities: Vec<String>,
}

impl Session {
    /// Connects, runs the TLS handshake or STARTTLS as configured and reads
    /// the greeting, all within the connect time-out.
    pub(crate) async fn connect(cfg: &ImapConfig, tls: &Tls) -> Result<Session> {
        let server = cfg.server();
        let limit = cfg.connect_timeout();
        let addr = (
            cfg.host.trim_start_matches('[').trim_end_matches(']'),
            cfg.effective_port(),
        );
        let tcp = match timeout(limit, TcpStream::connect(addr)).await {
            Ok(Ok(tcp)) => tcp,
            Ok(Err(source)) => return Err(MailboxError::Connect { server, source }),
            Err(_) => {
                let source = io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("no connection within {limit:?}"),
                );
                return Err(MailboxError::Connect { server, source });
            }
        };
        // Commands are small and answered one at a time.
        let _ = tcp.set_nodelay(true);
        let stream = if cfg.security == Security::Tls {
            handshake(tls, tcp, &server, limit).await?
        } else {
            Stream::Plain(tcp)
        };
        let mut session = Session {
            io: BufReader::new(stream),
            server,
            mailbox: cfg.mailbox.clone(),
            timeout: limit,
            next_tag: 1,
            capabilities: Vec::new(),
        };
        session.greeting().await?;
        if cfg.security == Security::Starttls {
            session = session.starttls(tls).await?;
        }
        session.timeout = cfg.command_timeout();
        Ok(session)
    }

    async fn greeting(&mut self) -> Result<()> {
        let limit = self.timeout;
        let raw = match timeout(limit, read_response(&mut self.io)).await {
            Ok(Ok(raw)) => raw,
            Ok(Err(e)) => return Err(self.named("greeting", Failure::Io(e))),
            Err(_) => return Err(self.timed_out("greeting")),
        };
        match parse_response(&raw) {
            Ok(Response::Status(line)) if matches!(line.status, Status::Ok | Status::Preauth) => {
                if let Some(caps) = line.capabilities() {
                    self.capabilities = caps;
                }
                Ok(())
            }
            _ => Err(self.named(
                "greeting",
                Failure::Protocol(format!("server refused the session: {}", excerpt(&raw))),
            )),
        }
    }

    /// Upgrades the connection with STARTTLS; a server that does not
    /// offer it is an error (no silent fallback to plain text).
    async fn starttls(mut self, tls: &Tls) -> Result<Session> {
        if self.capabilities.is_empty() {
            self.refresh_capabilities().await?;
        }
        if !self.has("STARTTLS") {
            return Err(self.named(
                "STARTTLS",
                Failure::Protocol(
                    "server does not offer STARTTLS (security = \"starttls\" requires it)".into(),
                ),
            ));
        }
        self.run(Command::new("STARTTLS", "STARTTLS")).await?;
        // Bytes that arrived before the handshake could have been injected
        // by anyone on the path; refuse rather than read them as TLS data.
        if !self.io.buffer().is_empty() {
            return Err(self.named(
                "STARTTLS",
                Failure::Protocol("server sent data after its STARTTLS answer".into()),
            ));
        }
        let Stream::Plain(tcp) = self.io.into_inner() else {
            return Err(MailboxError::Config {
                reason: "STARTTLS on a connection that is already TLS".into(),
            });
        };
        let stream = handshake(tls, tcp, &self.server, self.timeout).await?;
        let mut upgraded = Session {
            io: BufReader::new(stream),
            server: self.server,
            mailbox: self.mailbox,
            timeout: self.timeout,
            next_tag: self.next_tag,
            capabilities: Vec::new(),
        };
        // What was said before TLS is not to be trusted.
        upgraded.refresh_capabilities().await?;
        Ok(upgraded)
    }

    async fn refresh_capabilities(&mut self) -> Result<()> {
        let reply = self.run(Command::new("CAPABILITY", "CAPABILITY")).await?;
        for r in reply.untagged {
            if let Response::Capability(caps) = r {
                self.capabilities = caps;
            }
        }
        Ok(())
    }

    /// Whether the server announced a capability (upper case).
    pub(crate) fn has(&self, capability: &str) -> bool {
        self.capabilities.iter().any(|c| c == capability)
    }

    /// Logs in with LOGIN. The password is never named in errors, and
    /// blanked out of the server's answer should it be echoed.
    pub(crate) async fn login(&mut self, user: &str, password: &str) -> Result<()> {
        if self.has("LOGINDISABLED") {
            return Err(self.named(
                "LOGIN",
                Failure::Protocol(
                    "server refuses LOGIN on this connection (LOGINDISABLED): use security = \"starttls\" or \"tls\"".into(),
                ),
            ));
        }
        let cmd = Command::new("LOGIN", "LOGIN")
            .string(user.as_bytes())
            .string(password.as_bytes());
        let reply = self.exchange_timed(&cmd).await?;
        match reply.status.status {
            Status::Ok => {
                if let Some(caps) = reply.status.capabilities() {
                    self.capabilities = caps;
                }
                Ok(())
            }
            _ => {
                let mut text = reply.status.text;
                if !password.is_empty() {
                    text = text.replace(password, "********");
                }
                Err(MailboxError::LoginRejected {
                    server: self.server.clone(),
                    user: user.to_owned(),
                    text,
                })
            }
        }
    }

    /// Runs a command; `NO` and `BAD` are errors.
    pub(crate) async fn run(&mut self, cmd: Command) -> Result<Reply> {
        let reply = self.exchange_timed(&cmd).await?;
        if reply.status.status == Status::Ok {
            Ok(reply)
        } else {
            Err(MailboxError::Rejected {
                server: self.server.clone(),
                mailbox: self.mailbox.clone(),
                command: cmd.name,
                status: reply.status.status.as_str().to_owned(),
                text: reply.status.text,
            })
        }
    }

    /// Says goodbye; failures do not matter any more.
    pub(crate) async fn logout(mut self) {
        let cmd = Command::new("LOGOUT", "LOGOUT");
        let _ = timeout(Duration::from_secs(5), self.exchange(&cmd)).await;
        let _ = timeout(Duration::from_secs(5), self.io.get_mut().shutdown()).await;
    }

    /// An error about this session's server and mailbox.
    pub(crate) fn protocol_error(&self, command: &str, reason: String) -> MailboxError {
        self.named(command, Failure::Protocol(reason))
    }

    async fn exchange_timed(&mut self, cmd: &Command) -> Result<Reply> {
        match timeout(self.timeout, self.exchange(cmd)).await {
            Ok(Ok(reply)) => Ok(reply),
            Ok(Err(f)) => Err(self.named(&cmd.name, f)),
            Err(_) => Err(self.timed_out(&cmd.name)),
        }
    }

    /// Sends a command (literals synchronized on the server's `+`) and
    /// reads until its tagged answer.
    async fn exchange(&mut self, cmd: &Command) -> Result<Reply, Failure> {
        let tag = format!("K{}", self.next_tag);
        self.next_tag += 1;
        tracing::debug!(server = %self.server, command = %cmd.name, %tag, "IMAP command");
        let mut untagged = Vec::new();
        let mut pending = format!("{tag} ").into_bytes();
        for chunk in &cmd.chunks {
            match chunk {
                Chunk::Text(t) => pending.extend_from_slice(t),
                Chunk::Literal(bytes) => {
                    pending.extend_from_slice(format!("{{{}}}\r\n", bytes.len()).as_bytes());
                    self.send(&pending).await?;
                    pending.clear();
                    if let Some(status) = self.await_continue(&tag, &mut untagged).await? {
                        return Ok(Reply { untagged, status });
                    }
                    self.send(bytes).await?;
                }
            }
        }
        pending.extend_from_slice(b"\r\n");
        self.send(&pending).await?;
        loop {
            match self.next_response().await? {
                Response::Tagged { tag: t, line } if t == tag => {
                    return Ok(Reply {
                        untagged,
                        status: line,
                    });
                }
                Response::Tagged { tag: t, .. } => {
                    return Err(Failure::Protocol(format!(
                        "answer for tag {t} while waiting for {tag}"
                    )));
                }
                Response::Continue => {
                    return Err(Failure::Protocol("unexpected continuation request".into()));
                }
                other => untagged.push(other),
            }
        }
    }

    /// Waits for `+` before a literal; the tagged status instead if the
    /// server refused the command at this point.
    async fn await_continue(
        &mut self,
        tag: &str,
        untagged: &mut Vec<Response>,
    ) -> Result<Option<StatusLine>, Failure> {
        loop {
            match self.next_response().await? {
                Response::Continue => return Ok(None),
                Response::Tagged { tag: t, line } if t == tag => return Ok(Some(line)),
                Response::Tagged { tag: t, .. } => {
                    return Err(Failure::Protocol(format!(
                        "answer for tag {t} while waiting for {tag}"
                    )));
                }
                other => untagged.push(other),
            }
        }
    }

    async fn next_response(&mut self) -> Result<Response, Failure> {
        let raw = read_response(&mut self.io).await?;
        match parse_response(&raw) {
            Ok(Response::Status(line)) if line.status == Status::Bye => {
                // The server is about to close; say why, not just "EOF".
                Err(Failure::Protocol(format!(
                    "server closed the session: BYE {}",
                    line.text
                )))
            }
            Ok(r) => Ok(r),
            Err(reason) => Err(Failure::Protocol(format!("{reason}: {}", excerpt(&raw)))),
        }
    }

    async fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        let w = self.io.get_mut();
        w.write_all(bytes).await?;
        w.flush().await
    }

    fn named(&self, command: &str, failure: Failure) -> MailboxError {
        match failure {
            Failure::Io(source) => MailboxError::Io {
                server: self.server.clone(),
                mailbox: self.mailbox.clone(),
                command: command.to_owned(),
                source,
            },
            Failure::Protocol(reason) => MailboxError::Protocol {
                server: self.server.clone(),
                mailbox: self.mailbox.clone(),
                command: command.to_owned(),
                reason,
            },
        }
    }

    fn timed_out(&self, command: &str) -> MailboxError {
        MailboxError::Timeout {
            server: self.server.clone(),
            mailbox: self.mailbox.clone(),
            command: command.to_owned(),
            after: self.timeout,
        }
    }
}

async fn handshake(tls: &Tls, tcp: TcpStream, server: &str, limit: Duration) -> Result<Stream> {
    match timeout(limit, tls.wrap(tcp)).await {
        Ok(Ok(stream)) => Ok(stream),
        Ok(Err(source)) => Err(MailboxError::Tls {
            server: server.to_owned(),
            source,
        }),
        Err(_) => Err(MailboxError::Tls {
            server: server.to_owned(),
            source: io::Error::new(
                io::ErrorKind::TimedOut,
                format!("no TLS handshake within {limit:?}"),
            ),
        }),
    }
}
