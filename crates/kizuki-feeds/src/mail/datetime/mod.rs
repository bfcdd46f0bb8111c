//! Finding a date and time in a line of a notice, as people write them.
//!
//! Works on folded text (see [`Norm`](super::normalize::Norm)): ASCII
//! digits and punctuation, Japanese words kept. Knows
//! `2021/02/22 10:15:23 (日本時間)`, `2021年2月22日(月) 午後3時15分`,
//! `2021-02-22T01:15:23Z`, `22 Feb 2021 10:15:23 +0900`,
//! `Feb 22, 2021 at 10:15 AM`, and ranges such as `10:00～10:30 JST`.
//! The zone is whatever is written beside the time; what to do without one
//! is the caller's choice ([`Found::resolve`]).

mod found;
mod grammar;
mod scan;

pub(crate) use found::{Found, ZoneChoice, ZoneHint, offset_name};
pub(crate) use scan::{find, find_time_only};
