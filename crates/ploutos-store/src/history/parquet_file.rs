//! Parquet bars: reading by column name (pandas/pyarrow/Polars files) and writing.
//!
//! Built on the `parquet` crate's column readers without Arrow. The time column may be
//! INT64 with a TIMESTAMP logical type (ms/µs/ns), a plain INT64/INT32 epoch (scaled by its
//! digit count like CSV epochs), INT32 DATE, legacy INT96, or a string; price and volume
//! columns DOUBLE, FLOAT, INT32 or INT64 (DECIMAL scale applied).

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use parquet::basic::{
    Compression, ConvertedType, LogicalType, Repetition, TimeUnit, Type as Physical,
};
use parquet::column::reader::{ColumnReader, ColumnReaderImpl};
use parquet::column::writer::ColumnWriter;
use parquet::data_type::DataType;
use parquet::file::properties::WriterProperties;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::{ColumnDescriptor, Type};
use ploutos_core::{Bar, Timestamp};

use crate::history::columns::{self, find, normalise};
use crate::history::error::{HistoryError, Position};
use crate::history::num::{epoch_by_digits, parse_timestamp};
use crate::history::rows::check_order;

/// Rows per row group when writing.
const ROW_GROUP: usize = 1 << 20;

/// Reads bars from a Parquet file; columns found by name like CSV headers.
pub(crate) fn read_bars_parquet(file: File, name: &str) -> Result<Vec<Bar>, HistoryError> {
    let pq = |e: parquet::errors::ParquetError| HistoryError::parquet(name, e);
    let reader = SerializedFileReader::new(file).map_err(pq)?;
    let schema = reader.metadata().file_metadata().schema_descr_ptr();
    let leaves: Vec<String> = schema
        .columns()
        .iter()
        .map(|c| normalise(c.name().as_bytes()))
        .collect();
    let header = schema
        .columns()
        .iter()
        .map(|c| c.name().to_string())
        .collect::<Vec<_>>()
        .join(",");
    let need = |column: &'static str, aliases: &[&str]| {
        find(&leaves, aliases).ok_or_else(|| HistoryError::MissingColumn {
            file: name.to_string(),
            column,
            header: header.clone(),
        })
    };
    let t = need("timestamp", columns::BAR_TIME)?;
    let prices = [
        need("open", columns::OPEN)?,
        need("high", columns::HIGH)?,
        need("low", columns::LOW)?,
        need("close", columns::CLOSE)?,
        need("volume", columns::VOLUME)?,
    ];
    let trades_col = find(&leaves, columns::TRADES);
    let vwap_col = find(&leaves, columns::VWAP);
    if reader.metadata().file_metadata().num_rows() == 0 {
        return Err(HistoryError::NoRows {
            file: name.to_string(),
        });
    }

    let mut bars = Vec::with_capacity(
        usize::try_from(reader.metadata().file_metadata().num_rows()).unwrap_or(0),
    );
    let mut previous: Option<(Timestamp, Position)> = None;
    let mut base = 0u64;
    for g in 0..reader.num_row_groups() {
        let group = reader.get_row_group(g).map_err(pq)?;
        let rows = usize::try_from(group.metadata().num_rows()).unwrap_or(0);
        let column = |i: usize| -> Result<(ColumnReader, Arc<ColumnDescriptor>), HistoryError> {
            Ok((group.get_column_reader(i).map_err(pq)?, schema.column(i)))
        };
        let times = time_column(column(t)?, rows, base, name)?;
        let mut nums: Vec<Vec<Option<f64>>> = Vec::with_capacity(5);
        for &i in &prices {
            nums.push(f64_column(column(i)?, rows, name)?);
        }
        let trades = trades_col
            .map(|i| trades_column(column(i)?, rows, base, name))
            .transpose()?;
        let vwaps = vwap_col
            .map(|i| f64_column(column(i)?, rows, name))
            .transpose()?;
        for (r, time) in times.iter().enumerate().take(rows) {
            let at = Position::Row(base + r as u64 + 1);
            let null = |col: usize| {
                HistoryError::bad_value(name, at, schema.column(col).name(), b"", "is null")
            };
            let time = time.ok_or_else(|| null(t))?;
            let mut v = [0.0f64; 5];
            for (k, col) in prices.iter().enumerate() {
                v[k] = nums[k]
                    .get(r)
                    .copied()
                    .flatten()
                    .ok_or_else(|| null(*col))?;
            }
            let bar_error = |source| HistoryError::BadBar {
                file: name.to_string(),
                at,
                source,
            };
            let mut bar = Bar::new(time, v[0], v[1], v[2], v[3], v[4]).map_err(bar_error)?;
            if let Some(n) = trades.as_ref().and_then(|c| c.get(r).copied().flatten()) {
                bar = bar.with_trades(n);
            }
            if let Some(x) = vwaps.as_ref().and_then(|c| c.get(r).copied().flatten()) {
                bar = bar.with_vwap(x).map_err(bar_error)?;
            }
            if let Some((prev, prev_at)) = previous {
                check_order(name, time, at, prev, prev_at)?;
            }
            previous = Some((time, at));
            bars.push(bar);
        }
        base += rows as u64;
    }
    Ok(bars)
}

/// Reads a whole column chunk; `None` where the value is null.
fn read_all<T: DataType>(
    mut reader: ColumnReaderImpl<T>,
    rows: usize,
    max_def: i16,
) -> parquet::errors::Result<Vec<Option<T::T>>> {
    let mut values: Vec<T::T> = Vec::with_capacity(rows);
    let mut defs: Vec<i16> = Vec::with_capacity(if max_def > 0 { rows } else { 0 });
    let mut total = 0;
    while total < rows {
        let levels = if max_def > 0 { Some(&mut defs) } else { None };
        let (records, _, _) = reader.read_records(rows - total, levels, None, &mut values)?;
        if records == 0 {
            break;
        }
        total += records;
    }
    if max_def == 0 {
        return Ok(values.into_iter().map(Some).collect());
    }
    let mut it = values.into_iter();
    Ok(defs
        .iter()
        .map(|&d| if d == max_def { it.next() } else { None })
        .collect())
}

fn unsupported(name: &str, descr: &ColumnDescriptor, what: &str) -> HistoryError {
    HistoryError::parquet(
        name,
        format!(
            "column {:?} has physical type {} ({:?}), which is not supported for {what}",
            descr.name(),
            descr.physical_type(),
            descr.logical_type_ref()
        ),
    )
}

/// Decimal scale of an integer column (0 when not a DECIMAL).
fn decimal_scale(descr: &ColumnDescriptor) -> i32 {
    match descr.logical_type_ref() {
        Some(LogicalType::Decimal(d)) => d.scale,
        _ => 0,
    }
}

fn f64_column(
    (reader, descr): (ColumnReader, Arc<ColumnDescriptor>),
    rows: usize,
    name: &str,
) -> Result<Vec<Option<f64>>, HistoryError> {
    let pq = |e: parquet::errors::ParquetError| HistoryError::parquet(name, e);
    let def = descr.max_def_level();
    let div = 10f64.powi(decimal_scale(&descr));
    Ok(match reader {
        ColumnReader::DoubleColumnReader(r) => read_all(r, rows, def).map_err(pq)?,
        ColumnReader::FloatColumnReader(r) => map(read_all(r, rows, def).map_err(pq)?, f64::from),
        ColumnReader::Int32ColumnReader(r) => {
            map(read_all(r, rows, def).map_err(pq)?, |x| f64::from(x) / div)
        }
        ColumnReader::Int64ColumnReader(r) => {
            map(read_all(r, rows, def).map_err(pq)?, |x| x as f64 / div)
        }
        _ => return Err(unsupported(name, &descr, "prices and volumes")),
    })
}

fn trades_column(
    (reader, descr): (ColumnReader, Arc<ColumnDescriptor>),
    rows: usize,
    base: u64,
    name: &str,
) -> Result<Vec<Option<u64>>, HistoryError> {
    let pq = |e: parquet::errors::ParquetError| HistoryError::parquet(name, e);
    let def = descr.max_def_level();
    let signed: Vec<Option<i64>> = match reader {
        ColumnReader::Int32ColumnReader(r) => map(read_all(r, rows, def).map_err(pq)?, i64::from),
        ColumnReader::Int64ColumnReader(r) => read_all(r, rows, def).map_err(pq)?,
        ColumnReader::DoubleColumnReader(r) => {
            // pandas turns an integer column with nulls into float64.
            let v = read_all(r, rows, def).map_err(pq)?;
            let mut out = Vec::with_capacity(v.len());
            for (i, x) in v.into_iter().enumerate() {
                out.push(match x {
                    Some(x) if x.fract() == 0.0 && (0.0..9.0e18).contains(&x) => Some(x as i64),
                    Some(x) => {
                        return Err(HistoryError::bad_value(
                            name,
                            Position::Row(base + i as u64 + 1),
                            descr.name(),
                            x.to_string().as_bytes(),
                            "is not a whole number of trades",
                        ))
                    }
                    None => None,
                });
            }
            out
        }
        _ => return Err(unsupported(name, &descr, "a trade count")),
    };
    let mut out = Vec::with_capacity(signed.len());
    for (i, x) in signed.into_iter().enumerate() {
        out.push(match x {
            Some(n) => Some(u64::try_from(n).map_err(|_| {
                HistoryError::bad_value(
                    name,
                    Position::Row(base + i as u64 + 1),
                    descr.name(),
                    n.to_string().as_bytes(),
                    "is a negative trade count",
                )
            })?),
            None => None,
        });
    }
    Ok(out)
}

fn time_column(
    (reader, descr): (ColumnReader, Arc<ColumnDescriptor>),
    rows: usize,
    base: u64,
    name: &str,
) -> Result<Vec<Option<Timestamp>>, HistoryError> {
    let pq = |e: parquet::errors::ParquetError| HistoryError::parquet(name, e);
    let def = descr.max_def_level();
    let at = |i: usize| Position::Row(base + i as u64 + 1);
    let range = |i: usize, raw: String| {
        HistoryError::bad_value(
            name,
            at(i),
            descr.name(),
            raw.as_bytes(),
            "is out of range (1677-09-21 .. 2262-04-11 UTC)",
        )
    };
    let scale_int =
        |v: Vec<Option<i64>>, scale: Option<i64>| -> Result<Vec<Option<Timestamp>>, HistoryError> {
            let mut out = Vec::with_capacity(v.len());
            for (i, x) in v.into_iter().enumerate() {
                out.push(match x {
                    None => None,
                    Some(n) => Some(
                        match scale {
                            Some(k) => n.checked_mul(k).map(Timestamp::from_nanos),
                            None => epoch_by_digits(n),
                        }
                        .ok_or_else(|| range(i, n.to_string()))?,
                    ),
                });
            }
            Ok(out)
        };
    match reader {
        ColumnReader::Int64ColumnReader(r) => {
            let scale = match (descr.logical_type_ref(), descr.converted_type()) {
                (Some(LogicalType::Timestamp(ts)), _) => Some(match ts.unit {
                    TimeUnit::MILLIS => 1_000_000,
                    TimeUnit::MICROS => 1_000,
                    TimeUnit::NANOS => 1,
                }),
                (_, ConvertedType::TIMESTAMP_MILLIS) => Some(1_000_000),
                (_, ConvertedType::TIMESTAMP_MICROS) => Some(1_000),
                _ => None,
            };
            scale_int(read_all(r, rows, def).map_err(pq)?, scale)
        }
        ColumnReader::Int32ColumnReader(r) => {
            let is_date = matches!(descr.logical_type_ref(), Some(LogicalType::Date))
                || descr.converted_type() == ConvertedType::DATE;
            let v = map(read_all(r, rows, def).map_err(pq)?, i64::from);
            scale_int(v, is_date.then_some(86_400_000_000_000))
        }
        ColumnReader::Int96ColumnReader(r) => Ok(map(read_all(r, rows, def).map_err(pq)?, |x| {
            Timestamp::from_nanos(x.to_nanos())
        })),
        ColumnReader::ByteArrayColumnReader(r) => {
            let v = read_all(r, rows, def).map_err(pq)?;
            let mut out = Vec::with_capacity(v.len());
            for (i, x) in v.into_iter().enumerate() {
                out.push(match x {
                    None => None,
                    Some(b) => Some(parse_timestamp(b.data()).map_err(|reason| {
                        HistoryError::bad_value(name, at(i), descr.name(), b.data(), reason)
                    })?),
                });
            }
            Ok(out)
        }
        _ => Err(unsupported(name, &descr, "timestamps")),
    }
}

fn map<A, B>(v: Vec<Option<A>>, f: impl Fn(A) -> B) -> Vec<Option<B>> {
    v.into_iter().map(|x| x.map(&f)).collect()
}

/// Writes `bars` to `path` as Parquet ([`write_bars_parquet_to`]), replacing the file.
pub fn write_bars_parquet(path: impl AsRef<Path>, bars: &[Bar]) -> Result<(), HistoryError> {
    let path = path.as_ref();
    let name = path.display().to_string();
    let file = File::create(path).map_err(|e| HistoryError::io(&name, e))?;
    write_bars_parquet_to(file, bars, &name)
}

/// Writes `bars` as Parquet, Snappy-compressed, in row groups of up to 2^20 rows:
/// `timestamp` INT64 TIMESTAMP(NANOS, UTC), `open` `high` `low` `close` `volume` DOUBLE, and
/// when any bar has them, optional `trades` INT64 and `vwap` DOUBLE. pandas, pyarrow and
/// Polars read it as a table with a UTC datetime column. `name` is used in error messages.
pub fn write_bars_parquet_to<W: Write + Send>(
    out: W,
    bars: &[Bar],
    name: &str,
) -> Result<(), HistoryError> {
    let pq = |e: parquet::errors::ParquetError| HistoryError::parquet(name, e);
    let with_trades = bars.iter().any(|b| b.trades().is_some());
    let with_vwap = bars.iter().any(|b| b.vwap().is_some());
    let schema = Arc::new(bar_schema(with_trades, with_vwap).map_err(pq)?);
    let props = Arc::new(
        WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_created_by(format!("ploutos-store {}", env!("CARGO_PKG_VERSION")))
            .build(),
    );
    let mut writer = SerializedFileWriter::new(out, schema, props).map_err(pq)?;
    for chunk in bars.chunks(ROW_GROUP) {
        let mut group = writer.next_row_group().map_err(pq)?;
        let mut index = 0;
        while let Some(mut column) = group.next_column().map_err(pq)? {
            match (index, column.untyped()) {
                (0, ColumnWriter::Int64ColumnWriter(w)) => {
                    let v: Vec<i64> = chunk.iter().map(|b| b.time().as_nanos()).collect();
                    w.write_batch(&v, None, None).map_err(pq)?;
                }
                (1..=5, ColumnWriter::DoubleColumnWriter(w)) => {
                    let v: Vec<f64> = chunk
                        .iter()
                        .map(|b| match index {
                            1 => b.open(),
                            2 => b.high(),
                            3 => b.low(),
                            4 => b.close(),
                            _ => b.volume(),
                        })
                        .collect();
                    w.write_batch(&v, None, None).map_err(pq)?;
                }
                (_, ColumnWriter::Int64ColumnWriter(w)) => {
                    let defs: Vec<i16> = chunk
                        .iter()
                        .map(|b| i16::from(b.trades().is_some()))
                        .collect();
                    let v: Vec<i64> = chunk
                        .iter()
                        .filter_map(|b| b.trades())
                        .map(|n| i64::try_from(n).unwrap_or(i64::MAX))
                        .collect();
                    w.write_batch(&v, Some(&defs), None).map_err(pq)?;
                }
                (_, ColumnWriter::DoubleColumnWriter(w)) => {
                    let defs: Vec<i16> = chunk
                        .iter()
                        .map(|b| i16::from(b.vwap().is_some()))
                        .collect();
                    let v: Vec<f64> = chunk.iter().filter_map(|b| b.vwap()).collect();
                    w.write_batch(&v, Some(&defs), None).map_err(pq)?;
                }
                _ => {
                    return Err(HistoryError::parquet(
                        name,
                        "internal: unexpected column type",
                    ))
                }
            }
            column.close().map_err(pq)?;
            index += 1;
        }
        group.close().map_err(pq)?;
    }
    writer.close().map_err(pq)?;
    Ok(())
}

fn bar_schema(with_trades: bool, with_vwap: bool) -> parquet::errors::Result<Type> {
    let mut fields = vec![Arc::new(
        Type::primitive_type_builder("timestamp", Physical::INT64)
            .with_repetition(Repetition::REQUIRED)
            .with_logical_type(Some(LogicalType::timestamp(true, TimeUnit::NANOS)))
            .build()?,
    )];
    for name in ["open", "high", "low", "close", "volume"] {
        fields.push(Arc::new(
            Type::primitive_type_builder(name, Physical::DOUBLE)
                .with_repetition(Repetition::REQUIRED)
                .build()?,
        ));
    }
    if with_trades {
        fields.push(Arc::new(
            Type::primitive_type_builder("trades", Physical::INT64)
                .with_repetition(Repetition::OPTIONAL)
                .build()?,
        ));
    }
    if with_vwap {
        fields.push(Arc::new(
            Type::primitive_type_builder("vwap", Physical::DOUBLE)
                .with_repetition(Repetition::OPTIONAL)
                .build()?,
        ));
    }
    Type::group_type_builder("bar").with_fields(fields).build()
}
