//! The [`Maildir`] type: list, read, mark processed, deliver.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use super::entry::{Folder, MessageEntry, delivery_order};
use super::unique::unique_name;
use crate::error::{MailboxError, Result};

/// A Maildir: a directory with `tmp/`, `new/` and `cur/`.
///
/// kizuki reads `new/` and, once it has stored a message, moves it to `cur/`
/// with the seen flag (`:2,S`), as a mail reader would. So a later run sees
/// only what arrived since, and a mail reader pointed at the same Maildir
/// shows the notices as read.
///
/// Nothing here locks: Maildir needs no locks, and two readers of one
/// Maildir race only on who moves a file first; the loser gets
/// [`MailboxError::Vanished`].
#[derive(Debug, Clone)]
pub struct Maildir {
    root: PathBuf,
}

impl Maildir {
    /// Opens an existing Maildir; fails if `new/`, `cur/` or `tmp/` is
    /// missing.
    pub fn open(path: impl Into<PathBuf>) -> Result<Maildir> {
        let root = path.into();
        let meta = fs::metadata(&root).map_err(|source| MailboxError::MaildirIo {
            path: root.clone(),
            action: "open",
            source,
        })?;
        if !meta.is_dir() {
            return Err(MailboxError::MaildirIo {
                path: root,
                action: "open",
                source: io::Error::new(io::ErrorKind::NotADirectory, "not a directory"),
            });
        }
        for sub in ["new", "cur", "tmp"] {
            if !root.join(sub).is_dir() {
                return Err(MailboxError::NotAMaildir {
                    path: root,
                    missing: sub,
                });
            }
        }
        Ok(Maildir { root })
    }

    /// Opens a Maildir, first creating the directory and whichever of
    /// `new/`, `cur/`, `tmp/` are missing (mode 0700, as MDAs do).
    pub fn create(path: impl Into<PathBuf>) -> Result<Maildir> {
        let root = path.into();
        let mut builder = DirBuilder::new();
        builder.recursive(true).mode(0o700);
        for dir in [
            root.clone(),
            root.join("new"),
            root.join("cur"),
            root.join("tmp"),
        ] {
            builder
                .create(&dir)
                .map_err(|source| MailboxError::MaildirIo {
                    path: dir.clone(),
                    action: "create",
                    source,
                })?;
        }
        Maildir::open(root)
    }

    /// The Maildir's directory.
    pub fn path(&self) -> &Path {
        &self.root
    }

    /// The messages in `new/`, oldest delivery first.
    pub fn list_new(&self) -> Result<Vec<MessageEntry>> {
        self.list(Folder::New)
    }

    /// The messages in `cur/` (already seen by some reader), oldest first.
    pub fn list_cur(&self) -> Result<Vec<MessageEntry>> {
        self.list(Folder::Cur)
    }

    /// The messages of one folder, oldest delivery first.
    ///
    /// Dot files and directories are not messages and are skipped; so is a
    /// file that vanishes while the folder is being listed.
    pub fn list(&self, folder: Folder) -> Result<Vec<MessageEntry>> {
        let dir = self.root.join(folder.dir_name());
        let io_err = |source| MailboxError::MaildirIo {
            path: dir.clone(),
            action: "list",
            source,
        };
        let mut out = Vec::new();
        for item in fs::read_dir(&dir).map_err(io_err)? {
            let item = item.map_err(io_err)?;
            let name = item.file_name();
            if name.as_encoded_bytes().first() == Some(&b'.') {
                continue;
            }
            match item.file_type() {
                Ok(t) if t.is_dir() => continue,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io_err(e)),
            }
            out.push(MessageEntry::new(folder, item.path()));
        }
        out.sort_by(delivery_order);
        Ok(out)
    }

    /// The message's bytes, exactly as stored.
    pub fn read(&self, entry: &MessageEntry) -> Result<Vec<u8>> {
        fs::read(entry.path()).map_err(|source| {
            if source.kind() == io::ErrorKind::NotFound {
                MailboxError::Vanished {
                    path: entry.path().to_path_buf(),
                    action: "read",
                }
            } else {
                MailboxError::MaildirIo {
                    path: entry.path().to_path_buf(),
                    action: "read",
                    source,
                }
            }
        })
    }

    /// Marks a message processed: moves it to `cur/` with the seen flag
    /// added to its info (`UNIQUE:2,S`, keeping other flags), and syncs the
    /// directories so the move survives a crash. Returns the message's new
    /// entry. A message already in `cur/` and seen is left as it is.
    ///
    /// Call it after the message has been stored, not before: a crash in
    /// between then means the message is read again next run (never lost);
    /// [`MessageEntry::unique`] tells it was seen before.
    pub fn mark_processed(&self, entry: &MessageEntry) -> Result<MessageEntry> {
        if entry.folder() == Folder::Cur && entry.is_seen() {
            return Ok(entry.clone());
        }
        let cur = self.root.join("cur");
        let target = cur.join(entry.seen_name());
        fs::rename(entry.path(), &target).map_err(|source| {
            if source.kind() == io::ErrorKind::NotFound && !entry.path().exists() {
                MailboxError::Vanished {
                    path: entry.path().to_path_buf(),
                    action: "marked processed",
                }
            } else {
                MailboxError::MaildirIo {
                    path: entry.path().to_path_buf(),
                    action: "move to cur/",
                    source,
                }
            }
        })?;
        sync_dir(&cur)?;
        if entry.folder() == Folder::New {
            sync_dir(&self.root.join("new"))?;
        }
        Ok(MessageEntry::new(Folder::Cur, target))
    }

    /// Delivers a message: writes it to `tmp/` under a new unique name
    /// (`SECONDS.M<micros>P<pid>Q<counter>.HOST`), syncs it, then links it
    /// into `new/` and syncs that directory, so a reader never sees a half
    /// written message and a crash never leaves a delivered one unsynced.
    /// Returns the path in `new/`.
    pub fn deliver(&self, bytes: &[u8]) -> Result<PathBuf> {
        let tmp_dir = self.root.join("tmp");
        let new_dir = self.root.join("new");
        // A name taken in tmp/ or new/ (another process on another host
        // sharing this directory, a clock step) just means another name.
        for _ in 0..64 {
            let name = unique_name();
            let tmp = tmp_dir.join(&name);
            let file = match OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&tmp)
            {
                Ok(f) => f,
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(source) => {
                    return Err(MailboxError::MaildirIo {
                        path: tmp,
                        action: "create",
                        source,
                    });
                }
            };
            if let Err(source) = write_synced(file, bytes) {
                let _ = fs::remove_file(&tmp);
                return Err(MailboxError::MaildirIo {
                    path: tmp,
                    action: "write",
                    source,
                });
            }
            let target = new_dir.join(&name);
            match publish(&tmp, &target) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    let _ = fs::remove_file(&tmp);
                    continue;
                }
                Err(source) => {
                    let _ = fs::remove_file(&tmp);
                    return Err(MailboxError::MaildirIo {
                        path: target,
                        action: "move from tmp/ into",
                        source,
                    });
                }
            }
            sync_dir(&new_dir)?;
            return Ok(target);
        }
        Err(MailboxError::MaildirIo {
            path: tmp_dir,
            action: "find an unused file name in",
            source: io::Error::new(io::ErrorKind::AlreadyExists, "64 names in a row were taken"),
        })
    }
}

fn write_synced(mut file: File, bytes: &[u8]) -> io::Result<()> {
    file.write_all(bytes)?;
    file.sync_all()
}

/// Moves a finished file from tmp/ to new/ without ever replacing a file
/// that is already there: a hard link fails if the target exists, where a
/// rename would silently overwrite. Falls back to a checked rename on file
/// systems without hard links.
fn publish(tmp: &Path, target: &Path) -> io::Result<()> {
    match fs::hard_link(tmp, target) {
        Ok(()) => {
            // The link is in new/ already; a leftover in tmp/ is harmless.
            let _ = fs::remove_file(tmp);
            Ok(())
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(e),
        Err(_) => {
            if target.exists() {
                return Err(io::Error::new(io::ErrorKind::AlreadyExists, "taken"));
            }
            fs::rename(tmp, target)
        }
    }
}

fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|source| MailboxError::MaildirIo {
            path: dir.to_path_buf(),
            action: "sync",
            source,
        })
}
