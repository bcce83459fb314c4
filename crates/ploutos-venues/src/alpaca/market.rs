//! Market data over REST (bars, paged and merged) and the [`BarVenue`] implementation.

use std::collections::BTreeMap;

use ploutos_core::{Bar, Symbol, Timeframe, Timestamp};

use crate::error::VenueError;
use crate::live::{BarVenue, Subscription};

use super::rest::{Api, Req};
use super::stream::AlpacaStream;
use super::wire::{parse_bars_page, VENUE};
use super::Alpaca;

/// Bars per page asked for (the API's maximum).
const PAGE_LIMIT: &str = "10000";

/// Alpaca's name of a timeframe (`1Min`, `5Min`, `15Min`, `1Hour`, `1Day`, …).
pub(crate) fn timeframe_param(tf: Timeframe) -> Result<String, VenueError> {
    let s = tf.as_secs();
    let name = if s == 86_400 {
        Some("1Day".to_string())
    } else if s % 3_600 == 0 && (1..=23).contains(&(s / 3_600)) {
        Some(format!("{}Hour", s / 3_600))
    } else if s % 60 == 0 && (1..=59).contains(&(s / 60)) {
        Some(format!("{}Min", s / 60))
    } else {
        None
    };
    name.ok_or_else(|| VenueError::Config {
        venue: VENUE,
        message: format!(
            "timeframe {tf} has no Alpaca bar size (use 1..59 minutes, 1..23 hours or 1 day)"
        ),
    })
}

fn rfc3339(t: Timestamp) -> String {
    t.to_string()
}

impl Alpaca {
    /// Bars of several symbols with open time in `[start, end)`, every page merged (the
    /// server's `limit` counts bars across symbols). Symbols without data map to an empty
    /// list.
    pub async fn bars(
        &self,
        symbols: &[Symbol],
        timeframe: Timeframe,
        start: Timestamp,
        end: Timestamp,
    ) -> Result<BTreeMap<Symbol, Vec<Bar>>, VenueError> {
        let mut out: BTreeMap<Symbol, Vec<Bar>> =
            symbols.iter().map(|s| (s.clone(), Vec::new())).collect();
        if symbols.is_empty() || start >= end {
            return Ok(out);
        }
        let names: Vec<&str> = symbols.iter().map(Symbol::as_str).collect();
        let joined = names.join(",");
        self.page_through(
            "/v2/stocks/bars",
            Some(&joined),
            None,
            timeframe,
            start,
            end,
            &mut out,
        )
        .await?;
        Ok(out)
    }

    #[allow(clippy::too_many_arguments)]
    async fn page_through(
        &self,
        path: &str,
        symbols: Option<&str>,
        single: Option<&str>,
        timeframe: Timeframe,
        start: Timestamp,
        end: Timestamp,
        out: &mut BTreeMap<Symbol, Vec<Bar>>,
    ) -> Result<(), VenueError> {
        let cfg = &self.rest.cfg;
        let tf = timeframe_param(timeframe)?;
        let mut token: Option<String> = None;
        let mut seen_tokens = std::collections::HashSet::new();
        loop {
            let mut req = Req::get(Api::Data, path)
                .query("timeframe", tf.clone())
                .query("start", rfc3339(start))
                .query("end", rfc3339(end))
                .query("limit", PAGE_LIMIT)
                .query("feed", cfg.feed.clone())
                .query("adjustment", cfg.adjustment.clone());
            if let Some(s) = symbols {
                req = req.query("symbols", s);
            }
            if let Some(t) = &token {
                req = req.query("page_token", t.clone());
            }
            let text = self.rest.call(req).await?;
            let page = parse_bars_page(&text, single)?;
            for (sym, bars) in page.bars {
                // REST `end` is inclusive; Ploutos ranges are half-open.
                out.entry(sym).or_default().extend(
                    bars.into_iter()
                        .filter(|b| b.time() >= start && b.time() < end),
                );
            }
            match page.next_page_token {
                None => return Ok(()),
                Some(t) => {
                    if !seen_tokens.insert(t.clone()) {
                        return Err(VenueError::Protocol {
                            venue: VENUE,
                            message: format!("bars paging repeats next_page_token {t:?}"),
                        });
                    }
                    token = Some(t);
                }
            }
        }
    }
}

impl BarVenue for Alpaca {
    type Session = AlpacaStream;

    fn name(&self) -> &str {
        VENUE
    }

    async fn connect(&self, sub: &Subscription) -> Result<AlpacaStream, VenueError> {
        AlpacaStream::open(&self.rest.cfg, sub).await
    }

    async fn history(
        &self,
        symbol: &Symbol,
        timeframe: Timeframe,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<Bar>, VenueError> {
        let mut out = BTreeMap::new();
        if from < to {
            let path = format!("/v2/stocks/{}/bars", symbol.as_str());
            self.page_through(
                &path,
                None,
                Some(symbol.as_str()),
                timeframe,
                from,
                to,
                &mut out,
            )
            .await?;
        }
        let now = Timestamp::from_datetime(chrono::Utc::now()).unwrap_or(Timestamp::EPOCH);
        let mut bars = out.remove(symbol).unwrap_or_default();
        // A bar whose interval has not ended yet is still forming.
        bars.retain(|b| b.close_time(timeframe) <= now);
        bars.sort_by_key(Bar::time);
        bars.dedup_by_key(|b| b.time());
        Ok(bars)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_timeframes() {
        assert_eq!(timeframe_param(Timeframe::M1).unwrap(), "1Min");
        assert_eq!(timeframe_param(Timeframe::M5).unwrap(), "5Min");
        assert_eq!(timeframe_param(Timeframe::M15).unwrap(), "15Min");
        assert_eq!(timeframe_param(Timeframe::H1).unwrap(), "1Hour");
        assert_eq!(timeframe_param(Timeframe::D1).unwrap(), "1Day");
        assert!(timeframe_param(Timeframe::from_secs(30).unwrap()).is_err());
        assert!(timeframe_param(Timeframe::from_secs(2 * 86_400).unwrap()).is_err());
    }
}
