//! Finding a date and time in a line of a notice, as people write them.
//!
//! Works on folded text (see [`Norm`](super::normalize::Norm)): ASCII
//! digits and punctuation, Japanese words kept. Knows
//! `2021/02/22 10:15:23 (日本時間)`, `2021年2月22日(月) 午後3時15分`,
//! `2021-02-22T01:15:23Z`, `22 Feb 2021 10:15:23 +0900`,
//! `Feb 22, 2021 at 10:15 AM`, and ranges such as `10:00～10:30 JST`.
//! The zone is whatever is written beside the time; what to do without one
//! is the caller's choice ([`Found::resolve`]).

use kizuki_event::time::{Civil, Zone};
use std::ops::Range;

/// A zone written beside a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ZoneHint {
    /// `JST`, `日本時間`, `日本標準時`.
    Tokyo,
    /// `UTC`, `GMT`, `Z`, `協定世界時`.
    Utc,
    /// A numeric offset, in seconds east of UTC.
    Offset(i32),
}

/// A zone to read naive times in, and the name reports give it.
#[derive(Clone, Debug)]
pub(crate) struct ZoneChoice {
    /// The zone.
    pub zone: Zone,
    /// `Asia/Tokyo`, `UTC`, `+09:00`.
    pub name: String,
}

impl ZoneChoice {
    /// From a [`Zone`].
    pub fn of(zone: Zone) -> ZoneChoice {
        let name = zone.to_string();
        ZoneChoice { zone, name }
    }
}

/// `+09:00` for an offset in seconds.
pub(crate) fn offset_name(secs: i32) -> String {
    if secs == 0 {
        return "UTC".into();
    }
    let sign = if secs < 0 { '-' } else { '+' };
    let a = secs.unsigned_abs();
    format!("{sign}{:02}:{:02}", a / 3600, a / 60 % 60)
}

impl ZoneHint {
    /// The zone and its name.
    pub fn choice(self) -> ZoneChoice {
        match self {
            ZoneHint::Tokyo => ZoneChoice {
                zone: Zone::parse("Asia/Tokyo").unwrap_or(Zone::Fixed(9 * 3600)),
                name: "Asia/Tokyo".into(),
            },
            ZoneHint::Utc => ZoneChoice {
                zone: Zone::Utc,
                name: "UTC".into(),
            },
            ZoneHint::Offset(s) => ZoneChoice {
                zone: if s == 0 { Zone::Utc } else { Zone::Fixed(s) },
                name: offset_name(s),
            },
        }
    }
}

/// A calendar date.
pub(crate) type Date = (i32, u8, u8);
/// A time of day: hour, minute, second, microsecond.
pub(crate) type Tod = (u8, u8, u8, u32);

/// A date (and usually a time) found in a line.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Found {
    /// Where it is in the folded line, zone and range end included.
    pub range: Range<usize>,
    /// The date.
    pub date: Date,
    /// The time of day, when written.
    pub time: Option<Tod>,
    /// The zone, when written.
    pub zone: Option<ZoneHint>,
    /// The end of a range (`10:00～10:30`): its own date when written.
    pub end: Option<(Option<Date>, Tod)>,
}

/// A time resolved to UTC.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Resolved {
    /// µs since the epoch.
    pub time: Option<i64>,
    /// The end of a range, µs since the epoch.
    pub end: Option<i64>,
    /// The zone it was read in.
    pub zone: String,
}

fn civil(d: Date, t: Tod) -> Civil {
    Civil {
        year: d.0,
        month: d.1,
        day: d.2,
        hour: t.0,
        minute: t.1,
        second: t.2,
        micro: t.3,
    }
}

impl Found {
    /// The times in UTC: in the written zone, else in `fallback`.
    pub fn resolve(&self, fallback: &ZoneChoice) -> Resolved {
        let z = self.zone.map(ZoneHint::choice);
        let z = z.as_ref().unwrap_or(fallback);
        let at = |d: Date, t: Tod| z.zone.to_timestamp(civil(d, t)).map(|t| t.as_micros());
        let time = self.time.and_then(|t| at(self.date, t));
        let end = match (self.end, time) {
            (Some((d, t)), Some(start)) => at(d.unwrap_or(self.date), t).map(|e| {
                // `23:50～00:10` ends the next day.
                if e < start && d.is_none() {
                    e + 86_400_000_000
                } else {
                    e
                }
            }),
            _ => None,
        };
        Resolved {
            time,
            end,
            zone: z.name.clone(),
        }
    }
}

/// A cursor over folded text.
struct Cur<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
}

const MONTHS: &[&str] = &[
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];
const WEEKDAYS: &[&str] = &[
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];
const JA_WEEKDAYS: &[&str] = &["月", "火", "水", "木", "金", "土", "日"];

impl<'a> Cur<'a> {
    fn new(s: &'a str, i: usize) -> Cur<'a> {
        Cur {
            s,
            b: s.as_bytes(),
            i,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn rest(&self) -> &'a str {
        self.s.get(self.i..).unwrap_or("")
    }

    fn ws(&mut self) -> bool {
        let start = self.i;
        while self.peek() == Some(b' ') {
            self.i += 1;
        }
        self.i > start
    }

    /// Eats `word` (ASCII case-insensitively).
    fn eat(&mut self, word: &str) -> bool {
        let r = self.rest().as_bytes();
        if r.len() >= word.len() && r[..word.len()].eq_ignore_ascii_case(word.as_bytes()) {
            self.i += word.len();
            true
        } else {
            false
        }
    }

    fn letter_follows(&self) -> bool {
        self.peek().is_some_and(|c| c.is_ascii_alphabetic())
    }

    /// Eats an ASCII word that ends here (not followed by a letter).
    fn eat_word(&mut self, word: &str) -> bool {
        let save = self.i;
        if self.eat(word) && !self.letter_follows() {
            return true;
        }
        self.i = save;
        false
    }

    /// Reads `min..=max` digits, and fails if more digits follow.
    fn num(&mut self, min: usize, max: usize) -> Option<u32> {
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
        let n = self.i - start;
        if n < min || n > max {
            self.i = start;
            return None;
        }
        self.s.get(start..self.i)?.parse().ok()
    }

    /// A month name, full or three letters (`Sept` too), with an optional
    /// dot.
    fn month_name(&mut self) -> Option<u8> {
        let save = self.i;
        for (n, m) in MONTHS.iter().enumerate() {
            if self.eat_word(m)
                || self.eat_word(&m[..3])
                || (n == 8 && self.eat_word("sept"))
            {
                if self.peek() == Some(b'.') {
                    self.i += 1;
                }
                return Some(n as u8 + 1);
            }
            self.i = save;
        }
        None
    }

    fn weekday(&mut self) -> bool {
        WEEKDAYS.iter().any(|w| {
            self.eat_word(w)
                || self.eat_word(&w[..3])
                || (w.starts_with("tu") && self.eat_word("tues"))
                || (w.starts_with("th") && (self.eat_word("thur") || self.eat_word("thurs")))
        })
    }

    /// `(月)`, `(月曜日)`, `(Mon)`.
    fn paren_weekday(&mut self) {
        let save = self.i;
        self.ws();
        if !self.eat("(") {
            self.i = save;
            return;
        }
        self.ws();
        let ok = JA_WEEKDAYS.iter().any(|w| self.eat(w)) && {
            let _ = self.eat("曜日") || self.eat("曜");
            true
        } || self.weekday();
        self.ws();
        if !(ok && self.eat(")")) {
            self.i = save;
        }
    }
}

fn valid(d: Date) -> bool {
    (1900..=2200).contains(&d.0) && civil(d, (0, 0, 0, 0)).is_valid()
}

/// A date at the cursor.
fn date(c: &mut Cur<'_>) -> Option<Date> {
    let save = c.i;
    if c.weekday() {
        let _ = c.eat(",");
        c.ws();
    }
    let start = c.i;
    let attempts: [fn(&mut Cur<'_>) -> Option<Date>; 5] =
        [ymd_numeric, ymd_kanji, mdy_numeric, month_first, day_first];
    for f in attempts {
        c.i = start;
        if let Some(d) = f(c)
            && valid(d)
        {
            c.paren_weekday();
            return Some(d);
        }
    }
    c.i = save;
    None
}

fn ymd_numeric(c: &mut Cur<'_>) -> Option<Date> {
    let y = c.num(4, 4)?;
    let sep = c.peek().filter(|s| matches!(s, b'/' | b'-' | b'.'))?;
    c.i += 1;
    let m = c.num(1, 2)?;
    if c.peek() != Some(sep) {
        return None;
    }
    c.i += 1;
    let d = c.num(1, 2)?;
    Some((y as i32, m as u8, d as u8))
}

fn ymd_kanji(c: &mut Cur<'_>) -> Option<Date> {
    let y = c.num(4, 4)?;
    c.ws();
    c.eat("年").then_some(())?;
    c.ws();
    let m = c.num(1, 2)?;
    c.ws();
    c.eat("月").then_some(())?;
    c.ws();
    let d = c.num(1, 2)?;
    c.ws();
    c.eat("日").then_some(())?;
    Some((y as i32, m as u8, d as u8))
}

fn mdy_numeric(c: &mut Cur<'_>) -> Option<Date> {
    let a = c.num(1, 2)?;
    c.eat("/").then_some(())?;
    let b = c.num(1, 2)?;
    c.eat("/").then_some(())?;
    let y = c.num(4, 4)?;
    // Month first, as in the US, unless the first cannot be a month.
    let (m, d) = if a > 12 { (b, a) } else { (a, b) };
    Some((y as i32, m as u8, d as u8))
}

fn month_first(c: &mut Cur<'_>) -> Option<Date> {
    let m = c.month_name()?;
    c.ws();
    let d = c.num(1, 2)?;
    let _ = c.eat_word("st") || c.eat_word("nd") || c.eat_word("rd") || c.eat_word("th");
    let _ = c.eat(",");
    c.ws();
    let y = c.num(4, 4)?;
    Some((y as i32, m, d as u8))
}

fn day_first(c: &mut Cur<'_>) -> Option<Date> {
    let d = c.num(1, 2)?;
    let _ = c.eat("-") || c.ws();
    let m = c.month_name()?;
    let _ = c.eat("-") || c.ws();
    let y = c.num(4, 4)?;
    Some((y as i32, m, d as u8))
}

/// A time of day at the cursor.
fn time_of_day(c: &mut Cur<'_>) -> Option<Tod> {
    let save = c.i;
    let mut pm: Option<bool> = None;
    if c.eat("午前") {
        pm = Some(false);
    } else if c.eat("午後") {
        pm = Some(true);
    }
    c.ws();
    let Some(h) = c.num(1, 2) else {
        c.i = save;
        return None;
    };
    let (mut h, m, s, us) = if c.eat(":") {
        let Some(m) = c.num(2, 2) else {
            c.i = save;
            return None;
        };
        let mut s = 0;
        let mut us = 0;
        let before_sec = c.i;
        if c.eat(":") {
            match c.num(2, 2) {
                Some(v) => {
                    s = v;
                    let before_frac = c.i;
                    if c.eat(".") {
                        let fs = c.i;
                        match c.num(1, 9) {
                            Some(_) => {
                                let digits = c.s.get(fs..c.i).unwrap_or("0");
                                let mut six: String = digits.chars().take(6).collect();
                                while six.len() < 6 {
                                    six.push('0');
                                }
                                us = six.parse().unwrap_or(0);
                            }
                            None => c.i = before_frac,
                        }
                    }
                }
                None => c.i = before_sec,
            }
        }
        (h, m, s, us)
    } else {
        c.ws();
        if !c.eat("時") {
            c.i = save;
            return None;
        }
        c.ws();
        let before_min = c.i;
        let m = match c.num(1, 2) {
            Some(m) => {
                c.ws();
                if c.eat("分") {
                    m
                } else {
                    c.i = before_min;
                    0
                }
            }
            None => {
                if c.eat("半") {
                    30
                } else {
                    0
                }
            }
        };
        let before_sec = c.i;
        c.ws();
        let s = match c.num(1, 2) {
            Some(s) => {
                c.ws();
                if c.eat("秒") {
                    s
                } else {
                    c.i = before_sec;
                    0
                }
            }
            None => {
                c.i = before_sec;
                0
            }
        };
        (h, m, s, 0)
    };
    if pm.is_none() {
        let before = c.i;
        c.ws();
        if c.eat_word("am") || c.eat_word("a.m.") {
            pm = Some(false);
        } else if c.eat_word("pm") || c.eat_word("p.m.") {
            pm = Some(true);
        } else {
            c.i = before;
        }
    }
    match pm {
        Some(true) if h < 12 => h += 12,
        Some(false) if h == 12 => h = 0,
        _ => {}
    }
    if h > 23 || m > 59 || s > 60 {
        c.i = save;
        return None;
    }
    Some((h as u8, m as u8, s.min(59) as u8, us))
}

/// A numeric offset: `+0900`, `+09:00`, `+09`, `+9` (after `UTC`/`GMT`).
fn offset(c: &mut Cur<'_>, short_ok: bool) -> Option<i32> {
    let save = c.i;
    let sign = match c.peek() {
        Some(b'+') => 1,
        Some(b'-') => -1,
        _ => return None,
    };
    c.i += 1;
    let hstart = c.i;
    let secs = if let Some(hm) = c.num(4, 4) {
        (hm / 100) * 3600 + (hm % 100) * 60
    } else if let Some(h) = c.num(if short_ok { 1 } else { 2 }, 2) {
        let two = c.i - hstart == 2;
        let mut secs = h * 3600;
        if two && c.peek() == Some(b':') {
            c.i += 1;
            match c.num(2, 2) {
                Some(m) => secs += m * 60,
                None => {
                    c.i = save;
                    return None;
                }
            }
        }
        secs
    } else {
        c.i = save;
        return None;
    };
    // `-10:30:00` is a time, not an offset.
    if secs > 14 * 3600 || c.peek() == Some(b':') {
        c.i = save;
        return None;
    }
    Some(sign * secs as i32)
}

/// A zone at the cursor (after optional spaces), in parentheses or not.
fn zone(c: &mut Cur<'_>, attached: bool) -> Option<ZoneHint> {
    let save = c.i;
    if attached && c.peek() == Some(b'Z') {
        c.i += 1;
        if !c.letter_follows() {
            return Some(ZoneHint::Utc);
        }
        c.i = save;
    }
    if attached && let Some(o) = offset(c, false) {
        return Some(ZoneHint::Offset(o));
    }
    let spaced = c.ws();
    let paren = if c.eat("(") || c.eat("[") {
        c.ws();
        true
    } else {
        false
    };
    let z = if c.eat_word("utc") || c.eat_word("gmt") || c.eat("協定世界時") {
        let _ = c.eat(" ");
        match offset(c, true) {
            Some(0) | None => Some(ZoneHint::Utc),
            Some(o) => Some(ZoneHint::Offset(o)),
        }
    } else if c.eat_word("jst") || c.eat("日本標準時") || c.eat("日本時間") {
        Some(ZoneHint::Tokyo)
    } else if (spaced || paren) && let Some(o) = offset(c, false) {
        Some(ZoneHint::Offset(o))
    } else {
        None
    };
    if z.is_none() {
        c.i = save;
        return None;
    }
    if paren {
        c.ws();
        if !(c.eat(")") || c.eat("]")) {
            c.i = save;
            return None;
        }
    }
    // `+0900 (JST)`: the comment adds nothing.
    if matches!(z, Some(ZoneHint::Offset(_))) {
        let before = c.i;
        c.ws();
        if !(c.eat("(") && {
            c.ws();
            let _ = c.eat_word("jst") || c.eat_word("utc") || c.eat_word("gmt");
            c.ws();
            c.eat(")")
        }) {
            c.i = before;
        }
    }
    z
}

/// Skips `頃`, `ごろ`, `時点`.
fn approx(c: &mut Cur<'_>) {
    let save = c.i;
    c.ws();
    if !(c.eat("頃") || c.eat("ごろ") || c.eat("時点") || c.eat("現在")) {
        c.i = save;
    }
}

/// The end of a range after the start's time.
fn range_end(c: &mut Cur<'_>) -> Option<(Option<Date>, Tod, Option<ZoneHint>)> {
    let save = c.i;
    c.ws();
    if !(c.eat("~") || c.eat("-") || c.eat("から") || c.eat_word("to") || c.eat("–")) {
        c.i = save;
        return None;
    }
    c.ws();
    let before = c.i;
    let d = date(c);
    if d.is_some() {
        let _ = c.eat("T") || c.ws();
        let _ = c.eat(",") && c.ws();
        let _ = c.eat_word("at") && c.ws();
    }
    let Some(t) = time_of_day(c) else {
        c.i = save;
        let _ = before;
        return None;
    };
    let z = zone(c, false);
    approx(c);
    let _ = c.eat("まで");
    Some((d, t, z))
}

/// A date (and time) starting exactly at byte `i`.
fn parse_at(s: &str, i: usize) -> Option<Found> {
    let mut c = Cur::new(s, i);
    let d = date(&mut c)?;
    let after_date = c.i;
    let mut iso = false;
    if c.eat("T") && c.peek().is_some_and(|b| b.is_ascii_digit()) {
        iso = true;
    } else {
        c.i = after_date;
        c.ws();
        if c.eat(",") {
            c.ws();
        }
        if c.eat_word("at") || c.eat("@") {
            c.ws();
        }
    }
    let Some(t) = time_of_day(&mut c) else {
        c.i = after_date;
        let z = zone(&mut c, false);
        approx(&mut c);
        return Some(Found {
            range: i..c.i,
            date: d,
            time: None,
            zone: z,
            end: None,
        });
    };
    let attached = iso || c.peek() == Some(b'Z');
    let mut z = zone(&mut c, attached);
    approx(&mut c);
    let mut end = None;
    if let Some((ed, et, ez)) = range_end(&mut c) {
        end = Some((ed, et));
        if z.is_none() {
            z = ez;
        }
    }
    Some(Found {
        range: i..c.i,
        date: d,
        time: Some(t),
        zone: z,
        end,
    })
}

/// Whether a date could start at byte `i`.
fn candidate(b: &[u8], i: usize) -> bool {
    let c = b[i];
    let prev = if i == 0 { None } else { Some(b[i - 1]) };
    if c.is_ascii_digit() {
        return !prev.is_some_and(|p| p.is_ascii_digit() || p == b'.' || p == b':');
    }
    c.is_ascii_alphabetic() && !prev.is_some_and(|p| p.is_ascii_alphabetic())
}

/// Every date in a folded line, left to right, not overlapping.
pub(crate) fn find_all(s: &str) -> Vec<Found> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if s.is_char_boundary(i)
            && candidate(b, i)
            && let Some(f) = parse_at(s, i)
        {
            i = f.range.end.max(i + 1);
            out.push(f);
            continue;
        }
        i += 1;
    }
    out
}

/// The first date in a folded line with a time, else the first date.
pub(crate) fn find(s: &str) -> Option<Found> {
    let all = find_all(s);
    all.iter()
        .find(|f| f.time.is_some())
        .or_else(|| all.first())
        .cloned()
}

/// A time of day on its own (`10:15:23`, `10時15分 JST`), for notices that
/// put the date and the time on different lines.
pub(crate) fn find_time_only(s: &str) -> Option<(Range<usize>, Tod, Option<ZoneHint>)> {
    let b = s.as_bytes();
    for i in 0..b.len() {
        let starts = s.is_char_boundary(i)
            && (b[i].is_ascii_digit() && (i == 0 || !b[i - 1].is_ascii_digit())
                || s[i..].starts_with("午"));
        if !starts {
            continue;
        }
        let mut c = Cur::new(s, i);
        if let Some(t) = time_of_day(&mut c) {
            let z = zone(&mut c, false);
            return Some((i..c.i, t, z));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> (String, Option<String>) {
        let f = find(s).unwrap_or_else(|| panic!("no date in {s:?}"));
        let r = f.resolve(&ZoneChoice::of(Zone::Utc));
        let iso = |us: i64| {
            kizuki_event::Timestamp::from_micros(us)
                .map(|t| t.to_iso())
                .unwrap_or_default()
        };
        (
            format!("{} {}", r.time.map(iso).unwrap_or_default(), r.zone),
            r.end.map(iso),
        )
    }

    #[test]
    fn japanese_forms() {
        let t = "2021-02-22T01:15:23+00:00 Asia/Tokyo";
        assert_eq!(utc("2021/02/22 10:15:23 (日本時間)").0, t);
        assert_eq!(utc("2021/02/22 10:15:23 JST").0, t);
        assert_eq!(
            utc("2021/02/22 10:15 JST").0,
            "2021-02-22T01:15:00+00:00 Asia/Tokyo"
        );
        assert_eq!(
            utc("2021年2月22日 10時15分").0,
            "2021-02-22T10:15:00+00:00 UTC"
        );
        assert_eq!(
            utc("2021年2月22日(月) 午後3時15分20秒 日本時間").0,
            "2021-02-22T06:15:20+00:00 Asia/Tokyo"
        );
        assert_eq!(
            utc("2021 年 2 月 22 日 午前 10 時 15 分").0,
            "2021-02-22T10:15:00+00:00 UTC"
        );
    }

    #[test]
    fn numeric_and_english_forms() {
        let t = "2021-02-22T01:15:23+00:00";
        assert_eq!(utc("2021-02-22 10:15:23 +0900").0, format!("{t} +09:00"));
        assert_eq!(utc("2021-02-22T01:15:23Z").0, format!("{t} UTC"));
        assert_eq!(utc("2021-02-22T10:15:23+09:00").0, format!("{t} +09:00"));
        assert_eq!(utc("2021-02-22 01:15:23 UTC").0, format!("{t} UTC"));
        assert_eq!(utc("2021-02-22 01:15:23 (UTC)").0, format!("{t} UTC"));
        assert_eq!(utc("2021-02-22 01:15:23 (協定世界時)").0, format!("{t} UTC"));
        assert_eq!(utc("2021-02-22 01:15:23 (GMT)").0, format!("{t} UTC"));
        assert_eq!(utc("Feb 22, 2021 10:15:23 JST").0, format!("{t} Asia/Tokyo"));
        assert_eq!(utc("22 Feb 2021 10:15:23 +0900").0, format!("{t} +09:00"));
        assert_eq!(
            utc("Mon, 22 Feb 2021 10:15:23 +0900 (JST)").0,
            format!("{t} +09:00")
        );
        assert_eq!(
            utc("Mon, Feb 22, 2021 at 10:15 AM").0,
            "2021-02-22T10:15:00+00:00 UTC"
        );
        assert_eq!(
            utc("February 22, 2021 at 10:15:23 GMT+9").0,
            format!("{t} +09:00")
        );
    }

    #[test]
    fn ranges_keep_the_start_and_note_the_end() {
        let (start, end) = utc("2021/02/22 10:00~10:30 (日本時間)");
        assert_eq!(start, "2021-02-22T01:00:00+00:00 Asia/Tokyo");
        assert_eq!(end.as_deref(), Some("2021-02-22T01:30:00+00:00"));
        let (start, end) = utc("2021-02-22 10:15:23 JST ~ 2021-02-22 11:00:00 JST (3 回)");
        assert_eq!(start, "2021-02-22T01:15:23+00:00 Asia/Tokyo");
        assert_eq!(end.as_deref(), Some("2021-02-22T02:00:00+00:00"));
        let (_, end) = utc("2021/02/22 23:50-00:10 JST");
        assert_eq!(end.as_deref(), Some("2021-02-22T15:10:00+00:00"));
    }

    #[test]
    fn not_dates() {
        assert!(find("203.0.113.5").is_none());
        assert!(find("version 1.2.3").is_none());
        assert!(find("2021/13/40 10:00").is_none());
        let f = find("2021/02/22").unwrap();
        assert_eq!(f.time, None);
        let f = find("203.0.113.5 2021-02-22 10:15:23 JST emotet").unwrap();
        assert_eq!(f.range, 12..35);
        assert_eq!(
            find_time_only("10:15:23 (JST)"),
            Some((0..14, (10, 15, 23, 0), Some(ZoneHint::Tokyo)))
        );
    }
}
