//! The Alpaca fake: one axum server on 127.0.0.1 serving the market-data stream (`/v2/iex`,
//! `/v2/sip`, `/v2/test`), the trade-updates stream (`/stream`), market-data REST
//! (`/v2/stocks/…`) and the Trading API (`/v2/…`), as `shared/protocols/alpaca.md` §6
//! describes, with knobs on [`FakeAlpaca`] to make it misbehave.

mod data;
mod series;
mod trade_ws;
mod trading;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use anyhow::Context;
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use rust_decimal::Decimal;
use tokio::sync::{broadcast, watch};
use tokio::time::Instant;

pub use series::SeriesBar;

/// How the fake behaves. [`Default`] is a well-behaved IEX account with two symbols.
#[derive(Debug, Clone)]
pub struct FakeAlpacaConfig {
    /// Port on 127.0.0.1 (0: any free port).
    pub port: u16,
    /// The accepted key id.
    pub key_id: String,
    /// The accepted secret.
    pub secret_key: String,
    /// Symbols with a bar series (`FAKEPACA` is always added for the test stream).
    pub symbols: Vec<String>,
    /// Start time of bar 0.
    pub start: DateTime<Utc>,
    /// Bars per symbol in the series.
    pub bars: usize,
    /// Bars already published when the fake starts (history for REST).
    pub prepublished: usize,
    /// Wall time per published bar index.
    pub pace: Duration,
    /// Seed of the series.
    pub seed: u64,
    /// About one minute in `gap_every` has no bar (0: none).
    pub gap_every: u32,
    /// Every n-th published minute also re-sends the previous bar as `u` (0: never).
    pub update_every: u32,
    /// Seconds (here: a duration) within which a stream client must authenticate (404).
    pub auth_timeout: Duration,
    /// Feeds the account may stream (`/v2/sip` without `sip` here → 409).
    pub entitled_feeds: Vec<String>,
    /// On 406 close the connection (true) or keep it open for retries (false).
    pub close_on_406: bool,
    /// The most symbols a stream connection may subscribe (405 beyond).
    pub symbol_limit: usize,
    /// Requests per rate window before 429 (None: no limit).
    pub rate_limit: Option<u32>,
    /// The rate window.
    pub rate_window: Duration,
    /// The most bars one REST page carries, whatever `limit` asks (forces paging).
    pub page_cap: usize,
    /// Starting cash.
    pub cash: Decimal,
    /// Fill market orders at once at the last published close of their symbol.
    pub auto_fill_market: bool,
    /// Match working market, limit and stop orders against each newly published bar
    /// (partial fills of at most 1% of the bar's volume per bar).
    pub fill_from_bars: bool,
    /// Send trade updates as binary frames (as the paper host does).
    pub binary_trade_frames: bool,
    /// `GET /v2/clock` `is_open`.
    pub clock_open: bool,
    /// Calendar days closing at 13:00 ET.
    pub early_closes: Vec<NaiveDate>,
    /// Calendar holidays (absent from the calendar).
    pub holidays: Vec<NaiveDate>,
}

impl Default for FakeAlpacaConfig {
    fn default() -> Self {
        FakeAlpacaConfig {
            port: 0,
            key_id: "fake-key".to_string(),
            secret_key: "fake-secret".to_string(),
            symbols: vec!["AAPL".to_string(), "MSFT".to_string()],
            start: Utc
                .with_ymd_and_hms(2024, 1, 2, 14, 30, 0)
                .single()
                .unwrap_or_default(),
            bars: 100_000,
            prepublished: 0,
            pace: Duration::from_millis(20),
            seed: 7,
            gap_every: 7,
            update_every: 5,
            auth_timeout: Duration::from_secs(10),
            entitled_feeds: vec![
                "iex".to_string(),
                "test".to_string(),
                "delayed_sip".to_string(),
            ],
            close_on_406: false,
            symbol_limit: 30,
            rate_limit: None,
            rate_window: Duration::from_secs(60),
            page_cap: 10_000,
            cash: Decimal::new(100_000, 0),
            auto_fill_market: false,
            fill_from_bars: false,
            binary_trade_frames: true,
            clock_open: true,
            early_closes: Vec::new(),
            holidays: Vec::new(),
        }
    }
}

/// Stream-wide switches, watched by every connection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Signals {
    /// Bumped to drop every stream connection (no close frame).
    pub drop_gen: u64,
    /// Bumped to close every stream connection with a close frame.
    pub close_gen: u64,
    /// Connections stop reading and writing.
    pub silent: bool,
}

/// Mutable knobs and counters.
#[derive(Debug)]
pub(crate) struct Knobs {
    pub skip_until: usize,
    pub rate_limit: Option<u32>,
    pub rate_window_start: Instant,
    pub rate_count: u32,
    pub requests: u64,
    pub fail_next_orders: u32,
    pub foreign_session: bool,
    pub active_sessions: usize,
    pub close_on_406: bool,
    pub clock_open: bool,
    pub last_bars_query: Option<HashMap<String, String>>,
    pub stream_errors: Vec<i64>,
}

pub(crate) struct Shared {
    pub cfg: FakeAlpacaConfig,
    pub started: Instant,
    pub series: BTreeMap<String, Vec<Option<SeriesBar>>>,
    pub knobs: Mutex<Knobs>,
    pub signals: watch::Sender<Signals>,
    pub book: Mutex<trading::Book>,
    pub updates: broadcast::Sender<serde_json::Value>,
}

/// A std mutex that survives a panicked holder (the fake keeps serving).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Shared {
    /// Bar indexes `0..n` are published (visible on REST, sent on the stream once).
    pub fn published(&self) -> usize {
        let pace = self.cfg.pace.as_nanos().max(1);
        let n = self.started.elapsed().as_nanos() / pace;
        let n = usize::try_from(n).unwrap_or(usize::MAX);
        n.saturating_add(self.cfg.prepublished).min(self.cfg.bars)
    }

    pub fn knobs(&self) -> MutexGuard<'_, Knobs> {
        lock(&self.knobs)
    }

    /// The last published close of `symbol`.
    pub fn last_close(&self, symbol: &str) -> Option<f64> {
        let n = self.published();
        self.series
            .get(symbol)?
            .iter()
            .take(n)
            .rev()
            .flatten()
            .next()
            .map(|b| b.close)
    }
}

/// A running fake. Dropping it stops the server.
pub struct FakeAlpaca {
    addr: SocketAddr,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FakeAlpaca {
    fn drop(&mut self) {
        self.server.abort();
        self.shared.signals.send_modify(|s| s.drop_gen += 1);
    }
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/v2/{feed}", get(data::stream))
        .route("/v1beta1/{feed}", get(data::stream))
        .route("/stream", get(trade_ws::stream))
        .route("/v2/stocks/bars", get(data::bars_multi))
        .route("/v2/stocks/{symbol}/bars", get(data::bars_single))
        .route("/v2/account", get(trading::account))
        .route("/v2/clock", get(trading::clock))
        .route("/v2/calendar", get(trading::calendar))
        .route(
            "/v2/orders",
            get(trading::list_orders)
                .post(trading::create_order)
                .delete(trading::cancel_all),
        )
        .route(
            "/v2/orders:by_client_order_id",
            get(trading::order_by_client_id),
        )
        .route(
            "/v2/orders/{id}",
            get(trading::get_order)
                .delete(trading::cancel_order)
                .patch(trading::replace_order),
        )
        .route(
            "/v2/positions",
            get(trading::positions).delete(trading::close_all),
        )
        .route(
            "/v2/positions/{symbol}",
            get(trading::position).delete(trading::close_position),
        )
        .fallback(trading::not_found)
        .with_state(shared)
}

impl FakeAlpaca {
    /// Starts the fake on 127.0.0.1 (`cfg.port`, 0 = any free port).
    pub async fn start(mut cfg: FakeAlpacaConfig) -> anyhow::Result<FakeAlpaca> {
        if !cfg.symbols.iter().any(|s| s == "FAKEPACA") {
            cfg.symbols.push("FAKEPACA".to_string());
        }
        let series = cfg
            .symbols
            .iter()
            .map(|s| {
                (
                    s.clone(),
                    series::generate(cfg.seed, s, cfg.start, cfg.bars, cfg.gap_every),
                )
            })
            .collect();
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", cfg.port))
            .await
            .with_context(|| format!("binding 127.0.0.1:{}", cfg.port))?;
        let addr = listener.local_addr().context("reading the bound address")?;
        let now = Instant::now();
        let knobs = Knobs {
            skip_until: 0,
            rate_limit: cfg.rate_limit,
            rate_window_start: now,
            rate_count: 0,
            requests: 0,
            fail_next_orders: 0,
            foreign_session: false,
            active_sessions: 0,
            close_on_406: cfg.close_on_406,
            clock_open: cfg.clock_open,
            last_bars_query: None,
            stream_errors: Vec::new(),
        };
        let (signals, _) = watch::channel(Signals::default());
        let (updates, _) = broadcast::channel(1024);
        let shared = Arc::new(Shared {
            book: Mutex::new(trading::Book::new(cfg.cash)),
            cfg,
            started: now,
            series,
            knobs: Mutex::new(knobs),
            signals,
            updates,
        });
        if shared.cfg.fill_from_bars {
            tokio::spawn(match_orders(Arc::downgrade(&shared)));
        }
        let app = router(shared.clone());
        let server = tokio::spawn(async move {
            // The fake's server ends only with the test (abort on drop).
            let _ = axum::serve(listener, app).await;
        });
        Ok(FakeAlpaca {
            addr,
            shared,
            server,
        })
    }

    /// `ws://127.0.0.1:PORT/v2/{feed}` (`iex`, `sip`, `test`).
    pub fn data_ws_url(&self, feed: &str) -> String {
        format!("ws://{}/v2/{feed}", self.addr)
    }

    /// `http://127.0.0.1:PORT` (market-data REST).
    pub fn data_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://127.0.0.1:PORT` (Trading API).
    pub fn trading_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `ws://127.0.0.1:PORT/stream` (trade updates).
    pub fn trading_ws_url(&self) -> String {
        format!("ws://{}/stream", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The configuration in use.
    pub fn config(&self) -> &FakeAlpacaConfig {
        &self.shared.cfg
    }

    /// Bar indexes published so far.
    pub fn published(&self) -> usize {
        self.shared.published()
    }

    /// The published bars of `symbol` (what REST serves).
    pub fn published_bars(&self, symbol: &str) -> Vec<SeriesBar> {
        let n = self.shared.published();
        self.shared
            .series
            .get(symbol)
            .map(|s| s.iter().take(n).flatten().copied().collect())
            .unwrap_or_default()
    }

    /// Drops every stream connection now (TCP closed, no close frame).
    pub fn drop_streams(&self) {
        self.shared.signals.send_modify(|s| s.drop_gen += 1);
    }

    /// Closes every stream connection with a close frame.
    pub fn close_streams(&self) {
        self.shared.signals.send_modify(|s| s.close_gen += 1);
    }

    /// Silent: connections stay open but nothing is sent or read (pings go unanswered).
    pub fn set_silent(&self, silent: bool) {
        self.shared.signals.send_modify(|s| s.silent = silent);
    }

    /// The next `n` bar indexes are not sent on the stream (REST still has them).
    pub fn skip_stream_bars(&self, n: usize) {
        let from = self.shared.published();
        self.shared.knobs().skip_until = from + n;
    }

    /// 429 after `n` REST requests per window (`None`: unlimited).
    pub fn set_rate_limit(&self, n: Option<u32>) {
        let mut k = self.shared.knobs();
        k.rate_limit = n;
        k.rate_count = 0;
        k.rate_window_start = Instant::now();
    }

    /// Uses up the current rate window now, as another process of the same account would:
    /// the next request gets 429 until the window resets.
    pub fn exhaust_rate_window(&self) {
        let mut k = self.shared.knobs();
        let limit = k.rate_limit.unwrap_or(200);
        k.rate_limit = Some(limit);
        k.rate_count = limit;
    }

    /// REST requests served so far (429s included).
    pub fn requests(&self) -> u64 {
        self.shared.knobs().requests
    }

    /// The next `n` order POSTs create the order and then answer HTTP 500.
    pub fn fail_next_orders(&self, n: u32) {
        self.shared.knobs().fail_next_orders = n;
    }

    /// How many POSTs carried `client_order_id`.
    pub fn post_count(&self, client_order_id: &str) -> usize {
        lock(&self.shared.book)
            .posts
            .get(client_order_id)
            .copied()
            .unwrap_or(0)
    }

    /// Another client holds the account's stream (every auth gets 406) while true.
    pub fn set_foreign_session(&self, held: bool) {
        self.shared.knobs().foreign_session = held;
    }

    /// Close (true) or keep open (false) a connection after 406.
    pub fn set_close_on_406(&self, close: bool) {
        self.shared.knobs().close_on_406 = close;
    }

    /// Authenticated market-data sessions now.
    pub fn active_sessions(&self) -> usize {
        self.shared.knobs().active_sessions
    }

    /// Stream error codes sent so far, in order.
    pub fn stream_errors(&self) -> Vec<i64> {
        self.shared.knobs().stream_errors.clone()
    }

    /// The query of the last bars request.
    pub fn last_bars_query(&self) -> Option<HashMap<String, String>> {
        self.shared.knobs().last_bars_query.clone()
    }

    /// `GET /v2/clock` `is_open`.
    pub fn set_clock_open(&self, open: bool) {
        self.shared.knobs().clock_open = open;
    }

    /// Executes `qty` of the order with client id `client_order_id` at `price` (a
    /// `partial_fill` or `fill` on the trade-updates stream). Errors name the problem.
    pub fn fill(&self, client_order_id: &str, qty: Decimal, price: Decimal) -> anyhow::Result<()> {
        trading::fill_by_client_id(&self.shared, client_order_id, qty, price)
    }

    /// The order with this client id, as the Trading API would show it.
    pub fn order_json(&self, client_order_id: &str) -> Option<serde_json::Value> {
        let book = lock(&self.shared.book);
        book.by_client(client_order_id)
            .map(trading::FakeOrder::to_json)
    }
}

/// Matches working orders against every bar index as it is published, until the fake is
/// dropped.
async fn match_orders(shared: std::sync::Weak<Shared>) {
    let mut done = match shared.upgrade() {
        Some(s) => s.published(),
        None => return,
    };
    let pace = match shared.upgrade() {
        Some(s) => s.cfg.pace,
        None => return,
    };
    let mut tick = tokio::time::interval(pace);
    loop {
        tick.tick().await;
        let Some(s) = shared.upgrade() else { return };
        let upto = s.published();
        while done < upto {
            trading::match_bar_index(&s, done);
            done += 1;
        }
    }
}

/// Runs the fake until Ctrl-C, printing its URLs (`ploutos-fake alpaca`).
pub async fn serve_forever(cfg: FakeAlpacaConfig) -> anyhow::Result<()> {
    let fake = FakeAlpaca::start(cfg).await?;
    println!("fake Alpaca on {}", fake.addr());
    println!("PLOUTOS_ALPACA_DATA_WS_URL={}", fake.data_ws_url("iex"));
    println!("PLOUTOS_ALPACA_DATA_URL={}", fake.data_url());
    println!("PLOUTOS_ALPACA_TRADING_URL={}", fake.trading_url());
    println!("PLOUTOS_ALPACA_TRADING_WS_URL={}", fake.trading_ws_url());
    println!("ALPACA_API_KEY={}", fake.config().key_id);
    println!("ALPACA_SECRET_KEY={}", fake.config().secret_key);
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    Ok(())
}
