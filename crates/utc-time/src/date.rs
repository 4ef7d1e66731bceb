//! A proleptic-Gregorian calendar date, parsed strictly from `YYYY-MM-DD`.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A calendar date (no time, no zone). Ordering is chronological.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CalendarDate {
    year: i32,
    month: u8,
    day: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{input}' is not a calendar date in the form YYYY-MM-DD ({reason})")]
pub struct DateError {
    pub input: String,
    pub reason: &'static str,
}

impl CalendarDate {
    pub fn new(year: i32, month: u8, day: u8) -> Option<Self> {
        if !(1..=9999).contains(&year) || !(1..=12).contains(&month) {
            return None;
        }
        if day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Self { year, month, day })
    }

    /// Parses exactly `YYYY-MM-DD`: four-digit year, two-digit month and day, a real date.
    pub fn parse(input: &str) -> Result<Self, DateError> {
        let err = |reason| DateError {
            input: input.chars().take(40).collect(),
            reason,
        };
        let b = input.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(err("expected exactly 10 characters YYYY-MM-DD"));
        }
        let digits = |r: std::ops::Range<usize>| -> Option<u32> {
            let s = &input[r];
            if s.bytes().all(|c| c.is_ascii_digit()) {
                s.parse().ok()
            } else {
                None
            }
        };
        let (Some(y), Some(m), Some(d)) = (digits(0..4), digits(5..7), digits(8..10)) else {
            return Err(err("year, month and day must be digits"));
        };
        Self::new(y as i32, m as u8, d as u8).ok_or_else(|| err("no such day in the calendar"))
    }

    pub fn year(self) -> i32 {
        self.year
    }
    pub fn month(self) -> u8 {
        self.month
    }
    pub fn day(self) -> u8 {
        self.day
    }

    /// Days since 1970-01-01 (negative before).
    pub fn to_days(self) -> i64 {
        // Howard Hinnant's days_from_civil.
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    pub fn from_days(days: i64) -> Self {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let m = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let y = (yoe + era * 400 + i64::from(m <= 2)) as i32;
        Self {
            year: y,
            month: m,
            day: d,
        }
    }

    pub fn add_days(self, n: i64) -> Self {
        Self::from_days(self.to_days() + n)
    }

    /// ISO weekday: Monday 1 … Sunday 7.
    /// The same day `n` calendar months later (earlier when negative), clamped to the month's
    /// last day, as Trino's `date_add('month', n, d)`: 2024-03-31 minus one month is 2024-02-29.
    pub fn add_months(self, n: i32) -> Self {
        let index = self.year() * 12 + i32::from(self.month()) - 1 + n;
        let (year, month) = (index.div_euclid(12), (index.rem_euclid(12) + 1) as u8);
        (28..=self.day().max(28))
            .rev()
            .find_map(|day| Self::new(year, month, day.min(self.day())))
            .expect("day 28 exists in every month")
    }

    pub fn iso_weekday(self) -> u8 {
        // 1970-01-01 was a Thursday (4).
        ((self.to_days() + 3).rem_euclid(7) + 1) as u8
    }

    /// The UTC date of a Unix time in milliseconds.
    pub fn from_unix_millis(ms: i64) -> Self {
        Self::from_days(ms.div_euclid(86_400_000))
    }

    /// Today's date in UTC.
    pub fn today_utc() -> Self {
        Self::from_unix_millis(crate::instant::now_millis())
    }
}

fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i32, m: u8) -> u8 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        _ => 28,
    }
}

impl fmt::Display for CalendarDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl std::str::FromStr for CalendarDate {
    type Err = DateError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for CalendarDate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for CalendarDate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_added_as_trino_does() {
        let d = |s: &str| CalendarDate::parse(s).unwrap();
        assert_eq!(d("2024-03-31").add_months(-1), d("2024-02-29"));
        assert_eq!(d("2023-03-31").add_months(-1), d("2023-02-28"));
        assert_eq!(d("2024-01-15").add_months(-1), d("2023-12-15"));
        assert_eq!(d("2024-12-31").add_months(2), d("2025-02-28"));
        assert_eq!(d("2024-05-31").add_months(-3), d("2024-02-29"));
    }

    #[test]
    fn parses_real_dates_only() {
        assert_eq!(
            CalendarDate::parse("2024-02-29").unwrap().to_string(),
            "2024-02-29"
        );
        for bad in [
            "2023-02-29",
            "2026-02-30",
            "26-11-01",
            "2026-11-01T00:00",
            "",
            "2026-1-01",
            "2026-13-01",
            "２０２６-11-01",
            "2026/11/01",
            "0000-01-01",
        ] {
            assert!(
                CalendarDate::parse(bad).is_err(),
                "{bad} should be rejected"
            );
        }
    }

    #[test]
    fn day_arithmetic_round_trips() {
        assert_eq!(CalendarDate::parse("1970-01-01").unwrap().to_days(), 0);
        assert_eq!(CalendarDate::parse("2000-03-01").unwrap().to_days(), 11_017);
        for days in -800_000..800_000i64 {
            if days % 997 == 0 {
                assert_eq!(CalendarDate::from_days(days).to_days(), days);
            }
        }
        assert_eq!(
            CalendarDate::parse("2024-12-31")
                .unwrap()
                .add_days(1)
                .to_string(),
            "2025-01-01"
        );
    }

    #[test]
    fn iso_weekday_matches_calendar() {
        assert_eq!(CalendarDate::parse("2024-03-10").unwrap().iso_weekday(), 7); // a Sunday
        assert_eq!(CalendarDate::parse("2026-11-23").unwrap().iso_weekday(), 1);
        // a Monday
    }
}
