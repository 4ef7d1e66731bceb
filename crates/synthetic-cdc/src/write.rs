//! Writes rows as Firehose does: Parquet under `transaction_history/__year=Y/__month=M/__day=D/`
//! (values not zero-padded), several files a day, rows in no particular order.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use duckdb::Connection;
use reporting_core::CalendarDate;

use crate::model::{CdcRow, LATE_COLUMNS};
use crate::rng::Rng;
use crate::{GenerateError, Summary};

/// Every column the generator writes, with its Parquet (DuckDB) type.
const COLUMNS: &[(&str, &str)] = &[
    ("$classification", "STRUCT(\"timestamp\" BIGINT)"),
    ("pk", "VARCHAR"),
    ("sk", "VARCHAR"),
    ("clientid", "VARCHAR"),
    ("clientname", "VARCHAR"),
    ("campaignid", "VARCHAR"),
    ("sendinggroupid", "VARCHAR"),
    ("sendinggroupidversion", "VARCHAR"),
    ("sendinggroupname", "VARCHAR"),
    ("sendinggroupcreateddate", "VARCHAR"),
    ("requestitemid", "VARCHAR"),
    ("requestitemrefid", "VARCHAR"),
    ("requestid", "VARCHAR"),
    ("requestrefid", "VARCHAR"),
    ("requestitemplanid", "VARCHAR"),
    ("nhsnumber", "VARCHAR"),
    ("createddate", "VARCHAR"),
    ("completeddate", "VARCHAR"),
    ("datesent", "VARCHAR"),
    ("completedcommunicationtypes", "VARCHAR[]"),
    ("failedcommunicationtypes", "VARCHAR[]"),
    ("status", "VARCHAR"),
    ("failedreason", "VARCHAR"),
    ("failedreasoncode", "VARCHAR"),
    ("patientodscode", "VARCHAR"),
    ("billingref", "VARCHAR"),
    ("communicationtype", "VARCHAR"),
    ("supplier", "VARCHAR"),
    ("contactdetailsource", "VARCHAR"),
    ("channeltype", "VARCHAR"),
    ("ordernumber", "INTEGER"),
    ("recipientcontactid", "VARCHAR"),
    ("templateid", "VARCHAR"),
    (
        "templates",
        "STRUCT(suppliers STRUCT(mba VARCHAR, precisionproco VARCHAR, synertec VARCHAR, govuknotify VARCHAR, nhsapp VARCHAR))",
    ),
    ("specificationid", "VARCHAR"),
    ("specificationbillingid", "VARCHAR"),
    ("messagelength", "INTEGER"),
    ("messagelengthunits", "VARCHAR"),
    ("senderodscode", "VARCHAR"),
];

const FILES_PER_DAY: usize = 2;

fn fail(path: &Path, e: impl std::fmt::Display) -> GenerateError {
    GenerateError::Write {
        path: path.display().to_string(),
        message: e.to_string(),
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
    let conn = Connection::open_in_memory().map_err(|e| fail(out, e))?;
    let mut rng = Rng::new(seed).fork(99);
    let mut summary = Summary {
        rows: rows.len() as u64,
        partitions: by_day.len() as u64,
        ..Default::default()
    };
    let scratch = staging.join("rows.ndjson");

    for (day, mut day_rows) in by_day {
        rng.shuffle(&mut day_rows);
        let columns: Vec<&(&str, &str)> = COLUMNS
            .iter()
            .filter(|(name, _)| day >= late_columns_from || !LATE_COLUMNS.contains(name))
            .collect();
        let spec = columns
            .iter()
            .map(|(name, ty)| format!("'{name}': '{}'", ty.replace('\'', "''")))
            .collect::<Vec<_>>()
            .join(", ");
        let dir = staging.join(format!(
            "__year={}/__month={}/__day={}",
            day.year(),
            day.month(),
            day.day()
        ));
        std::fs::create_dir_all(&dir).map_err(|e| fail(&dir, e))?;
        let chunk = day_rows.len().div_ceil(FILES_PER_DAY).max(1);
        for (n, part) in day_rows.chunks(chunk).enumerate() {
            let mut f = std::io::BufWriter::new(
                std::fs::File::create(&scratch).map_err(|e| fail(&scratch, e))?,
            );
            for r in part {
                serde_json::to_writer(&mut f, &r.fields).map_err(|e| fail(&scratch, e))?;
                f.write_all(b"\n").map_err(|e| fail(&scratch, e))?;
            }
            f.flush().map_err(|e| fail(&scratch, e))?;
            drop(f);
            let file = dir.join(format!("part-{n:05}.parquet"));
            let sql = format!(
                "COPY (SELECT * FROM read_json('{src}', format = 'newline_delimited', columns = {{{spec}}})) \
                 TO '{dst}' (FORMAT parquet, COMPRESSION zstd)",
                src = scratch.to_string_lossy().replace('\'', "''"),
                dst = file.to_string_lossy().replace('\'', "''"),
            );
            conn.execute_batch(&sql).map_err(|e| fail(&file, e))?;
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
