//! Allocation-free parsing of numbers and timestamps from CSV cell bytes.
//!
//! The fast paths cover what history files actually contain (plain decimals, RFC 3339 UTC
//! timestamps, epoch integers); anything else falls back to [`Timestamp::parse`] so the
//! accepted set and the error messages stay those of `ploutos-core`.

use ploutos_core::Timestamp;

const NANOS_PER_SEC: i64 = 1_000_000_000;

/// Parses a float (`1.5`, `-2`, `1e-3`, `inf`, `NaN`); `None` when the bytes are no number.
/// Non-finite values are returned as such: the bar/trade constructors reject them with a
/// message naming the field.
#[inline]
pub(crate) fn parse_f64(b: &[u8]) -> Option<f64> {
    std::str::from_utf8(b).ok()?.parse().ok()
}

/// Parses an unsigned integer; `None` when empty, not all digits, or too large.
#[inline]
pub(crate) fn parse_u64(b: &[u8]) -> Option<u64> {
    if b.is_empty() || b.len() > 20 {
        return None;
    }
    let mut n: u64 = 0;
    for &c in b {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(d))?;
    }
    Some(n)
}

/// Parses a boolean as written by Binance, pandas or a human: `true`/`false` (any case),
/// `1`/`0`, `t`/`f`, `yes`/`no`.
pub(crate) fn parse_bool(b: &[u8]) -> Option<bool> {
    const TRUE: [&[u8]; 4] = [b"true", b"1", b"t", b"yes"];
    const FALSE: [&[u8]; 4] = [b"false", b"0", b"f", b"no"];
    if TRUE.iter().any(|t| b.eq_ignore_ascii_case(t)) {
        Some(true)
    } else if FALSE.iter().any(|f| b.eq_ignore_ascii_case(f)) {
        Some(false)
    } else {
        None
    }
}

/// An epoch integer scaled by its digit count, as [`Timestamp::parse`] does: up to 11 digits
/// seconds, 12–14 milliseconds, 15–17 microseconds, 18 or more nanoseconds. `None` on
/// overflow.
pub(crate) fn epoch_by_digits(n: i64) -> Option<Timestamp> {
    let digits = n.unsigned_abs().checked_ilog10().map_or(1, |l| l + 1);
    let nanos = match digits {
        0..=11 => n.checked_mul(NANOS_PER_SEC)?,
        12..=14 => n.checked_mul(1_000_000)?,
        15..=17 => n.checked_mul(1_000)?,
        _ => n,
    };
    Some(Timestamp::from_nanos(nanos))
}

/// Why a timestamp cell could not be read (the text of core's error, without the value).
pub(crate) fn parse_timestamp(b: &[u8]) -> Result<Timestamp, String> {
    if let Some(t) = fast_timestamp(b) {
        return Ok(t);
    }
    match std::str::from_utf8(b) {
        Ok(s) => Timestamp::parse(s).map_err(|e| match e {
            ploutos_core::CoreError::Timestamp { reason, .. } => {
                format!("is not a timestamp ({reason})")
            }
            ploutos_core::CoreError::TimestampRange { .. } => {
                "is out of range (1677-09-21 .. 2262-04-11 UTC)".to_string()
            }
            other => other.to_string(),
        }),
        Err(_) => Err("is not a timestamp (not UTF-8 text)".to_string()),
    }
}

/// The common shapes, parsed without allocating; `None` sends the cell to the slow path
/// (which either accepts a rarer shape or produces the error message).
#[inline]
fn fast_timestamp(b: &[u8]) -> Option<Timestamp> {
    if b.is_empty() {
        return None;
    }
    if b.iter().all(u8::is_ascii_digit) {
        if b.len() > 18 {
            return None;
        }
        let n = i64::try_from(parse_u64(b)?).ok()?;
        // Digit count as written (leading zeros count), like Timestamp::parse.
        let nanos = match b.len() {
            0..=11 => n.checked_mul(NANOS_PER_SEC)?,
            12..=14 => n.checked_mul(1_000_000)?,
            15..=17 => n.checked_mul(1_000)?,
            _ => n,
        };
        return Some(Timestamp::from_nanos(nanos));
    }
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year = digits(&b[0..4])?;
    let month = digits(&b[5..7])?;
    let day = digits(&b[8..10])?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let mut secs = days * 86_400;
    let mut nanos = 0i64;
    let mut rest = &b[10..];
    if !rest.is_empty() {
        if rest.len() < 9
            || !(rest[0] == b'T' || rest[0] == b' ')
            || rest[3] != b':'
            || rest[6] != b':'
        {
            return None;
        }
        let h = digits(&rest[1..3])?;
        let m = digits(&rest[4..6])?;
        let s = digits(&rest[7..9])?;
        if h > 23 || m > 59 || s > 59 {
            return None;
        }
        secs += h * 3_600 + m * 60 + s;
        rest = &rest[9..];
        if let Some(frac) = rest.strip_prefix(b".") {
            let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
            if n == 0 || n > 9 {
                return None;
            }
            let mut f = digits(&frac[..n])?;
            for _ in n..9 {
                f *= 10;
            }
            nanos = f;
            rest = &frac[n..];
        }
        match rest {
            b"" | b"Z" | b"z" => {}
            [sign @ (b'+' | b'-'), hh @ .., b':', m1, m2] if hh.len() == 2 => {
                let oh = digits(hh)?;
                let om = digits(&[*m1, *m2])?;
                if oh > 23 || om > 59 {
                    return None;
                }
                let off = oh * 3_600 + om * 60;
                secs += if *sign == b'+' { -off } else { off };
            }
            _ => return None,
        }
    }
    secs.checked_mul(NANOS_PER_SEC)?
        .checked_add(nanos)
        .map(Timestamp::from_nanos)
}

#[inline]
fn digits(b: &[u8]) -> Option<i64> {
    let mut n = 0i64;
    for &c in b {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        n = n * 10 + i64::from(d);
    }
    Some(n)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
pub(crate) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date of a day count since 1970-01-01.
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn fast_path_matches_core() {
        for s in [
            "2024-01-02T14:40:00Z",
            "2024-01-02T14:40:00.278Z",
            "2024-01-02T14:40:00.123456789Z",
            "2024-01-02T09:40:00-05:00",
            "2024-01-02 14:40:00",
            "2024-01-02 14:40:00+00:00",
            "2024-01-02T14:40:00",
            "2024-02-29",
            "1704206400",
            "1704206400000",
            "1704206400000000",
            "1704206400000000000",
            "0",
            "1969-12-31T23:59:59Z",
        ] {
            assert_eq!(
                parse_timestamp(s.as_bytes()).unwrap(),
                Timestamp::parse(s).unwrap(),
                "{s}"
            );
        }
        assert!(parse_timestamp(b"2023-02-29").is_err());
        assert!(parse_timestamp(b"abc")
            .unwrap_err()
            .contains("is not a timestamp"));
    }

    #[test]
    fn parses_numbers() {
        assert_eq!(parse_f64(b"1.5"), Some(1.5));
        assert_eq!(parse_f64(b"abc"), None);
        assert_eq!(parse_u64(b"42"), Some(42));
        assert_eq!(parse_u64(b"99999999999999999999999"), None);
        assert_eq!(parse_bool(b"True"), Some(true));
        assert_eq!(
            epoch_by_digits(1_704_206_400_000),
            Timestamp::from_millis(1_704_206_400_000)
        );
    }

    proptest! {
        #[test]
        fn agrees_with_core_on_generated_dates(
            y in 1678i64..2261, m in 1i64..=12, d in 1i64..=28, h in 0i64..24, mi in 0i64..60,
            s in 0i64..60, frac in proptest::option::of(0u32..1_000_000_000), tz in 0usize..4,
        ) {
            let mut text = format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}");
            if let Some(f) = frac {
                text.push_str(&format!(".{f:09}"));
            }
            text.push_str(["Z", "", "+01:30", "-07:00"][tz]);
            prop_assert_eq!(parse_timestamp(text.as_bytes()).ok(), Timestamp::parse(&text).ok());
        }

        #[test]
        fn civil_round_trip(days in -100_000i64..100_000) {
            let (y, m, d) = civil_from_days(days);
            prop_assert_eq!(days_from_civil(y, i64::from(m), i64::from(d)), days);
        }

        #[test]
        fn never_panics(b in proptest::collection::vec(any::<u8>(), 0..40)) {
            let _ = parse_timestamp(&b);
            let _ = parse_f64(&b);
            let _ = parse_u64(&b);
        }
    }
}
