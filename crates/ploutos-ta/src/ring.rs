//! Fixed-capacity ring buffers, allocated once at construction.

/// A ring of the last `cap` values. `push` never allocates.
#[derive(Clone, Debug)]
pub(crate) struct Ring {
    buf: Box<[f64]>,
    pos: usize,
}

impl Ring {
    /// A ring of `cap >= 1` zeros.
    pub(crate) fn new(cap: usize) -> Self {
        Ring {
            buf: vec![0.0; cap.max(1)].into_boxed_slice(),
            pos: 0,
        }
    }

    /// Writes `x` over the oldest slot and returns what was there (the value pushed
    /// `cap` pushes ago, or 0.0 while the ring is filling).
    #[inline(always)]
    pub(crate) fn push(&mut self, x: f64) -> f64 {
        let old = std::mem::replace(&mut self.buf[self.pos], x);
        self.pos += 1;
        if self.pos == self.buf.len() {
            self.pos = 0;
        }
        old
    }

    /// The oldest value still in the ring (the next one `push` will overwrite).
    #[inline(always)]
    pub(crate) fn oldest(&self) -> f64 {
        self.buf[self.pos]
    }

    /// The contents, oldest first, as two slices.
    #[inline]
    pub(crate) fn oldest_first(&self) -> (&[f64], &[f64]) {
        (&self.buf[self.pos..], &self.buf[..self.pos])
    }

    pub(crate) fn clear(&mut self) {
        self.buf.fill(0.0);
        self.pos = 0;
    }
}

/// A pre-sized monotonic deque of `(index, value)` giving the running maximum
/// (`MAX = true`) or minimum of the last `window` values in O(1) amortised, without
/// allocating after construction.
#[derive(Clone, Debug)]
pub(crate) struct MonoDeque<const MAX: bool> {
    idx: Box<[u64]>,
    val: Box<[f64]>,
    head: usize,
    len: usize,
}

impl<const MAX: bool> MonoDeque<MAX> {
    pub(crate) fn new(window: usize) -> Self {
        let cap = window.max(1);
        MonoDeque {
            idx: vec![0; cap].into_boxed_slice(),
            val: vec![0.0; cap].into_boxed_slice(),
            head: 0,
            len: 0,
        }
    }

    #[inline(always)]
    fn slot(&self, k: usize) -> usize {
        let s = self.head + k;
        if s >= self.idx.len() {
            s - self.idx.len()
        } else {
            s
        }
    }

    /// Adds value `x` at position `i` and drops everything older than
    /// `i + 1 - window`; returns the extreme of the window.
    #[inline(always)]
    pub(crate) fn push(&mut self, i: u64, x: f64, window: u64) -> f64 {
        // Expire from the front.
        while self.len > 0 && self.idx[self.head] + window <= i {
            self.head = self.slot(1);
            self.len -= 1;
        }
        // Drop dominated values from the back (ties: keep the newest).
        while self.len > 0 {
            let back = self.slot(self.len - 1);
            let b = self.val[back];
            let dominated = if MAX { b <= x } else { b >= x };
            if dominated {
                self.len -= 1;
            } else {
                break;
            }
        }
        if self.len == self.idx.len() {
            // Only reachable with NaN inputs (which compare false): drop the oldest
            // rather than grow.
            self.head = self.slot(1);
            self.len -= 1;
        }
        let s = self.slot(self.len);
        self.idx[s] = i;
        self.val[s] = x;
        self.len += 1;
        self.val[self.head]
    }

    pub(crate) fn clear(&mut self) {
        self.head = 0;
        self.len = 0;
    }
}
