//! ploutos-engine.
