//! [`Replay`]: the k-way merge of several streams, as a synchronous iterator.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use ploutos_core::{MarketEvent, Symbol, Timestamp};

use crate::replay::stream::ReplayStream;

/// All events of several [`ReplayStream`]s in time order: by [`MarketEvent::time`], then by
/// stream (the order given), then by position in the stream. An `Iterator`; no async runtime
/// needed. Each step costs O(log k) for k streams.
#[derive(Debug, Clone)]
pub struct Replay {
    streams: Vec<ReplayStream>,
    cursors: Vec<usize>,
    heap: BinaryHeap<Reverse<(Timestamp, usize)>>,
    symbols: Vec<Symbol>,
    remaining: usize,
}

impl Replay {
    /// Merges `streams`; ties in time go to the earlier stream in this list.
    pub fn new(streams: Vec<ReplayStream>) -> Self {
        let mut heap = BinaryHeap::with_capacity(streams.len());
        for (k, s) in streams.iter().enumerate() {
            if let Some(t) = s.time_at(0) {
                heap.push(Reverse((t, k)));
            }
        }
        let mut symbols: Vec<Symbol> = Vec::new();
        for s in &streams {
            if !symbols.contains(s.symbol()) {
                symbols.push(s.symbol().clone());
            }
        }
        Replay {
            cursors: vec![0; streams.len()],
            remaining: streams.iter().map(ReplayStream::len).sum(),
            streams,
            heap,
            symbols,
        }
    }

    /// The instruments, each once, in the order their streams were given.
    pub fn symbols(&self) -> &[Symbol] {
        &self.symbols
    }

    /// The streams being merged.
    pub fn streams(&self) -> &[ReplayStream] {
        &self.streams
    }

    /// The time of the next event, without taking it.
    pub fn peek_time(&self) -> Option<Timestamp> {
        self.heap.peek().map(|Reverse((t, _))| *t)
    }
}

impl Iterator for Replay {
    type Item = MarketEvent;

    fn next(&mut self) -> Option<MarketEvent> {
        let Reverse((_, k)) = self.heap.pop()?;
        let stream = self.streams.get(k)?;
        let i = *self.cursors.get(k)?;
        let event = stream.event_at(i)?;
        if let Some(t) = stream.time_at(i + 1) {
            self.heap.push(Reverse((t, k)));
        }
        if let Some(c) = self.cursors.get_mut(k) {
            *c = i + 1;
        }
        self.remaining = self.remaining.saturating_sub(1);
        Some(event)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl ExactSizeIterator for Replay {}
