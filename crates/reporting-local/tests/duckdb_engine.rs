//! The local engine: Athena's behaviour where DuckDB's differs, typed failures, paged results.

use reporting_core::catalog::Workgroup;
use reporting_core::error::ErrorKind;
use reporting_core::ports::{QueryEngine, QueryParam, QueryRequest, QueryState};
use reporting_local::{DuckDbEngine, EngineOptions};

fn engine() -> DuckDbEngine {
    let e = DuckDbEngine::open_in_memory(EngineOptions::default()).unwrap();
    e.execute("CREATE TABLE target (k string, v int)", &[])
        .unwrap();
    e.execute("INSERT INTO target VALUES ('a', 1)", &[])
        .unwrap();
    e
}

fn request(sql: &str, params: Vec<QueryParam>) -> QueryRequest {
    QueryRequest {
        query_id: "test".into(),
        sql: sql.into(),
        params,
        workgroup: Workgroup::Ingestion,
        output_location: None,
        client_request_token: None,
    }
}

const MERGE: &str = "MERGE INTO target AS t USING (SELECT k, v FROM (VALUES ('a', 2), (?, 3)) AS x(k, v)) AS s \
                     ON (t.k = s.k) WHEN MATCHED THEN UPDATE SET v = s.v WHEN NOT MATCHED THEN INSERT (k, v) VALUES (s.k, s.v)";

#[tokio::test]
async fn a_merge_athena_would_reject_fails_locally_and_changes_nothing() {
    let e = engine();
    let id = e
        .start(request(MERGE, vec![QueryParam::Text("a".into())]))
        .await
        .unwrap();
    let status = e.status(&id).await.unwrap();
    assert_eq!(status.state, QueryState::Failed);
    assert_eq!(status.failure_kind, Some(ErrorKind::QueryFailed));
    let reason = status.reason.unwrap();
    assert!(
        reason.contains("MERGE INTO target") && reason.contains("Athena"),
        "{reason}"
    );
    assert_eq!(
        e.dump_table("target").unwrap().rows,
        vec![vec![Some("a".into()), Some("1".into())]]
    );
}

#[tokio::test]
async fn a_unique_merge_source_runs_with_bound_parameters() {
    let e = engine();
    // A hostile parameter is a value, not SQL.
    let id = e
        .start(request(
            MERGE,
            vec![QueryParam::Text("b'); DROP TABLE target; --".into())],
        ))
        .await
        .unwrap();
    let status = e.status(&id).await.unwrap();
    assert_eq!(status.state, QueryState::Succeeded, "{:?}", status.reason);
    assert_eq!(status.statistics.rows_affected, Some(2));
    assert_eq!(e.row_count("target").unwrap(), 2);
}

#[tokio::test]
async fn parameter_count_and_sql_errors_are_query_failures() {
    let e = engine();
    let id = e.start(request("SELECT ?", vec![])).await.unwrap();
    assert!(e
        .status(&id)
        .await
        .unwrap()
        .reason
        .unwrap()
        .contains("1 parameter markers but 0 values"));
    let id = e
        .start(request("SELECT no_such_column FROM target", vec![]))
        .await
        .unwrap();
    let status = e.status(&id).await.unwrap();
    assert_eq!(
        (status.state, status.failure_kind),
        (QueryState::Failed, Some(ErrorKind::QueryFailed))
    );
    assert!(e.status("local-999999").await.is_err());
}

#[tokio::test]
async fn results_are_text_in_pages_of_a_thousand() {
    let e = engine();
    let id = e
        .start(request(
            "SELECT range AS n, CAST(NULL AS VARCHAR) AS nothing FROM range(2500)",
            vec![],
        ))
        .await
        .unwrap();
    let first = e.results(&id, None).await.unwrap();
    assert_eq!(first.columns, vec!["n", "nothing"]);
    assert_eq!(first.rows.len(), 1000);
    assert_eq!(first.rows[0], vec![Some("0".to_string()), None]);
    let second = e.results(&id, first.next_token.as_deref()).await.unwrap();
    let third = e.results(&id, second.next_token.as_deref()).await.unwrap();
    assert_eq!(third.rows.len(), 500);
    assert_eq!(third.rows[499][0].as_deref(), Some("2499"));
    assert_eq!(third.next_token, None);
}

#[tokio::test]
async fn iceberg_ddl_runs_through_the_text_pass() {
    let e = DuckDbEngine::open_in_memory(EngineOptions::default()).unwrap();
    for q in reporting_core::catalog::QUERIES.iter().filter(|q| {
        matches!(
            q.purpose,
            reporting_core::catalog::Purpose::CreateTable
                | reporting_core::catalog::Purpose::CreateView
        )
    }) {
        let sql =
            reporting_core::render::render(q.sql, &reporting_core::config::Deployment::local())
                .unwrap();
        e.execute(&sql, &[])
            .unwrap_or_else(|err| panic!("{}: {err}", q.id));
        // Creating again is a no-op (IF NOT EXISTS), as setup runs on every deployment.
        e.execute(&sql, &[]).unwrap();
    }
    e.execute(
        "ALTER TABLE request_item_status ADD COLUMNS (failedreasoncode string)",
        &[],
    )
    .unwrap();
    e.execute(
        "OPTIMIZE request_item_status REWRITE DATA USING BIN_PACK",
        &[],
    )
    .unwrap();
    let cols = e.execute("SELECT column_name FROM information_schema.columns WHERE table_name = 'request_item_status'", &[]).unwrap();
    assert_eq!(cols.rows.len(), 21, "20 DDL columns plus failedreasoncode");
}

/// A Firehose folder with one good file on 2026-11-20 and, on 2026-10-01, a file whose footer
/// (schema) is intact but whose data pages are garbage: a query whose window excludes October
/// only succeeds if that partition is pruned before its data is read (what Glue partitions give
/// Athena).
fn source_with_a_poisoned_old_partition() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("transaction_history");
    let good = root.join("__year=2026/__month=11/__day=20");
    let old = root.join("__year=2026/__month=10/__day=1");
    std::fs::create_dir_all(&good).unwrap();
    std::fs::create_dir_all(&old).unwrap();
    let writer = duckdb::Connection::open_in_memory().unwrap();
    for (folder, sk) in [(&good, "'REQUEST_ITEM#1'"), (&old, "'REQUEST_ITEM#' || i")] {
        writer
            .execute_batch(&format!(
                "COPY (SELECT {sk} AS sk, 'c1' AS clientid FROM range(1) AS r(i)) TO '{}' \
                 (FORMAT parquet, COMPRESSION uncompressed)",
                folder.join("part-00000.parquet").display()
            ))
            .unwrap();
    }
    let poisoned = old.join("part-00000.parquet");
    let mut bytes = std::fs::read(&poisoned).unwrap();
    // After the 4-byte magic come the column chunks; the footer is at the end.
    for b in &mut bytes[4..40] {
        *b = 0xff;
    }
    std::fs::write(&poisoned, bytes).unwrap();
    dir
}

#[test]
fn the_ingestion_window_prunes_partitions_and_missing_columns_read_as_null() {
    let dir = source_with_a_poisoned_old_partition();
    let e = DuckDbEngine::open_in_memory(EngineOptions {
        source_dir: Some(dir.path().join("transaction_history")),
        ..EngineOptions::default()
    })
    .unwrap();
    let windowed = "SELECT sk, clientid, billingref FROM transaction_history \
        WHERE CAST(CAST(__year AS varchar) || '-' || CAST(__month AS varchar) || '-' || CAST(__day AS varchar) AS date) \
        BETWEEN CAST(? AS date) AND CAST(? AS date)";
    let week = [
        QueryParam::Text("2026-11-13".into()),
        QueryParam::Text("2026-11-20".into()),
    ];
    let rows = e.execute(windowed, &week).unwrap().rows;
    // billingref is in the Glue schema but in no file: NULL, not an error.
    assert_eq!(
        rows,
        vec![vec![Some("REQUEST_ITEM#1".into()), Some("c1".into()), None]]
    );
    // The same query over October opens the poisoned file: pruning, not luck, kept it out.
    let october = [
        QueryParam::Text("2026-10-01".into()),
        QueryParam::Text("2026-10-31".into()),
    ];
    let err = e.execute(windowed, &october).unwrap_err();
    assert_eq!(err.kind, ErrorKind::QueryFailed, "{err}");
}

#[test]
fn timestamps_read_as_trino_prints_them_to_their_precision() {
    let e = engine();
    let rows = e
        .execute(
            "SELECT TIMESTAMP '2024-04-03 08:00:00' AS whole, TIMESTAMP '2024-04-03 08:00:00.25' AS part, \
             CAST(TIMESTAMP '2024-04-03 08:00:00.123456' AS TIMESTAMP_MS) AS millis, \
             CAST(TIMESTAMP '2024-04-03 08:00:00.4' AS TIMESTAMP_S) AS seconds, \
             CAST(NULL AS TIMESTAMP) AS missing, 'not 2024-04-03 08:00:00' AS text, DATE '2024-04-03' AS day",
            &[],
        )
        .unwrap()
        .rows;
    let s = |v: &str| Some(v.to_string());
    assert_eq!(
        rows,
        vec![vec![
            s("2024-04-03 08:00:00.000000"),
            s("2024-04-03 08:00:00.250000"),
            s("2024-04-03 08:00:00.123"),
            s("2024-04-03 08:00:00"),
            None,
            s("not 2024-04-03 08:00:00"),
            s("2024-04-03"),
        ]]
    );
}

/// Arrays read as Athena prints them (and the Trino adapter writes them): elements unquoted,
/// separated by ", ", a NULL element as `null`. DuckDB's own text writes `NULL`, which would make
/// a NULL element and the string 'NULL' one text and differ from Trino's.
#[test]
fn arrays_read_as_athena_prints_them() {
    let e = engine();
    let result = e
        .execute(
            r#"SELECT ARRAY['LETTER', NULL] AS with_null, ARRAY['a, b', 'NULL', '[x]'] AS odd_text,
               CAST(NULL AS varchar[]) AS missing, CAST(ARRAY[] AS varchar[]) AS empty,
               ARRAY[1, NULL, 3] AS "say ""when""", 'plain' AS plain"#,
            &[],
        )
        .unwrap();
    // Names pass through as the query gave them, quoted ones too.
    assert_eq!(
        result.columns,
        [
            "with_null",
            "odd_text",
            "missing",
            "empty",
            "say \"when\"",
            "plain"
        ]
    );
    let rows = result.rows;
    let s = |v: &str| Some(v.to_string());
    assert_eq!(
        rows,
        vec![vec![
            s("[LETTER, null]"),
            s("[a, b, NULL, [x]]"),
            None,
            s("[]"),
            s("[1, null, 3]"),
            s("plain"),
        ]]
    );
}
