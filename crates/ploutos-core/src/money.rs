//! Money, prices in orders and quantities: [`Decimal`] (`rust_decimal`), never `f64`.
//!
//! Market data (bars, indicators) stays `f64` for speed; where a market price becomes an order
//! price or a fill price it is converted with [`price_from_f64`], which takes the shortest
//! decimal that reads back to the same `f64` (the number as the data file or exchange wrote
//! it: `6412.46`, not `6412.460000000000036379788`).

pub use rust_decimal::Decimal;

/// The shortest decimal that round-trips to `x`; `None` for NaN, infinities and values
/// outside `Decimal`'s range (±7.9e28) or precision (28 digits).
pub fn price_from_f64(x: f64) -> Option<Decimal> {
    if !x.is_finite() {
        return None;
    }
    // Rust's `Display` for f64 prints the shortest round-trip representation, never in
    // exponent form; Decimal parses up to 28 significant digits.
    let s = x.to_string();
    s.parse::<Decimal>()
        .ok()
        .or_else(|| Decimal::from_scientific(&format!("{x:e}")).ok())
}

/// `d` as the nearest `f64` (for indicators and display).
pub fn to_f64(d: Decimal) -> f64 {
    use rust_decimal::prelude::ToPrimitive;
    d.to_f64().unwrap_or(f64::NAN)
}

/// Rounds `value` down to a whole multiple of `step` (Binance-style step/tick filters);
/// `step <= 0` leaves it unchanged.
pub fn floor_to_step(value: Decimal, step: Decimal) -> Decimal {
    if step <= Decimal::ZERO {
        return value;
    }
    (value / step).floor() * step
}

/// Rounds `value` to the nearest multiple of `step` (ties away from zero).
pub fn round_to_step(value: Decimal, step: Decimal) -> Decimal {
    if step <= Decimal::ZERO {
        return value;
    }
    (value / step).round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
        * step
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn prices_keep_the_digits_the_data_had() {
        assert_eq!(price_from_f64(6412.46), Some(dec!(6412.46)));
        assert_eq!(price_from_f64(0.00141418), Some(dec!(0.00141418)));
        assert_eq!(price_from_f64(100.0), Some(dec!(100)));
        assert_eq!(price_from_f64(f64::NAN), None);
        assert_eq!(price_from_f64(1e300), None);
        assert_eq!(to_f64(dec!(519.5)), 519.5);
    }

    #[test]
    fn steps() {
        assert_eq!(floor_to_step(dec!(0.123456), dec!(0.001)), dec!(0.123));
        assert_eq!(round_to_step(dec!(101.237), dec!(0.05)), dec!(101.25));
        assert_eq!(floor_to_step(dec!(5), Decimal::ZERO), dec!(5));
    }
}
