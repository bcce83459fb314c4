use super::*;
// The fact sheet's kline sample has open below low; ours uses low 0.0005 so that it is a bar.
use proptest::prelude::*;
use rust_decimal_macros::dec;

const KLINE: &str = r#"{"e":"kline","E":1672515782136,"s":"BNBBTC","k":{"t":1672515780000,"T":1672515839999,"s":"BNBBTC","i":"1m","f":100,"L":200,"o":"0.0010","c":"0.0020","h":"0.0025","l":"0.0005","v":"1000","n":100,"x":false,"q":"1.0000","V":"500","Q":"0.500","B":"123456"}}"#;
const TRADE: &str = r#"{"e":"trade","E":1,"s":"BNBBTC","t":12345,"p":"0.001","q":"100","T":1672515782136,"m":true,"M":true}"#;
const AGG: &str = r#"{"e":"aggTrade","E":1,"s":"BNBBTC","a":12345,"p":"0.001","q":"100","f":100,"l":105,"T":1672515782136,"m":true,"M":true}"#;
const BOOK: &str = r#"{"u":400900217,"s":"BNBUSDT","b":"25.35190000","B":"31.21000000","a":"25.36520000","A":"40.66000000"}"#;
const EXEC: &str = r#"{"e":"executionReport","E":1499405658658,"s":"ETHBTC","c":"mUvoqJxFIILMdfAW5iGSOW","S":"BUY","o":"LIMIT","f":"GTC","q":"1.00000000","p":"0.10264410","P":"0.00000000","F":"0.00000000","g":-1,"C":"","x":"NEW","X":"NEW","r":"NONE","i":4293153,"l":"0.00000000","z":"0.00000000","L":"0.00000000","n":"0","N":null,"T":1499405658657,"t":-1,"I":8641984,"w":true,"m":false,"M":false,"O":1499405658657,"Z":"0.00000000","Y":"0.00000000","Q":"0.00000000","W":1499405658657,"V":"NONE"}"#;
const KLINES: &str = r#"[[1499040000000,"0.01634790","0.80000000","0.01575800","0.01577100","148976.11427815",1499644799999,"2434.19055334",308,"1756.87402397","28.46694368","0"]]"#;
const FULL: &str = r#"{"symbol":"BTCUSDT","orderId":28,"orderListId":-1,"clientOrderId":"6gCrw2kRUAF9CvJDGP16IP","transactTime":1507725176595,"price":"0.00000000","origQty":"10.00000000","executedQty":"10.00000000","origQuoteOrderQty":"0.000000","cummulativeQuoteQty":"10.00000000","status":"FILLED","timeInForce":"GTC","type":"MARKET","side":"SELL","workingTime":1507725176595,"selfTradePreventionMode":"NONE","fills":[{"price":"4000.00000000","qty":"1.00000000","commission":"4.00000000","commissionAsset":"USDT","tradeId":56},{"price":"3999.00000000","qty":"5.00000000","commission":"19.99500000","commissionAsset":"USDT","tradeId":57}]}"#;
const INFO: &str = r#"{"timezone":"UTC","serverTime":1,"rateLimits":[{"rateLimitType":"REQUEST_WEIGHT","interval":"MINUTE","intervalNum":1,"limit":6000},{"rateLimitType":"ORDERS","interval":"SECOND","intervalNum":10,"limit":100}],"exchangeFilters":[],"symbols":[{"symbol":"ETHBTC","status":"TRADING","baseAsset":"ETH","baseAssetPrecision":8,"quoteAsset":"BTC","quoteAssetPrecision":8,"orderTypes":["LIMIT"],"filters":[{"filterType":"PRICE_FILTER","minPrice":"0.00000100","maxPrice":"100000.00000000","tickSize":"0.00000100"},{"filterType":"LOT_SIZE","minQty":"0.00100000","maxQty":"100000.00000000","stepSize":"0.00100000"},{"filterType":"MARKET_LOT_SIZE","minQty":"0.00100000","maxQty":"100000.00000000","stepSize":"0.00100000"},{"filterType":"NOTIONAL","minNotional":"10.00000000","applyMinToMarket":false,"maxNotional":"10000.00000000","applyMaxToMarket":false,"avgPriceMins":5},{"filterType":"PERCENT_PRICE_BY_SIDE","bidMultiplierUp":"1.2","bidMultiplierDown":"0.2","askMultiplierUp":"5","askMultiplierDown":"0.8","avgPriceMins":1}]}]}"#;

#[test]
fn kline_raw_and_combined() {
    let StreamFrame::Kline(k) = parse_stream_frame(KLINE).unwrap() else {
        panic!("not a kline")
    };
    assert_eq!(k.kline.open_time, 1672515780000);
    assert!(!k.kline.closed);
    assert_eq!(k.kline.to_bar(KLINE).unwrap().close(), 0.002);
    let combined = format!(r#"{{"stream":"bnbbtc@kline_1m","data":{KLINE}}}"#);
    assert_eq!(
        parse_stream_frame(&combined).unwrap(),
        StreamFrame::Kline(k)
    );
}

#[test]
fn other_market_payloads() {
    let StreamFrame::Trade(t) = parse_stream_frame(TRADE).unwrap() else {
        panic!()
    };
    let trade = t.to_trade(TRADE).unwrap();
    assert_eq!(trade.id(), Some(12345));
    assert_eq!(trade.aggressor(), Some(ploutos_core::Side::Sell));
    assert!(matches!(parse_stream_frame(AGG).unwrap(), StreamFrame::AggTrade(a) if a.id == 12345));
    assert!(
        matches!(parse_stream_frame(BOOK).unwrap(), StreamFrame::BookTicker(b) if b.ask == 25.3652)
    );
    assert_eq!(
        parse_stream_frame(r#"{"result":null,"id":1}"#).unwrap(),
        StreamFrame::Response {
            id: Value::from(1),
            result: Value::Null
        }
    );
    assert!(matches!(
        parse_stream_frame(r#"{"code":2,"msg":"Invalid request: unknown variant"}"#).unwrap(),
        StreamFrame::Error { code: 2, .. }
    ));
    assert_eq!(
        parse_stream_frame(
            r#"{"stream":"!serverShutdown","data":{"e":"serverShutdown","E":1770123456789}}"#
        )
        .unwrap(),
        StreamFrame::ServerShutdown
    );
    assert_eq!(
        parse_stream_frame(r#"{"e":"depthUpdate"}"#).unwrap(),
        StreamFrame::Other("depthUpdate".into())
    );
}

#[test]
fn missing_fields_are_protocol_errors_quoting_the_message() {
    let bad = KLINE.replace(r#""t":1672515780000,"#, "");
    let e = parse_stream_frame(&bad).unwrap_err();
    assert!(matches!(e, VenueError::Protocol { .. }));
    assert!(e.to_string().contains("kline"), "{e}");
    let bad = KLINE.replace(r#""o":"0.0010""#, r#""o":"abc""#);
    assert!(parse_stream_frame(&bad)
        .unwrap_err()
        .to_string()
        .contains("abc"));
    // High below low is not a bar.
    let bad = KLINE.replace(r#""h":"0.0025""#, r#""h":"0.0001""#);
    let StreamFrame::Kline(k) = parse_stream_frame(&bad).unwrap() else {
        panic!()
    };
    assert!(k.kline.to_bar(&bad).is_err());
    assert!(parse_stream_frame("[1,2]").is_err());
    assert!(parse_stream_frame(r#"{"hello":1}"#).is_err());
}

#[test]
fn rest_klines_rows() {
    let rows = parse_klines(KLINES).unwrap();
    assert_eq!(rows[0].open_time, 1499040000000);
    assert_eq!(rows[0].close_time, 1499644799999);
    assert_eq!(rows[0].trades, 308);
    assert_eq!(rows[0].to_bar(KLINES).unwrap().high(), 0.8);
    assert!(parse_klines(r#"[[1499040000000,"0.1"]]"#).is_err());
    assert!(parse_klines(r#"[[1499040000000,1,"1","1","1","1",1,"1",3,"1","1","0"]]"#).is_err());
}

#[test]
fn exchange_info_filters() {
    let f = parse_exchange_info(INFO).unwrap();
    let r = f.get("ETHBTC").unwrap();
    assert_eq!(r.tick_size, dec!(0.000001));
    assert_eq!(r.step_size, dec!(0.001));
    assert_eq!(r.min_qty, dec!(0.001));
    assert_eq!(r.min_notional, dec!(10));
    assert_eq!(r.max_notional, dec!(10000));
    assert!(!r.min_notional_market);
    assert_eq!(r.market_lot, Some((dec!(0.001), dec!(100000), dec!(0.001))));
    assert_eq!(r.quote_asset, "BTC");
    assert_eq!(f.weight_per_minute(), Some(6000));
    let legacy = INFO.replace(
        r#"{"filterType":"NOTIONAL","minNotional":"10.00000000","applyMinToMarket":false,"maxNotional":"10000.00000000","applyMaxToMarket":false,"avgPriceMins":5}"#,
        r#"{"filterType":"MIN_NOTIONAL","minNotional":"5.0","applyToMarket":true,"avgPriceMins":5}"#,
    );
    let r = parse_exchange_info(&legacy)
        .unwrap()
        .get("ETHBTC")
        .cloned()
        .unwrap();
    assert_eq!((r.min_notional, r.min_notional_market), (dec!(5), true));
    let broken = INFO.replace(r#""tickSize":"0.00000100""#, r#""tickSize":1"#);
    assert!(parse_exchange_info(&broken)
        .unwrap_err()
        .to_string()
        .contains("tickSize"));
}

#[test]
fn order_responses_ack_result_full() {
    let o = parse_order(FULL).unwrap();
    assert_eq!(o.cumulative_quote_qty, Some(dec!(10)));
    assert_eq!(o.fills.len(), 2);
    assert_eq!(o.fills[1].trade_id, 57);
    let ack = parse_order(r#"{"symbol":"BTCUSDT","orderId":28,"orderListId":-1,"clientOrderId":"x","transactTime":1507725176595}"#).unwrap();
    assert_eq!(ack.status, None);
    assert!(parse_order(r#"{"symbol":"BTCUSDT","clientOrderId":"x"}"#).is_err());
    assert_eq!(
        parse_api_error(r#"{"code":-1121,"msg":"Invalid symbol."}"#),
        Some(ApiError {
            code: -1121,
            msg: "Invalid symbol.".into()
        })
    );
    let acct = parse_account(r#"{"makerCommission":15,"balances":[{"asset":"BTC","free":"4723846.89208129","locked":"0.00000000"}],"permissions":["SPOT"]}"#).unwrap();
    assert_eq!(acct.balances[0].free, dec!(4723846.89208129));
}

#[test]
fn execution_reports_bare_and_wrapped() {
    let ApiFrame::Execution(r) = parse_api_frame(EXEC).unwrap() else {
        panic!()
    };
    assert_eq!(r.client_order_id, "mUvoqJxFIILMdfAW5iGSOW");
    assert_eq!(r.trade_id, -1);
    assert_eq!(r.commission, dec!(0));
    let wrapped = format!(r#"{{"subscriptionId":0,"event":{EXEC}}}"#);
    assert_eq!(parse_api_frame(&wrapped).unwrap(), ApiFrame::Execution(r));
    let resp = parse_api_frame(r#"{"id":"1","status":200,"result":{"subscriptionId":0}}"#).unwrap();
    assert!(matches!(
        resp,
        ApiFrame::Response {
            status: 200,
            error: None,
            ..
        }
    ));
    let err = parse_api_frame(r#"{"id":"1","status":400,"error":{"code":-1022,"msg":"Signature for this request is not valid."}}"#).unwrap();
    assert!(matches!(
        err,
        ApiFrame::Response {
            error: Some(ApiError { code: -1022, .. }),
            ..
        }
    ));
    assert!(parse_api_frame(r#"{"id":"1","status":400}"#).is_err());
    assert_eq!(
        parse_api_frame(r#"{"subscriptionId":0,"event":{"e":"outboundAccountPosition","B":[]}}"#)
            .unwrap(),
        ApiFrame::Other("outboundAccountPosition".into())
    );
    assert!(parse_api_frame(&EXEC.replace(r#""X":"NEW","#, "")).is_err());
}

/// Mutations of a valid message: truncation, a byte replaced, a field deleted.
fn mutated(base: &'static str) -> impl Strategy<Value = String> {
    (0..base.len(), any::<u8>(), 0usize..3).prop_map(move |(i, b, how)| {
        let mut bytes = base.as_bytes().to_vec();
        match how {
            0 => bytes.truncate(i),
            1 => bytes[i] = b,
            _ => {
                bytes.remove(i);
            }
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

fn all_parsers(s: &str) {
    let _ = parse_stream_frame(s).map(|f| {
        if let StreamFrame::Kline(k) = f {
            let _ = k.kline.to_bar(s);
        }
    });
    if let Ok(rows) = parse_klines(s) {
        for r in rows {
            let _ = r.to_bar(s);
        }
    }
    let _ = parse_exchange_info(s);
    let _ = parse_order(s);
    let _ = parse_orders(s);
    let _ = parse_order_list(s);
    let _ = parse_account(s);
    let _ = parse_api_frame(s);
    let _ = parse_api_error(s);
}

proptest! {
    #[test]
    fn no_string_makes_a_parser_panic(s in ".{0,300}") {
        all_parsers(&s);
    }

    #[test]
    fn no_bytes_make_a_parser_panic(b in proptest::collection::vec(any::<u8>(), 0..300)) {
        all_parsers(&String::from_utf8_lossy(&b));
    }

    #[test]
    fn mutated_messages_never_panic(
        k in mutated(KLINE), t in mutated(TRADE), e in mutated(EXEC), r in mutated(KLINES),
        f in mutated(FULL), i in mutated(INFO), b in mutated(BOOK),
    ) {
        for s in [k, t, e, r, f, i, b] {
            all_parsers(&s);
        }
    }
}
