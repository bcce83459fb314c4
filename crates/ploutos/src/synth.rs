//! `ploutos data synth|convert|inspect`: seeded synthetic bars, CSV ↔ Parquet, and what a
//! bar file holds.

use anyhow::{bail, Context, Result};
use ploutos_core::synth::{SynthBars, SynthConfig};
use ploutos_core::{Bar, Timestamp};
use ploutos_store::history::{
    inspect_bars, is_parquet, read_bars, write_bars_csv, write_bars_parquet,
};

use crate::cli::SynthArgs;

/// Runs the command.
pub fn run(args: SynthArgs) -> Result<()> {
    if !(args.price.is_finite() && args.price > 0.0) {
        bail!("--price {}: must be a positive number", args.price);
    }
    if !(args.sigma.is_finite() && args.sigma >= 0.0 && args.sigma < 1.0) {
        bail!("--sigma {}: must be between 0 and 1", args.sigma);
    }
    let n = usize::try_from(args.bars).context("--bars is too large")?;
    let cfg = SynthConfig {
        seed: args.seed,
        timeframe: args.timeframe,
        start: Timestamp::parse(&args.start).context("--start")?,
        start_price: args.price,
        sigma: args.sigma,
        ..SynthConfig::default()
    };
    let bars: Vec<Bar> = SynthBars::new(cfg).take(n).collect();
    if bars.len() < n {
        bail!(
            "--bars {n}: the time range runs past year 2262; use fewer bars or an earlier --start"
        );
    }
    if is_parquet(&args.out) {
        write_bars_parquet(&args.out, &bars)?;
    } else {
        write_bars_csv(&args.out, &bars)?;
    }
    eprintln!(
        "wrote {} {} bars (seed {}) to {}",
        bars.len(),
        args.timeframe,
        args.seed,
        args.out.display()
    );
    Ok(())
}

/// `ploutos data convert IN OUT`.
pub fn convert(input: &std::path::Path, output: &std::path::Path) -> Result<()> {
    if input == output {
        bail!("input and output are the same file ({})", input.display());
    }
    let file = read_bars(input)?;
    if is_parquet(output) {
        write_bars_parquet(output, &file.bars)?;
    } else {
        write_bars_csv(output, &file.bars)?;
    }
    eprintln!(
        "converted {} bars ({}) from {} to {}",
        file.bars.len(),
        file.timeframe.map_or("?".to_string(), |t| t.to_string()),
        input.display(),
        output.display()
    );
    Ok(())
}

/// `ploutos data inspect FILE`.
pub fn inspect(path: &std::path::Path, json: bool) -> Result<()> {
    let r = inspect_bars(path)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&r)?);
        return Ok(());
    }
    let show = |t: Option<Timestamp>| t.map_or("-".to_string(), |t| t.to_string());
    println!("{} ({})", r.file, r.format);
    println!(
        "  symbol     {}",
        r.symbol.as_ref().map_or("-".into(), |s| s.to_string())
    );
    println!(
        "  timeframe  {}",
        r.timeframe.map_or("-".into(), |t| t.to_string())
    );
    println!("  rows       {}", r.rows);
    println!("  range      {} .. {}", show(r.first), show(r.last));
    println!(
        "  gaps       {} ({} bars missing{})",
        r.gap_count,
        r.missing_bars,
        r.largest_gap.as_ref().map_or(String::new(), |g| format!(
            "; largest {} bars after {}",
            g.missing, g.after
        ))
    );
    println!(
        "  problems   {} ({} bad rows, {} duplicates, {} out of order)",
        r.problem_count, r.bad_rows, r.duplicates, r.out_of_order
    );
    for p in &r.problems {
        println!("    {p}");
    }
    if r.problem_count > r.problems.len() {
        println!("    … and {} more", r.problem_count - r.problems.len());
    }
    println!(
        "  zero-volume bars {}, bars with high == low {}",
        r.zero_volume, r.flat_bars
    );
    Ok(())
}
