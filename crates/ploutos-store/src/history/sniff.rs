//! Opening a CSV stream: delimiter detection, header detection, file-kind detection.

use std::collections::VecDeque;
use std::io::{Chain, Cursor, Read};

use crate::history::error::{HistoryError, Position};
use crate::history::num::parse_timestamp;

/// How much of the stream is looked at to find the first line.
const PREFIX_LIMIT: usize = 64 * 1024;

/// A CSV reader over the whole stream (the sniffed prefix chained with the rest).
pub(crate) type CsvReader<R> = csv::Reader<LineTracker<Chain<Cursor<Vec<u8>>, R>>>;

/// Bytes handed to the CSV parser per read; the tracker keeps the last few such segments.
const SEGMENT: usize = 64 * 1024;
const KEPT_SEGMENTS: usize = 4;

/// Passes bytes through to the CSV parser and remembers enough to turn a record's byte
/// offset into a text-editor line number (the CSV parser's own count skips blank lines).
/// Costs a copy of the bytes and a newline count; nothing per row.
pub(crate) struct LineTracker<R> {
    inner: R,
    segments: VecDeque<Segment>,
    consumed: u64,
    newlines: u64,
}

struct Segment {
    start: u64,
    newlines_before: u64,
    data: Vec<u8>,
}

impl<R: Read> Read for LineTracker<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > 0 {
            let mut seg = if self.segments.len() >= KEPT_SEGMENTS {
                self.segments
                    .pop_front()
                    .map(|s| s.data)
                    .unwrap_or_default()
            } else {
                Vec::new()
            };
            seg.clear();
            seg.extend_from_slice(&buf[..n]);
            let lines = seg.iter().filter(|&&b| b == b'\n').count() as u64;
            self.segments.push_back(Segment {
                start: self.consumed,
                newlines_before: self.newlines,
                data: seg,
            });
            self.consumed += n as u64;
            self.newlines += lines;
        }
        Ok(n)
    }
}

impl<R> LineTracker<R> {
    /// The 1-based line of a byte offset still in the kept segments.
    fn line_at(&self, byte: u64) -> Option<u64> {
        let seg = self
            .segments
            .iter()
            .find(|s| s.start <= byte && byte <= s.start + s.data.len() as u64)?;
        let mut upto = usize::try_from(byte - seg.start).ok()?;
        // The parser's offset is where it began looking, before any blank lines it skipped.
        while seg
            .data
            .get(upto)
            .is_some_and(|&b| b == b'\n' || b == b'\r')
        {
            upto += 1;
        }
        let within = seg
            .data
            .get(..upto)?
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64;
        Some(seg.newlines_before + within + 1)
    }
}

/// Where a record starts: its byte offset and the CSV parser's line (a fallback).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Mark {
    byte: u64,
    line: u64,
}

impl Mark {
    /// The byte offset the CSV parser gives for the record.
    pub(crate) fn byte(self) -> u64 {
        self.byte
    }
}

/// The mark of a record just read.
#[inline]
pub(crate) fn mark(record: &csv::ByteRecord) -> Mark {
    record
        .position()
        .map_or(Mark { byte: 0, line: 0 }, |p| Mark {
            byte: p.byte(),
            line: p.line(),
        })
}

/// The text-editor line of a record (only computed for error messages).
pub(crate) fn locate<R: Read>(csv: &CsvReader<R>, m: Mark) -> Position {
    Position::Line(csv.get_ref().line_at(m.byte).unwrap_or(m.line))
}

/// Reads the first line (at most 64 KiB), picks the delimiter from it (`,`, `;` or tab,
/// whichever occurs most, `,` on a tie), and returns a CSV reader positioned at the start.
pub(crate) fn open_csv<R: Read>(reader: R, file: &str) -> Result<CsvReader<R>, HistoryError> {
    open_csv_delimited(reader, file).map(|(csv, _)| csv)
}

/// [`open_csv`], also giving the delimiter picked.
pub(crate) fn open_csv_delimited<R: Read>(
    mut reader: R,
    file: &str,
) -> Result<(CsvReader<R>, u8), HistoryError> {
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
    let csv = builder(delimiter).from_reader(LineTracker {
        inner: Cursor::new(prefix).chain(reader),
        segments: VecDeque::with_capacity(KEPT_SEGMENTS),
        consumed: 0,
        newlines: 0,
    });
    Ok((csv, delimiter))
}

/// The CSV settings every reader uses: no header handling, rows of any length, default
/// quoting and line terminators. Cells are not trimmed by the CSV reader (that rewrites every
/// record); whoever reads a cell trims it ([`crate::history::rows::Cells::cell`],
/// [`strip_bom`], [`is_blank`]).
pub(crate) fn builder(delimiter: u8) -> csv::ReaderBuilder {
    let mut b = csv::ReaderBuilder::new();
    b.has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .buffer_capacity(SEGMENT);
    b
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

/// Reads the next record, skipping lines of only whitespace; `Ok(false)` at the end of the
/// stream.
#[inline]
pub(crate) fn next_record<R: Read>(
    reader: &mut CsvReader<R>,
    record: &mut csv::ByteRecord,
    file: &str,
) -> Result<bool, HistoryError> {
    loop {
        let more = reader.read_byte_record(record).map_err(|e| {
            let m = e.position().map(|p| Mark {
                byte: p.byte(),
                line: p.line(),
            });
            let at = m.map(|m| locate(reader, m));
            csv_error(e, file, at)
        })?;
        if !more || !is_blank(record) {
            return Ok(more);
        }
    }
}

pub(crate) fn csv_error(e: csv::Error, file: &str, at: Option<Position>) -> HistoryError {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => HistoryError::io(file, io),
        other => HistoryError::Csv {
            file: file.to_string(),
            at: at.unwrap_or(Position::Line(0)),
            message: format!("{other:?}"),
        },
    }
}

/// Whether a record is a line of nothing but whitespace (skipped everywhere).
#[inline]
pub(crate) fn is_blank(record: &csv::ByteRecord) -> bool {
    record.len() == 1 && record.get(0).is_some_and(|c| c.trim_ascii().is_empty())
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
