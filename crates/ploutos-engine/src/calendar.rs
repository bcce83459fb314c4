//! The NYSE trading calendar: regular session 09:30–16:00 America/New_York, full-day
//! closures and 13:00 early closes for 2015–2030 from a hand-checked table, and US Eastern
//! daylight saving time computed from the rule in force since 2007 (EDT, UTC−4, from the
//! second Sunday of March to the first Sunday of November; EST, UTC−5, otherwise).
//!
//! The table lists every NYSE holiday as observed (a Saturday holiday on the Friday before, a
//! Sunday holiday on the Monday after; New Year's Day on a Saturday is not observed),
//! Juneteenth from 2022, and the national days of mourning 2018-12-05 (George H. W. Bush) and
//! 2025-01-09 (Jimmy Carter). Early closes (13:00 ET) are the day before Independence Day when
//! it is a Monday–Thursday trading day, the day after Thanksgiving, and Christmas Eve when it
//! is a weekday trading day.
//!
//! Outside 2015–2030 [`NyseCalendar::covers`] is false and every weekday is taken as a full
//! regular session (no holidays): an approximation, documented in `docs/paper-broker.md`.
//!
//! Every session lies within one UTC calendar day (13:30–21:00 UTC at the latest), so the
//! session an instant belongs to is the session of its UTC date.

use chrono::{Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use ploutos_core::Timestamp;
use serde::{Deserialize, Serialize};

/// First and last year of the hand-written table.
pub const FIRST_YEAR: i32 = 2015;
pub const LAST_YEAR: i32 = 2030;

/// What kind of day a date is at the NYSE.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DayKind {
    Weekend,
    /// A full-day closure, with its name.
    Holiday(&'static str),
    /// A session closing at 13:00 ET, with the occasion.
    EarlyClose(&'static str),
    /// 09:30–16:00 ET.
    Regular,
}

/// The NYSE calendar (stateless; `Default`, serializable as a unit).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NyseCalendar;

fn lookup(
    table: &'static [(i32, u32, u32, &'static str)],
    date: NaiveDate,
) -> Option<&'static str> {
    let key = (date.year(), date.month(), date.day());
    table
        .binary_search_by(|&(y, m, d, _)| (y, m, d).cmp(&key))
        .ok()
        .map(|i| table[i].3)
}

/// The `n`-th (1-based) `weekday` of `month`.
fn nth_weekday(year: i32, month: u32, weekday: Weekday, n: u32) -> Option<NaiveDate> {
    NaiveDate::from_weekday_of_month_opt(year, month, weekday, n as u8)
}

/// UTC offset of US Eastern time on `date` at 09:30–16:00 local, in hours (−4 or −5). The
/// switches happen at 02:00 local, long before the open, so a switch day already has the new
/// offset during the session.
pub fn eastern_offset_hours(date: NaiveDate) -> i64 {
    let y = date.year();
    let start = nth_weekday(y, 3, Weekday::Sun, 2);
    let end = nth_weekday(y, 11, Weekday::Sun, 1);
    match (start, end) {
        (Some(s), Some(e)) if date >= s && date < e => -4,
        _ => -5,
    }
}

/// The UTC instant of `hh:mm` Eastern time on `date`.
fn eastern(date: NaiveDate, hh: u32, mm: u32) -> Option<Timestamp> {
    let local = date.and_time(NaiveTime::from_hms_opt(hh, mm, 0)?);
    let utc = local - Duration::hours(eastern_offset_hours(date));
    Timestamp::from_datetime(Utc.from_utc_datetime(&utc))
}

impl NyseCalendar {
    pub fn new() -> Self {
        NyseCalendar
    }

    /// Whether the holiday table covers `date` (2015–2030).
    pub fn covers(&self, date: NaiveDate) -> bool {
        (FIRST_YEAR..=LAST_YEAR).contains(&date.year())
    }

    /// What kind of day `date` is.
    pub fn day_kind(&self, date: NaiveDate) -> DayKind {
        if matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
            return DayKind::Weekend;
        }
        if let Some(name) = lookup(HOLIDAYS, date) {
            return DayKind::Holiday(name);
        }
        if let Some(name) = lookup(EARLY_CLOSES, date) {
            return DayKind::EarlyClose(name);
        }
        DayKind::Regular
    }

    /// The regular session of `date` as UTC instants `[open, close)`; `None` on weekends and
    /// holidays.
    pub fn session(&self, date: NaiveDate) -> Option<(Timestamp, Timestamp)> {
        let close_hour = match self.day_kind(date) {
            DayKind::Weekend | DayKind::Holiday(_) => return None,
            DayKind::EarlyClose(_) => 13,
            DayKind::Regular => 16,
        };
        Some((eastern(date, 9, 30)?, eastern(date, close_hour, 0)?))
    }

    /// Whether the regular session is open at `t` (open inclusive, close exclusive).
    pub fn is_open(&self, t: Timestamp) -> bool {
        let date = t.to_datetime().date_naive();
        self.session(date)
            .is_some_and(|(open, close)| open <= t && t < close)
    }

    /// The first session (its open and close) whose close is after `t`: the session open at
    /// `t`, or else the next one. Looks at most 30 days ahead.
    pub fn current_or_next_session(&self, t: Timestamp) -> Option<(Timestamp, Timestamp)> {
        first_session_closing_after(t, |d| self.session(d))
    }

    /// The first session open at or after `t` (`t` itself when `t` is exactly an open).
    pub fn next_open(&self, t: Timestamp) -> Option<Timestamp> {
        let mut date = t.to_datetime().date_naive();
        for _ in 0..30 {
            if let Some((open, _)) = self.session(date) {
                if open >= t {
                    return Some(open);
                }
            }
            date = date.succ_opt()?;
        }
        None
    }
}

/// The first session of `session` (by date) whose close is after `t`: the one open at `t`,
/// or else the next; looks at most 30 days ahead.
fn first_session_closing_after(
    t: Timestamp,
    session: impl Fn(NaiveDate) -> Option<(Timestamp, Timestamp)>,
) -> Option<(Timestamp, Timestamp)> {
    let mut date = t.to_datetime().date_naive();
    for _ in 0..30 {
        if let Some((open, close)) = session(date) {
            if close > t {
                return Some((open, close));
            }
        }
        date = date.succ_opt()?;
    }
    None
}

/// The UTC instant of the Eastern local time `time` on `date` (with that date's offset).
pub fn eastern_instant(date: NaiveDate, time: NaiveTime) -> Option<Timestamp> {
    let utc = date.and_time(time) - Duration::hours(eastern_offset_hours(date));
    Timestamp::from_datetime(Utc.from_utc_datetime(&utc))
}

/// The market's sessions: the NYSE table, overridden day by day by the sessions a broker
/// reported (Alpaca's `/v2/calendar` when connected), which are the truth where they exist.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sessions {
    table: NyseCalendar,
    /// Per date: the reported session `[open, close)`, or `None` for a closed day.
    reported: std::collections::BTreeMap<NaiveDate, Option<(Timestamp, Timestamp)>>,
}

impl Sessions {
    /// The table alone.
    pub fn new() -> Self {
        Sessions::default()
    }

    /// Takes the broker's sessions for the dates `days` covers (`None` = closed that day) and
    /// returns, in words, every date where they differ from the table.
    pub fn report(
        &mut self,
        days: impl IntoIterator<Item = (NaiveDate, Option<(Timestamp, Timestamp)>)>,
    ) -> Vec<String> {
        let mut differences = Vec::new();
        for (date, session) in days {
            let table = self.table.session(date);
            if table != session {
                let show = |s: Option<(Timestamp, Timestamp)>| match s {
                    Some((o, c)) => format!("{o} .. {c}"),
                    None => "closed".to_string(),
                };
                differences.push(format!(
                    "{date}: the broker says {}, the built-in table {}",
                    show(session),
                    show(table)
                ));
            }
            self.reported.insert(date, session);
        }
        differences
    }

    /// The session of `date`: the broker's where reported, else the table's.
    pub fn session(&self, date: NaiveDate) -> Option<(Timestamp, Timestamp)> {
        match self.reported.get(&date) {
            Some(s) => *s,
            None => self.table.session(date),
        }
    }

    /// Whether the regular session is open at `t` (open inclusive, close exclusive).
    pub fn is_open(&self, t: Timestamp) -> bool {
        let date = t.to_datetime().date_naive();
        self.session(date)
            .is_some_and(|(open, close)| open <= t && t < close)
    }

    /// The first session whose close is after `t` (at most 30 days ahead).
    pub fn current_or_next_session(&self, t: Timestamp) -> Option<(Timestamp, Timestamp)> {
        first_session_closing_after(t, |d| self.session(d))
    }
}

/// NYSE full-day closures 2015–2030 (year, month, day, name), sorted.
const HOLIDAYS: &[(i32, u32, u32, &str)] = &[
    // 2015
    (2015, 1, 1, "New Year's Day"),
    (2015, 1, 19, "Martin Luther King Jr. Day"),
    (2015, 2, 16, "Washington's Birthday"),
    (2015, 4, 3, "Good Friday"),
    (2015, 5, 25, "Memorial Day"),
    (2015, 7, 3, "Independence Day (observed)"),
    (2015, 9, 7, "Labor Day"),
    (2015, 11, 26, "Thanksgiving Day"),
    (2015, 12, 25, "Christmas Day"),
    // 2016
    (2016, 1, 1, "New Year's Day"),
    (2016, 1, 18, "Martin Luther King Jr. Day"),
    (2016, 2, 15, "Washington's Birthday"),
    (2016, 3, 25, "Good Friday"),
    (2016, 5, 30, "Memorial Day"),
    (2016, 7, 4, "Independence Day"),
    (2016, 9, 5, "Labor Day"),
    (2016, 11, 24, "Thanksgiving Day"),
    (2016, 12, 26, "Christmas Day (observed)"),
    // 2017
    (2017, 1, 2, "New Year's Day (observed)"),
    (2017, 1, 16, "Martin Luther King Jr. Day"),
    (2017, 2, 20, "Washington's Birthday"),
    (2017, 4, 14, "Good Friday"),
    (2017, 5, 29, "Memorial Day"),
    (2017, 7, 4, "Independence Day"),
    (2017, 9, 4, "Labor Day"),
    (2017, 11, 23, "Thanksgiving Day"),
    (2017, 12, 25, "Christmas Day"),
    // 2018
    (2018, 1, 1, "New Year's Day"),
    (2018, 1, 15, "Martin Luther King Jr. Day"),
    (2018, 2, 19, "Washington's Birthday"),
    (2018, 3, 30, "Good Friday"),
    (2018, 5, 28, "Memorial Day"),
    (2018, 7, 4, "Independence Day"),
    (2018, 9, 3, "Labor Day"),
    (2018, 11, 22, "Thanksgiving Day"),
    (2018, 12, 5, "National Day of Mourning (George H. W. Bush)"),
    (2018, 12, 25, "Christmas Day"),
    // 2019
    (2019, 1, 1, "New Year's Day"),
    (2019, 1, 21, "Martin Luther King Jr. Day"),
    (2019, 2, 18, "Washington's Birthday"),
    (2019, 4, 19, "Good Friday"),
    (2019, 5, 27, "Memorial Day"),
    (2019, 7, 4, "Independence Day"),
    (2019, 9, 2, "Labor Day"),
    (2019, 11, 28, "Thanksgiving Day"),
    (2019, 12, 25, "Christmas Day"),
    // 2020
    (2020, 1, 1, "New Year's Day"),
    (2020, 1, 20, "Martin Luther King Jr. Day"),
    (2020, 2, 17, "Washington's Birthday"),
    (2020, 4, 10, "Good Friday"),
    (2020, 5, 25, "Memorial Day"),
    (2020, 7, 3, "Independence Day (observed)"),
    (2020, 9, 7, "Labor Day"),
    (2020, 11, 26, "Thanksgiving Day"),
    (2020, 12, 25, "Christmas Day"),
    // 2021
    (2021, 1, 1, "New Year's Day"),
    (2021, 1, 18, "Martin Luther King Jr. Day"),
    (2021, 2, 15, "Washington's Birthday"),
    (2021, 4, 2, "Good Friday"),
    (2021, 5, 31, "Memorial Day"),
    (2021, 7, 5, "Independence Day (observed)"),
    (2021, 9, 6, "Labor Day"),
    (2021, 11, 25, "Thanksgiving Day"),
    (2021, 12, 24, "Christmas Day (observed)"),
    // 2022
    (2022, 1, 17, "Martin Luther King Jr. Day"),
    (2022, 2, 21, "Washington's Birthday"),
    (2022, 4, 15, "Good Friday"),
    (2022, 5, 30, "Memorial Day"),
    (2022, 6, 20, "Juneteenth (observed)"),
    (2022, 7, 4, "Independence Day"),
    (2022, 9, 5, "Labor Day"),
    (2022, 11, 24, "Thanksgiving Day"),
    (2022, 12, 26, "Christmas Day (observed)"),
    // 2023
    (2023, 1, 2, "New Year's Day (observed)"),
    (2023, 1, 16, "Martin Luther King Jr. Day"),
    (2023, 2, 20, "Washington's Birthday"),
    (2023, 4, 7, "Good Friday"),
    (2023, 5, 29, "Memorial Day"),
    (2023, 6, 19, "Juneteenth"),
    (2023, 7, 4, "Independence Day"),
    (2023, 9, 4, "Labor Day"),
    (2023, 11, 23, "Thanksgiving Day"),
    (2023, 12, 25, "Christmas Day"),
    // 2024
    (2024, 1, 1, "New Year's Day"),
    (2024, 1, 15, "Martin Luther King Jr. Day"),
    (2024, 2, 19, "Washington's Birthday"),
    (2024, 3, 29, "Good Friday"),
    (2024, 5, 27, "Memorial Day"),
    (2024, 6, 19, "Juneteenth"),
    (2024, 7, 4, "Independence Day"),
    (2024, 9, 2, "Labor Day"),
    (2024, 11, 28, "Thanksgiving Day"),
    (2024, 12, 25, "Christmas Day"),
    // 2025
    (2025, 1, 1, "New Year's Day"),
    (2025, 1, 9, "National Day of Mourning (Jimmy Carter)"),
    (2025, 1, 20, "Martin Luther King Jr. Day"),
    (2025, 2, 17, "Washington's Birthday"),
    (2025, 4, 18, "Good Friday"),
    (2025, 5, 26, "Memorial Day"),
    (2025, 6, 19, "Juneteenth"),
    (2025, 7, 4, "Independence Day"),
    (2025, 9, 1, "Labor Day"),
    (2025, 11, 27, "Thanksgiving Day"),
    (2025, 12, 25, "Christmas Day"),
    // 2026
    (2026, 1, 1, "New Year's Day"),
    (2026, 1, 19, "Martin Luther King Jr. Day"),
    (2026, 2, 16, "Washington's Birthday"),
    (2026, 4, 3, "Good Friday"),
    (2026, 5, 25, "Memorial Day"),
    (2026, 6, 19, "Juneteenth"),
    (2026, 7, 3, "Independence Day (observed)"),
    (2026, 9, 7, "Labor Day"),
    (2026, 11, 26, "Thanksgiving Day"),
    (2026, 12, 25, "Christmas Day"),
    // 2027
    (2027, 1, 1, "New Year's Day"),
    (2027, 1, 18, "Martin Luther King Jr. Day"),
    (2027, 2, 15, "Washington's Birthday"),
    (2027, 3, 26, "Good Friday"),
    (2027, 5, 31, "Memorial Day"),
    (2027, 6, 18, "Juneteenth (observed)"),
    (2027, 7, 5, "Independence Day (observed)"),
    (2027, 9, 6, "Labor Day"),
    (2027, 11, 25, "Thanksgiving Day"),
    (2027, 12, 24, "Christmas Day (observed)"),
    // 2028
    (2028, 1, 17, "Martin Luther King Jr. Day"),
    (2028, 2, 21, "Washington's Birthday"),
    (2028, 4, 14, "Good Friday"),
    (2028, 5, 29, "Memorial Day"),
    (2028, 6, 19, "Juneteenth"),
    (2028, 7, 4, "Independence Day"),
    (2028, 9, 4, "Labor Day"),
    (2028, 11, 23, "Thanksgiving Day"),
    (2028, 12, 25, "Christmas Day"),
    // 2029
    (2029, 1, 1, "New Year's Day"),
    (2029, 1, 15, "Martin Luther King Jr. Day"),
    (2029, 2, 19, "Washington's Birthday"),
    (2029, 3, 30, "Good Friday"),
    (2029, 5, 28, "Memorial Day"),
    (2029, 6, 19, "Juneteenth"),
    (2029, 7, 4, "Independence Day"),
    (2029, 9, 3, "Labor Day"),
    (2029, 11, 22, "Thanksgiving Day"),
    (2029, 12, 25, "Christmas Day"),
    // 2030
    (2030, 1, 1, "New Year's Day"),
    (2030, 1, 21, "Martin Luther King Jr. Day"),
    (2030, 2, 18, "Washington's Birthday"),
    (2030, 4, 19, "Good Friday"),
    (2030, 5, 27, "Memorial Day"),
    (2030, 6, 19, "Juneteenth"),
    (2030, 7, 4, "Independence Day"),
    (2030, 9, 2, "Labor Day"),
    (2030, 11, 28, "Thanksgiving Day"),
    (2030, 12, 25, "Christmas Day"),
];

/// NYSE 13:00 ET early closes 2015–2030 (year, month, day, occasion), sorted.
const EARLY_CLOSES: &[(i32, u32, u32, &str)] = &[
    (2015, 11, 27, "day after Thanksgiving"),
    (2015, 12, 24, "Christmas Eve"),
    (2016, 11, 25, "day after Thanksgiving"),
    (2017, 7, 3, "Independence Day eve"),
    (2017, 11, 24, "day after Thanksgiving"),
    (2018, 7, 3, "Independence Day eve"),
    (2018, 11, 23, "day after Thanksgiving"),
    (2018, 12, 24, "Christmas Eve"),
    (2019, 7, 3, "Independence Day eve"),
    (2019, 11, 29, "day after Thanksgiving"),
    (2019, 12, 24, "Christmas Eve"),
    (2020, 11, 27, "day after Thanksgiving"),
    (2020, 12, 24, "Christmas Eve"),
    (2021, 11, 26, "day after Thanksgiving"),
    (2022, 11, 25, "day after Thanksgiving"),
    (2023, 7, 3, "Independence Day eve"),
    (2023, 11, 24, "day after Thanksgiving"),
    (2024, 7, 3, "Independence Day eve"),
    (2024, 11, 29, "day after Thanksgiving"),
    (2024, 12, 24, "Christmas Eve"),
    (2025, 7, 3, "Independence Day eve"),
    (2025, 11, 28, "day after Thanksgiving"),
    (2025, 12, 24, "Christmas Eve"),
    (2026, 11, 27, "day after Thanksgiving"),
    (2026, 12, 24, "Christmas Eve"),
    (2027, 11, 26, "day after Thanksgiving"),
    (2028, 7, 3, "Independence Day eve"),
    (2028, 11, 24, "day after Thanksgiving"),
    (2029, 7, 3, "Independence Day eve"),
    (2029, 11, 23, "day after Thanksgiving"),
    (2029, 12, 24, "Christmas Eve"),
    (2030, 7, 3, "Independence Day eve"),
    (2030, 11, 29, "day after Thanksgiving"),
    (2030, 12, 24, "Christmas Eve"),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    #[test]
    fn a_broker_reported_session_overrides_the_table_on_its_date_only() {
        let mut cal = Sessions::new();
        let t = |h: u32, m: u32| NaiveTime::from_hms_opt(h, m, 0).unwrap();
        // The broker agrees on one day, closes another early, and closes a third entirely.
        let agree = d(2024, 1, 3);
        let early = d(2024, 1, 4);
        let shut = d(2024, 1, 5);
        let days = vec![
            (agree, NyseCalendar.session(agree)),
            (
                early,
                Some((
                    eastern_instant(early, t(9, 30)).unwrap(),
                    eastern_instant(early, t(13, 0)).unwrap(),
                )),
            ),
            (shut, None),
        ];
        let diffs = cal.report(days);
        assert_eq!(diffs.len(), 2, "{diffs:?}");
        assert!(diffs[0].starts_with("2024-01-04"), "{diffs:?}");
        assert!(diffs[1].contains("closed"), "{diffs:?}");
        assert!(cal.is_open(ts("2024-01-04T17:59:00Z")));
        assert!(
            !cal.is_open(ts("2024-01-04T18:00:00Z")),
            "13:00 ET = 18:00 UTC"
        );
        assert!(!cal.is_open(ts("2024-01-05T15:00:00Z")));
        // The next session after the closed Friday is Monday's, from the table.
        assert_eq!(
            cal.current_or_next_session(ts("2024-01-05T15:00:00Z")),
            NyseCalendar.session(d(2024, 1, 8))
        );
        // Other dates still come from the table.
        assert_eq!(
            cal.session(d(2024, 1, 2)),
            NyseCalendar.session(d(2024, 1, 2))
        );
    }

    #[test]
    fn tables_are_sorted_weekdays() {
        for table in [HOLIDAYS, EARLY_CLOSES] {
            for w in table.windows(2) {
                assert!((w[0].0, w[0].1, w[0].2) < (w[1].0, w[1].1, w[1].2), "{w:?}");
            }
            for &(y, m, day, name) in table {
                let date = d(y, m, day);
                assert!(date.weekday().number_from_monday() <= 5, "{date} {name}");
            }
        }
    }

    #[test]
    fn known_days() {
        let c = NyseCalendar;
        // Christmas Eve 2020: 09:30–13:00 EST = 14:30–18:00 UTC.
        assert_eq!(
            c.session(d(2020, 12, 24)),
            Some((ts("2020-12-24T14:30:00Z"), ts("2020-12-24T18:00:00Z")))
        );
        assert!(matches!(
            c.day_kind(d(2020, 12, 24)),
            DayKind::EarlyClose(_)
        ));
        // 2021-07-05: Independence Day observed (July 4th was a Sunday).
        assert!(matches!(c.day_kind(d(2021, 7, 5)), DayKind::Holiday(_)));
        assert_eq!(c.session(d(2021, 7, 5)), None);
        // 2021-07-02 is a full day.
        assert_eq!(c.day_kind(d(2021, 7, 2)), DayKind::Regular);
        // Carter's day of mourning and Bush's.
        assert_eq!(c.session(d(2025, 1, 9)), None);
        assert_eq!(c.session(d(2018, 12, 5)), None);
        // Juneteenth only from 2022.
        assert_eq!(c.day_kind(d(2021, 6, 18)), DayKind::Regular);
        assert!(matches!(c.day_kind(d(2022, 6, 20)), DayKind::Holiday(_)));
        assert!(matches!(c.day_kind(d(2024, 6, 19)), DayKind::Holiday(_)));
        // New Year's Day 2022 was a Saturday: not observed, 2021-12-31 traded.
        assert_eq!(c.day_kind(d(2021, 12, 31)), DayKind::Regular);
        assert_eq!(c.day_kind(d(2021, 12, 25)), DayKind::Weekend);
        assert!(matches!(c.day_kind(d(2021, 12, 24)), DayKind::Holiday(_)));
        // Good Friday 2024, Thanksgiving 2024 and the day after.
        assert!(matches!(c.day_kind(d(2024, 3, 29)), DayKind::Holiday(_)));
        assert!(matches!(c.day_kind(d(2024, 11, 28)), DayKind::Holiday(_)));
        assert!(matches!(
            c.day_kind(d(2024, 11, 29)),
            DayKind::EarlyClose(_)
        ));
        assert!(matches!(c.day_kind(d(2024, 7, 3)), DayKind::EarlyClose(_)));
    }

    #[test]
    fn dst_switch_days() {
        let c = NyseCalendar;
        // 2024-03-08 (Friday, EST) opens 14:30 UTC; 2024-03-11 (Monday after the switch on
        // Sunday 03-10, EDT) opens 13:30 UTC.
        assert_eq!(
            c.session(d(2024, 3, 8)).unwrap().0,
            ts("2024-03-08T14:30:00Z")
        );
        assert_eq!(
            c.session(d(2024, 3, 11)).unwrap().0,
            ts("2024-03-11T13:30:00Z")
        );
        assert_eq!(eastern_offset_hours(d(2024, 3, 10)), -4);
        assert_eq!(eastern_offset_hours(d(2024, 3, 9)), -5);
        // Back to EST on Sunday 2024-11-03.
        assert_eq!(
            c.session(d(2024, 11, 1)).unwrap().1,
            ts("2024-11-01T20:00:00Z")
        );
        assert_eq!(
            c.session(d(2024, 11, 4)).unwrap().1,
            ts("2024-11-04T21:00:00Z")
        );
        assert_eq!(eastern_offset_hours(d(2024, 11, 3)), -5);
        assert_eq!(eastern_offset_hours(d(2024, 11, 2)), -4);
    }

    #[test]
    fn is_open_and_next_open() {
        let c = NyseCalendar;
        assert!(c.is_open(ts("2024-06-03T13:30:00Z")));
        assert!(!c.is_open(ts("2024-06-03T13:29:59Z")));
        assert!(!c.is_open(ts("2024-06-03T20:00:00Z")));
        assert!(c.is_open(ts("2024-06-03T19:59:59Z")));
        // Early close: closed at 13:00 ET.
        assert!(!c.is_open(ts("2020-12-24T18:00:00Z")));
        // Friday after the close → Monday's open; across the 2025-01-09 closure.
        assert_eq!(
            c.next_open(ts("2024-06-07T20:00:00Z")),
            Some(ts("2024-06-10T13:30:00Z"))
        );
        assert_eq!(
            c.next_open(ts("2025-01-08T21:00:00Z")),
            Some(ts("2025-01-10T14:30:00Z"))
        );
        assert_eq!(
            c.next_open(ts("2024-06-10T13:30:00Z")),
            Some(ts("2024-06-10T13:30:00Z"))
        );
        assert_eq!(
            c.current_or_next_session(ts("2020-12-24T15:00:00Z")),
            Some((ts("2020-12-24T14:30:00Z"), ts("2020-12-24T18:00:00Z")))
        );
        // Outside the table: weekdays only.
        assert!(!c.covers(d(2031, 1, 2)));
        assert!(c.session(d(2031, 1, 2)).is_some());
    }

    #[test]
    fn nine_or_ten_holidays_a_year() {
        for y in FIRST_YEAR..=LAST_YEAR {
            let n = HOLIDAYS.iter().filter(|h| h.0 == y).count();
            assert!((8..=11).contains(&n), "{y}: {n}");
        }
    }
}
