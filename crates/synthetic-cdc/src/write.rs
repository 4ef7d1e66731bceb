//! Writes rows as Firehose does: Parquet under `transaction_history/__year=Y/__month=M/__day=D/`
//! (values not zero-padded), several files a day, rows in no particular order.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread::JoinHandle;

use duckdb::Connection;
use reporting_core::CalendarDate;

use crate::model::{CdcRow, RowSink, LATE_COLUMNS};
use crate::rng::Rng;
use crate::{GenerateError, Summary};

const FILES_PER_DAY: usize = 2;

fn fail(path: &Path, e: impl std::fmt::Display) -> GenerateError {
    GenerateError::Write {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

/// A DuckDB connection for writing Parquet, on the same footing as the engine's: the linked
/// library checked and pinned (UTC, no extension loading), whichever build it is.
fn open_connection(path: &Path) -> Result<Connection, GenerateError> {
    let conn = Connection::open_in_memory().map_err(|e| fail(path, e))?;
    duckdb_trino::library::pin(&conn).map_err(|e| fail(path, e))?;
    Ok(conn)
}

/// The DuckDB `read_json` column spec of a capture day's files.
fn columns_spec(day: CalendarDate, late_columns_from: CalendarDate) -> String {
    // Every column of the Glue schema the files hold, in its DuckDB type.
    reporting_core::source::file_columns()
        .into_iter()
        .filter(|c| day >= late_columns_from || !LATE_COLUMNS.contains(&c.name))
        .map(|c| {
            let ty = duckdb_trino::duckdb_type(c.hive_type).unwrap_or_else(|e| {
                panic!("the source schema's {} has no DuckDB type: {e}", c.name)
            });
            format!("'{}': '{}'", c.name, ty.replace('\'', "''"))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A capture day's Firehose folder under `root`: `__year=Y/__month=M/__day=D` (not zero-padded).
pub fn partition_dir(root: &Path, day: CalendarDate) -> PathBuf {
    root.join(format!(
        "__year={}/__month={}/__day={}",
        day.year(),
        day.month(),
        day.day()
    ))
}

fn sql_text(path: &Path) -> String {
    path.to_string_lossy().replace('\'', "''")
}

/// Writes rows as newline-delimited JSON (one object of fields a line) to `path`.
fn write_ndjson<'a>(
    path: &Path,
    rows: impl IntoIterator<Item = &'a CdcRow>,
) -> Result<(), GenerateError> {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).map_err(|e| fail(path, e))?);
    for r in rows {
        serde_json::to_writer(&mut f, &r.fields).map_err(|e| fail(path, e))?;
        f.write_all(b"\n").map_err(|e| fail(path, e))?;
    }
    f.flush().map_err(|e| fail(path, e))
}

/// Converts newline-delimited JSON rows into one Parquet file, optionally in change-time order
/// (the order Firehose delivers them in).
fn ndjson_to_parquet(
    conn: &Connection,
    src: &Path,
    dst: &Path,
    spec: &str,
    in_time_order: bool,
) -> Result<(), GenerateError> {
    let order = if in_time_order {
        " ORDER BY \"$classification\".\"timestamp\""
    } else {
        ""
    };
    let sql = format!(
        "COPY (SELECT * FROM read_json('{src}', format = 'newline_delimited', columns = {{{spec}}}){order}) \
         TO '{dst}' (FORMAT parquet, COMPRESSION zstd)",
        src = sql_text(src),
        dst = sql_text(dst),
    );
    conn.execute_batch(&sql).map_err(|e| fail(dst, e))
}

/// A history streamed to Parquet with bounded memory: rows are spooled as JSON lines per capture
/// day and file, and each day is converted (in time order, on a second thread) as soon as the
/// generator says it is complete. The folder appears under its final name only when finished.
pub struct ParquetSpool {
    out: PathBuf,
    staging: PathBuf,
    open: BTreeMap<CalendarDate, Vec<Option<BufWriter<File>>>>,
    next_part: usize,
    partitions: u64,
    converter: Option<Converter>,
}

/// The converter thread and the channel that feeds it days to convert.
type Converter = (
    mpsc::Sender<DayFiles>,
    JoinHandle<Result<u64, GenerateError>>,
);

struct DayFiles {
    day: CalendarDate,
    parts: Vec<(PathBuf, PathBuf)>,
}

impl ParquetSpool {
    pub fn new(out: &Path, late_columns_from: CalendarDate) -> Result<Self, GenerateError> {
        let staging = out.join(format!(
            ".transaction_history.partial-{}",
            std::process::id()
        ));
        if staging.exists() {
            std::fs::remove_dir_all(&staging).map_err(|e| fail(&staging, e))?;
        }
        std::fs::create_dir_all(staging.join(".spool")).map_err(|e| fail(&staging, e))?;
        let conn = open_connection(out)?;
        conn.execute_batch(&format!(
            "SET memory_limit = '4GB'; SET temp_directory = '{}'",
            sql_text(&staging.join(".spool"))
        ))
        .map_err(|e| fail(out, e))?;
        let (tx, rx) = mpsc::channel::<DayFiles>();
        let handle = std::thread::spawn(move || {
            let mut files = 0;
            for job in rx {
                let spec = columns_spec(job.day, late_columns_from);
                for (src, dst) in &job.parts {
                    ndjson_to_parquet(&conn, src, dst, &spec, true)?;
                    std::fs::remove_file(src).map_err(|e| fail(src, e))?;
                    files += 1;
                }
            }
            Ok(files)
        });
        Ok(Self {
            out: out.to_path_buf(),
            staging,
            open: BTreeMap::new(),
            next_part: 0,
            partitions: 0,
            converter: Some((tx, handle)),
        })
    }

    fn spool_file(&self, day: CalendarDate, part: usize) -> PathBuf {
        self.staging
            .join(".spool")
            .join(format!("{day}-{part}.ndjson"))
    }

    fn hand_over(&mut self, day: CalendarDate) -> Result<(), GenerateError> {
        let Some(writers) = self.open.remove(&day) else {
            return Ok(());
        };
        let dir = partition_dir(&self.staging, day);
        std::fs::create_dir_all(&dir).map_err(|e| fail(&dir, e))?;
        let mut parts = Vec::new();
        for (n, writer) in writers.into_iter().enumerate() {
            if let Some(mut w) = writer {
                let src = self.spool_file(day, n);
                w.flush().map_err(|e| fail(&src, e))?;
                parts.push((src, dir.join(format!("part-{:05}.parquet", parts.len()))));
            }
        }
        self.partitions += 1;
        let sent = self
            .converter
            .as_ref()
            .is_some_and(|(tx, _)| tx.send(DayFiles { day, parts }).is_ok());
        if sent {
            return Ok(());
        }
        // The converter stopped: its error says why.
        match self.join() {
            Err(e) => Err(e),
            Ok(_) => Err(fail(&self.staging, "the Parquet converter stopped early")),
        }
    }

    fn join(&mut self) -> Result<u64, GenerateError> {
        let Some((tx, handle)) = self.converter.take() else {
            return Ok(0);
        };
        drop(tx);
        handle
            .join()
            .unwrap_or_else(|_| Err(fail(&self.staging, "the Parquet converter panicked")))
    }

    /// Converts what is left and moves the folder to `<out>/transaction_history`, replacing it.
    /// Returns the number of files and partitions written.
    pub fn finish(mut self) -> Result<(u64, u64), GenerateError> {
        let days: Vec<CalendarDate> = self.open.keys().copied().collect();
        for day in days {
            self.hand_over(day)?;
        }
        let files = self.join()?;
        std::fs::remove_dir_all(self.staging.join(".spool")).ok();
        let final_dir = self.out.join("transaction_history");
        if final_dir.exists() {
            std::fs::remove_dir_all(&final_dir).map_err(|e| fail(&final_dir, e))?;
        }
        std::fs::rename(&self.staging, &final_dir).map_err(|e| fail(&final_dir, e))?;
        Ok((files, self.partitions))
    }

    /// Stops and removes the partial folder.
    pub fn abandon(mut self) {
        self.open.clear();
        let _ = self.join();
        std::fs::remove_dir_all(&self.staging).ok();
    }
}

impl RowSink for ParquetSpool {
    fn push(&mut self, row: CdcRow) -> Result<(), GenerateError> {
        let part = self.next_part;
        self.next_part = (self.next_part + 1) % FILES_PER_DAY;
        let path = self.spool_file(row.capture_day, part);
        let writers = self
            .open
            .entry(row.capture_day)
            .or_insert_with(|| (0..FILES_PER_DAY).map(|_| None).collect());
        if writers[part].is_none() {
            let f = File::create(&path).map_err(|e| fail(&path, e))?;
            writers[part] = Some(BufWriter::with_capacity(1 << 20, f));
        }
        let w = writers[part].as_mut().expect("just opened");
        serde_json::to_writer(&mut *w, &row.fields).map_err(|e| fail(&path, e))?;
        w.write_all(b"\n").map_err(|e| fail(&path, e))
    }

    fn complete_through(&mut self, day: CalendarDate) -> Result<(), GenerateError> {
        let done: Vec<CalendarDate> = self.open.range(..=day).map(|(d, _)| *d).collect();
        for d in done {
            self.hand_over(d)?;
        }
        Ok(())
    }
}

/// Replaces `<out>/transaction_history` with the given rows. Files captured before
/// `late_columns_from` do not have the late columns at all (schema drift).
pub fn write_parquet(
    out: &Path,
    rows: &[CdcRow],
    late_columns_from: CalendarDate,
    seed: u64,
) -> Result<Summary, GenerateError> {
    let final_dir = out.join("transaction_history");
    let staging = out.join(format!(
        ".transaction_history.partial-{}",
        std::process::id()
    ));
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(|e| fail(&staging, e))?;
    }
    std::fs::create_dir_all(&staging).map_err(|e| fail(&staging, e))?;

    let mut by_day: BTreeMap<CalendarDate, Vec<&CdcRow>> = BTreeMap::new();
    for r in rows {
        by_day.entry(r.capture_day).or_default().push(r);
    }
    let conn = open_connection(out)?;
    let mut rng = Rng::new(seed).fork(99);
    let mut summary = Summary {
        rows: rows.len() as u64,
        partitions: by_day.len() as u64,
        ..Default::default()
    };
    let scratch = staging.join("rows.ndjson");

    for (day, mut day_rows) in by_day {
        rng.shuffle(&mut day_rows);
        let spec = columns_spec(day, late_columns_from);
        let dir = partition_dir(&staging, day);
        std::fs::create_dir_all(&dir).map_err(|e| fail(&dir, e))?;
        let chunk = day_rows.len().div_ceil(FILES_PER_DAY).max(1);
        for (n, part) in day_rows.chunks(chunk).enumerate() {
            write_ndjson(&scratch, part.iter().copied())?;
            let file = dir.join(format!("part-{n:05}.parquet"));
            ndjson_to_parquet(&conn, &scratch, &file, &spec, false)?;
            summary.files += 1;
        }
    }
    std::fs::remove_file(&scratch).ok();
    if final_dir.exists() {
        std::fs::remove_dir_all(&final_dir).map_err(|e| fail(&final_dir, e))?;
    }
    std::fs::rename(&staging, &final_dir).map_err(|e| fail(&final_dir, e))?;
    Ok(summary)
}

/// Lands `rows` as Firehose does: one new file named `<name>.parquet` in each capture day's
/// partition of `<out>/transaction_history` that the rows fall in, next to the files already
/// there. Files are immutable, as S3 objects are: a name already taken is an error, never a
/// rewrite. Files captured before `late_columns_from` lack the late columns. Returns the files.
pub fn land_files(
    out: &Path,
    rows: &[CdcRow],
    late_columns_from: CalendarDate,
    name: &str,
) -> Result<Vec<PathBuf>, GenerateError> {
    let root = out.join("transaction_history");
    let mut by_day: BTreeMap<CalendarDate, Vec<&CdcRow>> = BTreeMap::new();
    for r in rows {
        by_day.entry(r.capture_day).or_default().push(r);
    }
    let conn = open_connection(out)?;
    let mut landed = Vec::new();
    for (day, day_rows) in by_day {
        let dir = partition_dir(&root, day);
        std::fs::create_dir_all(&dir).map_err(|e| fail(&dir, e))?;
        let file = dir.join(format!("{name}.parquet"));
        if file.exists() {
            return Err(fail(&file, "a landed file is never rewritten"));
        }
        // Written beside the partition and renamed in: a reader never sees half a file.
        let scratch = dir.join(format!(".{name}.ndjson"));
        let partial = dir.join(format!(".{name}.partial"));
        write_ndjson(&scratch, day_rows)?;
        ndjson_to_parquet(
            &conn,
            &scratch,
            &partial,
            &columns_spec(day, late_columns_from),
            true,
        )?;
        std::fs::remove_file(&scratch).map_err(|e| fail(&scratch, e))?;
        std::fs::rename(&partial, &file).map_err(|e| fail(&file, e))?;
        landed.push(file);
    }
    Ok(landed)
}

/// Splits one capture day's Parquet files (`day_dir`) into one file per hour of the versions'
/// change time, `hour-HH.parquet` in `out_dir`, as Firehose delivers a day buffer by buffer: the
/// bench's steady-state day lands hour by hour. Returns the hours written, in order, with their
/// files.
pub fn split_day_by_hour(
    day_dir: &Path,
    out_dir: &Path,
) -> Result<Vec<(u32, PathBuf)>, GenerateError> {
    let staging = out_dir.join(".by-hour");
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(|e| fail(&staging, e))?;
    }
    std::fs::create_dir_all(out_dir).map_err(|e| fail(out_dir, e))?;
    let conn = open_connection(day_dir)?;
    let sql = format!(
        "COPY (SELECT *, CAST((\"$classification\".\"timestamp\" % 86400000) // 3600000 AS INTEGER) AS firehose_hour \
               FROM read_parquet('{src}/*.parquet', union_by_name = true, hive_partitioning = false) \
               ORDER BY \"$classification\".\"timestamp\") \
         TO '{dst}' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (firehose_hour))",
        src = sql_text(day_dir),
        dst = sql_text(&staging),
    );
    conn.execute_batch(&sql).map_err(|e| fail(out_dir, e))?;
    let mut hours = Vec::new();
    for hour in 0..24u32 {
        let dir = staging.join(format!("firehose_hour={hour}"));
        if !dir.is_dir() {
            continue;
        }
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map_err(|e| fail(&dir, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        files.sort();
        for (n, file) in files.into_iter().enumerate() {
            let to = out_dir.join(format!("hour-{hour:02}-{n}.parquet"));
            std::fs::rename(&file, &to).map_err(|e| fail(&to, e))?;
            hours.push((hour, to));
        }
    }
    std::fs::remove_dir_all(&staging).map_err(|e| fail(&staging, e))?;
    Ok(hours)
}
