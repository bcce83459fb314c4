//! ploutos-store.
