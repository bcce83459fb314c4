//! The Binance client driven through the Binance fake, on loopback.

use std::time::Duration;

use ploutos_core::order::{
    ClientOrderId, OrderEvent, OrderKind, OrderRequest, OrderSize, OrderStatus, TimeInForce,
};
use ploutos_core::{Decimal, Side, Symbol, Timeframe, Timestamp};
use ploutos_fakes::binance::{FakeBinance, FakeBinanceConfig, PostFailure};
use ploutos_venues::binance::{Binance, BinanceConfig, SubscribeMode};
use ploutos_venues::live::{
    BarSession, BarVenue, Execution, StreamEvent, Subscription, UpdateSession,
};
use ploutos_venues::VenueError;
use rust_decimal_macros::dec;

const WAIT: Duration = Duration::from_secs(5);

fn client_cfg(fake: &FakeBinance) -> BinanceConfig {
    let mut cfg = BinanceConfig::production();
    cfg.apply_env(|k| match k {
        "PLOUTOS_BINANCE_REST_URL" => Some(fake.rest_url()),
        "PLOUTOS_BINANCE_WS_URL" => Some(fake.ws_url()),
        "PLOUTOS_BINANCE_WS_API_URL" => Some(fake.ws_api_url()),
        "BINANCE_API_KEY" => Some(fake.config().api_key.clone()),
        "BINANCE_SECRET_KEY" => Some(fake.config().secret_key.clone()),
        _ => None,
    });
    cfg.request_timeout = Duration::from_secs(3);
    cfg.idle_timeout = Duration::from_millis(400);
    cfg
}

async fn setup() -> (FakeBinance, Binance) {
    setup_with(FakeBinanceConfig::default()).await
}

async fn setup_with(cfg: FakeBinanceConfig) -> (FakeBinance, Binance) {
    let fake = FakeBinance::start(cfg).await.unwrap();
    let client = Binance::new(client_cfg(&fake)).unwrap();
    (fake, client)
}

fn btc() -> Symbol {
    Symbol::new("BTCUSDT").unwrap()
}

fn order(id: &str, side: Side, kind: OrderKind, qty: Decimal, tif: TimeInForce) -> OrderRequest {
    OrderRequest {
        client_id: ClientOrderId::new(id).unwrap(),
        strategy: "test".into(),
        symbol: btc(),
        side,
        kind,
        size: OrderSize::Quantity(qty),
        tif,
        contingency: Default::default(),
        reduce_only: false,
        reason: "test".into(),
    }
}

fn market_buy(id: &str, qty: Decimal) -> OrderRequest {
    order(id, Side::Buy, OrderKind::Market, qty, TimeInForce::Gtc)
}

async fn timed<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(WAIT, f).await.expect("timed out")
}

#[tokio::test]
async fn signed_market_order_fills_across_levels_once() {
    let (fake, client) = setup().await;
    let price = fake.last_price("BTCUSDT").unwrap();
    let out = timed(client.submit(&market_buy("mkt-1", dec!(0.12)), Some(price)))
        .await
        .unwrap();
    assert_eq!(out.order.status, OrderStatus::Filled);
    assert_eq!(out.order.filled_quantity, dec!(0.12));
    let fills: Vec<_> = out
        .events
        .iter()
        .filter_map(|e| match e {
            OrderEvent::Filled(f) => Some(f),
            _ => None,
        })
        .collect();
    assert_eq!(fills.len(), 3, "{:?}", out.events);
    assert!(fills[0].price < fills[2].price);
    assert_eq!(fills[2].leaves, Decimal::ZERO);
    assert!(fills.iter().all(|f| f.fee > Decimal::ZERO));
    assert!(matches!(out.events[0], OrderEvent::Accepted { .. }));
    assert_eq!(fake.post_count("mkt-1"), 1);
    assert_eq!(fake.balance("BTC").0, dec!(1.12));
    assert!(client.used_weight() > 0);
}

#[tokio::test]
async fn limit_order_rests_locks_balance_and_cancels() {
    let (fake, client) = setup().await;
    let price = fake.last_price("BTCUSDT").unwrap();
    let limit = (price * dec!(0.9)).round_dp(2);
    let req = order(
        "lim-1",
        Side::Buy,
        OrderKind::Limit { limit },
        dec!(0.01),
        TimeInForce::Gtc,
    );
    let out = timed(client.submit(&req, None)).await.unwrap();
    assert_eq!(out.order.status, OrderStatus::Accepted);
    assert!(fake.balance("USDT").1 > Decimal::ZERO, "locked");
    let snap = timed(client.snapshot(&[btc()])).await.unwrap();
    assert_eq!(snap.open_orders.len(), 1);
    assert_eq!(snap.positions[0].quantity, dec!(1));
    assert_eq!(snap.cash, dec!(100000));
    let dup = timed(client.submit(&req, None)).await.unwrap_err();
    assert!(
        matches!(
            &dup,
            VenueError::Rejected {
                code: Some(-2010),
                ..
            }
        ),
        "{dup}"
    );
    assert!(dup.to_string().contains("Duplicate"));
    let found = timed(client.order(&btc(), &req.client_id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.status, OrderStatus::Accepted);
    timed(client.cancel(&btc(), &req.client_id)).await.unwrap();
    assert_eq!(fake.balance("USDT").1, Decimal::ZERO);
    let again = timed(client.cancel(&btc(), &req.client_id))
        .await
        .unwrap_err();
    assert!(matches!(again, VenueError::NotFound { .. }), "{again}");
    assert!(
        timed(client.order(&btc(), &ClientOrderId::new("nope").unwrap()))
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn ioc_remainder_expires() {
    // A market clock that stands still, so the book does not move under the order.
    let cfg = FakeBinanceConfig {
        pace: Duration::from_secs(3_600),
        ..Default::default()
    };
    let (fake, client) = setup_with(cfg).await;
    let price = fake.last_price("BTCUSDT").unwrap();
    // The book has 0.05 per level, 0.1 apart: a limit 0.25 above takes 2 levels.
    let req = order(
        "ioc-1",
        Side::Buy,
        OrderKind::Limit {
            limit: price + dec!(0.25),
        },
        dec!(0.2),
        TimeInForce::Ioc,
    );
    let out = timed(client.submit(&req, None)).await.unwrap();
    assert_eq!(out.order.status, OrderStatus::Expired);
    assert_eq!(out.order.filled_quantity, dec!(0.1));
    assert!(matches!(
        out.events.last(),
        Some(OrderEvent::Expired { .. })
    ));
}

#[tokio::test]
async fn filters_reject_locally_without_sending() {
    let (fake, client) = setup().await;
    let price = fake.last_price("BTCUSDT").unwrap();
    let e = timed(client.submit(&market_buy("tiny-1", dec!(0.000001)), Some(price)))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, VenueError::Invalid { .. }) && e.to_string().contains("LOT_SIZE"),
        "{e}"
    );
    let e = timed(client.submit(&market_buy("small-1", dec!(0.00002)), Some(price)))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("NOTIONAL"), "{e}");
    assert_eq!(fake.post_count("tiny-1") + fake.post_count("small-1"), 0);
    // Unrounded values are rounded, not rejected: 0.0123456 → 0.01234.
    let out = timed(client.submit(&market_buy("round-1", dec!(0.0123456)), Some(price)))
        .await
        .unwrap();
    assert_eq!(out.order.filled_quantity, dec!(0.01234));
}

#[tokio::test]
async fn rate_limit_429_waits_retry_after_then_succeeds() {
    let (fake, client) = setup().await;
    fake.fail_next_with_429(1, 1);
    let bars = timed(client.klines(&btc(), Timeframe::M1, None, None, 10))
        .await
        .unwrap();
    assert_eq!(bars.len(), 10);
    // Waiting out Retry-After means no ban.
    assert!(timed(client.sync_time()).await.is_ok());
}

#[tokio::test]
async fn ban_418_stops_every_later_call() {
    let (fake, client) = setup().await;
    fake.ban_next(Duration::from_secs(30));
    let e = timed(client.klines(&btc(), Timeframe::M1, None, None, 10))
        .await
        .unwrap_err();
    assert!(
        matches!(e, VenueError::Banned { .. }) && e.is_fatal(),
        "{e}"
    );
    let before = fake.requests();
    let e = timed(client.submit(&market_buy("after-ban", dec!(0.01)), None))
        .await
        .unwrap_err();
    assert!(matches!(e, VenueError::Banned { .. }), "{e}");
    assert_eq!(fake.requests(), before, "nothing sent while banned");
}

#[tokio::test]
async fn clock_skew_minus_1021_is_fixed_by_time_sync() {
    let (fake, client) = setup().await;
    timed(client.sync_time()).await.unwrap();
    fake.set_clock_skew_ms(-30_000);
    let price = fake.last_price("BTCUSDT").unwrap();
    let out = timed(client.submit(&market_buy("skew-1", dec!(0.01)), Some(price)))
        .await
        .unwrap();
    assert_eq!(out.order.status, OrderStatus::Filled);
    assert!(
        client.server_time_offset() < -25_000,
        "{}",
        client.server_time_offset()
    );
    assert_eq!(fake.post_count("skew-1"), 1);
}

#[tokio::test]
async fn post_5xx_is_looked_up_never_resent() {
    for (id, failure) in [
        ("five-1", PostFailure::Http500),
        ("five-2", PostFailure::Timeout1007),
    ] {
        let (fake, client) = setup().await;
        fake.fail_next_order_post(failure);
        let price = fake.last_price("BTCUSDT").unwrap();
        let out = timed(client.submit(&market_buy(id, dec!(0.01)), Some(price)))
            .await
            .unwrap();
        assert_eq!(out.order.status, OrderStatus::Filled);
        assert_eq!(out.order.client_id.as_str(), id);
        assert_eq!(fake.post_count(id), 1);
    }
}

#[tokio::test]
async fn partial_fills_arrive_on_the_user_data_stream() {
    let (fake, client) = setup().await;
    let mut updates = timed(client.updates()).await.unwrap();
    let price = fake.last_price("BTCUSDT").unwrap();
    let req = order(
        "part-1",
        Side::Buy,
        OrderKind::Limit {
            limit: (price * dec!(0.95)).round_dp(2),
        },
        dec!(0.05),
        TimeInForce::Gtc,
    );
    timed(client.submit(&req, None)).await.unwrap();
    fake.fill_order("part-1", dec!(0.02)).unwrap();
    fake.fill_order("part-1", dec!(0.03)).unwrap();
    let mut events = Vec::new();
    while events.len() < 3 {
        let (id, ev) = timed(updates.next_update()).await.unwrap().unwrap();
        assert_eq!(id.as_str(), "part-1");
        events.push(ev);
    }
    assert!(matches!(events[0], OrderEvent::Accepted { .. }));
    let OrderEvent::Filled(a) = &events[1] else {
        panic!("{events:?}")
    };
    let OrderEvent::Filled(b) = &events[2] else {
        panic!("{events:?}")
    };
    assert_eq!((a.quantity, a.leaves), (dec!(0.02), dec!(0.03)));
    assert_eq!((b.quantity, b.leaves), (dec!(0.03), dec!(0)));
    assert_ne!(a.id, b.id);
    timed(client.cancel(&btc(), &ClientOrderId::new("part-1").unwrap()))
        .await
        .unwrap_err();
}

#[tokio::test]
async fn user_data_cancel_uses_the_original_id() {
    let (fake, client) = setup().await;
    let mut updates = timed(client.updates()).await.unwrap();
    let price = fake.last_price("BTCUSDT").unwrap();
    let req = order(
        "can-1",
        Side::Sell,
        OrderKind::Limit {
            limit: (price * dec!(1.1)).round_dp(2),
        },
        dec!(0.01),
        TimeInForce::Gtc,
    );
    timed(client.submit(&req, None)).await.unwrap();
    timed(client.cancel(&btc(), &req.client_id)).await.unwrap();
    let (_, first) = timed(updates.next_update()).await.unwrap().unwrap();
    assert!(matches!(first, OrderEvent::Accepted { .. }));
    let (id, ev) = timed(updates.next_update()).await.unwrap().unwrap();
    assert_eq!((id.as_str(), ev.name()), ("can-1", "cancel"));
}

#[tokio::test]
async fn user_data_bad_signature_is_auth() {
    let fake = FakeBinance::start(FakeBinanceConfig::default())
        .await
        .unwrap();
    let mut cfg = client_cfg(&fake);
    cfg.secret_key = Some("wrong".into());
    let client = Binance::new(cfg).unwrap();
    let e = timed(client.updates()).await.unwrap_err();
    assert!(matches!(e, VenueError::Auth { .. }), "{e}");
    let e = timed(client.snapshot(&[btc()])).await.unwrap_err();
    assert!(
        matches!(e, VenueError::Auth { .. }) && e.to_string().contains("Signature"),
        "{e}"
    );
}

fn sub(trades: bool) -> Subscription {
    Subscription {
        symbols: vec![btc()],
        timeframe: Timeframe::M1,
        trades,
    }
}

#[tokio::test]
async fn stream_delivers_each_closed_bar_once_and_matching_rest() {
    let (fake, client) = setup().await;
    let mut s = timed(client.connect(&sub(true))).await.unwrap();
    let (mut bars, mut forming, mut trades) = (Vec::new(), 0, 0);
    while bars.len() < 5 {
        match timed(s.next_event()).await.unwrap().unwrap() {
            StreamEvent::Bar { bar, symbol, .. } => {
                assert_eq!(symbol, btc());
                bars.push(bar);
            }
            StreamEvent::Forming { .. } => forming += 1,
            StreamEvent::Trade { .. } => trades += 1,
            StreamEvent::Quote { .. } => {}
        }
    }
    assert!(forming > 0 && trades > 0);
    for w in bars.windows(2) {
        assert_eq!(w[1].time().as_millis() - w[0].time().as_millis(), 60_000);
    }
    let from = bars[0].time();
    let to = Timestamp::from_millis(bars[4].time().as_millis() + 60_000).unwrap();
    let rest = timed(client.history(&btc(), Timeframe::M1, from, to))
        .await
        .unwrap();
    assert_eq!(rest, bars);
    drop(fake);
}

#[tokio::test]
async fn history_pages_and_excludes_to() {
    let (fake, client) = setup().await;
    let start = fake.config().start_ms;
    let from = Timestamp::from_millis(start + 60_000).unwrap();
    let to = Timestamp::from_millis(start + 1_201 * 60_000).unwrap();
    let bars = timed(client.history(&btc(), Timeframe::M1, from, to))
        .await
        .unwrap();
    assert_eq!(bars.len(), 1_200);
    assert_eq!(bars[0].time(), from);
    assert!(bars
        .windows(2)
        .all(|w| w[1].time().as_millis() - w[0].time().as_millis() == 60_000));
    assert!(bars.last().unwrap().time() < to);
}

#[tokio::test]
async fn skipped_bars_are_missing_from_the_stream_only() {
    let (fake, client) = setup().await;
    let mut s = timed(client.connect_stream(&sub(false), SubscribeMode::Subscribe))
        .await
        .unwrap();
    let mut bars = Vec::new();
    while bars.is_empty() {
        if let StreamEvent::Bar { bar, .. } = timed(s.next_event()).await.unwrap().unwrap() {
            bars.push(bar.time().as_millis());
        }
    }
    fake.skip_closed_bars(2);
    while bars.len() < 6 {
        if let StreamEvent::Bar { bar, .. } = timed(s.next_event()).await.unwrap().unwrap() {
            bars.push(bar.time().as_millis());
        }
    }
    // Frames already in flight may come first; somewhere there is a gap of two bars.
    let gap = bars
        .windows(2)
        .find(|w| w[1] - w[0] > 60_000)
        .map(|w| (w[0], w[1]))
        .unwrap_or_else(|| panic!("no gap in {bars:?}"));
    assert_eq!(gap.1 - gap.0, 3 * 60_000, "{bars:?}");
    let from = Timestamp::from_millis(gap.0 + 60_000).unwrap();
    let to = Timestamp::from_millis(gap.1).unwrap();
    let missing = timed(client.history(&btc(), Timeframe::M1, from, to))
        .await
        .unwrap();
    assert_eq!(missing.len(), 2);
}

#[tokio::test]
async fn pings_are_answered_with_their_payload() {
    let cfg = FakeBinanceConfig {
        ping_interval: Duration::from_millis(40),
        pong_deadline: Duration::from_millis(300),
        ..Default::default()
    };
    let (fake, client) = setup_with(cfg).await;
    let mut s = timed(client.connect(&sub(false))).await.unwrap();
    while fake.pongs_received() < 3 {
        timed(s.next_event()).await.unwrap().unwrap();
    }
    // Still connected: the fake would have closed it past the deadline.
    timed(s.next_event()).await.unwrap().unwrap();
}

#[tokio::test]
async fn a_silent_connection_is_detected() {
    let (fake, client) = setup().await;
    let mut s = timed(client.connect(&sub(false))).await.unwrap();
    timed(s.next_event()).await.unwrap().unwrap();
    fake.set_silent(true);
    let e = loop {
        match timed(s.next_event()).await {
            Ok(_) => continue,
            Err(e) => break e,
        }
    };
    assert!(matches!(e, VenueError::Silent { .. }), "{e}");
}

#[tokio::test]
async fn server_shutdown_ends_the_session_cleanly() {
    let (fake, client) = setup().await;
    let mut s = timed(client.connect(&sub(false))).await.unwrap();
    timed(s.next_event()).await.unwrap().unwrap();
    fake.server_shutdown();
    let end = loop {
        match timed(s.next_event()).await.unwrap() {
            Some(_) => continue,
            None => break true,
        }
    };
    assert!(end);
}

#[tokio::test]
async fn a_dropped_connection_is_an_error_and_lifetime_ends_it() {
    let (fake, client) = setup().await;
    let mut s = timed(client.connect(&sub(false))).await.unwrap();
    timed(s.next_event()).await.unwrap().unwrap();
    fake.drop_streams();
    let e = loop {
        match timed(s.next_event()).await {
            Ok(Some(_)) => continue,
            Ok(None) => panic!("a drop is not an orderly end"),
            Err(e) => break e,
        }
    };
    assert!(matches!(e, VenueError::Connection { .. }), "{e}");
    let mut cfg = client_cfg(&fake);
    cfg.reconnect_before = Duration::from_millis(300);
    let short = Binance::new(cfg).unwrap();
    let mut s = timed(short.connect(&sub(false))).await.unwrap();
    while timed(s.next_event()).await.unwrap().is_some() {}
}

#[tokio::test]
async fn oco_places_both_legs() {
    let (fake, client) = setup().await;
    let price = fake.last_price("BTCUSDT").unwrap();
    let oco = ploutos_venues::binance::OcoRequest {
        list_client_id: ClientOrderId::new("oco-1").unwrap(),
        limit_client_id: ClientOrderId::new("oco-1-tp").unwrap(),
        stop_client_id: ClientOrderId::new("oco-1-sl").unwrap(),
        symbol: btc(),
        side: Side::Sell,
        quantity: dec!(0.01),
        limit_price: price * dec!(1.05),
        stop_price: price * dec!(0.95),
        stop_limit_price: Some(price * dec!(0.94)),
    };
    let legs = timed(client.submit_oco(&oco)).await.unwrap();
    assert_eq!(legs.len(), 2);
    assert!(legs.iter().all(|l| l.status == OrderStatus::Accepted));
    assert_eq!(
        timed(client.snapshot(&[btc()]))
            .await
            .unwrap()
            .open_orders
            .len(),
        2
    );
}
