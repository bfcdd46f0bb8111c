//! Assignment-log readers: each turns one log format into [`LogRecord`]s,
//! reporting every line it cannot read with its file, line and reason.
//!
//! | [`Format`] | log |
//! | --- | --- |
//! | `radius-detail` | FreeRADIUS accounting `detail` files |
//! | `kea-lease4`, `kea-lease6` | ISC Kea memfile lease CSV |
//! | `dhcpd-leases` | ISC dhcpd.leases (`lease`, `ia-na`, `ia-pd`) |
//! | `pba-juniper`, `pba-a10`, `pba-nfware` | CGNAT port-block allocation syslog |

pub mod dhcpd;
pub mod kea;
pub mod pba;
pub mod radius;

use crate::error::{AttributionError, LineError};
use crate::record::LogRecord;
use jiff::tz::TimeZone;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

/// An assignment-log format.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// FreeRADIUS accounting `detail`.
    RadiusDetail,
    /// Kea memfile, DHCPv4.
    KeaLease4,
    /// Kea memfile, DHCPv6.
    KeaLease6,
    /// ISC dhcpd.leases.
    DhcpdLeases,
    /// Juniper port-block allocation syslog (MS-DPC/MS-MPC `ASP_NAT_…` and
    /// `JSERVICES_NAT_…`, SRX/SPC3 `RT_SRC_NAT_PBA_…`).
    PbaJuniper,
    /// A10 Thunder CGN, CEF events 106/107.
    PbaA10,
    /// NFWare `A`/`D` lines.
    PbaNfware,
}

impl Format {
    /// Every format.
    pub const ALL: [Format; 7] = [
        Format::RadiusDetail,
        Format::KeaLease4,
        Format::KeaLease6,
        Format::DhcpdLeases,
        Format::PbaJuniper,
        Format::PbaA10,
        Format::PbaNfware,
    ];

    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Format::RadiusDetail => "radius-detail",
            Format::KeaLease4 => "kea-lease4",
            Format::KeaLease6 => "kea-lease6",
            Format::DhcpdLeases => "dhcpd-leases",
            Format::PbaJuniper => "pba-juniper",
            Format::PbaA10 => "pba-a10",
            Format::PbaNfware => "pba-nfware",
        }
    }

    /// Parses [`Format::name`].
    pub fn from_name(s: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.name() == s)
    }

    /// The log kind its records are.
    pub fn kind(self) -> crate::record::SourceKind {
        use crate::record::SourceKind;
        match self {
            Format::RadiusDetail => SourceKind::Radius,
            Format::KeaLease4 => SourceKind::Kea4,
            Format::KeaLease6 => SourceKind::Kea6,
            Format::DhcpdLeases => SourceKind::Dhcpd,
            Format::PbaJuniper | Format::PbaA10 | Format::PbaNfware => SourceKind::PortBlock,
        }
    }

    /// Whether its lines may carry syslog times with no year, whose year
    /// carries from one file to the next.
    pub fn yearless(self) -> bool {
        matches!(
            self,
            Format::PbaJuniper | Format::PbaA10 | Format::PbaNfware
        )
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// How to read a log.
#[derive(Clone, Debug)]
pub struct ReadOptions {
    tz: TimeZone,
    year: Option<i16>,
    after: Option<(i16, i8)>,
    radius_key: String,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            tz: TimeZone::UTC,
            year: None,
            after: None,
            radius_key: "User-Name".into(),
        }
    }
}

impl ReadOptions {
    /// Options with every default.
    pub fn new() -> ReadOptions {
        ReadOptions::default()
    }

    /// The zone of local times in the log (header lines, syslog
    /// timestamps without an offset). By default, UTC.
    pub fn tz(mut self, tz: TimeZone) -> Self {
        self.tz = tz;
        self
    }

    /// The year of syslog timestamps that carry none, for the first line
    /// of the first file (see [`ReadOptions::after`] for the next files).
    /// By default, the year of the file's modification time in the log's
    /// zone (one less when the log starts in a later month than that).
    pub fn year(mut self, year: Option<i16>) -> Self {
        self.year = year;
        self
    }

    /// Reads yearless syslog lines as the continuation of a file that
    /// ended in `month` of `year` ([`ReadOutput::syslog_end`]), so a file
    /// that starts in January after one that ended in December is in the
    /// next year. Wins over [`ReadOptions::year`].
    pub fn after(mut self, end: Option<(i16, i8)>) -> Self {
        self.after = end;
        self
    }

    /// Whether a file whose first yearless syslog line is in
    /// `first_month` ([`ReadOutput::syslog_start`]) reads the same after a
    /// file that ended at `end` as with these options alone. Files of a
    /// series can so be read in parallel, and only those that a change of
    /// year reaches read again in order.
    pub fn reads_alike_after(&self, first_month: i8, end: Option<(i16, i8)>) -> bool {
        match (end, self.after) {
            (None, mine) => mine.is_none(),
            (Some(_), Some(_)) => self.after == end,
            (Some((year, last)), None) => {
                self.year == Some(year) && !crate::clock::rolls_over(last, first_month)
            }
        }
    }

    pub(crate) fn continued(&self) -> Option<(i16, i8)> {
        self.after
    }

    /// Whether a year was given.
    pub fn has_year(&self) -> bool {
        self.year.is_some()
    }

    /// The RADIUS attribute that names the subscriber. By default,
    /// `User-Name`. Its value becomes the key `user:VALUE`, or
    /// `mac:aa:bb:…` when it is a MAC address (`Calling-Station-Id`).
    pub fn radius_key(mut self, attribute: &str) -> Self {
        self.radius_key = attribute.to_owned();
        self
    }

    /// The zone.
    pub fn zone(&self) -> &TimeZone {
        &self.tz
    }

    pub(crate) fn key_attribute(&self) -> &str {
        &self.radius_key
    }

    /// The year of the first yearless syslog line of `src`, which is in
    /// `first_month`.
    pub(crate) fn syslog_year(&self, src: &Source, first_month: i8) -> i16 {
        if let Some(y) = self.year {
            return y;
        }
        // The modification time, in the log's own zone: a file of New
        // Year's Day in Tokyo is last written on 31 December in UTC.
        let modified = src
            .modified
            .and_then(|t| jiff::Timestamp::from_second(t).ok())
            .unwrap_or_else(jiff::Timestamp::now)
            .to_zoned(self.tz.clone());
        if first_month > modified.month() {
            modified.year() - 1
        } else {
            modified.year()
        }
    }
}

/// A log's bytes: read into memory, or mapped from its file.
#[derive(Debug)]
pub enum Data {
    /// Held in memory (decompressed, or given).
    Owned(Vec<u8>),
    /// Mapped from the file: no copy, and no memory to zero.
    Mapped(memmap2::Mmap),
}

impl std::ops::Deref for Data {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Data::Owned(v) => v,
            Data::Mapped(m) => m,
        }
    }
}

/// A log to read: its name (for messages and references) and its bytes.
#[derive(Debug)]
pub struct Source {
    /// The name records refer to.
    pub name: Arc<str>,
    /// The content, decompressed.
    pub data: Data,
    /// The file's modification time (UTC seconds), when known.
    pub modified: Option<i64>,
}

impl Source {
    /// A log held in memory.
    pub fn from_bytes(name: &str, data: Vec<u8>) -> Source {
        Source {
            name: name.into(),
            data: Data::Owned(data),
            modified: None,
        }
    }

    /// Opens a file (mapped into memory); `.gz` files are decompressed.
    pub fn load(path: &Path) -> Result<Source, AttributionError> {
        let file = std::fs::File::open(path).map_err(|e| AttributionError::io(path, e))?;
        let len = file
            .metadata()
            .map_err(|e| AttributionError::io(path, e))?
            .len();
        let raw = if len == 0 {
            // An empty file cannot be mapped.
            Data::Owned(Vec::new())
        } else {
            // SAFETY: the map is only read. A log that another process
            // truncates while it is read would fault; logs are rotated by
            // renaming, and an import reads closed files.
            #[allow(unsafe_code)]
            let map = unsafe { memmap2::MmapOptions::new().populate().map(&file) }
                .map_err(|e| AttributionError::io(path, e))?;
            Data::Mapped(map)
        };
        let data = if raw.starts_with(&[0x1f, 0x8b]) {
            let mut out = Vec::with_capacity(raw.len() * 4);
            flate2::read::MultiGzDecoder::new(&raw[..])
                .read_to_end(&mut out)
                .map_err(|e| AttributionError::Format {
                    path: path.display().to_string(),
                    reason: format!("damaged gzip data: {e}"),
                })?;
            Data::Owned(out)
        } else {
            raw
        };
        let modified = std::fs::metadata(path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| jiff::Timestamp::try_from(t).ok())
            .map(|t| t.as_second());
        Ok(Source {
            name: path.display().to_string().into(),
            data,
            modified,
        })
    }
}

/// Something noteworthy in a log that is not an error: it is counted and
/// shown in the import summary.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Note {
    /// A record's time is earlier than the one before it in the same file
    /// by more than a minute: a clock jumped, or files were concatenated.
    ClockJump,
    /// A record that carries no address to attribute (e.g. a RADIUS Start
    /// before the address was assigned).
    NoAddress,
    /// A lease in a state that holds no address (declined, free, backup).
    NotHeld,
}

/// What reading one log gave.
#[derive(Debug, Default)]
pub struct ReadOutput {
    /// The records, in file order.
    pub records: Vec<LogRecord>,
    /// Lines that could not be read, with the reason.
    pub rejects: Vec<LineError>,
    /// Lines read and counted but holding nothing to attribute, and other
    /// observations.
    pub notes: Vec<(Note, LineError)>,
    /// Records (or lines) read in all.
    pub read: u64,
    /// The year and month of the last yearless syslog line, to carry the
    /// year into the next file ([`ReadOptions::after`]).
    pub syslog_end: Option<(i16, i8)>,
    /// The month of the first yearless syslog line: the line whose year
    /// the options or the file before decide
    /// ([`ReadOptions::reads_alike_after`]).
    pub syslog_start: Option<i8>,
}

impl ReadOutput {
    pub(crate) fn reject(&mut self, src: &Source, line: u64, reason: impl Into<String>) {
        self.rejects.push(LineError {
            file: src.name.to_string(),
            line,
            reason: reason.into(),
        });
    }

    pub(crate) fn note(&mut self, src: &Source, line: u64, note: Note, text: impl Into<String>) {
        self.notes.push((
            note,
            LineError {
                file: src.name.to_string(),
                line,
                reason: text.into(),
            },
        ));
    }
}

/// Reads one log in `format`.
pub fn read(format: Format, src: &Source, opts: &ReadOptions) -> ReadOutput {
    match format {
        Format::RadiusDetail => radius::read(src, opts),
        Format::KeaLease4 => kea::read(src, opts, kea::Family::V4),
        Format::KeaLease6 => kea::read(src, opts, kea::Family::V6),
        Format::DhcpdLeases => dhcpd::read(src, opts),
        Format::PbaJuniper => pba::read(src, opts, pba::Vendor::Juniper),
        Format::PbaA10 => pba::read(src, opts, pba::Vendor::A10),
        Format::PbaNfware => pba::read(src, opts, pba::Vendor::Nfware),
    }
}

/// Iterates over the lines of `data` with their 1-based numbers, without
/// line ends (`\n` or `\r\n`).
pub(crate) fn lines(data: &[u8]) -> impl Iterator<Item = (u64, &[u8])> {
    let mut start = 0;
    let mut n = 0u64;
    std::iter::from_fn(move || {
        if start >= data.len() {
            return None;
        }
        let end = memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |i| start + i);
        let mut line = &data[start..end];
        if let [rest @ .., b'\r'] = line {
            line = rest;
        }
        start = end + 1;
        n += 1;
        Some((n, line))
    })
}

/// Keeps track of time going backwards in one file.
#[derive(Default)]
pub(crate) struct JumpWatch {
    last: Option<i64>,
}

impl JumpWatch {
    /// Notes `t`; true when it is more than a minute before the latest.
    pub(crate) fn check(&mut self, t: i64) -> bool {
        let jumped = self.last.is_some_and(|l| t.saturating_add(60) < l);
        self.last = Some(self.last.map_or(t, |l| l.max(t)));
        jumped
    }
}
