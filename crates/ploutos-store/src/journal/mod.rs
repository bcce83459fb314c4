//! The trading engine's journal: every order, fill, signal, event and snapshot, in SQLite.
