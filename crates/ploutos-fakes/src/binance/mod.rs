//! A faithful local fake of Binance spot (fact sheet `shared/protocols/binance.md` §8):
//! market streams (`/ws`, `/ws/<stream>`, `/stream?streams=`), REST (`/api/v3/...`, signed
//! and weight-counted), and the WebSocket API (`/ws-api/v3`, user data), on one loopback
//! port. Market data is a deterministic seeded kline series per symbol on a simulated
//! clock that starts at 2024-01-02T00:00Z and advances one 1-minute bar per `pace` of
//! wall time. Knobs on [`FakeBinance`] make it misbehave the way the real service does.

mod engine;
mod market;
mod rest;
mod wsapi;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::routing::get;
use axum::Router;
use rust_decimal::Decimal;
use tokio::sync::broadcast;

pub use engine::Engine;

/// One tradable symbol of the fake.
#[derive(Debug, Clone)]
pub struct FakeSymbol {
    /// `BTCUSDT`.
    pub symbol: String,
    /// `BTC`.
    pub base: String,
    /// `USDT`.
    pub quote: String,
    /// Price level around which the series moves.
    pub start_price: f64,
    /// PRICE_FILTER tickSize.
    pub tick_size: Decimal,
    /// LOT_SIZE stepSize (also minQty).
    pub step_size: Decimal,
    /// NOTIONAL minNotional (applies to market orders too).
    pub min_notional: Decimal,
    /// Base quantity available at each price level of the synthetic book.
    pub level_qty: Decimal,
}

impl FakeSymbol {
    /// A symbol with BTCUSDT-like filters (tick 0.01, step 0.00001, min notional 5).
    pub fn new(symbol: &str, base: &str, quote: &str, start_price: f64) -> Self {
        FakeSymbol {
            symbol: symbol.into(),
            base: base.into(),
            quote: quote.into(),
            start_price,
            tick_size: Decimal::new(1, 2),
            step_size: Decimal::new(1, 5),
            min_notional: Decimal::new(5, 0),
            level_qty: Decimal::new(5, 2),
        }
    }
}

/// How the fake starts.
#[derive(Debug, Clone)]
pub struct FakeBinanceConfig {
    /// Port on 127.0.0.1 (0: any free port).
    pub port: u16,
    /// The symbols (default BTCUSDT around 43000 and ETHUSDT around 2300).
    pub symbols: Vec<FakeSymbol>,
    /// The API key the fake accepts.
    pub api_key: String,
    /// The HMAC secret it verifies signatures with.
    pub secret_key: String,
    /// Seed of the price series.
    pub seed: u64,
    /// Open time (ms) of the first bar of the series (default 2024-01-02T00:00Z).
    pub start_ms: i64,
    /// 1-minute bars already closed when the fake starts.
    pub history_bars: u64,
    /// Wall time per simulated minute (default 20 ms).
    pub pace: Duration,
    /// Forming (`x:false`) kline updates per bar on the stream.
    pub updates_per_bar: u32,
    /// Server ping interval on every WebSocket (Binance: 20 s).
    pub ping_interval: Duration,
    /// A ping not answered by a pong with the same payload within this closes the
    /// connection (Binance: 1 min).
    pub pong_deadline: Duration,
    /// REQUEST_WEIGHT per minute (exchangeInfo and enforcement).
    pub weight_limit: u64,
    /// Length of an IP ban (HTTP 418) after requests past a 429.
    pub ban: Duration,
    /// Starting balances (free).
    pub balances: Vec<(String, Decimal)>,
    /// Commission rate charged in the quote asset.
    pub commission_rate: Decimal,
}

impl Default for FakeBinanceConfig {
    fn default() -> Self {
        let mut eth = FakeSymbol::new("ETHUSDT", "ETH", "USDT", 2300.0);
        eth.step_size = Decimal::new(1, 4);
        eth.level_qty = Decimal::new(5, 1);
        FakeBinanceConfig {
            port: 0,
            symbols: vec![FakeSymbol::new("BTCUSDT", "BTC", "USDT", 43_000.0), eth],
            api_key: "fake-binance-key".into(),
            secret_key: "fake-binance-secret".into(),
            seed: 7,
            start_ms: 1_704_153_600_000,
            history_bars: 1_500,
            pace: Duration::from_millis(20),
            updates_per_bar: 2,
            ping_interval: Duration::from_secs(20),
            pong_deadline: Duration::from_secs(60),
            weight_limit: 6_000,
            ban: Duration::from_secs(2),
            balances: vec![
                ("USDT".into(), Decimal::new(100_000, 0)),
                ("BTC".into(), Decimal::new(1, 0)),
                ("ETH".into(), Decimal::new(10, 0)),
            ],
            commission_rate: Decimal::new(1, 3),
        }
    }
}

/// What a failing order POST answers after placing the order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostFailure {
    /// HTTP 500 with code -1000.
    Http500,
    /// Code -1007 (backend timeout, "execution status unknown"), sent with HTTP 503 here
    /// (the fact sheet does not tabulate its HTTP status).
    Timeout1007,
}

/// Knob state.
#[derive(Debug)]
pub(crate) struct Control {
    pub silent: bool,
    pub skip_closed: u64,
    pub lifetime: Option<Duration>,
    pub clock_skew_ms: i64,
    pub fail_429: u32,
    pub retry_after_s: u64,
    pub pause_until: Option<Instant>,
    pub banned_until: Option<Instant>,
    pub ban_next: Option<Duration>,
    pub fail_next_post: Option<PostFailure>,
    pub post_counts: HashMap<String, u32>,
    pub weight_used: u64,
    pub weight_minute: i64,
    pub weight_limit: u64,
    pub pongs: u64,
    pub ping_interval: Duration,
    pub pong_deadline: Duration,
    pub requests: u64,
    /// Open-time ranges `[from, to)` (ms) that REST klines leave out (holes).
    pub omitted: Vec<(i64, i64)>,
    /// When recording: the instant each closed kline's frame was written, by (symbol, open
    /// time ms).
    pub sent_closed: Option<HashMap<(String, i64), Instant>>,
}

/// Commands to every open stream connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StreamCmd {
    /// Drop the TCP connection without a close frame.
    Drop,
    /// Send `serverShutdown`, then close.
    Shutdown,
}

/// Shared by the handlers and the handle.
pub(crate) struct Shared {
    pub cfg: FakeBinanceConfig,
    pub started: Instant,
    pub ctl: Mutex<Control>,
    pub engine: Mutex<Engine>,
    pub user_tx: broadcast::Sender<serde_json::Value>,
    pub cmd_tx: broadcast::Sender<StreamCmd>,
}

impl Shared {
    pub fn ctl(&self) -> MutexGuard<'_, Control> {
        self.ctl.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn engine(&self) -> MutexGuard<'_, Engine> {
        self.engine.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The simulated market clock, ms.
    pub fn market_now_ms(&self) -> i64 {
        let pace = self.cfg.pace.as_nanos().max(1);
        let elapsed = self.started.elapsed().as_nanos();
        let sim_ms = elapsed.saturating_mul(60_000) / pace;
        let hist = i64::try_from(self.cfg.history_bars)
            .unwrap_or(0)
            .saturating_mul(60_000);
        self.cfg
            .start_ms
            .saturating_add(hist)
            .saturating_add(i64::try_from(sim_ms).unwrap_or(i64::MAX / 2))
    }

    /// The server's wall clock (with the injected skew), ms.
    pub fn server_ms(&self) -> i64 {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(0))
            .unwrap_or(0);
        now + self.ctl().clock_skew_ms
    }

    pub fn symbol(&self, s: &str) -> Option<&FakeSymbol> {
        self.cfg.symbols.iter().find(|x| x.symbol == s)
    }
}

/// A running fake. Dropping it stops the server.
pub struct FakeBinance {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeBinance {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/ws", get(market::ws_raw))
        .route("/ws/{stream}", get(market::ws_one))
        .route("/stream", get(market::ws_combined))
        .route("/ws-api/v3", get(wsapi::ws_api))
        .fallback(rest::handle)
        .with_state(shared)
}

fn shared_state(cfg: FakeBinanceConfig) -> Arc<Shared> {
    let engine = Engine::new(&cfg);
    let (user_tx, _) = broadcast::channel(1024);
    let (cmd_tx, _) = broadcast::channel(16);
    Arc::new(Shared {
        ctl: Mutex::new(Control {
            silent: false,
            skip_closed: 0,
            lifetime: None,
            clock_skew_ms: 0,
            fail_429: 0,
            retry_after_s: 1,
            pause_until: None,
            banned_until: None,
            ban_next: None,
            fail_next_post: None,
            post_counts: HashMap::new(),
            weight_used: 0,
            weight_minute: 0,
            weight_limit: cfg.weight_limit,
            pongs: 0,
            ping_interval: cfg.ping_interval,
            pong_deadline: cfg.pong_deadline,
            requests: 0,
            omitted: Vec::new(),
            sent_closed: None,
        }),
        engine: Mutex::new(engine),
        started: Instant::now(),
        user_tx,
        cmd_tx,
        cfg,
    })
}

impl FakeBinance {
    /// Binds 127.0.0.1:`cfg.port` (0 by default: read the URLs back) and serves REST and
    /// both WebSocket paths.
    pub async fn start(cfg: FakeBinanceConfig) -> anyhow::Result<FakeBinance> {
        let addr = format!("127.0.0.1:{}", cfg.port);
        let listener = tokio::net::TcpListener::bind(&addr)
            .await
            .with_context(|| format!("binding {addr}"))?;
        let addr = listener.local_addr()?;
        let shared = shared_state(cfg);
        let app = router(shared.clone());
        let task = tokio::spawn(async move {
            // The server runs until the handle is dropped (aborted) or fails.
            let _ = axum::serve(listener, app).await;
        });
        Ok(FakeBinance { addr, shared, task })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>`.
    pub fn rest_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `ws://127.0.0.1:<port>` (the client appends `/ws` or `/stream?streams=`).
    pub fn ws_url(&self) -> String {
        format!("ws://{}", self.addr)
    }

    /// `ws://127.0.0.1:<port>/ws-api/v3`.
    pub fn ws_api_url(&self) -> String {
        format!("ws://{}/ws-api/v3", self.addr)
    }

    /// The configuration it runs with.
    pub fn config(&self) -> &FakeBinanceConfig {
        &self.shared.cfg
    }

    /// Drops every market-stream and WS API connection now (no close frame).
    pub fn drop_streams(&self) {
        let _ = self.shared.cmd_tx.send(StreamCmd::Drop);
    }

    /// Sends `serverShutdown` on every stream connection, then closes them.
    pub fn server_shutdown(&self) {
        let _ = self.shared.cmd_tx.send(StreamCmd::Shutdown);
    }

    /// Silent: connections stay open but nothing is sent (no data, no pings, no pongs).
    pub fn set_silent(&self, silent: bool) {
        self.shared.ctl().silent = silent;
    }

    /// The next `n` closed bars are not streamed (REST still serves them).
    pub fn skip_closed_bars(&self, n: u64) {
        self.shared.ctl().skip_closed += n;
    }

    /// Connections are closed (close frame) this long after they opened (simulates 24 h).
    pub fn set_lifetime(&self, lifetime: Option<Duration>) {
        self.shared.ctl().lifetime = lifetime;
    }

    /// Server ping interval and pong deadline for connections opened from now on.
    pub fn set_ping(&self, interval: Duration, pong_deadline: Duration) {
        let mut c = self.shared.ctl();
        c.ping_interval = interval;
        c.pong_deadline = pong_deadline;
    }

    /// Pongs received that echoed a server ping's payload.
    pub fn pongs_received(&self) -> u64 {
        self.shared.ctl().pongs
    }

    /// The next `n` REST requests answer 429 with `Retry-After: retry_after_s`; a request
    /// before that time has passed is answered 418 (banned for the configured `ban`).
    pub fn fail_next_with_429(&self, n: u32, retry_after_s: u64) {
        let mut c = self.shared.ctl();
        c.fail_429 = n;
        c.retry_after_s = retry_after_s;
    }

    /// The next REST request is answered 418 and the IP is banned for `ban`.
    pub fn ban_next(&self, ban: Duration) {
        self.shared.ctl().ban_next = Some(ban);
    }

    /// REQUEST_WEIGHT limit per minute from now on.
    pub fn set_weight_limit(&self, limit: u64) {
        self.shared.ctl().weight_limit = limit;
    }

    /// Moves the server clock by `ms` (signed requests outside recvWindow get -1021).
    pub fn set_clock_skew_ms(&self, ms: i64) {
        self.shared.ctl().clock_skew_ms = ms;
    }

    /// The next `POST /api/v3/order` places the order, then answers with `failure`.
    pub fn fail_next_order_post(&self, failure: PostFailure) {
        self.shared.ctl().fail_next_post = Some(failure);
    }

    /// How many times an order with this `newClientOrderId` was POSTed.
    pub fn post_count(&self, client_order_id: &str) -> u32 {
        self.shared
            .ctl()
            .post_counts
            .get(client_order_id)
            .copied()
            .unwrap_or(0)
    }

    /// REST klines leave out the bars opening in `[from_ms, to_ms)`, as if the venue had
    /// lost them (a hole in the history; the stream is not affected).
    pub fn omit_bars(&self, from_ms: i64, to_ms: i64) {
        self.shared.ctl().omitted.push((from_ms, to_ms));
    }

    /// Starts recording when each closed kline's frame is written to a stream socket
    /// ([`FakeBinance::sent_at`]; for latency measurements).
    pub fn record_send_times(&self) {
        self.shared.ctl().sent_closed = Some(HashMap::new());
    }

    /// When the closed kline of `symbol` opened at `open_ms` was written to a stream socket
    /// (the first time, with [`FakeBinance::record_send_times`] on).
    pub fn sent_at(&self, symbol: &str, open_ms: i64) -> Option<Instant> {
        self.shared
            .ctl()
            .sent_closed
            .as_ref()
            .and_then(|m| m.get(&(symbol.to_string(), open_ms)).copied())
    }

    /// REST requests received so far.
    pub fn requests(&self) -> u64 {
        self.shared.ctl().requests
    }

    /// Fills `qty` of the resting order `client_order_id` at its limit price (as maker);
    /// sends the execution reports.
    pub fn fill_order(&self, client_order_id: &str, qty: Decimal) -> Result<(), String> {
        let now = self.shared.market_now_ms();
        let events = self
            .shared
            .engine()
            .fill_resting(client_order_id, qty, now)?;
        for e in events {
            let _ = self.shared.user_tx.send(e);
        }
        Ok(())
    }

    /// (free, locked) of `asset`.
    pub fn balance(&self, asset: &str) -> (Decimal, Decimal) {
        self.shared.engine().balance(asset)
    }

    /// The current (forming bar's) price of `symbol`.
    pub fn last_price(&self, symbol: &str) -> Option<Decimal> {
        let s = self.shared.symbol(symbol)?;
        Some(market::last_price(&self.shared, s))
    }

    /// The simulated market clock, ms.
    pub fn market_now_ms(&self) -> i64 {
        self.shared.market_now_ms()
    }
}

/// Runs the fake until Ctrl-C (the `ploutos-fake binance` command), printing the
/// environment that points the client at it.
pub async fn serve_forever(cfg: FakeBinanceConfig) -> anyhow::Result<()> {
    let fake = FakeBinance::start(cfg).await?;
    println!("fake Binance listening");
    println!("  PLOUTOS_BINANCE_REST_URL={}", fake.rest_url());
    println!("  PLOUTOS_BINANCE_WS_URL={}", fake.ws_url());
    println!("  PLOUTOS_BINANCE_WS_API_URL={}", fake.ws_api_url());
    println!("  BINANCE_API_KEY={}", fake.config().api_key);
    println!("  BINANCE_SECRET_KEY={}", fake.config().secret_key);
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    Ok(())
}
