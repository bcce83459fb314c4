//! Exchange filters applied locally before an order is sent: quantities floored to the step,
//! prices rounded to the tick (floor for buys, ceil for sells), minimum quantity and
//! notional checked, numbers formatted with no exponent and no more decimals than the step.
//! A violation is [`VenueError::Invalid`] naming the filter and the value.

use ploutos_core::order::{ClientOrderId, OrderKind, OrderRequest, OrderSize, TimeInForce, Trail};
use ploutos_core::{Decimal, Side};
use rust_decimal::RoundingStrategy;

use crate::error::VenueError;

use super::types::SymbolRules;
use super::VENUE;

/// The parameters of one order, ready to send (without `newOrderRespType` and the signing
/// parameters).
pub type OrderParams = Vec<(&'static str, String)>;

fn invalid(id: &ClientOrderId, message: String) -> VenueError {
    VenueError::Invalid {
        venue: VENUE,
        client_id: id.to_string(),
        message,
    }
}

/// `value` as a string with at most as many decimals as `step` has (no exponent, trailing
/// zeros dropped).
pub fn format_step(value: Decimal, step: Decimal) -> String {
    let dp = if step > Decimal::ZERO {
        step.normalize().scale()
    } else {
        value.normalize().scale()
    };
    value
        .round_dp_with_strategy(dp, RoundingStrategy::ToZero)
        .normalize()
        .to_string()
}

/// `value` rounded to a multiple of `step` in the given direction (`step` 0: unchanged).
fn to_step(value: Decimal, step: Decimal, up: bool) -> Decimal {
    if step <= Decimal::ZERO {
        return value;
    }
    let units = value / step;
    let units = if up { units.ceil() } else { units.floor() };
    units * step
}

/// Side as Binance spells it.
pub fn side_str(side: Side) -> &'static str {
    match side {
        Side::Buy => "BUY",
        Side::Sell => "SELL",
    }
}

/// Rounds a price to the tick (floor for buys, ceil for sells: never a worse price than
/// asked) and checks PRICE_FILTER's range.
pub fn round_price(
    rules: &SymbolRules,
    id: &ClientOrderId,
    side: Side,
    field: &str,
    price: Decimal,
) -> Result<String, VenueError> {
    let rounded = to_step(price, rules.tick_size, side == Side::Sell);
    if rounded <= Decimal::ZERO {
        return Err(invalid(
            id,
            format!(
                "PRICE_FILTER: {field} {price} rounds to {rounded} at tickSize {}",
                rules.tick_size
            ),
        ));
    }
    if rules.min_price > Decimal::ZERO && rounded < rules.min_price {
        return Err(invalid(
            id,
            format!(
                "PRICE_FILTER: {field} {rounded} is below minPrice {}",
                rules.min_price
            ),
        ));
    }
    if rules.max_price > Decimal::ZERO && rounded > rules.max_price {
        return Err(invalid(
            id,
            format!(
                "PRICE_FILTER: {field} {rounded} is above maxPrice {}",
                rules.max_price
            ),
        ));
    }
    Ok(format_step(rounded, rules.tick_size))
}

/// Floors a quantity to the step of LOT_SIZE (MARKET_LOT_SIZE for market orders where it
/// is listed with a step) and checks its range. Returns the rounded value and its text.
pub fn round_quantity(
    rules: &SymbolRules,
    id: &ClientOrderId,
    market: bool,
    qty: Decimal,
) -> Result<(Decimal, String), VenueError> {
    let (filter, min, max, step) = match rules.market_lot {
        Some((min, max, step)) if market && step > Decimal::ZERO => {
            ("MARKET_LOT_SIZE", min, max, step)
        }
        _ => ("LOT_SIZE", rules.min_qty, rules.max_qty, rules.step_size),
    };
    let rounded = to_step(qty, step, false);
    if rounded <= Decimal::ZERO || rounded < min {
        return Err(invalid(
            id,
            format!("{filter}: quantity {qty} floored to stepSize {step} is {rounded}, below minQty {min}"),
        ));
    }
    if max > Decimal::ZERO && rounded > max {
        return Err(invalid(
            id,
            format!("{filter}: quantity {rounded} is above maxQty {max}"),
        ));
    }
    Ok((rounded, format_step(rounded, step)))
}

/// Checks NOTIONAL / MIN_NOTIONAL for `price × qty` (for market orders only where the
/// filter applies to them).
pub fn check_notional(
    rules: &SymbolRules,
    id: &ClientOrderId,
    market: bool,
    notional: Decimal,
) -> Result<(), VenueError> {
    let min_applies = !market || rules.min_notional_market;
    if min_applies && rules.min_notional > Decimal::ZERO && notional < rules.min_notional {
        return Err(invalid(
            id,
            format!(
                "NOTIONAL: order value {notional} is below minNotional {}",
                rules.min_notional
            ),
        ));
    }
    let max_applies = !market || rules.max_notional_market;
    if max_applies && rules.max_notional > Decimal::ZERO && notional > rules.max_notional {
        return Err(invalid(
            id,
            format!(
                "NOTIONAL: order value {notional} is above maxNotional {}",
                rules.max_notional
            ),
        ));
    }
    Ok(())
}

fn tif_str(req: &OrderRequest) -> Result<&'static str, VenueError> {
    match req.tif {
        TimeInForce::Gtc => Ok("GTC"),
        TimeInForce::Ioc => Ok("IOC"),
        TimeInForce::Fok => Ok("FOK"),
        TimeInForce::Day => Err(invalid(
            &req.client_id,
            "time in force day does not exist at Binance (24/7 market): use gtc, ioc or fok".into(),
        )),
    }
}

/// Trailing percent → `trailingDelta` in basis points (1 % = 100), a whole number ≥ 1.
fn trailing_delta(id: &ClientOrderId, percent: Decimal) -> Result<String, VenueError> {
    let bips = (percent * Decimal::ONE_HUNDRED)
        .round_dp_with_strategy(0, RoundingStrategy::MidpointNearestEven);
    if bips < Decimal::ONE {
        return Err(invalid(
            id,
            format!("TRAILING_DELTA: trail {percent}% is less than 1 basis point"),
        ));
    }
    Ok(bips.normalize().to_string())
}

/// The Binance parameters of `req` after the symbol's filters: type, side, quantity or
/// quoteOrderQty, price, stopPrice / trailingDelta, timeInForce, newClientOrderId.
/// `reference_price` (the last price) is used for a market order's minimum notional.
pub fn order_params(
    req: &OrderRequest,
    rules: &SymbolRules,
    reference_price: Option<Decimal>,
) -> Result<OrderParams, VenueError> {
    let id = &req.client_id;
    if let Err(e) = req.validate() {
        return Err(invalid(id, e.to_string()));
    }
    if !rules.status.is_empty() && rules.status != "TRADING" {
        return Err(invalid(
            id,
            format!("symbol {} is {}, not TRADING", rules.symbol, rules.status),
        ));
    }
    let mut p: OrderParams = vec![
        ("symbol", rules.symbol.clone()),
        ("side", side_str(req.side).into()),
    ];
    let market = matches!(req.kind, OrderKind::Market);
    match (req.kind, req.size) {
        (OrderKind::Market, OrderSize::Notional(quote)) => {
            let quote =
                quote.round_dp_with_strategy(rules.quote_precision, RoundingStrategy::ToZero);
            check_notional(rules, id, true, quote)?;
            p.push(("type", "MARKET".into()));
            p.push(("quoteOrderQty", quote.normalize().to_string()));
        }
        (_, OrderSize::Notional(_)) => {
            return Err(invalid(
                id,
                "a notional size is only possible for a market order".into(),
            ));
        }
        (kind, OrderSize::Quantity(qty)) => {
            let (qty, qty_s) = round_quantity(rules, id, market, qty)?;
            match kind {
                OrderKind::Market => {
                    if let Some(price) = reference_price {
                        check_notional(rules, id, true, price * qty)?;
                    }
                    p.push(("type", "MARKET".into()));
                }
                OrderKind::Limit { limit } => {
                    let price = round_price(rules, id, req.side, "price", limit)?;
                    check_notional(rules, id, false, price_dec(&price) * qty)?;
                    p.push(("type", "LIMIT".into()));
                    p.push(("timeInForce", tif_str(req)?.into()));
                    p.push(("price", price));
                }
                OrderKind::Stop { stop } => {
                    let stop = round_price(rules, id, req.side, "stopPrice", stop)?;
                    if let Some(price) = reference_price {
                        check_notional(rules, id, true, price * qty)?;
                    }
                    p.push(("type", "STOP_LOSS".into()));
                    p.push(("stopPrice", stop));
                }
                OrderKind::StopLimit { stop, limit } => {
                    let price = round_price(rules, id, req.side, "price", limit)?;
                    let stop = round_price(rules, id, req.side, "stopPrice", stop)?;
                    check_notional(rules, id, false, price_dec(&price) * qty)?;
                    p.push(("type", "STOP_LOSS_LIMIT".into()));
                    p.push(("timeInForce", tif_str(req)?.into()));
                    p.push(("price", price));
                    p.push(("stopPrice", stop));
                }
                OrderKind::TrailingStop {
                    trail: Trail::Percent(pct),
                } => {
                    p.push(("type", "STOP_LOSS".into()));
                    p.push(("trailingDelta", trailing_delta(id, pct)?));
                }
                OrderKind::TrailingStop {
                    trail: Trail::Amount(a),
                } => {
                    return Err(invalid(
                        id,
                        format!("a trailing stop by amount ({a}) is not supported at Binance: use a percent trail"),
                    ));
                }
            }
            p.push(("quantity", qty_s));
        }
    }
    p.push(("newClientOrderId", id.to_string()));
    Ok(p)
}

fn price_dec(s: &str) -> Decimal {
    s.parse().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ploutos_core::Symbol;
    use rust_decimal_macros::dec;

    fn rules() -> SymbolRules {
        SymbolRules {
            symbol: "BTCUSDT".into(),
            status: "TRADING".into(),
            base_asset: "BTC".into(),
            quote_asset: "USDT".into(),
            quote_precision: 8,
            min_price: dec!(0.01),
            max_price: dec!(1000000),
            tick_size: dec!(0.01),
            min_qty: dec!(0.00001),
            max_qty: dec!(9000),
            step_size: dec!(0.00001),
            market_lot: None,
            min_notional: dec!(5),
            min_notional_market: true,
            max_notional: dec!(0),
            max_notional_market: false,
        }
    }

    fn req(side: Side, kind: OrderKind, size: OrderSize, tif: TimeInForce) -> OrderRequest {
        OrderRequest {
            client_id: ClientOrderId::new("t-1").unwrap(),
            strategy: "s".into(),
            symbol: Symbol::new("BTCUSDT").unwrap(),
            side,
            kind,
            size,
            tif,
            contingency: Default::default(),
            reduce_only: false,
            reason: "test".into(),
        }
    }

    fn get<'a>(p: &'a OrderParams, k: &str) -> Option<&'a str> {
        p.iter().find(|(n, _)| *n == k).map(|(_, v)| v.as_str())
    }

    #[test]
    fn limit_prices_round_in_the_safe_direction_and_quantities_floor() {
        let buy = req(
            Side::Buy,
            OrderKind::Limit {
                limit: dec!(43000.129),
            },
            OrderSize::Quantity(dec!(0.123456789)),
            TimeInForce::Gtc,
        );
        let p = order_params(&buy, &rules(), None).unwrap();
        assert_eq!(get(&p, "price"), Some("43000.12"));
        assert_eq!(get(&p, "quantity"), Some("0.12345"));
        assert_eq!(get(&p, "timeInForce"), Some("GTC"));
        assert_eq!(get(&p, "newClientOrderId"), Some("t-1"));
        let sell = req(
            Side::Sell,
            OrderKind::Limit {
                limit: dec!(43000.121),
            },
            OrderSize::Quantity(dec!(1)),
            TimeInForce::Ioc,
        );
        let p = order_params(&sell, &rules(), None).unwrap();
        assert_eq!(get(&p, "price"), Some("43000.13"));
        assert_eq!(get(&p, "quantity"), Some("1"));
    }

    #[test]
    fn filters_reject_locally_naming_the_filter_and_value() {
        let tiny = req(
            Side::Buy,
            OrderKind::Market,
            OrderSize::Quantity(dec!(0.000001)),
            TimeInForce::Gtc,
        );
        let e = order_params(&tiny, &rules(), Some(dec!(40000)))
            .unwrap_err()
            .to_string();
        assert!(e.contains("LOT_SIZE") && e.contains("0.000001"), "{e}");
        let small = req(
            Side::Buy,
            OrderKind::Market,
            OrderSize::Quantity(dec!(0.0001)),
            TimeInForce::Gtc,
        );
        let e = order_params(&small, &rules(), Some(dec!(40000)))
            .unwrap_err()
            .to_string();
        assert!(e.contains("NOTIONAL") && e.contains("4.0000"), "{e}");
        let day = req(
            Side::Buy,
            OrderKind::Limit { limit: dec!(1) },
            OrderSize::Quantity(dec!(10)),
            TimeInForce::Day,
        );
        assert!(order_params(&day, &rules(), None)
            .unwrap_err()
            .to_string()
            .contains("day"));
        let amount = req(
            Side::Sell,
            OrderKind::TrailingStop {
                trail: Trail::Amount(dec!(5)),
            },
            OrderSize::Quantity(dec!(1)),
            TimeInForce::Gtc,
        );
        assert!(matches!(
            order_params(&amount, &rules(), None),
            Err(VenueError::Invalid { .. })
        ));
    }

    #[test]
    fn order_types_map_to_binance_types() {
        let notional = req(
            Side::Buy,
            OrderKind::Market,
            OrderSize::Notional(dec!(100.5)),
            TimeInForce::Gtc,
        );
        let p = order_params(&notional, &rules(), None).unwrap();
        assert_eq!(
            (get(&p, "type"), get(&p, "quoteOrderQty")),
            (Some("MARKET"), Some("100.5"))
        );
        let stop = req(
            Side::Sell,
            OrderKind::Stop {
                stop: dec!(39000.005),
            },
            OrderSize::Quantity(dec!(1)),
            TimeInForce::Gtc,
        );
        let p = order_params(&stop, &rules(), None).unwrap();
        assert_eq!(
            (get(&p, "type"), get(&p, "stopPrice")),
            (Some("STOP_LOSS"), Some("39000.01"))
        );
        let sl = req(
            Side::Sell,
            OrderKind::StopLimit {
                stop: dec!(39000),
                limit: dec!(38900),
            },
            OrderSize::Quantity(dec!(1)),
            TimeInForce::Gtc,
        );
        let p = order_params(&sl, &rules(), None).unwrap();
        assert_eq!(get(&p, "type"), Some("STOP_LOSS_LIMIT"));
        let trail = req(
            Side::Sell,
            OrderKind::TrailingStop {
                trail: Trail::Percent(dec!(1.5)),
            },
            OrderSize::Quantity(dec!(1)),
            TimeInForce::Gtc,
        );
        let p = order_params(&trail, &rules(), None).unwrap();
        assert_eq!(
            (get(&p, "type"), get(&p, "trailingDelta")),
            (Some("STOP_LOSS"), Some("150"))
        );
    }

    #[test]
    fn formatting_has_no_exponent_and_no_extra_decimals() {
        assert_eq!(format_step(dec!(0.00000100), dec!(0.00000001)), "0.000001");
        assert_eq!(format_step(dec!(12300), dec!(100)), "12300");
        assert_eq!(format_step(dec!(1.23456), dec!(0.01)), "1.23");
    }
}
