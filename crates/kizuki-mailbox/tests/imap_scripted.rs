//! The IMAP client against a scripted server on 127.0.0.1: answers a real
//! server seldom gives (time-outs, BYE, echoed passwords, odd FETCH
//! layouts, missing UIDVALIDITY). Needs no service.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use kizuki_mailbox::{Imap, ImapConfig, ImapCursor, MailboxError, Password, Security};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

const GREETING: &str = "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] scripted ready\r\n";
const PASSWORD: &str = "pw-Z9";

/// One step: the start of the line the client must send (empty: send
/// without waiting), and the bytes to answer with.
type Step = (&'static str, Vec<u8>);

/// Serves one connection from a script; the task's result says whether the
/// client sent what the script expected.
async fn scripted(steps: Vec<Step>) -> (u16, JoinHandle<Result<(), String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.map_err(|e| e.to_string())?;
        let mut io = BufReader::new(tcp);
        for (expect, reply) in steps {
            if !expect.is_empty() {
                let mut line = String::new();
                io.read_line(&mut line).await.map_err(|e| e.to_string())?;
                if !line.starts_with(expect) {
                    return Err(format!("expected {expect:?}, client sent {line:?}"));
                }
            }
            io.get_mut()
                .write_all(&reply)
                .await
                .map_err(|e| e.to_string())?;
        }
        // Hold the connection open until the client is done with it.
        let mut rest = Vec::new();
        let _ = tokio::io::AsyncReadExt::read_to_end(&mut io, &mut rest).await;
        Ok(())
    });
    (port, task)
}

fn imap(port: u16) -> Imap {
    let mut cfg = ImapConfig::new("127.0.0.1", "csirt", "UNUSED");
    cfg.port = Some(port);
    cfg.security = Security::None;
    cfg.connect_timeout_secs = 1;
    cfg.command_timeout_secs = 1;
    Imap::with_password(cfg, Password::new(PASSWORD)).unwrap()
}

fn s(text: &str) -> Vec<u8> {
    text.as_bytes().to_vec()
}

fn login_ok() -> Step {
    ("K1 LOGIN \"csirt\" \"pw-Z9\"", s("K1 OK logged in\r\n"))
}

#[tokio::test]
async fn fetch_items_in_any_order_among_unsolicited_responses() {
    let one = b"Subject: 1\r\n\r\n\x82\xa0 {3}\r\n";
    let two = b"Subject: 2\r\n\r\nb\r\n";
    let mut fetch = format!("* 1 FETCH (BODY[] {{{}}}\r\n", one.len()).into_bytes();
    fetch.extend_from_slice(one);
    fetch.extend_from_slice(b" UID 11)\r\n* 9 FETCH (FLAGS (\\Seen))\r\n* 4 EXISTS\r\n");
    fetch.extend_from_slice(
        format!("* 2 FETCH (UID 12 FLAGS () BODY[] {{{}}}\r\n", two.len()).as_bytes(),
    );
    fetch.extend_from_slice(two);
    fetch.extend_from_slice(b")\r\nK4 OK fetched\r\n");
    let (port, server) = scripted(vec![
        ("", s(GREETING)),
        login_ok(),
        (
            "K2 EXAMINE \"INBOX\"",
            s("* 3 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\nK2 OK [READ-ONLY] done\r\n"),
        ),
        ("K3 UID SEARCH UID 11:*", s("* SEARCH 11 12\r\nK3 OK\r\n")),
        ("K4 UID FETCH 11:12 (UID BODY.PEEK[])", fetch),
        ("K5 LOGOUT", s("* BYE bye\r\nK5 OK\r\n")),
    ])
    .await;
    let since = ImapCursor {
        uidvalidity: 7,
        last_uid: 10,
    };
    let got = imap(port).fetch_new(Some(since)).await.unwrap();
    server.await.unwrap().unwrap();
    assert_eq!(got.messages.len(), 2);
    assert_eq!(
        (got.messages[0].uid, &got.messages[0].bytes[..]),
        (11, &one[..])
    );
    assert_eq!(
        (got.messages[1].uid, &got.messages[1].bytes[..]),
        (12, &two[..])
    );
    assert_eq!(
        got.cursor,
        ImapCursor {
            uidvalidity: 7,
            last_uid: 12
        }
    );
}

#[tokio::test]
async fn a_silent_server_times_out_at_the_greeting() {
    let (port, _server) = scripted(vec![]).await;
    let err = imap(port).fetch_new(None).await.unwrap_err();
    match &err {
        MailboxError::Timeout { command, .. } => assert_eq!(command, "greeting"),
        other => panic!("expected a time-out, got {other:?}"),
    }
}

#[tokio::test]
async fn a_command_without_an_answer_times_out_and_is_named() {
    let (port, _server) = scripted(vec![
        ("", s(GREETING)),
        login_ok(),
        ("K2 EXAMINE", Vec::new()),
    ])
    .await;
    let err = imap(port).fetch_new(None).await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, MailboxError::Timeout { .. }), "{err:?}");
    assert!(text.contains("127.0.0.1:"), "{text}");
    assert!(text.contains("mailbox INBOX: EXAMINE timed out"), "{text}");
}

#[tokio::test]
async fn a_password_echoed_by_the_server_is_blanked() {
    let (port, server) = scripted(vec![
        ("", s(GREETING)),
        (
            "K1 LOGIN",
            s("K1 NO [AUTHENTICATIONFAILED] bad password pw-Z9\r\n"),
        ),
    ])
    .await;
    let err = imap(port).fetch_new(None).await.unwrap_err();
    drop(server);
    let text = err.to_string();
    assert!(
        !text.contains(PASSWORD) && !format!("{err:?}").contains(PASSWORD),
        "{text}"
    );
    assert!(
        text.contains("login as csirt rejected: bad password ********"),
        "{text}"
    );
}

#[tokio::test]
async fn bye_in_the_middle_of_a_command_is_reported_with_its_text() {
    let (port, _server) = scripted(vec![
        ("", s(GREETING)),
        login_ok(),
        ("K2 EXAMINE", s("* BYE server shutting down\r\n")),
    ])
    .await;
    let err = imap(port).fetch_new(None).await.unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("EXAMINE: server closed the session: BYE server shutting down"),
        "{text}"
    );
}

#[tokio::test]
async fn no_uidvalidity_means_no_fetch() {
    let (port, _server) = scripted(vec![
        ("", s(GREETING)),
        login_ok(),
        ("K2 EXAMINE", s("* 1 EXISTS\r\nK2 OK done\r\n")),
    ])
    .await;
    let err = imap(port).fetch_new(None).await.unwrap_err();
    assert!(err.to_string().contains("no UIDVALIDITY"), "{err}");
}

#[tokio::test]
async fn a_fetch_without_the_body_is_an_error_not_a_skip() {
    let (port, _server) = scripted(vec![
        ("", s(GREETING)),
        login_ok(),
        (
            "K2 EXAMINE",
            s("* 1 EXISTS\r\n* OK [UIDVALIDITY 3] x\r\nK2 OK\r\n"),
        ),
        ("K3 UID SEARCH UID 1:*", s("* SEARCH 4\r\nK3 OK\r\n")),
        (
            "K4 UID FETCH 4 ",
            s("* 1 FETCH (UID 4 BODY[] NIL)\r\nK4 OK\r\n"),
        ),
    ])
    .await;
    let err = imap(port).fetch_new(None).await.unwrap_err();
    assert!(
        err.to_string().contains("UID FETCH 4: no body for UID 4"),
        "{err}"
    );
}

#[tokio::test]
async fn starttls_must_be_offered() {
    let (port, _server) = scripted(vec![
        ("", s("* OK ready\r\n")),
        ("K1 CAPABILITY", s("* CAPABILITY IMAP4rev1\r\nK1 OK\r\n")),
    ])
    .await;
    let mut cfg = imap(port).config().clone();
    cfg.security = Security::Starttls;
    let err = Imap::with_password(cfg, Password::new(PASSWORD))
        .unwrap()
        .fetch_new(None)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("does not offer STARTTLS"), "{err}");
}

#[tokio::test]
async fn append_waits_for_the_go_ahead_before_the_literal() {
    let (port, server) = scripted(vec![
        ("", s(GREETING)),
        login_ok(),
        ("K2 APPEND \"INBOX\" {11}", s("+ go ahead\r\n")),
        ("Subject:\r\n", Vec::new()),
        ("x", s("K2 OK [APPENDUID 7 31] appended\r\n")),
        ("K3 LOGOUT", s("K3 OK\r\n")),
    ])
    .await;
    let uid = imap(port).append(b"Subject:\nx").await.unwrap();
    assert_eq!(uid, Some(31));
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn append_refused_before_the_literal_is_an_error() {
    let (port, _server) = scripted(vec![
        ("", s(GREETING)),
        login_ok(),
        ("K2 APPEND", s("K2 NO [OVERQUOTA] mailbox is full\r\n")),
    ])
    .await;
    let err = imap(port).append(b"Subject: x\r\n\r\n").await.unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("APPEND INBOX failed: NO mailbox is full"),
        "{text}"
    );
}
