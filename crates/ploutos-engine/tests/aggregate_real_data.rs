//! The aggregators against the exchange's own bars (data/samples, see PROVENANCE.md).

mod common;

use std::collections::HashMap;

use ploutos_core::{Bar, Timeframe, Timestamp};
use ploutos_engine::bars::{BarAggregator, TradeBarBuilder};

fn aggregate(bars: &[Bar], from: Timeframe, to: Timeframe) -> Vec<Bar> {
    let mut agg = BarAggregator::new(from, to).unwrap();
    let mut out: Vec<Bar> = bars.iter().flat_map(|b| agg.push(b).unwrap()).collect();
    out.extend(agg.flush());
    out
}

/// Compares aggregated bars with the venue's bars on every complete overlapping window;
/// returns how many were compared.
fn compare(ours: &[Bar], theirs: &[Bar], from: Timeframe, to: Timeframe, src: &[Bar]) -> usize {
    let per = (to.as_secs() / from.as_secs()) as usize;
    let mut count_in: HashMap<Timestamp, usize> = HashMap::new();
    for b in src {
        *count_in.entry(to.floor(b.time())).or_default() += 1;
    }
    let theirs: HashMap<Timestamp, &Bar> = theirs.iter().map(|b| (b.time(), b)).collect();
    let mut n = 0;
    for b in ours {
        if count_in.get(&b.time()) != Some(&per) {
            continue; // partial window at the edge of the source data
        }
        let Some(t) = theirs.get(&b.time()) else {
            continue;
        };
        assert_eq!(
            (b.open(), b.high(), b.low(), b.close()),
            (t.open(), t.high(), t.low(), t.close()),
            "{}",
            b.time()
        );
        let rel = (b.volume() - t.volume()).abs() / t.volume().max(1e-12);
        assert!(
            rel < 1e-9,
            "volume at {}: {} vs {}",
            b.time(),
            b.volume(),
            t.volume()
        );
        n += 1;
    }
    n
}

#[test]
fn binance_1m_to_5m_reproduces_binance_5m() {
    let m1 = common::bars("btcusdt_binance_1m.csv");
    let m5 = common::bars("btcusdt_binance_5m.csv");
    let ours = aggregate(&m1, Timeframe::M1, Timeframe::M5);
    assert_eq!(compare(&ours, &m5, Timeframe::M1, Timeframe::M5, &m1), 199);
}

#[test]
fn binance_5m_to_1h_and_1m_to_1h_reproduce_binance_1h() {
    let m1 = common::bars("btcusdt_binance_1m.csv");
    let m5 = common::bars("btcusdt_binance_5m.csv");
    let h1 = common::bars("btcusdt_binance_1h.csv");
    let from5 = aggregate(&m5, Timeframe::M5, Timeframe::H1);
    assert_eq!(compare(&from5, &h1, Timeframe::M5, Timeframe::H1, &m5), 82);
    let from1 = aggregate(&m1, Timeframe::M1, Timeframe::H1);
    assert_eq!(compare(&from1, &h1, Timeframe::M1, Timeframe::H1, &m1), 16);
}

#[test]
fn xrpeth_trades_reproduce_the_1m_bars_gaps_included() {
    let trades = common::trades("xrpeth_binance_trades.csv");
    let want = common::bars("xrpeth_binance_1m.csv");
    let mut b = TradeBarBuilder::new(Timeframe::M1);
    let mut got: Vec<Bar> = trades.iter().filter_map(|t| b.push(t).unwrap()).collect();
    got.extend(b.flush());
    assert_eq!(got.len(), want.len());
    assert_eq!(got.len(), 2469);
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(
            (g.time(), g.open(), g.high(), g.low(), g.close()),
            (w.time(), w.open(), w.high(), w.low(), w.close())
        );
        assert!(
            (g.volume() - w.volume()).abs() <= 1e-9 * w.volume(),
            "{}",
            g.time()
        );
    }
    let total: u64 = got.iter().map(|b| b.trades().unwrap()).sum();
    assert_eq!(total as usize, trades.len());
}

#[test]
fn replaying_a_shuffled_stream_never_double_counts() {
    let m1 = common::bars("btcusdt_binance_1m.csv");
    let mut agg = BarAggregator::new(Timeframe::M1, Timeframe::M5).unwrap();
    let mut rejected = 0;
    let mut out = Vec::new();
    for (i, b) in m1.iter().enumerate() {
        out.extend(agg.push(b).unwrap());
        // every 7th bar is delivered again, every 11th an old bar arrives late
        if i % 7 == 0 {
            rejected += agg.push(b).is_err() as usize;
        }
        if i % 11 == 0 && i > 3 {
            rejected += agg.push(&m1[i - 3]).is_err() as usize;
        }
    }
    out.extend(agg.flush());
    assert_eq!(out, aggregate(&m1, Timeframe::M1, Timeframe::M5));
    assert_eq!(
        rejected,
        (0..m1.len()).filter(|i| i % 7 == 0).count()
            + (4..m1.len()).filter(|i| i % 11 == 0).count()
    );
}
