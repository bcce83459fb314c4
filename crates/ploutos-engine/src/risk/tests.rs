//! Every rule on a hand-checkable scenario: a strategy with 10,000 of equity out of 40,000
//! total, buying a $100 stock.

use super::*;
use rust_decimal_macros::dec;

fn base() -> RiskCtx {
    RiskCtx {
        now: Timestamp::from_secs(1_000_000).unwrap(),
        confidence: 75,
        long: true,
        price: dec!(100),
        stop_distance: None,
        strategy_equity: dec!(10000),
        total_equity: dec!(40000),
        buying_power: dec!(10000),
        fee_rate: dec!(0.001),
        symbol_exposure: dec!(0),
        has_position: false,
        order_pending: false,
        signal_seen: false,
        last_exit: None,
        market_open: true,
        open_positions: 0,
        trades_today: 0,
        paused: None,
        step: dec!(1),
        min_quantity: dec!(1),
    }
}

fn rm() -> RiskManager {
    RiskManager::new(RiskConfig::default())
}

fn rule(c: RiskCtx) -> RiskRule {
    rm().check_entry(&c).unwrap_err().rule
}

#[test]
fn default_sizing_is_20_percent_of_the_strategy_equity() {
    // 20% of 10,000 = 2,000 → 20 shares; no cap binds (position 25% = 2,500; exposure 20% of
    // 40,000 = 8,000; buying power 10,000).
    let p = rm().check_entry(&base()).unwrap();
    assert_eq!(p.quantity, dec!(20));
    assert!(p.capped_by.is_empty());
}

#[test]
fn each_gate_rejects_with_its_rule() {
    assert_eq!(
        rule(RiskCtx {
            paused: Some("drawdown".into()),
            ..base()
        }),
        RiskRule::BreakerPaused
    );
    assert_eq!(
        rule(RiskCtx {
            confidence: 59,
            ..base()
        }),
        RiskRule::MinConfidence
    );
    assert_eq!(
        rule(RiskCtx {
            long: false,
            ..base()
        }),
        RiskRule::ShortNotAllowed
    );
    assert_eq!(
        rule(RiskCtx {
            has_position: true,
            ..base()
        }),
        RiskRule::OnePositionPerSymbol
    );
    assert_eq!(
        rule(RiskCtx {
            signal_seen: true,
            ..base()
        }),
        RiskRule::DuplicateSignal
    );
    assert_eq!(
        rule(RiskCtx {
            order_pending: true,
            ..base()
        }),
        RiskRule::OrderPending
    );
    assert_eq!(
        rule(RiskCtx {
            market_open: false,
            ..base()
        }),
        RiskRule::MarketClosed
    );
    assert_eq!(
        rule(RiskCtx {
            open_positions: 5,
            ..base()
        }),
        RiskRule::MaxOpenPositions
    );
    assert!(rm()
        .check_entry(&RiskCtx {
            open_positions: 4,
            ..base()
        })
        .is_ok());
    assert_eq!(
        rule(RiskCtx {
            trades_today: 10,
            ..base()
        }),
        RiskRule::MaxTradesPerDay
    );
    assert_eq!(
        rule(RiskCtx {
            price: dec!(0),
            ..base()
        }),
        RiskRule::NoPrice
    );
}

#[test]
fn cooldown_runs_15_minutes_after_an_exit() {
    let now = base().now;
    let exit = Timestamp::from_nanos(now.as_nanos() - 14 * 60_000_000_000);
    let e = rm()
        .check_entry(&RiskCtx {
            last_exit: Some(exit),
            ..base()
        })
        .unwrap_err();
    assert_eq!(e.rule, RiskRule::Cooldown);
    assert!(e.detail.contains("15 minutes"), "{e}");
    let exit = Timestamp::from_nanos(now.as_nanos() - 15 * 60_000_000_000);
    assert!(rm()
        .check_entry(&RiskCtx {
            last_exit: Some(exit),
            ..base()
        })
        .is_ok());
}

#[test]
fn caps_reduce_the_size_and_say_which() {
    // Risk-based sizing at 2% with a $1 stop would buy 200 shares ($20,000); the position
    // limit (25% of 10,000 = $2,500 → 25 shares) binds.
    let cfg = RiskConfig {
        sizing: Sizing::Risk { percent: dec!(2) },
        ..RiskConfig::default()
    };
    let p = RiskManager::new(cfg.clone())
        .check_entry(&RiskCtx {
            stop_distance: Some(dec!(1)),
            ..base()
        })
        .unwrap();
    assert_eq!(p.quantity, dec!(25));
    assert_eq!(p.capped_by, vec![RiskRule::PositionSize]);
    // With a $20 stop the 2% risk (200) allows 10 shares: risk per trade binds.
    let p = RiskManager::new(cfg)
        .check_entry(&RiskCtx {
            stop_distance: Some(dec!(20)),
            ..base()
        })
        .unwrap();
    assert_eq!(p.quantity, dec!(10));
    // Exposure: 7,500 already held of the 8,000 allowed in one asset → 5 shares.
    let p = rm()
        .check_entry(&RiskCtx {
            symbol_exposure: dec!(7500),
            ..base()
        })
        .unwrap();
    assert_eq!(p.quantity, dec!(5));
    assert_eq!(p.capped_by, vec![RiskRule::AssetExposure]);
    // Buying power 1,000 with a 0.1% fee → 999 → 9 whole shares.
    let p = rm()
        .check_entry(&RiskCtx {
            buying_power: dec!(1000),
            ..base()
        })
        .unwrap();
    assert_eq!(p.quantity, dec!(9));
    assert_eq!(p.capped_by, vec![RiskRule::BuyingPower]);
}

#[test]
fn a_size_that_rounds_to_nothing_names_the_binding_limit() {
    let e = rm()
        .check_entry(&RiskCtx {
            buying_power: dec!(50),
            ..base()
        })
        .unwrap_err();
    assert_eq!(e.rule, RiskRule::BuyingPower);
    assert!(e.detail.contains("below the minimum quantity 1"), "{e}");
    let e = rm()
        .check_entry(&RiskCtx {
            symbol_exposure: dec!(8000),
            ..base()
        })
        .unwrap_err();
    assert_eq!(e.rule, RiskRule::AssetExposure);
}

#[test]
fn fractional_crypto_sizes_to_the_step() {
    let c = RiskCtx {
        price: dec!(6412.46),
        step: dec!(0.00001),
        min_quantity: dec!(0.00001),
        ..base()
    };
    let p = rm().check_entry(&c).unwrap();
    assert_eq!(p.quantity, dec!(0.31189));
}
