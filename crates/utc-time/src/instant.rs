//! UTC instants as epoch milliseconds, and their ISO-8601 text.

use crate::CalendarDate;

const DAY_MS: i64 = 86_400_000;

/// Milliseconds since the Unix epoch, now (0 if the clock is before it).
pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// `YYYY-MM-DDThh:mm:ss.fffZ`, as Step Functions writes `$$.Execution.StartTime`.
pub fn iso_millis(ms: i64) -> String {
    let day = CalendarDate::from_unix_millis(ms);
    let t = ms.rem_euclid(DAY_MS);
    format!(
        "{day}T{:02}:{:02}:{:02}.{:03}Z",
        t / 3_600_000,
        t / 60_000 % 60,
        t / 1000 % 60,
        t % 1000
    )
}

/// The epoch milliseconds of `YYYY-MM-DDThh:mm:ss[.f…]Z` (fraction digits past the third are
/// dropped); `None` for any other form or an impossible date or time.
pub fn parse_iso_millis(text: &str) -> Option<i64> {
    let (date, rest) = text.split_at_checked(10)?;
    let day = CalendarDate::parse(date).ok()?;
    let rest = rest.strip_prefix('T')?.strip_suffix('Z')?;
    let (clock, fraction) = rest.split_once('.').unwrap_or((rest, ""));
    let b = clock.as_bytes();
    if b.len() != 8 || b[2] != b':' || b[5] != b':' {
        return None;
    }
    let field = |r: std::ops::Range<usize>, max: i64| {
        let text = clock.get(r)?;
        let n = text.parse::<i64>().ok()?;
        (text.bytes().all(|c| c.is_ascii_digit()) && n <= max).then_some(n)
    };
    let (h, m, s) = (field(0..2, 23)?, field(3..5, 59)?, field(6..8, 59)?);
    if !fraction.bytes().all(|c| c.is_ascii_digit()) || (rest.contains('.') && fraction.is_empty())
    {
        return None;
    }
    let millis: i64 = format!("{fraction:0<3}")[..3].parse().ok()?;
    Some(day.to_days() * DAY_MS + ((h * 60 + m) * 60 + s) * 1000 + millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_round_trip_through_their_text() {
        for ms in [
            0,
            1,
            999,
            1_794_736_801_000,
            -1,
            -86_400_001,
            253_402_300_799_999,
        ] {
            assert_eq!(parse_iso_millis(&iso_millis(ms)), Some(ms), "{ms}");
        }
        for text in [
            "2026-11-25T20:52:00.000Z",
            "2024-02-29T23:59:59.999Z",
            "1970-01-01T00:00:00.000Z",
            "2000-03-01T00:00:00.001Z",
        ] {
            assert_eq!(iso_millis(parse_iso_millis(text).unwrap()), text);
        }
        assert_eq!(iso_millis(1_794_736_801_123), "2026-11-15T10:00:01.123Z");
        assert_eq!(
            parse_iso_millis("2026-11-15T10:00:01Z"),
            Some(1_794_736_801_000)
        );
        assert_eq!(
            parse_iso_millis("2026-11-15T10:00:01.1Z"),
            Some(1_794_736_801_100)
        );
        assert_eq!(
            parse_iso_millis("2026-11-15T10:00:01.123456Z"),
            Some(1_794_736_801_123)
        );
    }

    #[test]
    fn other_forms_are_refused() {
        for text in [
            "2026-11-15 09:20:01Z",
            "2026-11-15T10:00:01",
            "2026-11-15T10:00:01+00:00",
            "2026-02-30T09:20:01Z",
            "2026-11-15T24:00:00Z",
            "2026-11-15T09:60:01Z",
            "2026-11-15T9:20:01Z",
            "2026-11-15T10:00:01.Z",
            "2026-11-15T09:20:+1Z",
            "2026-11-15T10:00:01.x1Z",
            "2026-11-25",
            "",
        ] {
            assert_eq!(parse_iso_millis(text), None, "{text}");
        }
    }
}
