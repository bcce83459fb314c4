//! The bundled sample data (data/samples): where it is, and which file serves which ticker.

use std::path::PathBuf;

use anyhow::{bail, Result};

/// The demo's tickers and their files, in display order.
pub const DEMO: [(&str, &str); 4] = [
    ("SPY", "spy_1m.csv"),
    ("BTCUSDT", "btcusdt_binance_1m.csv"),
    ("BTCPERP", "btcperp_ftx_1m.csv"),
    ("XRPETH", "xrpeth_binance_1m.csv"),
];

/// The sample directory: `$PLOUTOS_SAMPLES`, else `data/samples` under the current directory,
/// else the one in the source tree this binary was built from.
pub fn dir() -> Result<PathBuf> {
    if let Some(d) = std::env::var_os("PLOUTOS_SAMPLES") {
        return Ok(PathBuf::from(d));
    }
    let candidates = [
        PathBuf::from("data/samples"),
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/samples"),
    ];
    for c in &candidates {
        if c.join("PROVENANCE.md").is_file() {
            return Ok(c.clone());
        }
    }
    bail!(
        "bundled sample data not found (looked in ./data/samples and {}); run from the repository root or set PLOUTOS_SAMPLES",
        candidates[1].display()
    )
}

/// The bundled bar file for `ticker` (case-insensitive): the demo table first, then any
/// `<ticker>_*.csv` bar file in the sample directory.
pub fn file_for(ticker: &str) -> Result<PathBuf> {
    let dir = dir()?;
    let want = ticker.trim().to_ascii_uppercase();
    if let Some((_, f)) = DEMO.iter().find(|(t, _)| *t == want) {
        return Ok(dir.join(f));
    }
    let mut names: Vec<String> = std::fs::read_dir(&dir)?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".csv") && !n.contains("trades"))
        .collect();
    names.sort();
    if let Some(n) = names.iter().find(|n| {
        n.split('_')
            .next()
            .is_some_and(|s| s.eq_ignore_ascii_case(&want))
    }) {
        return Ok(dir.join(n));
    }
    let mut have: Vec<String> = names
        .iter()
        .filter_map(|n| n.split('_').next())
        .map(|s| s.to_ascii_uppercase())
        .collect();
    have.dedup();
    bail!(
        "no bundled data for ticker {want:?}; bundled tickers: {}. Use --replay FILE for your own data (live feeds come with the venues)",
        have.join(", ")
    )
}
