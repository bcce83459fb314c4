//! Latency of the live path on loopback: the fake Binance server writes a closed kline to
//! its WebSocket → the real client reads and parses it → the ResilientFeed hands it over →
//! the consensus detector decides (BUY/SELL/HOLD with its indicators). Measured from the
//! moment the fake's write completed to the moment the verdict exists, both on this
//! process's monotonic clock.
//!
//! `cargo bench -p ploutos --bench live_latency` (prints a Markdown table; BENCHMARKS.md
//! keeps the figures). Target: p99 under 1 ms.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use ploutos_core::{MarketEvent, Symbol, Timeframe};
use ploutos_engine::consensus::{ConsensusConfig, ConsensusDetector};
use ploutos_fakes::binance::{FakeBinance, FakeBinanceConfig};
use ploutos_venues::binance::{Binance, BinanceConfig};
use ploutos_venues::live::{Origin, ResilientConfig, ResilientFeed, Subscription};
use ploutos_venues::Feed;

const SAMPLES: usize = 6_000;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (mut lat, dropped) = rt.block_on(measure());
    lat.sort_unstable();
    let q = |p: f64| lat[((lat.len() as f64 - 1.0) * p).round() as usize];
    let us = |d: Duration| format!("{:.1}", d.as_secs_f64() * 1e6);
    println!("| samples | p50 (µs) | p90 (µs) | p99 (µs) | p99.9 (µs) | max (µs) |");
    println!("|---:|---:|---:|---:|---:|---:|");
    println!(
        "| {} | {} | {} | {} | {} | {} |",
        lat.len(),
        us(q(0.5)),
        us(q(0.9)),
        us(q(0.99)),
        us(q(0.999)),
        us(*lat.last().expect("samples"))
    );
    if dropped > 0 {
        println!("({dropped} verdicts without a recorded send time were left out)");
    }
}

async fn measure() -> (Vec<Duration>, usize) {
    let fake = FakeBinance::start(FakeBinanceConfig {
        history_bars: 200,
        // A closed 1-minute kline every 2 ms per symbol, one forming update in between.
        pace: Duration::from_millis(2),
        updates_per_bar: 1,
        ..FakeBinanceConfig::default()
    })
    .await
    .expect("fake");
    fake.record_send_times();
    let mut cfg = BinanceConfig::production();
    cfg.rest_url = fake.rest_url();
    cfg.ws_url = fake.ws_url();
    cfg.ws_api_url = fake.ws_api_url();
    let client = Binance::new(cfg).expect("client");
    let symbols = vec![
        Symbol::new("BTCUSDT").expect("symbol"),
        Symbol::new("ETHUSDT").expect("symbol"),
    ];
    let mut feed = ResilientFeed::start(
        client,
        Subscription {
            symbols: symbols.clone(),
            timeframe: Timeframe::M1,
            trades: false,
        },
        ResilientConfig {
            gap_backfill: true,
            ..ResilientConfig::default()
        },
        None,
    );
    let mut detectors: HashMap<Symbol, ConsensusDetector> = symbols
        .iter()
        .map(|s| {
            (
                s.clone(),
                ConsensusDetector::new(ConsensusConfig::default()).expect("detector"),
            )
        })
        .collect();
    let mut done: Vec<(String, i64, Instant)> = Vec::with_capacity(SAMPLES);
    let mut warm = 100;
    while done.len() < SAMPLES {
        let ev = feed.next_event().await.expect("feed").expect("event");
        let MarketEvent::Bar { symbol, bar, .. } = ev else {
            continue;
        };
        if let Some(d) = detectors.get_mut(&symbol) {
            std::hint::black_box(d.on_bar(&bar));
        }
        let at = Instant::now();
        // Only bars that came over the stream (not REST backfills), after a warm-up.
        if feed.last_origin() != Origin::Stream {
            continue;
        }
        if warm > 0 {
            warm -= 1;
            continue;
        }
        done.push((symbol.to_string(), bar.time().as_millis(), at));
    }
    let mut lat = Vec::with_capacity(done.len());
    let mut dropped = 0;
    for (symbol, open, at) in done {
        match fake.sent_at(&symbol, open) {
            Some(sent) => lat.push(at.saturating_duration_since(sent)),
            None => dropped += 1,
        }
    }
    (lat, dropped)
}
