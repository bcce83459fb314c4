//! Opening a CSV stream: delimiter detection, header detection, file-kind detection.

use std::io::{Chain, Cursor, Read};

use crate::history::error::{HistoryError, Position};
use crate::history::num::parse_timestamp;

/// How much of the stream is looked at to find the first line.
const PREFIX_LIMIT: usize = 64 * 1024;

/// A CSV reader over the whole stream (the sniffed prefix chained with the rest).
pub(crate) type CsvReader<R> = csv::Reader<Chain<Cursor<Vec<u8>>, R>>;

/// Reads the first line (at most 64 KiB), picks the delimiter from it (`,`, `;` or tab,
/// whichever occurs most, `,` on a tie), and returns a CSV reader positioned at the start.
pub(crate) fn open_csv<R: Read>(mut reader: R, file: &str) -> Result<CsvReader<R>, HistoryError> {
    let mut prefix = Vec::with_capacity(8 * 1024);
    let mut chunk = [0u8; 8 * 1024];
    loop {
        let n = match reader.read(&mut chunk) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(HistoryError::io(file, e)),
        };
        prefix.extend_from_slice(&chunk[..n]);
        let has_line = prefix
            .split(|&b| b == b'\n')
            .any(|l| !l.trim_ascii().is_empty())
            && prefix.contains(&b'\n');
        if n == 0 || has_line || prefix.len() >= PREFIX_LIMIT {
            break;
        }
    }
    let first_line = prefix
        .split(|&b| b == b'\n')
        .find(|l| !l.trim_ascii().is_empty())
        .unwrap_or(&[]);
    let delimiter = pick_delimiter(first_line);
    Ok(csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .delimiter(delimiter)
        .from_reader(Cursor::new(prefix).chain(reader)))
}

fn pick_delimiter(line: &[u8]) -> u8 {
    let count = |d: u8| line.iter().filter(|&&b| b == d).count();
    let (comma, semi, tab) = (count(b','), count(b';'), count(b'\t'));
    if semi > comma && semi >= tab {
        b';'
    } else if tab > comma && tab > semi {
        b'\t'
    } else {
        b','
    }
}

/// Reads the next record; `Ok(false)` at the end of the stream.
#[inline]
pub(crate) fn next_record<R: Read>(
    reader: &mut CsvReader<R>,
    record: &mut csv::ByteRecord,
    file: &str,
) -> Result<bool, HistoryError> {
    reader
        .read_byte_record(record)
        .map_err(|e| csv_error(e, file))
}

fn csv_error(e: csv::Error, file: &str) -> HistoryError {
    let line = e.position().map_or(0, |p| p.line());
    match e.into_kind() {
        csv::ErrorKind::Io(io) => HistoryError::io(file, io),
        other => HistoryError::Csv {
            file: file.to_string(),
            at: Position::Line(line),
            message: format!("{other:?}"),
        },
    }
}

/// The 1-based line a record starts on.
#[inline]
pub(crate) fn line_of(record: &csv::ByteRecord) -> Position {
    Position::Line(record.position().map_or(0, |p| p.line()))
}

/// Whether the first record is data rather than a header: its first cell reads as a
/// timestamp or an epoch/id integer.
pub(crate) fn is_data_row(record: &csv::ByteRecord) -> bool {
    record
        .get(0)
        .is_some_and(|f| parse_timestamp(strip_bom(f)).is_ok())
}

/// The cell without a UTF-8 byte-order mark.
pub(crate) fn strip_bom(cell: &[u8]) -> &[u8] {
    cell.strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(cell)
        .trim_ascii()
}

/// The header joined with commas, for error messages.
pub(crate) fn header_text(record: &csv::ByteRecord) -> String {
    record
        .iter()
        .map(|f| String::from_utf8_lossy(strip_bom(f)).into_owned())
        .collect::<Vec<_>>()
        .join(",")
}
