//! Orders: what a strategy asks for ([`OrderRequest`]), and the life of an order at a broker
//! ([`Order`], driven by [`OrderEvent`]s through the state machine in [`status`]).

mod id;
mod request;
pub mod status;

pub use id::{ClientOrderId, OrderIdError};
pub use request::{
    Contingency, OrderKind, OrderRequest, OrderRequestError, OrderSize, TimeInForce, Trail,
};
pub use status::{Fill, Liquidity, Order, OrderError, OrderEvent, OrderStatus, Transition};
