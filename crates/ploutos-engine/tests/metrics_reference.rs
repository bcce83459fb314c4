//! The backtest metrics against backtesting.py's own statistics.
//!
//! Fixtures (tests/fixtures/metrics/*.json) come from scripts/metrics_reference.py: backtesting.py
//! 0.6.6 runs an SMA cross on real sample data and records its equity curve, its closed trades
//! and its stats. Here the curve and trades go through [`compute`] and every metric both report
//! must agree to 1e-6 relative. Differences of definition, handled below and in docs/metrics.md:
//!
//! * durations: backtesting.py rounds drawdown and trade durations up to the resolution of the
//!   data (a day for daily data, a minute for 1-minute data); Ploutos reports exact seconds, so
//!   the test rounds Ploutos' value the same way before comparing;
//! * "Alpha" and "Beta" need the market's return at every bar, which `MetricsInput` does not
//!   carry: not computed.

use std::path::PathBuf;

use ploutos_core::{Decimal, Symbol, Timestamp};
use ploutos_engine::backtest::metrics::{compute, Metrics, MetricsInput};
use ploutos_engine::backtest::{EquityPoint, TradeRecord};
use serde::Deserialize;

#[derive(Deserialize)]
struct Fixture {
    source: String,
    initial_equity: f64,
    first_close: f64,
    last_close: f64,
    duration_resolution_s: f64,
    equity: Vec<(String, f64)>,
    trades: Vec<FixtureTrade>,
    stats: serde_json::Map<String, serde_json::Value>,
}

#[derive(Deserialize)]
struct FixtureTrade {
    size: f64,
    entry_time: String,
    exit_time: String,
    entry_price: f64,
    exit_price: f64,
    pnl: f64,
    commission: f64,
    return_pct: f64,
}

fn decimal(x: f64) -> Decimal {
    Decimal::try_from(x).expect("finite")
}

fn load(name: &str) -> (Fixture, Vec<EquityPoint>, Vec<TradeRecord>) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/metrics")
        .join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).expect("fixture");
    let f: Fixture = serde_json::from_str(&text).expect("fixture json");
    let equity = f
        .equity
        .iter()
        .map(|(t, e)| EquityPoint {
            time: Timestamp::parse(t).expect("time"),
            equity: *e,
        })
        .collect();
    let trades = f
        .trades
        .iter()
        .map(|t| TradeRecord {
            symbol: Symbol::new(name.split('_').next().unwrap_or(name)).expect("symbol"),
            strategy: "sma_cross".into(),
            direction: if t.size > 0.0 { "long" } else { "short" }.into(),
            entry_time: Timestamp::parse(&t.entry_time).expect("time"),
            entry_price: decimal(t.entry_price),
            exit_time: Some(Timestamp::parse(&t.exit_time).expect("time")),
            exit_price: decimal(t.exit_price),
            quantity: decimal(t.size.abs()),
            pnl: decimal(t.pnl),
            fees: decimal(t.commission),
            return_pct: t.return_pct,
            exit_reason: "signal".into(),
        })
        .collect();
    (f, equity, trades)
}

/// backtesting.py's `Timedelta.ceil(resolution)`.
fn ceil_to(seconds: Option<f64>, resolution: f64) -> Option<f64> {
    seconds.map(|s| (s / resolution - 1e-9).ceil() * resolution)
}

struct Check<'a> {
    name: &'a str,
    stats: &'a serde_json::Map<String, serde_json::Value>,
    failures: Vec<String>,
    matched: Vec<&'static str>,
}

impl Check<'_> {
    fn value(&mut self, key: &'static str, ours: Option<f64>) {
        let theirs = self.stats.get(key).and_then(serde_json::Value::as_f64);
        let ok = match (ours, theirs) {
            (Some(a), Some(b)) => (a - b).abs() <= 1e-6 * b.abs().max(1e-12),
            (None, None) => true,
            _ => false,
        };
        if ok {
            self.matched.push(key);
        } else {
            self.failures.push(format!(
                "{}: {key}: ours {ours:?}, backtesting.py {theirs:?}",
                self.name
            ));
        }
    }

    fn time(&mut self, key: &'static str, ours: Option<Timestamp>) {
        let theirs = self.stats.get(key).and_then(serde_json::Value::as_str);
        let ours = ours.map(|t| t.to_string());
        if ours.as_deref() == theirs {
            self.matched.push(key);
        } else {
            self.failures.push(format!(
                "{}: {key}: ours {ours:?}, backtesting.py {theirs:?}",
                self.name
            ));
        }
    }
}

fn check(name: &str) -> Vec<String> {
    let (f, equity, trades) = load(name);
    let m: Metrics = compute(&MetricsInput {
        trades: &trades,
        equity: &equity,
        initial_equity: f.initial_equity,
        first_close: Some(f.first_close),
        last_close: Some(f.last_close),
        bars_per_year: None,
    });
    let res = f.duration_resolution_s;
    let mut c = Check {
        name,
        stats: &f.stats,
        failures: Vec::new(),
        matched: Vec::new(),
    };
    c.time("Start", m.start);
    c.time("End", m.end);
    c.value("Duration", Some(m.duration_s));
    c.value("Exposure Time [%]", Some(m.exposure_time_pct));
    c.value("Equity Final [$]", Some(m.equity_final));
    c.value("Equity Peak [$]", Some(m.equity_peak));
    c.value("Commissions [$]", Some(m.fees));
    c.value("Return [%]", m.return_pct);
    c.value("Buy & Hold Return [%]", m.buy_hold_return_pct);
    c.value("Return (Ann.) [%]", m.annualized_return_pct);
    c.value("Volatility (Ann.) [%]", m.annualized_volatility_pct);
    c.value("CAGR [%]", m.cagr_pct);
    c.value("Sharpe Ratio", m.sharpe);
    c.value("Sortino Ratio", m.sortino);
    c.value("Calmar Ratio", m.calmar);
    c.value("Max. Drawdown [%]", Some(m.max_drawdown_pct));
    c.value("Avg. Drawdown [%]", m.avg_drawdown_pct);
    c.value(
        "Max. Drawdown Duration",
        ceil_to(m.max_drawdown_duration_s, res),
    );
    c.value(
        "Avg. Drawdown Duration",
        ceil_to(m.avg_drawdown_duration_s, res),
    );
    c.value("# Trades", Some(m.trades as f64));
    c.value("Win Rate [%]", m.win_rate_pct);
    c.value("Best Trade [%]", m.best_trade_pct);
    c.value("Worst Trade [%]", m.worst_trade_pct);
    c.value("Avg. Trade [%]", m.avg_trade_pct);
    c.value("Max. Trade Duration", ceil_to(m.max_trade_duration_s, res));
    c.value("Avg. Trade Duration", ceil_to(m.avg_trade_duration_s, res));
    c.value("Profit Factor", m.profit_factor);
    c.value("Expectancy [%]", m.expectancy_pct);
    c.value("SQN", m.sqn);
    c.value("Kelly Criterion", m.kelly_criterion);
    eprintln!("{name} ({}): matched {:?}", f.source, c.matched);
    c.failures
}

#[test]
fn goog_daily_matches_backtesting_py() {
    let failures = check("goog_daily");
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn btcusdt_1h_matches_backtesting_py() {
    let failures = check("btcusdt_1h");
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn spy_1m_matches_backtesting_py() {
    let failures = check("spy_1m");
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn btcusdt_1m_matches_backtesting_py() {
    // Under one calendar day: no day returns, so no annualized return, volatility or ratios.
    let failures = check("btcusdt_1m");
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn btcusd_monthly_matches_backtesting_py() {
    // Month-end bars: monthly returns, 12 a year.
    let failures = check("btcusd_monthly");
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn fixture_tables_are_consistent() {
    let (f, equity, trades) = load("goog_daily");
    let m = compute(&MetricsInput {
        trades: &trades,
        equity: &equity,
        initial_equity: f.initial_equity,
        first_close: Some(f.first_close),
        last_close: Some(f.last_close),
        bars_per_year: None,
    });
    assert_eq!(m.return_period, "day");
    assert_eq!(m.periods_per_year, Some(252.0));
    let total_pnl: f64 = trades
        .iter()
        .map(|t| t.pnl.try_into().unwrap_or(0.0))
        .sum::<f64>();
    for table in [&m.daily, &m.weekly, &m.monthly] {
        let pnl: f64 = table.iter().map(|r| r.pnl).sum();
        assert!((pnl - total_pnl).abs() < 1e-6 * total_pnl.abs());
        assert_eq!(
            table.iter().map(|r| r.trades_closed).sum::<usize>(),
            m.trades
        );
        let last = table.last().expect("rows");
        assert_eq!(last.equity_end, m.equity_final);
        // Compounding the period returns gives the total return.
        let compounded = table
            .iter()
            .map(|r| 1.0 + r.return_pct.unwrap_or(0.0) / 100.0)
            .product::<f64>();
        let total = m.return_pct.expect("return");
        assert!(((compounded - 1.0) * 100.0 - total).abs() < 1e-6 * total.abs());
    }
    assert_eq!(m.by_symbol.len(), 1);
    assert_eq!(m.by_symbol[0].trades, m.trades);
    assert!((m.by_symbol[0].pnl - total_pnl).abs() < 1e-6 * total_pnl.abs());
    assert_eq!(m.by_exit_reason[0].key, "signal");
    // The last trade is closed by finalize_trades on the last bar.
    assert_eq!(m.open_trades, 0);
}
