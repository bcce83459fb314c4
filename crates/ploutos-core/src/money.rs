//! Money, prices in orders and quantities: [`Decimal`] (`rust_decimal`), never `f64`.
//!
//! Market data (bars, indicators) stays `f64` for speed; where a market price becomes an order
//! price or a fill price it is converted with [`price_from_f64`], which takes the shortest
//! decimal that reads back to the same `f64` (the number as the data file or exchange wrote
//! it: `6412.46`, not `6412.460000000000036379788`).

pub use rust_decimal::Decimal;

/// `d > 0` without a general comparison (rust_decimal's aligns the scales first): a zero test
/// and the sign bit. For the order path's many checks against zero.
#[inline]
pub fn is_positive(d: Decimal) -> bool {
    !d.is_zero() && d.is_sign_positive()
}

/// `d < 0`, as [`is_positive`].
#[inline]
pub fn is_negative(d: Decimal) -> bool {
    !d.is_zero() && d.is_sign_negative()
}

/// The shortest decimal that round-trips to `x`; `None` for NaN, infinities and values
/// outside `Decimal`'s range (±7.9e28) or precision (28 digits).
pub fn price_from_f64(x: f64) -> Option<Decimal> {
    if !x.is_finite() {
        return None;
    }
    // Fast path (prices, quantities): the fewest decimals k <= 12 such that round(x·10^k)/10^k
    // is x again. Both the product and the quotient are correctly rounded, so the check is
    // exact: this is the shortest decimal with k fractional digits that reads back as x, which
    // is what the general path below finds too (tested against it).
    let a = x.abs();
    if a < 1e7 {
        // Fastest path (most prices): at most 8 decimals. Below 10^7 an ulp of `x` is under
        // 2e-9, so at most one multiple of 1e-8 reads back as `x`; x·1e8 lands within 0.25 of
        // it (half an ulp of `x` scaled, plus the product's rounding), so rounding finds it,
        // and the correctly rounded quotient checks it. Its trailing zeros dropped, it is the
        // shortest decimal that reads back as `x` (any shorter one is the same multiple).
        let m = round_half_away(x * 1e8);
        if m / 1e8 == x {
            // Trailing zeros dropped (at most 8) in steps of 4, 2, 1 and 1: the same as one
            // at a time, in fewer divisions.
            let (mut m, mut k) = (m as i64, 8u32);
            for (step, p) in [(4, 10_000), (2, 100), (1, 10), (1, 10)] {
                if m % p == 0 {
                    m /= p;
                    k -= step;
                }
            }
            return Some(Decimal::new(m, k));
        }
    }
    if a < 1e15 {
        // Below 2^51 (m < 2e15) at most one decimal with k fractional digits reads back as
        // `x` (an ulp of `x` is then under half of 10^-k), so the first found is Display's;
        // above, two may (826375360407152.2 and .3 are the same double), and the text path
        // below picks the one Display prints.
        let mut scale = 1.0f64;
        for k in 0..=12u32 {
            let m = round_half_away(x * scale);
            if m.abs() < 2.0e15 && m / scale == x {
                return Some(Decimal::new(m as i64, k));
            }
            scale *= 10.0;
        }
    }
    // Rust's `Display` for f64 prints the shortest round-trip representation, never in
    // exponent form; Decimal parses up to 28 significant digits.
    let s = x.to_string();
    s.parse::<Decimal>()
        .ok()
        .or_else(|| Decimal::from_scientific(&format!("{x:e}")).ok())
}

/// `f64::round` (half away from zero) for `|r| < 2^53`, without the library call it is on
/// baseline x86-64 (no SSE4.1 `roundsd`): truncate by a cast, then step away from zero when
/// the dropped fraction is at least one half. Both steps are exact below 2^53; larger values
/// (which `price_from_f64` rejects anyway) come back as something at least as large.
fn round_half_away(r: f64) -> f64 {
    if r.is_nan() || r.abs() >= 9.0e15 {
        return r; // the caller's range check fails either way
    }
    // Exact: |r| < 2^53 fits an i64 and converts back without rounding (the sign kept for
    // a zero, as `round` keeps it).
    let t = (r as i64 as f64).copysign(r);
    let frac = r - t;
    if frac >= 0.5 {
        t + 1.0
    } else if frac <= -0.5 {
        t - 1.0
    } else {
        t
    }
}

/// `d` as an `f64` (for indicators, metrics and display): exactly what `rust_decimal` gives
/// (`Decimal::to_f64`), computed with 64-bit integers where the mantissa and the power of ten
/// fit (the crate divides 128-bit integers, several times slower; equity curves convert one
/// value per bar).
pub fn to_f64(d: Decimal) -> f64 {
    use rust_decimal::prelude::ToPrimitive;
    let scale = d.scale();
    let mantissa = d.mantissa().unsigned_abs();
    if scale == 0 || scale > 19 || mantissa > u128::from(u64::MAX) {
        return d.to_f64().unwrap_or(f64::NAN);
    }
    // The crate's steps (`Decimal::as_f64`) on the same integers, in u64.
    let m = mantissa as u64;
    let precision = 10u64.pow(scale);
    let (integral, frac) = (m / precision, m % precision);
    let frac = frac as f64 / precision as f64;
    let integral = integral as f64;
    let magnitude = if frac == 0.0 {
        integral
    } else {
        let round_to = 10f64.powi(scale as i32);
        ((integral + frac) * round_to).round() / round_to
    };
    if d.is_sign_negative() {
        -magnitude
    } else {
        magnitude
    }
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
    fn the_fast_path_agrees_with_the_shortest_round_trip() {
        use crate::synth::SplitMix64;
        let mut rng = SplitMix64::new(1);
        for i in 0..200_000u64 {
            let digits = (i % 9) as i32;
            let raw = (rng.next_unit() - 0.5) * 10f64.powi((i % 12) as i32);
            let x = (raw * 10f64.powi(digits)).round() / 10f64.powi(digits);
            let slow = x.to_string().parse::<Decimal>().ok();
            assert_eq!(price_from_f64(x), slow, "{x}");
        }
        for x in [
            0.1,
            0.2 + 0.1,
            1e-12,
            123456789.123,
            6412.46,
            0.00141418,
            -3.5,
            0.0,
        ] {
            assert_eq!(
                price_from_f64(x),
                x.to_string().parse::<Decimal>().ok(),
                "{x}"
            );
        }
    }

    #[test]
    fn steps() {
        assert_eq!(floor_to_step(dec!(0.123456), dec!(0.001)), dec!(0.123));
        assert_eq!(round_to_step(dec!(101.237), dec!(0.05)), dec!(101.25));
        assert_eq!(floor_to_step(dec!(5), Decimal::ZERO), dec!(5));
    }

    #[test]
    fn price_from_f64_picks_displays_digits_when_two_read_back() {
        // 826375360407152.2 and 826375360407152.3 are the same double; Display prints .3.
        let x: f64 = 826375360407152.3;
        assert_eq!(x.to_string(), "826375360407152.3");
        assert_eq!(price_from_f64(x), Some(dec!(826375360407152.3)));
        assert_eq!(
            price_from_f64(x).map(|d| d.to_string()),
            Some(x.to_string())
        );
    }

    proptest::proptest! {
        /// Any float, and decimals of 0 to 12 digits: the shortest round trip, as Rust's
        /// `Display` prints it.
        #[test]
        fn price_from_f64_is_the_shortest_round_trip(
            bits in proptest::prelude::any::<u64>(),
            i in -1_000_000_000_000_000i64..1_000_000_000_000_000,
            digits in 0i32..13,
        ) {
            for x in [f64::from_bits(bits), i as f64 / 10f64.powi(digits)] {
                let want = if x.is_finite() {
                    x.to_string().parse::<Decimal>().ok().or_else(|| Decimal::from_scientific(&format!("{x:e}")).ok())
                } else {
                    None
                };
                let got = price_from_f64(x);
                proptest::prop_assert_eq!(got, want, "{}", x);
                // The same digits too, not only the same value (`Decimal`'s `==`).
                proptest::prop_assert_eq!(got.map(|d| d.scale()), want.map(|d| d.scale()), "{}", x);
            }
        }

        #[test]
        fn round_half_away_is_f64_round(r in proptest::prelude::any::<f64>(), k in 0u32..13, i in -1_000_000_000_000i64..1_000_000_000_000) {
            // Arbitrary floats, and prices scaled as price_from_f64 scales them (halves too).
            for v in [r, (i as f64 / 100.0) * 10f64.powi(k as i32), i as f64 + 0.5, i as f64 - 0.5] {
                let ours = round_half_away(v);
                if v.abs() < 9.0e15 {
                    proptest::prop_assert_eq!(ours.to_bits(), v.round().to_bits(), "{}", v);
                } else {
                    proptest::prop_assert!(ours.is_nan() || ours.abs() >= 9.0e15, "{}", v);
                }
            }
        }

        #[test]
        fn to_f64_is_the_crates_conversion_bit_for_bit(
            lo in proptest::prelude::any::<u64>(),
            hi in 0u32..u32::MAX,
            wide in proptest::prelude::any::<bool>(),
            negative in proptest::prelude::any::<bool>(),
            scale in 0u32..=28,
        ) {
            use rust_decimal::prelude::ToPrimitive;
            let (lo32, mid32) = (lo as u32, (lo >> 32) as u32);
            let d = Decimal::from_parts(lo32, mid32, if wide { hi } else { 0 }, negative, scale);
            let want = d.to_f64().unwrap_or(f64::NAN);
            proptest::prop_assert_eq!(to_f64(d).to_bits(), want.to_bits(), "{}", d);
        }
    }

    #[test]
    fn to_f64_of_signed_zero_and_small_values() {
        use rust_decimal::prelude::ToPrimitive;
        for d in [
            Decimal::from_parts(0, 0, 0, true, 3),
            Decimal::new(-5, 1),
            Decimal::new(123_456_789, 4),
            Decimal::new(1, 19),
            Decimal::new(-1, 28),
        ] {
            assert_eq!(to_f64(d).to_bits(), d.to_f64().unwrap().to_bits(), "{d}");
        }
    }
}
