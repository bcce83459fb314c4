//! Test-only readers for the bundled sample files (data/samples), kept dependency-free so the
//! engine's tests don't rely on the store crate.

#![allow(dead_code)]

use std::path::PathBuf;

use ploutos_core::{Bar, Side, Timestamp, Trade};

pub fn sample(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/samples")
        .join(name)
}

pub fn bars(name: &str) -> Vec<Bar> {
    let text = std::fs::read_to_string(sample(name)).expect("sample file");
    text.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let n = |i: usize| f[i].parse::<f64>().expect("number");
            Bar::new(
                Timestamp::parse(f[0]).expect("time"),
                n(1),
                n(2),
                n(3),
                n(4),
                n(5),
            )
            .expect("bar")
        })
        .collect()
}

pub fn trades(name: &str) -> Vec<Trade> {
    let text = std::fs::read_to_string(sample(name)).expect("sample file");
    text.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            Trade::new(
                Timestamp::parse(f[0]).expect("time"),
                f[2].parse().expect("price"),
                f[3].parse().expect("qty"),
            )
            .expect("trade")
            .with_id(f[1].parse().expect("id"))
            .with_aggressor(f[4].parse::<Side>().expect("side"))
        })
        .collect()
}
