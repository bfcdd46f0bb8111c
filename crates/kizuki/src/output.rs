//! Writing results: files that appear only when complete, reject records,
//! and numbers people can read.

use anyhow::{Context, Result};
use kizuki_event::json::write_str;
use kizuki_feeds::Reject;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// A file written under a temporary name and renamed into place when
/// finished, so that a crash never leaves a half-written output that looks
/// complete. `-` writes to standard output; an existing path that is not a
/// regular file (`/dev/null`, a FIFO) is written directly.
pub struct Output {
    inner: Option<BufWriter<Box<dyn Write + Send>>>,
    tmp: Option<(PathBuf, PathBuf)>,
}

impl Output {
    /// Starts writing `path`.
    pub fn create(path: &Path) -> Result<Output> {
        if path == Path::new("-") {
            let w: Box<dyn Write + Send> = Box::new(std::io::stdout());
            return Ok(Output {
                inner: Some(BufWriter::with_capacity(1 << 20, w)),
                tmp: None,
            });
        }
        if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) {
            let f = std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .with_context(|| format!("cannot write {}", path.display()))?;
            let w: Box<dyn Write + Send> = Box::new(f);
            return Ok(Output {
                inner: Some(BufWriter::with_capacity(1 << 20, w)),
                tmp: None,
            });
        }
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        let f = File::create(&tmp).with_context(|| format!("cannot write {}", tmp.display()))?;
        let w: Box<dyn Write + Send> = Box::new(f);
        Ok(Output {
            inner: Some(BufWriter::with_capacity(1 << 20, w)),
            tmp: Some((tmp, path.to_owned())),
        })
    }

    /// Appends bytes.
    pub fn write(&mut self, bytes: &[u8]) -> Result<()> {
        match &mut self.inner {
            Some(w) => w.write_all(bytes).context("write failed"),
            None => anyhow::bail!("write after finish"),
        }
    }

    /// Flushes and moves the file into place.
    pub fn finish(mut self) -> Result<()> {
        if let Some(mut w) = self.inner.take() {
            w.flush().context("write failed")?;
        }
        if let Some((tmp, dest)) = self.tmp.take() {
            std::fs::rename(&tmp, &dest)
                .with_context(|| format!("cannot move {} to {}", tmp.display(), dest.display()))?;
        }
        Ok(())
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        // Not finished: remove the partial file.
        if let Some((tmp, _)) = self.tmp.take() {
            let _ = std::fs::remove_file(tmp);
        }
    }
}

/// Appends one reject as a JSON line: `file`, `line`, `reason` and the raw
/// row (`raw`, or `raw_base64` when it is not UTF-8).
pub fn write_reject(r: &Reject, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"file\": ");
    write_str(out, &r.file);
    out.extend_from_slice(b", \"line\": ");
    out.extend_from_slice(r.line.to_string().as_bytes());
    out.extend_from_slice(b", \"reason\": ");
    write_str(out, &r.reason);
    match std::str::from_utf8(&r.raw) {
        Ok(s) => {
            out.extend_from_slice(b", \"raw\": ");
            write_str(out, s);
        }
        Err(_) => {
            use base64::Engine as _;
            out.extend_from_slice(b", \"raw_base64\": ");
            write_str(
                out,
                &base64::engine::general_purpose::STANDARD.encode(&r.raw),
            );
        }
    }
    out.extend_from_slice(b"}\n");
}

/// Text from a mail or a log made safe for a terminal: control characters
/// (escape sequences could rewrite the screen) and bidirectional overrides
/// (they could reorder what is shown) become `�`.
pub fn printable(s: &str) -> std::borrow::Cow<'_, str> {
    let bad =
        |c: char| c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    if s.chars().any(bad) {
        s.chars()
            .map(|c| if bad(c) { '\u{fffd}' } else { c })
            .collect()
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A rate in a readable unit.
pub fn rate(n: u64, secs: f64) -> String {
    if secs <= 0.0 {
        return "-".into();
    }
    let r = n as f64 / secs;
    if r >= 1e6 {
        format!("{:.2} M/s", r / 1e6)
    } else if r >= 1e3 {
        format!("{:.1} k/s", r / 1e3)
    } else {
        format!("{r:.0}/s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn numbers() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(rate(3_000_000, 2.0), "1.50 M/s");
    }

    #[test]
    fn rejects_keep_bytes_that_are_not_utf8() {
        let mut out = Vec::new();
        write_reject(
            &Reject {
                file: Arc::from("a.csv"),
                line: 3,
                reason: "bad".into(),
                raw: vec![0xff, b'a'],
            },
            &mut out,
        );
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["raw_base64"], "/2E=");
        assert_eq!(v["line"], 3);
    }

    #[test]
    fn devices_are_written_in_place() {
        let mut o = Output::create(Path::new("/dev/null")).unwrap();
        o.write(b"x").unwrap();
        o.finish().unwrap();
        let m = std::fs::metadata("/dev/null").unwrap();
        assert!(!m.is_file(), "/dev/null must stay a device");
    }

    #[test]
    fn unfinished_output_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("out.jsonl");
        {
            let mut o = Output::create(&dest).unwrap();
            o.write(b"partial").unwrap();
        }
        assert!(!dest.exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        let mut o = Output::create(&dest).unwrap();
        o.write(b"whole\n").unwrap();
        o.finish().unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"whole\n");
    }
}

#[cfg(test)]
mod printable_tests {
    use super::printable;

    #[test]
    fn escapes_and_bidi_overrides_do_not_reach_the_terminal() {
        assert_eq!(printable("abuse@isp.example"), "abuse@isp.example");
        assert_eq!(printable("a\u{1b}[2Jb"), "a\u{fffd}[2Jb");
        assert_eq!(printable("x\u{202e}gpj.exe"), "x\u{fffd}gpj.exe");
        assert_eq!(printable("行1\r\n"), "行1\u{fffd}\u{fffd}");
    }
}
