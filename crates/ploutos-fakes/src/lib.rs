//! Faithful fakes of the Binance and Alpaca servers, on loopback, for tests and offline demos.
//!
//! They speak each protocol as documented in `shared/protocols/` (handshakes, auth,
//! subscriptions, batched messages, signatures, order life cycles, rate limits) and can be
//! told to misbehave (drop a connection, go silent, skip bars, answer 429/418/5xx) so that
//! the real clients in `ploutos-venues` are tested against what the real hosts do.

#![forbid(unsafe_code)]

pub mod alpaca;
pub mod binance;
