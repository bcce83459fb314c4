//! The registry of built-in strategy kinds: [`KINDS`] (one line per kind), [`build`] from a
//! kind name and a TOML parameter table, [`describe`] for `--help` and the docs, and the
//! [`Params`] reader every kind uses for its parameters.
//!
//! ```
//! use ploutos_engine::strategy::registry;
//!
//! let params: toml::Table = toml::from_str("fast = 3\nslow = 10").unwrap();
//! let s = registry::build("ma-cross", &params).unwrap();
//! assert_eq!((s.kind(), s.warmup()), ("ma-cross", 11));
//!
//! let e = registry::build("ma-cross", &toml::from_str("fast = 30").unwrap()).err().unwrap();
//! assert_eq!(e.to_string(), "strategy `ma-cross`: parameter `fast` = 30: must be below slow (20)");
//! ```

use std::fmt::{self, Display, Write as _};

use thiserror::Error;
use toml::{Table, Value};

use super::{bollinger, consensus, ema_cross, ema_trend, ma_cross, rsi, Strategy};

/// Builds one strategy instance from its parameter table.
pub type BuildFn = fn(&Table) -> Result<Box<dyn Strategy>, StrategyError>;

/// How to build one kind, and its one-line description (rule and defaults).
#[derive(Clone, Copy)]
pub struct Constructor {
    pub build: BuildFn,
    pub description: &'static str,
}

impl fmt::Debug for Constructor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Constructor")
            .field("description", &self.description)
            .finish_non_exhaustive()
    }
}

/// Every built-in kind, by name. Adding a strategy: one file in `strategy/` and one line here.
pub const KINDS: &[(&str, Constructor)] = &[
    (consensus::KIND, consensus::CONSTRUCTOR),
    (rsi::KIND, rsi::CONSTRUCTOR),
    (ma_cross::KIND, ma_cross::CONSTRUCTOR),
    (bollinger::KIND, bollinger::CONSTRUCTOR),
    (ema_cross::KIND, ema_cross::CONSTRUCTOR),
    (ema_trend::KIND, ema_trend::CONSTRUCTOR),
];

/// Why a strategy could not be built. Every variant names the kind; parameter errors also
/// name the parameter and the value.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum StrategyError {
    /// No such kind; `known` lists the registered kinds.
    #[error("unknown strategy kind `{kind}` (known kinds: {known})")]
    UnknownKind { kind: String, known: String },
    /// A parameter the kind does not have; `known` lists the ones it has.
    #[error(
        "strategy `{kind}`: unknown parameter `{param}` = {value} (known parameters: {known})"
    )]
    UnknownParam {
        kind: &'static str,
        param: String,
        value: String,
        known: String,
    },
    /// A parameter of the wrong type or out of range.
    #[error("strategy `{kind}`: parameter `{param}` = {value}: {reason}")]
    InvalidParam {
        kind: &'static str,
        param: String,
        value: String,
        reason: String,
    },
}

/// A strategy of `kind` built from `params` (missing parameters take their defaults).
pub fn build(kind: &str, params: &Table) -> Result<Box<dyn Strategy>, StrategyError> {
    match KINDS.iter().find(|(k, _)| *k == kind) {
        Some((_, c)) => (c.build)(params),
        None => Err(StrategyError::UnknownKind {
            kind: kind.to_owned(),
            known: KINDS.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", "),
        }),
    }
}

/// `(kind, one-line description with the defaults)` for every kind, in [`KINDS`] order.
pub fn describe() -> Vec<(&'static str, &'static str)> {
    KINDS.iter().map(|(k, c)| (*k, c.description)).collect()
}

/// A TOML value as it would be written in the config (`3`, `2.5`, `true`, `"x"`).
pub fn show_value(v: &Value) -> String {
    match v {
        Value::String(s) => format!("{s:?}"),
        Value::Integer(i) => i.to_string(),
        Value::Float(x) => {
            let s = x.to_string();
            if x.is_finite() && !s.contains(['.', 'e', 'E']) {
                s + ".0"
            } else {
                s
            }
        }
        Value::Boolean(b) => b.to_string(),
        Value::Datetime(d) => d.to_string(),
        Value::Array(a) => {
            let mut s = String::from("[");
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    s.push_str(", ");
                }
                s.push_str(&show_value(x));
            }
            s.push(']');
            s
        }
        Value::Table(t) => {
            let mut s = String::from("{");
            for (i, (k, x)) in t.iter().enumerate() {
                let sep = if i > 0 { ", " } else { " " };
                let _ = write!(s, "{sep}{k} = {}", show_value(x));
            }
            s.push_str(if t.is_empty() { "}" } else { " }" });
            s
        }
    }
}

/// Typed reading of one kind's parameter table: each getter returns the value or its
/// default and remembers the name; [`Params::finish`] then rejects every key no getter asked
/// for. Read every parameter, call `finish`, then check relations between parameters
/// (so a misspelt name is reported as such, not as a relation it broke).
///
/// ```
/// use ploutos_engine::strategy::Params;
///
/// let t: toml::Table = toml::from_str("period = 10\nlevel = 2").unwrap();
/// let mut p = Params::new("demo", &t);
/// assert_eq!(p.usize("period", 14).unwrap(), 10);
/// assert_eq!(p.f64("level", 1.5).unwrap(), 2.0); // integers are accepted as reals
/// assert!(p.bool("short", false).unwrap() == false); // missing: the default
/// p.finish().unwrap();
/// ```
#[derive(Debug)]
pub struct Params<'a> {
    kind: &'static str,
    table: &'a Table,
    known: Vec<&'static str>,
}

impl<'a> Params<'a> {
    /// A reader of `table` for strategy kind `kind`.
    pub fn new(kind: &'static str, table: &'a Table) -> Self {
        Params {
            kind,
            table,
            known: Vec::new(),
        }
    }

    /// The kind this reader is for.
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    fn get(&mut self, name: &'static str) -> Option<&'a Value> {
        if !self.known.contains(&name) {
            self.known.push(name);
        }
        self.table.get(name)
    }

    /// An [`StrategyError::InvalidParam`] for this kind.
    pub fn invalid(
        &self,
        param: &str,
        value: impl Display,
        reason: impl Into<String>,
    ) -> StrategyError {
        StrategyError::InvalidParam {
            kind: self.kind,
            param: param.to_owned(),
            value: value.to_string(),
            reason: reason.into(),
        }
    }

    /// A non-negative integer (a period, a count).
    pub fn usize(&mut self, name: &'static str, default: usize) -> Result<usize, StrategyError> {
        match self.get(name) {
            None => Ok(default),
            Some(Value::Integer(i)) => usize::try_from(*i)
                .map_err(|_| self.invalid(name, i, "must be a non-negative integer")),
            Some(v) => Err(self.invalid(name, show_value(v), "must be a non-negative integer")),
        }
    }

    /// A finite real number (an integer is accepted).
    pub fn f64(&mut self, name: &'static str, default: f64) -> Result<f64, StrategyError> {
        let x = match self.get(name) {
            None => return Ok(default),
            Some(Value::Float(x)) => *x,
            Some(Value::Integer(i)) => *i as f64,
            Some(v) => return Err(self.invalid(name, show_value(v), "must be a number")),
        };
        if x.is_finite() {
            Ok(x)
        } else {
            Err(self.invalid(name, x, "must be a finite number"))
        }
    }

    /// `true` or `false`.
    pub fn bool(&mut self, name: &'static str, default: bool) -> Result<bool, StrategyError> {
        match self.get(name) {
            None => Ok(default),
            Some(Value::Boolean(b)) => Ok(*b),
            Some(v) => Err(self.invalid(name, show_value(v), "must be true or false")),
        }
    }

    /// Rejects any key that no getter asked for, naming it and the known ones.
    pub fn finish(self) -> Result<(), StrategyError> {
        match self
            .table
            .iter()
            .find(|(k, _)| !self.known.contains(&k.as_str()))
        {
            None => Ok(()),
            Some((k, v)) => Err(StrategyError::UnknownParam {
                kind: self.kind,
                param: k.clone(),
                value: show_value(v),
                known: self.known.join(", "),
            }),
        }
    }
}

/// A real number as it would be written in the config (`2.0`, `0.5`).
pub fn show_f64(x: f64) -> String {
    show_value(&Value::Float(x))
}

/// Maps an indicator constructor's error onto the parameter that caused it.
pub fn ta_error(
    kind: &'static str,
    param: &str,
    value: impl Display,
) -> impl FnOnce(ploutos_ta::TaError) -> StrategyError {
    let param = param.to_owned();
    let value = value.to_string();
    move |e| StrategyError::InvalidParam {
        kind,
        param,
        value,
        reason: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(s: &str) -> Table {
        toml::from_str(s).unwrap()
    }

    #[test]
    fn every_kind_builds_with_defaults_and_is_described() {
        let d = describe();
        assert_eq!(d.len(), KINDS.len());
        for (kind, desc) in d {
            let s = build(kind, &Table::new()).unwrap();
            assert_eq!(s.kind(), kind);
            assert!(s.warmup() > 1, "{kind}");
            assert!(!desc.is_empty() && !desc.contains('\n'), "{kind}");
        }
        let mut names: Vec<_> = KINDS.iter().map(|(k, _)| *k).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), KINDS.len(), "duplicate kind");
    }

    #[test]
    fn unknown_kind_lists_the_known_ones() {
        let e = build("macd-cross", &Table::new()).err().unwrap();
        assert_eq!(
            e.to_string(),
            "unknown strategy kind `macd-cross` (known kinds: consensus, rsi, ma-cross, \
             bollinger, ema-cross, ema-trend)"
        );
    }

    #[test]
    fn parameter_errors_name_kind_parameter_and_value() {
        let e = build("rsi", &table("perod = 3")).err().unwrap();
        assert_eq!(
            e.to_string(),
            "strategy `rsi`: unknown parameter `perod` = 3 (known parameters: period, \
             oversold, overbought)"
        );
        let e = build("rsi", &table("period = 1")).err().unwrap();
        let s = e.to_string();
        assert!(
            s.starts_with("strategy `rsi`: parameter `period` = 1: "),
            "{s}"
        );
        let e = build("rsi", &table("oversold = 80.0")).err().unwrap();
        assert_eq!(
            e,
            StrategyError::InvalidParam {
                kind: "rsi",
                param: "oversold".into(),
                value: "80.0".into(),
                reason: "needs 0 < oversold < overbought (70) < 100".into(),
            }
        );
        let e = build("ma-cross", &table("fast = \"five\"")).err().unwrap();
        assert_eq!(
            e.to_string(),
            "strategy `ma-cross`: parameter `fast` = \"five\": must be a non-negative integer"
        );
        let e = build("ema-cross", &table("fast = -3")).err().unwrap();
        assert!(e.to_string().contains("`fast` = -3"), "{e}");
        let e = build("ema-cross", &table("fast = 21")).err().unwrap();
        assert_eq!(
            e.to_string(),
            "strategy `ema-cross`: parameter `fast` = 21: must be below slow (21)"
        );
        let e = build("bollinger", &table("stddev = nan")).err().unwrap();
        assert!(e.to_string().contains("`stddev` = NaN"), "{e}");
        let e = build("bollinger", &table("stddev = 0")).err().unwrap();
        assert!(e.to_string().contains("`stddev` = 0"), "{e}");
        // A misspelt name wins over a relation it would have broken.
        let e = build("ema-trend", &table("fast = 60\nslwo = 40"))
            .err()
            .unwrap();
        assert!(matches!(e, StrategyError::UnknownParam { ref param, .. } if param == "slwo"));
    }

    #[test]
    fn consensus_params_are_the_config_fields() {
        let s = build(
            "consensus",
            &table("rsi_period = 7\n[weights]\nvolume = 5.0"),
        )
        .unwrap();
        assert_eq!(s.kind(), "consensus");
        let e = build("consensus", &table("rsi_oversoled = 1.0"))
            .err()
            .unwrap();
        let s = e.to_string();
        assert!(
            s.starts_with("strategy `consensus`: unknown parameter `rsi_oversoled` = 1.0"),
            "{s}"
        );
        assert!(s.contains("rsi_oversold"), "{s}");
        let e = build("consensus", &table("ema_fast = 30")).err().unwrap();
        assert_eq!(
            e.to_string(),
            "strategy `consensus`: parameter `ema_fast` = 30: must be below ema_slow"
        );
        let e = build("consensus", &table("min_votes = \"3\""))
            .err()
            .unwrap();
        assert!(
            e.to_string()
                .starts_with("strategy `consensus`: parameter `min_votes` = \"3\": "),
            "{e}"
        );
        let e = build("consensus", &table("[weights]\nrsi = \"x\""))
            .err()
            .unwrap();
        assert!(
            e.to_string()
                .starts_with("strategy `consensus`: parameter `weights.rsi` = \"x\": "),
            "{e}"
        );
        let e = build("consensus", &table("[weights]\nrsj = 1.0"))
            .err()
            .unwrap();
        assert!(
            e.to_string()
                .starts_with("strategy `consensus`: unknown parameter `weights.rsj` = 1.0"),
            "{e}"
        );
    }

    #[test]
    fn params_reader() {
        let t = table("n = 3\nx = 2\ny = 0.5\nb = true\nextra = [1, \"a\"]");
        let mut p = Params::new("demo", &t);
        assert_eq!(p.usize("n", 9).unwrap(), 3);
        assert_eq!(p.usize("missing", 9).unwrap(), 9);
        assert_eq!(p.f64("x", 0.0).unwrap(), 2.0);
        assert_eq!(p.f64("y", 0.0).unwrap(), 0.5);
        assert!(p.bool("b", false).unwrap());
        assert!(p.bool("nb", true).unwrap());
        let e = p.finish().unwrap_err();
        assert_eq!(
            e.to_string(),
            "strategy `demo`: unknown parameter `extra` = [1, \"a\"] (known parameters: n, \
             missing, x, y, b, nb)"
        );
        let t = table("b = 1\nx = \"1\"\nn = 2.0");
        let mut p = Params::new("demo", &t);
        assert!(p
            .bool("b", false)
            .unwrap_err()
            .to_string()
            .contains("`b` = 1"));
        assert!(p
            .f64("x", 0.0)
            .unwrap_err()
            .to_string()
            .contains("`x` = \"1\""));
        assert!(p
            .usize("n", 0)
            .unwrap_err()
            .to_string()
            .contains("`n` = 2.0"));
    }
}
