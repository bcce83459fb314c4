//! The analyzer's live sources: Alpaca's or Binance's market-data stream through a
//! `ResilientFeed` (reconnects, backfills missed bars, warms up from REST history).

use anyhow::{bail, Result};
use ploutos_core::{Symbol, Timeframe};

use super::source::Loaded;
use crate::cli::FeedKind;
use crate::config::Config;
use crate::venues;

/// 1-minute bars of warm-up for `timeframe`: the consensus needs 33 bars at the analyzer's
/// timeframe; a margin of 20% covers minutes without trades.
pub fn default_warmup(timeframe: Option<Timeframe>) -> u32 {
    let per_bar = timeframe.map_or(1, |t| (t.as_secs() / 60).max(1));
    (40 * per_bar).min(5_000)
}

/// Starts the live feed of `kind` for `tickers` (inside the current tokio runtime).
pub fn start(kind: FeedKind, tickers: &[String], cfg: &Config, warmup: u32) -> Result<Loaded> {
    if tickers.is_empty() {
        bail!(
            "--feed {}: give the tickers to stream with --tickers",
            name(kind)
        );
    }
    let symbols = tickers
        .iter()
        .map(|t| Symbol::new(&t.trim().to_ascii_uppercase()))
        .collect::<Result<Vec<_>, _>>()?;
    venues::load_dotenv()?;
    let (feed, description) = match kind {
        FeedKind::Binance => {
            let vc = venues::binance_config(&cfg.venues.binance)?;
            let description = format!("live Binance market streams ({})", vc.ws_url);
            (
                venues::start_feed(
                    venues::binance(&cfg.venues.binance)?,
                    symbols.clone(),
                    warmup,
                ),
                description,
            )
        }
        FeedKind::Alpaca => {
            let vc = venues::alpaca_config(&cfg.venues.alpaca, true);
            if vc.key_id.is_none() || vc.secret_key.is_none() {
                bail!("--feed alpaca: Alpaca's market data needs keys: set ALPACA_API_KEY and ALPACA_SECRET_KEY (environment or .env)");
            }
            let description = format!("live Alpaca {} stream ({})", vc.feed, vc.data_ws_url);
            (
                venues::start_feed(
                    venues::alpaca(&cfg.venues.alpaca, true)?,
                    symbols.clone(),
                    warmup,
                ),
                description,
            )
        }
        FeedKind::Replay => bail!("internal: the replay feed is not live"),
    };
    Ok(Loaded {
        symbols,
        timeframes: vec![Timeframe::M1],
        feed: Box::new(feed),
        description,
    })
}

fn name(kind: FeedKind) -> &'static str {
    match kind {
        FeedKind::Replay => "replay",
        FeedKind::Alpaca => "alpaca",
        FeedKind::Binance => "binance",
    }
}
