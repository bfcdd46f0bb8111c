//! What several of these test files share.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The shared Shadowserver samples: their folder (which holds the
/// published schema, `intelmq-schema.json`) and every CSV report in it,
/// sorted. `None`, saying so, where `../shared/samples` is absent (a
/// user's fresh clone).
pub fn shadowserver_samples() -> Option<(PathBuf, Vec<PathBuf>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/samples/shadowserver");
    if !dir.is_dir() {
        eprintln!("skipped: ../shared/samples/shadowserver is absent");
        return None;
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 90,
        "expected the 93 sample reports, found {}",
        files.len()
    );
    Some((dir, files))
}
