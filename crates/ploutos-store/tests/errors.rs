//! Bad input: every error kind names the file, the line, the column and the value.

use ploutos_store::history::{read_bars, read_bars_from, read_trades_from, HistoryError};
use proptest::prelude::*;

fn bars_err(text: &str) -> String {
    read_bars_from(text.as_bytes(), "data/x.csv")
        .unwrap_err()
        .to_string()
}

const HEAD: &str = "timestamp,open,high,low,close,volume\n";

#[test]
fn not_a_number_names_line_column_and_value() {
    let text = format!(
        "{HEAD}2024-01-02T00:00:00Z,1,2,0.5,1.5,10\n2024-01-02T00:01:00Z,1,abc,0.5,1.5,10\n"
    );
    assert_eq!(
        bars_err(&text),
        r#"data/x.csv line 3, column "high": "abc" is not a number"#
    );
    let text = format!("{HEAD}2024-01-02T00:00:00Z,1,2,0.5,,10\n");
    assert_eq!(
        bars_err(&text),
        r#"data/x.csv line 2, column "close": "" is empty, expected a number"#
    );
}

#[test]
fn bad_timestamp_says_so() {
    let e = bars_err(&format!("{HEAD}yesterday,1,2,0.5,1.5,10\n"));
    assert!(
        e.starts_with(r#"data/x.csv line 2, column "timestamp": "yesterday" is not a timestamp"#),
        "{e}"
    );
}

#[test]
fn impossible_bar_uses_core_reason() {
    let mut text = HEAD.to_string();
    for i in 0..7 {
        text.push_str(&format!("2024-01-02T00:0{i}:00Z,9,10,8,9,1\n"));
    }
    text.push_str("2024-01-02T00:07:00Z,9,8,9,9,1\n");
    assert_eq!(bars_err(&text), "data/x.csv line 9: high 8 is below low 9");
}

#[test]
fn order_errors_name_both_lines() {
    let text =
        format!("{HEAD}2024-01-02T00:01:00Z,1,2,0.5,1.5,10\n2024-01-02T00:00:00Z,1,2,0.5,1.5,10\n");
    assert_eq!(
        bars_err(&text),
        "data/x.csv line 3: timestamp 2024-01-02T00:00:00Z is earlier than line 2's \
         2024-01-02T00:01:00Z (rows must be in time order)"
    );
    let text = format!(
        "{HEAD}2024-01-02T00:01:00Z,1,2,0.5,1.5,10\n\n2024-01-02T00:01:00Z,1,2,0.5,1.5,10\n"
    );
    assert_eq!(
        bars_err(&text),
        "data/x.csv line 4: timestamp 2024-01-02T00:01:00Z repeats line 2's (one bar per timestamp)"
    );
}

#[test]
fn missing_column_names_the_header() {
    assert_eq!(
        bars_err("timestamp,open,high,low,volume\n2024-01-02,1,2,0.5,10\n"),
        r#"data/x.csv: no "close" column in the header "timestamp,open,high,low,volume""#
    );
}

#[test]
fn empty_and_header_only_files() {
    assert_eq!(bars_err(""), "data/x.csv is empty");
    assert_eq!(bars_err("\n\n  \n"), "data/x.csv is empty");
    assert_eq!(bars_err(HEAD), "data/x.csv has a header but no rows");
}

#[test]
fn short_rows_and_unknown_layouts() {
    assert_eq!(
        bars_err(&format!("{HEAD}2024-01-02T00:00:00Z,1,2\n")),
        "data/x.csv line 2: 3 fields, expected at least 6"
    );
    let e = bars_err("2024-01-02,1,2\n");
    assert!(
        e.starts_with("data/x.csv: unrecognised format: line 1 is data"),
        "{e}"
    );
    let e = read_trades_from("2024-01-02,1,2\n".as_bytes(), "t.csv")
        .unwrap_err()
        .to_string();
    assert!(e.contains("unrecognised format"), "{e}");
}

#[test]
fn io_errors_name_the_path() {
    let e = read_bars("no/such/file.csv").unwrap_err();
    assert!(matches!(e, HistoryError::Io { .. }));
    assert!(e.to_string().starts_with("no/such/file.csv: "), "{e}");
}

#[test]
fn trade_errors() {
    let head = "timestamp,trade_id,price,quantity,side\n";
    let err = |body: &str| {
        read_trades_from(format!("{head}{body}").as_bytes(), "t.csv")
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        err("2021-01-08T00:00:00Z,1,0,1,buy\n"),
        "t.csv line 2: price 0 must be greater than zero"
    );
    assert_eq!(
        err("2021-01-08T00:00:00Z,1,5,1,hold\n"),
        r#"t.csv line 2, column "side": "hold" is not a side (buy or sell)"#
    );
    assert_eq!(
        err("2021-01-08T00:00:01Z,1,5,1,buy\n2021-01-08T00:00:00Z,2,5,1,buy\n"),
        "t.csv line 3: timestamp 2021-01-08T00:00:00Z is earlier than line 2's \
         2021-01-08T00:00:01Z (rows must be in time order)"
    );
    // Equal timestamps are normal for trades.
    let ok = read_trades_from(
        format!("{head}2021-01-08T00:00:00Z,1,5,1,buy\n2021-01-08T00:00:00Z,2,5,1,sell\n")
            .as_bytes(),
        "t.csv",
    )
    .unwrap();
    assert_eq!(ok.trades.len(), 2);
}

#[test]
fn unterminated_quote_is_an_error_not_a_panic() {
    let _ = read_bars_from(
        format!("{HEAD}\"2024-01-02,1,2,0.5,1.5,10\n").as_bytes(),
        "q.csv",
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = read_bars_from(bytes.as_slice(), "x.csv");
        let _ = read_trades_from(bytes.as_slice(), "x.csv");
        let _ = ploutos_store::history::detect_kind_from(bytes.as_slice(), "x.csv");
    }

    #[test]
    fn arbitrary_lines_never_panic(
        header in prop::sample::select(vec![
            "timestamp,open,high,low,close,volume",
            "Date,Open,High,Low,Close,Adj Close,Volume",
            "timestamp,open,high,low,close,volume,trades,vwap",
            "timestamp,trade_id,price,quantity,side",
            "",
        ]),
        lines in proptest::collection::vec("[0-9TZ:.,;\"eE+-]{0,60}", 0..8),
    ) {
        let text = format!("{header}\n{}", lines.join("\n"));
        let _ = read_bars_from(text.as_bytes(), "x.csv");
        let _ = read_trades_from(text.as_bytes(), "x.csv");
    }
}
