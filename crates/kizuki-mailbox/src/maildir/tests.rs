#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;

use super::{Folder, Maildir};
use crate::MailboxError;

fn names(entries: &[super::MessageEntry]) -> Vec<String> {
    entries.iter().map(|e| e.file_name()).collect()
}

#[test]
fn create_makes_the_three_folders_and_open_checks_them() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("a/b/Maildir");
    let md = Maildir::create(&root).unwrap();
    assert_eq!(md.path(), root);
    for sub in ["new", "cur", "tmp"] {
        assert!(root.join(sub).is_dir(), "{sub}");
    }
    // Creating again is fine and keeps what is there.
    fs::write(root.join("new/1.x.host"), b"m").unwrap();
    Maildir::create(&root).unwrap();
    assert_eq!(names(&md.list_new().unwrap()), ["1.x.host"]);

    fs::remove_dir(root.join("tmp")).unwrap();
    match Maildir::open(&root) {
        Err(MailboxError::NotAMaildir { missing, .. }) => assert_eq!(missing, "tmp"),
        other => panic!("expected NotAMaildir, got {other:?}"),
    }
    match Maildir::open(dir.path().join("missing")) {
        Err(MailboxError::MaildirIo { action, source, .. }) => {
            assert_eq!(action, "open");
            assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
        }
        other => panic!("expected MaildirIo, got {other:?}"),
    }
}

#[test]
fn delivered_messages_are_listed_and_read_back_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let md = Maildir::create(dir.path()).unwrap();
    let sjis: &[u8] = b"Subject: test\r\n\r\n\x82\xb1\x82\xf1\x82\xc9\x82\xbf\x82\xcd\r\n";
    let p1 = md.deliver(b"first\r\n").unwrap();
    let p2 = md.deliver(sjis).unwrap();
    assert_eq!(p1.parent().unwrap(), dir.path().join("new"));
    assert_ne!(p1, p2);
    // Nothing is left behind in tmp/.
    assert_eq!(fs::read_dir(dir.path().join("tmp")).unwrap().count(), 0);

    let new = md.list_new().unwrap();
    assert_eq!(new.len(), 2);
    let bodies: Vec<Vec<u8>> = new.iter().map(|e| md.read(e).unwrap()).collect();
    assert!(bodies.contains(&b"first\r\n".to_vec()));
    assert!(bodies.contains(&sjis.to_vec()));
    for e in &new {
        assert_eq!(e.folder(), Folder::New);
        assert_eq!(e.info(), None);
        assert!(!e.is_seen());
    }
    assert!(md.list_cur().unwrap().is_empty());
}

#[test]
fn many_deliveries_get_distinct_names() {
    let dir = tempfile::tempdir().unwrap();
    let md = Maildir::create(dir.path()).unwrap();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let md = md.clone();
            std::thread::spawn(move || {
                for _ in 0..50 {
                    md.deliver(b"x").unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(md.list_new().unwrap().len(), 200);
}

#[test]
fn marking_processed_moves_to_cur_with_the_seen_flag() {
    let dir = tempfile::tempdir().unwrap();
    let md = Maildir::create(dir.path()).unwrap();
    let path = md.deliver(b"notice").unwrap();
    let entry = md.list_new().unwrap().remove(0);
    assert_eq!(entry.path(), path);

    let marked = md.mark_processed(&entry).unwrap();
    assert_eq!(marked.folder(), Folder::Cur);
    assert_eq!(marked.unique(), entry.unique());
    assert_eq!(marked.info().as_deref(), Some("2,S"));
    assert!(marked.is_seen());
    assert_eq!(md.read(&marked).unwrap(), b"notice");

    // New mail only, across runs: a fresh handle sees nothing new.
    let again = Maildir::open(dir.path()).unwrap();
    assert!(again.list_new().unwrap().is_empty());
    let cur = again.list_cur().unwrap();
    assert_eq!(names(&cur), [format!("{}:2,S", entry.unique())]);

    // Marking a seen message in cur/ again changes nothing.
    assert_eq!(md.mark_processed(&marked).unwrap(), marked);
}

#[test]
fn names_with_and_without_info_are_handled_in_both_folders() {
    let dir = tempfile::tempdir().unwrap();
    let md = Maildir::create(dir.path()).unwrap();
    // An MDA that puts info on new mail, and a reader that left a cur/
    // file without info.
    fs::write(dir.path().join("new/100.a.host:2,F"), b"a").unwrap();
    fs::write(dir.path().join("new/101.b.host"), b"b").unwrap();
    fs::write(dir.path().join("cur/99.c.host"), b"c").unwrap();

    let new = md.list_new().unwrap();
    assert_eq!(names(&new), ["100.a.host:2,F", "101.b.host"]);
    assert_eq!(new[0].flags(), "F");
    let a = md.mark_processed(&new[0]).unwrap();
    assert_eq!(a.file_name(), "100.a.host:2,FS");
    let b = md.mark_processed(&new[1]).unwrap();
    assert_eq!(b.file_name(), "101.b.host:2,S");

    let c = md.list_cur().unwrap().remove(0);
    assert_eq!(c.file_name(), "99.c.host");
    assert!(!c.is_seen());
    let c = md.mark_processed(&c).unwrap();
    assert_eq!(c.file_name(), "99.c.host:2,S");
    assert_eq!(
        names(&md.list_cur().unwrap()),
        ["99.c.host:2,S", "100.a.host:2,FS", "101.b.host:2,S"]
    );
}

#[test]
fn dot_files_and_directories_are_not_messages() {
    let dir = tempfile::tempdir().unwrap();
    let md = Maildir::create(dir.path()).unwrap();
    fs::write(dir.path().join("new/.nfs0001"), b"x").unwrap();
    fs::create_dir(dir.path().join("new/sub")).unwrap();
    fs::write(dir.path().join("new/5.m.host"), b"m").unwrap();
    assert_eq!(names(&md.list_new().unwrap()), ["5.m.host"]);
}

#[test]
fn a_message_taken_by_another_reader_is_reported_not_panicked_on() {
    let dir = tempfile::tempdir().unwrap();
    let md = Maildir::create(dir.path()).unwrap();
    md.deliver(b"one").unwrap();
    let listed = md.list_new().unwrap().remove(0);

    // Another reader processes it between our listing and our read.
    let other = Maildir::open(dir.path()).unwrap();
    other.mark_processed(&listed).unwrap();

    match md.read(&listed) {
        Err(MailboxError::Vanished { path, action }) => {
            assert_eq!(path, listed.path());
            assert_eq!(action, "read");
        }
        other => panic!("expected Vanished, got {other:?}"),
    }
    match md.mark_processed(&listed) {
        Err(e @ MailboxError::Vanished { .. }) => {
            assert!(e.to_string().contains("vanished"), "{e}");
        }
        other => panic!("expected Vanished, got {other:?}"),
    }
    // It was not lost: it is in cur/, once.
    assert_eq!(md.list_cur().unwrap().len(), 1);
}
