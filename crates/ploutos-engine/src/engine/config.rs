//! Engine configuration: the strategies, the risk limits, the breakers, the paper broker.

use ploutos_core::{Decimal, Instrument, Symbol, Timeframe};
use serde::{Deserialize, Serialize};

use crate::breakers::BreakerConfig;
use crate::broker::PaperConfig;
use crate::exits::ExitConfig;
use crate::risk::RiskConfig;

/// One `[[strategies]]` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StrategyConfig {
    /// Unique name (journal, accounts, client order ids).
    pub name: String,
    /// Registry kind: consensus, rsi, ma-cross, bollinger, ema-cross, ema-trend.
    pub kind: String,
    pub symbols: Vec<Symbol>,
    /// Bar length the strategy decides on (default: the feed's own).
    #[serde(default)]
    pub timeframe: Option<Timeframe>,
    /// Capital allocated to this strategy, in quote currency.
    pub capital: Decimal,
    /// Kind-specific parameters.
    #[serde(default)]
    pub params: toml::Table,
    #[serde(default)]
    pub exits: Option<ExitConfig>,
    /// Overrides of the global `[risk]` limits for this strategy.
    #[serde(default)]
    pub risk: Option<RiskConfig>,
    #[serde(default = "yes")]
    pub enabled: bool,
    /// The venue whose market data this strategy trades on and where its live orders go
    /// (`replay`, `alpaca`, `binance`; default: the feed's). The binary's concern: the engine
    /// only sees the events and commands.
    #[serde(default)]
    pub venue: Option<String>,
    /// `paper` (the engine's paper broker fills this strategy's orders) or `live` (the venue
    /// does); default: the engine's [`EngineConfig::execution`].
    #[serde(default)]
    pub mode: Option<TradingMode>,
}

/// Paper or live trading, per strategy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TradingMode {
    /// Simulated fills (the engine's paper broker) at the feed's prices.
    #[default]
    Paper,
    /// Real orders at the venue.
    Live,
}

fn yes() -> bool {
    true
}

/// The engine's whole configuration.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EngineConfig {
    pub strategies: Vec<StrategyConfig>,
    pub risk: RiskConfig,
    pub breakers: BreakerConfig,
    pub broker: PaperConfig,
    /// Trading rules per symbol (tick, step, minimums, stock or crypto). A symbol without an
    /// entry trades as crypto with an 8-decimal step and no minimums.
    pub instruments: Vec<Instrument>,
    /// Where orders go: the built-in paper broker (backtests, replays, paper trading on a
    /// live feed) or a venue outside the engine (Alpaca, Binance: live, or Alpaca's paper
    /// account), reached through [`super::ExecCommand`]s.
    pub execution: Execution,
}

/// Where the engine's orders are executed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Execution {
    /// The engine's own [`crate::broker::PaperBroker`] fills them.
    #[default]
    Paper,
    /// A venue fills them: the engine queues [`super::ExecCommand`]s
    /// ([`super::Engine::take_commands`]) and learns the outcome from
    /// [`super::Engine::on_order_event`].
    Venue,
}
