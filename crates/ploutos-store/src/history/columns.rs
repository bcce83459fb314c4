//! Column names: the aliases accepted for each field and the lookup of a header.

use crate::history::sniff::strip_bom;

/// A header cell reduced for comparison: lower case, without spaces, `_`, `-`, `<`, `>`,
/// quotes or a byte-order mark (`Open Time`, `open_time` and `<OPEN_TIME>` all become
/// `opentime`).
pub(crate) fn normalise(cell: &[u8]) -> String {
    strip_bom(cell)
        .iter()
        .filter(|b| !matches!(b, b' ' | b'_' | b'-' | b'<' | b'>' | b'"' | b'\''))
        .map(|b| b.to_ascii_lowercase() as char)
        .collect()
}

/// The index of the first header cell matching the aliases, tried in order (so an earlier
/// alias wins over a later one wherever they stand).
pub(crate) fn find(header: &[String], aliases: &[&str]) -> Option<usize> {
    aliases
        .iter()
        .find_map(|a| header.iter().position(|h| h == a))
}

/// Bar time column: the bar's open time.
pub(crate) const BAR_TIME: &[&str] = &["timestamp", "datetime", "time", "date", "opentime", "ts"];
/// Bar open.
pub(crate) const OPEN: &[&str] = &["open", "o"];
/// Bar high.
pub(crate) const HIGH: &[&str] = &["high", "h"];
/// Bar low.
pub(crate) const LOW: &[&str] = &["low", "l"];
/// Bar close.
pub(crate) const CLOSE: &[&str] = &["close", "c"];
/// Bar volume.
pub(crate) const VOLUME: &[&str] = &["volume", "vol", "v"];
/// Yahoo's adjusted close.
pub(crate) const ADJ_CLOSE: &[&str] = &["adjclose"];
/// Number of trades in a bar.
pub(crate) const TRADES: &[&str] = &[
    "trades",
    "count",
    "numberoftrades",
    "numtrades",
    "tradecount",
];
/// Volume-weighted average price.
pub(crate) const VWAP: &[&str] = &["vwap"];
/// Present in Binance kline files that carry a header.
pub(crate) const CLOSE_TIME: &[&str] = &["closetime"];

/// Trade time.
pub(crate) const TRADE_TIME: &[&str] = &[
    "timestamp",
    "datetime",
    "time",
    "date",
    "transacttime",
    "ts",
];
/// Trade price.
pub(crate) const PRICE: &[&str] = &["price", "px"];
/// Trade quantity (base asset).
pub(crate) const QUANTITY: &[&str] = &["quantity", "qty", "size", "amount", "volume"];
/// Aggressor side (`buy`/`sell`).
pub(crate) const SIDE: &[&str] = &["side", "aggressor", "takerside"];
/// Venue trade id.
pub(crate) const TRADE_ID: &[&str] = &["tradeid", "id", "tid"];
/// Binance's `is_buyer_maker` (true means the seller was the aggressor).
pub(crate) const BUYER_MAKER: &[&str] = &["isbuyermaker", "buyermaker"];
