//! One message file of a Maildir, and what its name says.
//!
//! A Maildir file name is `UNIQUE[:INFO]`. The unique part never changes
//! while the message lives in the Maildir; the info part (`2,FLAGS` with the
//! flags in ASCII order) is changed by whoever reads the message. Files in
//! `new/` normally have no info part, files in `cur/` normally do; both
//! shapes are accepted in both places.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

/// Which of a Maildir's two message folders a file is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Folder {
    /// `new/`: delivered, not yet seen by any reader.
    New,
    /// `cur/`: seen by a reader (kizuki marks what it processed `S`).
    Cur,
}

impl Folder {
    /// The subdirectory's name.
    pub fn dir_name(self) -> &'static str {
        match self {
            Folder::New => "new",
            Folder::Cur => "cur",
        }
    }
}

/// A message file found by listing a Maildir.
///
/// It is a name, not a lock: another reader may move the file away at any
/// time, which the read and mark operations report as
/// [`MailboxError::Vanished`](crate::MailboxError::Vanished).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageEntry {
    folder: Folder,
    path: PathBuf,
}

impl MessageEntry {
    pub(crate) fn new(folder: Folder, path: PathBuf) -> Self {
        MessageEntry { folder, path }
    }

    /// Where the file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The folder it was listed in.
    pub fn folder(&self) -> Folder {
        self.folder
    }

    /// The whole file name, lossily converted to UTF-8 if it is not.
    pub fn file_name(&self) -> String {
        self.raw_name().to_string_lossy().into_owned()
    }

    /// The unique part of the name (before `:`): stable while the message
    /// is in the Maildir, so a good key for "already processed?" checks.
    pub fn unique(&self) -> String {
        let (unique, _) = split_name(self.raw_name().as_bytes());
        String::from_utf8_lossy(unique).into_owned()
    }

    /// The info part of the name (after `:`), if there is one.
    pub fn info(&self) -> Option<String> {
        let (_, info) = split_name(self.raw_name().as_bytes());
        info.map(|i| String::from_utf8_lossy(i).into_owned())
    }

    /// The Maildir flags (`S` seen, `R` replied, `F` flagged, `T` trashed,
    /// `D` draft, `P` passed), empty when the name has no `2,` info.
    pub fn flags(&self) -> String {
        let (_, info) = split_name(self.raw_name().as_bytes());
        match info {
            Some(i) if i.starts_with(b"2,") => String::from_utf8_lossy(&i[2..]).into_owned(),
            _ => String::new(),
        }
    }

    /// Whether the message carries the seen flag `S`.
    pub fn is_seen(&self) -> bool {
        self.flags().contains('S')
    }

    fn raw_name(&self) -> &OsStr {
        self.path.file_name().unwrap_or_default()
    }

    /// The file name this message has once marked seen: the unique part,
    /// `:2,` and the old flags plus `S`, in ASCII order.
    pub(crate) fn seen_name(&self) -> OsString {
        let (unique, info) = split_name(self.raw_name().as_bytes());
        let mut flags: Vec<u8> = match info {
            Some(i) if i.starts_with(b"2,") => i[2..].to_vec(),
            // "1,..." (experimental) or anything else: nothing to keep.
            _ => Vec::new(),
        };
        flags.push(b'S');
        flags.sort_unstable();
        flags.dedup();
        let mut name = unique.to_vec();
        name.extend_from_slice(b":2,");
        name.extend_from_slice(&flags);
        OsString::from_vec(name)
    }
}

/// Splits a file name at the first `:` into unique part and info.
fn split_name(name: &[u8]) -> (&[u8], Option<&[u8]>) {
    match name.iter().position(|&b| b == b':') {
        Some(at) => (&name[..at], Some(&name[at + 1..])),
        None => (name, None),
    }
}

/// Orders listings roughly by delivery time: by the leading number of the
/// name (the delivery time in seconds for names made by `deliver` and by
/// most MDAs), then by name.
pub(crate) fn delivery_order(a: &MessageEntry, b: &MessageEntry) -> std::cmp::Ordering {
    let key = |e: &MessageEntry| {
        let name = e.raw_name().as_bytes();
        let digits = name.iter().take_while(|b| b.is_ascii_digit()).count();
        std::str::from_utf8(&name[..digits])
            .ok()
            .and_then(|s| s.parse::<u64>().ok())
            .unwrap_or(u64::MAX)
    };
    key(a)
        .cmp(&key(b))
        .then_with(|| a.raw_name().cmp(b.raw_name()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str) -> MessageEntry {
        MessageEntry::new(Folder::New, PathBuf::from("/m/new").join(name))
    }

    #[test]
    fn names_without_info() {
        let e = entry("1700000000.M1P2Q3.host");
        assert_eq!(e.unique(), "1700000000.M1P2Q3.host");
        assert_eq!(e.info(), None);
        assert_eq!(e.flags(), "");
        assert!(!e.is_seen());
        assert_eq!(e.seen_name(), OsString::from("1700000000.M1P2Q3.host:2,S"));
    }

    #[test]
    fn names_with_info_keep_their_flags_in_order() {
        let e = entry("17.x.host:2,RF");
        assert_eq!(e.unique(), "17.x.host");
        assert_eq!(e.info().as_deref(), Some("2,RF"));
        assert_eq!(e.flags(), "RF");
        assert_eq!(e.seen_name(), OsString::from("17.x.host:2,FRS"));
        let seen = entry("17.x.host:2,S");
        assert!(seen.is_seen());
        assert_eq!(seen.seen_name(), OsString::from("17.x.host:2,S"));
    }

    #[test]
    fn odd_info_is_replaced() {
        let e = entry("17.x.host:1,whatever");
        assert_eq!(e.flags(), "");
        assert_eq!(e.seen_name(), OsString::from("17.x.host:2,S"));
        let empty = entry("17.x.host:");
        assert_eq!(empty.info().as_deref(), Some(""));
        assert_eq!(empty.seen_name(), OsString::from("17.x.host:2,S"));
    }

    #[test]
    fn non_utf8_names_survive_marking() {
        let raw = OsString::from_vec(b"17.\xff.host".to_vec());
        let e = MessageEntry::new(Folder::New, PathBuf::from("/m/new").join(&raw));
        assert_eq!(e.unique(), "17.\u{fffd}.host");
        assert_eq!(e.seen_name().as_bytes(), b"17.\xff.host:2,S");
    }

    #[test]
    fn order_is_by_time_then_name() {
        let mut v = [entry("200.b"), entry("1000.a"), entry("99.z"), entry("x")];
        v.sort_by(delivery_order);
        let names: Vec<String> = v.iter().map(MessageEntry::file_name).collect();
        assert_eq!(names, ["99.z", "200.b", "1000.a", "x"]);
    }
}
