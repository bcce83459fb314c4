//! Every built-in strategy kind (defaults, built through the registry) over the bundled SPY and
//! BTC-PERP 1-minute files, against an independent computation of its rule from
//! `ploutos_ta::batch` arrays (the consensus kind against the Python reference fixtures): the
//! same signals on the same bars, none inside the warm-up, and the warm-up exactly as long as
//! the indicators need.

mod common;

use std::sync::Arc;

use ploutos_core::{Bar, Signal, SignalKind, Symbol};
use ploutos_engine::strategy::{registry, SignalSink, StrategyCtx};
use ploutos_ta::batch;
use SignalKind::{Buy, Sell};

const FILES: [&str; 2] = ["spy_1m", "btcperp_ftx_1m"];

/// Runs kind `kind` with default parameters; `(bar index, signal)` and the warm-up.
fn run(kind: &str, bars: &[Bar]) -> (Vec<(usize, Signal)>, usize) {
    let mut s = registry::build(kind, &toml::Table::new()).expect("builds");
    assert_eq!(s.kind(), kind);
    let symbol = Symbol::new("TEST").unwrap();
    let name: Arc<str> = Arc::from(format!("{kind}-test"));
    let sink = SignalSink {
        symbol: &symbol,
        strategy: &name,
        repeat_of: None,
        words: true,
    };
    let ctx = StrategyCtx::default();
    let mut out = Vec::new();
    for (i, bar) in bars.iter().enumerate() {
        if let Some(sig) = s.on_bar(bar, &ctx, &sink) {
            assert_eq!(sig.time, bar.time(), "{kind} bar {i}");
            assert_eq!(sig.current_price, bar.close(), "{kind} bar {i}");
            assert_eq!(sig.symbol, symbol);
            assert_eq!(sig.strategy, name);
            assert!(sig.is_actionable(), "{kind} bar {i}: HOLD returned");
            assert!(sig.confidence <= 100);
            assert!(!sig.reasons.is_empty() && !sig.reasons[0].is_empty());
            assert!(!sig.indicators.is_empty());
            out.push((i, sig));
        }
    }
    (out, s.warmup())
}

fn kinds(signals: &[(usize, Signal)]) -> Vec<(usize, SignalKind)> {
    signals.iter().map(|(i, s)| (*i, s.kind)).collect()
}

/// The first index `i` where `ready(i)` holds.
fn first(n: usize, ready: impl Fn(usize) -> bool) -> usize {
    (0..n).find(|&i| ready(i)).expect("ready somewhere")
}

/// Bars where `fast` crosses `slow` (`prev fast <= prev slow`, `fast > slow`, and mirrored).
fn crossings(fast: &[f64], slow: &[f64]) -> Vec<(usize, SignalKind)> {
    (1..fast.len())
        .filter_map(|i| {
            let (pf, ps, f, s) = (fast[i - 1], slow[i - 1], fast[i], slow[i]);
            if pf.is_nan() || ps.is_nan() {
                None
            } else if pf <= ps && f > s {
                Some((i, Buy))
            } else if pf >= ps && f < s {
                Some((i, Sell))
            } else {
                None
            }
        })
        .collect()
}

/// Checks the signals against `want`, the warm-up against the first index where the rule can
/// be evaluated, and that there are both BUYs and SELLs. Returns `(buys, sells)`.
fn check(
    stem: &str,
    kind: &str,
    got: &[(usize, Signal)],
    warmup: usize,
    want: &[(usize, SignalKind)],
    first_evaluable: usize,
) -> (usize, usize) {
    let got_kinds = kinds(got);
    assert_eq!(
        got_kinds.len(),
        want.len(),
        "{stem} {kind}: signal count (first difference at {:?})",
        got_kinds.iter().zip(want).find(|(a, b)| a != b)
    );
    assert_eq!(got_kinds, want, "{stem} {kind}");
    assert_eq!(warmup, first_evaluable + 1, "{stem} {kind}: warm-up");
    if let Some((i, _)) = got.first() {
        assert!(
            *i + 1 >= warmup,
            "{stem} {kind}: signal on bar {i}, warm-up {warmup}"
        );
    }
    let buys = want.iter().filter(|(_, k)| *k == Buy).count();
    let sells = want.len() - buys;
    assert!(
        buys > 0 && sells > 0,
        "{stem} {kind}: {buys} buys, {sells} sells"
    );
    (buys, sells)
}

#[test]
fn ma_cross_is_the_sma_5_20_crossings() {
    for stem in FILES {
        let bars = common::bars(&format!("{stem}.csv"));
        let c: Vec<f64> = bars.iter().map(Bar::close).collect();
        let (f, s) = (batch::sma(&c, 5).unwrap(), batch::sma(&c, 20).unwrap());
        let (got, warmup) = run("ma-cross", &bars);
        let want = crossings(&f, &s);
        check(
            stem,
            "ma-cross",
            &got,
            warmup,
            &want,
            first(c.len(), |i| i > 0 && !s[i - 1].is_nan()),
        );
        for (i, sig) in &got {
            assert_eq!(sig.indicators.get("sma_fast"), Some(f[*i]));
            assert_eq!(sig.indicators.get("sma_slow"), Some(s[*i]));
            assert!(
                sig.reasons[0].starts_with("SMA5 crossed "),
                "{}",
                sig.reasons[0]
            );
        }
    }
}

#[test]
fn ema_trend_is_the_ema_21_50_crossings() {
    for stem in FILES {
        let bars = common::bars(&format!("{stem}.csv"));
        let c: Vec<f64> = bars.iter().map(Bar::close).collect();
        let (f, s) = (batch::ema(&c, 21).unwrap(), batch::ema(&c, 50).unwrap());
        let (got, warmup) = run("ema-trend", &bars);
        let want = crossings(&f, &s);
        check(
            stem,
            "ema-trend",
            &got,
            warmup,
            &want,
            first(c.len(), |i| i > 0 && !s[i - 1].is_nan()),
        );
        for (i, sig) in &got {
            assert_eq!(sig.indicators.get("ema_fast"), Some(f[*i]));
            assert_eq!(sig.indicators.get("ema_slow"), Some(s[*i]));
        }
    }
}

#[test]
fn ema_cross_is_the_ema_9_21_regime_on_every_bar() {
    for stem in FILES {
        let bars = common::bars(&format!("{stem}.csv"));
        let c: Vec<f64> = bars.iter().map(Bar::close).collect();
        let (f, s) = (batch::ema(&c, 9).unwrap(), batch::ema(&c, 21).unwrap());
        let (got, warmup) = run("ema-cross", &bars);
        let want: Vec<_> = (0..c.len())
            .filter_map(|i| match (f[i], s[i]) {
                (a, b) if a > b => Some((i, Buy)),
                (a, b) if a < b => Some((i, Sell)),
                _ => None, // equal, or NaN before the slow EMA
            })
            .collect();
        check(
            stem,
            "ema-cross",
            &got,
            warmup,
            &want,
            first(c.len(), |i| !s[i].is_nan()),
        );
        // Level signals: nearly every bar after the warm-up has one.
        assert!(
            got.len() + 200 > c.len() - warmup,
            "{stem}: {} signals",
            got.len()
        );
    }
}

#[test]
fn rsi_is_the_rsi_14_levels_outside_30_70() {
    for stem in FILES {
        let bars = common::bars(&format!("{stem}.csv"));
        let c: Vec<f64> = bars.iter().map(Bar::close).collect();
        let r = batch::rsi(&c, 14).unwrap();
        // TA-Lib's "no movement yet" RSI of 0 is not oversold: only when no close has changed.
        let moved: Vec<bool> = (0..c.len())
            .map(|i| c[..=i].windows(2).any(|w| w[0] != w[1]))
            .collect();
        let (got, warmup) = run("rsi", &bars);
        let want: Vec<_> = (0..c.len())
            .filter_map(|i| {
                if r[i].is_nan() || !moved[i] {
                    None
                } else if r[i] < 30.0 {
                    Some((i, Buy))
                } else if r[i] > 70.0 {
                    Some((i, Sell))
                } else {
                    None
                }
            })
            .collect();
        check(
            stem,
            "rsi",
            &got,
            warmup,
            &want,
            first(c.len(), |i| !r[i].is_nan()),
        );
        for (i, sig) in &got {
            let v = r[*i];
            assert_eq!(sig.indicators.get("rsi"), Some(v));
            let depth = if sig.kind == Buy {
                (30.0 - v) / 30.0
            } else {
                (v - 70.0) / 30.0
            };
            assert_eq!(
                sig.confidence,
                (100.0 * depth).round() as u8,
                "{stem} bar {i}"
            );
        }
    }
}

#[test]
fn bollinger_is_the_band_re_entries_of_bb_20_2() {
    for stem in FILES {
        let bars = common::bars(&format!("{stem}.csv"));
        let c: Vec<f64> = bars.iter().map(Bar::close).collect();
        let b = batch::bbands(&c, 20, 2.0, 2.0).unwrap();
        let (got, warmup) = run("bollinger", &bars);
        let want: Vec<_> = (1..c.len())
            .filter_map(|i| {
                let (lo0, up0, lo, up) = (b.lower[i - 1], b.upper[i - 1], b.lower[i], b.upper[i]);
                if c[i - 1] < lo0 && c[i] >= lo {
                    Some((i, Buy))
                } else if c[i - 1] > up0 && c[i] <= up {
                    Some((i, Sell))
                } else {
                    None // includes NaN bands (comparisons are false)
                }
            })
            .collect();
        check(
            stem,
            "bollinger",
            &got,
            warmup,
            &want,
            first(c.len(), |i| i > 0 && !b.lower[i - 1].is_nan()),
        );
        for (i, sig) in &got {
            assert_eq!(sig.indicators.get("bb_lower"), Some(b.lower[*i]));
            assert_eq!(sig.indicators.get("bb_middle"), Some(b.middle[*i]));
            assert_eq!(sig.indicators.get("bb_upper"), Some(b.upper[*i]));
        }
    }
}

#[test]
fn consensus_is_the_reference_buy_and_sell_verdicts() {
    for stem in FILES {
        let bars = common::bars(&format!("{stem}.csv"));
        let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/consensus")
            .join(format!("{stem}.csv"));
        let text = std::fs::read_to_string(path).expect("fixture");
        // timestamp,signal,buy_votes,sell_votes,confidence,votes
        let rows: Vec<Vec<&str>> = text
            .lines()
            .skip(1)
            .map(|l| l.split(',').collect())
            .collect();
        assert_eq!(rows.len(), bars.len());
        let want: Vec<_> = rows
            .iter()
            .enumerate()
            .filter_map(|(i, r)| match r[1] {
                "BUY" => Some((i, Buy)),
                "SELL" => Some((i, Sell)),
                _ => None,
            })
            .collect();
        let (got, warmup) = run("consensus", &bars);
        // The reference's first bar with any vote possible: 34 with the defaults (the MACD
        // signal line is the last indicator to be ready, on bar index 33).
        check(stem, "consensus", &got, warmup, &want, 33);
        for (i, sig) in &got {
            let r = &rows[*i];
            assert_eq!(sig.time.to_string(), r[0]);
            assert_eq!(sig.buy_votes.to_string(), r[2], "{stem} bar {i}");
            assert_eq!(sig.sell_votes.to_string(), r[3], "{stem} bar {i}");
            assert_eq!(sig.confidence.to_string(), r[4], "{stem} bar {i}");
        }
    }
}

/// The counts quoted in docs/strategies.md.
#[test]
fn signal_counts_quoted_in_the_docs() {
    let mut lines = Vec::new();
    for stem in FILES {
        let bars = common::bars(&format!("{stem}.csv"));
        for (kind, _) in registry::KINDS {
            let (got, _) = run(kind, &bars);
            let buys = got.iter().filter(|(_, s)| s.kind == Buy).count();
            lines.push(format!(
                "{stem} {kind}: {buys} BUY, {} SELL",
                got.len() - buys
            ));
        }
    }
    let text = lines.join("\n");
    println!("{text}");
    let doc = std::fs::read_to_string(
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/strategies.md"),
    )
    .expect("docs/strategies.md");
    for line in &lines {
        assert!(
            doc.contains(line.as_str()),
            "docs/strategies.md lacks `{line}`"
        );
    }
}
