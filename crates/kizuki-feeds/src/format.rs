//! The formats kizuki reads, and one reader type over all of them.

use crate::FeedError;
use crate::batch::{Batch, ReadContext};
use crate::input::Source;
use crate::shadowserver::ShadowserverReader;

/// An input format.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Format {
    /// Shadowserver CSV reports.
    Shadowserver,
}

impl Format {
    /// Every format, with its name.
    pub const ALL: &'static [(Format, &'static str)] = &[(Format::Shadowserver, "shadowserver")];

    /// A format by name.
    pub fn from_name(name: &str) -> Result<Format, FeedError> {
        Format::ALL
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(f, _)| *f)
            .ok_or_else(|| FeedError::NoSuchFormat {
                given: name.to_owned(),
                known: Format::names(),
            })
    }

    /// The format's name.
    pub fn name(self) -> &'static str {
        Format::ALL
            .iter()
            .find(|(f, _)| *f == self)
            .map_or("?", |(_, n)| n)
    }

    /// The known names, comma separated.
    pub fn names() -> String {
        Format::ALL
            .iter()
            .map(|(_, n)| *n)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A configured reader for one format.
#[derive(Clone, Debug)]
pub enum Reader {
    /// Shadowserver CSV.
    Shadowserver(ShadowserverReader),
}

impl Reader {
    /// A reader with default settings.
    pub fn new(format: Format) -> Reader {
        match format {
            Format::Shadowserver => Reader::Shadowserver(ShadowserverReader::default()),
        }
    }

    /// Reads one input, handing batches to `sink` in input order.
    pub fn read(
        &self,
        src: &Source,
        ctx: &ReadContext<'_>,
        sink: &mut dyn FnMut(Batch),
    ) -> Result<(), FeedError> {
        match self {
            Reader::Shadowserver(r) => r.read(src, ctx, sink),
        }
    }
}
