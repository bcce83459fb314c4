//! Writes `SynthBars` (seed 42 by default) as `timestamp,open,high,low,close,volume` CSV —
//! the same file `ploutos data synth --bars N --seed S --out FILE` produces — for
//! `scripts/bench_talib.py`.
//!
//! `cargo run --release -p ploutos-ta --example synth_csv -- 5000000 42 /tmp/synth_5m.csv`

use std::io::{BufWriter, Write};

use ploutos_core::synth::{SynthBars, SynthConfig};

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args
        .get(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(5_000_000);
    let seed: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(42);
    let path = args
        .get(3)
        .cloned()
        .unwrap_or_else(|| "synth.csv".to_string());
    let mut w = BufWriter::new(std::fs::File::create(&path)?);
    writeln!(w, "timestamp,open,high,low,close,volume")?;
    let cfg = SynthConfig {
        seed,
        ..SynthConfig::default()
    };
    for b in SynthBars::new(cfg).take(n) {
        writeln!(
            w,
            "{},{:?},{:?},{:?},{:?},{:?}",
            b.time(),
            b.open(),
            b.high(),
            b.low(),
            b.close(),
            b.volume()
        )?;
    }
    w.flush()
}
