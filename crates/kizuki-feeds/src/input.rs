//! Loading inputs: files, with gzip and zip read transparently.
//!
//! Shadowserver mails zipped CSVs and many archives are gzipped; the
//! compression is recognised by its magic bytes, not the file name, so a
//! misnamed file is still read.

use crate::FeedError;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

/// One readable input: a name (for origins and messages) and its bytes.
#[derive(Clone, Debug)]
pub struct Source {
    /// The name events and rejects refer to: the path as given, and for a
    /// zip member `archive.zip:member.csv`.
    pub name: Arc<str>,
    /// The member or file name on its own, used to tell the report type.
    pub file_name: String,
    /// The decompressed contents.
    pub data: Vec<u8>,
}

const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const ZIP_EMPTY: &[u8] = b"PK\x05\x06";

/// Reads a file and returns its contents, decompressed; a zip archive gives
/// one source per file inside it.
pub fn load(path: &Path) -> Result<Vec<Source>, FeedError> {
    let data = std::fs::read(path).map_err(|source| FeedError::Io {
        path: path.to_owned(),
        source,
    })?;
    let name = path.display().to_string();
    let file_name = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    from_bytes(&name, &file_name, data)
}

/// Decompresses bytes that came from somewhere other than a file (a mail
/// attachment, standard input).
pub fn from_bytes(name: &str, file_name: &str, data: Vec<u8>) -> Result<Vec<Source>, FeedError> {
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
            data: out,
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
        assert_eq!(plain[0].data, b"x,y\n1,2\n");

        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"x,y\n1,2\n").unwrap();
        let gz = gz.finish().unwrap();
        let out = from_bytes("a.csv.gz", "a.csv.gz", gz).unwrap();
        assert_eq!(out[0].data, b"x,y\n1,2\n");
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
    fn damaged_archives_are_errors() {
        let err = from_bytes("a.gz", "a.gz", vec![0x1f, 0x8b, 0, 1, 2]).unwrap_err();
        assert!(err.to_string().contains("damaged gzip"), "{err}");
        let err = from_bytes("a.zip", "a.zip", b"PK\x03\x04garbage".to_vec()).unwrap_err();
        assert!(err.to_string().contains("damaged zip"), "{err}");
    }
}
