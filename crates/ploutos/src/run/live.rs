//! `ploutos run` on a live venue (Alpaca, Binance).
//!
//! The engine stays on the event loop's thread and owns all trading state. Market data comes
//! from a [`ResilientFeed`] (reconnects, backfills, warm-up); with a venue executing the
//! orders (live mode, or Alpaca's own paper account) an [`Executor`] runs two tokio tasks:
//! one places and cancels orders in the order the engine decided them, one keeps the venue's
//! order-update stream connected. They talk to the loop through channels only.
//!
//! Fail closed: the engine starts held ([`Engine::hold_for_reconcile`]). Warm-up bars only
//! warm the indicators; bars fetched after a reconnect are processed while held; before the
//! first live bar after them — and whenever the order stream reconnected or an order's
//! outcome is unknown — the book is reconciled with the broker's truth, and entries resume
//! only when the two agree.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use ploutos_core::order::{ClientOrderId, Fill, Liquidity, OrderEvent, OrderStatus};
use ploutos_core::{Decimal, MarketEvent, Symbol};
use ploutos_engine::engine::{BrokerTruth, Engine, ExecCommand};
use ploutos_engine::events::EngineEvent;
use ploutos_venues::live::{
    AccountSnapshot, Execution, Origin, ResilientFeed, UpdateSession, VenueOrder,
};
use ploutos_venues::net::Backoff;
use ploutos_venues::{Feed, VenueError};
use tokio::sync::{mpsc, oneshot};

use super::{apply_command, record, take_commands, Batcher, Console};

/// What the loop asks the executor.
enum Request {
    Command(ExecCommand),
    Snapshot(
        Vec<Symbol>,
        oneshot::Sender<Result<AccountSnapshot, VenueError>>,
    ),
    Lookup(
        Symbol,
        ClientOrderId,
        oneshot::Sender<Result<Option<VenueOrder>, VenueError>>,
    ),
}

/// What the executor tells the loop.
#[derive(Debug)]
pub enum News {
    /// An order event from the venue (an answer or the update stream).
    Order(ClientOrderId, OrderEvent),
    /// The book may differ from the broker's (stream reconnected, unknown outcome): reconcile.
    Reconcile(String),
    /// A fatal venue error (bad keys, ban): trading stops.
    Fatal(String),
}

/// The venue side of live trading: orders out, events back.
pub struct Executor {
    tx: mpsc::Sender<Request>,
    news: mpsc::Receiver<News>,
}

impl Executor {
    /// Starts the order task and the update-stream task for `venue` (inside a runtime).
    pub fn start<E: Execution>(venue: E) -> Executor {
        let venue = Arc::new(venue);
        let (tx, rx) = mpsc::channel(1024);
        let (news_tx, news) = mpsc::channel(4096);
        tokio::spawn(orders(Arc::clone(&venue), rx, news_tx.clone()));
        tokio::spawn(updates(venue, news_tx));
        Executor { tx, news }
    }

    async fn send(&self, r: Request) -> Result<()> {
        if self.tx.send(r).await.is_err() {
            bail!("the order task stopped");
        }
        Ok(())
    }

    /// The broker's truth for `symbols`.
    pub async fn snapshot(&self, symbols: Vec<Symbol>) -> Result<AccountSnapshot> {
        let (tx, rx) = oneshot::channel();
        self.send(Request::Snapshot(symbols, tx)).await?;
        Ok(rx.await??)
    }

    async fn lookup(&self, symbol: Symbol, id: ClientOrderId) -> Result<Option<VenueOrder>> {
        let (tx, rx) = oneshot::channel();
        self.send(Request::Lookup(symbol, id, tx)).await?;
        Ok(rx.await??)
    }
}

/// Places and cancels orders one at a time, in the engine's order.
async fn orders<E: Execution>(
    venue: Arc<E>,
    mut rx: mpsc::Receiver<Request>,
    news: mpsc::Sender<News>,
) {
    while let Some(req) = rx.recv().await {
        let sent = match req {
            Request::Snapshot(symbols, reply) => {
                let _ = reply.send(venue.snapshot(&symbols).await);
                continue;
            }
            Request::Lookup(symbol, id, reply) => {
                let _ = reply.send(venue.order(&symbol, &id).await);
                continue;
            }
            Request::Command(ExecCommand::Submit {
                order,
                reference_price,
            }) => match venue.submit(&order, reference_price).await {
                Ok(outcome) => {
                    let mut ok = true;
                    for ev in outcome.events {
                        ok &= news
                            .send(News::Order(order.client_id.clone(), ev))
                            .await
                            .is_ok();
                    }
                    ok
                }
                Err(e) => news.send(failure(&order.client_id, e)).await.is_ok(),
            },
            Request::Command(ExecCommand::Cancel { symbol, client_id }) => {
                match venue.cancel(&symbol, &client_id).await {
                    Ok(()) => true,
                    // Gone already (filled, canceled): the truth comes from a lookup.
                    Err(VenueError::NotFound { .. }) | Err(VenueError::Rejected { .. }) => news
                        .send(News::Reconcile(format!(
                            "cancel of {client_id}: the venue no longer works it"
                        )))
                        .await
                        .is_ok(),
                    Err(e) if e.is_fatal() => news.send(News::Fatal(e.to_string())).await.is_ok(),
                    Err(e) => news
                        .send(News::Reconcile(format!("cancel of {client_id}: {e}")))
                        .await
                        .is_ok(),
                }
            }
        };
        if !sent {
            return;
        }
    }
}

/// What a failed submission means for the engine.
fn failure(id: &ClientOrderId, e: VenueError) -> News {
    let time = ploutos_core::Clock::now(&ploutos_core::LiveClock);
    match e {
        VenueError::Rejected { .. }
        | VenueError::Invalid { .. }
        | VenueError::RateLimited { .. } => News::Order(
            id.clone(),
            OrderEvent::Rejected {
                time,
                reason: e.to_string(),
            },
        ),
        e if e.is_fatal() => News::Fatal(e.to_string()),
        // Unknown outcome, connection trouble: never resent; the broker's truth decides.
        e => News::Reconcile(format!("order {id}: {e}")),
    }
}

/// Keeps the order-update stream connected; every reconnect asks for a reconcile (events
/// sent while disconnected are not replayed by the venues).
async fn updates<E: Execution>(venue: Arc<E>, news: mpsc::Sender<News>) {
    let mut backoff = Backoff::new(Duration::from_millis(250), Duration::from_secs(30));
    let mut connected_before = false;
    loop {
        match venue.updates().await {
            Ok(mut session) => {
                if connected_before
                    && news
                        .send(News::Reconcile("the order stream reconnected".into()))
                        .await
                        .is_err()
                {
                    return;
                }
                connected_before = true;
                loop {
                    match session.next_update().await {
                        Ok(Some((id, ev))) => {
                            backoff.reset();
                            if news.send(News::Order(id, ev)).await.is_err() {
                                return;
                            }
                        }
                        Ok(None) => break,
                        Err(e) if e.is_fatal() => {
                            let _ = news.send(News::Fatal(e.to_string())).await;
                            return;
                        }
                        Err(_) => break,
                    }
                }
            }
            Err(e) if e.is_fatal() => {
                let _ = news.send(News::Fatal(e.to_string())).await;
                return;
            }
            Err(_) => {}
        }
        tokio::time::sleep(backoff.next_delay()).await;
    }
}

/// A venue executing orders, with the instruments it trades (the scope of its snapshots).
pub struct VenueExec {
    pub exec: Executor,
    pub symbols: Vec<Symbol>,
}

/// What the live loop needs besides the engine.
pub struct LiveParts<'a> {
    /// One feed per venue.
    pub feeds: Vec<ResilientFeed>,
    /// The venues executing orders (none when every strategy paper-trades).
    pub execs: Vec<VenueExec>,
    pub batcher: &'a mut Batcher,
    pub console: &'a mut Console,
    pub commands_dir: &'a Path,
    pub max_events: Option<u64>,
    /// An event already taken from a feed (the engine's clock started at it), with its
    /// origin.
    pub first: Option<(MarketEvent, Origin)>,
}

impl LiveParts<'_> {
    /// The executor of `symbol`'s venue.
    fn exec_for(&self, symbol: &Symbol) -> Result<&Executor> {
        self.execs
            .iter()
            .find(|v| v.symbols.contains(symbol))
            .map(|v| &v.exec)
            .with_context(|| format!("internal: no venue executes orders on {symbol}"))
    }
}

/// The live event loop; returns the engine and whether Ctrl-C ended it.
pub async fn event_loop(mut engine: Engine, mut p: LiveParts<'_>) -> Result<(Engine, bool)> {
    let mut out: Vec<EngineEvent> = Vec::with_capacity(64);
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    // Fail closed from the start: nothing is traded before the first live bar (and, with a
    // venue, before the book agrees with the broker).
    engine.hold_for_reconcile(&mut out);
    record(&engine, &out, p.batcher, p.console)?;
    for cmd in take_commands(p.commands_dir) {
        out.clear();
        apply_command(&mut engine, &cmd, &mut out);
        p.console.command(&cmd);
        record(&engine, &out, p.batcher, p.console)?;
    }
    p.batcher.commit(&engine, true)?;
    let mut poll = tokio::time::interval(Duration::from_millis(500));
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut seen = 0u64;
    let mut reconcile_due = false;
    loop {
        tokio::select! {
            biased;
            _ = &mut ctrl_c => return Ok((engine, true)),
            news = next_news(&mut p.execs) => {
                match news {
                    Some(News::Order(id, ev)) => {
                        out.clear();
                        engine.on_order_event(id, ev, &mut out);
                        record(&engine, &out, p.batcher, p.console)?;
                        dispatch(&mut engine, &mut p).await?;
                    }
                    Some(News::Reconcile(why)) => {
                        eprintln!("reconcile needed: {why}");
                        out.clear();
                        engine.hold_for_reconcile(&mut out);
                        record(&engine, &out, p.batcher, p.console)?;
                        reconcile_due = !settle(&mut engine, &mut p).await?;
                    }
                    Some(News::Fatal(msg)) => bail!("{msg}"),
                    None => bail!("the venue's order tasks stopped"),
                }
            }
            _ = poll.tick() => {
                for cmd in take_commands(p.commands_dir) {
                    out.clear();
                    apply_command(&mut engine, &cmd, &mut out);
                    p.console.command(&cmd);
                    record(&engine, &out, p.batcher, p.console)?;
                    dispatch(&mut engine, &mut p).await?;
                    p.batcher.commit(&engine, true)?;
                }
                if reconcile_due {
                    reconcile_due = !settle(&mut engine, &mut p).await?;
                }
                if p.batcher.due() {
                    p.batcher.commit(&engine, false)?;
                }
            }
            ev = next_market(&mut p.first, &mut p.feeds) => {
                let Some((ev, origin)) = ev? else {
                    return Ok((engine, false));
                };
                match origin {
                    Origin::Warmup => {
                        engine.warm_up(&ev);
                        p.console.market(&ev)?;
                        continue;
                    }
                    Origin::Backfill => {
                        if !engine.held_for_reconcile() {
                            out.clear();
                            engine.hold_for_reconcile(&mut out);
                            record(&engine, &out, p.batcher, p.console)?;
                        }
                    }
                    Origin::Stream => {
                        if engine.held_for_reconcile() {
                            reconcile_due = !settle(&mut engine, &mut p).await?;
                        }
                    }
                }
                out.clear();
                engine.on_market_event(&ev, &mut out);
                p.console.market(&ev)?;
                record(&engine, &out, p.batcher, p.console)?;
                dispatch(&mut engine, &mut p).await?;
                if p.batcher.due() {
                    p.batcher.commit(&engine, false)?;
                }
                seen += 1;
                if p.max_events.is_some_and(|m| seen >= m) {
                    return Ok((engine, false));
                }
            }
        }
    }
}

/// The event taken before the loop, then the next of whichever feed has one.
pub async fn next_market(
    first: &mut Option<(MarketEvent, Origin)>,
    feeds: &mut [ResilientFeed],
) -> Result<Option<(MarketEvent, Origin)>> {
    if let Some(first) = first.take() {
        return Ok(Some(first));
    }
    if feeds.is_empty() {
        return Ok(None);
    }
    // Each `next_event` is cancel-safe: the feeds not chosen lose nothing.
    let (ev, i) = {
        let waiting = feeds.iter_mut().map(|f| f.next_event());
        let (ev, i, _rest) = futures_util::future::select_all(waiting).await;
        (ev, i)
    };
    Ok(ev?.map(|ev| (ev, feeds[i].last_origin())))
}

async fn next_news(execs: &mut [VenueExec]) -> Option<News> {
    if execs.is_empty() {
        return std::future::pending().await;
    }
    let waiting = execs.iter_mut().map(|v| Box::pin(v.exec.news.recv()));
    futures_util::future::select_all(waiting).await.0
}

/// Sends the engine's queued orders and cancels to their venues, after journaling them.
async fn dispatch(engine: &mut Engine, p: &mut LiveParts<'_>) -> Result<()> {
    let cmds = engine.take_commands();
    if cmds.is_empty() {
        return Ok(());
    }
    // The decision is committed to the journal before the order leaves the process.
    p.batcher.commit_durable(engine)?;
    for c in cmds {
        let symbol = match &c {
            ExecCommand::Submit { order, .. } => order.symbol.clone(),
            ExecCommand::Cancel { symbol, .. } => symbol.clone(),
        };
        p.exec_for(&symbol)?.send(Request::Command(c)).await?;
    }
    Ok(())
}

/// Reconciles with the brokers (or, paper trading on live feeds, just lifts the hold).
/// Returns false when a broker could not be asked (trading stays held; tried again).
async fn settle(engine: &mut Engine, p: &mut LiveParts<'_>) -> Result<bool> {
    let mut out = Vec::new();
    if p.execs.is_empty() {
        engine.end_hold(&mut out);
        record(engine, &out, p.batcher, p.console)?;
        return Ok(true);
    }
    // Every venue's truth, together: their instruments do not overlap.
    let mut truth = BrokerTruth::default();
    for v in &p.execs {
        let snap = match v.exec.snapshot(v.symbols.clone()).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("reconcile: cannot read the broker's state ({e:#}); trading stays held");
                return Ok(false);
            }
        };
        for x in snap
            .positions
            .iter()
            .filter(|x| v.symbols.contains(&x.symbol))
        {
            truth.positions.insert(x.symbol.clone(), x.quantity);
            if let Some(a) = x.average_price {
                truth.prices.insert(x.symbol.clone(), a);
            }
        }
        for o in &snap.open_orders {
            truth
                .open_orders
                .insert(o.client_id.clone(), o.symbol.clone());
        }
    }
    // Orders the engine holds open that no venue works: learn how they ended.
    let lost: Vec<(ClientOrderId, Symbol)> = engine
        .state()
        .open_orders
        .iter()
        .filter(|(id, o)| {
            engine.venue_executes(&o.request.strategy) && !truth.open_orders.contains_key(*id)
        })
        .map(|(id, o)| (id.clone(), o.request.symbol.clone()))
        .collect();
    for (id, symbol) in lost {
        match p.exec_for(&symbol)?.lookup(symbol, id.clone()).await {
            Ok(Some(vo)) => {
                for ev in catch_up_events(engine, &vo) {
                    engine.on_order_event(id.clone(), ev, &mut out);
                }
            }
            Ok(None) => {}
            Err(e) => {
                eprintln!("reconcile: cannot look up order {id} ({e:#}); trading stays held");
                return Ok(false);
            }
        }
    }
    let found = engine.reconcile(&truth, &mut out);
    record(engine, &out, p.batcher, p.console)?;
    p.batcher.commit(engine, true)?;
    if found.is_empty() {
        eprintln!("reconcile: the journal agrees with the broker");
    } else {
        for d in &found {
            eprintln!("reconcile: {d}");
        }
    }
    dispatch(engine, p).await?;
    Ok(true)
}

/// The events that bring the engine's copy of an order to the venue's final state: the
/// missed part of the fills (at the price that makes the venue's average come out) and the
/// closing status.
fn catch_up_events(engine: &Engine, vo: &VenueOrder) -> Vec<OrderEvent> {
    let now = engine.state().now;
    let mut evs = Vec::new();
    let Some(mine) = engine.state().open_orders.get(&vo.client_id) else {
        return evs;
    };
    let missed = vo.filled_quantity - mine.filled_quantity;
    if missed > Decimal::ZERO {
        if let Some(avg) = vo.average_price {
            let price = (avg * vo.filled_quantity - mine.filled_notional) / missed;
            evs.push(OrderEvent::Filled(Fill {
                id: format!("reconcile:{}:{}", vo.venue_id, vo.filled_quantity).into(),
                time: now,
                price: price.round_dp(8),
                quantity: missed,
                fee: Decimal::ZERO,
                liquidity: Liquidity::Taker,
                leaves: vo.quantity.map_or(Decimal::ZERO, |q| {
                    (q - vo.filled_quantity).max(Decimal::ZERO)
                }),
            }));
        }
    }
    match vo.status {
        OrderStatus::Canceled => evs.push(OrderEvent::Canceled { time: now }),
        OrderStatus::Expired => evs.push(OrderEvent::Expired { time: now }),
        OrderStatus::Rejected => evs.push(OrderEvent::Rejected {
            time: now,
            reason: "rejected by the venue (found while reconciling)".into(),
        }),
        _ => {}
    }
    evs
}
