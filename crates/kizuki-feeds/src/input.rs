//! Loading inputs: files, with gzip and zip read transparently.
//!
//! Shadowserver mails zipped CSVs and many archives are gzipped; the
//! compression is recognised by its magic bytes, not the file name, so a
//! misnamed file is still read.

use crate::FeedError;
use std::io::Read;
use std::ops::Deref;
use std::path::Path;
use std::sync::Arc;

/// An input's bytes: in memory, or a large plain file mapped from the page
/// cache.
///
/// Reading a 300 MB report into a fresh buffer has the kernel zero and then
/// copy every page, which took a fifth of `kizuki ingest`'s time; a map costs
/// neither. As with ripgrep, a file that another process truncates while it
/// is being read can end the process (SIGBUS): set `KIZUKI_MMAP=0` to read
/// such files into memory instead.
#[derive(Clone)]
pub enum Bytes {
    /// Read or decompressed into memory.
    Owned(Vec<u8>),
    /// A plain file, memory-mapped.
    Mapped(Arc<memmap2::Mmap>),
}

impl Deref for Bytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Owned(v) => v,
            Bytes::Mapped(m) => m,
        }
    }
}

impl From<Vec<u8>> for Bytes {
    fn from(v: Vec<u8>) -> Bytes {
        Bytes::Owned(v)
    }
}

impl std::fmt::Debug for Bytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let how = match self {
            Bytes::Owned(_) => "in memory",
            Bytes::Mapped(_) => "mapped",
        };
        write!(f, "{} bytes {how}", self.len())
    }
}

/// Files at least this large are mapped rather than read.
const MAP_MIN: u64 = 16 << 20;

/// The bytes of a file: mapped when it is a large regular file (and
/// `KIZUKI_MMAP` is not `0`), else read.
fn read_file(path: &Path) -> std::io::Result<Bytes> {
    let file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    let allowed = std::env::var_os("KIZUKI_MMAP").is_none_or(|v| v != "0");
    if allowed && meta.is_file() && meta.len() >= MAP_MIN {
        // SAFETY: the map is only read. Another process truncating the
        // file while it is mapped would fault (see `Bytes`); KIZUKI_MMAP=0
        // avoids that where inputs are still being written.
        #[allow(unsafe_code)]
        if let Ok(map) = unsafe { memmap2::Mmap::map(&file) } {
            #[cfg(unix)]
            let _ = map.advise(memmap2::Advice::Sequential);
            return Ok(Bytes::Mapped(Arc::new(map)));
        }
    }
    let mut data = Vec::with_capacity(meta.len() as usize);
    (&file).read_to_end(&mut data)?;
    Ok(Bytes::Owned(data))
}

/// One readable input: a name (for origins and messages) and its bytes.
#[derive(Clone, Debug)]
pub struct Source {
    /// The name events and rejects refer to: the path as given, and for a
    /// zip member `archive.zip:member.csv`.
    pub name: Arc<str>,
    /// The member or file name on its own, used to tell the report type.
    pub file_name: String,
    /// The decompressed contents.
    pub data: Bytes,
}

const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const ZIP_EMPTY: &[u8] = b"PK\x05\x06";

/// Reads a file and returns its contents, decompressed; a zip archive gives
/// one source per file inside it.
pub fn load(path: &Path) -> Result<Vec<Source>, FeedError> {
    let data = read_file(path).map_err(|source| FeedError::Io {
        path: path.to_owned(),
        source,
    })?;
    let name = path.display().to_string();
    let file_name = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    from_data(&name, &file_name, data)
}

/// Decompresses bytes that came from somewhere other than a file (a mail
/// attachment, standard input).
pub fn from_bytes(name: &str, file_name: &str, data: Vec<u8>) -> Result<Vec<Source>, FeedError> {
    from_data(name, file_name, Bytes::Owned(data))
}

fn from_data(name: &str, file_name: &str, data: Bytes) -> Result<Vec<Source>, FeedError> {
    if data.starts_with(GZIP_MAGIC) {
        let mut out = Vec::with_capacity(data.len() * 4);
        flate2::read::MultiGzDecoder::new(&data[..])
            .read_to_end(&mut out)
            .map_err(|e| FeedError::Compression {
                name: name.to_owned(),
                kind: "gzip",
                reason: e.to_string(),
            })?;
        let inner = file_name
            .strip_suffix(".gz")
            .or_else(|| file_name.strip_suffix(".gzip"));
        let inner = inner.unwrap_or(file_name);
        return Ok(vec![Source {
            name: Arc::from(name),
            file_name: inner.to_owned(),
            data: Bytes::Owned(out),
        }]);
    }
    if data.starts_with(ZIP_MAGIC) || data.starts_with(ZIP_EMPTY) {
        return unzip(name, &data);
    }
    Ok(vec![Source {
        name: Arc::from(name),
        file_name: file_name.to_owned(),
        data,
    }])
}

fn unzip(name: &str, data: &[u8]) -> Result<Vec<Source>, FeedError> {
    let err = |e: zip::result::ZipError| FeedError::Compression {
        name: name.to_owned(),
        kind: "zip",
        reason: e.to_string(),
    };
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(data)).map_err(err)?;
    let mut out = Vec::new();
    for i in 0..archive.len() {
        let mut f = archive.by_index(i).map_err(err)?;
        if f.is_dir() {
            continue;
        }
        let member = f.name().to_owned();
        let mut bytes = Vec::with_capacity(f.size().min(1 << 30) as usize);
        f.read_to_end(&mut bytes)
            .map_err(|e| FeedError::Compression {
                name: format!("{name}:{member}"),
                kind: "zip",
                reason: e.to_string(),
            })?;
        let base = member.rsplit('/').next().unwrap_or(&member).to_owned();
        // A member may itself be gzipped.
        out.extend(from_bytes(&format!("{name}:{member}"), &base, bytes)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn plain_gzip_and_zip() {
        let plain = from_bytes("a.csv", "a.csv", b"x,y\n1,2\n".to_vec()).unwrap();
        assert_eq!(&*plain[0].data, b"x,y\n1,2\n");

        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"x,y\n1,2\n").unwrap();
        let gz = gz.finish().unwrap();
        let out = from_bytes("a.csv.gz", "a.csv.gz", gz).unwrap();
        assert_eq!(&*out[0].data, b"x,y\n1,2\n");
        assert_eq!(out[0].file_name, "a.csv");

        let mut buf = std::io::Cursor::new(Vec::new());
        {
            let mut z = zip::ZipWriter::new(&mut buf);
            z.start_file(
                "dir/2021-02-22-event4_sinkhole-jp-geo.csv",
                zip::write::SimpleFileOptions::default(),
            )
            .unwrap();
            z.write_all(b"timestamp\n").unwrap();
            z.finish().unwrap();
        }
        let out = from_bytes("r.zip", "r.zip", buf.into_inner()).unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(
            &*out[0].name,
            "r.zip:dir/2021-02-22-event4_sinkhole-jp-geo.csv"
        );
        assert_eq!(out[0].file_name, "2021-02-22-event4_sinkhole-jp-geo.csv");
    }

    #[test]
    fn large_files_are_mapped_and_read_alike() {
        let dir = tempfile::tempdir().unwrap();
        let body: Vec<u8> = b"a,b\n"
            .iter()
            .copied()
            .cycle()
            .take(MAP_MIN as usize + 3)
            .collect();
        let big = dir.path().join("big.csv");
        std::fs::write(&big, &body).unwrap();
        let small = dir.path().join("small.csv");
        std::fs::write(&small, &body[..100]).unwrap();
        let got = load(&big).unwrap();
        assert!(matches!(got[0].data, Bytes::Mapped(_)), "{:?}", got[0].data);
        assert!(*got[0].data == body[..]);
        let got = load(&small).unwrap();
        assert!(matches!(got[0].data, Bytes::Owned(_)));
        assert_eq!(&*got[0].data, &body[..100]);
        // A mapped gzip file (stored, so as large) is decompressed like any
        // other.
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::none());
        gz.write_all(&body).unwrap();
        let gz = gz.finish().unwrap();
        assert!(gz.len() as u64 >= MAP_MIN);
        let path = dir.path().join("big.csv.gz");
        std::fs::write(&path, &gz).unwrap();
        let got = load(&path).unwrap();
        assert_eq!(got[0].file_name, "big.csv");
        assert!(*got[0].data == body[..]);
    }

    #[test]
    fn damaged_archives_are_errors() {
        let err = from_bytes("a.gz", "a.gz", vec![0x1f, 0x8b, 0, 1, 2]).unwrap_err();
        assert!(err.to_string().contains("damaged gzip"), "{err}");
        let err = from_bytes("a.zip", "a.zip", b"PK\x03\x04garbage".to_vec()).unwrap_err();
        assert!(err.to_string().contains("damaged zip"), "{err}");
    }
}
