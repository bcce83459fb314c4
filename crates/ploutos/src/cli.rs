//! Command-line arguments (clap). Every command has `--help` with examples.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use ploutos_core::Timeframe;

/// Ploutos: watch markets, detect signals, trade them under strict risk control, backtest the
/// same code on history.
#[derive(Debug, Parser)]
#[command(
    name = "ploutos",
    version,
    propagate_version = true,
    after_help = "\
Examples:
  ploutos demo                                  the analyzer on bundled real data, replayed
  ploutos analyze --replay data/samples/spy_1m.csv --timeframe 5
  ploutos indicators --data data/samples/spy_1m.csv --out spy_indicators.csv
  ploutos data synth --bars 5000000 --seed 42 --out /tmp/synth.csv"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The console analyzer: BUY/SELL/HOLD on every closed bar from five indicators.
    #[command(after_help = "\
Examples:
  ploutos analyze --replay data/samples/spy_1m.csv
  ploutos analyze --replay SPY=data/samples/spy_1m.csv,BTC=data/samples/btcusdt_binance_1m.csv --timeframe 5 --speed 600
  ploutos analyze --tickers SPY,BTCUSDT            (bundled sample data for these tickers)
  ploutos analyze --replay data/samples/btcperp_ftx_1m.csv --format jsonl --all > signals.jsonl

Without --replay, the tickers are looked up in the bundled samples (data/samples).
Exit with Ctrl-C at any time: the session statistics are printed.")]
    Analyze(AnalyzeArgs),
    /// The platform on bundled real market data, replayed at a watchable speed; no keys needed.
    #[command(after_help = "\
Examples:
  ploutos demo
  ploutos demo --speed 0 --format jsonl | head
  ploutos demo --tickers SPY --timeframe 5")]
    Demo(DemoArgs),
    /// Computes the standard indicator set over a bar file and writes it as CSV.
    #[command(after_help = "\
Columns: timestamp,open,high,low,close,volume,rsi14,ema9,ema21,sma20,macd,macd_signal,macd_hist,
bb_upper,bb_middle,bb_lower,atr14,volume_sma20. Cells stay empty until an indicator is valid
(TA-Lib's lookback). Values match TA-Lib to 1e-9 relative.

Examples:
  ploutos indicators --data data/samples/spy_1m.csv
  ploutos indicators --data data/samples/goog_daily.csv --out goog_indicators.csv")]
    Indicators(IndicatorsArgs),
    /// Backtests a strategy (or a config's strategies) on history with the trading engine.
    #[command(after_help = "\
Examples:
  ploutos backtest --data data/samples/btcusdt_binance_1h.csv --strategy ema-cross
  ploutos backtest --data data/samples/spy_1m.csv --strategy ma-cross --param fast=10 --param slow=30 --fee 0.0005
  ploutos backtest --data /tmp/synth.csv --strategy ema-cross --json - | jq .metrics
  ploutos backtest --data BTC=btc.csv,ETH=eth.csv --config ploutos.toml --trades trades.csv

Conventions (stated in the --json output too): decisions on a bar's close, market fills at the
next bar's open; long only; entries use all cash (quantity = cash / (open x (1 + fee)));
fees on the notional both ways; an open position at the end is marked to the last close.")]
    Backtest(BacktestArgs),
    /// Searches strategy parameters: every combination backtested in parallel, sorted by a metric.
    #[command(after_help = "\
Examples:
  ploutos optimize --data data/samples/btcperp_ftx_1m.csv --strategy ema-cross --grid fast=5..20:1 --grid slow=20..60:5 --where 'fast<slow'
  ploutos optimize --data btc.csv --strategy ma-cross --grid fast=2..30:1 --grid slow=10..100:5 --random 200 --metric return_pct
  ploutos optimize --data data/samples/eurusd_1h.csv --strategy ema-cross --grid fast=5..15:2 --grid slow=20..40:10 --walk-forward train=2M,test=1M

--metric is any field of the backtest metrics (sharpe, sortino, calmar, return_pct, profit_factor,
sqn, ...); higher is better. --walk-forward shows first the out-of-sample result of each window's
in-sample best: the number that guards against overfitting.")]
    Optimize(OptimizeArgs),
    /// Paper-trades the configured strategies on the configured feed, journaling everything.
    #[command(after_help = "\
Examples:
  ploutos run --config ploutos.example.toml
  ploutos run --config ploutos.toml --data-dir /var/lib/ploutos --verbose
  ploutos run --config ploutos.toml --restore      (continue after a crash or a stop, exactly)

The data directory holds the journal (journal.sqlite, SQLite WAL), latest_state.json and its
rotating gzip copies (history/), and the commands left by `ploutos panic|resume`.")]
    Run(RunArgs),
    /// Shows the saved state of a data directory.
    State {
        #[command(subcommand)]
        command: StateCommand,
    },
    /// Cancels every open order, closes every position and halts until `ploutos resume`.
    #[command(after_help = "\
The command is left in DATA_DIR/commands/: the running engine applies it within half a
second; if none runs, the next `ploutos run --restore` applies it first.")]
    Panic(DataDirArgs),
    /// Lifts a breaker pause or a panic halt (all scopes, or one strategy / `global`).
    Resume(ResumeArgs),
    /// Configuration tools.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Market-data tools.
    Data {
        #[command(subcommand)]
        command: DataCommand,
    },
    /// Benchmark of the whole trading path (scripts/bench.sh).
    #[command(hide = true)]
    BenchEngine {
        #[arg(long, default_value_t = 1)]
        strategies: usize,
        #[arg(long, default_value_t = 1)]
        symbols: usize,
        #[arg(long, default_value_t = 100_000)]
        bars: usize,
        /// Every strategy of this kind (default: a mix of five kinds).
        #[arg(long)]
        kind: Option<String>,
        /// Journal into this directory (removed first), batched as `ploutos run` does.
        #[arg(long)]
        journal: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Checks a configuration file and names every error with its location.
    #[command(after_help = "\
Examples:
  ploutos config check ploutos.example.toml")]
    Check {
        /// The file to check.
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum StateCommand {
    /// Cash, equity, positions, open orders and trades per strategy and in total.
    #[command(after_help = "\
Examples:
  ploutos state show --data-dir ploutos-data
  ploutos state show --json | jq .total")]
    Show {
        #[command(flatten)]
        dir: DataDirArgs,
        /// JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// The saved states: journal snapshots and the rotating state files.
    List {
        #[command(flatten)]
        dir: DataDirArgs,
        #[arg(long)]
        json: bool,
    },
    /// Makes a saved state file the restore point of the journal (then `run --restore`).
    Restore {
        #[command(flatten)]
        dir: DataDirArgs,
        /// A file from `state list` (latest_state.json or history/state-….json.gz).
        file: PathBuf,
    },
}

#[derive(Debug, Clone, Args)]
pub struct DataDirArgs {
    /// Where the journal and state files are.
    #[arg(long, default_value = "ploutos-data")]
    pub data_dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct ResumeArgs {
    #[command(flatten)]
    pub dir: DataDirArgs,
    /// Only this scope: a strategy name or `global` (default: all).
    #[arg(long)]
    pub scope: Option<String>,
}

#[derive(Debug, Args)]
pub struct BacktestArgs {
    /// Bar files: FILE[,FILE…], symbol from the file name or SYMBOL=FILE.
    #[arg(long, value_delimiter = ',')]
    pub data: Vec<String>,
    /// Strategy kind (consensus, rsi, ma-cross, bollinger, ema-cross, ema-trend).
    #[arg(long, default_value = "ema-cross")]
    pub strategy: String,
    /// A strategy parameter, NAME=VALUE (repeatable): --param fast=12 --param slow=26.
    #[arg(long)]
    pub param: Vec<String>,
    /// Take strategies, risk, breakers, broker and instruments from this config instead.
    #[arg(long)]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub sim: SimArgs,
    /// Write the result as JSON to this file (`-` = standard output, nothing else printed).
    #[arg(long)]
    pub json: Option<String>,
    /// Write the trades as CSV.
    #[arg(long)]
    pub trades: Option<PathBuf>,
    /// Write a self-contained HTML report (charts, metrics, trades; opens offline).
    #[arg(long, value_name = "OUT.html")]
    pub report: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct OptimizeArgs {
    /// Bar files: FILE[,FILE…], symbol from the file name or SYMBOL=FILE.
    #[arg(long, value_delimiter = ',')]
    pub data: Vec<String>,
    /// Strategy kind.
    #[arg(long, default_value = "ema-cross")]
    pub strategy: String,
    /// A parameter's values: NAME=FROM..TO:STEP (inclusive) or NAME=A,B,C (repeatable).
    #[arg(long)]
    pub grid: Vec<String>,
    /// A constraint on the combinations: 'fast < slow', 'fast >= 3' (repeatable).
    #[arg(long = "where")]
    pub r#where: Vec<String>,
    /// Try only N combinations drawn at random (seeded) from the grid.
    #[arg(long)]
    pub random: Option<usize>,
    /// Seed of --random.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// The metric to maximize (a field of the backtest metrics).
    #[arg(long, default_value = "sharpe")]
    pub metric: String,
    /// Walk-forward validation: train=SPAN,test=SPAN (h, D, W, M = 30 days, Y = 365 days).
    #[arg(long)]
    pub walk_forward: Option<String>,
    /// Threads (default: every core).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Compute every run's indicators itself instead of sharing ma-cross's moving averages
    /// between runs (same results; for comparison).
    #[arg(long)]
    pub no_share: bool,
    /// Rows of the results table.
    #[arg(long, default_value_t = 20)]
    pub top: usize,
    /// Write every result as CSV.
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub sim: SimArgs,
}

/// The cash, costs, range and bar length `backtest` and `optimize` share.
#[derive(Debug, Args)]
pub struct SimArgs {
    /// Starting cash.
    #[arg(long, default_value_t = 10_000.0)]
    pub cash: f64,
    /// Fee as a fraction of the notional, on every fill (0.001 = 0.1%).
    #[arg(long, default_value_t = 0.001)]
    pub fee: f64,
    /// Slippage on market fills, in basis points against the trader.
    #[arg(long, default_value_t = 0.0)]
    pub slippage_bps: f64,
    /// First bar (exclusive of earlier closes): RFC 3339 or a date.
    #[arg(long)]
    pub from: Option<String>,
    /// Last bar: RFC 3339 or a date.
    #[arg(long)]
    pub to: Option<String>,
    /// Decide on bars of this length (built from the data's bars).
    #[arg(long, value_parser = parse_timeframe)]
    pub timeframe: Option<Timeframe>,
    /// Whole units only (default: fractional quantities).
    #[arg(long)]
    pub whole_units: bool,
    /// Send every bar through the engine's full path, also the quiet ones a one-symbol run
    /// otherwise fast-forwards through (the same result, bit for bit; for comparison).
    #[arg(long)]
    pub no_fast_forward: bool,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The configuration file.
    #[arg(long, default_value = "ploutos.toml")]
    pub config: PathBuf,
    /// Where the journal and state files go.
    #[arg(long, default_value = "ploutos-data")]
    pub data_dir: PathBuf,
    /// Continue from the journal's latest snapshot (after a crash or a stop).
    #[arg(long)]
    pub restore: bool,
    /// Also print signals, orders, order updates and risk rejections.
    #[arg(long)]
    pub verbose: bool,
    /// Confirms live trading (with trading.mode = "live"): real orders, real money.
    #[arg(long)]
    pub live: bool,
    /// Stop after this many market events.
    #[arg(long, hide = true)]
    pub max_events: Option<u64>,
}

#[derive(Debug, Subcommand)]
pub enum DataCommand {
    /// Writes seeded synthetic bars (geometric random walk, open = previous close).
    #[command(after_help = "\
Examples:
  ploutos data synth --bars 5000000 --seed 42 --out /tmp/synth_5m.csv
  ploutos data synth --bars 100000 --seed 7 --timeframe 5m --out /tmp/synth.parquet")]
    Synth(SynthArgs),
    /// Converts a bar file between CSV (any accepted layout) and Parquet, by the extensions.
    #[command(after_help = "\
Examples:
  ploutos data convert data/samples/spy_1m.csv /tmp/spy_1m.parquet
  ploutos data convert /tmp/spy_1m.parquet /tmp/spy_1m.csv")]
    Convert {
        /// Input bar file.
        input: PathBuf,
        /// Output file: .csv (canonical layout) or .parquet.
        output: PathBuf,
    },
    /// What a bar file holds: range, rows, timeframe, gaps, duplicates, bad bars.
    #[command(after_help = "\
Examples:
  ploutos data inspect data/samples/xrpeth_binance_1m.csv
  ploutos data inspect my_export.csv --json")]
    Inspect {
        /// The bar file.
        file: PathBuf,
        /// JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Downloads closed bars from a venue's REST history into a bar file (resumable).
    #[command(after_help = "\
Examples:
  ploutos data download --venue binance --symbol BTCUSDT --from 2024-01-01 --to 2024-02-01 --out btcusdt_1m.csv
  ploutos data download --venue alpaca --symbol AAPL --timeframe 1m --from 2024-03-01 --to 2024-03-08 --out aapl.parquet
  ploutos data download ... --allow-holes      (write the file even with missing bars, listing them)

Bars go to OUT.part first (with OUT.part.json); run the same command again after a crash or
Ctrl-C to continue where it stopped. Holes: Binance, any missing interval; Alpaca, any NYSE
session without a single bar. See docs/data-download.md.")]
    Download(DownloadArgs),
}

/// The venues `data download` fetches from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DownloadVenue {
    /// Binance spot klines.
    Binance,
    /// Alpaca US stock bars (the feed from [venues.alpaca], IEX by default).
    Alpaca,
}

#[derive(Debug, Args)]
pub struct DownloadArgs {
    /// The venue.
    #[arg(long, value_enum)]
    pub venue: DownloadVenue,
    /// The instrument, in Ploutos spelling (BTCUSDT, AAPL).
    #[arg(long)]
    pub symbol: String,
    /// Bar length (1m, 5m, 1h, 1d).
    #[arg(long, default_value = "1m", value_parser = parse_timeframe)]
    pub timeframe: Timeframe,
    /// First bar's open time: YYYY-MM-DD (midnight UTC) or RFC 3339.
    #[arg(long)]
    pub from: String,
    /// End of the range, exclusive: YYYY-MM-DD (midnight UTC) or RFC 3339.
    #[arg(long)]
    pub to: String,
    /// Output file: .parquet, else canonical CSV.
    #[arg(long)]
    pub out: PathBuf,
    /// Take venue hosts from this config's [venues.*] tables (keys come from the environment
    /// or .env).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Write the file even when bars are missing (the holes are listed).
    #[arg(long)]
    pub allow_holes: bool,
}

/// Output format of the analyzer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Human-readable lines and framed alerts.
    Text,
    /// One JSON object per line.
    Jsonl,
}

fn parse_timeframe(s: &str) -> Result<Timeframe, String> {
    Timeframe::parse(s).map_err(|e| e.to_string())
}

/// Options shared by `analyze` and `demo`.
#[derive(Debug, Clone, Args)]
pub struct AnalyzerOptions {
    /// Bar length: minutes (1, 5, 15) or with a unit (5m, 1h). Default: the data's own.
    #[arg(long, value_parser = parse_timeframe)]
    pub timeframe: Option<Timeframe>,
    /// Alerts (and jsonl lines without --all) only at or above this confidence (0-100).
    #[arg(long, value_parser = clap::value_parser!(u8).range(0..=100))]
    pub min_confidence: Option<u8>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// jsonl: one line for every closed bar, HOLD included.
    #[arg(long)]
    pub all: bool,
    /// Configuration file (TOML) with [analyzer] and [consensus] tables.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Most tickers allowed at once (default 10, or [analyzer] max_tickers).
    #[arg(long)]
    pub max_tickers: Option<usize>,
    /// No ANSI colors (also when NO_COLOR is set or output is not a terminal).
    #[arg(long)]
    pub no_color: bool,
}

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// Tickers to analyze, comma-separated (at most 10 unless configured).
    #[arg(long, value_delimiter = ',')]
    pub tickers: Vec<String>,
    /// Replay history files: FILE[,FILE…], symbol from the file name or SYMBOL=FILE.
    #[arg(long, value_delimiter = ',')]
    pub replay: Vec<String>,
    /// Replay speed: N × real time; 0 = as fast as possible.
    #[arg(long, default_value_t = 0.0)]
    pub speed: f64,
    /// Where market data comes from: `replay` (files, the default) or a live venue
    /// (`alpaca` for US stocks, `binance` for spot crypto; hosts from [venues.*] in --config
    /// and PLOUTOS_*_URL, keys from the environment or .env).
    #[arg(long, value_enum, default_value_t = FeedKind::Replay)]
    pub feed: FeedKind,
    /// Live feeds: 1-minute bars of history fetched per ticker before the first live bar, so
    /// signals start at once (default: enough for the indicators at the chosen timeframe).
    #[arg(long)]
    pub warmup: Option<u32>,
    /// Stop after this many market events (tests).
    #[arg(long, hide = true)]
    pub max_events: Option<u64>,
    #[command(flatten)]
    pub opts: AnalyzerOptions,
}

/// A market-data source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FeedKind {
    /// History files replayed.
    Replay,
    /// Alpaca's market-data stream (US stocks).
    Alpaca,
    /// Binance spot market streams.
    Binance,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Bundled tickers to play (default: all of SPY, BTCUSDT, BTCPERP, XRPETH).
    #[arg(long, value_delimiter = ',')]
    pub tickers: Vec<String>,
    /// Replay speed: N × real time; 0 = as fast as possible.
    #[arg(long, default_value_t = 300.0)]
    pub speed: f64,
    /// Only the analyzer (signals and alerts), no paper trading.
    #[arg(long)]
    pub analyze_only: bool,
    /// Where the demo's journal goes (default: a new directory under the system temp dir).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Also print orders, order updates and risk rejections.
    #[arg(long)]
    pub verbose: bool,
    #[command(flatten)]
    pub opts: AnalyzerOptions,
}

#[derive(Debug, Args)]
pub struct IndicatorsArgs {
    /// Bar file (CSV in any accepted format, or Parquet).
    #[arg(long)]
    pub data: PathBuf,
    /// Output CSV file (default: standard output).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SynthArgs {
    /// Number of bars.
    #[arg(long)]
    pub bars: u64,
    /// Random seed: the same seed gives the same file.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Bar length (1m, 5m, 1h, …).
    #[arg(long, default_value = "1m", value_parser = parse_timeframe)]
    pub timeframe: Timeframe,
    /// Output file: .csv or .parquet.
    #[arg(long)]
    pub out: PathBuf,
    /// Open time of the first bar (RFC 3339 or a date).
    #[arg(long, default_value = "2024-01-01T00:00:00Z")]
    pub start: String,
    /// First open price.
    #[arg(long, default_value_t = 100.0)]
    pub price: f64,
    /// Standard deviation of the log return per bar.
    #[arg(long, default_value_t = 0.001)]
    pub sigma: f64,
}
