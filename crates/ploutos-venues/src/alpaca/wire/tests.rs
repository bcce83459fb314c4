use super::*;
use proptest::prelude::*;

const FRAME: &str = r#"[{"T":"b","S":"SPY","o":388.985,"h":389.13,"l":388.975,"c":389.12,"v":49378,"n":461,"vw":389.062639,"t":"2021-02-22T19:15:00Z"},{"T":"t","i":96921,"S":"AAPL","x":"D","p":126.55,"s":1,"t":"2021-02-22T15:51:44.208Z","c":["@","I"],"z":"C"},{"T":"q","S":"AMD","bx":"U","bp":87.66,"bs":1,"ax":"Q","ap":87.68,"as":4,"t":"2021-02-22T15:51:45.335689322Z","c":["R"],"z":"C"},{"T":"zz","x":1},{"T":"u","S":"SPY","o":388.985,"h":389.2,"l":388.975,"c":389.12,"v":49400,"t":"2021-02-22T19:15:00Z"}]"#;

const ORDER: &str = r#"{"id":"61e69015-8549-4bfd-b9c3-01e75843f47d","client_order_id":"eb9e2aaa-f71a-4f51-b5b4-52a6c565dad4","created_at":"2021-03-16T18:38:01.942282Z","updated_at":"2021-03-16T18:38:01.942282Z","submitted_at":"2021-03-16T18:38:01.937734Z","filled_at":null,"expired_at":null,"canceled_at":null,"failed_at":null,"replaced_at":null,"replaced_by":null,"replaces":null,"asset_id":"b0b6dd9d-8b9b-48a9-ba46-b9d54906e415","symbol":"AAPL","asset_class":"us_equity","notional":"500","qty":null,"filled_qty":"0","filled_avg_price":null,"order_class":"","order_type":"market","type":"market","side":"buy","time_in_force":"day","limit_price":null,"stop_price":null,"status":"accepted","extended_hours":false,"legs":null,"trail_percent":null,"trail_price":null,"hwm":null}"#;

const FILL: &str = r#"{"stream":"trade_updates","data":{"event":"fill","execution_id":"2f63ea93-423d-4169-b3f6-3fdafc10c418","order":{"id":"a5be8f5e-fdfa-41f5-a644-7a74fe947a8f","client_order_id":"4642fd68-d59a-47d7-a9ac-e22f536828d1","symbol":"SOLUSD","side":"sell","type":"market","qty":"1790.86","filled_qty":"1790.86","filled_avg_price":"105.8988475","status":"filled","time_in_force":"gtc"},"position_qty":"0","price":"105.8988475","qty":"1790.86","timestamp":"2022-04-19T17:45:05.024916716Z"}}"#;

const ACCOUNT: &str = r#"{"id":"e6fe16f3-64a4-4921-8928-cadf02f92f98","account_number":"010203ABCD","status":"ACTIVE","currency":"USD","cash":"-23140.2","portfolio_value":"103820.56","equity":"103820.56","buying_power":"262113.632","daytrade_count":"0","pattern_day_trader":false,"shorting_enabled":true,"trading_blocked":false,"transfers_blocked":false,"account_blocked":false,"trade_suspended_by_user":false,"created_at":"2019-06-12T22:47:07.99658Z"}"#;

#[test]
fn parses_a_batched_frame_and_ignores_unknown_types() {
    let msgs = parse_data_frame(FRAME).unwrap();
    assert_eq!(msgs.len(), 5);
    match &msgs[0] {
        DataMessage::Bar { kind, symbol, bar } => {
            assert_eq!(*kind, BarKind::Minute);
            assert_eq!(symbol.as_str(), "SPY");
            assert_eq!(
                bar.time(),
                Timestamp::parse("2021-02-22T19:15:00Z").unwrap()
            );
            assert_eq!(bar.close(), 389.12);
            assert_eq!(bar.trades(), Some(461));
        }
        other => panic!("{other:?}"),
    }
    assert!(
        matches!(&msgs[1], DataMessage::Trade { trade, .. } if trade.price() == 126.55 && trade.id() == Some(96921))
    );
    match &msgs[2] {
        DataMessage::Quote { time, bid, ask, .. } => {
            assert_eq!((*bid, *ask), (87.66, 87.68));
            assert_eq!(time.as_nanos() % 1_000_000_000, 335_689_322);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(msgs[3], DataMessage::Ignored("zz".into()));
    assert!(matches!(
        &msgs[4],
        DataMessage::Bar {
            kind: BarKind::Updated,
            ..
        }
    ));
}

#[test]
fn parses_control_messages() {
    assert_eq!(
        parse_data_frame(r#"[{"T":"success","msg":"connected"}]"#).unwrap(),
        vec![DataMessage::Success("connected".into())]
    );
    for code in [
        400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 500,
    ] {
        let text = format!(r#"[{{"T":"error","code":{code},"msg":"x"}}]"#);
        assert_eq!(
            parse_data_frame(&text).unwrap(),
            vec![DataMessage::Error {
                code,
                msg: "x".into()
            }]
        );
    }
    let short = r#"[{"T":"subscription","trades":[],"quotes":["FAKEPACA"],"bars":["FAKEPACA"]}]"#;
    match &parse_data_frame(short).unwrap()[0] {
        DataMessage::Subscription(s) => {
            assert_eq!(s.bars, vec!["FAKEPACA".to_string()]);
            assert!(s.updated_bars.is_empty());
        }
        other => panic!("{other:?}"),
    }
    let full = r#"[{"T":"subscription","trades":["AAPL"],"quotes":["AMD","CLDR"],"bars":["*"],"updatedBars":[],"dailyBars":[],"statuses":[],"lulds":[],"corrections":["AAPL"],"cancelErrors":["AAPL"]}]"#;
    match &parse_data_frame(full).unwrap()[0] {
        DataMessage::Subscription(s) => assert_eq!(s.cancel_errors, vec!["AAPL".to_string()]),
        other => panic!("{other:?}"),
    }
}

#[test]
fn missing_fields_and_bad_values_are_protocol_errors_quoting_the_text() {
    let e = parse_data_frame(
        r#"[{"T":"b","S":"SPY","o":1,"h":2,"l":0.5,"c":1.5,"t":"2021-02-22T19:15:00Z"}]"#,
    )
    .unwrap_err();
    let s = e.to_string();
    assert!(s.contains("missing field `v`") && s.contains("SPY"), "{s}");
    let e = parse_data_frame(
        r#"[{"T":"b","S":"SPY","o":1,"h":0.5,"l":2,"c":1.5,"v":1,"t":"2021-02-22T19:15:00Z"}]"#,
    )
    .unwrap_err();
    assert!(matches!(e, VenueError::Protocol { .. }), "{e}");
    let e = parse_data_frame(
        r#"[{"T":"b","S":"SPY","o":1,"h":2,"l":0.5,"c":1.5,"v":1,"t":"yesterday"}]"#,
    )
    .unwrap_err();
    assert!(e.to_string().contains("yesterday"), "{e}");
    assert!(parse_data_frame(r#"{"T":"success"}"#).is_err());
    assert!(parse_data_frame(r#"[{"msg":"connected"}]"#).is_err());
}

#[test]
fn parses_bars_pages_in_both_shapes() {
    let multi = r#"{"bars":{"AAPL":[{"t":"2022-01-03T09:00:00Z","o":178.26,"h":178.26,"l":178.21,"c":178.21,"v":1118,"n":65,"vw":178.235733}],"TSLA":[]},"next_page_token":"QUFQTHxNfDIwMjI="}"#;
    let p = parse_bars_page(multi, None).unwrap();
    assert_eq!(p.bars.len(), 2);
    assert_eq!(p.bars[0].0.as_str(), "AAPL");
    assert_eq!(p.bars[0].1[0].vwap(), Some(178.235733));
    assert_eq!(p.next_page_token.as_deref(), Some("QUFQTHxNfDIwMjI="));
    let single = r#"{"bars":[{"t":"2022-01-03T09:00:00Z","o":1,"h":1,"l":1,"c":1,"v":1,"n":1,"vw":1}],"symbol":"AAPL","next_page_token":null}"#;
    let p = parse_bars_page(single, None).unwrap();
    assert_eq!(p.bars[0].0.as_str(), "AAPL");
    assert_eq!(p.next_page_token, None);
    let empty = parse_bars_page(r#"{"bars":null,"next_page_token":null}"#, None).unwrap();
    assert!(empty.bars.is_empty());
    assert!(parse_bars_page(r#"{"bars":[{"t":"2022-01-03T09:00:00Z"}]}"#, Some("X")).is_err());
    assert!(parse_bars_page(r#"{"bars":7}"#, None).is_err());
}

#[test]
fn parses_account_order_position_clock_calendar() {
    let a: Account = parse_json("account", ACCOUNT).unwrap();
    assert_eq!(a.cash, Decimal::new(-231402, 1));
    assert!(a.check_can_trade().is_ok());
    let blocked = Account {
        trading_blocked: true,
        ..a.clone()
    };
    assert!(blocked
        .check_can_trade()
        .unwrap_err()
        .to_string()
        .contains("trading_blocked"));
    let onboarding = Account {
        status: "ONBOARDING".into(),
        ..a
    };
    assert!(onboarding
        .check_can_trade()
        .unwrap_err()
        .to_string()
        .contains("ONBOARDING"));

    let o: AlpacaOrder = parse_json("order", ORDER).unwrap();
    assert_eq!(o.kind.as_deref(), Some("market"));
    assert_eq!(o.notional, Some(Decimal::new(500, 0)));
    let v = o.to_venue_order().unwrap();
    assert_eq!(v.status, OrderStatus::Accepted);
    assert_eq!(v.side, Side::Buy);
    assert_eq!(v.quantity, None);

    let p: AlpacaPosition = parse_json(
        "position",
        r#"{"asset_id":"x","symbol":"AAPL","exchange":"NASDAQ","avg_entry_price":"100.0","qty":"-5","side":"short","market_value":"600.0"}"#,
    )
    .unwrap();
    assert_eq!(p.to_venue_position().unwrap().quantity, Decimal::new(-5, 0));

    let c = parse_clock(r#"{"timestamp":"2022-04-28T14:07:04.451420928-04:00","is_open":true,"next_open":"2022-04-29T09:30:00-04:00","next_close":"2022-04-28T16:00:00-04:00"}"#).unwrap();
    assert!(c.is_open);
    assert_eq!(
        c.next_close,
        Timestamp::parse("2022-04-28T20:00:00Z").unwrap()
    );
    assert_eq!(c.time.as_nanos() % 1_000_000_000, 451_420_928);

    let cal = parse_calendar(r#"[{"date":"2018-01-03","open":"09:30","close":"16:00","session_open":"0400"},{"date":"2018-11-23","open":"09:30","close":"13:00"}]"#).unwrap();
    assert!(!cal[0].is_early_close());
    assert!(cal[1].is_early_close());
    assert!(parse_calendar(r#"[{"date":"2018-01-03","open":"9h30","close":"16:00"}]"#).is_err());
}

#[test]
fn parses_error_bodies_and_multi_status() {
    let e = parse_error_body(r#"{"code":40310000,"message":"insufficient buying power"}"#);
    assert_eq!(e.code, Some(40310000));
    assert_eq!(
        parse_error_body(r#"{"message":"unauthorized"}"#).text(),
        "unauthorized"
    );
    assert_eq!(parse_error_body("Bad Gateway").text(), "Bad Gateway");
    let body = format!(
        r#"[{{"symbol":"AAPL","status":200,"body":{ORDER}}},{{"symbol":"TSLA","status":403,"body":{{"code":40310000,"message":"insufficient qty available","available":"0"}}}}]"#
    );
    let m = parse_multi_status(&body).unwrap();
    assert_eq!(m[0].key, "AAPL");
    assert!(m[0].order.is_some());
    assert_eq!(m[1].status, 403);
    assert_eq!(m[1].error.as_ref().and_then(|e| e.code), Some(40310000));
}

#[test]
fn parses_trade_stream_messages() {
    assert_eq!(
        parse_trade_message(
            r#"{"stream":"authorization","data":{"status":"authorized","action":"authenticate"}}"#
        )
        .unwrap(),
        TradeStreamMessage::Authorization {
            status: "authorized".into(),
            action: "authenticate".into()
        }
    );
    assert_eq!(
        parse_trade_message(r#"{"stream":"listening","data":{"streams":["trade_updates"]}}"#)
            .unwrap(),
        TradeStreamMessage::Listening(vec!["trade_updates".into()])
    );
    let TradeStreamMessage::Update(u) = parse_trade_message(FILL).unwrap() else {
        panic!()
    };
    let (id, ev) = u.to_order_event().unwrap().unwrap();
    assert_eq!(id.as_str(), "4642fd68-d59a-47d7-a9ac-e22f536828d1");
    match ev {
        OrderEvent::Filled(f) => {
            assert_eq!(&*f.id, "2f63ea93-423d-4169-b3f6-3fdafc10c418");
            assert_eq!(f.quantity, Decimal::new(179086, 2));
            assert_eq!(f.leaves, Decimal::ZERO);
        }
        other => panic!("{other:?}"),
    }
    // A partial fill without execution id: id from order id + cumulative qty; leaves from the order.
    let partial = FILL
        .replace(
            r#""event":"fill","execution_id":"2f63ea93-423d-4169-b3f6-3fdafc10c418","#,
            r#""event":"partial_fill","#,
        )
        .replace(
            r#""qty":"1790.86","filled_qty":"1790.86""#,
            r#""qty":"10","filled_qty":"4""#,
        );
    let TradeStreamMessage::Update(u) = parse_trade_message(&partial).unwrap() else {
        panic!()
    };
    let Some((_, OrderEvent::Filled(f))) = u.to_order_event().unwrap() else {
        panic!()
    };
    assert_eq!(f.leaves, Decimal::new(6, 0));
    assert_eq!(&*f.id, "a5be8f5e-fdfa-41f5-a644-7a74fe947a8f-4");
    for (event, name) in [
        ("new", "accepted"),
        ("canceled", "cancel"),
        ("expired", "expiry"),
        ("done_for_day", "expiry"),
        ("rejected", "rejected"),
    ] {
        let text = FILL.replace(r#""event":"fill""#, &format!(r#""event":"{event}""#));
        let TradeStreamMessage::Update(u) = parse_trade_message(&text).unwrap() else {
            panic!()
        };
        assert_eq!(
            u.to_order_event().unwrap().unwrap().1.name(),
            name,
            "{event}"
        );
    }
    let no_price = FILL.replace(r#""price":"105.8988475","#, "");
    let TradeStreamMessage::Update(u) = parse_trade_message(&no_price).unwrap() else {
        panic!()
    };
    assert!(u
        .to_order_event()
        .unwrap_err()
        .to_string()
        .contains("missing price"));
}

/// Every parser, fed anything: `Ok` or `Err`, never a panic.
fn all_parsers(s: &str) {
    let _ = parse_data_frame(s);
    let _ = parse_bars_page(s, Some("AAPL"));
    let _ = parse_error_body(s);
    let _ = parse_json::<Account>("account", s);
    let _ = parse_json::<AlpacaOrder>("order", s).map(|o| o.to_venue_order());
    let _ = parse_json::<AlpacaPosition>("position", s).map(|p| p.to_venue_position());
    let _ = parse_clock(s);
    let _ = parse_calendar(s);
    let _ = parse_multi_status(s);
    if let Ok(TradeStreamMessage::Update(u)) = parse_trade_message(s) {
        let _ = u.to_order_event();
    }
}

fn mutate(base: &str, at: usize, cut: usize, insert: &str) -> String {
    let chars: Vec<char> = base.chars().collect();
    let at = at % (chars.len() + 1);
    let end = (at + cut).min(chars.len());
    let mut s: String = chars[..at].iter().collect();
    s.push_str(insert);
    s.extend(&chars[end..]);
    s
}

proptest! {
    #[test]
    fn no_input_panics(s in ".{0,300}") {
        all_parsers(&s);
    }

    #[test]
    fn no_bytes_panic(b in proptest::collection::vec(any::<u8>(), 0..300)) {
        all_parsers(&String::from_utf8_lossy(&b));
    }

    #[test]
    fn mutated_valid_messages_never_panic(
        which in 0usize..5,
        at in 0usize..2000,
        cut in 0usize..20,
        insert in prop::sample::select(vec!["", "\"", "null", "-1", "1e999", "[", "}", "\"x\"", "99999999999999999999999", "\"2021-13-45T99:00:00Z\"", "{}", "-0.0"]),
    ) {
        let base = [FRAME, ORDER, FILL, ACCOUNT, r#"{"bars":{"AAPL":[{"t":"2022-01-03T09:00:00Z","o":1,"h":1,"l":1,"c":1,"v":1,"n":1,"vw":1}]},"next_page_token":null}"#][which];
        all_parsers(&mutate(base, at, cut, insert));
    }
}
