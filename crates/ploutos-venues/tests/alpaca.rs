//! The Alpaca client against the Alpaca fake, on loopback: stream handshake and errors,
//! keep-alive, REST paging and rate limits, orders and the trade-updates stream.

use std::time::Duration;

use ploutos_core::order::{
    ClientOrderId, Contingency, OrderEvent, OrderKind, OrderRequest, OrderSize, TimeInForce,
};
use ploutos_core::{Side, Symbol, Timeframe, Timestamp};
use ploutos_fakes::alpaca::{FakeAlpaca, FakeAlpacaConfig};
use ploutos_venues::alpaca::{Alpaca, AlpacaConfig, ClosePosition, ReplaceRequest};
use ploutos_venues::live::{
    BarSession, BarVenue, Execution, StreamEvent, Subscription, UpdateSession,
};
use ploutos_venues::VenueError;
use rust_decimal_macros::dec;

/// Upper bound for any single wait in these tests (a hang fails instead of blocking).
const LIMIT: Duration = Duration::from_secs(5);

fn client_cfg(fake: &FakeAlpaca, feed: &str) -> AlpacaConfig {
    let mut c = AlpacaConfig::paper();
    c.data_ws_url = fake.data_ws_url(feed);
    c.data_url = fake.data_url();
    c.trading_url = fake.trading_url();
    c.trading_ws_url = fake.trading_ws_url();
    c.key_id = Some(fake.config().key_id.clone());
    c.secret_key = Some(fake.config().secret_key.clone());
    c.request_timeout = Duration::from_secs(2);
    c.idle_timeout = Duration::from_millis(400);
    c.ping_interval = Duration::from_millis(100);
    c.auth_retry_step = Duration::from_millis(20);
    c.auth_retry_cap = Duration::from_millis(100);
    c.max_auth_attempts = 50;
    c.retry_base = Duration::from_millis(20);
    c.max_rate_wait = Duration::from_secs(3);
    c
}

async fn start(cfg: FakeAlpacaConfig) -> (FakeAlpaca, Alpaca) {
    let fake = FakeAlpaca::start(cfg).await.expect("fake starts");
    let client = Alpaca::new(client_cfg(&fake, "iex")).expect("client");
    (fake, client)
}

fn sym(s: &str) -> Symbol {
    Symbol::new(s).unwrap()
}

fn sub(symbols: &[&str], trades: bool) -> Subscription {
    Subscription {
        symbols: symbols.iter().map(|s| sym(s)).collect(),
        timeframe: Timeframe::M1,
        trades,
    }
}

async fn next(s: &mut impl BarSession) -> Result<Option<StreamEvent>, VenueError> {
    tokio::time::timeout(LIMIT, s.next_event())
        .await
        .expect("an event or an error in time")
}

fn series_start() -> Timestamp {
    Timestamp::parse("2024-01-02T14:30:00Z").unwrap()
}

#[tokio::test]
async fn handshake_subscribe_and_batched_bars_match_the_series() {
    let (fake, _) = start(FakeAlpacaConfig::default()).await;
    let mut cfg = client_cfg(&fake, "iex");
    cfg.quotes = true;
    let client = Alpaca::new(cfg).unwrap();
    let mut s = client.connect(&sub(&["AAPL", "MSFT"], true)).await.unwrap();
    let (mut bars, mut trades, mut quotes, mut forming) = (Vec::new(), 0, 0, 0);
    while bars.len() < 12 || forming == 0 {
        match next(&mut s).await.unwrap().expect("no close") {
            StreamEvent::Bar {
                symbol,
                timeframe,
                bar,
            } => {
                assert_eq!(timeframe, Timeframe::M1);
                bars.push((symbol, bar));
            }
            StreamEvent::Trade { .. } => trades += 1,
            StreamEvent::Quote { .. } => quotes += 1,
            StreamEvent::Forming { .. } => forming += 1,
        }
    }
    assert!(trades > 0 && quotes > 0, "trades {trades} quotes {quotes}");
    for name in ["AAPL", "MSFT"] {
        let got: Vec<_> = bars
            .iter()
            .filter(|(s, _)| s.as_str() == name)
            .map(|(_, b)| b)
            .collect();
        assert!(!got.is_empty(), "{name}");
        let published = fake.published_bars(name);
        for b in &got {
            let want = published
                .iter()
                .find(|p| Timestamp::from_datetime(p.time) == Some(b.time()))
                .expect("the streamed bar is a published bar");
            assert_eq!(
                (b.open(), b.high(), b.low(), b.close()),
                (want.open, want.high, want.low, want.close)
            );
            assert_eq!(b.volume(), want.volume as f64);
        }
        assert!(
            got.windows(2).all(|w| w[0].time() < w[1].time()),
            "{name}: in order, no duplicates"
        );
    }
}

#[tokio::test]
async fn wrong_keys_are_an_auth_error() {
    let (fake, _) = start(FakeAlpacaConfig::default()).await;
    let mut cfg = client_cfg(&fake, "iex");
    cfg.secret_key = Some("wrong".into());
    let e = Alpaca::new(cfg)
        .unwrap()
        .connect(&sub(&["AAPL"], false))
        .await
        .err()
        .unwrap();
    assert!(matches!(e, VenueError::Auth { .. }) && e.is_fatal(), "{e}");
    assert_eq!(fake.stream_errors(), vec![402]);
}

#[tokio::test]
async fn header_auth_works() {
    let (fake, _) = start(FakeAlpacaConfig::default()).await;
    let mut cfg = client_cfg(&fake, "iex");
    cfg.header_auth = true;
    let mut s = Alpaca::new(cfg)
        .unwrap()
        .connect(&sub(&["AAPL"], false))
        .await
        .unwrap();
    assert!(matches!(
        next(&mut s).await.unwrap(),
        Some(StreamEvent::Bar { .. } | StreamEvent::Forming { .. })
    ));
}

#[tokio::test]
async fn a_feed_outside_the_plan_is_fatal_and_says_use_iex() {
    let (fake, _) = start(FakeAlpacaConfig::default()).await;
    let e = Alpaca::new(client_cfg(&fake, "sip"))
        .unwrap()
        .connect(&sub(&["AAPL"], false))
        .await
        .err()
        .unwrap();
    let text = e.to_string();
    assert!(
        e.is_fatal() && text.contains("409") && text.contains("sip") && text.contains("iex"),
        "{text}"
    );
}

#[tokio::test]
async fn connection_limit_is_retried_on_the_same_connection_then_succeeds() {
    let (fake, client) = start(FakeAlpacaConfig::default()).await;
    fake.set_foreign_session(true);
    let release = async {
        while fake.stream_errors().iter().filter(|&&c| c == 406).count() < 3 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        fake.set_foreign_session(false);
    };
    let wanted = sub(&["AAPL"], false);
    let (s, ()) = tokio::join!(client.connect(&wanted), release);
    assert!(s.is_ok(), "{:?}", s.err());
    assert!(fake.stream_errors().iter().filter(|&&c| c == 406).count() >= 3);
    assert_eq!(fake.active_sessions(), 1);
}

#[tokio::test]
async fn connection_limit_after_all_attempts_is_fatal() {
    let (fake, _) = start(FakeAlpacaConfig::default()).await;
    fake.set_foreign_session(true);
    let mut cfg = client_cfg(&fake, "iex");
    cfg.max_auth_attempts = 3;
    let e = Alpaca::new(cfg)
        .unwrap()
        .connect(&sub(&["AAPL"], false))
        .await
        .err()
        .unwrap();
    assert!(
        e.is_fatal() && e.to_string().contains("another client"),
        "{e}"
    );
    assert_eq!(fake.stream_errors(), vec![406, 406, 406]);
}

#[tokio::test]
async fn a_second_session_gets_406_while_the_first_holds_the_stream() {
    let (fake, client) = start(FakeAlpacaConfig::default()).await;
    let first = client.connect(&sub(&["AAPL"], false)).await.unwrap();
    let mut cfg = client_cfg(&fake, "iex");
    cfg.max_auth_attempts = 2;
    let e = Alpaca::new(cfg)
        .unwrap()
        .connect(&sub(&["AAPL"], false))
        .await
        .err()
        .unwrap();
    assert!(e.to_string().contains("406"), "{e}");
    drop(first);
}

#[tokio::test]
async fn symbol_limit_is_fatal_and_names_the_count() {
    let (_fake, client) = start(FakeAlpacaConfig {
        symbol_limit: 1,
        ..Default::default()
    })
    .await;
    let e = client
        .connect(&sub(&["AAPL", "MSFT"], false))
        .await
        .err()
        .unwrap();
    assert!(
        e.is_fatal() && e.to_string().contains("405") && e.to_string().contains("2 symbols"),
        "{e}"
    );
}

#[tokio::test]
async fn a_silent_connection_is_detected() {
    let (fake, client) = start(FakeAlpacaConfig::default()).await;
    let mut s = client.connect(&sub(&["AAPL"], false)).await.unwrap();
    fake.set_silent(true);
    let e = loop {
        match next(&mut s).await {
            Ok(Some(_)) => continue,
            Ok(None) => panic!("closed instead of silent"),
            Err(e) => break e,
        }
    };
    assert!(matches!(e, VenueError::Silent { .. }), "{e}");
    assert!(!e.is_fatal());
}

#[tokio::test]
async fn a_close_frame_ends_the_session_and_a_drop_is_a_connection_error() {
    let (fake, client) = start(FakeAlpacaConfig::default()).await;
    let mut s = client.connect(&sub(&["AAPL"], false)).await.unwrap();
    fake.close_streams();
    loop {
        match next(&mut s).await {
            Ok(Some(_)) => continue,
            Ok(None) => break,
            Err(e) => panic!("{e}"),
        }
    }
    let mut s = client.connect(&sub(&["AAPL"], false)).await.unwrap();
    fake.drop_streams();
    let e = loop {
        match next(&mut s).await {
            Ok(Some(_)) => continue,
            Ok(None) => panic!("a dropped TCP connection is not an orderly close"),
            Err(e) => break e,
        }
    };
    assert!(matches!(e, VenueError::Connection { .. }), "{e}");
}

#[tokio::test]
async fn skipped_stream_bars_are_on_rest() {
    let (fake, client) = start(FakeAlpacaConfig::default()).await;
    let mut s = client.connect(&sub(&["AAPL"], false)).await.unwrap();
    fake.skip_stream_bars(5);
    let skip_from = fake.published();
    let mut first_after = None;
    while first_after.is_none() {
        if let Some(StreamEvent::Bar { bar, .. }) = next(&mut s).await.unwrap() {
            let i = (bar.time().as_secs() - series_start().as_secs()) / 60;
            if i as usize >= skip_from {
                first_after = Some(bar.time());
            }
        }
    }
    let resumed = first_after.unwrap();
    let gap_start = Timestamp::from_secs(series_start().as_secs() + skip_from as i64 * 60).unwrap();
    assert!(
        resumed.as_secs() - gap_start.as_secs() >= 5 * 60,
        "bars of the skipped minutes were streamed"
    );
    let history = client
        .history(&sym("AAPL"), Timeframe::M1, gap_start, resumed)
        .await
        .unwrap();
    let want: Vec<_> = fake
        .published_bars("AAPL")
        .into_iter()
        .filter_map(|b| Timestamp::from_datetime(b.time))
        .filter(|t| *t >= gap_start && *t < resumed)
        .collect();
    assert_eq!(history.iter().map(|b| b.time()).collect::<Vec<_>>(), want);
}

#[tokio::test]
async fn rest_bars_page_across_symbols_and_merge() {
    let (fake, client) = start(FakeAlpacaConfig {
        prepublished: 60,
        page_cap: 7,
        pace: Duration::from_secs(3600),
        ..Default::default()
    })
    .await;
    let from = series_start();
    let to = Timestamp::from_secs(from.as_secs() + 40 * 60).unwrap();
    let got = client
        .bars(&[sym("MSFT"), sym("AAPL")], Timeframe::M1, from, to)
        .await
        .unwrap();
    let mut total = 0;
    for name in ["AAPL", "MSFT"] {
        let want: Vec<_> = fake
            .published_bars(name)
            .into_iter()
            .filter(|b| Timestamp::from_datetime(b.time).is_some_and(|t| t < to))
            .collect();
        let bars = &got[&sym(name)];
        assert_eq!(bars.len(), want.len(), "{name}");
        assert!(want.len() < 40, "the series has gaps");
        for (b, w) in bars.iter().zip(&want) {
            assert_eq!(Some(b.time()), Timestamp::from_datetime(w.time));
            assert_eq!(b.close(), w.close);
        }
        total += want.len();
    }
    assert!(
        fake.requests() as usize >= total.div_ceil(7),
        "one request per page"
    );
    let q = fake.last_bars_query().unwrap();
    assert_eq!(q.get("feed").map(String::as_str), Some("iex"));
    assert_eq!(q.get("adjustment").map(String::as_str), Some("raw"));
    assert_eq!(q.get("limit").map(String::as_str), Some("10000"));
    assert_eq!(q.get("timeframe").map(String::as_str), Some("1Min"));
    // Single-symbol endpoint, half-open range: the bar at `to` is left out.
    let h = client
        .history(&sym("AAPL"), Timeframe::M1, from, to)
        .await
        .unwrap();
    assert_eq!(h, got[&sym("AAPL")]);
}

#[tokio::test]
async fn rate_limit_429_waits_for_the_reset_and_succeeds() {
    let (fake, client) = start(FakeAlpacaConfig {
        rate_window: Duration::from_millis(500),
        ..Default::default()
    })
    .await;
    fake.set_rate_limit(Some(2));
    // One client honours X-RateLimit-Remaining: it waits instead of provoking a 429.
    for _ in 0..3 {
        client.clock().await.unwrap();
    }
    assert_eq!(fake.requests(), 3);
    // Another process of the account uses up the window: the first answer is a 429, the
    // client waits for X-RateLimit-Reset and succeeds.
    fake.exhaust_rate_window();
    let before = fake.requests();
    client.clock().await.unwrap();
    assert!(
        fake.requests() >= before + 2,
        "a 429 then a success: {} → {}",
        before,
        fake.requests()
    );
}

#[tokio::test]
async fn wrong_rest_keys_are_auth_errors() {
    let (fake, _) = start(FakeAlpacaConfig::default()).await;
    let mut cfg = client_cfg(&fake, "iex");
    cfg.key_id = Some("nope".into());
    let e = Alpaca::new(cfg).unwrap().account().await.unwrap_err();
    assert!(
        matches!(e, VenueError::Auth { .. }) && e.to_string().contains("unauthorized"),
        "{e}"
    );
}

fn order(id: &str, kind: OrderKind, qty: rust_decimal::Decimal) -> OrderRequest {
    OrderRequest {
        client_id: ClientOrderId::new(id).unwrap(),
        strategy: "test".into(),
        symbol: sym("AAPL"),
        side: Side::Buy,
        kind,
        size: OrderSize::Quantity(qty),
        tif: TimeInForce::Day,
        contingency: Contingency::default(),
        reduce_only: false,
        reason: "entry".into(),
    }
}

async fn update(u: &mut impl UpdateSession) -> (ClientOrderId, OrderEvent) {
    tokio::time::timeout(LIMIT, u.next_update())
        .await
        .expect("an update in time")
        .expect("no error")
        .expect("no close")
}

#[tokio::test]
async fn order_round_trip_with_partial_fills_over_binary_frames() {
    let (fake, client) = start(FakeAlpacaConfig::default()).await;
    assert!(fake.config().binary_trade_frames);
    let mut updates = client.updates().await.unwrap();
    let req = order(
        "rt-1",
        OrderKind::Limit {
            limit: dec!(150.25),
        },
        dec!(10),
    );
    let out = client.submit(&req, None).await.unwrap();
    assert_eq!(out.order.client_id.as_str(), "rt-1");
    assert_eq!(out.order.quantity, Some(dec!(10)));
    assert!(matches!(out.events[..], [OrderEvent::Accepted { .. }]));
    let (id, ev) = update(&mut updates).await;
    assert_eq!(id.as_str(), "rt-1");
    assert!(matches!(ev, OrderEvent::Accepted { .. }), "{ev:?}");

    fake.fill("rt-1", dec!(4), dec!(150.10)).unwrap();
    fake.fill("rt-1", dec!(6), dec!(150.20)).unwrap();
    let mut o = ploutos_core::order::Order::new(req.clone(), Timestamp::EPOCH);
    o.apply(&OrderEvent::Accepted {
        time: Timestamp::EPOCH,
    })
    .unwrap();
    for (qty, price, leaves) in [
        (dec!(4), dec!(150.10), dec!(6)),
        (dec!(6), dec!(150.20), dec!(0)),
    ] {
        let (id, ev) = update(&mut updates).await;
        assert_eq!(id.as_str(), "rt-1");
        let OrderEvent::Filled(f) = &ev else {
            panic!("{ev:?}")
        };
        assert_eq!((f.quantity, f.price, f.leaves), (qty, price, leaves));
        o.apply(&ev).unwrap();
    }
    assert_eq!(o.status, ploutos_core::order::OrderStatus::Filled);
    assert_eq!(o.filled_quantity, dec!(10));
    let snap = client.snapshot(&[]).await.unwrap();
    assert_eq!(snap.positions.len(), 1);
    assert_eq!(snap.positions[0].quantity, dec!(10));
    assert_eq!(
        snap.cash,
        dec!(100000) - dec!(4) * dec!(150.10) - dec!(6) * dec!(150.20)
    );
    assert!(snap.open_orders.is_empty());
}

#[tokio::test]
async fn a_5xx_after_creation_is_looked_up_never_resent() {
    let (fake, client) = start(FakeAlpacaConfig::default()).await;
    fake.fail_next_orders(1);
    let out = client
        .submit(
            &order("idem-1", OrderKind::Limit { limit: dec!(100) }, dec!(1)),
            None,
        )
        .await
        .unwrap();
    assert_eq!(out.order.client_id.as_str(), "idem-1");
    assert_eq!(fake.post_count("idem-1"), 1);
    // A deliberate second submission with the same id: 422 duplicate → the existing order.
    let again = client
        .submit(
            &order("idem-1", OrderKind::Limit { limit: dec!(100) }, dec!(1)),
            None,
        )
        .await
        .unwrap();
    assert_eq!(again.order.venue_id, out.order.venue_id);
    assert_eq!(fake.post_count("idem-1"), 2);
}

#[tokio::test]
async fn local_and_venue_rejections() {
    let (fake, client) = start(FakeAlpacaConfig::default()).await;
    let e = client
        .submit(
            &order(
                "rej-1",
                OrderKind::Limit {
                    limit: dec!(100.123),
                },
                dec!(1),
            ),
            None,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(e, VenueError::Invalid { .. }) && e.to_string().contains("100.123"),
        "{e}"
    );
    assert_eq!(fake.post_count("rej-1"), 0);
    let e = client
        .submit(
            &order(
                "rej-2",
                OrderKind::Limit { limit: dec!(100) },
                dec!(1000000),
            ),
            None,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(e, VenueError::Rejected { status: 403, .. })
            && e.to_string().contains("buying power"),
        "{e}"
    );
}

#[tokio::test]
async fn cancel_replace_close_and_cancel_all() {
    let (fake, client) = start(FakeAlpacaConfig {
        auto_fill_market: true,
        prepublished: 10,
        ..Default::default()
    })
    .await;
    let aapl = sym("AAPL");
    client
        .submit(
            &order("c-1", OrderKind::Limit { limit: dec!(10) }, dec!(1)),
            None,
        )
        .await
        .unwrap();
    client
        .cancel(&aapl, &ClientOrderId::new("c-1").unwrap())
        .await
        .unwrap();
    let e = client
        .cancel(&aapl, &ClientOrderId::new("c-1").unwrap())
        .await
        .unwrap_err();
    assert!(matches!(e, VenueError::Rejected { status: 422, .. }), "{e}");
    let e = client
        .cancel(&aapl, &ClientOrderId::new("nope").unwrap())
        .await
        .unwrap_err();
    assert!(matches!(e, VenueError::NotFound { .. }), "{e}");
    assert!(client
        .order(&aapl, &ClientOrderId::new("nope").unwrap())
        .await
        .unwrap()
        .is_none());

    let placed = client
        .submit(
            &order("r-1", OrderKind::Limit { limit: dec!(10) }, dec!(2)),
            None,
        )
        .await
        .unwrap();
    let replaced = client
        .replace(
            &placed.order.venue_id,
            &ReplaceRequest {
                limit_price: Some(dec!(11)),
                client_order_id: Some(ClientOrderId::new("r-2").unwrap()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_ne!(replaced.id, placed.order.venue_id);
    assert_eq!(
        replaced.replaces.as_deref(),
        Some(placed.order.venue_id.as_str())
    );
    assert_eq!(replaced.limit_price, Some(dec!(11)));

    // Two positions from market orders filled at once, then partial and full closes.
    client
        .submit(&order("m-1", OrderKind::Market, dec!(5)), None)
        .await
        .unwrap();
    let mut msft = order("m-2", OrderKind::Market, dec!(3));
    msft.symbol = sym("MSFT");
    client.submit(&msft, None).await.unwrap();
    assert_eq!(client.positions().await.unwrap().len(), 2);
    let closing = client
        .close_position(&aapl, ClosePosition::Qty(dec!(2)))
        .await
        .unwrap();
    assert_eq!(closing.qty, Some(dec!(2)));
    let entries = client.close_all(true).await.unwrap();
    assert_eq!(entries.len(), 2);
    assert!(
        entries.iter().all(|e| e.status == 200 && e.order.is_some()),
        "{entries:?}"
    );
    assert!(client.positions().await.unwrap().is_empty());
    // r-2 was canceled by close_all(cancel_orders=true): nothing left to cancel.
    client
        .submit(
            &order("ca-1", OrderKind::Limit { limit: dec!(10) }, dec!(1)),
            None,
        )
        .await
        .unwrap();
    let all = client.cancel_all().await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].status, 200);
    assert!(fake.order_json("ca-1").unwrap()["status"] == "canceled");
}

#[tokio::test]
async fn account_clock_and_calendar() {
    let early = chrono::NaiveDate::from_ymd_opt(2024, 11, 29).unwrap();
    let holiday = chrono::NaiveDate::from_ymd_opt(2024, 11, 28).unwrap();
    let (fake, client) = start(FakeAlpacaConfig {
        early_closes: vec![early],
        holidays: vec![holiday],
        ..Default::default()
    })
    .await;
    let a = client.account().await.unwrap();
    a.check_can_trade().unwrap();
    assert!(client.clock().await.unwrap().is_open);
    fake.set_clock_open(false);
    assert!(!client.clock().await.unwrap().is_open);
    let days = client
        .calendar(
            chrono::NaiveDate::from_ymd_opt(2024, 11, 25).unwrap(),
            early,
        )
        .await
        .unwrap();
    assert_eq!(days.len(), 4, "{days:?}");
    assert!(days.iter().all(|d| d.date != holiday));
    assert!(days.last().unwrap().is_early_close());
}

#[tokio::test]
async fn trade_stream_with_wrong_keys_is_an_auth_error() {
    let (fake, _) = start(FakeAlpacaConfig::default()).await;
    let mut cfg = client_cfg(&fake, "iex");
    cfg.secret_key = Some("wrong".into());
    let e = Alpaca::new(cfg).unwrap().updates().await.err().unwrap();
    assert!(matches!(e, VenueError::Auth { .. }), "{e}");
}

// ---------------------------------------------------------------------------------------
// The fake's protocol, spoken raw (what the client never does on purpose)
// ---------------------------------------------------------------------------------------

mod raw {
    use super::*;
    use futures_util::{SinkExt, StreamExt};
    use serde_json::{json, Value};
    use tokio_tungstenite::tungstenite::Message;

    type Ws = tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >;

    async fn open(url: &str) -> Ws {
        tokio_tungstenite::connect_async(url).await.unwrap().0
    }

    async fn recv(ws: &mut Ws) -> Value {
        loop {
            let m = tokio::time::timeout(LIMIT, ws.next())
                .await
                .unwrap()
                .unwrap()
                .unwrap();
            match m {
                Message::Text(t) => return serde_json::from_str(&t).unwrap(),
                Message::Binary(b) => return serde_json::from_slice(&b).unwrap(),
                Message::Close(_) => return json!("closed"),
                _ => continue,
            }
        }
    }

    async fn send(ws: &mut Ws, v: Value) {
        ws.send(Message::text(v.to_string())).await.unwrap();
    }

    fn code(v: &Value) -> i64 {
        v[0]["code"].as_i64().unwrap_or(0)
    }

    #[tokio::test]
    async fn data_stream_errors_401_400_403_405_and_404() {
        let (fake, _) = start(FakeAlpacaConfig {
            symbol_limit: 2,
            auth_timeout: Duration::from_millis(200),
            ..Default::default()
        })
        .await;
        let mut ws = open(&fake.data_ws_url("test")).await;
        assert_eq!(
            recv(&mut ws).await,
            json!([{"T": "success", "msg": "connected"}])
        );
        send(
            &mut ws,
            json!({"action": "subscribe", "bars": ["FAKEPACA"]}),
        )
        .await;
        assert_eq!(code(&recv(&mut ws).await), 401);
        ws.send(Message::text("{not json")).await.unwrap();
        assert_eq!(code(&recv(&mut ws).await), 400);
        let (k, s) = (
            fake.config().key_id.clone(),
            fake.config().secret_key.clone(),
        );
        send(&mut ws, json!({"action": "auth", "key": k, "secret": s})).await;
        assert_eq!(recv(&mut ws).await[0]["msg"], "authenticated");
        send(&mut ws, json!({"action": "auth", "key": k, "secret": s})).await;
        assert_eq!(code(&recv(&mut ws).await), 403);
        send(
            &mut ws,
            json!({"action": "subscribe", "bars": ["FAKEPACA"], "quotes": ["AAPL"]}),
        )
        .await;
        let ack = recv(&mut ws).await;
        assert_eq!(ack[0]["T"], "subscription");
        assert_eq!(ack[0]["bars"], json!(["FAKEPACA"]));
        send(&mut ws, json!({"action": "subscribe", "trades": ["MSFT"]})).await;
        // The data may already flow: skip to the error.
        let mut v = recv(&mut ws).await;
        while v[0]["T"] != "error" {
            v = recv(&mut ws).await;
        }
        assert_eq!(code(&v), 405);
        send(
            &mut ws,
            json!({"action": "unsubscribe", "quotes": ["AAPL"]}),
        )
        .await;
        let mut v = recv(&mut ws).await;
        while v[0]["T"] != "subscription" {
            v = recv(&mut ws).await;
        }
        assert_eq!(v[0]["bars"], json!(["FAKEPACA"]), "405 left the set intact");
        assert_eq!(v[0]["quotes"], json!([]));

        // No auth in time: 404 then close.
        let mut idle = open(&fake.data_ws_url("iex")).await;
        recv(&mut idle).await;
        assert_eq!(code(&recv(&mut idle).await), 404);
        assert_eq!(recv(&mut idle).await, json!("closed"));
    }

    #[tokio::test]
    async fn trade_stream_accepts_the_older_auth_form_and_refuses_listen_before_auth() {
        let (fake, _) = start(FakeAlpacaConfig::default()).await;
        let mut ws = open(&fake.trading_ws_url()).await;
        send(
            &mut ws,
            json!({"action": "listen", "data": {"streams": ["trade_updates"]}}),
        )
        .await;
        let v = recv(&mut ws).await;
        assert_eq!(v["data"]["status"], "unauthorized");
        assert_eq!(v["data"]["action"], "listen");
        let (k, s) = (
            fake.config().key_id.clone(),
            fake.config().secret_key.clone(),
        );
        send(
            &mut ws,
            json!({"action": "authenticate", "data": {"key_id": k, "secret_key": s}}),
        )
        .await;
        assert_eq!(recv(&mut ws).await["data"]["status"], "authorized");
        send(
            &mut ws,
            json!({"action": "listen", "data": {"streams": ["trade_updates"]}}),
        )
        .await;
        assert_eq!(
            recv(&mut ws).await,
            json!({"stream": "listening", "data": {"streams": ["trade_updates"]}})
        );
    }
}

#[tokio::test]
async fn the_test_stream_serves_fakepaca() {
    let (fake, _) = start(FakeAlpacaConfig::default()).await;
    let client = Alpaca::new(client_cfg(&fake, "iex").test_stream()).unwrap();
    assert!(client.config().data_ws_url.ends_with("/v2/test"));
    let mut s = client.connect(&sub(&["FAKEPACA"], false)).await.unwrap();
    loop {
        if let Some(StreamEvent::Bar { symbol, .. }) = next(&mut s).await.unwrap() {
            assert_eq!(symbol.as_str(), "FAKEPACA");
            break;
        }
    }
}

#[tokio::test]
async fn bracket_orders_are_checked_locally_and_accepted_by_the_fake() {
    use ploutos_venues::alpaca::{OrderClass, StopLoss};
    let (fake, client) = start(FakeAlpacaConfig::default()).await;
    let entry = order("br-1", OrderKind::Limit { limit: dec!(100) }, dec!(1));
    let stop = StopLoss {
        stop_price: dec!(95),
        limit_price: Some(dec!(94.5)),
    };
    let out = client
        .submit_bracket(&entry, OrderClass::Bracket, Some(dec!(110)), Some(stop))
        .await
        .unwrap();
    assert_eq!(out.order.client_id.as_str(), "br-1");
    assert_eq!(fake.order_json("br-1").unwrap()["order_class"], "bracket");
    let e = client
        .submit_bracket(
            &order("br-2", OrderKind::Limit { limit: dec!(100) }, dec!(1)),
            OrderClass::Bracket,
            Some(dec!(110)),
            None,
        )
        .await
        .unwrap_err();
    assert!(matches!(e, VenueError::Invalid { .. }), "{e}");
    let e = client
        .submit_bracket(
            &order("br-3", OrderKind::Limit { limit: dec!(100) }, dec!(1)),
            OrderClass::Oto,
            Some(dec!(110.001)),
            None,
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("110.001"), "{e}");
    assert_eq!(fake.post_count("br-2") + fake.post_count("br-3"), 0);
}

#[tokio::test]
async fn a_406_followed_by_a_close_is_a_connection_error_to_reconnect_from() {
    let (fake, client) = start(FakeAlpacaConfig {
        close_on_406: true,
        ..Default::default()
    })
    .await;
    fake.set_foreign_session(true);
    let e = client.connect(&sub(&["AAPL"], false)).await.err().unwrap();
    assert!(
        matches!(e, VenueError::Connection { .. }) && !e.is_fatal(),
        "{e}"
    );
    assert_eq!(fake.stream_errors(), vec![406]);
}

#[tokio::test]
async fn trade_updates_in_text_frames_and_a_silent_trade_stream() {
    let (fake, client) = start(FakeAlpacaConfig {
        binary_trade_frames: false,
        auto_fill_market: true,
        ..Default::default()
    })
    .await;
    let mut updates = client.updates().await.unwrap();
    client
        .submit(&order("tx-1", OrderKind::Market, dec!(2)), None)
        .await
        .unwrap();
    let (_, accepted) = update(&mut updates).await;
    assert!(
        matches!(accepted, OrderEvent::Accepted { .. }),
        "{accepted:?}"
    );
    let (id, filled) = update(&mut updates).await;
    assert_eq!(id.as_str(), "tx-1");
    let OrderEvent::Filled(f) = filled else {
        panic!("{filled:?}")
    };
    assert_eq!((f.quantity, f.leaves), (dec!(2), dec!(0)));
    assert!(f.id.starts_with("exec-"), "{}", f.id);
    fake.set_silent(true);
    let e = tokio::time::timeout(LIMIT, updates.next_update())
        .await
        .unwrap()
        .unwrap_err();
    assert!(matches!(e, VenueError::Silent { .. }), "{e}");
}

#[tokio::test]
async fn the_bar_series_fills_a_large_market_order_in_parts() {
    let (fake, client) = start(FakeAlpacaConfig {
        fill_from_bars: true,
        ..Default::default()
    })
    .await;
    let mut updates = client.updates().await.unwrap();
    let req = order("big-1", OrderKind::Market, dec!(300));
    client.submit(&req, None).await.unwrap();
    let mut o = ploutos_core::order::Order::new(req, Timestamp::EPOCH);
    let mut fills = Vec::new();
    while o.status != ploutos_core::order::OrderStatus::Filled {
        let (id, ev) = update(&mut updates).await;
        assert_eq!(id.as_str(), "big-1");
        if let OrderEvent::Filled(f) = &ev {
            fills.push(f.clone());
        }
        o.apply(&ev).unwrap();
    }
    assert!(fills.len() > 1, "filled in parts: {fills:?}");
    assert_eq!(o.filled_quantity, dec!(300));
    assert!(fills.windows(2).all(|w| w[0].leaves > w[1].leaves));
    let opens: Vec<_> = fake
        .published_bars("AAPL")
        .iter()
        .map(|b| {
            rust_decimal::Decimal::from_f64_retain(b.open)
                .unwrap()
                .round_dp(2)
        })
        .collect();
    assert!(
        fills.iter().all(|f| opens.contains(&f.price)),
        "fills at bar opens"
    );
}

#[tokio::test]
async fn recent_sip_bars_on_the_free_plan_are_a_clear_fatal_error() {
    let (fake, _) = start(FakeAlpacaConfig {
        prepublished: 30,
        pace: Duration::from_secs(3600), // the fake's clock stands still
        ..Default::default()
    })
    .await;
    let mut cfg = client_cfg(&fake, "iex");
    cfg.feed = "sip".into();
    let client = Alpaca::new(cfg).unwrap();
    let from = series_start();
    let to = Timestamp::from_secs(from.as_secs() + 30 * 60).unwrap();
    let e = client
        .history(&sym("AAPL"), Timeframe::M1, from, to)
        .await
        .unwrap_err();
    let text = e.to_string();
    assert!(
        e.is_fatal() && text.contains("403") && text.contains("recent SIP") && text.contains("iex"),
        "{text}"
    );
    // Older than 15 minutes is allowed.
    let old = Timestamp::from_secs(from.as_secs() + 10 * 60).unwrap();
    assert!(!client
        .history(&sym("AAPL"), Timeframe::M1, from, old)
        .await
        .unwrap()
        .is_empty());
}
