//! [`inspect_bars`]: what a bar file holds and what is wrong with it, without stopping at the
//! first problem (`ploutos data inspect`).

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use ploutos_core::{Bar, Symbol, Timeframe, Timestamp};
use serde::Serialize;

use super::bar_file::{is_parquet, BarFormat, BarReadOptions};
use super::error::HistoryError;
use super::{bars_csv, parquet_file, symbol_from_path, timeframe::infer_timeframe};

/// A gap: two consecutive bars further apart than one timeframe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Gap {
    /// Open time of the bar before the gap.
    pub after: Timestamp,
    /// Open time of the bar after it.
    pub before: Timestamp,
    /// Bars missing in between.
    pub missing: i64,
}

/// The report of [`inspect_bars`].
#[derive(Debug, Clone, Serialize)]
pub struct Inspection {
    /// The file as given.
    pub file: String,
    /// The layout it was read as.
    pub format: String,
    /// The symbol guessed from the file name.
    pub symbol: Option<Symbol>,
    /// The most common spacing of consecutive bars.
    pub timeframe: Option<Timeframe>,
    /// Good rows.
    pub rows: usize,
    /// Open time of the first good bar.
    pub first: Option<Timestamp>,
    /// Open time of the last good bar.
    pub last: Option<Timestamp>,
    /// Bad rows (unparsable or impossible bars), duplicates and misordered rows, each with
    /// its line; only the first 100 are kept, `problem_count` counts them all.
    pub problems: Vec<String>,
    /// Every problem found.
    pub problem_count: usize,
    /// Rows repeating the previous bar's time.
    pub duplicates: usize,
    /// Rows earlier than the previous bar.
    pub out_of_order: usize,
    /// Rows that are not a valid bar.
    pub bad_rows: usize,
    /// Gaps longer than one timeframe; the first 100, `gap_count` counts them all.
    pub gaps: Vec<Gap>,
    /// All gaps.
    pub gap_count: usize,
    /// Bars missing in all gaps together.
    pub missing_bars: i64,
    /// The gap with the most missing bars.
    pub largest_gap: Option<Gap>,
    /// Bars with zero volume.
    pub zero_volume: usize,
    /// Bars with high == low.
    pub flat_bars: usize,
}

const KEEP: usize = 100;

/// Inspects a bar file (CSV in any accepted layout, or Parquet).
pub fn inspect_bars(path: impl AsRef<Path>) -> Result<Inspection, HistoryError> {
    let path = path.as_ref();
    let name = path.display().to_string();
    let file = File::open(path).map_err(|e| HistoryError::io(&name, e))?;
    let mut problems = Vec::new();
    let (format, bars) = if is_parquet(path) {
        (
            BarFormat::Parquet,
            parquet_file::read_bars_parquet(file, &name)?,
        )
    } else {
        bars_csv::scan(
            BufReader::new(file),
            &name,
            &BarReadOptions::default(),
            &mut problems,
        )?
    };
    Ok(report(
        &name,
        format,
        symbol_from_path(path),
        &bars,
        &problems,
    ))
}

fn report(
    name: &str,
    format: BarFormat,
    symbol: Option<Symbol>,
    bars: &[Bar],
    problems: &[HistoryError],
) -> Inspection {
    let timeframe = infer_timeframe(bars);
    let (mut duplicates, mut out_of_order, mut bad_rows) = (0, 0, 0);
    for p in problems {
        match p {
            HistoryError::Duplicate { .. } => duplicates += 1,
            HistoryError::OutOfOrder { .. } => out_of_order += 1,
            _ => bad_rows += 1,
        }
    }
    let mut gaps = Vec::new();
    let (mut gap_count, mut missing_bars) = (0, 0i64);
    let mut largest: Option<Gap> = None;
    if let Some(tf) = timeframe {
        let step = tf.as_nanos();
        for w in bars.windows(2) {
            let d = w[1].time().as_nanos() - w[0].time().as_nanos();
            if d > step {
                let gap = Gap {
                    after: w[0].time(),
                    before: w[1].time(),
                    missing: d / step - 1,
                };
                gap_count += 1;
                missing_bars += gap.missing;
                if largest.as_ref().is_none_or(|l| gap.missing > l.missing) {
                    largest = Some(gap.clone());
                }
                if gaps.len() < KEEP {
                    gaps.push(gap);
                }
            }
        }
    }
    Inspection {
        file: name.to_string(),
        format: format!("{format:?}"),
        symbol,
        timeframe,
        rows: bars.len(),
        first: bars.first().map(Bar::time),
        last: bars.last().map(Bar::time),
        problems: problems
            .iter()
            .take(KEEP)
            .map(ToString::to_string)
            .collect(),
        problem_count: problems.len(),
        duplicates,
        out_of_order,
        bad_rows,
        gaps,
        gap_count,
        missing_bars,
        largest_gap: largest,
        zero_volume: bars.iter().filter(|b| b.volume() == 0.0).count(),
        flat_bars: bars.iter().filter(|b| b.high() == b.low()).count(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(name: &str) -> std::path::PathBuf {
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../data/samples")
            .join(name)
    }

    #[test]
    fn the_xrpeth_file_has_its_documented_gaps() {
        let r = inspect_bars(sample("xrpeth_binance_1m.csv")).unwrap();
        assert_eq!(r.rows, 2469);
        assert_eq!(r.gap_count, 676, "PROVENANCE.md: 676 gaps of 2-9 minutes");
        assert_eq!(r.flat_bars, 963, "PROVENANCE.md: 963 bars with high == low");
        assert_eq!(r.problem_count, 0);
    }

    #[test]
    fn every_problem_is_counted_and_the_good_rows_kept() {
        let dir = std::env::temp_dir().join(format!("ploutos-inspect-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("x_1m.csv");
        std::fs::write(
            &f,
            "timestamp,open,high,low,close,volume\n\
             2024-01-01T00:00:00Z,1,2,0.5,1.5,10\n\
             2024-01-01T00:01:00Z,1,abc,0.5,1.5,10\n\
             2024-01-01T00:01:00Z,1,2,0.5,1.5,10\n\
             2024-01-01T00:01:00Z,1,2,0.5,1.5,10\n\
             2024-01-01T00:00:30Z,1,2,0.5,1.5,10\n\
             2024-01-01T00:02:00Z,1,0.2,0.5,1.5,10\n\
             2024-01-01T00:05:00Z,1,2,0.5,1.5,0\n",
        )
        .unwrap();
        let r = inspect_bars(&f).unwrap();
        assert_eq!(r.rows, 3);
        assert_eq!((r.bad_rows, r.duplicates, r.out_of_order), (2, 1, 1));
        assert!(r.problems[0].contains("line 3"), "{:?}", r.problems);
        assert_eq!(r.gap_count, 1);
        assert_eq!(r.missing_bars, 3);
        assert_eq!(r.zero_volume, 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
