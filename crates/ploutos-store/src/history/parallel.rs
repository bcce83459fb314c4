//! The parallel CSV bar reader for big files: the whole file in memory, the layout from the
//! first record exactly as [`bars_csv::read`] finds it, then the rest split at newlines into
//! a few chunks per thread, each parsed with the same CSV settings and row parser. Results and
//! errors are the sequential reader's: rows are concatenated in file order, time order is
//! checked within and across chunks, and the first error in file order wins, placed at the
//! same 1-based line (blank lines counted).
//!
//! A file holding a `"` anywhere is read sequentially: a quoted cell may span lines, so a
//! newline is not a safe place to split it. So is one with lone `\r` line ends (found when
//! a chunk has more rows than lines).

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

use ploutos_core::{Bar, Timestamp};
use rayon::prelude::*;

use crate::history::bar_file::{BarFormat, BarReadOptions};
use crate::history::bars_csv::{self, parse_row, Layout};
use crate::history::error::{HistoryError, Position};
use crate::history::rows::{check_order, Layout as _};
use crate::history::sniff::{builder, csv_error, is_blank, is_data_row, locate, mark, next_record};

/// Files at least this big are read whole and parsed in parallel.
pub(crate) const THRESHOLD: u64 = 16 * 1024 * 1024;

/// Files bigger than this are read in blocks instead ([`read_blocks`]): holding the whole text
/// beside the bars would roughly double the peak memory (a 5M-bar file is ~290 MB of text for
/// 320 MB of bars).
pub(crate) const MAX_IN_MEMORY: u64 = 128 * 1024 * 1024;

/// The text of a big file is read and parsed this much at a time.
const BLOCK: usize = 16 * 1024 * 1024;

/// Reads CSV bars from an open file: in parallel when it is at least `threshold` bytes (whole
/// up to [`MAX_IN_MEMORY`], in blocks beyond), otherwise with [`bars_csv::read`].
pub(crate) fn read_file(
    mut file: File,
    name: &str,
    options: &BarReadOptions,
    threshold: u64,
) -> Result<(BarFormat, Vec<Bar>), HistoryError> {
    let len = file.metadata().map_or(0, |m| m.len());
    if len < threshold {
        return bars_csv::read(file, name, options);
    }
    if len > MAX_IN_MEMORY {
        let chunks = 2 * rayon::current_num_threads();
        return read_blocks(file, name, options, BLOCK, chunks, len);
    }
    let data = read_all(&mut file, len).map_err(|e| HistoryError::io(name, e))?;
    // A few chunks per thread, so that a thread slowed by other work does not hold up the rest.
    read(&data, name, options, 4 * rayon::current_num_threads())
}

/// The whole file, which is `len` bytes by its metadata. On Unix the pieces are read in
/// parallel (positioned reads), so that no one thread first-touches all the memory; if the
/// file then turns out longer, it is read again from the start.
fn read_all(file: &mut File, len: u64) -> std::io::Result<Vec<u8>> {
    #[cfg(unix)]
    if let Ok(n) = usize::try_from(len) {
        use std::os::unix::fs::FileExt;
        const PIECE: usize = 4 * 1024 * 1024;
        let mut data = vec![0u8; n];
        let read = data
            .par_chunks_mut(PIECE)
            .enumerate()
            .try_for_each(|(i, buf)| file.read_exact_at(buf, (i * PIECE) as u64));
        let at_end = read.is_ok() && file.read_at(&mut [0u8], len).is_ok_and(|more| more == 0);
        if at_end {
            return Ok(data);
        }
    }
    use std::io::{Seek, SeekFrom};
    file.seek(SeekFrom::Start(0))?;
    let mut data = Vec::with_capacity(usize::try_from(len).unwrap_or(0).saturating_add(1));
    file.read_to_end(&mut data)?;
    Ok(data)
}

/// Reads CSV bars from bytes in memory, split into at most `chunks` pieces parsed in
/// parallel. Same result and same errors as [`bars_csv::read`] over the same bytes.
pub(crate) fn read(
    data: &[u8],
    file: &str,
    options: &BarReadOptions,
    chunks: usize,
) -> Result<(BarFormat, Vec<Bar>), HistoryError> {
    if chunks <= 1 || data.contains(&b'"') {
        return bars_csv::read(data, file, options);
    }
    let head = head(data, file, options)?;
    let mut bars = Vec::new();
    if !body(data, &head, file, options, chunks, &mut bars)? {
        return bars_csv::read(data, file, options);
    }
    if bars.is_empty() {
        return Err(HistoryError::NoRows {
            file: file.to_string(),
        });
    }
    Ok((head.layout.format, bars))
}

/// What the first record of a file settles: the layout (from a header, or from the first row,
/// which is then the first bar) and where the rest starts.
struct Head {
    layout: Layout,
    delimiter: u8,
    /// The first bar, when the first record is one, and its time and byte.
    first: Option<Bar>,
    previous: Option<(Timestamp, u64)>,
    /// The byte after the first record.
    start: usize,
}

/// The first record, exactly as the sequential reader takes it.
fn head(data: &[u8], file: &str, options: &BarReadOptions) -> Result<Head, HistoryError> {
    let (mut csv, delimiter) = crate::history::sniff::open_csv_delimited(data, file)?;
    let mut record = csv::ByteRecord::new();
    if !next_record(&mut csv, &mut record, file)? {
        return Err(HistoryError::Empty {
            file: file.to_string(),
        });
    }
    let headerless = is_data_row(&record);
    let layout = if headerless {
        Layout::headerless(&record, file)?
    } else {
        Layout::from_header(&record, file)?
    };
    let mut previous: Option<(Timestamp, u64)> = None;
    let mut first = None;
    if headerless {
        let here = mark(&record);
        let bar = parse_row(&record, &layout, options, file, Position::Line(0))
            .map_err(|e| e.at(locate(&csv, here)))?;
        previous = Some((bar.time(), here.byte()));
        first = Some(bar);
    }
    let start = usize::try_from(csv.position().byte())
        .unwrap_or(data.len())
        .min(data.len());
    Ok(Head {
        layout,
        delimiter,
        first,
        previous,
        start,
    })
}

/// Appends to `out` the bars of `data` after `head.start` (with `head.first` in front), parsed
/// in up to `chunks` pieces in parallel; `Ok(false)` when the bytes need the sequential reader
/// (lone `\r` line ends). Errors are placed at lines of `data`.
fn body(
    data: &[u8],
    head: &Head,
    file: &str,
    options: &BarReadOptions,
    chunks: usize,
    out: &mut Vec<Bar>,
) -> Result<bool, HistoryError> {
    let (layout, delimiter, first, start) = (&head.layout, head.delimiter, head.first, head.start);
    let mut previous = head.previous;
    let bounds = split(data, start, chunks);
    // Each chunk writes its rows straight into its own stretch of the result, sized by its
    // line count (a row ends with a newline, but the last one may not). Filling the result
    // first, in parallel, also keeps any one thread from first-touching all the memory.
    let room: Vec<usize> = bounds
        .par_windows(2)
        .map(|w| {
            let lines = data[w[0]..w[1]].iter().filter(|&&b| b == b'\n').count();
            lines + usize::from(data[w[1] - 1] != b'\n')
        })
        .collect();
    let Some(filler) =
        first.or_else(|| Bar::new(Timestamp::from_nanos(0), 1.0, 1.0, 1.0, 1.0, 0.0).ok())
    else {
        return Ok(false);
    };
    let skip = usize::from(first.is_some());
    let len = skip + room.iter().sum::<usize>();
    let base = out.len();
    if base == 0 {
        out.reserve_exact(len);
        ploutos_core::mem::advise_huge_pages(out);
    }
    out.par_extend(rayon::iter::repeat_n(filler, len));
    let mut rest = &mut out[base + skip..];
    let mut targets = Vec::with_capacity(room.len());
    for &n in &room {
        let (head, tail) = rest.split_at_mut(n);
        targets.push(head);
        rest = tail;
    }
    let mut parsed: Vec<Chunk> = bounds
        .par_windows(2)
        .zip(targets)
        .map(|(w, to)| parse_chunk(data, w[0], w[1], to, layout, delimiter, options, file))
        .collect();
    if parsed.iter().any(|c| c.overflow) {
        // More records than newlines: lone `\r` line ends. Rare; read it the plain way.
        out.truncate(base);
        return Ok(false);
    }

    let mut kept = skip;
    let mut at = skip;
    for (chunk, &n) in parsed.iter_mut().zip(&room) {
        if let (Some((prev, prev_byte)), Some(time)) = (previous, chunk.first_time) {
            // Lines are counted only for the message.
            if time <= prev {
                check_order(
                    file,
                    time,
                    line_of(data, chunk.first_byte),
                    prev,
                    line_of(data, prev_byte),
                )?;
            }
        }
        if let Some(e) = chunk.error.take() {
            out.truncate(base);
            return Err(e);
        }
        if chunk.last.is_some() {
            previous = chunk.last;
        }
        // Close the gap left by blank lines in earlier chunks.
        if kept != at {
            out.copy_within(base + at..base + at + chunk.rows, base + kept);
        }
        kept += chunk.rows;
        at += n;
    }
    out.truncate(base + kept);
    Ok(true)
}

/// Reads CSV bars from a stream too big to hold as text beside its bars, in blocks of about
/// `block` bytes (cut after a newline), each parsed in up to `chunks` pieces in parallel: the
/// text held at any time is one block. The first block's first record settles the layout for
/// all. A block that needs the sequential reader (a quote, lone `\r` line ends, a line longer
/// than a block) or holds any error — also a bar not after the previous block's last — sends
/// the whole stream, from its start, to [`bars_csv::read`], so results and errors (with their
/// lines) are the sequential reader's.
pub(crate) fn read_blocks<R: Read + Seek>(
    mut src: R,
    file: &str,
    options: &BarReadOptions,
    block: usize,
    chunks: usize,
    len_hint: u64,
) -> Result<(BarFormat, Vec<Bar>), HistoryError> {
    match blocks(&mut src, file, options, block, chunks, len_hint) {
        Ok(Some(read)) => Ok(read),
        Ok(None) | Err(_) => {
            src.seek(SeekFrom::Start(0))
                .map_err(|e| HistoryError::io(file, e))?;
            bars_csv::read(src, file, options)
        }
    }
}

/// [`read_blocks`] without the fallback: `Ok(None)` or an error (placed in its block, not in
/// the file) when the sequential reader must decide.
fn blocks<R: Read>(
    src: &mut R,
    file: &str,
    options: &BarReadOptions,
    block: usize,
    chunks: usize,
    len_hint: u64,
) -> Result<Option<(BarFormat, Vec<Bar>)>, HistoryError> {
    let io = |e| HistoryError::io(file, e);
    let mut text: Vec<u8> = Vec::with_capacity(block + 1);
    let mut carry: Vec<u8> = Vec::new();
    let mut head: Option<Head> = None;
    let mut bars: Vec<Bar> = Vec::new();
    loop {
        text.clear();
        text.append(&mut carry);
        let mut end = false;
        while text.len() < block {
            let want = block - text.len();
            let got = src
                .by_ref()
                .take(want as u64)
                .read_to_end(&mut text)
                .map_err(io)?;
            if got == 0 {
                end = true;
                break;
            }
        }
        if !end {
            let Some(cut) = text.iter().rposition(|&b| b == b'\n') else {
                return Ok(None); // a line longer than a block
            };
            carry.extend_from_slice(&text[cut + 1..]);
            text.truncate(cut + 1);
        }
        if text.contains(&b'"') {
            return Ok(None);
        }
        let before = bars.len();
        let plain = match &head {
            None => {
                // Room for the whole file at this block's bytes per line (5% spare), made
                // before the first bar: growing a vector this big would free (and the
                // allocator keep) its smaller copies.
                let lines = text.iter().filter(|&&b| b == b'\n').count().max(1);
                let per_line = text.len() as f64 / lines as f64;
                bars.reserve((len_hint as f64 / per_line * 1.05) as usize);
                ploutos_core::mem::advise_huge_pages(&bars);
                let h = self::head(&text, file, options)?;
                let plain = body(&text, &h, file, options, chunks, &mut bars)?;
                head = Some(h);
                plain
            }
            Some(_) if text.iter().all(u8::is_ascii_whitespace) => true,
            Some(h) => {
                let rest = Head {
                    layout: h.layout.clone(),
                    delimiter: h.delimiter,
                    first: None,
                    previous: None,
                    start: 0,
                };
                body(&text, &rest, file, options, chunks, &mut bars)?
            }
        };
        if !plain {
            return Ok(None);
        }
        if before > 0 && bars.len() > before && bars[before].time() <= bars[before - 1].time() {
            return Ok(None);
        }
        if end {
            break;
        }
    }
    match head {
        Some(h) if !bars.is_empty() => Ok(Some((h.layout.format, bars))),
        _ => Ok(None),
    }
}

/// Chunk boundaries: `start`, then the byte after the first newline at or after each
/// `1/chunks` of the rest, then the end; no empty chunks.
fn split(data: &[u8], start: usize, chunks: usize) -> Vec<usize> {
    let rest = data.len() - start;
    let mut bounds = vec![start];
    for k in 1..chunks {
        let last = bounds[bounds.len() - 1];
        let target = (start + rest / chunks * k).max(last);
        match data[target..].iter().position(|&b| b == b'\n') {
            Some(i) if target + i + 1 < data.len() => {
                if target + i + 1 > last {
                    bounds.push(target + i + 1);
                }
            }
            _ => break,
        }
    }
    if data.len() > bounds[bounds.len() - 1] {
        bounds.push(data.len());
    }
    bounds
}

/// One chunk's rows, up to its first error.
struct Chunk {
    /// How many rows were written.
    rows: usize,
    /// The first row's time and start (a byte offset into the whole file).
    first_time: Option<Timestamp>,
    first_byte: u64,
    /// The last row's time and start.
    last: Option<(Timestamp, u64)>,
    error: Option<HistoryError>,
    /// More rows than room for them.
    overflow: bool,
}

#[allow(clippy::too_many_arguments)]
fn parse_chunk(
    data: &[u8],
    lo: usize,
    hi: usize,
    to: &mut [Bar],
    layout: &Layout,
    delimiter: u8,
    options: &BarReadOptions,
    file: &str,
) -> Chunk {
    let mut csv = builder(delimiter).from_reader(&data[lo..hi]);
    let mut record = csv::ByteRecord::new();
    let mut chunk = Chunk {
        rows: 0,
        first_time: None,
        first_byte: 0,
        last: None,
        error: None,
        overflow: false,
    };
    let base = lo as u64;
    loop {
        match csv.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let at = e.position().map(|p| line_of(data, base + p.byte()));
                chunk.error = Some(csv_error(e, file, at));
                break;
            }
        }
        if is_blank(&record) {
            continue;
        }
        let here = base + mark(&record).byte();
        let bar = match parse_row(&record, layout, options, file, Position::Line(0)) {
            Ok(bar) => bar,
            Err(e) => {
                chunk.error = Some(e.at(line_of(data, here)));
                break;
            }
        };
        let time = bar.time();
        if let Some((prev, prev_byte)) = chunk.last {
            if time <= prev {
                if let Err(e) = check_order(
                    file,
                    time,
                    line_of(data, here),
                    prev,
                    line_of(data, prev_byte),
                ) {
                    chunk.error = Some(e);
                    break;
                }
            }
        } else {
            chunk.first_time = Some(time);
            chunk.first_byte = here;
        }
        let Some(slot) = to.get_mut(chunk.rows) else {
            chunk.overflow = true;
            break;
        };
        *slot = bar;
        chunk.rows += 1;
        chunk.last = Some((time, here));
    }
    chunk
}

/// The 1-based line of a record the CSV parser says starts at `byte`: as the sequential
/// reader counts it, past any line ends the parser skipped, counting `\n`.
fn line_of(data: &[u8], byte: u64) -> Position {
    let mut upto = usize::try_from(byte).unwrap_or(data.len()).min(data.len());
    while data.get(upto).is_some_and(|&b| b == b'\n' || b == b'\r') {
        upto += 1;
    }
    Position::Line(data[..upto].iter().filter(|&&b| b == b'\n').count() as u64 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn show(r: &Result<(BarFormat, Vec<Bar>), HistoryError>) -> String {
        match r {
            Ok((f, bars)) => format!("{f:?} {bars:?}"),
            Err(e) => format!("error: {e}"),
        }
    }

    /// Parses `text` sequentially and in parallel with several chunk counts; asserts all
    /// agree and returns the sequential result.
    fn both(text: &str) -> String {
        let opts = BarReadOptions::default();
        let seq = show(&bars_csv::read(text.as_bytes(), "x.csv", &opts));
        for chunks in [2, 3, 4, 5, 7, 16, 64] {
            let par = show(&read(text.as_bytes(), "x.csv", &opts, chunks));
            assert_eq!(par, seq, "chunks = {chunks}\n{text}");
        }
        let len = text.len() as u64;
        for (block, chunks) in [
            (40, 2),
            (64, 3),
            (100, 2),
            (257, 4),
            (1000, 2),
            (1 << 20, 2),
        ] {
            let cursor = std::io::Cursor::new(text.as_bytes());
            let blocks = show(&read_blocks(cursor, "x.csv", &opts, block, chunks, len));
            assert_eq!(blocks, seq, "blocks of {block} in {chunks}\n{text}");
        }
        seq
    }

    fn rows(n: usize) -> String {
        let mut s = String::from("timestamp,open,high,low,close,volume\n");
        for i in 0..n {
            s += &format!("{},10,11,9,10.5,{}\n", 1_700_000_000 + i * 60, i);
        }
        s
    }

    fn replace_line(text: &str, line: usize, with: &str) -> String {
        let mut lines: Vec<&str> = text.split('\n').collect();
        lines[line - 1] = with;
        lines.join("\n")
    }

    #[test]
    fn valid_files_agree() {
        assert!(both(&rows(100)).starts_with("Canonical"));
        assert!(both(&rows(1)).starts_with("Canonical"));
        assert!(both(&rows(100).replace('\n', "\r\n")).starts_with("Canonical"));
        assert!(both(&rows(50).replace(',', ";")).starts_with("Canonical"));
        // Lone `\r` line ends: more records than newlines.
        assert!(both(&rows(50).replace('\n', "\r")).starts_with("Canonical"));
        assert!(both(&rows(50).replacen('\n', "\r", 30)).starts_with("Canonical"));
        assert!(both(&rows(50).replace(',', "\t")).starts_with("Canonical"));
        // Blank and whitespace-only lines, leading and trailing, and no final newline.
        let blanky = format!(
            "\n\n{}\n  \n\n",
            rows(40).replace("9,10.5,3\n", "9,10.5,3\n\n \n")
        );
        assert!(both(&blanky).starts_with("Canonical"));
        assert!(both(rows(30).trim_end()).starts_with("Canonical"));
        // Headerless, Binance, Yahoo, optional columns, BOM.
        let headerless: String = rows(30).lines().skip(1).map(|l| format!("{l}\n")).collect();
        assert!(both(&headerless).starts_with("Headerless"));
        let binance: String = (0..30)
            .map(|i| {
                let t = 1_700_000_000_000u64 + i * 60_000;
                format!("{t},1,2,0.5,1.5,10,{},15,7,1,1,0\n", t + 59_999)
            })
            .collect();
        assert!(both(&binance).starts_with("BinanceKlines"));
        let yahoo: String = std::iter::once("Date,Open,High,Low,Close,Adj Close,Volume\n".into())
            .chain((1..29).map(|d| format!("2024-02-{d:02},10,11,9,10,5,100\n")))
            .collect::<String>();
        assert!(both(&yahoo).starts_with("Yahoo"));
        let extra: String = std::iter::once("time,o,h,l,c,v,trades,vwap\n".to_string())
            .chain((0..40).map(|i| {
                let trades = if i % 3 == 0 {
                    String::new()
                } else {
                    i.to_string()
                };
                let vwap = if i % 4 == 0 { "" } else { "10.25" };
                format!(
                    "{},10,11,9,10.5,1,{trades},{vwap}\n",
                    1_700_000_000 + i * 60
                )
            }))
            .collect();
        assert!(both(&extra).starts_with("Canonical"));
        assert!(both(&format!("\u{feff}{}", rows(20))).starts_with("Canonical"));
        // Quoted cells (read sequentially) and RFC 3339 times.
        let quoted = rows(20).replace(",10,11,", ",\"10\",\"11\",");
        assert!(both(&quoted).starts_with("Canonical"));
        let rfc: String = std::iter::once("timestamp,open,high,low,close,volume\n".to_string())
            .chain((0..30).map(|i| format!("2024-01-01T00:{i:02}:00Z,1,2,0.5,1.5,3\n")))
            .collect();
        assert!(both(&rfc).starts_with("Canonical"));
    }

    #[test]
    fn blocks_parse_a_valid_file_in_parallel_and_leave_errors_to_the_sequential_reader() {
        let opts = BarReadOptions::default();
        let text = rows(500);
        let len = text.len() as u64;
        let mut src = std::io::Cursor::new(text.as_bytes());
        let (format, bars) = blocks(&mut src, "x.csv", &opts, 300, 2, len)
            .unwrap()
            .expect("a plain file is read in blocks");
        assert_eq!(format, BarFormat::Canonical);
        assert_eq!(bars.len(), 500);
        assert!(bars.windows(2).all(|w| w[0].time() < w[1].time()));
        // A bar out of order across a block boundary, a bad cell, a quote: not in blocks.
        for bad in [
            replace_line(&text, 200, "1700000000,10,11,9,10.5,1"),
            replace_line(&text, 200, "1700011880,10,x,9,10.5,1"),
            text.replace(",10,11,", ",\"10\",11,"),
        ] {
            let mut src = std::io::Cursor::new(bad.as_bytes());
            let r = blocks(&mut src, "x.csv", &opts, 300, 2, len);
            assert!(!matches!(r, Ok(Some(_))), "{bad}");
        }
    }

    #[test]
    fn errors_agree() {
        let base = rows(60);
        let cases = [
            replace_line(&base, 40, "1700002280,10,x,9,10.5,1"),
            replace_line(&base, 40, "1700002280,10,,9,10.5,1"),
            replace_line(&base, 40, "1700002280,10,8,9,10.5,1"),
            replace_line(&base, 40, "1700002220,10,11,9,10.5,1"),
            replace_line(&base, 40, "1700000000,10,11,9,10.5,1"),
            replace_line(&base, 40, "1700002280,10,11,9"),
            replace_line(&base, 40, "nonsense,10,11,9,10.5,1"),
            replace_line(&base, 2, "1700000000,10,x,9,10.5,1"),
            replace_line(&base, 3, "1600000000,10,11,9,10.5,1"),
            replace_line(&base, 61, "1700003540,10,11,9,10.5,-1"),
            // Two bad rows: the earlier wins.
            replace_line(
                &replace_line(&base, 50, "1700002940,10,x,9,10.5,1"),
                20,
                "1700001140,10,8,9,10.5,1",
            ),
        ];
        for case in &cases {
            assert!(both(case).starts_with("error"), "{case}");
            // With blank lines before, CRLF endings, another delimiter, quoted cells.
            let blank = case.replacen("\n", "\n\n  \n", 5);
            assert!(both(&blank).starts_with("error"));
            assert!(both(&case.replace('\n', "\r\n")).starts_with("error"));
            assert!(both(&blank.replace('\n', "\r\n")).starts_with("error"));
            assert!(both(&case.replace(',', ";")).starts_with("error"));
            assert!(both(&case.replace('\n', "\r")).starts_with("error"));
            assert!(both(&case.replace(",10,11,", ",\"10\",11,")).starts_with("error"));
        }
        // Out of order and duplicate exactly across a chunk boundary, whatever it is.
        for line in 3..62 {
            let dup = replace_line(&base, line, base.lines().nth(line - 2).unwrap());
            assert!(both(&dup).contains("repeats"), "{line}");
        }
        // Headerless files, a bad first row, header errors, empty files.
        let headerless: String = base.lines().skip(1).map(|l| format!("{l}\n")).collect();
        assert!(both(&replace_line(&headerless, 1, "1700000000,1,2")).starts_with("error"));
        assert!(both(&replace_line(&headerless, 1, "1700000000,10,x,9,1,1")).starts_with("error"));
        assert!(
            both(&replace_line(&headerless, 2, "1600000000,10,11,9,10.5,1")).starts_with("error")
        );
        assert!(both(&replace_line(&headerless, 30, "1,10,11,9,10.5,1")).starts_with("error"));
        assert!(both("timestamp,open,high,low,close\n1,2,3,1,2\n").starts_with("error"));
        assert!(both("timestamp,open,high,low,close,volume\n").starts_with("error"));
        assert!(both("timestamp,open,high,low,close,volume\n\n \n\n").starts_with("error"));
        assert!(both("").starts_with("error"));
        assert!(both("\n\n").starts_with("error"));
    }

    #[test]
    fn a_file_above_the_threshold_reads_in_parallel() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("BTCUSDT.csv");
        let opts = BarReadOptions::default();
        for text in [
            rows(500),
            replace_line(&rows(500), 300, "1700017880,1,1,1,x,1"),
        ] {
            std::fs::write(&path, &text).unwrap();
            let par = read_file(File::open(&path).unwrap(), "x.csv", &opts, 0);
            let seq = bars_csv::read(text.as_bytes(), "x.csv", &opts);
            assert_eq!(show(&par), show(&seq));
        }
    }

    #[test]
    fn split_is_line_aligned() {
        let data = b"h\na\nbb\nccc\n\nd";
        for chunks in 1..20 {
            let b = split(data, 2, chunks);
            assert_eq!(b[0], 2);
            assert_eq!(*b.last().unwrap(), data.len());
            assert!(b.windows(2).all(|w| w[0] < w[1]));
            assert!(b[1..b.len() - 1].iter().all(|&i| data[i - 1] == b'\n'));
        }
        assert_eq!(split(b"h\n", 2, 4), vec![2]);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn mostly_valid_files_agree(
            header in any::<bool>(),
            lines in proptest::collection::vec(
                (0u8..12, 0u64..100, proptest::collection::vec(
                    prop::sample::select(b"0123456789,;\t\r\n .-ex".to_vec()), 0..12)),
                0..120,
            ),
            chunks in 2usize..9,
        ) {
            // Good rows, with now and then a repeated or earlier time, a junk line, a blank
            // line or a lone CR.
            let mut data = if header { b"timestamp,open,high,low,close,volume\n".to_vec() } else { Vec::new() };
            let mut t = 1_600_000_000u64;
            for (kind, gap, junk) in &lines {
                match kind {
                    0 => data.extend(junk),
                    1 => data.extend(b"\n"),
                    2 => data.extend(format!("{},1,2,0.5,1.5,3\r", t - gap).as_bytes()),
                    3 => data.extend(format!("{t},1,2,0.5,1.5,3\r\n").as_bytes()),
                    _ => {
                        t += gap + 1;
                        data.extend(format!("{t},1,2,0.5,1.5,3\n").as_bytes());
                    }
                }
            }
            let opts = BarReadOptions::default();
            let seq = show(&bars_csv::read(&data[..], "x.csv", &opts));
            let par = show(&read(&data, "x.csv", &opts, chunks));
            prop_assert_eq!(par, seq);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn random_valid_files_agree(
            gaps in proptest::collection::vec(1u64..10_000, 1..200),
            prices in proptest::collection::vec((1u32..100_000, 0u32..500, 0u32..500, 0u32..1000), 200),
            header in any::<bool>(),
            crlf in any::<bool>(),
            delimiter in prop::sample::select(vec![',', ';', '\t']),
            blanks in proptest::collection::vec(0usize..3, 200),
            chunks in 2usize..9,
        ) {
            let end = if crlf { "\r\n" } else { "\n" };
            let mut text = String::new();
            if header {
                text += &format!("timestamp,open,high,low,close,volume{end}").replace(',', &delimiter.to_string());
            }
            let mut t = 1_600_000_000u64;
            for (i, gap) in gaps.iter().enumerate() {
                t += gap;
                let (p, up, down, v) = prices[i];
                let open = f64::from(p) / 100.0;
                let high = open + f64::from(up) / 1000.0;
                let low = open - f64::from(down) / 1000.0;
                let d = delimiter;
                text += &format!("{t}{d}{open}{d}{high}{d}{low}{d}{open}{d}{}.{v:03}{end}", v % 7);
                for _ in 0..blanks[i] {
                    text += end;
                }
            }
            let opts = BarReadOptions::default();
            let seq = show(&bars_csv::read(text.as_bytes(), "x.csv", &opts));
            let par = show(&read(text.as_bytes(), "x.csv", &opts, chunks));
            prop_assert!(!seq.starts_with("error"), "{}", seq);
            prop_assert_eq!(par, seq);
        }
    }
}
