//! Each exit rule and breaker of the engine on a hand-checkable scenario: one strategy buying
//! 10 units at 100 (fixed notional 1,000, no fees, no slippage) on the open of bar 3, then
//! bars chosen to hit one exit.

mod common;

use ploutos_core::Decimal;
use ploutos_engine::engine::{Engine, EngineConfig};
use ploutos_engine::events::EngineEvent;
use rust_decimal_macros::dec;

/// Bars 0–2 make EMA(2) rise above EMA(3): BUY on bar 2's close, filled at bar 3's open (100).
fn run(exits: &str, extra_cfg: &str, after_entry: &[(f64, f64, f64, f64)]) -> Vec<EngineEvent> {
    let cooldown = if extra_cfg.contains("[breakers]") {
        0
    } else {
        100_000
    };
    let text = common::x_config(
        "",
        &format!("cooldown_minutes = {cooldown}"),
        extra_cfg,
        exits,
    );
    let cfg: EngineConfig = toml::from_str(&text).unwrap();
    let mut evs = common::x_entry_bars().to_vec();
    for (i, (o, h, l, c)) in after_entry.iter().enumerate() {
        evs.push(common::x_bar(3 + i as i64, *o, *h, *l, *c));
    }
    let mut e = Engine::new(cfg, evs[0].time()).unwrap();
    let mut out = Vec::new();
    for ev in &evs {
        e.on_market_event(ev, &mut out);
    }
    out
}

/// (reason, price, quantity) of every fill.
fn fills(out: &[EngineEvent]) -> Vec<(String, Decimal, Decimal)> {
    out.iter()
        .filter_map(|e| match e {
            EngineEvent::Fill { fill, reason, .. } => {
                Some((reason.to_string(), fill.price, fill.quantity))
            }
            _ => None,
        })
        .collect()
}

fn closed(out: &[EngineEvent]) -> Vec<(String, Decimal)> {
    out.iter()
        .filter_map(|e| match e {
            EngineEvent::TradeClosed {
                trade, exit_reason, ..
            } => Some((exit_reason.to_string(), trade.pnl)),
            _ => None,
        })
        .collect()
}

const UP: (f64, f64, f64, f64) = (100.0, 100.5, 99.8, 100.4);

#[test]
fn stop_loss_by_percent_fills_at_the_stop() {
    // Stop 2% under 100 = 98; the next bar dips to 97.
    let out = run(
        "stop_loss = { percent = 2 }",
        "",
        &[UP, (100.4, 100.6, 97.0, 100.5)],
    );
    assert_eq!(
        fills(&out),
        vec![
            ("entry".into(), dec!(100), dec!(10)),
            ("stop_loss".into(), dec!(98.00), dec!(10))
        ]
    );
    assert_eq!(closed(&out), vec![("stop_loss".into(), dec!(-20))]);
}

#[test]
fn take_profit_by_percent_fills_at_the_limit() {
    let out = run(
        "stop_loss = { percent = 2 }\ntake_profit = { percent = 3 }",
        "",
        &[UP, (100.4, 104.0, 100.3, 103.5)],
    );
    assert_eq!(
        fills(&out)[1],
        ("take_profit".into(), dec!(103.00), dec!(10))
    );
    assert_eq!(closed(&out), vec![("take_profit".into(), dec!(30))]);
}

#[test]
fn bracket_on_one_bar_the_path_decides() {
    // Both exits inside one bar. Up bar (close >= open): open→high→low→close, the take-profit
    // at 103 is reached first; down bar: open→low→high→close, the stop at 98 first.
    let exits = "stop_loss = { percent = 2 }\ntake_profit = { percent = 3 }";
    let up = run(exits, "", &[UP, (100.4, 104.0, 97.0, 101.0)]);
    assert_eq!(closed(&up)[0].0, "take_profit");
    let down = run(exits, "", &[UP, (100.4, 104.0, 97.0, 100.0)]);
    assert_eq!(closed(&down)[0].0, "stop_loss");
}

#[test]
fn trailing_stop_follows_the_high() {
    // 5% trail: the best price climbs to 110 → stop 104.50 (each bar's low stays above the
    // stop of its high: up bars go open→high→low→close); the fall to 104 hits it.
    let out = run(
        "trailing = { percent = 5 }",
        "",
        &[
            UP,
            (101.0, 106.0, 101.0, 105.8),
            (105.8, 110.0, 105.5, 109.5),
            (109.5, 109.6, 104.0, 104.2),
        ],
    );
    assert_eq!(
        fills(&out)[1],
        ("trailing_stop".into(), dec!(104.50), dec!(10))
    );
    assert_eq!(closed(&out), vec![("trailing_stop".into(), dec!(45))]);
}

#[test]
fn partial_take_profit_then_trail_the_rest() {
    // Half (5) at +2% = 102, then a 1% trailing stop for the other 5: best 105 → 103.95.
    let out = run(
        "trailing = { percent = 1 }\npartial_take_profit = { at_pct = 2, fraction = 0.5 }",
        "",
        &[
            UP,
            (100.4, 102.5, 100.4, 102.2),
            (104.0, 105.0, 104.0, 104.9),
            (104.9, 104.9, 103.0, 103.2),
        ],
    );
    let f = fills(&out);
    assert_eq!(f[1], ("partial_take_profit".into(), dec!(102.00), dec!(5)));
    assert_eq!(f[2], ("trailing_stop".into(), dec!(103.95), dec!(5)));
    assert_eq!(
        closed(&out),
        vec![("trailing_stop".into(), dec!(10) + dec!(19.75))]
    );
}

#[test]
fn time_exit_sells_at_market_after_the_holding_limit() {
    // Entered at bar 3's open (t+3 min); at bar 5's close (t+6 min) it is 3 minutes old: the
    // exit fills at bar 6's open.
    let out = run(
        "max_holding_minutes = 3",
        "",
        &[UP, UP, UP, (100.7, 100.8, 100.6, 100.7), UP],
    );
    let f = fills(&out);
    assert_eq!(f[1].0, "time_exit");
    assert_eq!(f[1].1, dec!(100.7));
}

#[test]
fn atr_stop_uses_the_entry_bar_atr() {
    // ATR(14) needs 15 bars: with only 3 before the entry there is none, so no stop is placed
    // (and the position exits on the signal instead).
    let out = run(
        "stop_loss = { atr = 1.5 }",
        "",
        &[UP, (100.4, 100.6, 90.0, 90.5), (90.5, 90.6, 80.0, 80.5)],
    );
    assert!(!fills(&out).iter().any(|f| f.0 == "stop_loss"));
}

#[test]
fn a_losing_streak_pauses_entries_and_is_reported() {
    // One loss trips a breaker with threshold 1; the next BUY is refused by the pause.
    let out = run(
        "stop_loss = { percent = 2 }",
        "[breakers]\nlosing_streak = { threshold = 1, resume = { when = \"manual\" } }",
        &[UP, (100.4, 100.6, 97.0, 100.5), UP, UP],
    );
    assert!(out.iter().any(|e| matches!(e, EngineEvent::Breaker { .. })));
    assert!(out.iter().any(|e| matches!(e, EngineEvent::RiskRejection { rule, .. } if rule.to_string() == "breaker_paused")));
    assert_eq!(fills(&out).len(), 2);
}
