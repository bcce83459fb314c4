//! Property tests: streaming == batch bit for bit, no panics on any finite input
//! (huge, tiny, constant, zero), and `reset()` + replay reproduces the same values.

use ploutos_core::Timestamp;
use ploutos_ta::{batch, *};
use proptest::prelude::*;

/// Series generators: ordinary prices, wide magnitudes, constants, zeros, steps.
fn series() -> impl Strategy<Value = Vec<f64>> {
    prop_oneof![
        prop::collection::vec(1.0f64..200.0, 0..300),
        prop::collection::vec(-1e12f64..1e12, 0..200),
        prop::collection::vec(
            prop_oneof![
                Just(0.0),
                Just(1e-300),
                Just(-1e-300),
                Just(1e300),
                -1e-9f64..1e-9,
                any::<f64>().prop_filter("finite", |x| x.is_finite())
            ],
            0..120
        ),
        (
            any::<f64>().prop_filter("finite", |x| x.is_finite()),
            0usize..120
        )
            .prop_map(|(x, n)| vec![x; n]),
        prop::collection::vec(prop_oneof![Just(0.0), Just(1.0), Just(100.0)], 0..150),
    ]
}

/// Derives a (high, low, close, volume) bar series from a close series.
fn bars(c: &[f64]) -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>) {
    let h: Vec<f64> = c
        .iter()
        .enumerate()
        .map(|(i, &x)| x + (i % 3) as f64)
        .collect();
    let l: Vec<f64> = c
        .iter()
        .enumerate()
        .map(|(i, &x)| x - (i % 5) as f64 * 0.5)
        .collect();
    let v: Vec<f64> = c
        .iter()
        .enumerate()
        .map(|(i, _)| (i % 4) as f64 * 10.0)
        .collect();
    (h, l, c.to_vec(), v)
}

fn same(stream: &[Option<f64>], batch: &[f64]) -> bool {
    stream.len() == batch.len()
        && stream.iter().zip(batch).all(|(s, b)| match s {
            None => b.is_nan(),
            Some(s) => s.to_bits() == b.to_bits(),
        })
}

fn run<I: Indicator>(
    ind: &mut I,
    inputs: &[I::Input],
    f: impl Fn(I::Output) -> f64,
) -> Vec<Option<f64>>
where
    I::Input: Copy,
{
    inputs.iter().map(|&x| ind.update(x).map(&f)).collect()
}

/// Runs, resets, runs again: both passes must be identical (bits), and `value()` must be
/// the last update's output.
fn replay<I: Indicator>(
    mut ind: I,
    inputs: &[I::Input],
    f: impl Fn(I::Output) -> f64 + Copy,
) -> Vec<Option<f64>>
where
    I::Input: Copy,
{
    let a = run(&mut ind, inputs, f);
    if let Some(Some(last)) = a.last() {
        assert_eq!(ind.value().map(f).map(f64::to_bits), Some(last.to_bits()));
    }
    ind.reset();
    assert!(!ind.is_ready());
    let b = run(&mut ind, inputs, f);
    let bits = |v: &[Option<f64>]| v.iter().map(|x| x.map(f64::to_bits)).collect::<Vec<_>>();
    assert_eq!(bits(&a), bits(&b));
    a
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn single_input_streaming_equals_batch(x in series(), p in 2usize..30) {
        prop_assert!(same(&replay(Sma::new(p).unwrap(), &x, |v| v), &batch::sma(&x, p).unwrap()));
        prop_assert!(same(&replay(Ema::new(p).unwrap(), &x, |v| v), &batch::ema(&x, p).unwrap()));
        prop_assert!(same(&replay(Wma::new(p).unwrap(), &x, |v| v), &batch::wma(&x, p).unwrap()));
        prop_assert!(same(&replay(Rsi::new(p).unwrap(), &x, |v| v), &batch::rsi(&x, p).unwrap()));
        prop_assert!(same(&replay(Roc::new(p).unwrap(), &x, |v| v), &batch::roc(&x, p).unwrap()));
        prop_assert!(same(&replay(StdDev::new(p, 1.5).unwrap(), &x, |v| v), &batch::stddev(&x, p, 1.5).unwrap()));
        let bb = batch::bbands(&x, p, 2.0, 1.5).unwrap();
        let mk = || BollingerBands::new(p, 2.0, 1.5).unwrap();
        prop_assert!(same(&replay(mk(), &x, |o| o.upper), &bb.upper));
        prop_assert!(same(&replay(mk(), &x, |o| o.middle), &bb.middle));
        prop_assert!(same(&replay(mk(), &x, |o| o.lower), &bb.lower));
        let (f, s, g) = (p.max(2), p + 3, (p / 2).max(1));
        let m = batch::macd(&x, f, s, g).unwrap();
        let mk = || Macd::new(f, s, g).unwrap();
        prop_assert!(same(&replay(mk(), &x, |o| o.macd), &m.macd));
        prop_assert!(same(&replay(mk(), &x, |o| o.signal), &m.signal));
        prop_assert!(same(&replay(mk(), &x, |o| o.hist), &m.hist));
    }

    #[test]
    fn ohlc_streaming_equals_batch(x in series(), p in 2usize..20) {
        let (h, l, c, v) = bars(&x);
        let hlc: Vec<(f64, f64, f64)> = (0..c.len()).map(|i| (h[i], l[i], c[i])).collect();
        prop_assert!(same(&replay(TrueRange::new(), &hlc, |v| v), &batch::trange(&h, &l, &c).unwrap()));
        prop_assert!(same(&replay(Atr::new(p).unwrap(), &hlc, |v| v), &batch::atr(&h, &l, &c, p).unwrap()));
        prop_assert!(same(&replay(Atr::new(1).unwrap(), &hlc, |v| v), &batch::atr(&h, &l, &c, 1).unwrap()));
        prop_assert!(same(&replay(Adx::new(p).unwrap(), &hlc, |v| v), &batch::adx(&h, &l, &c, p).unwrap()));
        prop_assert!(same(&replay(PlusDi::new(p).unwrap(), &hlc, |v| v), &batch::plus_di(&h, &l, &c, p).unwrap()));
        prop_assert!(same(&replay(MinusDi::new(p).unwrap(), &hlc, |v| v), &batch::minus_di(&h, &l, &c, p).unwrap()));
        let st = batch::stoch(&h, &l, &c, p, 3, 2).unwrap();
        prop_assert!(same(&replay(Stoch::new(p, 3, 2).unwrap(), &hlc, |o| o.k), &st.k));
        prop_assert!(same(&replay(Stoch::new(p, 3, 2).unwrap(), &hlc, |o| o.d), &st.d));
        let cv: Vec<(f64, f64)> = (0..c.len()).map(|i| (c[i], v[i])).collect();
        prop_assert!(same(&replay(Obv::new(), &cv, |v| v), &batch::obv(&c, &v).unwrap()));
        let t: Vec<Timestamp> = (0..c.len()).map(|i| Timestamp::from_nanos(i as i64 * 3_600_000_000_000)).collect();
        let tb: Vec<_> = (0..c.len()).map(|i| (t[i], h[i], l[i], c[i], v[i])).collect();
        prop_assert!(same(&replay(Vwap::new(), &tb, |v| v), &batch::vwap(&t, &h, &l, &c, &v).unwrap()));
    }

    #[test]
    fn non_finite_never_panics(x in prop::collection::vec(prop_oneof![
        Just(f64::NAN), Just(f64::INFINITY), Just(f64::NEG_INFINITY), -1e6f64..1e6], 0..80)) {
        let (h, l, c, v) = bars(&x);
        let _ = batch::rsi(&x, 5).unwrap();
        let _ = batch::ema(&x, 5).unwrap();
        let _ = batch::macd(&x, 3, 6, 2).unwrap();
        let _ = batch::bbands(&x, 5, 2.0, 2.0).unwrap();
        let _ = batch::stddev(&x, 5, 1.0).unwrap();
        let _ = batch::wma(&x, 5).unwrap();
        let _ = batch::atr(&h, &l, &c, 5).unwrap();
        let _ = batch::stoch(&h, &l, &c, 5, 3, 3).unwrap();
        let _ = batch::adx(&h, &l, &c, 5).unwrap();
        let _ = batch::obv(&c, &v).unwrap();
        let _ = batch::roc(&x, 5).unwrap();
    }
}
