//! The shapes of dates and times, read with a cursor over folded text.

use super::found::{Date, Found, Tod, ZoneHint, civil};
use kizuki_event::time::MONTH_NAMES as MONTHS;

/// A cursor over folded text.
pub(super) struct Cur<'a> {
    s: &'a str,
    b: &'a [u8],
    /// The byte the cursor is at.
    pub(super) i: usize,
}

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
    pub(super) fn new(s: &'a str, i: usize) -> Cur<'a> {
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
            if self.eat_word(m) || self.eat_word(&m[..3]) || (n == 8 && self.eat_word("sept")) {
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
pub(super) fn time_of_day(c: &mut Cur<'_>) -> Option<Tod> {
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
pub(super) fn zone(c: &mut Cur<'_>, attached: bool) -> Option<ZoneHint> {
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
    } else if (spaced || paren)
        && let Some(o) = offset(c, false)
    {
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
pub(super) fn parse_at(s: &str, i: usize) -> Option<Found> {
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
