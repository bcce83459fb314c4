//! The analyzer's live sources: Alpaca's or Binance's market-data stream through a
//! [`ResilientFeed`] (reconnects, backfills missed bars, warms up from REST history).

use anyhow::{bail, Result};
use ploutos_core::{Symbol, Timeframe};
use ploutos_venues::live::{BarVenue, FeedNotice, ResilientConfig, ResilientFeed, Subscription};
use tokio::sync::mpsc;

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
    let sub = Subscription {
        symbols: symbols.clone(),
        timeframe: Timeframe::M1,
        trades: false,
    };
    venues::load_dotenv()?;
    let rcfg = ResilientConfig {
        warmup_bars: warmup,
        // Binance publishes a kline for every minute; Alpaca none for a minute without trades.
        gap_backfill: kind == FeedKind::Binance,
        ..ResilientConfig::default()
    };
    let (feed, description) = match kind {
        FeedKind::Binance => {
            let vc = venues::binance_config(&cfg.venues.binance)?;
            let description = format!("live Binance market streams ({})", vc.ws_url);
            (
                launch(venues::binance(&cfg.venues.binance)?, sub, rcfg),
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
                launch(venues::alpaca(&cfg.venues.alpaca, true)?, sub, rcfg),
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

/// The feed, with its notices (connections, backfills) printed to stderr.
fn launch<V: BarVenue>(venue: V, sub: Subscription, cfg: ResilientConfig) -> ResilientFeed {
    let name = venue.name().to_string();
    let (tx, mut rx) = mpsc::channel(256);
    tokio::spawn(async move {
        while let Some(n) = rx.recv().await {
            if let Some(line) = describe(&name, &n) {
                eprintln!("{line}");
            }
        }
    });
    ResilientFeed::start(venue, sub, cfg, Some(tx))
}

/// A notice in words (`None` for the live view's forming bars and quotes).
pub fn describe(venue: &str, n: &FeedNotice) -> Option<String> {
    match n {
        FeedNotice::Connected { attempt: 1 } => Some(format!("{venue}: connected")),
        FeedNotice::Connected { attempt } => {
            Some(format!("{venue}: reconnected (connection #{attempt})"))
        }
        FeedNotice::Disconnected { reason, retry_in } => Some(format!(
            "{venue}: disconnected: {reason}; reconnecting in {:.1} s",
            retry_in.as_secs_f64()
        )),
        FeedNotice::Backfilled {
            symbol,
            bars,
            from,
            to,
        } => Some(format!(
            "{venue}: {symbol}: {bars} bars from REST for {from} .. {to}"
        )),
        FeedNotice::Forming { .. } | FeedNotice::Quote { .. } => None,
    }
}
