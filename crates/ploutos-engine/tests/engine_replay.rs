//! The engine on the bundled real data: deterministic, books every fill exactly, and restores
//! exactly from a snapshot taken at any point.

mod common;

use std::collections::BTreeMap;

use ploutos_core::{Decimal, Instrument, MarketEvent, Side, Symbol, Timeframe, Timestamp};
use ploutos_engine::broker::{Fees, PaperConfig, Slippage};
use ploutos_engine::engine::{Engine, EngineConfig, EngineState, StrategyConfig};
use ploutos_engine::events::EngineEvent;
use rust_decimal_macros::dec;

fn sym(s: &str) -> Symbol {
    Symbol::new(s).unwrap()
}

/// BTCUSDT and XRPETH 1m bars merged by close time (file order on ties).
fn events() -> Vec<MarketEvent> {
    let mut evs: Vec<MarketEvent> = Vec::new();
    for (s, f) in [("BTCUSDT", "btcusdt_binance_1m.csv"), ("SPY", "spy_1m.csv")] {
        for bar in common::bars(f) {
            evs.push(MarketEvent::Bar {
                symbol: sym(s),
                timeframe: Timeframe::M1,
                bar,
            });
        }
    }
    // Put both series on one day so they interleave (SPY keeps its time of day).
    let first = |s: &str| {
        evs.iter()
            .find(|e| e.symbol().as_str() == s)
            .map(|e| e.time().utc_day())
            .unwrap()
    };
    let shift = (first("SPY") - first("BTCUSDT")) * 86_400_000_000_000;
    for e in &mut evs {
        if let MarketEvent::Bar { symbol, bar, .. } = e {
            if symbol.as_str() == "BTCUSDT" {
                *bar = bar.at(Timestamp::from_nanos(bar.time().as_nanos() + shift));
            }
        }
    }
    evs.sort_by_key(|e| e.time());
    evs
}

fn strategy(name: &str, kind: &str, symbol: &str, params: &str, exits: &str) -> StrategyConfig {
    let text = format!(
        "name = \"{name}\"\nkind = \"{kind}\"\nsymbols = [\"{symbol}\"]\ncapital = 10000\n[params]\n{params}\n{exits}"
    );
    toml::from_str(&text).unwrap()
}

fn config() -> EngineConfig {
    EngineConfig {
        strategies: vec![
            strategy("trend", "ema-cross", "BTCUSDT", "fast = 9\nslow = 21", ""),
            strategy(
                "brackets",
                "ema-trend",
                "BTCUSDT",
                "",
                "[exits]\nstop_loss = { percent = 0.3 }\ntake_profit = { percent = 0.5 }",
            ),
            strategy("votes", "consensus", "SPY", "min_confidence = 0", ""),
            strategy(
                "swing",
                "ma-cross",
                "SPY",
                "",
                "[exits]\ntrailing = { percent = 0.2 }\nmax_holding_minutes = 60\n[exits.partial_take_profit]\nat_pct = 0.1\nfraction = 0.5",
            ),
        ],
        broker: PaperConfig {
            fees: Fees::bps(dec!(10)),
            slippage: Slippage::Bps(dec!(2)),
            ..PaperConfig::default()
        },
        instruments: vec![
            Instrument::crypto(sym("BTCUSDT"), dec!(0.01), dec!(0.00001), dec!(5)),
            Instrument::stock(sym("SPY"), false),
        ],
        risk: ploutos_engine::risk::RiskConfig {
            min_confidence: 0,
            ..Default::default()
        },
        // One-minute bars with fees lose often: let the streak run longer than the default 5.
        breakers: toml::from_str("losing_streak = { threshold = 12, resume = { when = \"next_day\" } }").unwrap(),
        execution: Default::default(),
    }
}

fn run(evs: &[MarketEvent]) -> (Vec<EngineEvent>, EngineState) {
    let mut e = Engine::new(config(), evs[0].time()).unwrap();
    let mut out = Vec::new();
    for ev in evs {
        e.on_market_event(ev, &mut out);
    }
    (out, e.state().clone())
}

fn json<T: serde::Serialize>(x: &T) -> String {
    serde_json::to_string(x).unwrap()
}

#[test]
fn same_input_same_output_bit_for_bit() {
    let evs = events();
    let (a, sa) = run(&evs);
    let (b, sb) = run(&evs);
    assert_eq!(json(&a), json(&b));
    assert_eq!(json(&sa), json(&sb));
    let fills = a
        .iter()
        .filter(|e| matches!(e, EngineEvent::Fill { .. }))
        .count();
    let closed = a
        .iter()
        .filter(|e| matches!(e, EngineEvent::TradeClosed { .. }))
        .count();
    assert!(fills > 20, "{fills} fills");
    assert!(closed > 5, "{closed} round trips");
}

/// With `quiet` applied to the engine, the events `silenced` picks out (at least `min` of them
/// in the full run) are not reported, and everything else is: the same other events in the
/// same order, the same final state.
fn silencing_changes_nothing_else(
    quiet: impl FnOnce(&mut Engine),
    silenced: impl Fn(&EngineEvent) -> bool,
    min: usize,
) {
    let evs = events();
    let (all, state) = run(&evs);
    let mut e = Engine::new(config(), evs[0].time()).unwrap();
    quiet(&mut e);
    let mut out = Vec::new();
    for ev in &evs {
        e.on_market_event(ev, &mut out);
    }
    assert!(all.iter().filter(|ev| silenced(ev)).count() > min);
    assert!(!out.iter().any(&silenced));
    let rest: Vec<&EngineEvent> = all.iter().filter(|ev| !silenced(ev)).collect();
    assert_eq!(json(&rest), json(&out));
    assert_eq!(json(&state), json(e.state()));
}

/// Backtests turn signal and rejection events off: the same decisions, so the same other
/// events in the same order and the same final state.
#[test]
fn without_signal_events_the_same_trading_happens() {
    silencing_changes_nothing_else(
        |e| e.set_signal_events(false),
        |ev| {
            matches!(
                ev,
                EngineEvent::Signal(_) | EngineEvent::RiskRejection { .. }
            )
        },
        100,
    );
}

/// Backtests turn order submission and update events off too: the same fills, closed trades
/// and every other event in the same order, the same final state.
#[test]
fn without_order_events_the_same_trading_happens() {
    silencing_changes_nothing_else(
        |e| e.set_order_events(false),
        |ev| {
            matches!(
                ev,
                EngineEvent::OrderSubmitted { .. } | EngineEvent::OrderUpdate { .. }
            )
        },
        40,
    );
}

#[test]
fn every_fill_is_booked_exactly() {
    let evs = events();
    let (out, state) = run(&evs);
    let mut cash: BTreeMap<String, Decimal> = BTreeMap::new();
    let mut pos: BTreeMap<(String, String), Decimal> = BTreeMap::new();
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    for e in &out {
        match e {
            EngineEvent::Fill {
                strategy,
                symbol,
                side,
                fill,
                position_after,
                cash_after,
                ..
            } => {
                let c = cash.entry(strategy.to_string()).or_insert(dec!(10000));
                let signed = if *side == Side::Buy {
                    fill.quantity
                } else {
                    -fill.quantity
                };
                *c -= signed * fill.price + fill.fee;
                assert_eq!(c, cash_after);
                let p = pos
                    .entry((strategy.to_string(), symbol.to_string()))
                    .or_default();
                *p += signed;
                assert_eq!(p, position_after);
                assert!(
                    *c >= Decimal::ZERO,
                    "long-only with a buying-power check never goes negative"
                );
            }
            EngineEvent::TradeClosed { exit_reason, .. } => {
                *reasons.entry(exit_reason.to_string()).or_default() += 1;
            }
            _ => {}
        }
    }
    for (name, acct) in &state.portfolio.accounts {
        assert_eq!(
            acct.cash,
            cash.get(&**name).copied().unwrap_or(dec!(10000)),
            "{name}"
        );
        for (s, p) in &acct.positions {
            assert_eq!(p.quantity, pos[&(name.to_string(), s.to_string())]);
        }
    }
    // The bracket strategy exits by stop and take-profit, the swing one by its trailing stop,
    // partial take-profit or time limit, the others on their signals.
    assert!(reasons.contains_key("signal"), "{reasons:?}");
    assert!(
        reasons.contains_key("stop_loss") || reasons.contains_key("take_profit"),
        "{reasons:?}"
    );
    assert!(
        reasons.contains_key("trailing_stop") || reasons.contains_key("time_exit"),
        "{reasons:?}"
    );
}

#[test]
fn restoring_from_a_snapshot_anywhere_continues_exactly() {
    let evs = events();
    let (full, final_state) = run(&evs);
    for cut in [1usize, 200, 777, 1500, evs.len() - 1] {
        let mut e = Engine::new(config(), evs[0].time()).unwrap();
        let mut out = Vec::new();
        for ev in &evs[..cut] {
            e.on_market_event(ev, &mut out);
        }
        // The snapshot goes through JSON, as it does on disk.
        let snap: EngineState = serde_json::from_str(&json(e.state())).unwrap();
        drop(e);
        let mut r = Engine::restore(config(), evs[0].time(), snap, &evs[..cut]).unwrap();
        for ev in &evs[cut..] {
            r.on_market_event(ev, &mut out);
        }
        assert_eq!(json(r.state()), json(&final_state), "cut at {cut}");
        assert_eq!(json(&out), json(&full), "cut at {cut}");
    }
}

#[test]
fn panic_closes_everything_and_halts_until_resumed() {
    let evs = events();
    let mut e = Engine::new(config(), evs[0].time()).unwrap();
    let mut out = Vec::new();
    let half = evs.len() / 2;
    for ev in &evs[..half] {
        e.on_market_event(ev, &mut out);
    }
    out.clear();
    e.panic(&mut out);
    assert!(e.halted().is_some());
    // The market exits fill on the next bars; no new entries meanwhile.
    for ev in &evs[half..half + 50] {
        e.on_market_event(ev, &mut out);
    }
    assert!(e
        .state()
        .portfolio
        .accounts
        .values()
        .all(|a| a.positions.is_empty()));
    assert!(!out
        .iter()
        .any(|ev| matches!(ev, EngineEvent::OrderSubmitted { order, .. } if !order.reduce_only)));
    let mut more = Vec::new();
    e.resume(None, "test", &mut more);
    assert!(e.halted().is_none());
}

#[test]
#[ignore]
fn debug_dump() {
    let (out, _) = run(&events());
    for e in &out {
        match e {
            EngineEvent::Signal(s) => {
                println!("SIGNAL {} {} {} {}", s.strategy, s.symbol, s.time, s.kind)
            }
            EngineEvent::OrderSubmitted { order, time } => println!(
                "ORDER {time} {} {} {:?} {:?} {}",
                order.strategy, order.symbol, order.side, order.kind, order.reason
            ),
            EngineEvent::Fill {
                strategy,
                fill,
                reason,
                ..
            } => println!(
                "FILL {strategy} {} {} {} {}",
                fill.time, fill.price, fill.quantity, reason
            ),
            EngineEvent::RiskRejection {
                strategy,
                rule,
                detail,
                ..
            } => println!("REJECT {strategy} {rule} {detail}"),
            EngineEvent::OrderUpdate {
                client_id,
                event,
                status,
                ..
            } => println!("UPDATE {client_id} {} {status}", event.name()),
            EngineEvent::Error { message, .. } => println!("ERROR {message}"),
            other => println!("{}", other.kind()),
        }
    }
}

#[test]
fn market_open_and_close_are_events_in_order() {
    let (out, _) = run(&events());
    let sessions: Vec<(Timestamp, bool)> = out
        .iter()
        .filter_map(|e| match e {
            EngineEvent::Market { time, open } => Some((*time, *open)),
            _ => None,
        })
        .collect();
    // SPY's four sessions of 15–18 Dec 2020: 14:30–21:00 UTC each.
    assert_eq!(sessions.len(), 8, "{sessions:?}");
    assert!(sessions
        .windows(2)
        .all(|w| w[0].0 < w[1].0 && w[0].1 != w[1].1));
    assert_eq!(
        sessions[0],
        (Timestamp::parse("2020-12-15T14:30:00Z").unwrap(), true)
    );
    assert_eq!(
        sessions[7],
        (Timestamp::parse("2020-12-18T21:00:00Z").unwrap(), false)
    );
}
