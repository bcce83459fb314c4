//! `ploutos data synth`: seeded synthetic bars to a CSV or Parquet file.

use anyhow::{bail, Context, Result};
use ploutos_core::synth::{SynthBars, SynthConfig};
use ploutos_core::{Bar, Timestamp};
use ploutos_store::history::{is_parquet, write_bars_csv, write_bars_parquet};

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
