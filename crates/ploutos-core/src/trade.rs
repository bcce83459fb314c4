//! [`Trade`]: one trade tick, validated on construction.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::side::Side;
use crate::time::Timestamp;

/// A trade tick that cannot exist.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum TradeError {
    #[error("{field} is {value}, which is not a finite number")]
    NotFinite { field: &'static str, value: f64 },
    #[error("price {value} must be greater than zero")]
    NonPositivePrice { value: f64 },
    #[error("quantity {value} is negative")]
    NegativeQuantity { value: f64 },
}

/// One trade: time, price, quantity (base asset), and when known the aggressor side and the
/// venue's trade id.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Trade {
    time: Timestamp,
    price: f64,
    quantity: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    aggressor: Option<Side>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id: Option<u64>,
}

impl Trade {
    /// A validated trade: finite positive price, finite non-negative quantity.
    pub fn new(time: Timestamp, price: f64, quantity: f64) -> Result<Self, TradeError> {
        if !price.is_finite() {
            return Err(TradeError::NotFinite {
                field: "price",
                value: price,
            });
        }
        if !quantity.is_finite() {
            return Err(TradeError::NotFinite {
                field: "quantity",
                value: quantity,
            });
        }
        if price <= 0.0 {
            return Err(TradeError::NonPositivePrice { value: price });
        }
        if quantity < 0.0 {
            return Err(TradeError::NegativeQuantity { value: quantity });
        }
        Ok(Trade {
            time,
            price,
            quantity,
            aggressor: None,
            id: None,
        })
    }

    /// With the aggressor (taker) side.
    pub fn with_aggressor(mut self, side: Side) -> Self {
        self.aggressor = Some(side);
        self
    }

    /// With the venue's trade id.
    pub fn with_id(mut self, id: u64) -> Self {
        self.id = Some(id);
        self
    }

    #[inline]
    pub fn time(&self) -> Timestamp {
        self.time
    }
    #[inline]
    pub fn price(&self) -> f64 {
        self.price
    }
    #[inline]
    pub fn quantity(&self) -> f64 {
        self.quantity
    }
    #[inline]
    pub fn aggressor(&self) -> Option<Side> {
        self.aggressor
    }
    #[inline]
    pub fn id(&self) -> Option<u64> {
        self.id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates() {
        let t = Timestamp::EPOCH;
        assert!(Trade::new(t, 1.0, 0.0).is_ok());
        assert_eq!(
            Trade::new(t, 0.0, 1.0).unwrap_err().to_string(),
            "price 0 must be greater than zero"
        );
        assert_eq!(
            Trade::new(t, 1.0, f64::NAN).unwrap_err().to_string(),
            "quantity is NaN, which is not a finite number"
        );
        assert!(Trade::new(t, 1.0, -2.0).is_err());
    }
}
