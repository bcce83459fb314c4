//! Engine state files: `latest_state.json`, replaced atomically on every write, and a gzip
//! copy of each write, `history/state-<time>.json.gz`, of which the newest N are kept.
//!
//! `latest_state.json` is written to a temporary file in the same directory, fsynced and
//! renamed over the old one (then the directory is fsynced): a reader, or the engine after a
//! crash, sees the old file or the new one, never a torn one. The history copies are written
//! the same way.

use std::fs::{self, File};
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDateTime, Utc};
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;
use ploutos_core::Timestamp;

use crate::journal::StoreError;

/// The file name of the latest state.
pub const LATEST: &str = "latest_state.json";
/// How many history copies are kept unless told otherwise.
pub const DEFAULT_KEEP: usize = 100;

const TIME_FORMAT: &str = "%Y%m%dT%H%M%S%.9fZ";

/// One history copy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateFile {
    /// The time in its name (the time of the write).
    pub time: Timestamp,
    /// Its path.
    pub path: PathBuf,
    /// Its size in bytes (compressed).
    pub size: u64,
}

/// The state files of one engine, in one directory.
#[derive(Clone, Debug)]
pub struct StateFiles {
    dir: PathBuf,
    keep: usize,
}

fn io_err(path: &Path, op: &str) -> impl FnOnce(std::io::Error) -> StoreError {
    let path = path.to_path_buf();
    let op = op.to_string();
    move |source| StoreError::Io { path, op, source }
}

fn json_err(path: &Path, op: &str) -> impl FnOnce(serde_json::Error) -> StoreError {
    let path = path.to_path_buf();
    let op = op.to_string();
    move |source| StoreError::Json { path, op, source }
}

impl StateFiles {
    /// State files in `dir` (created on the first write), keeping [`DEFAULT_KEEP`] history
    /// copies.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        StateFiles {
            dir: dir.into(),
            keep: DEFAULT_KEEP,
        }
    }

    /// Keeps the newest `keep` history copies instead (at least 1).
    pub fn with_keep(mut self, keep: usize) -> Self {
        self.keep = keep.max(1);
        self
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// How many history copies are kept.
    pub fn keep(&self) -> usize {
        self.keep
    }

    /// `dir/latest_state.json`.
    pub fn latest_path(&self) -> PathBuf {
        self.dir.join(LATEST)
    }

    /// `dir/history`.
    pub fn history_dir(&self) -> PathBuf {
        self.dir.join("history")
    }

    /// Writes `state` as `latest_state.json` and as a history copy named after the current
    /// wall-clock time; returns the copy's path.
    pub fn write_latest(&self, state: &serde_json::Value) -> Result<PathBuf, StoreError> {
        let now = Timestamp::from_datetime(Utc::now()).unwrap_or(Timestamp::EPOCH);
        self.write_latest_at(state, now)
    }

    /// [`StateFiles::write_latest`] with the copy named after `time` (the engine clock, so
    /// that a backtest's files are named after simulated time). A second write at the same
    /// time gets a `-1`, `-2`, … suffix instead of replacing the first.
    pub fn write_latest_at(
        &self,
        state: &serde_json::Value,
        time: Timestamp,
    ) -> Result<PathBuf, StoreError> {
        let bytes = serde_json::to_vec_pretty(state)
            .map_err(json_err(&self.latest_path(), "serialize state"))?;
        fs::create_dir_all(&self.dir).map_err(io_err(&self.dir, "create directory"))?;
        let history = self.history_dir();
        fs::create_dir_all(&history).map_err(io_err(&history, "create directory"))?;

        let stamp = time.to_datetime().format(TIME_FORMAT).to_string();
        let mut n = 0u32;
        let copy = loop {
            let name = if n == 0 {
                format!("state-{stamp}.json.gz")
            } else {
                format!("state-{stamp}-{n}.json.gz")
            };
            let path = history.join(name);
            if !path.exists() {
                break path;
            }
            n += 1;
        };
        atomic_write(&copy, |w| {
            let mut gz = GzEncoder::new(w, Compression::default());
            gz.write_all(&bytes)?;
            gz.finish()?;
            Ok(())
        })?;
        sync_dir(&history)?;
        atomic_write(&self.latest_path(), |w| w.write_all(&bytes))?;
        sync_dir(&self.dir)?;
        self.prune()?;
        Ok(copy)
    }

    /// The latest state, `None` when none was written yet.
    pub fn read_latest(&self) -> Result<Option<serde_json::Value>, StoreError> {
        let path = self.latest_path();
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_err(&path, "read")(e)),
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(json_err(&path, "parse state"))
    }

    /// Reads one history copy.
    pub fn read(&self, path: &Path) -> Result<serde_json::Value, StoreError> {
        let file = File::open(path).map_err(io_err(path, "open"))?;
        let mut bytes = Vec::new();
        GzDecoder::new(file)
            .read_to_end(&mut bytes)
            .map_err(io_err(path, "decompress"))?;
        serde_json::from_slice(&bytes).map_err(json_err(path, "parse state"))
    }

    /// The history copies, newest first (files not named by this module are ignored).
    pub fn list(&self) -> Result<Vec<StateFile>, StoreError> {
        let history = self.history_dir();
        let dir = match fs::read_dir(&history) {
            Ok(d) => d,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_err(&history, "list")(e)),
        };
        let mut out = Vec::new();
        for entry in dir {
            let entry = entry.map_err(io_err(&history, "list"))?;
            let name = entry.file_name();
            let Some((time, n)) = name.to_str().and_then(parse_name) else {
                continue;
            };
            let meta = entry.metadata().map_err(io_err(&entry.path(), "stat"))?;
            out.push((
                (time, n),
                StateFile {
                    time,
                    path: entry.path(),
                    size: meta.len(),
                },
            ));
        }
        out.sort_by_key(|f| std::cmp::Reverse(f.0));
        Ok(out.into_iter().map(|(_, f)| f).collect())
    }

    /// Deletes all but the newest `keep` history copies.
    fn prune(&self) -> Result<(), StoreError> {
        for old in self.list()?.into_iter().skip(self.keep) {
            fs::remove_file(&old.path).map_err(io_err(&old.path, "remove old state copy"))?;
        }
        Ok(())
    }
}

/// `state-<time>[-n].json.gz` → (time, n).
fn parse_name(name: &str) -> Option<(Timestamp, u32)> {
    let rest = name.strip_prefix("state-")?.strip_suffix(".json.gz")?;
    let (stamp, n) = match rest.split_once('-') {
        Some((s, n)) => (s, n.parse().ok()?),
        None => (rest, 0),
    };
    let naive = NaiveDateTime::parse_from_str(stamp, TIME_FORMAT).ok()?;
    let time = Timestamp::from_datetime(DateTime::from_naive_utc_and_offset(naive, Utc))?;
    Some((time, n))
}

/// Writes `path` through a temporary file in the same directory: write, fsync, rename.
fn atomic_write(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<&File>) -> std::io::Result<()>,
) -> Result<(), StoreError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let file = File::create(&tmp).map_err(io_err(&tmp, "create"))?;
        let mut w = BufWriter::new(&file);
        write(&mut w).map_err(io_err(&tmp, "write"))?;
        w.flush().map_err(io_err(&tmp, "write"))?;
        drop(w);
        file.sync_all().map_err(io_err(&tmp, "fsync"))?;
        fs::rename(&tmp, path).map_err(io_err(path, "rename temporary file over"))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Makes a rename durable: fsync the directory (a no-op where directories cannot be opened).
fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io_err(dir, "fsync directory"))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        let t = Timestamp::parse("2024-01-02T14:30:00.123456789Z").expect("time");
        let stamp = t.to_datetime().format(TIME_FORMAT).to_string();
        assert_eq!(stamp, "20240102T143000.123456789Z");
        assert_eq!(parse_name(&format!("state-{stamp}.json.gz")), Some((t, 0)));
        assert_eq!(
            parse_name(&format!("state-{stamp}-3.json.gz")),
            Some((t, 3))
        );
        assert_eq!(parse_name("state-x.json.gz"), None);
        assert_eq!(
            parse_name(".state-20240102T143000.123456789Z.json.gz.tmp-1"),
            None
        );
    }
}
