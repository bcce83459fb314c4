//! Which instrument a file holds: an explicit `SYMBOL=path`, or a guess from the file name.

use std::path::{Path, PathBuf};

use ploutos_core::Symbol;

/// The symbol a file name suggests: the file stem up to the first `_`, `-` or `.`,
/// upper-cased (`btcusdt_binance_1m.csv` → `BTCUSDT`, `spy_1m.csv` → `SPY`,
/// `BTCUSDT-1m-2024-01.csv` → `BTCUSDT`). `None` when that part is empty or not a valid
/// [`Symbol`].
pub fn symbol_from_path(path: impl AsRef<Path>) -> Option<Symbol> {
    let name = path.as_ref().file_name()?.to_str()?;
    let stem = name.split(['_', '-', '.']).next()?;
    Symbol::new(&stem.to_ascii_uppercase()).ok()
}

/// Splits a command-line source `SYMBOL=path` into its parts. The symbol is taken as given
/// (not upper-cased). When there is no `=`, or the text before the first `=` is not a valid
/// symbol, the whole text is the path and the symbol is `None` (to be guessed with
/// [`symbol_from_path`]).
pub fn split_symbol_spec(spec: &str) -> (Option<Symbol>, PathBuf) {
    if let Some((sym, path)) = spec.split_once('=') {
        if !path.is_empty() {
            if let Ok(symbol) = Symbol::new(sym) {
                return (Some(symbol), PathBuf::from(path));
            }
        }
    }
    (None, PathBuf::from(spec))
}

/// The explicit symbol of a `SYMBOL=path` spec if there is one, else the guess from the
/// file name, with the path.
pub fn resolve_symbol_spec(spec: &str) -> (Option<Symbol>, PathBuf) {
    let (symbol, path) = split_symbol_spec(spec);
    let symbol = symbol.or_else(|| symbol_from_path(&path));
    (symbol, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Option<Symbol> {
        Symbol::new(x).ok()
    }

    #[test]
    fn guesses_from_the_stem() {
        assert_eq!(
            symbol_from_path("data/samples/btcusdt_binance_1m.csv"),
            s("BTCUSDT")
        );
        assert_eq!(symbol_from_path("spy_1m.csv"), s("SPY"));
        assert_eq!(
            symbol_from_path("/x/y/BTCUSDT-1m-2024-01.csv"),
            s("BTCUSDT")
        );
        assert_eq!(symbol_from_path("goog.parquet"), s("GOOG"));
        assert_eq!(symbol_from_path("_x.csv"), None);
        assert_eq!(symbol_from_path("a b.csv"), None);
    }

    #[test]
    fn explicit_symbol_wins() {
        assert_eq!(
            resolve_symbol_spec("BTC/USDT=data/btcusdt_1m.csv"),
            (s("BTC/USDT"), PathBuf::from("data/btcusdt_1m.csv"))
        );
        assert_eq!(
            resolve_symbol_spec("data/spy_1m.csv"),
            (s("SPY"), PathBuf::from("data/spy_1m.csv"))
        );
        assert_eq!(
            split_symbol_spec("dir with space=x/eth_1m.csv"),
            (None, PathBuf::from("dir with space=x/eth_1m.csv"))
        );
    }
}
