//! The CSV row loop shared by the bar and trade readers: open the stream, read the first
//! record, tell a header from data, build the layout, then parse every row into one reused
//! [`csv::ByteRecord`], locating errors by line and checking time order.

use std::io::Read;

use ploutos_core::{Bar, Timestamp, Trade};

use crate::history::error::{HistoryError, Position};
use crate::history::num::{parse_f64, parse_timestamp};
use crate::history::sniff::{is_data_row, locate, mark, next_record, open_csv, Mark};

/// Where a reader's fields are, built from the first record of a file.
pub(crate) trait Layout: Sized {
    /// The layout named by a header row.
    fn from_header(header: &csv::ByteRecord, file: &str) -> Result<Self, HistoryError>;
    /// The layout of a file whose first record is already data.
    fn headerless(first: &csv::ByteRecord, file: &str) -> Result<Self, HistoryError>;
}

/// A parsed row with a time stamp.
pub(crate) trait Stamped {
    fn time(&self) -> Timestamp;
}

impl Stamped for Bar {
    #[inline]
    fn time(&self) -> Timestamp {
        Bar::time(self)
    }
}

impl Stamped for Trade {
    #[inline]
    fn time(&self) -> Timestamp {
        Trade::time(self)
    }
}

/// The time order rows must follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Order {
    /// Each row after the one before; an equal time is a duplicate (bars).
    Increasing,
    /// Each row at or after the one before (trades).
    NonDecreasing,
}

/// Reads every row of a CSV stream. `parse` turns one record into a row; any error it
/// returns is placed at the record's line (it is given a placeholder position to fill in).
/// Fails if the stream is empty, holds no rows, or breaks `order` — unless `problems` is
/// given: then a bad or misordered row is recorded there and skipped (`data inspect`).
pub(crate) fn read_rows<R, L, T>(
    reader: R,
    file: &str,
    order: Order,
    mut problems: Option<&mut Vec<HistoryError>>,
    mut parse: impl FnMut(&csv::ByteRecord, &L, Position) -> Result<T, HistoryError>,
) -> Result<(L, Vec<T>), HistoryError>
where
    R: Read,
    L: Layout,
    T: Stamped,
{
    let mut csv = open_csv(reader, file)?;
    let mut record = csv::ByteRecord::new();
    if !next_record(&mut csv, &mut record, file)? {
        return Err(HistoryError::Empty {
            file: file.to_string(),
        });
    }
    let headerless = is_data_row(&record);
    let layout = if headerless {
        L::headerless(&record, file)?
    } else {
        L::from_header(&record, file)?
    };
    let mut rows = Vec::new();
    let mut previous: Option<(Timestamp, Mark)> = None;
    let mut pending = headerless;
    loop {
        if !pending && !next_record(&mut csv, &mut record, file)? {
            break;
        }
        pending = false;
        let here = mark(&record);
        let row = match parse(&record, &layout, Position::Line(0)) {
            Ok(row) => row,
            Err(e) => {
                let e = e.at(locate(&csv, here));
                match problems.as_deref_mut() {
                    Some(p) => {
                        p.push(e);
                        continue;
                    }
                    None => return Err(e),
                }
            }
        };
        let time = row.time();
        if let Some((prev, prev_mark)) = previous {
            let broken = match order {
                Order::Increasing => time <= prev,
                Order::NonDecreasing => time < prev,
            };
            if broken {
                if let Err(e) = check_order(
                    file,
                    time,
                    locate(&csv, here),
                    prev,
                    locate(&csv, prev_mark),
                ) {
                    match problems.as_deref_mut() {
                        Some(p) => {
                            p.push(e);
                            continue;
                        }
                        None => return Err(e),
                    }
                }
            }
        }
        previous = Some((time, here));
        rows.push(row);
    }
    if rows.is_empty() {
        return Err(HistoryError::NoRows {
            file: file.to_string(),
        });
    }
    Ok((layout, rows))
}

/// Rejects a row stamped at or before the one before it.
pub(crate) fn check_order(
    file: &str,
    time: Timestamp,
    at: Position,
    previous: Timestamp,
    previous_at: Position,
) -> Result<(), HistoryError> {
    if time > previous {
        Ok(())
    } else if time == previous {
        Err(HistoryError::Duplicate {
            file: file.to_string(),
            at,
            time,
            previous_at,
        })
    } else {
        Err(HistoryError::OutOfOrder {
            file: file.to_string(),
            at,
            time,
            previous_at,
            previous,
        })
    }
}

/// One CSV record's cells, with what an error about one of them needs (file, position,
/// column names): the part of the bar and trade row parsers that is the same.
pub(crate) struct Cells<'a> {
    record: &'a csv::ByteRecord,
    names: &'a [String],
    file: &'a str,
    at: Position,
}

impl<'a> Cells<'a> {
    /// The record's cells; a record with fewer than `min_fields` is a [`HistoryError::ShortRow`].
    #[inline]
    pub(crate) fn new(
        record: &'a csv::ByteRecord,
        names: &'a [String],
        min_fields: usize,
        file: &'a str,
        at: Position,
    ) -> Result<Self, HistoryError> {
        if record.len() < min_fields {
            return Err(HistoryError::ShortRow {
                file: file.to_string(),
                at,
                found: record.len(),
                expected: min_fields,
            });
        }
        Ok(Cells {
            record,
            names,
            file,
            at,
        })
    }

    /// Cell `i`'s bytes (empty past the end).
    #[inline]
    pub(crate) fn cell(&self, i: usize) -> &'a [u8] {
        self.record.get(i).unwrap_or_default().trim_ascii()
    }

    /// A [`HistoryError::BadValue`] for cell `i`.
    #[cold]
    pub(crate) fn bad(&self, i: usize, reason: impl Into<String>) -> HistoryError {
        let column = self.names.get(i).map_or("?", String::as_str);
        HistoryError::bad_value(self.file, self.at, column, self.cell(i), reason)
    }

    /// Cell `i` as a number.
    #[inline]
    pub(crate) fn number(&self, i: usize) -> Result<f64, HistoryError> {
        let b = self.cell(i);
        parse_f64(b).ok_or_else(|| self.bad(i, not_a_number(b)))
    }

    /// Cell `i` as a timestamp.
    #[inline]
    pub(crate) fn time(&self, i: usize) -> Result<Timestamp, HistoryError> {
        parse_timestamp(self.cell(i)).map_err(|reason| self.bad(i, reason))
    }
}

/// The reason a cell is not a number.
fn not_a_number(b: &[u8]) -> &'static str {
    if b.is_empty() {
        "is empty, expected a number"
    } else {
        "is not a number"
    }
}
