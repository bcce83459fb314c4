//! Backtest metrics: [`compute`] turns the trades and the equity curve of a backtest into
//! [`Metrics`].
//!
//! Wherever backtesting.py (`backtesting/_stats.py`, version 0.6.6) has a metric, the formula
//! here is its formula, down to its quirks (profit factor on trade returns, the average trade as
//! a geometric mean, annualization from calendar-day returns); docs/metrics.md gives each
//! formula and its source, and `tests/metrics_reference.rs` checks them against backtesting.py's
//! own output on real data. Nothing here is NaN or infinite: a ratio that is undefined (a zero
//! or missing denominator, too few points) is `None`.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use ploutos_core::{Decimal, Timestamp};
use serde::{Deserialize, Serialize};

use super::types::{EquityPoint, TradeRecord};

const NANOS_PER_SEC: f64 = 1e9;
const SECS_PER_DAY: i64 = 86_400;

/// What [`compute`] needs.
#[derive(Debug, Clone, Copy)]
pub struct MetricsInput<'a> {
    /// All trades, closed and still open (`exit_time == None`), in any order.
    pub trades: &'a [TradeRecord],
    /// Equity after each bar, sorted by time.
    pub equity: &'a [EquityPoint],
    /// The starting cash: the base of the return, CAGR and the per-period tables.
    pub initial_equity: f64,
    /// First close of the (first) symbol, for buy & hold.
    pub first_close: Option<f64>,
    /// Last close of the (first) symbol, for buy & hold.
    pub last_close: Option<f64>,
    /// `Some(n)`: annualize the returns of consecutive equity points with `n` per year.
    /// `None`: backtesting.py's rule — returns of calendar days (of weeks, months or years when
    /// the median spacing of the points is 7, 31 or 365 days), 252 a year, or 365 when more
    /// than 60 % of the expected weekend share of the points fall on a weekend (24/7 markets).
    pub bars_per_year: Option<f64>,
}

/// The metrics of a backtest. Percentages are in percent (`12.5` = 12.5 %), durations in
/// seconds, money in the account currency.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Time of the first equity point.
    pub start: Option<Timestamp>,
    /// Time of the last equity point.
    pub end: Option<Timestamp>,
    /// `end - start`, seconds.
    pub duration_s: f64,
    /// Share of the equity points at which a position was held (entry bar to exit bar, both
    /// included; open positions to the end).
    pub exposure_time_pct: f64,
    pub equity_final: f64,
    pub equity_peak: f64,
    /// `(final - initial) / initial × 100`.
    pub return_pct: Option<f64>,
    /// `(last_close - first_close) / first_close × 100`.
    pub buy_hold_return_pct: Option<f64>,
    /// What one return of the annualized metrics spans: `day`, `week`, `month`, `year` or `bar`.
    pub return_period: String,
    /// How many such periods make a year (252, 365, 52, 12, 1 or `bars_per_year`).
    pub periods_per_year: Option<f64>,
    /// `((final / initial)^(1 / years) - 1) × 100`, years = duration / 365.25 days.
    pub cagr_pct: Option<f64>,
    /// `((1 + geometric mean period return)^periods_per_year - 1) × 100`.
    pub annualized_return_pct: Option<f64>,
    /// backtesting.py's compounded volatility, see docs/metrics.md.
    pub annualized_volatility_pct: Option<f64>,
    /// Annualized return / annualized volatility (risk-free rate 0).
    pub sharpe: Option<f64>,
    /// Annualized return / (root mean square of the negative period returns × √periods).
    pub sortino: Option<f64>,
    /// Annualized return / |max drawdown|.
    pub calmar: Option<f64>,
    /// Deepest fall from a running peak of the equity, as a negative percentage (0 = none).
    pub max_drawdown_pct: f64,
    /// Longest time from a peak to the recovery of that peak (or to the end), seconds.
    pub max_drawdown_duration_s: Option<f64>,
    /// Mean depth of the drawdown periods (negative percentage).
    pub avg_drawdown_pct: Option<f64>,
    /// Mean duration of the drawdown periods, seconds.
    pub avg_drawdown_duration_s: Option<f64>,
    /// Closed trades (the trade metrics below are over these).
    pub trades: usize,
    /// Trades still open at the end (in exposure, equity and the tables, not in trade metrics).
    pub open_trades: usize,
    /// Share of closed trades with pnl > 0.
    pub win_rate_pct: Option<f64>,
    pub best_trade_pct: Option<f64>,
    pub worst_trade_pct: Option<f64>,
    /// Geometric mean of the trade returns (backtesting.py's "Avg. Trade").
    pub avg_trade_pct: Option<f64>,
    pub max_trade_duration_s: Option<f64>,
    pub avg_trade_duration_s: Option<f64>,
    /// Sum of the positive trade returns / |sum of the negative ones|.
    pub profit_factor: Option<f64>,
    /// Arithmetic mean of the trade returns.
    pub expectancy_pct: Option<f64>,
    /// `√n × mean(pnl) / std(pnl)` (sample standard deviation).
    pub sqn: Option<f64>,
    /// `win rate - (1 - win rate) / (mean win / mean loss)`.
    pub kelly_criterion: Option<f64>,
    /// Fees of all trades, open ones included.
    pub fees: f64,
    /// Longest run of closed trades (by exit time) with pnl > 0.
    pub max_consecutive_wins: usize,
    /// Longest run of closed trades (by exit time) with pnl < 0.
    pub max_consecutive_losses: usize,
    pub by_symbol: Vec<GroupRow>,
    pub by_strategy: Vec<GroupRow>,
    pub by_exit_reason: Vec<GroupRow>,
    pub daily: Vec<PeriodRow>,
    pub weekly: Vec<PeriodRow>,
    pub monthly: Vec<PeriodRow>,
}

/// One row of the per-symbol, per-strategy and per-exit-reason tables. Covers every trade,
/// open ones marked to the last close (they are the `open` exit reason).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupRow {
    pub key: String,
    pub trades: usize,
    /// Of `trades`, how many are closed.
    pub closed: usize,
    /// Trades with pnl > 0.
    pub wins: usize,
    /// `wins / trades × 100`.
    pub win_rate_pct: Option<f64>,
    pub pnl: f64,
    pub fees: f64,
    /// Mean of the trades' `return_pct`.
    pub avg_return_pct: Option<f64>,
    /// `pnl / initial_equity × 100`: the group's contribution to the return.
    pub return_pct: Option<f64>,
}

/// One row of the daily, weekly (Monday to Sunday, UTC) and monthly tables.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PeriodRow {
    /// Midnight UTC of the first day of the period.
    pub start: Timestamp,
    /// Trades closed in the period.
    pub trades_closed: usize,
    /// Pnl of the trades closed in the period.
    pub pnl: f64,
    /// Equity at the last point of the period (or carried from before).
    pub equity_end: f64,
    /// `equity_end / previous equity_end - 1` × 100; the first period against
    /// `initial_equity`.
    pub return_pct: Option<f64>,
}

/// Computes every single-number metric (the tables stay empty: the optimizer ranks by
/// numbers); see [`Metrics`] and docs/metrics.md.
pub fn compute_scalars(input: &MetricsInput) -> Metrics {
    let points = input.equity;
    let mut m = Metrics {
        start: input.equity.first().map(|p| p.time),
        end: input.equity.last().map(|p| p.time),
        ..Metrics::default()
    };
    let duration_ns = match (points.first(), points.last()) {
        (Some(a), Some(b)) => b.time.as_nanos() - a.time.as_nanos(),
        _ => 0,
    };
    m.duration_s = duration_ns as f64 / NANOS_PER_SEC;
    m.exposure_time_pct = exposure_pct(input.trades, points);
    m.equity_final = points.last().map_or(input.initial_equity, |p| p.equity);
    if input.initial_equity != 0.0 {
        m.return_pct =
            finite((m.equity_final - input.initial_equity) / input.initial_equity * 100.0);
    }
    if let (Some(first), Some(last)) = (input.first_close, input.last_close) {
        if first != 0.0 {
            m.buy_hold_return_pct = finite((last - first) / first * 100.0);
        }
    }

    // CAGR: backtesting.py counts the duration as days + seconds / 86400 (sub-seconds dropped).
    let whole_secs = duration_ns.div_euclid(1_000_000_000);
    let years = (whole_secs.div_euclid(SECS_PER_DAY) as f64
        + whole_secs.rem_euclid(SECS_PER_DAY) as f64 / SECS_PER_DAY as f64)
        / 365.25;
    if years > 0.0 && input.initial_equity != 0.0 {
        m.cagr_pct =
            finite(((m.equity_final / input.initial_equity).powf(1.0 / years) - 1.0) * 100.0);
    }

    // Annualized return, volatility, Sharpe, Sortino.
    let (period, per_year, returns) = period_returns(input);
    m.return_period = period.to_string();
    m.periods_per_year = per_year;
    let drawdowns = drawdown(points);
    // The highest point (the drawdown's running peak at the end), or the final equity.
    m.equity_peak = f64::max(drawdowns.peak, m.equity_final);
    // `0.0`, not `-0.0`, without a drawdown.
    m.max_drawdown_pct = if drawdowns.max > 0.0 {
        -drawdowns.max * 100.0
    } else {
        0.0
    };
    m.max_drawdown_duration_s = drawdowns.max_duration_s;
    m.avg_drawdown_pct = drawdowns.avg_depth.map(|d| -d * 100.0);
    m.avg_drawdown_duration_s = drawdowns.avg_duration_s;
    if let Some(n) = per_year {
        let g = geometric_mean(&returns);
        let ann = g.map(|g| (1.0 + g).powf(n) - 1.0).and_then(finite);
        m.annualized_return_pct = ann.map(|a| a * 100.0);
        if let (Some(g), Some(var)) = (g, sample_variance(&returns)) {
            let v = ((var + (1.0 + g).powi(2)).powf(n) - (1.0 + g).powf(2.0 * n)).sqrt();
            m.annualized_volatility_pct = finite(v * 100.0);
        }
        if let (Some(a), Some(v)) = (m.annualized_return_pct, m.annualized_volatility_pct) {
            if v != 0.0 {
                m.sharpe = finite(a / v);
            }
        }
        if let Some(a) = ann {
            if !returns.is_empty() {
                let down =
                    returns.iter().map(|r| r.min(0.0).powi(2)).sum::<f64>() / returns.len() as f64;
                let dd = down.sqrt() * n.sqrt();
                if dd != 0.0 {
                    m.sortino = finite(a / dd);
                }
            }
            if drawdowns.max != 0.0 {
                m.calmar = finite(a / drawdowns.max);
            }
        }
    }

    trade_metrics(input.trades, &mut m);
    m
}

/// Computes every metric: [`compute_scalars`] and the tables per symbol, strategy and exit
/// reason, per day, week and month.
pub fn compute(input: &MetricsInput) -> Metrics {
    let mut m = compute_scalars(input);
    m.by_symbol = groups(input, |t| t.symbol.as_str().to_string());
    m.by_strategy = groups(input, |t| t.strategy.to_string());
    m.by_exit_reason = groups(input, |t| t.exit_reason.to_string());
    let days = day_ends(input.equity);
    m.daily = periods(input, &days, Calendar::Day);
    m.weekly = periods(input, &days, Calendar::Week);
    m.monthly = periods(input, &days, Calendar::Month);
    m
}

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

fn dec(d: Decimal) -> f64 {
    let x = ploutos_core::money::to_f64(d);
    if x.is_nan() {
        0.0
    } else {
        x
    }
}

fn mean(xs: &[f64]) -> Option<f64> {
    (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64)
}

/// Variance with one degree of freedom (pandas' default); `None` under two values.
fn sample_variance(xs: &[f64]) -> Option<f64> {
    if xs.len() < 2 {
        return None;
    }
    let mu = mean(xs)?;
    Some(xs.iter().map(|x| (x - mu).powi(2)).sum::<f64>() / (xs.len() - 1) as f64)
}

/// backtesting.py's `geometric_mean`: `exp(mean(ln(1 + r))) - 1`, 0 when any `1 + r <= 0`,
/// `None` for no returns.
fn geometric_mean(returns: &[f64]) -> Option<f64> {
    if returns.is_empty() {
        return None;
    }
    if returns.iter().any(|r| 1.0 + r <= 0.0) {
        return Some(0.0);
    }
    let s: f64 = returns.iter().map(|r| (1.0 + r).ln()).sum();
    finite((s / returns.len() as f64).exp() - 1.0)
}

/// Share of the equity points inside some trade's `[entry, exit]` (open trades: to the end).
fn exposure_pct(trades: &[TradeRecord], points: &[EquityPoint]) -> f64 {
    if points.is_empty() {
        return 0.0;
    }
    // The points each trade was open at, `[from, to)`; the share of points in any of them
    // (the union of the spans, merged in order: no per-point work or memory).
    let mut spans: Vec<(usize, usize)> = trades
        .iter()
        .filter_map(|t| {
            let from = points.partition_point(|p| p.time < t.entry_time);
            let to = match t.exit_time {
                Some(exit) => points.partition_point(|p| p.time <= exit),
                None => points.len(),
            };
            (from < to).then_some((from, to))
        })
        .collect();
    spans.sort_unstable();
    let (mut held, mut end) = (0usize, 0usize);
    for (from, to) in spans {
        let from = from.max(end);
        if to > from {
            held += to - from;
            end = to;
        }
    }
    held as f64 / points.len() as f64 * 100.0
}

struct Drawdowns {
    /// The highest equity (`-inf` without points; NaNs skipped).
    peak: f64,
    /// Deepest drawdown, as a positive fraction.
    max: f64,
    max_duration_s: Option<f64>,
    avg_depth: Option<f64>,
    avg_duration_s: Option<f64>,
}

/// backtesting.py's `compute_drawdown_duration_peaks`: a drawdown period runs from a point at
/// its running peak to the next point at its running peak (or the last point), when at least
/// one point lies between them.
fn drawdown(points: &[EquityPoint]) -> Drawdowns {
    // One pass: the drawdown `1 - equity / running peak` of each point; a drawdown period runs
    // between consecutive points at a peak (drawdown 0, and the last point), its depth the
    // largest drawdown in it (backtesting.py's definitions).
    let mut peak = f64::NEG_INFINITY;
    let mut max = 0.0;
    let (mut nonzero_sum, mut nonzero) = (0.0, 0usize);
    let mut anchor: Option<usize> = None;
    let mut depth = 0.0;
    let mut durations = Vec::new();
    let mut depths = Vec::new();
    let last = points.len().saturating_sub(1);
    // Comparisons, not `f64::max`, on the hot path: the same results here (`d` is finite; a
    // NaN equity leaves the peak as `max` would), in fewer instructions per point.
    let mut i = 0;
    while i < points.len() {
        let p = &points[i];
        if p.equity > peak {
            peak = p.equity;
        }
        let d = 1.0 - p.equity / peak;
        let d = if d.is_finite() { d } else { 0.0 };
        if d > max {
            max = d;
        }
        // Adding a zero changes no sum that starts at +0.0.
        nonzero_sum += d;
        nonzero += usize::from(d != 0.0);
        if d > depth {
            depth = d;
        }
        if d == 0.0 || i == last {
            if let Some(prev) = anchor {
                if i > prev + 1 {
                    let ns = p.time.as_nanos() - points[prev].time.as_nanos();
                    durations.push(ns as f64 / NANOS_PER_SEC);
                    depths.push(depth);
                }
            }
            anchor = Some(i);
            depth = f64::max(0.0, d);
        }
        // The points after it with the same equity, short of the last (flat stretches: no
        // position): the same peak and drawdown, so the step above would only add `d` to the
        // sum and count it (at a peak, `d = 0`: only move the anchor).
        let mut j = i + 1;
        if d == 0.0 {
            while j < last && points[j].equity == p.equity {
                j += 1;
            }
            if j > i + 1 {
                anchor = Some(j - 1);
            }
        } else {
            while j < last && points[j].equity == p.equity {
                nonzero_sum += d;
                nonzero += 1;
                j += 1;
            }
        }
        i = j;
    }
    if durations.is_empty() {
        // backtesting.py then averages the non-zero drawdowns and has no durations.
        return Drawdowns {
            peak,
            max,
            max_duration_s: None,
            avg_depth: (nonzero > 0).then(|| nonzero_sum / nonzero as f64),
            avg_duration_s: None,
        };
    }
    Drawdowns {
        peak,
        max,
        max_duration_s: durations.iter().copied().reduce(f64::max),
        avg_depth: mean(&depths),
        avg_duration_s: mean(&durations),
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Calendar {
    Day,
    /// Monday to Sunday (pandas' `W` = `W-SUN` bins end on Sunday).
    Week,
    Month,
    Year,
}

impl Calendar {
    fn name(self) -> &'static str {
        match self {
            Calendar::Day => "day",
            Calendar::Week => "week",
            Calendar::Month => "month",
            Calendar::Year => "year",
        }
    }

    /// The period an instant falls in, as the days-since-epoch of its first day.
    fn start_day(self, t: Timestamp) -> i64 {
        let day = t.utc_day();
        match self {
            Calendar::Day => day,
            // 1970-01-01 was a Thursday: Monday-based weeks start 3 days before.
            Calendar::Week => (day + 3).div_euclid(7) * 7 - 3,
            Calendar::Month | Calendar::Year => {
                let d = t.to_datetime().date_naive();
                let month = if self == Calendar::Month {
                    d.month()
                } else {
                    1
                };
                NaiveDate::from_ymd_opt(d.year(), month, 1)
                    .and_then(|first| first.and_hms_opt(0, 0, 0))
                    .map(|dt| dt.and_utc().timestamp().div_euclid(SECS_PER_DAY))
                    .unwrap_or(day)
            }
        }
    }
}

/// Days and periods of times that mostly stay on one day as they advance: the division and
/// the calendar work are only done when a time leaves the day of the one before.
#[derive(Debug, Clone, Copy)]
struct DayCache {
    /// `[start, end)` of the cached day in nanoseconds, its number, and its period's.
    span: (i64, i64),
    day: i64,
    period: Option<(Calendar, i64)>,
}

impl Default for DayCache {
    fn default() -> Self {
        DayCache {
            span: (i64::MAX, i64::MIN),
            day: 0,
            period: None,
        }
    }
}

impl DayCache {
    const DAY: i64 = SECS_PER_DAY * 1_000_000_000;

    /// The UTC day number of `t` (nanoseconds).
    fn day(&mut self, t: i64) -> i64 {
        if !(self.span.0..self.span.1).contains(&t) {
            self.day = t.div_euclid(Self::DAY);
            let start = self.day.saturating_mul(Self::DAY);
            self.span = (start, start.saturating_add(Self::DAY));
            self.period = None;
        }
        self.day
    }

    /// [`Calendar::start_day`] of `t`.
    fn period(&mut self, cal: Calendar, t: Timestamp) -> i64 {
        self.day(t.as_nanos());
        match self.period {
            Some((c, p)) if c == cal => p,
            _ => {
                let p = cal.start_day(t);
                self.period = Some((cal, p));
                p
            }
        }
    }
}

/// The returns the annualized metrics are computed on, their period's name and how many make a
/// year (backtesting.py's `annual_trading_days`).
fn period_returns(input: &MetricsInput) -> (&'static str, Option<f64>, Vec<f64>) {
    let points = input.equity;
    if let Some(n) = input.bars_per_year {
        let r = points
            .windows(2)
            .map(|w| w[1].equity / w[0].equity - 1.0)
            .filter(|r| r.is_finite())
            .collect();
        return ("bar", finite(n).filter(|n| *n > 0.0), r);
    }
    if points.is_empty() {
        return ("day", None, Vec::new());
    }
    // Median spacing of the last 100 points, in whole days (pandas' `Timedelta.days`).
    let tail = &points[points.len().saturating_sub(100)..];
    let mut gaps: Vec<i64> = tail
        .windows(2)
        .map(|w| w[1].time.as_nanos() - w[0].time.as_nanos())
        .collect();
    gaps.sort_unstable();
    let median_ns = match gaps.len() {
        0 => 0.0,
        n if n % 2 == 1 => gaps[n / 2] as f64,
        n => (gaps[n / 2 - 1] as f64 + gaps[n / 2] as f64) / 2.0,
    };
    let freq_days = (median_ns / NANOS_PER_SEC / SECS_PER_DAY as f64).floor() as i64;
    let runs = day_runs(points);
    let weekend = weekend_points(points, runs.as_deref()) as f64 / points.len() as f64;
    let (cal, per_year) = match freq_days {
        7 => (Calendar::Week, 52.0),
        31 => (Calendar::Month, 12.0),
        365 => (Calendar::Year, 1.0),
        _ if weekend > 2.0 / 7.0 * 0.6 => (Calendar::Day, 365.0),
        _ => (Calendar::Day, 252.0),
    };
    // Last equity of each calendar period, then the change between consecutive periods.
    let last = period_lasts(points, cal, runs.as_deref());
    let r = last
        .windows(2)
        .map(|w| w[1] / w[0] - 1.0)
        .filter(|r| r.is_finite())
        .collect();
    (cal.name(), Some(per_year), r)
}

/// The points' UTC days as runs in time order, `(day, end)`: the points of day `day` end
/// before index `end` (and start at the previous run's end). `None` when the points are not
/// in time order. Each run's end is found by galloping from its start, so the work is per day,
/// not per point: a 1,000,000-point curve of 1-minute bars has ~700 days.
fn day_runs(points: &[EquityPoint]) -> Option<Vec<(i64, usize)>> {
    if !points.windows(2).all(|w| w[0].time <= w[1].time) {
        return None;
    }
    let mut runs = Vec::new();
    let mut i = 0;
    while i < points.len() {
        let day = points[i].time.as_nanos().div_euclid(DayCache::DAY);
        let end_ns = day.saturating_add(1).saturating_mul(DayCache::DAY);
        // Points `..=i` are before the day's end (in time order); gallop to the first after.
        let end = crate::gallop::partition_from(points, i + 1, |p| p.time.as_nanos() < end_ns);
        runs.push((day, end));
        i = end;
    }
    Some(runs)
}

/// How many points fall on a Saturday or a Sunday (UTC), by day runs when there are some.
fn weekend_points(points: &[EquityPoint], runs: Option<&[(i64, usize)]>) -> usize {
    let weekend = |day: i64| (day + 3).rem_euclid(7) >= 5;
    match runs {
        Some(runs) => {
            let mut start = 0;
            let mut n = 0;
            for &(day, end) in runs {
                if weekend(day) {
                    n += end - start;
                }
                start = end;
            }
            n
        }
        None => {
            let mut days = DayCache::default();
            points
                .iter()
                .filter(|p| weekend(days.day(p.time.as_nanos())))
                .count()
        }
    }
}

/// The last equity of each `cal` period the points reach, in time order (by day runs when
/// there are some: a period is a whole number of days).
fn period_lasts(points: &[EquityPoint], cal: Calendar, runs: Option<&[(i64, usize)]>) -> Vec<f64> {
    let mut last: Vec<f64> = Vec::new();
    let mut key = None;
    let mut note = |k: i64, e: f64| {
        if key == Some(k) {
            if let Some(l) = last.last_mut() {
                *l = e;
            }
        } else {
            key = Some(k);
            last.push(e);
        }
    };
    match runs {
        Some(runs) => {
            let mut start = 0;
            for &(_, end) in runs {
                note(cal.start_day(points[start].time), points[end - 1].equity);
                start = end;
            }
        }
        None => {
            let mut days = DayCache::default();
            for p in points {
                note(days.period(cal, p.time), p.equity);
            }
        }
    }
    last
}

fn trade_metrics(trades: &[TradeRecord], m: &mut Metrics) {
    m.fees = trades.iter().map(|t| dec(t.fees)).sum();
    let mut closed: Vec<&TradeRecord> = trades.iter().filter(|t| !t.is_open()).collect();
    m.open_trades = trades.len() - closed.len();
    m.trades = closed.len();
    if closed.is_empty() {
        return;
    }
    closed.sort_by_key(|t| (t.exit_time, t.entry_time));
    let n = closed.len() as f64;
    let pnl: Vec<f64> = closed.iter().map(|t| dec(t.pnl)).collect();
    let ret: Vec<f64> = closed.iter().map(|t| t.return_pct / 100.0).collect();
    let durations: Vec<f64> = closed
        .iter()
        .filter_map(|t| {
            t.exit_time
                .map(|x| (x.as_nanos() - t.entry_time.as_nanos()) as f64)
        })
        .map(|ns| ns / NANOS_PER_SEC)
        .collect();

    let wins = pnl.iter().filter(|p| **p > 0.0).count() as f64;
    let win_rate = wins / n;
    m.win_rate_pct = Some(win_rate * 100.0);
    m.best_trade_pct = ret.iter().copied().reduce(f64::max).map(|r| r * 100.0);
    m.worst_trade_pct = ret.iter().copied().reduce(f64::min).map(|r| r * 100.0);
    m.avg_trade_pct = geometric_mean(&ret).map(|g| g * 100.0);
    m.max_trade_duration_s = durations.iter().copied().reduce(f64::max);
    m.avg_trade_duration_s = mean(&durations);
    let gains: f64 = ret.iter().filter(|r| **r > 0.0).sum();
    let losses: f64 = ret.iter().filter(|r| **r < 0.0).sum();
    if losses != 0.0 {
        m.profit_factor = finite(gains / losses.abs());
    }
    m.expectancy_pct = mean(&ret).map(|r| r * 100.0);
    if let (Some(mu), Some(var)) = (mean(&pnl), sample_variance(&pnl)) {
        let sd = var.sqrt();
        if sd != 0.0 {
            m.sqn = finite(n.sqrt() * mu / sd);
        }
    }
    let win_pnl: Vec<f64> = pnl.iter().copied().filter(|p| *p > 0.0).collect();
    let loss_pnl: Vec<f64> = pnl.iter().copied().filter(|p| *p < 0.0).collect();
    if let (Some(w), Some(l)) = (mean(&win_pnl), mean(&loss_pnl)) {
        m.kelly_criterion = finite(win_rate - (1.0 - win_rate) / (w / -l));
    }

    let (mut wins_run, mut losses_run) = (0usize, 0usize);
    for p in &pnl {
        if *p > 0.0 {
            wins_run += 1;
            losses_run = 0;
        } else if *p < 0.0 {
            losses_run += 1;
            wins_run = 0;
        } else {
            wins_run = 0;
            losses_run = 0;
        }
        m.max_consecutive_wins = m.max_consecutive_wins.max(wins_run);
        m.max_consecutive_losses = m.max_consecutive_losses.max(losses_run);
    }
}

fn groups(input: &MetricsInput, key: impl Fn(&TradeRecord) -> String) -> Vec<GroupRow> {
    let mut rows: BTreeMap<String, (GroupRow, f64)> = BTreeMap::new();
    for t in input.trades {
        let k = key(t);
        let (row, ret_sum) = rows.entry(k.clone()).or_insert_with(|| {
            (
                GroupRow {
                    key: k,
                    ..GroupRow::default()
                },
                0.0,
            )
        });
        let pnl = dec(t.pnl);
        row.trades += 1;
        row.closed += usize::from(!t.is_open());
        row.wins += usize::from(pnl > 0.0);
        row.pnl += pnl;
        row.fees += dec(t.fees);
        *ret_sum += t.return_pct;
    }
    rows.into_values()
        .map(|(mut row, ret_sum)| {
            let n = row.trades as f64;
            row.win_rate_pct = Some(row.wins as f64 / n * 100.0);
            row.avg_return_pct = finite(ret_sum / n);
            if input.initial_equity != 0.0 {
                row.return_pct = finite(row.pnl / input.initial_equity * 100.0);
            }
            row
        })
        .collect()
}

/// The last equity of each UTC day of the curve (in time order), with a time on that day: a
/// period's last equity is its last day's, so the tables need one pass over the curve.
fn day_ends(points: &[EquityPoint]) -> Vec<EquityPoint> {
    if let Some(runs) = day_runs(points) {
        // The first point of each day, with the day's last equity.
        let mut start = 0;
        return runs
            .iter()
            .map(|&(_, end)| {
                let p = EquityPoint {
                    time: points[start].time,
                    equity: points[end - 1].equity,
                };
                start = end;
                p
            })
            .collect();
    }
    let mut days = DayCache::default();
    let mut out: Vec<EquityPoint> = Vec::new();
    let mut current = None;
    for p in points {
        let day = days.day(p.time.as_nanos());
        match out.last_mut() {
            Some(last) if current == Some(day) => last.equity = p.equity,
            _ => {
                current = Some(day);
                out.push(*p);
            }
        }
    }
    out
}

fn periods(input: &MetricsInput, days: &[EquityPoint], cal: Calendar) -> Vec<PeriodRow> {
    // Per period: trades closed, their pnl, the last equity seen.
    let mut map: BTreeMap<i64, (usize, f64, Option<f64>)> = BTreeMap::new();
    // The days are in time order: one map entry per period.
    let mut last: Option<(i64, f64)> = None; // (period, last equity in it)
    for p in days {
        let period = cal.start_day(p.time);
        match last.as_mut() {
            Some(l) if l.0 == period => l.1 = p.equity,
            _ => {
                if let Some((k, e)) = last {
                    map.entry(k).or_insert((0, 0.0, None)).2 = Some(e);
                }
                last = Some((period, p.equity));
            }
        }
    }
    if let Some((k, e)) = last {
        map.entry(k).or_insert((0, 0.0, None)).2 = Some(e);
    }
    for t in input.trades {
        if let Some(exit) = t.exit_time {
            let e = map.entry(cal.start_day(exit)).or_insert((0, 0.0, None));
            e.0 += 1;
            e.1 += dec(t.pnl);
        }
    }
    let mut prev = input.initial_equity;
    map.into_iter()
        .map(|(day, (trades_closed, pnl, equity))| {
            let equity_end = equity.unwrap_or(prev);
            let return_pct = if prev != 0.0 {
                finite((equity_end / prev - 1.0) * 100.0)
            } else {
                None
            };
            prev = equity_end;
            PeriodRow {
                start: Timestamp::from_nanos(day.saturating_mul(SECS_PER_DAY * 1_000_000_000)),
                trades_closed,
                pnl,
                equity_end,
                return_pct,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ploutos_core::Symbol;
    use rust_decimal_macros::dec;

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    fn point(s: &str, equity: f64) -> EquityPoint {
        EquityPoint {
            time: ts(s),
            equity,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn trade(
        symbol: &str,
        entry: &str,
        exit: Option<&str>,
        entry_price: Decimal,
        exit_price: Decimal,
        qty: Decimal,
        fees: Decimal,
        reason: &str,
    ) -> TradeRecord {
        let pnl = (exit_price - entry_price) * qty - fees;
        TradeRecord {
            symbol: Symbol::new(symbol).unwrap(),
            strategy: "s1".into(),
            direction: "long".into(),
            entry_time: ts(entry),
            entry_price,
            exit_time: exit.map(ts),
            exit_price,
            quantity: qty,
            pnl,
            fees,
            return_pct: dec(pnl) / dec(entry_price * qty) * 100.0,
            exit_reason: reason.into(),
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * b.abs().max(1.0)
    }

    #[test]
    fn no_trades_flat_curve() {
        let equity: Vec<_> = (1..=5)
            .map(|d| point(&format!("2024-01-0{d}T00:00:00Z"), 1000.0))
            .collect();
        let m = compute(&MetricsInput {
            trades: &[],
            equity: &equity,
            initial_equity: 1000.0,
            first_close: None,
            last_close: None,
            bars_per_year: None,
        });
        assert_eq!(m.trades, 0);
        assert_eq!(m.open_trades, 0);
        assert_eq!(m.return_pct, Some(0.0));
        assert_eq!(m.exposure_time_pct, 0.0);
        assert!(m.max_drawdown_pct == 0.0 && m.max_drawdown_pct.is_sign_positive());
        assert_eq!(m.max_drawdown_duration_s, None);
        assert_eq!(m.avg_drawdown_pct, None);
        assert_eq!(m.annualized_return_pct, Some(0.0));
        assert_eq!(m.annualized_volatility_pct, Some(0.0));
        assert_eq!(m.sharpe, None);
        assert_eq!(m.sortino, None);
        assert_eq!(m.calmar, None);
        assert_eq!(m.win_rate_pct, None);
        assert_eq!(m.profit_factor, None);
        assert_eq!(m.sqn, None);
        assert_eq!(m.avg_trade_pct, None);
        assert_eq!(m.buy_hold_return_pct, None);
        assert_eq!(m.duration_s, 4.0 * 86_400.0);
        assert_eq!(m.cagr_pct, Some(0.0));
        assert!(m.by_symbol.is_empty());
        assert_eq!(m.daily.len(), 5);
        assert_eq!(m.monthly.len(), 1);
        assert_eq!(m.monthly[0].return_pct, Some(0.0));
        // 2024-01-01 was a Monday: all five days are one week.
        assert_eq!(m.weekly.len(), 1);
        assert_eq!(m.weekly[0].start, ts("2024-01-01T00:00:00Z"));
        // No JSON can carry NaN: serialization must succeed and round-trip.
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(serde_json::from_str::<Metrics>(&json).unwrap(), m);
    }

    #[test]
    fn empty_input() {
        let m = compute(&MetricsInput {
            trades: &[],
            equity: &[],
            initial_equity: 0.0,
            first_close: None,
            last_close: None,
            bars_per_year: None,
        });
        assert_eq!(
            m,
            Metrics {
                return_period: "day".into(),
                ..Metrics::default()
            }
        );
    }

    #[test]
    fn two_trades_by_hand() {
        // Win +10 % (100 → 110 × 10, fee 0), loss -5 % (100 → 95 × 10, fee 0), one open.
        let trades = vec![
            trade(
                "AAA",
                "2024-01-02T00:00:00Z",
                Some("2024-01-03T00:00:00Z"),
                dec!(100),
                dec!(110),
                dec!(10),
                dec!(0),
                "take_profit",
            ),
            trade(
                "BBB",
                "2024-01-04T00:00:00Z",
                Some("2024-01-05T00:00:00Z"),
                dec!(100),
                dec!(95),
                dec!(10),
                dec!(0),
                "stop_loss",
            ),
            trade(
                "AAA",
                "2024-01-06T00:00:00Z",
                None,
                dec!(100),
                dec!(101),
                dec!(1),
                dec!(0.5),
                "open",
            ),
        ];
        let equity = vec![
            point("2024-01-01T00:00:00Z", 1000.0),
            point("2024-01-02T00:00:00Z", 1000.0),
            point("2024-01-03T00:00:00Z", 1100.0),
            point("2024-01-04T00:00:00Z", 1100.0),
            point("2024-01-05T00:00:00Z", 1050.0),
            point("2024-01-06T00:00:00Z", 1050.0),
            point("2024-01-07T00:00:00Z", 1050.5),
            point("2024-01-08T00:00:00Z", 1050.5),
        ];
        let m = compute(&MetricsInput {
            trades: &trades,
            equity: &equity,
            initial_equity: 1000.0,
            first_close: Some(100.0),
            last_close: Some(101.0),
            bars_per_year: Some(365.0),
        });
        assert_eq!(m.trades, 2);
        assert_eq!(m.open_trades, 1);
        assert_eq!(m.win_rate_pct, Some(50.0));
        assert_eq!(m.best_trade_pct, Some(10.0));
        assert_eq!(m.worst_trade_pct, Some(-5.0));
        assert!(close(m.expectancy_pct.unwrap(), 2.5));
        // Geometric: sqrt(1.10 × 0.95) - 1.
        assert!(close(
            m.avg_trade_pct.unwrap(),
            ((1.1f64 * 0.95).sqrt() - 1.0) * 100.0
        ));
        assert!(close(m.profit_factor.unwrap(), 2.0));
        // pnl 100 and -50: mean 25, sample sd 75·√2 → √2 · 25 / 106.066 = 1/3.
        assert!(close(m.sqn.unwrap(), 1.0 / 3.0));
        // Kelly: 0.5 - 0.5 / (100 / 50).
        assert!(close(m.kelly_criterion.unwrap(), 0.25));
        assert_eq!(m.max_consecutive_wins, 1);
        assert_eq!(m.max_consecutive_losses, 1);
        assert_eq!(m.max_trade_duration_s, Some(86_400.0));
        assert_eq!(m.avg_trade_duration_s, Some(86_400.0));
        assert!(close(m.fees, 0.5));
        // Held at points 2..=3, 4..=5, 6..=8 → 7 of 8.
        assert!(close(m.exposure_time_pct, 87.5));
        assert!(close(m.return_pct.unwrap(), 5.05));
        assert!(close(m.buy_hold_return_pct.unwrap(), 1.0));
        assert_eq!(m.equity_peak, 1100.0);
        assert!(close(m.max_drawdown_pct, -(1.0 - 1050.0 / 1100.0) * 100.0));
        // Peak on 01-04, never recovered: 01-04 → 01-08.
        assert_eq!(m.max_drawdown_duration_s, Some(4.0 * 86_400.0));
        assert_eq!(m.return_period, "bar");
        assert_eq!(m.periods_per_year, Some(365.0));
        assert!(m.sharpe.is_some() && m.sortino.is_some() && m.calmar.is_some());

        let by_symbol: Vec<_> = m
            .by_symbol
            .iter()
            .map(|r| (r.key.as_str(), r.trades, r.closed, r.wins))
            .collect();
        assert_eq!(by_symbol, vec![("AAA", 2, 1, 2), ("BBB", 1, 1, 0)]);
        assert!(close(m.by_symbol[0].pnl, 100.5));
        assert!(close(m.by_symbol[1].return_pct.unwrap(), -5.0));
        let reasons: Vec<_> = m.by_exit_reason.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(reasons, vec!["open", "stop_loss", "take_profit"]);
        assert_eq!(m.by_strategy.len(), 1);
        assert_eq!(m.by_strategy[0].trades, 3);

        assert_eq!(m.daily.len(), 8);
        assert_eq!(m.daily[2].trades_closed, 1);
        assert!(close(m.daily[2].pnl, 100.0));
        assert!(close(m.daily[2].return_pct.unwrap(), 10.0));
        assert!(close(
            m.daily[4].return_pct.unwrap(),
            (1050.0 / 1100.0 - 1.0) * 100.0
        ));
        // 2024-01-01 Monday: days 1..=7 in one week, 01-08 in the next.
        assert_eq!(m.weekly.len(), 2);
        assert_eq!(m.weekly[0].trades_closed, 2);
        assert!(close(m.weekly[0].equity_end, 1050.5));
        assert!(close(m.weekly[0].return_pct.unwrap(), 5.05));
    }

    #[test]
    fn day_returns_and_weekend_rule() {
        // Hourly 24/7 points over 10 days: 365 periods a year; weekdays only: 252.
        let start = ts("2024-01-01T00:00:00Z").as_nanos();
        let hour = 3_600_000_000_000i64;
        let all: Vec<_> = (0..240)
            .map(|i| EquityPoint {
                time: Timestamp::from_nanos(start + i * hour),
                equity: 1000.0 + i as f64,
            })
            .collect();
        let input = MetricsInput {
            trades: &[],
            equity: &all,
            initial_equity: 1000.0,
            first_close: None,
            last_close: None,
            bars_per_year: None,
        };
        let m = compute(&input);
        assert_eq!(m.return_period, "day");
        assert_eq!(m.periods_per_year, Some(365.0));
        let weekdays: Vec<_> = all
            .iter()
            .copied()
            .filter(|p| (p.time.utc_day() + 3).rem_euclid(7) < 5)
            .collect();
        let m = compute(&MetricsInput {
            equity: &weekdays,
            ..input
        });
        assert_eq!(m.periods_per_year, Some(252.0));
        assert!(m.sortino.is_none(), "no negative day: downside deviation 0");
        assert_eq!(m.max_drawdown_pct, 0.0);
    }

    #[test]
    fn drawdown_periods() {
        // Peak 100, dips to 80 and 90, new peak 110, dip to 99 until the end.
        let eq = [100.0, 80.0, 90.0, 100.0, 110.0, 99.0, 104.5];
        let points: Vec<EquityPoint> = eq
            .iter()
            .enumerate()
            .map(|(i, &equity)| EquityPoint {
                time: Timestamp::from_secs(i as i64).unwrap(),
                equity,
            })
            .collect();
        let d = drawdown(&points);
        assert!(close(d.max, 0.2));
        // Periods 0→3 (3 s, depth 0.2) and 4→6 (2 s, depth 0.1).
        assert_eq!(d.max_duration_s, Some(3.0));
        assert_eq!(d.avg_duration_s, Some(2.5));
        assert!(close(d.avg_depth.unwrap(), 0.15));
        // Never below a peak: no periods, no depth.
        let flat = [
            point("2024-01-01T00:00:00Z", 5.0),
            point("2024-01-02T00:00:00Z", 5.0),
        ];
        let d = drawdown(&flat);
        assert_eq!((d.max, d.max_duration_s, d.avg_depth), (0.0, None, None));
    }

    /// [`drawdown`] point by point, as backtesting.py defines it (no stretch skipped).
    fn drawdown_by_point(points: &[EquityPoint]) -> Drawdowns {
        let mut peak = f64::NEG_INFINITY;
        let (mut max, mut depth, mut nonzero_sum, mut nonzero) = (0.0f64, 0.0f64, 0.0, 0usize);
        let mut anchor: Option<usize> = None;
        let (mut durations, mut depths) = (Vec::new(), Vec::new());
        let last = points.len().saturating_sub(1);
        for (i, p) in points.iter().enumerate() {
            peak = f64::max(peak, p.equity);
            let d = 1.0 - p.equity / peak;
            let d = if d.is_finite() { d } else { 0.0 };
            max = f64::max(max, d);
            if d != 0.0 {
                nonzero_sum += d;
                nonzero += 1;
            }
            depth = f64::max(depth, d);
            if d == 0.0 || i == last {
                if let Some(prev) = anchor {
                    if i > prev + 1 {
                        let ns = p.time.as_nanos() - points[prev].time.as_nanos();
                        durations.push(ns as f64 / NANOS_PER_SEC);
                        depths.push(depth);
                    }
                }
                anchor = Some(i);
                depth = f64::max(0.0, d);
            }
        }
        Drawdowns {
            peak,
            max,
            max_duration_s: durations.iter().copied().reduce(f64::max),
            avg_depth: if durations.is_empty() {
                (nonzero > 0).then(|| nonzero_sum / nonzero as f64)
            } else {
                mean(&depths)
            },
            avg_duration_s: mean(&durations),
        }
    }

    proptest::proptest! {
        /// The one-pass drawdown with its flat-stretch skips gives the point-by-point result
        /// bit for bit (curves with long runs of repeated values, as a backtest's are).
        #[test]
        fn drawdown_skips_change_nothing(
            steps in proptest::collection::vec((0u8..6, 1usize..6), 0..80),
        ) {
            let mut points = Vec::new();
            let mut equity = 100.0;
            for (k, (step, repeat)) in steps.into_iter().enumerate() {
                equity = match step {
                    0 => equity * 1.03,
                    1 => equity * 0.97,
                    2 => equity + 0.5,
                    3 => 100.0,
                    _ => equity,
                };
                for r in 0..repeat {
                    points.push(EquityPoint {
                        time: Timestamp::from_secs((k * 10 + r) as i64).unwrap(),
                        equity,
                    });
                }
            }
            let (a, b) = (drawdown(&points), drawdown_by_point(&points));
            let bits = |d: &Drawdowns| (
                d.peak.to_bits(),
                d.max.to_bits(),
                d.max_duration_s.map(f64::to_bits),
                d.avg_depth.map(f64::to_bits),
                d.avg_duration_s.map(f64::to_bits),
            );
            proptest::prop_assert_eq!(bits(&a), bits(&b));
        }
    }

    proptest::proptest! {
        /// Exposure is the share of points at which some trade is open (entry <= time <=
        /// exit, or open to the end): the merged spans count exactly those.
        #[test]
        fn exposure_counts_the_points_some_trade_is_open_at(
            gaps in proptest::collection::vec(1i64..5, 1..60),
            spans in proptest::collection::vec((0i64..200, 0i64..80, proptest::bool::ANY), 0..12),
        ) {
            let mut t = 0;
            let points: Vec<EquityPoint> = gaps
                .iter()
                .map(|g| {
                    t += g;
                    EquityPoint { time: Timestamp::from_secs(t).unwrap(), equity: 1.0 }
                })
                .collect();
            let trades: Vec<TradeRecord> = spans
                .iter()
                .map(|&(entry, len, open)| {
                    let at = |s: i64| Timestamp::from_secs(s).unwrap().to_string();
                    let exit = (!open).then(|| at(entry + len));
                    trade("X", &at(entry), exit.as_deref(), dec!(1), dec!(1), dec!(1), dec!(0), "x")
                })
                .collect();
            let held = points
                .iter()
                .filter(|p| {
                    trades.iter().any(|t| {
                        t.entry_time <= p.time && t.exit_time.is_none_or(|x| p.time <= x)
                    })
                })
                .count();
            let want = held as f64 / points.len() as f64 * 100.0;
            proptest::prop_assert_eq!(exposure_pct(&trades, &points), want);
        }
    }

    proptest::proptest! {
        /// Day runs (galloping over points in time order) give what the point-by-point scan
        /// gives: the weekend count, each calendar's period ends, the day ends.
        #[test]
        fn day_runs_agree_with_the_point_by_point_scan(
            gaps in proptest::collection::vec(0i64..200_000, 1..400),
            scale in proptest::sample::select(vec![1i64, 60, 3_600, 86_400]),
        ) {
            let mut t = 1_700_000_000i64;
            let points: Vec<EquityPoint> = gaps
                .iter()
                .enumerate()
                .map(|(i, g)| {
                    t += g * scale / 1_000;
                    EquityPoint { time: Timestamp::from_secs(t).unwrap(), equity: 1.0 + i as f64 }
                })
                .collect();
            let runs = day_runs(&points).unwrap();
            proptest::prop_assert_eq!(runs.last().map(|r| r.1), Some(points.len()));
            proptest::prop_assert_eq!(
                weekend_points(&points, Some(&runs)),
                weekend_points(&points, None)
            );
            for cal in [Calendar::Day, Calendar::Week, Calendar::Month, Calendar::Year] {
                proptest::prop_assert_eq!(
                    period_lasts(&points, cal, Some(&runs)),
                    period_lasts(&points, cal, None)
                );
            }
            let mut days = DayCache::default();
            let mut want: Vec<EquityPoint> = Vec::new();
            let mut current = None;
            for p in &points {
                let day = days.day(p.time.as_nanos());
                match want.last_mut() {
                    Some(last) if current == Some(day) => last.equity = p.equity,
                    _ => {
                        current = Some(day);
                        want.push(*p);
                    }
                }
            }
            proptest::prop_assert_eq!(day_ends(&points), want);
        }
    }

    #[test]
    fn points_out_of_time_order_take_the_point_by_point_scan() {
        let points = [
            point("2024-01-06T00:00:00Z", 1.0),
            point("2024-01-05T00:00:00Z", 2.0),
        ];
        assert!(day_runs(&points).is_none());
        assert_eq!(weekend_points(&points, None), 1);
        assert_eq!(period_lasts(&points, Calendar::Day, None), vec![1.0, 2.0]);
    }
}
