//! The accepted layouts other than the canonical one, and the writers.

use ploutos_core::{Bar, Side, Timeframe, Timestamp};
use ploutos_store::history::{
    read_bars, read_bars_from, read_bars_from_with, read_trades_from, write_bars_csv,
    write_bars_csv_to, write_bars_parquet, BarFormat, BarReadOptions, TradeFormat,
};

fn t(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

#[test]
fn yahoo_uses_close_or_adjusts() {
    let text = "Date,Open,High,Low,Close,Adj Close,Volume\n\
                2020-01-02,10,12,9,11,5.5,100\n\
                2020-01-03,11,13,10,12,6,200\n";
    let f = read_bars_from(text.as_bytes(), "aapl.csv").unwrap();
    assert_eq!(f.format, BarFormat::Yahoo);
    assert_eq!(f.bars[0].close(), 11.0);
    assert_eq!(f.timeframe, Some(Timeframe::D1));
    assert_eq!(f.symbol.unwrap().as_str(), "AAPL");
    let adj = read_bars_from_with(
        text.as_bytes(),
        "aapl.csv",
        &BarReadOptions::default().adjust_yahoo(true),
    )
    .unwrap();
    let b = adj.bars[0];
    assert_eq!(
        (b.open(), b.high(), b.low(), b.close()),
        (5.0, 6.0, 4.5, 5.5)
    );
    assert_eq!(b.volume(), 100.0);
}

#[test]
fn binance_klines_ms_and_us_with_or_without_header() {
    let ms = "1704067200000,42283.58,42554.57,42261.02,42475.23,1271.68108,1704070799999,53957248.9,47134,682.57581,28957416.8,0\n\
              1704070800000,42475.23,42775.00,42431.65,42613.56,1196.37856,1704074399999,50984893.6,44751,630.96544,26887563.9,0\n";
    let f = read_bars_from(ms.as_bytes(), "BTCUSDT-1h-2024-01.csv").unwrap();
    assert_eq!(f.format, BarFormat::BinanceKlines);
    assert_eq!(f.bars[0].time(), t("2024-01-01T00:00:00Z"));
    assert_eq!(f.bars[0].trades(), Some(47_134));
    assert_eq!(f.timeframe, Some(Timeframe::H1));
    assert_eq!(f.symbol.unwrap().as_str(), "BTCUSDT");
    let us = ms
        .replace("1704067200000,", "1704067200000000,")
        .replace("1704070800000,", "1704070800000000,");
    let g = read_bars_from(us.as_bytes(), "BTCUSDT-1h-2025-01.csv").unwrap();
    assert_eq!(g.bars, f.bars);
    let with_header = format!(
        "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore\n{ms}"
    );
    let h = read_bars_from(with_header.as_bytes(), "x.csv").unwrap();
    assert_eq!(h.format, BarFormat::BinanceKlines);
    assert_eq!(h.bars, f.bars);
}

#[test]
fn aliases_delimiters_epochs_and_optional_columns() {
    let text = "Time;Open;High;Low;Close;Volume;VWAP;Trades\n\
                1704067200;1;2;0.5;1.5;10;1.2;7\n\
                1704067260;1;2;0.5;1.5;10;;\n";
    let f = read_bars_from(text.as_bytes(), "x.csv").unwrap();
    assert_eq!(f.format, BarFormat::Canonical);
    assert_eq!(f.bars[0].time(), t("2024-01-01T00:00:00Z"));
    assert_eq!(f.bars[0].vwap(), Some(1.2));
    assert_eq!(f.bars[0].trades(), Some(7));
    assert_eq!(f.bars[1].vwap(), None);
    let tabbed = "\u{feff}DateTime\topen\thigh\tlow\tclose\tvolume\n2024-01-01 00:00:00\t1\t2\t0.5\t1.5\t10\n";
    let g = read_bars_from(tabbed.as_bytes(), "x.csv").unwrap();
    assert_eq!(g.bars[0].time(), t("2024-01-01T00:00:00Z"));
}

#[test]
fn binance_trades_with_and_without_header() {
    let body = "553287559,39432.48,0.000263,10.37,1610064000278,True,True\n\
                553287560,39439.44,0.004376,172.58,1610064000310,False,True\n";
    let f = read_trades_from(body.as_bytes(), "BTCUSDT-trades-2021-01-08.csv").unwrap();
    assert_eq!(f.format, TradeFormat::Binance);
    assert_eq!(f.trades[0].aggressor(), Some(Side::Sell));
    assert_eq!(f.trades[1].aggressor(), Some(Side::Buy));
    assert_eq!(f.trades[0].id(), Some(553_287_559));
    assert_eq!(f.trades[0].time(), t("2021-01-08T00:00:00.278Z"));
    let us = body
        .replace("1610064000278", "1610064000278000")
        .replace("1610064000310", "1610064000310000");
    assert_eq!(
        read_trades_from(us.as_bytes(), "x.csv").unwrap().trades,
        f.trades
    );
    let with_header = format!("id,price,qty,quote_qty,time,is_buyer_maker\n{body}");
    let g = read_trades_from(with_header.as_bytes(), "x.csv").unwrap();
    assert_eq!(g.format, TradeFormat::Binance);
    assert_eq!(g.trades, f.trades);
}

fn some_bars() -> Vec<Bar> {
    let base = t("2024-01-01T00:00:00Z").as_nanos();
    (0..2_500)
        .map(|i| {
            let p = 100.0 + (i as f64 * 0.37).sin() * 3.0 + 1e-9 * i as f64;
            let b = Bar::new(
                Timestamp::from_nanos(base + i * 60_000_000_000 + i % 3 * 1_000_000),
                p,
                p + 0.1 / 3.0,
                p - 0.7,
                p - 0.1,
                1.0 / (i as f64 + 1.0),
            )
            .unwrap();
            if i % 2 == 0 {
                b.with_trades(i as u64).with_vwap(p - 0.05).unwrap()
            } else {
                b
            }
        })
        .collect()
}

#[test]
fn csv_round_trip_is_exact() {
    let bars = some_bars();
    let mut out = Vec::new();
    write_bars_csv_to(&mut out, &bars).unwrap();
    let text = String::from_utf8(out.clone()).unwrap();
    assert!(text.starts_with("timestamp,open,high,low,close,volume,trades,vwap\n"));
    let back = read_bars_from(out.as_slice(), "x.csv").unwrap();
    assert_eq!(back.bars, bars);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("abc_1m.csv");
    write_bars_csv(&path, &bars).unwrap();
    assert_eq!(read_bars(&path).unwrap().bars, bars);
}

#[test]
fn parquet_round_trip_is_exact() {
    let dir = tempfile::tempdir().unwrap();
    for bars in [
        some_bars(),
        some_bars().into_iter().skip(1).step_by(2).collect(),
    ] {
        let path = dir.path().join("eth_1m.parquet");
        write_bars_parquet(&path, &bars).unwrap();
        let f = read_bars(&path).unwrap();
        assert_eq!(f.format, BarFormat::Parquet);
        assert_eq!(f.bars, bars);
        assert_eq!(f.symbol.unwrap().as_str(), "ETH");
    }
}

#[test]
fn parquet_bad_input_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("junk.parquet");
    std::fs::write(&path, b"not parquet at all").unwrap();
    let e = read_bars(&path).unwrap_err().to_string();
    assert!(e.starts_with(&path.display().to_string()), "{e}");
    // A truncated real file.
    let good = dir.path().join("good.parquet");
    write_bars_parquet(&good, &some_bars()).unwrap();
    let bytes = std::fs::read(&good).unwrap();
    for cut in [bytes.len() / 2, bytes.len() - 9, 8] {
        std::fs::write(&path, &bytes[..cut]).unwrap();
        assert!(read_bars(&path).is_err());
    }
}

#[test]
fn pyarrow_fixture_reads() {
    // Made by scripts/make_parquet_fixture.py with pandas/pyarrow: nullable columns,
    // TIMESTAMP(NANOS) (UTC), a µs timestamp variant and an int64 volume.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let ns = read_bars(dir.join("btcusdt_pyarrow_1m.parquet")).unwrap();
    let csv = read_bars(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../data/samples/btcusdt_binance_1m.csv"),
    )
    .unwrap();
    assert_eq!(ns.bars.len(), 100);
    assert_eq!(ns.bars[..], csv.bars[..100]);
    assert_eq!(ns.timeframe, Some(Timeframe::M1));
    let us = read_bars(dir.join("spy_pyarrow_us_1m.parquet")).unwrap();
    let spy = read_bars(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/samples/spy_1m.csv"),
    )
    .unwrap();
    assert_eq!(us.bars[..], spy.bars[..100]);
}
