//! The engine with orders executed by an outside venue (`execution = "venue"`): commands go
//! out, the venue's reports come back through `on_order_event`, one-cancels-other pairs are
//! kept by the engine, duplicate fills change nothing, and reconciliation corrects the book
//! from the broker's truth and holds trading (fail closed) while something disagrees.

use ploutos_core::order::{ClientOrderId, Fill, Liquidity, OrderEvent, OrderKind, OrderSize};
mod common;

use common::{x, x_bar};
use ploutos_core::{Decimal, Side};
use ploutos_engine::engine::{BrokerTruth, Discrepancy, Engine, EngineConfig, ExecCommand};
use ploutos_engine::events::EngineEvent;
use rust_decimal_macros::dec;

fn engine() -> Engine {
    let text = common::x_config(
        "execution = \"venue\"",
        "cooldown_minutes = 100000",
        "",
        "stop_loss = { percent = 2 }\ntake_profit = { percent = 3 }",
    );
    let cfg: EngineConfig = toml::from_str(&text).unwrap();
    Engine::new(cfg, x_bar(0, 1.0, 1.0, 1.0, 1.0).time()).unwrap()
}

/// Bars 0–2 make EMA(2) cross above EMA(3): BUY on bar 2's close.
fn to_entry(e: &mut Engine, out: &mut Vec<EngineEvent>) -> (ClientOrderId, Option<Decimal>) {
    for ev in common::x_entry_bars() {
        e.on_market_event(&ev, out);
    }
    let cmds = e.take_commands();
    assert_eq!(cmds.len(), 1, "{cmds:?}");
    match &cmds[0] {
        ExecCommand::Submit {
            order,
            reference_price,
        } => {
            assert_eq!(order.side, Side::Buy);
            assert_eq!(order.kind, OrderKind::Market);
            assert!(matches!(
                order.size,
                OrderSize::Quantity(_) | OrderSize::Notional(_)
            ));
            (order.client_id.clone(), *reference_price)
        }
        other => panic!("expected a submission, got {other:?}"),
    }
}

fn fill(id: &str, price: Decimal, qty: Decimal, leaves: Decimal) -> OrderEvent {
    OrderEvent::Filled(Fill {
        id: id.into(),
        time: x_bar(3, 1.0, 1.0, 1.0, 1.0).time(),
        price,
        quantity: qty,
        fee: Decimal::ZERO,
        liquidity: Liquidity::Taker,
        leaves,
    })
}

fn position(e: &Engine) -> Decimal {
    e.state().portfolio.position("s", &x())
}

#[test]
fn orders_go_out_as_commands_and_reports_come_back() {
    let mut e = engine();
    let mut out = Vec::new();
    let (entry, reference) = to_entry(&mut e, &mut out);
    assert_eq!(reference, Some(dec!(100)));
    // Nothing is filled until the venue says so.
    assert_eq!(position(&e), Decimal::ZERO);
    assert!(e.state().open_orders.contains_key(&entry));

    let at = x_bar(3, 1.0, 1.0, 1.0, 1.0).time();
    e.on_order_event(entry.clone(), OrderEvent::Accepted { time: at }, &mut out);
    e.on_order_event(
        entry.clone(),
        fill("t1", dec!(100), dec!(10), dec!(0)),
        &mut out,
    );
    // The same fill reported twice (order answer and update stream) counts once.
    e.on_order_event(
        entry.clone(),
        fill("t1", dec!(100), dec!(10), dec!(0)),
        &mut out,
    );
    assert_eq!(position(&e), dec!(10));
    assert!(!e.state().open_orders.contains_key(&entry));

    // The exits went out: a stop at 98 and a take-profit limit at 103, paired.
    let cmds = e.take_commands();
    let exits: Vec<_> = cmds
        .iter()
        .map(|c| match c {
            ExecCommand::Submit { order, .. } => order.clone(),
            other => panic!("expected submissions, got {other:?}"),
        })
        .collect();
    assert!(exits.len() >= 2, "{exits:?}");
    let stop = exits
        .iter()
        .find(|o| matches!(o.kind, OrderKind::Stop { .. }))
        .expect("a stop");
    let tp = exits
        .iter()
        .find(|o| matches!(o.kind, OrderKind::Limit { .. }))
        .expect("a take-profit");
    assert_eq!(stop.kind, OrderKind::Stop { stop: dec!(98.00) });
    assert_eq!(
        tp.kind,
        OrderKind::Limit {
            limit: dec!(103.00)
        }
    );
    assert_eq!(
        stop.contingency.one_cancels_other.as_ref(),
        Some(&tp.client_id)
    );

    // The take-profit fills: the engine cancels the stop at the venue itself.
    e.on_order_event(
        tp.client_id.clone(),
        fill("t3", dec!(103), dec!(10), dec!(0)),
        &mut out,
    );
    assert_eq!(position(&e), Decimal::ZERO);
    let cmds = e.take_commands();
    assert_eq!(
        cmds,
        vec![ExecCommand::Cancel {
            symbol: x(),
            client_id: stop.client_id.clone()
        }]
    );
    e.on_order_event(
        stop.client_id.clone(),
        OrderEvent::Canceled { time: at },
        &mut out,
    );
    assert!(e.state().open_orders.is_empty());
    let closed = out
        .iter()
        .filter(|ev| matches!(ev, EngineEvent::TradeClosed { .. }))
        .count();
    assert_eq!(closed, 1);
    assert!(
        !out.iter().any(|ev| matches!(ev, EngineEvent::Error { .. })),
        "{out:?}"
    );
}

#[test]
fn reconciliation_corrects_the_book_and_holds_trading_until_agreement() {
    let mut e = engine();
    let mut out = Vec::new();
    e.hold_for_reconcile(&mut out);
    assert_eq!(e.halted(), Some("reconcile"));

    // While held, the BUY signal sends no order.
    for ev in common::x_entry_bars() {
        e.on_market_event(&ev, &mut out);
    }
    assert!(e.take_commands().is_empty());

    // The broker holds 7 units the journal does not know, and works an unknown order.
    let stranger = ClientOrderId::new("manual-1").unwrap();
    let mut truth = BrokerTruth::default();
    truth.positions.insert(x(), dec!(7));
    truth.open_orders.insert(stranger.clone(), x());
    let found = e.reconcile(&truth, &mut out);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found.contains(&Discrepancy::UnknownOrder {
        client_id: stranger.clone(),
        symbol: x()
    }));
    assert!(found.iter().any(|d| matches!(
        d,
        Discrepancy::Position { engine, venue, strategy: Some(_), price: Some(_), .. }
            if *engine == Decimal::ZERO && *venue == dec!(7)
    )));
    assert_eq!(position(&e), dec!(7), "corrected from the broker");
    assert_eq!(
        e.halted(),
        Some("reconcile"),
        "an unknown order keeps trading held"
    );
    let reported = out
        .iter()
        .filter(|ev| matches!(ev, EngineEvent::Error { message, .. } if message.starts_with("reconcile:")))
        .count();
    assert_eq!(reported, 2);

    // The user cancels the stranger at the broker: the next reconcile agrees and resumes.
    truth.open_orders.clear();
    let found = e.reconcile(&truth, &mut out);
    assert!(found.is_empty(), "{found:?}");
    assert_eq!(e.halted(), None);
}

#[test]
fn an_order_the_broker_no_longer_works_is_closed_in_the_book() {
    let mut e = engine();
    let mut out = Vec::new();
    let (entry, _) = to_entry(&mut e, &mut out);
    let found = e.reconcile(&BrokerTruth::default(), &mut out);
    assert_eq!(
        found,
        vec![Discrepancy::OrderMissing {
            client_id: entry.clone()
        }]
    );
    assert!(e.state().open_orders.is_empty());
    assert_eq!(e.halted(), None, "a missing order does not block");
}
