//! Alpaca (US stocks): market-data stream v2, REST bar history, Trading API v2 and the
//! trade-updates stream. Protocol facts: `shared/protocols/alpaca.md` (restated in
//! `docs/venues-alpaca.md`).

pub mod wire;
