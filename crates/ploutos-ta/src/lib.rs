//! Technical indicators.
