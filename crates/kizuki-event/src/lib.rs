//! The kizuki Event: one normalized record for everything that flows through
//! kizuki, with IntelMQ "harmonization" field names and types.
//!
//! * [`Event`] holds typed [`Value`]s for the harmonized [`Field`]s, an open
//!   [`Extra`] map for `extra.*`, and its [`Origin`] (file and line).
//! * [`Rule`] says what each field accepts; [`Event::add`] cleans and checks
//!   a value the way IntelMQ's `Message.add` does.
//! * [`json`] reads and writes IntelMQ's flat JSON lines.
//! * [`Timestamp`] is a UTC time that prints as IntelMQ does.
//!
//! ```
//! use kizuki_event::{Event, Field, json};
//!
//! let mut ev = Event::new();
//! ev.add(Field::TimeSource, "2021-02-22T10:15:23+09:00".into()).unwrap();
//! ev.add(Field::SourceIp, "192.0.2.7".into()).unwrap();
//! ev.add(Field::ClassificationType, "infected-system".into()).unwrap();
//! let mut line = Vec::new();
//! json::write_event(&ev, &mut line, &json::WriteOptions::default());
//! assert_eq!(
//!     String::from_utf8(line).unwrap(),
//!     "{\"classification.type\": \"infected-system\", \"source.ip\": \"192.0.2.7\", \
//!      \"time.source\": \"2021-02-22T01:15:23+00:00\"}\n"
//! );
//! ```

mod event;
mod extra;
mod field;
pub mod json;
mod rule;
pub mod taxonomy;
pub mod time;
mod value;

pub use event::{Event, FieldError, Origin};
pub use extra::{Extra, ExtraValue};
pub use field::{FIELD_COUNT, Field};
pub use rule::{Clean, Input, Invalid, Rule, parse_dotted_quad, py_float, py_int, url_has_netloc};
pub use time::{Timestamp, Zone};
pub use value::{IpNet, Raw, RawPrefix, Value};
