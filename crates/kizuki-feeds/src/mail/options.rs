//! The knobs of [`parse_notice`](super::parse_notice).

use crate::Reader;
use kizuki_event::{Timestamp, Zone};

/// How notices are read.
///
/// ```
/// use kizuki_feeds::mail::MailOptions;
/// use kizuki_event::Zone;
///
/// let opts = MailOptions::new()
///     .zone(Some(Zone::parse("Asia/Tokyo").unwrap()))
///     .max_depth(3);
/// # let _ = opts;
/// ```
#[derive(Clone, Debug)]
pub struct MailOptions {
    zone: Option<Zone>,
    observation: Option<Timestamp>,
    max_depth: usize,
    reader: Reader,
}

impl Default for MailOptions {
    fn default() -> Self {
        MailOptions {
            zone: None,
            observation: None,
            max_depth: 4,
            reader: Reader::auto(),
        }
    }
}

impl MailOptions {
    /// The default options.
    pub fn new() -> MailOptions {
        MailOptions::default()
    }

    /// The zone for times a notice writes without one (`2021/02/22
    /// 10:15`). By default, the zone of the offset in the notice's own
    /// Date header (the original's, when forwarded), else UTC. A zone
    /// written beside a time (`JST`, `(日本時間)`, `+0900`, `UTC`) always
    /// wins.
    pub fn zone(mut self, zone: Option<Zone>) -> Self {
        self.zone = zone;
        self
    }

    /// The `time.observation` of events read from report attachments. By
    /// default, the notice's date, else the time of reading.
    pub fn observation(mut self, t: Option<Timestamp>) -> Self {
        self.observation = t;
        self
    }

    /// How deep attached messages (`message/rfc822` inside
    /// `message/rfc822`) are followed. By default, 4.
    pub fn max_depth(mut self, depth: usize) -> Self {
        self.max_depth = depth;
        self
    }

    /// The readers for report attachments (a Shadowserver schema, a CSV
    /// mapping). By default, [`Reader::auto`] with the built-in schema.
    pub fn reader(mut self, reader: Reader) -> Self {
        self.reader = reader;
        self
    }

    pub(crate) fn zone_setting(&self) -> Option<&Zone> {
        self.zone.as_ref()
    }

    pub(crate) fn observation_setting(&self) -> Option<Timestamp> {
        self.observation
    }

    pub(crate) fn depth_limit(&self) -> usize {
        self.max_depth
    }

    pub(crate) fn readers(&self) -> &Reader {
        &self.reader
    }
}
