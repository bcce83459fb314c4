//! What `ploutos run` and the trading demo print: trade lines (orders, fills, closed trades,
//! rejections, breakers), optionally every closed bar and the consensus alerts (the demo), and
//! a summary per strategy at the end.

use std::io::{self, BufWriter, Stdout, Write};
use std::time::Duration;

use ploutos_core::money::to_f64;
use ploutos_core::order::OrderEvent;
use ploutos_core::{Decimal, MarketEvent, SignalKind, Timestamp};
use ploutos_engine::breakers::BreakerChange;
use ploutos_engine::engine::Engine;
use ploutos_engine::events::EngineEvent;

use crate::analyze::output::{self, fmt_price, fmt_volume, Style};

/// The console of a trading session.
pub struct Console {
    out: BufWriter<Stdout>,
    verbose: bool,
    bars: bool,
    style: Style,
    min_confidence: u8,
    last_day: Option<i64>,
}

fn hm(t: Timestamp) -> String {
    t.to_datetime().format("%Y-%m-%d %H:%M").to_string()
}

fn money(d: Decimal) -> String {
    format!("{:.2}", to_f64(d))
}

impl Console {
    pub fn new(verbose: bool, bars: bool, color: bool, min_confidence: u8) -> Self {
        Console {
            out: BufWriter::new(io::stdout()),
            verbose,
            bars,
            style: Style { color },
            min_confidence,
            last_day: None,
        }
    }

    fn paint(&self, code: &str, s: &str) -> String {
        if self.style.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    /// A market event (printed as a bar line in the demo).
    pub fn market(&mut self, ev: &MarketEvent) -> io::Result<()> {
        if !self.bars {
            return Ok(());
        }
        if let MarketEvent::Bar { symbol, bar, .. } = ev {
            let day = bar.time().utc_day();
            if self.last_day != Some(day) {
                self.last_day = Some(day);
                output::day_line(&mut self.out, bar.time())?;
            }
            writeln!(
                self.out,
                "[{}] {}: ${} | Vol: {}",
                bar.time().to_datetime().format("%H:%M:%S"),
                symbol,
                fmt_price(bar.close()),
                fmt_volume(bar.volume())
            )?;
            self.out.flush()?;
        }
        Ok(())
    }

    /// A command applied from `ploutos panic|resume`.
    pub fn command(&mut self, cmd: &str) {
        let _ = writeln!(
            self.out,
            "{}",
            self.paint("1;33", &format!(">>> command: {cmd}"))
        );
        let _ = self.out.flush();
    }

    /// One engine event.
    pub fn event(&mut self, ev: &EngineEvent) -> io::Result<()> {
        match ev {
            EngineEvent::Signal(s) => {
                if self.bars
                    && s.strategy.as_ref() == "consensus"
                    && s.kind != SignalKind::Hold
                    && s.confidence >= self.min_confidence
                {
                    output::alert(&mut self.out, self.style, "1m", s)?;
                } else if self.verbose {
                    writeln!(
                        self.out,
                        "[{}] signal {} {} {} ({}/100)",
                        hm(s.time),
                        s.strategy,
                        s.symbol,
                        s.kind,
                        s.confidence
                    )?;
                }
            }
            EngineEvent::OrderSubmitted { time, order } => {
                if self.verbose {
                    writeln!(
                        self.out,
                        "[{}] order {} {} {} {:?} {} ({})",
                        hm(*time),
                        order.client_id,
                        order.side,
                        order.symbol,
                        order.size,
                        order.kind.name(),
                        order.reason
                    )?;
                }
            }
            EngineEvent::OrderUpdate {
                client_id, event, ..
            } => {
                if let OrderEvent::Rejected { reason, time } = event {
                    writeln!(
                        self.out,
                        "[{}] {}",
                        hm(*time),
                        self.paint("31", &format!("order {client_id} rejected: {reason}"))
                    )?;
                } else if self.verbose && !matches!(event, OrderEvent::Filled(_)) {
                    writeln!(
                        self.out,
                        "[{}] order {client_id} {}",
                        hm(event.time()),
                        event.name()
                    )?;
                }
            }
            EngineEvent::Fill {
                strategy,
                symbol,
                side,
                fill,
                position_after,
                cash_after,
                reason,
                ..
            } => {
                let verb = match side {
                    ploutos_core::Side::Buy => self.paint("1;32", "BOUGHT"),
                    ploutos_core::Side::Sell => self.paint("1;31", "SOLD"),
                };
                writeln!(
                    self.out,
                    "[{}] {strategy}: {verb} {} {symbol} @ {} ({reason}) fee {} · position {} · cash {}",
                    hm(fill.time),
                    fill.quantity.normalize(),
                    fill.price.normalize(),
                    money(fill.fee),
                    position_after.normalize(),
                    money(*cash_after)
                )?;
            }
            EngineEvent::TradeClosed {
                strategy,
                trade,
                exit_reason,
            } => {
                let pnl = format!(
                    "{:+.2} ({:+.2}%)",
                    to_f64(trade.pnl),
                    to_f64(trade.return_pct())
                );
                let pnl = if trade.is_loss() {
                    self.paint("31", &pnl)
                } else {
                    self.paint("32", &pnl)
                };
                writeln!(
                    self.out,
                    "[{}] {strategy}: closed {} {pnl} by {exit_reason}",
                    hm(trade.closed),
                    trade.symbol
                )?;
            }
            EngineEvent::RiskRejection {
                time,
                strategy,
                symbol,
                rule,
                detail,
            } => {
                if self.verbose {
                    writeln!(
                        self.out,
                        "[{}] {strategy}: entry in {symbol} refused ({rule}): {detail}",
                        hm(*time)
                    )?;
                }
            }
            EngineEvent::Breaker {
                time,
                scope,
                change,
            } => {
                let text = match change {
                    BreakerChange::Tripped(p) => format!("breaker {scope}: PAUSED — {}", p.reason),
                    BreakerChange::Resumed { breaker, by, .. } => {
                        format!("breaker {scope}: {breaker:?} resumed ({by})")
                    }
                };
                writeln!(self.out, "[{}] {}", hm(*time), self.paint("1;33", &text))?;
            }
            EngineEvent::Market { time, open } => {
                if self.verbose || self.bars {
                    let what = if *open {
                        "NYSE session opens"
                    } else {
                        "NYSE session closes"
                    };
                    writeln!(self.out, "[{}] {}", hm(*time), self.paint("36", what))?;
                }
            }
            EngineEvent::DailySummary {
                day, total_equity, ..
            } => {
                if self.verbose {
                    writeln!(
                        self.out,
                        "── day {day} closed · total equity {} ──",
                        money(*total_equity)
                    )?;
                }
            }
            EngineEvent::Error { time, message } => {
                writeln!(
                    self.out,
                    "[{}] {}",
                    hm(*time),
                    self.paint("31", &format!("error: {message}"))
                )?;
            }
        }
        // Trade lines are rare: show them at once (a live session, a demo).
        self.out.flush()
    }

    /// The table at the end.
    pub fn summary(
        &mut self,
        engine: &Engine,
        elapsed: Duration,
        interrupted: bool,
    ) -> io::Result<()> {
        let s = engine.state();
        let p = &s.portfolio;
        writeln!(self.out)?;
        writeln!(
            self.out,
            "Session {} after {} market events in {:.2} s · {} orders, {} fills{}",
            if interrupted { "interrupted" } else { "ended" },
            s.cursor,
            elapsed.as_secs_f64(),
            s.orders_submitted,
            s.fills,
            engine
                .halted()
                .map(|r| format!(" · HALTED: {r}"))
                .unwrap_or_default()
        )?;
        writeln!(
            self.out,
            "{:<14} {:>12} {:>12} {:>9} {:>7} {:>6} {:>10}",
            "strategy", "capital", "equity", "return", "trades", "open", "fees"
        )?;
        for a in p.accounts.values() {
            let eq = a.equity(&p.marks);
            let ret = if a.initial_capital.is_zero() {
                0.0
            } else {
                to_f64((eq - a.initial_capital) / a.initial_capital) * 100.0
            };
            writeln!(
                self.out,
                "{:<14} {:>12} {:>12} {:>8.2}% {:>7} {:>6} {:>10}",
                a.strategy,
                money(a.initial_capital),
                money(eq),
                ret,
                a.trades,
                a.positions.len(),
                money(a.fees)
            )?;
        }
        writeln!(
            self.out,
            "{:<14} {:>12} {:>12}",
            "total",
            money(p.accounts.values().map(|a| a.initial_capital).sum()),
            money(p.total_equity())
        )?;
        self.out.flush()
    }
}
