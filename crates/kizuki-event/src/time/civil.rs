//! Calendar arithmetic in the proleptic Gregorian calendar, UTC only.
//!
//! Feeds print millions of timestamps, so the hot conversion is done here with
//! integer arithmetic (Howard Hinnant's days-from-civil algorithm) instead of
//! going through a time zone database.

/// Calendar fields of a UTC time.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Civil {
    /// Year, 1–9999.
    pub year: i32,
    /// Month, 1–12.
    pub month: u8,
    /// Day of the month, 1–31.
    pub day: u8,
    /// Hour, 0–23.
    pub hour: u8,
    /// Minute, 0–59.
    pub minute: u8,
    /// Second, 0–59.
    pub second: u8,
    /// Microsecond, 0–999999.
    pub micro: u32,
}

/// Days in `month` of `year`.
pub(crate) fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 of a valid date.
fn days_from_civil(y: i32, m: u8, d: u8) -> i64 {
    let y = i64::from(y) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i32, u8, u8) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    ((y + i64::from(m <= 2)) as i32, m, d)
}

impl Civil {
    /// Midnight of a date.
    pub fn date(year: i32, month: u8, day: u8) -> Civil {
        Civil {
            year,
            month,
            day,
            hour: 0,
            minute: 0,
            second: 0,
            micro: 0,
        }
    }

    /// Whether every field is in range.
    pub fn is_valid(&self) -> bool {
        (1..=9999).contains(&self.year)
            && (1..=12).contains(&self.month)
            && self.day >= 1
            && self.day <= days_in_month(self.year, self.month)
            && self.hour < 24
            && self.minute < 60
            && self.second < 60
            && self.micro < 1_000_000
    }

    /// Microseconds since the epoch, or `None` for an invalid date.
    pub fn to_micros(&self) -> Option<i64> {
        if !self.is_valid() {
            return None;
        }
        let days = days_from_civil(self.year, self.month, self.day);
        let secs = days * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second);
        Some(secs * 1_000_000 + i64::from(self.micro))
    }

    /// Calendar fields of microseconds since the epoch.
    pub fn from_micros(micros: i64) -> Civil {
        let secs = micros.div_euclid(1_000_000);
        let micro = micros.rem_euclid(1_000_000) as u32;
        let days = secs.div_euclid(86_400);
        let sod = secs.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        Civil {
            year,
            month,
            day,
            hour: (sod / 3600) as u8,
            minute: (sod / 60 % 60) as u8,
            second: (sod % 60) as u8,
            micro,
        }
    }

    /// Writes `YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00` into `buf` and returns the
    /// length written (25 or 32 bytes).
    pub(crate) fn write_iso_utc(&self, buf: &mut [u8; 32]) -> usize {
        fn two(buf: &mut [u8], at: usize, v: u8) {
            buf[at] = b'0' + v / 10;
            buf[at + 1] = b'0' + v % 10;
        }
        let y = self.year.clamp(0, 9999) as u32;
        buf[0] = b'0' + (y / 1000) as u8;
        buf[1] = b'0' + (y / 100 % 10) as u8;
        buf[2] = b'0' + (y / 10 % 10) as u8;
        buf[3] = b'0' + (y % 10) as u8;
        buf[4] = b'-';
        two(buf, 5, self.month);
        buf[7] = b'-';
        two(buf, 8, self.day);
        buf[10] = b'T';
        two(buf, 11, self.hour);
        buf[13] = b':';
        two(buf, 14, self.minute);
        buf[16] = b':';
        two(buf, 17, self.second);
        let mut n = 19;
        if self.micro != 0 {
            buf[n] = b'.';
            let mut m = self.micro;
            for i in (0..6).rev() {
                buf[n + 1 + i] = b'0' + (m % 10) as u8;
                m /= 10;
            }
            n += 7;
        }
        buf[n..n + 6].copy_from_slice(b"+00:00");
        n + 6
    }
}
