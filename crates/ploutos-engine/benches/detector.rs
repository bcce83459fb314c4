//! The whole consensus detector per bar (indicators + five rules + decision), and the 1m→5m
//! aggregator, on seeded synthetic bars. Run: `cargo bench -p ploutos-engine --bench detector`.

use divan::{black_box, Bencher};
use ploutos_core::synth::{SynthBars, SynthConfig};
use ploutos_core::{Bar, Timeframe};
use ploutos_engine::bars::BarAggregator;
use ploutos_engine::consensus::{ConsensusConfig, ConsensusDetector};

fn main() {
    divan::main();
}

const N: usize = 100_000;

fn bars() -> Vec<Bar> {
    SynthBars::new(SynthConfig::default()).take(N).collect()
}

/// Time per bar = reported time / 100,000.
#[divan::bench(sample_count = 20)]
fn consensus_detector_100k_bars(b: Bencher) {
    let bars = bars();
    b.with_inputs(|| ConsensusDetector::new(ConsensusConfig::default()).unwrap())
        .bench_local_refs(|d| {
            for bar in &bars {
                black_box(d.on_bar(black_box(bar)));
            }
        });
}

/// Time per bar = reported time / 100,000.
#[divan::bench(sample_count = 20)]
fn aggregate_1m_to_5m_100k_bars(b: Bencher) {
    let bars = bars();
    b.with_inputs(|| BarAggregator::new(Timeframe::M1, Timeframe::M5).unwrap())
        .bench_local_refs(|a| {
            for bar in &bars {
                for done in a.push(black_box(bar)).unwrap() {
                    black_box(done);
                }
            }
        });
}
