//! ploutos-venues.
