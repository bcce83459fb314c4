//! Test-only readers for the bundled sample files (data/samples), kept dependency-free so the
//! engine's tests don't rely on the store crate; and the one-symbol harness of the engine's
//! order tests (symbol `X`, ema-cross 2/3, 1-minute bars).

#![allow(dead_code)]

use std::path::PathBuf;

use ploutos_core::{Bar, Side, Timestamp, Trade};

pub fn sample(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/samples")
        .join(name)
}

pub fn bars(name: &str) -> Vec<Bar> {
    let text = std::fs::read_to_string(sample(name)).expect("sample file");
    text.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let n = |i: usize| f[i].parse::<f64>().expect("number");
            Bar::new(
                Timestamp::parse(f[0]).expect("time"),
                n(1),
                n(2),
                n(3),
                n(4),
                n(5),
            )
            .expect("bar")
        })
        .collect()
}

pub fn trades(name: &str) -> Vec<Trade> {
    let text = std::fs::read_to_string(sample(name)).expect("sample file");
    text.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            Trade::new(
                Timestamp::parse(f[0]).expect("time"),
                f[2].parse().expect("price"),
                f[3].parse().expect("qty"),
            )
            .expect("trade")
            .with_id(f[1].parse().expect("id"))
            .with_aggressor(f[4].parse::<Side>().expect("side"))
        })
        .collect()
}

/// The symbol of the one-symbol harness.
pub fn x() -> ploutos_core::Symbol {
    ploutos_core::Symbol::new("X").unwrap()
}

/// Bar `i` of `X` (1-minute bars from a fixed time), volume 100.
pub fn x_bar(i: i64, o: f64, h: f64, l: f64, c: f64) -> ploutos_core::MarketEvent {
    ploutos_core::MarketEvent::Bar {
        symbol: x(),
        timeframe: ploutos_core::Timeframe::M1,
        bar: Bar::new(
            Timestamp::from_secs(1_700_000_040 + i * 60).unwrap(),
            o,
            h,
            l,
            c,
            100.0,
        )
        .unwrap(),
    }
}

/// Bars 0–2 of `X`: EMA(2) rises above EMA(3), a BUY on bar 2's close.
pub fn x_entry_bars() -> [ploutos_core::MarketEvent; 3] {
    [
        x_bar(0, 99.0, 99.0, 99.0, 99.0),
        x_bar(1, 99.0, 99.5, 99.0, 99.5),
        x_bar(2, 99.5, 100.0, 99.5, 100.0),
    ]
}

/// The harness's configuration as TOML: `top` before `[risk]`, `risk` inside it, then the
/// other tables (`tables`), the instrument `X` (whole units, tick 0.01) and strategy `s`
/// (ema-cross 2/3 on `X`, capital 10,000, a fixed notional of 1,000) with `exits`.
pub fn x_config(top: &str, risk: &str, tables: &str, exits: &str) -> String {
    format!(
        r#"{top}
[risk]
min_confidence = 0
sizing = {{ method = "fixed_notional", notional = 1000 }}
{risk}
{tables}
[[instruments]]
symbol = "X"
class = "crypto"
tick_size = 0.01
step_size = 1
min_quantity = 1
min_notional = 0
fractional = true

[[strategies]]
name = "s"
kind = "ema-cross"
symbols = ["X"]
capital = 10000
[strategies.params]
fast = 2
slow = 3
[strategies.exits]
{exits}
"#
    )
}
