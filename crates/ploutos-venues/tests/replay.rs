//! The replay feed: merge order on real files, pacing on tokio's paused clock.

use std::path::PathBuf;
use std::time::Duration;

use ploutos_core::{Bar, MarketEvent, Symbol, Timeframe, Timestamp};
use ploutos_venues::replay::{Replay, ReplayConfig, ReplayFeed, ReplaySource, ReplayStream};
use ploutos_venues::{Feed, FeedError};
use tokio::time::Instant;

fn sample(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/samples")
        .join(name)
}

#[test]
fn merges_two_real_files_in_time_order() {
    let replay = ReplayConfig::new()
        .file(sample("btcusdt_binance_1m.csv"))
        .source(
            ReplaySource::bars(sample("btcusdt_binance_5m.csv"))
                .symbol(Symbol::new("BTC5").unwrap()),
        )
        .load()
        .unwrap();
    assert_eq!(replay.len(), 1_998);
    let events: Vec<MarketEvent> = replay.collect();
    assert_eq!(events.len(), 1_998);
    assert!(events.windows(2).all(|w| w[0].time() <= w[1].time()));
    let ones = events
        .iter()
        .filter(|e| e.symbol().as_str() == "BTCUSDT")
        .count();
    assert_eq!(ones, 999);
    // Equal close times: the first-listed file comes first.
    for w in events.windows(2) {
        if w[0].time() == w[1].time() {
            assert_eq!(w[0].symbol().as_str(), "BTCUSDT");
            assert_eq!(w[1].symbol().as_str(), "BTC5");
        }
    }
    // A 1m bar is released at its close: open 04:48 → event time 04:49.
    let first_1m = events
        .iter()
        .find(|e| e.symbol().as_str() == "BTCUSDT")
        .unwrap();
    assert_eq!(
        first_1m.time(),
        Timestamp::parse("2018-06-18T04:49:00Z").unwrap()
    );
}

#[test]
fn merges_bars_and_trades() {
    let spec = format!("XRP/ETH={}", sample("xrpeth_binance_trades.csv").display());
    let explicit: Vec<_> = ReplayConfig::new()
        .source(ReplaySource::parse(&spec))
        .load()
        .unwrap()
        .collect();
    assert_eq!(explicit.len(), 12_477);
    assert_eq!(explicit[0].symbol().as_str(), "XRP/ETH");
    let config = ReplayConfig::new()
        .file(sample("xrpeth_binance_trades.csv"))
        .file(sample("xrpeth_binance_1m.csv"));
    let events: Vec<_> = config.load().unwrap().collect();
    assert_eq!(events.len(), 12_477 + 2_469);
    assert!(events.windows(2).all(|w| w[0].time() <= w[1].time()));
    assert!(matches!(events[0], MarketEvent::Trade { .. }));
    // Deterministic.
    let again: Vec<_> = config.load().unwrap().collect();
    assert_eq!(events, again);
}

#[test]
fn config_errors() {
    assert!(matches!(
        ReplayConfig::new().load(),
        Err(FeedError::Config(_))
    ));
    let e = ReplayConfig::new()
        .file(sample("btcusdt_binance_1m.csv"))
        .speed(-1.0)
        .build()
        .unwrap_err();
    assert!(e.to_string().contains("speed -1"), "{e}");
    let e = ReplayConfig::new()
        .file("nope/x_1m.csv")
        .load()
        .unwrap_err();
    assert!(e.to_string().starts_with("nope/x_1m.csv"), "{e}");
}

fn minute_bars(opens_min: &[i64]) -> Vec<Bar> {
    opens_min
        .iter()
        .map(|m| {
            Bar::new(
                Timestamp::from_secs(m * 60).unwrap(),
                1.0,
                1.0,
                1.0,
                1.0,
                1.0,
            )
            .unwrap()
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn paces_at_speed_and_caps_long_gaps() {
    // Bars at minutes 0, 1, 2 and then 600 (a 10-hour gap).
    let stream = ReplayStream::bars(
        Symbol::new("X").unwrap(),
        Timeframe::M1,
        minute_bars(&[0, 1, 2, 600]),
    )
    .unwrap();
    let mut feed: Box<dyn Feed> = Box::new(ReplayFeed::new(
        Replay::new(vec![stream]),
        60.0,
        Duration::from_secs(5),
    ));
    assert_eq!(feed.name(), "replay");
    assert_eq!(feed.symbols(), &[Symbol::new("X").unwrap()]);
    let start = Instant::now();
    let mut at = Vec::new();
    while let Some(e) = feed.next_event().await.unwrap() {
        at.push((e.time().as_secs(), start.elapsed()));
    }
    // 60× speed: one market minute = one wall second; the 598-minute gap is capped at 5 s.
    assert_eq!(
        at,
        vec![
            (60, Duration::ZERO),
            (120, Duration::from_secs(1)),
            (180, Duration::from_secs(2)),
            (601 * 60, Duration::from_secs(7)),
        ]
    );
    assert!(feed.next_event().await.unwrap().is_none());
}

#[tokio::test(start_paused = true)]
async fn speed_zero_does_not_wait() {
    let stream = ReplayStream::bars(
        Symbol::new("X").unwrap(),
        Timeframe::M1,
        minute_bars(&[0, 5, 500]),
    )
    .unwrap();
    let mut feed = ReplayFeed::new(Replay::new(vec![stream]), 0.0, Duration::from_secs(5));
    let start = Instant::now();
    let mut n = 0;
    while feed.next_event().await.unwrap().is_some() {
        n += 1;
    }
    assert_eq!(n, 3);
    assert_eq!(start.elapsed(), Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn real_file_at_speed_through_the_trait() {
    let mut feed = ReplayConfig::new()
        .file(sample("spy_1m.csv"))
        .speed(600.0)
        .max_gap(Duration::from_secs(2))
        .build()
        .unwrap();
    let start = Instant::now();
    let mut last = None;
    let mut n = 0;
    while let Some(e) = feed.next_event().await.unwrap() {
        if let Some(prev) = last {
            assert!(e.time() > prev);
        }
        last = Some(e.time());
        n += 1;
    }
    assert_eq!(n, 1_564);
    // 1,560 one-minute gaps at 600× (0.1 s each) plus 3 overnight gaps capped at 2 s.
    assert_eq!(
        start.elapsed(),
        Duration::from_millis(1_560 * 100 + 3 * 2_000)
    );
}

#[test]
fn rejects_unsorted_streams() {
    let e = ReplayStream::bars(
        Symbol::new("X").unwrap(),
        Timeframe::M1,
        minute_bars(&[1, 0]),
    );
    assert!(e.is_err());
}
