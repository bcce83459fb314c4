//! Hand-checkable paper broker scenarios: one per order type and rule (see docs/paper-broker.md).

use ploutos_core::order::{
    ClientOrderId, Contingency, Fill, Liquidity, Order, OrderEvent, OrderKind, OrderRequest,
    OrderSize, TimeInForce, Trail,
};
use ploutos_core::{Bar, Instrument, Side, Symbol, Timestamp};
use ploutos_engine::broker::{
    Fees, FillMode, OutsideHours, PaperBroker, PaperConfig, Slippage, SubmitCtx,
};
use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

type Events = Vec<(ClientOrderId, OrderEvent)>;

fn ts(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

fn id(s: &str) -> ClientOrderId {
    ClientOrderId::new(s).unwrap()
}

fn btc_sym() -> Symbol {
    Symbol::new("BTCUSDT").unwrap()
}

fn spy_sym() -> Symbol {
    Symbol::new("SPY").unwrap()
}

fn btc() -> Instrument {
    Instrument::crypto(btc_sym(), dec!(0.01), dec!(0.001), Decimal::ZERO)
}

fn req(cid: &str, side: Side, kind: OrderKind, qty: Decimal) -> OrderRequest {
    OrderRequest {
        client_id: id(cid),
        strategy: "s".into(),
        symbol: btc_sym(),
        side,
        kind,
        size: OrderSize::Quantity(qty),
        tif: TimeInForce::Gtc,
        contingency: Contingency::default(),
        reduce_only: false,
        reason: "test".into(),
    }
}

fn ctx() -> SubmitCtx {
    SubmitCtx {
        buying_power: dec!(1_000_000_000),
        position: Decimal::ZERO,
        last_price: None,
    }
}

/// A one-hour bar opening at `t`.
fn bar(t: &str, o: f64, h: f64, l: f64, c: f64, v: f64) -> (Bar, Timestamp) {
    let open = ts(t);
    let close = open.checked_add_nanos(3_600 * 1_000_000_000).unwrap();
    (Bar::new(open, o, h, l, c, v).unwrap(), close)
}

fn broker(config: PaperConfig) -> PaperBroker {
    let mut b = PaperBroker::new(config);
    b.add_instrument(btc());
    b.add_instrument(Instrument::stock(spy_sym(), false));
    b
}

fn on_bar(b: &mut PaperBroker, sym: &Symbol, (bar, close): (Bar, Timestamp)) -> Events {
    b.on_bar(sym, &bar, close)
}

fn fills(ev: &Events) -> Vec<(String, Fill)> {
    ev.iter()
        .filter_map(|(i, e)| match e {
            OrderEvent::Filled(f) => Some((i.to_string(), f.clone())),
            _ => None,
        })
        .collect()
}

fn kinds(ev: &Events) -> Vec<(String, &'static str)> {
    ev.iter().map(|(i, e)| (i.to_string(), e.name())).collect()
}

fn rejection(ev: &Events) -> String {
    match &ev[..] {
        [(_, OrderEvent::Rejected { reason, .. })] => reason.clone(),
        other => panic!("expected one rejection, got {other:?}"),
    }
}

const T1: &str = "2024-01-02T01:00:00Z";
const T2: &str = "2024-01-02T02:00:00Z";
const T3: &str = "2024-01-02T03:00:00Z";

#[test]
fn market_order_fills_at_the_next_bar_open() {
    let mut b = broker(PaperConfig::default());
    let ev = b.submit(
        req("m", Side::Buy, OrderKind::Market, dec!(2)),
        ts(T1),
        ctx(),
    );
    assert_eq!(kinds(&ev), [("m".into(), "accepted")]);
    // The bar that ended at T1 is not the next bar.
    assert!(on_bar(
        &mut b,
        &btc_sym(),
        bar("2024-01-02T00:00:00Z", 1., 2., 1., 2., 9.)
    )
    .is_empty());
    let ev = on_bar(&mut b, &btc_sym(), bar(T1, 100., 105., 95., 102., 10.));
    let f = fills(&ev);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].1.price, dec!(100));
    assert_eq!(f[0].1.quantity, dec!(2));
    assert_eq!(f[0].1.leaves, dec!(0));
    assert_eq!(f[0].1.time, ts(T1));
    assert_eq!(f[0].1.liquidity, Liquidity::Taker);
    assert_eq!(&*f[0].1.id, "paper-1");
    assert!(b.open_orders().is_empty());
}

#[test]
fn limit_buy_fills_at_the_limit_or_the_better_gap_open() {
    let mut b = broker(PaperConfig::default());
    b.submit(
        req(
            "a",
            Side::Buy,
            OrderKind::Limit { limit: dec!(100) },
            dec!(1),
        ),
        ts(T1),
        ctx(),
    );
    // Gap: opens at 98, below the limit → 98.
    let f = fills(&on_bar(
        &mut b,
        &btc_sym(),
        bar(T1, 98., 99., 97., 98.5, 10.),
    ));
    assert_eq!(
        (f[0].1.price, f[0].1.liquidity),
        (dec!(98), Liquidity::Maker)
    );
    assert_eq!(f[0].1.time, ts(T1));
    // Opens above, trades down through 100 → exactly 100, stamped with the bar's close.
    b.submit(
        req(
            "b",
            Side::Buy,
            OrderKind::Limit { limit: dec!(100) },
            dec!(1),
        ),
        ts(T2),
        ctx(),
    );
    let f = fills(&on_bar(
        &mut b,
        &btc_sym(),
        bar(T2, 102., 103., 99., 101., 10.),
    ));
    assert_eq!(f[0].1.price, dec!(100));
    assert_eq!(f[0].1.time, ts(T3));
    // A sell limit above the high does not fill.
    b.submit(
        req(
            "c",
            Side::Sell,
            OrderKind::Limit { limit: dec!(120) },
            dec!(1),
        ),
        ts(T3),
        ctx(),
    );
    assert!(on_bar(&mut b, &btc_sym(), bar(T3, 102., 119.99, 99., 101., 10.)).is_empty());
    assert_eq!(b.open_orders().len(), 1);
}

#[test]
fn stop_buy_fills_at_max_of_stop_and_open_with_slippage_clamped() {
    let mut b = broker(PaperConfig::default());
    b.submit(
        req("s", Side::Buy, OrderKind::Stop { stop: dec!(105) }, dec!(1)),
        ts(T1),
        ctx(),
    );
    let f = fills(&on_bar(
        &mut b,
        &btc_sym(),
        bar(T1, 100., 106., 99., 104., 10.),
    ));
    assert_eq!(
        (f[0].1.price, f[0].1.liquidity),
        (dec!(105), Liquidity::Taker)
    );
    // Gap above the stop: the open.
    b.submit(
        req("g", Side::Buy, OrderKind::Stop { stop: dec!(105) }, dec!(1)),
        ts(T2),
        ctx(),
    );
    let f = fills(&on_bar(
        &mut b,
        &btc_sym(),
        bar(T2, 107., 108., 106., 107., 10.),
    ));
    assert_eq!(f[0].1.price, dec!(107));
    // 1% slippage: 105 × 1.01 = 106.05, clamped to the high 106.
    let mut b = broker(PaperConfig {
        slippage: Slippage::Bps(dec!(100)),
        ..Default::default()
    });
    b.submit(
        req("s", Side::Buy, OrderKind::Stop { stop: dec!(105) }, dec!(1)),
        ts(T1),
        ctx(),
    );
    let f = fills(&on_bar(
        &mut b,
        &btc_sym(),
        bar(T1, 100., 106., 99., 104., 10.),
    ));
    assert_eq!(f[0].1.price, dec!(106));
    // Sell stop 95 with 1%: 95 × 0.99 = 94.05 inside [94, 101].
    b.submit(
        req("t", Side::Sell, OrderKind::Stop { stop: dec!(95) }, dec!(1)),
        ts(T2),
        ctx(),
    );
    let f = fills(&on_bar(
        &mut b,
        &btc_sym(),
        bar(T2, 100., 101., 94., 96., 10.),
    ));
    assert_eq!(f[0].1.price, dec!(94.05));
}

#[test]
fn slippage_range_share_is_clamped_to_the_bar() {
    let cfg = |f| PaperConfig {
        slippage: Slippage::RangeShare(f),
        ..Default::default()
    };
    // Range 8, half of it: 100 + 4 = 104 = the high.
    let mut b = broker(cfg(dec!(0.25)));
    b.submit(
        req("a", Side::Buy, OrderKind::Market, dec!(1)),
        ts(T1),
        ctx(),
    );
    b.submit(
        req("b", Side::Sell, OrderKind::Market, dec!(1)),
        ts(T1),
        ctx(),
    );
    let f = fills(&on_bar(
        &mut b,
        &btc_sym(),
        bar(T1, 100., 104., 96., 101., 10.),
    ));
    assert_eq!((f[0].1.price, f[1].1.price), (dec!(102), dec!(98)));
    let mut b = broker(cfg(dec!(0.75)));
    b.submit(
        req("a", Side::Buy, OrderKind::Market, dec!(1)),
        ts(T1),
        ctx(),
    );
    b.submit(
        req("b", Side::Sell, OrderKind::Market, dec!(1)),
        ts(T1),
        ctx(),
    );
    let f = fills(&on_bar(
        &mut b,
        &btc_sym(),
        bar(T1, 100., 104., 96., 101., 10.),
    ));
    assert_eq!((f[0].1.price, f[1].1.price), (dec!(104), dec!(96)));
}

#[test]
fn stop_limit_becomes_a_limit_when_triggered() {
    let mut b = broker(PaperConfig::default());
    let sl = |cid, stop, limit| {
        req(
            cid,
            Side::Buy,
            OrderKind::StopLimit { stop, limit },
            dec!(1),
        )
    };
    // Up bar 100 → 108 → 99 → 107: triggered at 105 on the way up; 105 <= 106 fills at once.
    b.submit(sl("a", dec!(105), dec!(106)), ts(T1), ctx());
    // Limit 103: triggered at 105, fills at 103 on the way down to 99.
    b.submit(sl("b", dec!(105), dec!(103)), ts(T1), ctx());
    // Limit 98: triggered, never reached this bar; works as a limit from the next bar.
    b.submit(sl("c", dec!(105), dec!(98)), ts(T1), ctx());
    let ev = on_bar(&mut b, &btc_sym(), bar(T1, 100., 108., 99., 107., 10.));
    let f = fills(&ev);
    assert_eq!(f.len(), 2);
    assert_eq!((f[0].0.as_str(), f[0].1.price), ("a", dec!(105)));
    assert_eq!((f[1].0.as_str(), f[1].1.price), ("b", dec!(103)));
    // Next bar never reaches the stop 105 again, but the triggered order is a limit at 98 now.
    let f = fills(&on_bar(
        &mut b,
        &btc_sym(),
        bar(T2, 100., 101., 97., 99., 10.),
    ));
    assert_eq!((f[0].0.as_str(), f[0].1.price), ("c", dec!(98)));
}

#[test]
fn trailing_stop_follows_the_best_price() {
    let mut b = broker(PaperConfig::default());
    let last = SubmitCtx {
        last_price: Some(dec!(100)),
        ..ctx()
    };
    let t = req(
        "t",
        Side::Sell,
        OrderKind::TrailingStop {
            trail: Trail::Amount(dec!(5)),
        },
        dec!(1),
    );
    b.submit(t, ts(T1), last);
    assert_eq!(b.trailing_stop_level(&id("t")), Some(dec!(95)));
    // Up bar to 110: the stop follows to 105; the low 106 stays above it.
    assert!(on_bar(&mut b, &btc_sym(), bar(T1, 106., 110., 106., 108., 10.)).is_empty());
    assert_eq!(b.trailing_stop_level(&id("t")), Some(dec!(105)));
    // Down bar 108 → 104: through 105 → fills at 105.
    let f = fills(&on_bar(
        &mut b,
        &btc_sym(),
        bar(T2, 108., 109., 104., 105., 10.),
    ));
    assert_eq!(f[0].1.price, dec!(105));
    // Percent trail on the buy side: best 100 → stop 102; the bar rallies 100 → 103.
    let t = req(
        "p",
        Side::Buy,
        OrderKind::TrailingStop {
            trail: Trail::Percent(dec!(2)),
        },
        dec!(1),
    );
    b.submit(t, ts(T3), last);
    let f = fills(&on_bar(
        &mut b,
        &btc_sym(),
        bar(T3, 100., 103., 99., 102.5, 10.),
    ));
    // Up bar: 100 → 103 first: stop 102 hit on the way up (best was 100).
    assert_eq!(f[0].1.price, dec!(102));
}

fn bracket(b: &mut PaperBroker) {
    b.submit(
        req("entry", Side::Buy, OrderKind::Market, dec!(1)),
        ts(T1),
        ctx(),
    );
    let mut tp = req(
        "tp",
        Side::Sell,
        OrderKind::Limit { limit: dec!(110) },
        dec!(1),
    );
    tp.contingency = Contingency {
        triggered_by: Some(id("entry")),
        one_cancels_other: Some(id("sl")),
    };
    tp.reduce_only = true;
    let mut sl = req(
        "sl",
        Side::Sell,
        OrderKind::Stop { stop: dec!(95) },
        dec!(1),
    );
    sl.contingency = Contingency {
        triggered_by: Some(id("entry")),
        one_cancels_other: Some(id("tp")),
    };
    sl.reduce_only = true;
    assert_eq!(
        kinds(&b.submit(tp, ts(T1), ctx())),
        [("tp".into(), "accepted")]
    );
    assert_eq!(
        kinds(&b.submit(sl, ts(T1), ctx())),
        [("sl".into(), "accepted")]
    );
}

#[test]
fn bracket_on_an_up_bar_takes_profit_first() {
    let mut b = broker(PaperConfig::default());
    bracket(&mut b);
    // Up bar: 100 → 112 → 94 → 105. Entry at the open, 110 is reached before 95.
    let ev = on_bar(&mut b, &btc_sym(), bar(T1, 100., 112., 94., 105., 10.));
    assert_eq!(
        kinds(&ev),
        [
            ("entry".into(), "fill"),
            ("tp".into(), "fill"),
            ("sl".into(), "cancel")
        ]
    );
    assert_eq!(fills(&ev)[1].1.price, dec!(110));
    assert!(b.open_orders().is_empty());
}

#[test]
fn bracket_on_a_down_bar_stops_out_first() {
    let mut b = broker(PaperConfig::default());
    bracket(&mut b);
    // Down bar: 100 → 94 → 112 → 99. 95 is reached before 110.
    let ev = on_bar(&mut b, &btc_sym(), bar(T1, 100., 112., 94., 99., 10.));
    assert_eq!(
        kinds(&ev),
        [
            ("entry".into(), "fill"),
            ("sl".into(), "fill"),
            ("tp".into(), "cancel")
        ]
    );
    assert_eq!(fills(&ev)[1].1.price, dec!(95));
}

#[test]
fn bracket_legs_wait_for_the_parent_and_die_with_it() {
    let mut b = broker(PaperConfig::default());
    b.submit(
        req(
            "entry",
            Side::Buy,
            OrderKind::Limit { limit: dec!(90) },
            dec!(1),
        ),
        ts(T1),
        ctx(),
    );
    let mut tp = req(
        "tp",
        Side::Sell,
        OrderKind::Limit { limit: dec!(101) },
        dec!(1),
    );
    tp.contingency.triggered_by = Some(id("entry"));
    b.submit(tp, ts(T1), ctx());
    // The bar would fill the take-profit, but the entry never fills.
    assert!(on_bar(&mut b, &btc_sym(), bar(T1, 100., 112., 94., 105., 10.)).is_empty());
    let ev = b.cancel(&id("entry"), ts(T2));
    assert_eq!(
        kinds(&ev),
        [("entry".into(), "cancel"), ("tp".into(), "cancel")]
    );
    let ev = b.cancel(&id("entry"), ts(T2));
    assert_eq!(kinds(&ev), [("entry".into(), "cancel rejection")]);
}

#[test]
fn partial_fills_over_several_bars_report_leaves() {
    let mut b = broker(PaperConfig {
        max_volume_share: Some(dec!(0.1)),
        ..Default::default()
    });
    b.submit(
        req("p", Side::Buy, OrderKind::Market, dec!(7)),
        ts(T1),
        ctx(),
    );
    let mut got = vec![];
    for t in [T1, T2, T3] {
        for (_, f) in fills(&on_bar(
            &mut b,
            &btc_sym(),
            bar(t, 100., 101., 99., 100., 30.),
        )) {
            got.push((f.quantity, f.leaves));
        }
    }
    assert_eq!(
        got,
        [(dec!(3), dec!(4)), (dec!(3), dec!(1)), (dec!(1), dec!(0))]
    );
}

#[test]
fn fok_is_killed_and_ioc_fills_what_it_can() {
    let mut b = broker(PaperConfig {
        max_volume_share: Some(dec!(0.1)),
        ..Default::default()
    });
    let mut fok = req("fok", Side::Buy, OrderKind::Market, dec!(5));
    fok.tif = TimeInForce::Fok;
    let mut ioc = req("ioc", Side::Buy, OrderKind::Market, dec!(5));
    ioc.tif = TimeInForce::Ioc;
    let mut lim = req(
        "lim",
        Side::Buy,
        OrderKind::Limit { limit: dec!(99) },
        dec!(1),
    );
    lim.tif = TimeInForce::Ioc;
    b.submit(fok, ts(T1), ctx());
    b.submit(ioc, ts(T1), ctx());
    b.submit(lim, ts(T1), ctx());
    // Volume 30 × 0.1 = 3 can fill: FOK (5) dies, IOC gets 3, the IOC limit at 99 is not
    // marketable at the open 100 (IOC/FOK only get the open).
    let ev = on_bar(&mut b, &btc_sym(), bar(T1, 100., 101., 98., 100., 30.));
    assert_eq!(
        kinds(&ev),
        [
            ("fok".into(), "expiry"),
            ("ioc".into(), "fill"),
            ("ioc".into(), "expiry"),
            ("lim".into(), "expiry")
        ]
    );
    assert_eq!(fills(&ev)[0].1.quantity, dec!(3));
    assert_eq!(fills(&ev)[0].1.leaves, dec!(2));
}

#[test]
fn day_orders_expire_at_the_end_of_the_trading_day() {
    // Crypto: 00:00 UTC.
    let mut b = broker(PaperConfig::default());
    let mut d = req(
        "d",
        Side::Buy,
        OrderKind::Limit { limit: dec!(50) },
        dec!(1),
    );
    d.tif = TimeInForce::Day;
    b.submit(d, ts("2024-01-02T10:00:00Z"), ctx());
    assert!(on_bar(
        &mut b,
        &btc_sym(),
        bar("2024-01-02T22:00:00Z", 100., 101., 99., 100., 1.)
    )
    .is_empty());
    let ev = on_bar(
        &mut b,
        &btc_sym(),
        bar("2024-01-02T23:00:00Z", 100., 101., 99., 100., 1.),
    );
    assert_eq!(
        ev,
        [(
            id("d"),
            OrderEvent::Expired {
                time: ts("2024-01-03T00:00:00Z")
            }
        )]
    );
    // Stocks: the session close, 13:00 ET on 2020-12-24 (18:00 UTC).
    let mut s = req(
        "s",
        Side::Buy,
        OrderKind::Limit { limit: dec!(50) },
        dec!(1),
    );
    s.symbol = spy_sym();
    s.tif = TimeInForce::Day;
    assert_eq!(
        kinds(&b.submit(s, ts("2020-12-24T15:00:00Z"), ctx())),
        [("s".into(), "accepted")]
    );
    assert!(b.on_time(ts("2020-12-24T17:59:59Z")).is_empty());
    assert_eq!(
        b.on_time(ts("2020-12-24T18:30:00Z")),
        [(
            id("s"),
            OrderEvent::Expired {
                time: ts("2020-12-24T18:00:00Z")
            }
        )]
    );
}

#[test]
fn fees_per_share_with_minimum_and_maker_taker_rates() {
    let mut b = broker(PaperConfig {
        fees: Fees::PerShare {
            per_share: dec!(0.005),
            minimum: dec!(1),
        },
        ..Default::default()
    });
    b.submit(
        req("a", Side::Buy, OrderKind::Market, dec!(100)),
        ts(T1),
        ctx(),
    );
    b.submit(
        req("b", Side::Buy, OrderKind::Market, dec!(1000)),
        ts(T1),
        ctx(),
    );
    let f = fills(&on_bar(
        &mut b,
        &btc_sym(),
        bar(T1, 100., 101., 99., 100., 1e6),
    ));
    assert_eq!((f[0].1.fee, f[1].1.fee), (dec!(1), dec!(5)));
    let mut b = broker(PaperConfig {
        fees: Fees::Rate {
            taker: dec!(0.001),
            maker: Some(dec!(0.0002)),
        },
        ..Default::default()
    });
    b.submit(
        req("m", Side::Buy, OrderKind::Market, dec!(2)),
        ts(T1),
        ctx(),
    );
    b.submit(
        req(
            "l",
            Side::Buy,
            OrderKind::Limit { limit: dec!(99.5) },
            dec!(2),
        ),
        ts(T1),
        ctx(),
    );
    let f = fills(&on_bar(
        &mut b,
        &btc_sym(),
        bar(T1, 100., 101., 99., 100., 1e6),
    ));
    assert_eq!((f[0].1.fee, f[1].1.fee), (dec!(0.2), dec!(0.0398)));
}

#[test]
fn notional_market_order_rounds_the_quantity_down_to_the_step() {
    let mut b = broker(PaperConfig::default());
    let mut n = req("n", Side::Buy, OrderKind::Market, dec!(1));
    n.size = OrderSize::Notional(dec!(1000));
    n.tif = TimeInForce::Day;
    b.submit(n, ts(T1), ctx());
    let f = fills(&on_bar(
        &mut b,
        &btc_sym(),
        bar(T1, 300., 301., 299., 300., 10.),
    ));
    assert_eq!((f[0].1.quantity, f[0].1.leaves), (dec!(3.333), dec!(0)));
}

#[test]
fn every_reject_reason() {
    let mut b = broker(PaperConfig {
        outside_hours: OutsideHours::Reject,
        ..Default::default()
    });
    let mut inst = btc();
    inst.symbol = Symbol::new("ETHUSDT").unwrap();
    inst.min_notional = dec!(10);
    b.add_instrument(inst);
    let now = ts(T1);
    let mut r = req("u", Side::Buy, OrderKind::Market, dec!(1));
    r.symbol = Symbol::new("NOPE").unwrap();
    assert!(rejection(&b.submit(r, now, ctx())).contains("unknown symbol NOPE"));
    let r = req("z", Side::Buy, OrderKind::Market, dec!(0));
    assert!(rejection(&b.submit(r, now, ctx())).contains("invalid request"));
    let mut r = req("f", Side::Buy, OrderKind::Market, dec!(1.5));
    r.symbol = spy_sym();
    let open = ts("2024-06-03T14:00:00Z");
    assert!(rejection(&b.submit(r, open, ctx())).contains("fractional quantity 1.5 of stock SPY"));
    let r = req("q", Side::Buy, OrderKind::Market, dec!(0.0004));
    let why = rejection(&b.submit(r, now, ctx()));
    assert!(why.contains("below the minimum quantity 0.001"), "{why}");
    let mut r = req(
        "mn",
        Side::Buy,
        OrderKind::Limit { limit: dec!(100) },
        dec!(0.05),
    );
    r.symbol = Symbol::new("ETHUSDT").unwrap();
    let why = rejection(&b.submit(r, now, ctx()));
    assert!(why.contains("below the minimum notional 10"), "{why}");
    let poor = SubmitCtx {
        buying_power: dec!(150),
        position: Decimal::ZERO,
        last_price: Some(dec!(100)),
    };
    let why = rejection(&b.submit(req("bp", Side::Buy, OrderKind::Market, dec!(2)), now, poor));
    assert!(
        why.contains("insufficient buying power") && why.contains("> buying power 150"),
        "{why}"
    );
    // Selling 1 of a 1 long needs no buying power; a reduce-only sell of 2 would flip it.
    let long = SubmitCtx {
        position: dec!(1),
        ..poor
    };
    let mut r = req("ro", Side::Sell, OrderKind::Market, dec!(2));
    r.reduce_only = true;
    let why = rejection(&b.submit(r, now, long));
    assert!(
        why.contains("reduce_only: sell 2 would increase or flip the position 1"),
        "{why}"
    );
    let mut r = req("ok", Side::Sell, OrderKind::Market, dec!(1));
    r.reduce_only = true;
    assert_eq!(kinds(&b.submit(r, now, long)), [("ok".into(), "accepted")]);
    let mut r = req("cl", Side::Buy, OrderKind::Market, dec!(1));
    r.symbol = spy_sym();
    let why = rejection(&b.submit(r, ts("2024-06-08T15:00:00Z"), ctx()));
    assert!(
        why.contains("market closed") && why.contains("2024-06-10T13:30:00"),
        "{why}"
    );
    let why = rejection(&b.submit(req("ok", Side::Buy, OrderKind::Market, dec!(1)), now, ctx()));
    assert!(why.contains("duplicate client order id ok"), "{why}");
    let mut r = req("child", Side::Sell, OrderKind::Market, dec!(1));
    r.contingency.triggered_by = Some(id("ghost"));
    assert!(rejection(&b.submit(r, now, ctx())).contains("parent order ghost"));
}

#[test]
fn queued_stock_orders_wait_for_the_open() {
    let mut b = broker(PaperConfig::default());
    let mut r = req("q", Side::Buy, OrderKind::Market, dec!(10));
    r.symbol = spy_sym();
    // Saturday: queued for Monday 2024-06-10 09:30 ET.
    assert_eq!(
        kinds(&b.submit(r, ts("2024-06-08T15:00:00Z"), ctx())),
        [("q".into(), "accepted")]
    );
    // A pre-market bar does not fill it.
    assert!(on_bar(
        &mut b,
        &spy_sym(),
        bar("2024-06-10T12:00:00Z", 500., 501., 499., 500., 1e6)
    )
    .is_empty());
    let (bar, _) = bar("2024-06-10T13:30:00Z", 501., 502., 500., 501.5, 1e6);
    let ev = b.on_bar(&spy_sym(), &bar, ts("2024-06-10T13:35:00Z"));
    assert_eq!(fills(&ev)[0].1.price, dec!(501));
}

#[test]
fn live_paper_fills_at_the_last_price() {
    let mut b = broker(PaperConfig {
        mode: FillMode::LivePaper,
        slippage: Slippage::Bps(dec!(10)),
        ..Default::default()
    });
    let last = SubmitCtx {
        last_price: Some(dec!(100)),
        ..ctx()
    };
    let ev = b.submit(
        req("m", Side::Buy, OrderKind::Market, dec!(1)),
        ts(T1),
        last,
    );
    assert_eq!(kinds(&ev), [("m".into(), "accepted"), ("m".into(), "fill")]);
    assert_eq!(fills(&ev)[0].1.price, dec!(100.1));
    b.submit(
        req(
            "l",
            Side::Buy,
            OrderKind::Limit { limit: dec!(99) },
            dec!(1),
        ),
        ts(T1),
        last,
    );
    assert!(b.on_trade_price(&btc_sym(), dec!(99.5), ts(T2)).is_empty());
    let f = fills(&b.on_trade_price(&btc_sym(), dec!(98.5), ts(T3)));
    assert_eq!((f[0].1.price, f[0].1.time), (dec!(98.5), ts(T3)));
}

fn scripted() -> (Events, PaperBroker) {
    let mut b = broker(PaperConfig {
        slippage: Slippage::Bps(dec!(5)),
        fees: Fees::bps(dec!(10)),
        max_volume_share: Some(dec!(0.5)),
        ..Default::default()
    });
    let mut ev = vec![];
    ev.extend(b.submit(
        req("a", Side::Buy, OrderKind::Market, dec!(7)),
        ts(T1),
        ctx(),
    ));
    ev.extend(b.submit(
        req(
            "b",
            Side::Sell,
            OrderKind::Limit { limit: dec!(103) },
            dec!(2),
        ),
        ts(T1),
        ctx(),
    ));
    ev.extend(on_bar(
        &mut b,
        &btc_sym(),
        bar(T1, 100., 104., 98., 103., 10.),
    ));
    (ev, b)
}

#[test]
fn deterministic_and_snapshots_restore_exactly() {
    let (e1, b1) = scripted();
    let (e2, b2) = scripted();
    assert_eq!(e1, e2);
    assert_eq!(
        serde_json::to_string(&e1).unwrap(),
        serde_json::to_string(&e2).unwrap()
    );
    let snap = serde_json::to_string(&b1).unwrap();
    let mut restored: PaperBroker = serde_json::from_str(&snap).unwrap();
    assert_eq!(restored, b2);
    let mut original = b2;
    let next = bar(T2, 101., 102., 100., 101., 10.);
    assert_eq!(
        on_bar(&mut restored, &btc_sym(), next),
        on_bar(&mut original, &btc_sym(), next)
    );
    assert_eq!(
        serde_json::to_string(&restored).unwrap(),
        serde_json::to_string(&original).unwrap()
    );
}

#[test]
fn a_restored_broker_still_knows_its_closed_orders() {
    // The closed-order index is not saved: the restored broker rebuilds it from its list.
    let mut b = broker(PaperConfig::default());
    b.submit(
        req("a", Side::Buy, OrderKind::Market, dec!(1)),
        ts(T1),
        ctx(),
    );
    let filled = on_bar(&mut b, &btc_sym(), bar(T1, 100., 101., 99., 100., 10.));
    assert_eq!(kinds(&filled), vec![("a".to_string(), "fill")]);
    let mut restored: PaperBroker =
        serde_json::from_str(&serde_json::to_string(&b).unwrap()).unwrap();
    let again = restored.submit(
        req("a", Side::Buy, OrderKind::Market, dec!(1)),
        ts(T2),
        ctx(),
    );
    assert!(rejection(&again).contains("duplicate"), "{again:?}");
    let mut child = req(
        "c",
        Side::Sell,
        OrderKind::Limit { limit: dec!(110) },
        dec!(1),
    );
    child.contingency.triggered_by = Some(id("a"));
    let ok = restored.submit(child, ts(T2), ctx());
    assert_eq!(kinds(&ok), vec![("c".to_string(), "accepted")], "{ok:?}");
}

fn kind_strategy() -> impl Strategy<Value = OrderKind> {
    let px = (80u32..120).prop_map(Decimal::from);
    prop_oneof![
        Just(OrderKind::Market),
        px.clone().prop_map(|limit| OrderKind::Limit { limit }),
        px.clone().prop_map(|stop| OrderKind::Stop { stop }),
        (px.clone(), px).prop_map(|(stop, limit)| OrderKind::StopLimit { stop, limit }),
        (1u32..10).prop_map(|a| OrderKind::TrailingStop {
            trail: Trail::Amount(Decimal::from(a))
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn fills_stay_in_the_bar_and_never_overfill(
        orders in prop::collection::vec((kind_strategy(), any::<bool>(), 1u32..20, any::<bool>()), 1..8),
        bars in prop::collection::vec((80.0f64..120.0, 0.0f64..10.0, 0.0f64..10.0, 0.0f64..1.0, 0.0f64..50.0), 1..8),
        cap in any::<bool>(),
        slip in 0u32..200,
    ) {
        let mut b = broker(PaperConfig {
            slippage: if slip % 2 == 0 { Slippage::Bps(Decimal::from(slip)) } else { Slippage::RangeShare(Decimal::new(slip as i64, 3)) },
            max_volume_share: cap.then(|| dec!(0.2)),
            ..Default::default()
        });
        let mut mine: Vec<Order> = vec![];
        for (i, (kind, buy, qty, ioc)) in orders.into_iter().enumerate() {
            let side = if buy { Side::Buy } else { Side::Sell };
            let mut r = req(&format!("o{i}"), side, kind, Decimal::from(qty));
            if ioc && matches!(kind, OrderKind::Market | OrderKind::Limit { .. }) {
                r.tif = TimeInForce::Ioc;
            }
            mine.push(Order::new(r.clone(), ts(T1)));
            for (cid, e) in b.submit(r, ts(T1), SubmitCtx { last_price: Some(dec!(100)), ..ctx() }) {
                let o = mine.iter_mut().find(|o| o.request.client_id == cid).unwrap();
                o.apply(&e).unwrap();
            }
        }
        let mut t = ts(T1);
        for (o, up, down, c, v) in bars {
            let (h, l) = (o + up, o - down);
            let close = l + (h - l) * c;
            let bar = Bar::new(t, o, h, l, close, v).unwrap();
            let end = t.checked_add_nanos(3_600_000_000_000).unwrap();
            let (lo, hi) = (ploutos_core::money::price_from_f64(l).unwrap(), ploutos_core::money::price_from_f64(h).unwrap());
            for (cid, e) in b.on_bar(&btc_sym(), &bar, end) {
                if let OrderEvent::Filled(f) = &e {
                    prop_assert!(f.price >= lo && f.price <= hi, "{} outside [{}, {}]", f.price, lo, hi);
                }
                let o = mine.iter_mut().find(|o| o.request.client_id == cid).unwrap();
                o.apply(&e).unwrap();
                if let OrderSize::Quantity(q) = o.request.size {
                    prop_assert!(o.filled_quantity <= q);
                }
            }
            t = end;
        }
    }
}
