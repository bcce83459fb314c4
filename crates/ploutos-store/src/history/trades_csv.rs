//! The CSV trade reader: one pass, one reused [`csv::ByteRecord`], no allocation per row.

use std::io::Read;

use ploutos_core::{Side, Trade};

use crate::history::columns::{self, find, normalise};
use crate::history::error::{HistoryError, Position};
use crate::history::num::{parse_bool, parse_u64};
use crate::history::rows::{self, read_rows, Cells, Order};
use crate::history::sniff::{header_text, strip_bom};
use crate::history::trade_file::TradeFormat;

/// How a row says who the aggressor was.
enum Aggressor {
    None,
    /// A `buy`/`sell` column.
    Side(usize),
    /// Binance's `is_buyer_maker`: true means the seller hit the bid.
    BuyerMaker(usize),
}

struct Layout {
    format: TradeFormat,
    time: usize,
    price: usize,
    quantity: usize,
    id: Option<usize>,
    aggressor: Aggressor,
    names: Vec<String>,
    min_fields: usize,
}

const BINANCE: [&str; 7] = [
    "id",
    "price",
    "qty",
    "quote_qty",
    "time",
    "is_buyer_maker",
    "is_best_match",
];

impl rows::Layout for Layout {
    fn from_header(header: &csv::ByteRecord, file: &str) -> Result<Self, HistoryError> {
        let cells: Vec<String> = header.iter().map(normalise).collect();
        let need = |column: &'static str, aliases: &[&str]| {
            find(&cells, aliases).ok_or_else(|| HistoryError::MissingColumn {
                file: file.to_string(),
                column,
                header: header_text(header),
            })
        };
        let time = need("timestamp", columns::TRADE_TIME)?;
        let price = need("price", columns::PRICE)?;
        let quantity = need("quantity", columns::QUANTITY)?;
        let id = find(&cells, columns::TRADE_ID);
        let (format, aggressor) = match (
            find(&cells, columns::SIDE),
            find(&cells, columns::BUYER_MAKER),
        ) {
            (Some(i), _) => (TradeFormat::Canonical, Aggressor::Side(i)),
            (None, Some(i)) => (TradeFormat::Binance, Aggressor::BuyerMaker(i)),
            (None, None) => (TradeFormat::Canonical, Aggressor::None),
        };
        let names = header
            .iter()
            .map(|c| String::from_utf8_lossy(strip_bom(c)).into_owned())
            .collect();
        Ok(Layout {
            format,
            time,
            price,
            quantity,
            id,
            aggressor,
            names,
            min_fields: time.max(price).max(quantity) + 1,
        })
    }

    fn headerless(first: &csv::ByteRecord, file: &str) -> Result<Self, HistoryError> {
        let id_first = first
            .get(0)
            .map(<[u8]>::trim_ascii)
            .is_some_and(|c| !c.is_empty() && c.iter().all(u8::is_ascii_digit));
        if first.len() < 6 || !id_first {
            return Err(HistoryError::UnknownFormat {
                file: file.to_string(),
                reason: format!(
                    "line 1 is data, not a header, with {} columns; a trade file without a header \
                     must be Binance's id,price,qty,quote_qty,time,is_buyer_maker[,is_best_match]; \
                     otherwise add the header timestamp,trade_id,price,quantity,side",
                    first.len()
                ),
            });
        }
        Ok(Layout {
            format: TradeFormat::Binance,
            time: 4,
            price: 1,
            quantity: 2,
            id: Some(0),
            aggressor: Aggressor::BuyerMaker(5),
            names: BINANCE.iter().map(|s| s.to_string()).collect(),
            min_fields: 6,
        })
    }
}

/// Reads CSV trades: detects the layout, validates each row, checks time order (equal
/// times are allowed).
pub(crate) fn read<R: Read>(
    reader: R,
    file: &str,
) -> Result<(TradeFormat, Vec<Trade>), HistoryError> {
    let (layout, trades) = read_rows(
        reader,
        file,
        Order::NonDecreasing,
        None,
        |record, layout, at| parse_row(record, layout, file, at),
    )?;
    Ok((layout.format, trades))
}

#[inline]
fn parse_row(
    record: &csv::ByteRecord,
    layout: &Layout,
    file: &str,
    at: Position,
) -> Result<Trade, HistoryError> {
    let cells = Cells::new(record, &layout.names, layout.min_fields, file, at)?;
    let number = |i: usize| cells.number(i);
    let time = cells.time(layout.time)?;
    let mut trade =
        Trade::new(time, number(layout.price)?, number(layout.quantity)?).map_err(|source| {
            HistoryError::BadTrade {
                file: file.to_string(),
                at,
                source,
            }
        })?;
    if let Some(i) = layout.id {
        let b = cells.cell(i);
        if !b.is_empty() {
            let id = parse_u64(b).ok_or_else(|| cells.bad(i, "is not a whole-number trade id"))?;
            trade = trade.with_id(id);
        }
    }
    let side = match layout.aggressor {
        Aggressor::None => None,
        Aggressor::Side(i) => {
            parse_side(cells.cell(i)).map_err(|()| cells.bad(i, "is not a side (buy or sell)"))?
        }
        Aggressor::BuyerMaker(i) => match parse_bool(cells.cell(i)) {
            Some(true) => Some(Side::Sell),
            Some(false) => Some(Side::Buy),
            None if cells.cell(i).is_empty() => None,
            None => return Err(cells.bad(i, "is not true or false")),
        },
    };
    if let Some(side) = side {
        trade = trade.with_aggressor(side);
    }
    Ok(trade)
}

/// `buy`/`sell`/`b`/`s` in any case; empty means unknown.
fn parse_side(b: &[u8]) -> Result<Option<Side>, ()> {
    if b.is_empty() {
        Ok(None)
    } else if b.eq_ignore_ascii_case(b"buy") || b.eq_ignore_ascii_case(b"b") {
        Ok(Some(Side::Buy))
    } else if b.eq_ignore_ascii_case(b"sell") || b.eq_ignore_ascii_case(b"s") {
        Ok(Some(Side::Sell))
    } else {
        Err(())
    }
}
