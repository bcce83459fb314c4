//! The Binance fake.
