//! Measures read and write speed on a generated file.
//!
//! `cargo run --release -p ploutos-store --example read_speed -- [ROWS]` (default 1,000,000).
//! Writes a canonical CSV and a Parquet file of synthetic 1-minute bars to a temporary
//! directory, then reads each back and prints rows per second. The CSV is read twice: on one
//! thread (`read_bars_from` over the open file, the streaming reader) and with `read_bars`,
//! which parses files of 16 MB or more in parallel on all cores.

use std::time::Instant;

use ploutos_core::{Bar, Timestamp};
use ploutos_store::history::{read_bars, read_bars_from, write_bars_csv, write_bars_parquet};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rows: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    let start = Timestamp::parse("2020-01-01T00:00:00Z")?.as_nanos();
    let mut price = 30_000.0f64;
    let mut bars = Vec::with_capacity(rows);
    for i in 0..rows {
        // Prices with cents, volumes with 6 decimals, like real exchange data.
        let step = ((i * 7919) % 201) as f64 - 100.0;
        let open = price;
        let close = ((price + step * 0.37) * 100.0).round() / 100.0;
        let high = open.max(close) + 1.25;
        let low = open.min(close) - 0.75;
        let volume = ((i % 9973) as f64 * 0.013_337 * 1e6).round() / 1e6;
        bars.push(Bar::new(
            Timestamp::from_nanos(start + i as i64 * 60_000_000_000),
            open,
            high,
            low,
            close,
            volume,
        )?);
        price = close;
    }
    let dir = tempfile::tempdir()?;
    let csv = dir.path().join("bench_1m.csv");
    let pq = dir.path().join("bench_1m.parquet");

    let t = Instant::now();
    write_bars_csv(&csv, &bars)?;
    report("write csv", rows, t);
    let t = Instant::now();
    let sequential = read_bars_from(std::fs::File::open(&csv)?, &csv.display().to_string())?;
    report("read csv 1 thr", rows, t);
    assert_eq!(sequential.bars.len(), rows);
    let t = Instant::now();
    let parallel = read_bars(&csv)?;
    report(&format!("read csv {} thr", rayon_threads()), rows, t);
    assert_eq!(parallel, sequential);

    let t = Instant::now();
    write_bars_parquet(&pq, &bars)?;
    report("write parquet", rows, t);
    let t = Instant::now();
    let back = read_bars(&pq)?;
    report("read parquet", rows, t);
    assert_eq!(back.bars, bars);
    println!(
        "sizes: csv {} MB, parquet {} MB",
        std::fs::metadata(&csv)?.len() / 1_000_000,
        std::fs::metadata(&pq)?.len() / 1_000_000
    );
    Ok(())
}

fn report(what: &str, rows: usize, t: Instant) {
    let s = t.elapsed().as_secs_f64();
    println!(
        "{what:>14}: {rows} rows in {:.3} s = {:.2} M rows/s",
        s,
        rows as f64 / s / 1e6
    );
}

fn rayon_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
