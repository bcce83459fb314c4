//! The fast-forward of backtests ([`Engine::skim`], `backtest::run_bars`) changes nothing:
//! every bundled bar file, run with and without it and through the plain event loop, under
//! configurations that let it skim a lot (plain all-cash), little (exits as working orders,
//! live breakers, time exits, stock sessions) or not at all (a strategy without `skim`),
//! gives the same trades, the same equity curve bit for bit and the same final state.

mod common;

use ploutos_core::{Instrument, MarketEvent, Symbol, Timeframe};
use ploutos_engine::backtest::{run_bars, run_shared, Run};
use ploutos_engine::engine::{EngineConfig, StrategyConfig};
use ploutos_engine::strategy::crossover::Average;
use ploutos_engine::strategy::shared::SharedIndicators;
use ploutos_ta::Ema;
use rust_decimal_macros::dec;

const FILES: &[(&str, Timeframe, bool)] = &[
    ("btcusdt_binance_1m.csv", Timeframe::M1, false),
    ("btcusdt_binance_5m.csv", Timeframe::M5, false),
    ("btcusdt_binance_1h.csv", Timeframe::H1, false),
    ("btcperp_ftx_1m.csv", Timeframe::M1, false),
    ("xrpeth_binance_1m.csv", Timeframe::M1, false),
    ("eurusd_1h.csv", Timeframe::H1, false),
    ("spy_1m.csv", Timeframe::M1, true),
    ("goog_daily.csv", Timeframe::D1, true),
    ("btcusd_monthly.csv", Timeframe::D1, false),
];

fn sym() -> Symbol {
    Symbol::new("X").unwrap()
}

fn strategy(kind: &str, params: &str, exits: &str) -> StrategyConfig {
    toml::from_str(&format!(
        "name = \"s\"\nkind = \"{kind}\"\nsymbols = [\"X\"]\ncapital = 10000\n[params]\n{params}\n{exits}"
    ))
    .unwrap()
}

/// `plain`: the CLI's plain backtest (all cash, no caps, breakers off); otherwise the
/// defaults with live breakers.
fn config(strategy: StrategyConfig, stock: bool, plain: bool) -> EngineConfig {
    let instrument = if stock {
        Instrument::stock(sym(), true)
    } else {
        Instrument::crypto(sym(), dec!(0), dec!(0.000001), dec!(0))
    };
    let mut cfg = EngineConfig {
        strategies: vec![strategy],
        instruments: vec![instrument],
        ..EngineConfig::default()
    };
    cfg.broker.fees = ploutos_engine::broker::Fees::bps(dec!(10));
    cfg.risk.min_confidence = 0;
    if plain {
        cfg.risk = toml::from_str(
            "max_position_pct = 100\nrisk_per_trade_pct = 100\nmax_asset_exposure_pct = 100\n\
             min_confidence = 0\ncooldown_minutes = 0\nsizing = { method = \"all_cash\" }",
        )
        .unwrap();
        cfg.breakers = toml::from_str(
            "max_drawdown_pct = { threshold = 100, resume = { when = \"manual\" } }\n\
             daily_loss_pct = { threshold = 100, resume = { when = \"manual\" } }\n\
             losing_streak = { threshold = 4294967295, resume = { when = \"manual\" } }\n\
             max_trades_per_day = { threshold = 4294967295, resume = { when = \"manual\" } }",
        )
        .unwrap();
    } else {
        cfg.breakers = toml::from_str(
            "max_drawdown_pct = { threshold = 3, resume = { when = \"next_day\" } }\n\
             losing_streak = { threshold = 6, resume = { when = \"next_day\" } }",
        )
        .unwrap();
    }
    cfg
}

fn json<T: serde::Serialize>(x: &T) -> String {
    serde_json::to_string(x).unwrap()
}

fn same(a: &Run, b: &Run, what: &str) {
    assert_eq!(a.events, b.events, "{what}: events");
    assert_eq!(json(&a.trades), json(&b.trades), "{what}: trades");
    assert_eq!(a.equity.len(), b.equity.len(), "{what}: equity points");
    for (x, y) in a.equity.iter().zip(&b.equity) {
        assert_eq!(x.time, y.time, "{what}");
        assert_eq!(
            x.equity.to_bits(),
            y.equity.to_bits(),
            "{what}: equity at {}",
            x.time
        );
    }
    assert_eq!(json(&a.state), json(&b.state), "{what}: final state");
}

/// Runs `cfg` over the file three ways; returns the share of bars skimmed.
fn check(file: &str, tf: Timeframe, cfg: &EngineConfig, shared: Option<&SharedIndicators>) -> f64 {
    let bars = common::bars(file);
    let events: Vec<MarketEvent> = bars
        .iter()
        .map(|&bar| MarketEvent::Bar {
            symbol: sym(),
            timeframe: tf,
            bar,
        })
        .collect();
    let plain = run_shared(cfg.clone(), &events, |_| {}, shared).unwrap();
    let slow = run_bars(cfg.clone(), &sym(), tf, &bars, |_| {}, shared, false).unwrap();
    let fast = run_bars(cfg.clone(), &sym(), tf, &bars, |_| {}, shared, true).unwrap();
    assert_eq!(slow.skimmed, 0);
    same(&plain, &slow, &format!("{file}: events vs bars"));
    same(&plain, &fast, &format!("{file}: events vs fast-forward"));
    fast.skimmed as f64 / bars.len() as f64
}

#[test]
fn plain_all_cash_crossovers_skim_most_bars_and_change_nothing() {
    for &(file, tf, stock) in FILES {
        for (kind, params) in [
            ("ema-cross", "fast = 9\nslow = 21"),
            ("ema-trend", "fast = 5\nslow = 30"),
            ("ma-cross", "fast = 10\nslow = 40"),
            ("rsi", "period = 14"),
            ("bollinger", "period = 20"),
            ("consensus", "min_confidence = 0"),
        ] {
            let cfg = config(strategy(kind, params, ""), stock, true);
            let share = check(file, tf, &cfg, None);
            // Daily bars change day on every bar and monthly ones are few: nothing to skim;
            // ema-trend's default exits are working orders while it holds.
            let least = if kind == "ema-trend" { 0.3 } else { 0.5 };
            if tf != Timeframe::D1 && !stock {
                assert!(share > least, "{file} {kind}: only {share:.2} skimmed");
            }
        }
    }
}

#[test]
fn exits_breakers_time_exits_and_stocks_change_nothing() {
    let exits = [
        "[exits]\nstop_loss = { percent = 0.5 }\ntake_profit = { percent = 1 }",
        "[exits]\ntrailing = { percent = 0.4 }",
        "[exits]\nmax_holding_minutes = 90",
        "",
    ];
    for &(file, tf, stock) in FILES {
        for (k, exit) in exits.iter().enumerate() {
            let kind = ["ema-cross", "ema-trend", "ma-cross", "ema-cross"][k];
            let other = config(
                strategy(["rsi", "bollinger"][k % 2], "", exit),
                stock,
                false,
            );
            check(file, tf, &other, None);
            let cfg = config(strategy(kind, "fast = 4\nslow = 12", exit), stock, false);
            check(file, tf, &cfg, None);
        }
    }
}

#[test]
fn shared_indicators_change_nothing() {
    for &(file, tf, stock) in FILES.iter().take(4) {
        // Averages read from a shared cache while skimming.
        let closes: Vec<f64> = common::bars(file).iter().map(|b| b.close()).collect();
        let mut shared = SharedIndicators::new();
        shared.set_closes(sym(), closes);
        for p in [9, 21] {
            shared.add::<Ema>(&sym(), p).unwrap();
        }
        assert_eq!(<Ema as Average>::KEY, "ema");
        let cfg = config(
            strategy("ema-cross", "fast = 9\nslow = 21", ""),
            stock,
            true,
        );
        assert!(check(file, tf, &cfg, Some(&shared)) > 0.5);
    }
}

/// Entries refused bar after bar while the BUY regime lasts: for their size (whole units
/// that cost more than the cash, on both sides of the price where one becomes affordable)
/// and for a rule that holds by itself (trades per day, cooldown). Backtests report no
/// signals, so the fast-forward also passes over the regime changes between such refusals
/// (a SELL while flat, then a BUY refused again).
#[test]
fn repeated_refused_entries_are_skimmed_and_change_nothing() {
    let whole = |mut cfg: EngineConfig| {
        cfg.instruments = vec![Instrument::crypto(sym(), dec!(0), dec!(1), dec!(1))];
        cfg
    };
    let btc = ("btcusdt_binance_1m.csv", Timeframe::M1);
    // 10 of cash never buys one BTC; 6,450 does below ~6,443 (the median close).
    for (capital, least) in [("10", 0.995), ("6450", 0.95)] {
        let mut st = strategy("ema-cross", "fast = 9\nslow = 21", "");
        st.capital = capital.parse().unwrap();
        let cfg = whole(config(st, false, true));
        let share = check(btc.0, btc.1, &cfg, None);
        assert!(share > least, "capital {capital}: only {share:.2} skimmed");
    }
    let mut cfg = config(
        strategy("ema-cross", "fast = 5\nslow = 13", ""),
        false,
        true,
    );
    cfg.risk.max_trades_per_day = 3;
    cfg.risk.cooldown_minutes = 30;
    for &(file, tf, stock) in FILES.iter().take(7) {
        let mut cfg = cfg.clone();
        if stock {
            cfg.instruments = vec![Instrument::stock(sym(), true)];
        }
        let share = check(file, tf, &cfg, None);
        if !stock && tf == Timeframe::M1 {
            assert!(share > 0.95, "{file}: only {share:.2} skimmed");
        }
    }
}
