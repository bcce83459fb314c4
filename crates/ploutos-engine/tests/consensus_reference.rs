//! The consensus detector against an independent computation: TA-Lib's own indicators and the
//! rules re-implemented in Python (scripts/consensus_reference.py), on every bar of every
//! bundled bar file.

mod common;

use ploutos_core::SignalKind;
use ploutos_engine::consensus::{ConsensusConfig, ConsensusDetector, Rule};

fn check(stem: &str) -> (usize, usize) {
    let bars = common::bars(&format!("{stem}.csv"));
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/consensus")
        .join(format!("{stem}.csv"));
    let text = std::fs::read_to_string(&path).expect("fixture");
    let rows: Vec<&str> = text.lines().skip(1).collect();
    assert_eq!(rows.len(), bars.len(), "{stem}: row count");
    let mut d = ConsensusDetector::new(ConsensusConfig::default()).unwrap();
    let mut actionable = 0;
    for (bar, row) in bars.iter().zip(rows) {
        let v = d.on_bar(bar);
        let kind = match v.kind {
            SignalKind::Buy => "BUY",
            SignalKind::Sell => "SELL",
            SignalKind::Hold => "HOLD",
        };
        let letters: String = v
            .votes
            .iter()
            .map(|x| match x {
                Some(v) if v.side == ploutos_core::Side::Buy => 'B',
                Some(_) => 'S',
                None => '-',
            })
            .collect();
        let got = format!(
            "{},{},{},{},{},{}",
            bar.time(),
            kind,
            v.buy_votes,
            v.sell_votes,
            v.confidence,
            letters
        );
        assert_eq!(got, row, "{stem}: bar {}", bar.time());
        actionable += (v.kind != SignalKind::Hold) as usize;
    }
    (bars.len(), actionable)
}

#[test]
fn every_bar_file_matches_the_independent_reference() {
    let mut total = 0;
    let mut actionable = 0;
    for stem in [
        "btcusdt_binance_1m",
        "btcusdt_binance_5m",
        "btcusdt_binance_1h",
        "btcperp_ftx_1m",
        "spy_1m",
        "xrpeth_binance_1m",
        "eurusd_1h",
        "goog_daily",
        "btcusd_monthly",
    ] {
        let (n, a) = check(stem);
        total += n;
        actionable += a;
    }
    assert_eq!(total, 59_365);
    assert!(
        actionable > 5_000,
        "{actionable} BUY/SELL decisions compared"
    );
}

#[test]
fn warms_up_for_exactly_33_bars_with_the_defaults() {
    let bars = common::bars("spy_1m.csv");
    let mut d = ConsensusDetector::new(ConsensusConfig::default()).unwrap();
    assert_eq!(d.warmup_bars(), 34);
    for (i, b) in bars.iter().enumerate().take(40) {
        let v = d.on_bar(b);
        assert_eq!(v.warming_up, i < 33, "bar {i}");
        if v.warming_up {
            assert_eq!(
                (v.kind, v.buy_votes, v.sell_votes, v.confidence),
                (SignalKind::Hold, 0, 0, 0)
            );
            assert_eq!(v.reasons(), vec!["warming up".to_string()]);
        }
    }
    assert_eq!(Rule::ALL.len(), 5);
}
