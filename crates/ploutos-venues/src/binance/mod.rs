//! Binance spot: market streams, REST (klines, exchangeInfo filters, signed orders, account),
//! and the user-data stream over the WebSocket API. Protocol facts:
//! `shared/protocols/binance.md` (restated in `docs/venues.md`).
