//! Streaming cost per update and batch throughput over 5,000,000 synthetic bars.
//!
//! `cargo bench -p ploutos-ta --bench indicators`
//!
//! Streaming benches feed 10,000 bars per iteration (reported per bar via
//! `ItemsCount`); batch benches run each helper over the 5M-bar series from
//! `SynthBars::new(SynthConfig { seed: 42, ..Default::default() })`.

use std::sync::OnceLock;

use divan::counter::ItemsCount;
use divan::{black_box, Bencher};
use ploutos_core::synth::{SynthBars, SynthConfig};
use ploutos_core::Timestamp;
use ploutos_ta::*;

fn main() {
    divan::main();
}

const BATCH_BARS: usize = 5_000_000;
const STREAM_BARS: usize = 10_000;

struct Series {
    t: Vec<Timestamp>,
    h: Vec<f64>,
    l: Vec<f64>,
    c: Vec<f64>,
    v: Vec<f64>,
}

fn series() -> &'static Series {
    static S: OnceLock<Series> = OnceLock::new();
    S.get_or_init(|| {
        let mut s = Series {
            t: Vec::with_capacity(BATCH_BARS),
            h: Vec::with_capacity(BATCH_BARS),
            l: Vec::with_capacity(BATCH_BARS),
            c: Vec::with_capacity(BATCH_BARS),
            v: Vec::with_capacity(BATCH_BARS),
        };
        for b in SynthBars::new(SynthConfig {
            seed: 42,
            ..Default::default()
        })
        .take(BATCH_BARS)
        {
            s.t.push(b.time());
            s.h.push(b.high());
            s.l.push(b.low());
            s.c.push(b.close());
            s.v.push(b.volume());
        }
        s
    })
}

mod streaming {
    use super::*;

    fn single<I: Indicator<Input = f64>>(b: Bencher, make: impl Fn() -> I + Sync) {
        let c = &series().c[..STREAM_BARS];
        b.counter(ItemsCount::new(STREAM_BARS))
            .with_inputs(&make)
            .bench_local_refs(|ind| {
                for &x in c {
                    black_box(ind.update(black_box(x)));
                }
            });
    }

    fn ohlc<I: Indicator<Input = (f64, f64, f64)>>(b: Bencher, make: impl Fn() -> I + Sync) {
        let s = series();
        b.counter(ItemsCount::new(STREAM_BARS))
            .with_inputs(&make)
            .bench_local_refs(|ind| {
                for i in 0..STREAM_BARS {
                    black_box(ind.update(black_box((s.h[i], s.l[i], s.c[i]))));
                }
            });
    }

    #[divan::bench]
    fn sma20(b: Bencher) {
        single(b, || Sma::new(20).unwrap())
    }
    #[divan::bench]
    fn ema21(b: Bencher) {
        single(b, || Ema::new(21).unwrap())
    }
    #[divan::bench]
    fn wma20(b: Bencher) {
        single(b, || Wma::new(20).unwrap())
    }
    #[divan::bench]
    fn rsi14(b: Bencher) {
        single(b, || Rsi::new(14).unwrap())
    }
    #[divan::bench]
    fn macd_12_26_9(b: Bencher) {
        single(b, || Macd::new(12, 26, 9).unwrap())
    }
    #[divan::bench]
    fn bbands_20_2(b: Bencher) {
        single(b, || BollingerBands::new(20, 2.0, 2.0).unwrap())
    }
    #[divan::bench]
    fn stddev20(b: Bencher) {
        single(b, || StdDev::new(20, 1.0).unwrap())
    }
    #[divan::bench]
    fn roc10(b: Bencher) {
        single(b, || Roc::new(10).unwrap())
    }
    #[divan::bench]
    fn trange(b: Bencher) {
        ohlc(b, TrueRange::new)
    }
    #[divan::bench]
    fn atr14(b: Bencher) {
        ohlc(b, || Atr::new(14).unwrap())
    }
    #[divan::bench]
    fn stoch_14_3_3(b: Bencher) {
        ohlc(b, || Stoch::new(14, 3, 3).unwrap())
    }
    #[divan::bench]
    fn dmi14(b: Bencher) {
        ohlc(b, || Dmi::new(14).unwrap())
    }
    #[divan::bench]
    fn obv(b: Bencher) {
        let s = series();
        b.counter(ItemsCount::new(STREAM_BARS))
            .with_inputs(Obv::new)
            .bench_local_refs(|ind| {
                for i in 0..STREAM_BARS {
                    black_box(ind.update(black_box(s.c[i]), black_box(s.v[i])));
                }
            });
    }
    #[divan::bench]
    fn vwap(b: Bencher) {
        let s = series();
        b.counter(ItemsCount::new(STREAM_BARS))
            .with_inputs(Vwap::new)
            .bench_local_refs(|ind| {
                for i in 0..STREAM_BARS {
                    black_box(ind.update(s.t[i], s.h[i], s.l[i], s.c[i], s.v[i]));
                }
            });
    }
}

mod batch_5m {
    use super::*;
    use ploutos_ta::batch;

    fn bars() -> ItemsCount {
        ItemsCount::new(BATCH_BARS)
    }

    #[divan::bench(sample_count = 5, sample_size = 1)]
    fn rsi14(b: Bencher) {
        let s = series();
        b.counter(bars()).bench(|| batch::rsi(black_box(&s.c), 14))
    }
    #[divan::bench(sample_count = 5, sample_size = 1)]
    fn ema21(b: Bencher) {
        let s = series();
        b.counter(bars()).bench(|| batch::ema(black_box(&s.c), 21))
    }
    #[divan::bench(sample_count = 5, sample_size = 1)]
    fn macd_12_26_9(b: Bencher) {
        let s = series();
        b.counter(bars())
            .bench(|| batch::macd(black_box(&s.c), 12, 26, 9))
    }
    #[divan::bench(sample_count = 5, sample_size = 1)]
    fn bbands_20_2(b: Bencher) {
        let s = series();
        b.counter(bars())
            .bench(|| batch::bbands(black_box(&s.c), 20, 2.0, 2.0))
    }
    #[divan::bench(sample_count = 5, sample_size = 1)]
    fn atr14(b: Bencher) {
        let s = series();
        b.counter(bars())
            .bench(|| batch::atr(&s.h, &s.l, black_box(&s.c), 14))
    }
    #[divan::bench(sample_count = 5, sample_size = 1)]
    fn sma20(b: Bencher) {
        let s = series();
        b.counter(bars()).bench(|| batch::sma(black_box(&s.c), 20))
    }
    #[divan::bench(sample_count = 5, sample_size = 1)]
    fn stoch_14_3_3(b: Bencher) {
        let s = series();
        b.counter(bars())
            .bench(|| batch::stoch(&s.h, &s.l, black_box(&s.c), 14, 3, 3))
    }
    #[divan::bench(sample_count = 5, sample_size = 1)]
    fn adx14(b: Bencher) {
        let s = series();
        b.counter(bars())
            .bench(|| batch::adx(&s.h, &s.l, black_box(&s.c), 14))
    }
}

/// The same kernels into caller-owned, reused buffers: the compute alone, without the
/// allocation and first-touch page faults of fresh 40 MB output vectors. This is what TA-Lib's
/// C functions do (they write into buffers the caller owns) and what a parameter search does.
mod batch_5m_into {
    use super::*;
    use ploutos_ta::batch;

    fn bars() -> ItemsCount {
        ItemsCount::new(BATCH_BARS)
    }

    fn buf() -> Vec<f64> {
        vec![0.0; BATCH_BARS]
    }

    #[divan::bench(sample_count = 10, sample_size = 1)]
    fn rsi14(b: Bencher) {
        let s = series();
        let mut o = buf();
        b.counter(bars())
            .bench_local(|| batch::rsi_into(black_box(&s.c), 14, &mut o))
    }
    #[divan::bench(sample_count = 10, sample_size = 1)]
    fn ema21(b: Bencher) {
        let s = series();
        let mut o = buf();
        b.counter(bars())
            .bench_local(|| batch::ema_into(black_box(&s.c), 21, &mut o))
    }
    #[divan::bench(sample_count = 10, sample_size = 1)]
    fn macd_12_26_9(b: Bencher) {
        let s = series();
        let (mut m, mut g, mut h) = (buf(), buf(), buf());
        b.counter(bars())
            .bench_local(|| batch::macd_into(black_box(&s.c), 12, 26, 9, &mut m, &mut g, &mut h))
    }
    #[divan::bench(sample_count = 10, sample_size = 1)]
    fn bbands_20_2(b: Bencher) {
        let s = series();
        let (mut u, mut m, mut l) = (buf(), buf(), buf());
        b.counter(bars()).bench_local(|| {
            batch::bbands_into(black_box(&s.c), 20, 2.0, 2.0, &mut u, &mut m, &mut l)
        })
    }
    #[divan::bench(sample_count = 10, sample_size = 1)]
    fn atr14(b: Bencher) {
        let s = series();
        let mut o = buf();
        b.counter(bars())
            .bench_local(|| batch::atr_into(&s.h, &s.l, black_box(&s.c), 14, &mut o))
    }
}
