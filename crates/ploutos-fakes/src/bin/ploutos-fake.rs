//! `ploutos-fake`: runs the fake Binance / Alpaca servers on loopback for manual runs.

fn main() {}
