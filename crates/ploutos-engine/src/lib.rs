//! The Ploutos engine.
//!
//! Today it owns the bar pipeline that sits between a feed and the strategies: the
//! [`bars::BarAggregator`] (1-minute bars or trade ticks into clock-aligned N-minute bars) and
//! the five-indicator [`consensus::ConsensusDetector`] (strategy kind `consensus`). The event
//! loop, portfolio, risk manager and paper broker build on these.

pub mod backtest;
pub mod bars;
pub mod breakers;
pub mod broker;
pub mod calendar;
pub mod consensus;
pub mod engine;
pub mod events;
pub mod exits;
mod gallop;
pub mod portfolio;
pub mod risk;
pub mod strategy;
