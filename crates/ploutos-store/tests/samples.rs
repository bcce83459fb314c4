//! Every real sample file in data/samples loads with the documented row count.

use std::path::PathBuf;

use ploutos_core::{Side, Symbol, Timeframe, Timestamp};
use ploutos_store::history::{
    detect_kind, read_bars, read_bars_from, read_trades, write_bars_csv_to, BarFormat, FileKind,
    TradeFormat,
};

fn sample(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/samples")
        .join(name)
}

const BAR_FILES: [(&str, usize, &str, &str); 9] = [
    ("btcusdt_binance_1m.csv", 999, "BTCUSDT", "1m"),
    ("btcusdt_binance_5m.csv", 999, "BTCUSDT", "5m"),
    ("btcusdt_binance_1h.csv", 999, "BTCUSDT", "1h"),
    ("btcperp_ftx_1m.csv", 45_031, "BTCPERP", "1m"),
    ("spy_1m.csv", 1_564, "SPY", "1m"),
    ("xrpeth_binance_1m.csv", 2_469, "XRPETH", "1m"),
    ("eurusd_1h.csv", 5_000, "EURUSD", "1h"),
    ("goog_daily.csv", 2_148, "GOOG", "1d"),
    ("btcusd_monthly.csv", 156, "BTCUSD", "31d"),
];

#[test]
fn every_bar_file_loads_with_its_row_count() {
    for (file, rows, symbol, timeframe) in BAR_FILES {
        let f = read_bars(sample(file)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(f.bars.len(), rows, "{file}");
        assert_eq!(f.format, BarFormat::Canonical, "{file}");
        assert_eq!(f.symbol, Symbol::new(symbol).ok(), "{file}");
        assert_eq!(f.timeframe, Timeframe::parse(timeframe).ok(), "{file}");
        assert_eq!(detect_kind(sample(file)).unwrap(), FileKind::Bars, "{file}");
    }
}

#[test]
fn first_and_last_bars_match_the_files() {
    let f = read_bars(sample("btcusdt_binance_1m.csv")).unwrap();
    let first = f.bars[0];
    assert_eq!(
        first.time(),
        Timestamp::parse("2018-06-18T04:48:00Z").unwrap()
    );
    assert_eq!(
        (
            first.open(),
            first.high(),
            first.low(),
            first.close(),
            first.volume()
        ),
        (6412.5, 6414.4, 6410.55, 6412.46, 15.085915)
    );
    let goog = read_bars(sample("goog_daily.csv")).unwrap();
    assert_eq!(goog.bars[0].open(), 100.0);
    assert_eq!(
        goog.bars.last().unwrap().time(),
        Timestamp::parse("2013-03-01").unwrap()
    );
}

#[test]
fn both_trade_files_load() {
    for (file, rows, first_id) in [
        ("btcusdt_binance_trades.csv", 2_001, 553_287_559),
        ("xrpeth_binance_trades.csv", 12_477, 13_519_807),
    ] {
        let f = read_trades(sample(file)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(f.trades.len(), rows, "{file}");
        assert_eq!(f.format, TradeFormat::Canonical);
        assert_eq!(f.trades[0].id(), Some(first_id));
        assert_eq!(f.trades[0].aggressor(), Some(Side::Sell));
        assert!(f.trades.windows(2).all(|w| w[0].time() <= w[1].time()));
        assert_eq!(
            detect_kind(sample(file)).unwrap(),
            FileKind::Trades,
            "{file}"
        );
    }
    let f = read_trades(sample("btcusdt_binance_trades.csv")).unwrap();
    assert_eq!(f.symbol, Symbol::new("BTCUSDT").ok());
    assert_eq!(f.trades[1].price(), 39439.44);
    assert_eq!(f.trades[1].aggressor(), Some(Side::Buy));
    assert_eq!(
        f.trades[0].time(),
        Timestamp::parse("2021-01-08T00:00:00.278Z").unwrap()
    );
}

#[test]
fn write_then_read_is_identity_on_every_sample() {
    for (file, ..) in BAR_FILES {
        let original = read_bars(sample(file)).unwrap();
        let mut out = Vec::new();
        write_bars_csv_to(&mut out, &original.bars).unwrap();
        let again = read_bars_from(out.as_slice(), file).unwrap();
        assert_eq!(again.bars, original.bars, "{file}");
        // The samples are already in canonical form: the bytes come back unchanged except for
        // float spelling (`100.0` is written `100`).
        let text = std::fs::read_to_string(sample(file)).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap().lines().count(),
            text.lines().count()
        );
    }
}
