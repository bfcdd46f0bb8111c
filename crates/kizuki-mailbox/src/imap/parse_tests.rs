#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

#[test]
fn tagged_and_untagged_status_lines() {
    let r = parse_response(b"K3 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n").unwrap();
    assert_eq!(
        r,
        Response::Tagged {
            tag: "K3".into(),
            line: StatusLine {
                status: Status::No,
                code: Some("AUTHENTICATIONFAILED".into()),
                text: "Authentication failed.".into(),
            }
        }
    );
    let Response::Status(line) =
        parse_response(b"* OK [UIDVALIDITY 1796598019] UIDs valid\r\n").unwrap()
    else {
        panic!("not a status");
    };
    assert_eq!(line.code_number("UIDVALIDITY"), Some(1_796_598_019));
    assert_eq!(line.code_number("UIDNEXT"), None);

    let Response::Status(greeting) =
        parse_response(b"* OK [CAPABILITY IMAP4rev1 STARTTLS LoginDisabled] ready\r\n").unwrap()
    else {
        panic!("not a status");
    };
    assert_eq!(
        greeting.capabilities().unwrap(),
        ["IMAP4REV1", "STARTTLS", "LOGINDISABLED"]
    );
    let Response::Status(bye) = parse_response(b"* BYE shutting down\r\n").unwrap() else {
        panic!("not a status");
    };
    assert_eq!(bye.status, Status::Bye);
    assert_eq!(bye.code, None);
    assert_eq!(
        parse_response(b"+ go ahead\r\n").unwrap(),
        Response::Continue
    );
    assert_eq!(parse_response(b"+\r\n").unwrap(), Response::Continue);
    assert!(parse_response(b"K1 MAYBE\r\n").is_err());
}

#[test]
fn capability_exists_and_search() {
    assert_eq!(
        parse_response(b"* CAPABILITY IMAP4rev1 literal+ IDLE\r\n").unwrap(),
        Response::Capability(vec!["IMAP4REV1".into(), "LITERAL+".into(), "IDLE".into()])
    );
    assert_eq!(
        parse_response(b"* 17 EXISTS\r\n").unwrap(),
        Response::Exists(17)
    );
    assert_eq!(parse_response(b"* 3 RECENT\r\n").unwrap(), Response::Other);
    assert_eq!(
        parse_response(b"* SEARCH 4 5 9\r\n").unwrap(),
        Response::Search(vec![4, 5, 9])
    );
    assert_eq!(
        parse_response(b"* SEARCH\r\n").unwrap(),
        Response::Search(vec![])
    );
    assert_eq!(
        parse_response(b"* SEARCH 2 (MODSEQ 917)\r\n").unwrap(),
        Response::Search(vec![2])
    );
    assert!(parse_response(b"* SEARCH 2 x\r\n").is_err());
    assert_eq!(
        parse_response(b"* FLAGS (\\Seen \\Draft)\r\n").unwrap(),
        Response::Other
    );
}

#[test]
fn fetch_with_a_literal_body_in_any_item_order() {
    let body = b"Subject: x\r\n\r\n) {3}\r\n\"\x82\xa0";
    let mut raw = format!("* 2 FETCH (BODY[] {{{}}}\r\n", body.len()).into_bytes();
    raw.extend_from_slice(body);
    raw.extend_from_slice(b" UID 41 FLAGS (\\Recent))\r\n");
    assert_eq!(
        parse_response(&raw).unwrap(),
        Response::Fetch {
            uid: Some(41),
            body: Some(body.to_vec())
        }
    );
}

#[test]
fn fetch_with_quoted_nil_and_flag_only_items() {
    assert_eq!(
        parse_response(b"* 1 FETCH (UID 5 BODY[] \"a \\\"b\\\" \\\\c\")\r\n").unwrap(),
        Response::Fetch {
            uid: Some(5),
            body: Some(b"a \"b\" \\c".to_vec())
        }
    );
    assert_eq!(
        parse_response(b"* 1 FETCH (UID 5 BODY[] NIL)\r\n").unwrap(),
        Response::Fetch {
            uid: Some(5),
            body: None
        }
    );
    // An unsolicited flag update from another session.
    assert_eq!(
        parse_response(b"* 7 FETCH (FLAGS (\\Seen) MODSEQ (12))\r\n").unwrap(),
        Response::Fetch {
            uid: None,
            body: None
        }
    );
    // Other sections and partials are read over, not mistaken for BODY[].
    let raw =
        b"* 1 FETCH (BODY[HEADER.FIELDS (FROM TO)] {4}\r\nab\r\n BODY[]<0> {1}\r\nz UID 6)\r\n";
    assert_eq!(
        parse_response(raw).unwrap(),
        Response::Fetch {
            uid: Some(6),
            body: None
        }
    );
}

#[test]
fn broken_fetch_data_is_an_error_not_a_skip() {
    for raw in [
        &b"* 1 FETCH (UID 5 BODY[] {10}\r\nabc)\r\n"[..],
        b"* 1 FETCH (UID x)\r\n",
        b"* 1 FETCH (UID 5 BODY[] \"open)\r\n",
        b"* 1 FETCH (UID 5\r\n",
        b"* 1 FETCH UID 5\r\n",
        b"* 1 FETCH (UID)\r\n",
    ] {
        assert!(
            parse_response(raw).is_err(),
            "{:?} parsed",
            String::from_utf8_lossy(raw)
        );
    }
}

#[test]
fn excerpts_are_short_and_printable() {
    assert_eq!(excerpt(b"* BAD x\r\n"), "* BAD x");
    assert_eq!(excerpt(b"a\x00b\r\n"), "a.b");
    let long = vec![b'x'; 500];
    assert_eq!(excerpt(&long).chars().count(), 201);
}
