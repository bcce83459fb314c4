//! On-balance volume (TA-Lib `OBV`).
//!
//! Lookback 0: the first output is the first bar's **volume** (TA-Lib starts the running
//! total there, not at 0). Then `obv += volume` when the close rises, `obv -= volume`
//! when it falls, unchanged when equal.

use ploutos_core::Bar;

use crate::impl_indicator;

/// On-balance volume; no parameters.
#[derive(Clone, Debug, Default)]
pub struct Obv {
    lookback: usize,
    prev: Option<f64>,
    obv: f64,
    out: Option<f64>,
}

impl Obv {
    /// An OBV stream (lookback 0).
    pub fn new() -> Self {
        Obv::default()
    }

    /// Feeds one bar's close and volume.
    #[inline]
    pub fn update(&mut self, close: f64, volume: f64) -> Option<f64> {
        match self.prev {
            None => self.obv = volume,
            Some(p) => {
                if close > p {
                    self.obv += volume;
                } else if close < p {
                    self.obv -= volume;
                }
            }
        }
        self.prev = Some(close);
        self.out = Some(self.obv);
        self.out
    }

    /// Feeds one [`Bar`].
    #[inline]
    pub fn update_bar(&mut self, bar: &Bar) -> Option<f64> {
        self.update(bar.close(), bar.volume())
    }

    /// Forgets every bar seen.
    pub fn reset(&mut self) {
        self.prev = None;
        self.obv = 0.0;
        self.out = None;
    }
}

impl_indicator!(Obv, (f64, f64), f64, |s, (c, v)| s.update(c, v));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_at_first_volume() {
        let mut o = Obv::new();
        assert_eq!(o.lookback(), 0);
        assert_eq!(o.update(10.0, 5.0), Some(5.0));
        assert_eq!(o.update(11.0, 2.0), Some(7.0));
        assert_eq!(o.update(11.0, 9.0), Some(7.0));
        assert_eq!(o.update(10.0, 3.0), Some(4.0));
    }
}
