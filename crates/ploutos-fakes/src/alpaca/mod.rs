//! The Alpaca fake.
