//! Errors returned by indicator constructors and batch helpers.

/// Why an indicator could not be built (or a batch helper could not run).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TaError {
    /// An integer parameter (a period) is outside its allowed range.
    #[error("invalid {indicator} parameter `{param}` = {value}: must be in {min}..={max}")]
    InvalidPeriod {
        /// Indicator name, e.g. `"RSI"`.
        indicator: &'static str,
        /// Parameter name, e.g. `"period"`.
        param: &'static str,
        /// The rejected value.
        value: usize,
        /// Smallest accepted value.
        min: usize,
        /// Largest accepted value.
        max: usize,
    },
    /// A real parameter (a deviation multiplier, an offset) is not acceptable.
    #[error("invalid {indicator} parameter `{param}` = {value}: {reason}")]
    InvalidValue {
        /// Indicator name.
        indicator: &'static str,
        /// Parameter name.
        param: &'static str,
        /// The rejected value, formatted.
        value: String,
        /// What is required.
        reason: &'static str,
    },
    /// Batch helper inputs of different lengths.
    #[error("{indicator}: input `{param}` has {len} values, expected {expected}")]
    LengthMismatch {
        /// Indicator name.
        indicator: &'static str,
        /// The offending input.
        param: &'static str,
        /// Its length.
        len: usize,
        /// The length of the first input.
        expected: usize,
    },
}

/// TA-Lib's upper bound for every period parameter.
pub const MAX_PERIOD: usize = 100_000;

/// Checks `min <= value <= MAX_PERIOD`.
pub(crate) fn check_period(
    indicator: &'static str,
    param: &'static str,
    value: usize,
    min: usize,
) -> Result<usize, TaError> {
    if value < min || value > MAX_PERIOD {
        Err(TaError::InvalidPeriod {
            indicator,
            param,
            value,
            min,
            max: MAX_PERIOD,
        })
    } else {
        Ok(value)
    }
}

/// Checks a deviation multiplier: finite and within TA-Lib's `TA_REAL_MIN..=TA_REAL_MAX`
/// (±3e37).
pub(crate) fn check_multiplier(
    indicator: &'static str,
    param: &'static str,
    value: f64,
) -> Result<f64, TaError> {
    if value.is_finite() && (-3e37..=3e37).contains(&value) {
        Ok(value)
    } else {
        Err(TaError::InvalidValue {
            indicator,
            param,
            value: value.to_string(),
            reason: "must be finite and within -3e37..=3e37",
        })
    }
}

pub(crate) fn check_len(
    indicator: &'static str,
    param: &'static str,
    len: usize,
    expected: usize,
) -> Result<(), TaError> {
    if len != expected {
        Err(TaError::LengthMismatch {
            indicator,
            param,
            len,
            expected,
        })
    } else {
        Ok(())
    }
}
