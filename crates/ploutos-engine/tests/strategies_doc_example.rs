//! The "Adding a strategy" example of docs/strategies.md, compiled and run: the code between
//! the markers below is the documented file, verbatim (less its indentation here).

use std::sync::Arc;

use ploutos_core::{Bar, Symbol, Timestamp};

/// Stands in for `ploutos_engine::strategy` so the example's `super::` paths resolve.
mod strategy {
    pub use ploutos_engine::strategy::*;

    pub mod close_sma {
        // BEGIN EXAMPLE
        //! Kind `close-sma`: BUY on the bar the close crosses above SMA(period), SELL on the
        //! bar it crosses below (see `crossing`). Confidence 100. Parameters: `period` (10).
        //! Warm-up: `period + 1` bars. Indicator values: `sma`.

        use ploutos_core::{Bar, IndicatorValues, Signal, SignalKind};
        use ploutos_ta::Sma;
        use toml::Table;

        use super::registry::{ta_error, Constructor, Params, StrategyError};
        use super::{crossing, fmt_num, SignalSink, Strategy, StrategyCtx};

        pub const KIND: &str = "close-sma";

        pub const CONSTRUCTOR: Constructor = Constructor {
            build: from_params,
            description: "BUY on the bar the close crosses above SMA(period=10), SELL below",
        };

        pub struct CloseSma {
            sma: Sma,
            prev_gap: f64,
        }

        pub fn from_params(params: &Table) -> Result<Box<dyn Strategy>, StrategyError> {
            let mut p = Params::new(KIND, params);
            let period = p.usize("period", 10)?;
            p.finish()?;
            let sma = Sma::new(period).map_err(ta_error(KIND, "period", period))?;
            Ok(Box::new(CloseSma {
                sma,
                prev_gap: f64::NAN,
            }))
        }

        impl Strategy for CloseSma {
            fn kind(&self) -> &'static str {
                KIND
            }

            fn warmup(&self) -> usize {
                self.sma.period() + 1
            }

            fn on_bar(
                &mut self,
                bar: &Bar,
                _ctx: &StrategyCtx,
                out: &SignalSink<'_>,
            ) -> Option<Signal> {
                let close = bar.close();
                let sma = self.sma.update(close)?;
                let gap = close - sma;
                let kind = crossing(std::mem::replace(&mut self.prev_gap, gap), gap)?;
                let dir = if kind == SignalKind::Buy {
                    "above"
                } else {
                    "below"
                };
                let reason = format!(
                    "close {} crossed {dir} SMA{} {}",
                    fmt_num(close),
                    self.sma.period(),
                    fmt_num(sma)
                );
                let mut values = IndicatorValues::with_capacity(1);
                values.push("sma", sma);
                Some(out.signal(bar, kind, 100, vec![reason], values))
            }
        }
        // END EXAMPLE
    }
}

fn example_source() -> String {
    let me = include_str!("strategies_doc_example.rs");
    let start = me.find("// BEGIN EXAMPLE\n").expect("begin") + "// BEGIN EXAMPLE\n".len();
    let end = me.find("        // END EXAMPLE").expect("end");
    me[start..end]
        .lines()
        .map(|l| l.strip_prefix("        ").unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_documented_example_is_this_code() {
    let doc = std::fs::read_to_string(
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/strategies.md"),
    )
    .expect("docs/strategies.md");
    let code = example_source();
    assert!(
        doc.contains(&code),
        "docs/strategies.md's example differs from tests/strategies_doc_example.rs:\n{code}"
    );
}

#[test]
fn the_example_runs() {
    use ploutos_core::SignalKind;
    use strategy::{close_sma, SignalSink, StrategyCtx};

    let (build, description) = (
        close_sma::CONSTRUCTOR.build,
        close_sma::CONSTRUCTOR.description,
    );
    assert!(!description.is_empty());
    let mut s = build(&toml::from_str("period = 3").unwrap()).ok().unwrap();
    assert_eq!((s.kind(), s.warmup()), ("close-sma", 4));
    let e = build(&toml::from_str("perio = 3").unwrap()).err().unwrap();
    assert!(e.to_string().contains("unknown parameter `perio`"), "{e}");

    let symbol = Symbol::new("TEST").unwrap();
    let name: Arc<str> = Arc::from("example");
    let sink = SignalSink {
        symbol: &symbol,
        strategy: &name,
        repeat_of: None,
        words: true,
    };
    // SMA3 of 10, 9, 8, 7, 6, 7, 8, 9, 10, 9, 8: 9, 8, 7, 6.67, 7, 8, 9, 9.33, 9.
    // close - SMA: bar 5: 7 - 6.67 > 0 after bar 4: 6 - 7 < 0 -> BUY; bar 9: 9 - 9.33 < 0
    // after bar 8: 10 - 9 > 0 -> SELL.
    let closes = [10.0, 9.0, 8.0, 7.0, 6.0, 7.0, 8.0, 9.0, 10.0, 9.0, 8.0];
    let got: Vec<(usize, SignalKind, String)> = closes
        .iter()
        .enumerate()
        .filter_map(|(i, &c)| {
            let t = Timestamp::from_secs(i as i64 * 60).unwrap();
            let bar = Bar::new(t, c, c, c, c, 1.0).unwrap();
            let sig = s.on_bar(&bar, &StrategyCtx::default(), &sink)?;
            Some((i, sig.kind, sig.reasons[0].clone()))
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                5,
                SignalKind::Buy,
                "close 7.00 crossed above SMA3 6.67".to_owned()
            ),
            (
                9,
                SignalKind::Sell,
                "close 9.00 crossed below SMA3 9.33".to_owned()
            ),
        ]
    );
}
