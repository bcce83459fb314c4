//! [`ResilientFeed`]: any [`BarVenue`](super::BarVenue) as a [`Feed`](crate::Feed) that
//! survives the network.

/// Reconnect and backfill settings.
#[derive(Debug, Clone)]
pub struct ResilientConfig {}

/// A live feed that reconnects, resubscribes and backfills.
pub struct ResilientFeed {}
