//! The Trino adapter against a real Trino server (test_services::Trino: `make test`'s, or one
//! this binary starts): typed values, every page, parameters bound as Athena binds them, errors in
//! the taxonomy, the DDL and housekeeping pass on Iceberg, cancel on timeout, and the hash vectors.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use reporting_core::catalog::Workgroup;
use reporting_core::error::ErrorKind;
use reporting_core::ports::{QueryEngine, QueryParam, QueryRequest, QueryState};
use reporting_core::CalendarDate;
use reporting_trino::{TrinoEngine, TrinoSession};
use test_services::Trino;

/// A fresh Iceberg schema on the shared server, so tests never see each other's tables; its files
/// live in a temporary folder removed with the test.
struct Scoped {
    engine: TrinoEngine,
    dir: tempfile::TempDir,
}

impl std::ops::Deref for Scoped {
    type Target = TrinoEngine;
    fn deref(&self) -> &TrinoEngine {
        &self.engine
    }
}

async fn engine() -> Scoped {
    engine_with(Duration::from_secs(300), None).await
}

async fn engine_with_timeout(timeout: Duration) -> Scoped {
    engine_with(timeout, None).await
}

async fn engine_with(timeout: Duration, today: Option<CalendarDate>) -> Scoped {
    static N: AtomicU32 = AtomicU32::new(0);
    let trino = Trino::shared().unwrap_or_else(|e| panic!("{e}"));
    let schema = format!(
        "engine_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    );
    let engine = TrinoEngine::new(TrinoSession {
        url: trino.url().to_string(),
        user: "notify-reporting-tests".into(),
        catalog: "iceberg".into(),
        schema: schema.clone(),
        timeout,
        today,
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    engine
        .execute(
            &format!(
                "CREATE SCHEMA iceberg.{schema} WITH (location = 'local://{}')",
                dir.path().display()
            ),
            &[],
        )
        .await
        .unwrap();
    Scoped { engine, dir }
}

fn request(sql: &str, params: Vec<QueryParam>) -> QueryRequest {
    QueryRequest {
        query_id: "test/query".into(),
        sql: sql.into(),
        params,
        workgroup: Workgroup::User,
        output_location: None,
        client_request_token: None,
    }
}

/// Starts a query and reads every page of its result.
async fn rows(
    engine: &TrinoEngine,
    sql: &str,
    params: Vec<QueryParam>,
) -> (Vec<String>, Vec<Vec<Option<String>>>, usize) {
    let id = engine.start(request(sql, params)).await.unwrap();
    let status = engine.status(&id).await.unwrap();
    assert_eq!(
        status.state,
        QueryState::Succeeded,
        "{sql}: {:?}",
        status.reason
    );
    let (mut all, mut token, mut pages) = (Vec::new(), None::<String>, 0);
    loop {
        let page = engine.results(&id, token.as_deref()).await.unwrap();
        pages += 1;
        all.extend(page.rows);
        match page.next_token {
            Some(t) => token = Some(t),
            None => return (page.columns, all, pages),
        }
    }
}

fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}

#[tokio::test]
async fn values_come_typed_as_athena_prints_them_and_every_page_is_read() {
    let engine = engine().await;
    let (columns, r, _) = rows(
        &engine,
        "SELECT CAST(5 AS bigint) AS n, 'x' AS v, CAST(NULL AS varchar) AS z, DATE '2026-11-20' AS d, \
         CAST(2 AS bigint) * 1.0 / 4 AS q, true AS b, ARRAY['SMS', 'EMAIL'] AS a, \
         TIMESTAMP '2026-11-20 10:11:12.345' AS t",
        vec![],
    )
    .await;
    assert_eq!(columns, ["n", "v", "z", "d", "q", "b", "a", "t"]);
    assert_eq!(
        r,
        vec![vec![
            s("5"),
            s("x"),
            None,
            s("2026-11-20"),
            s("0.5"),
            s("true"),
            s("[SMS, EMAIL]"),
            s("2026-11-20 10:11:12.345")
        ]]
    );
    // 2,500 rows arrive over several protocol pages and leave in pages of 1,000.
    let (_, r, pages) = rows(
        &engine,
        "SELECT x FROM UNNEST(sequence(1, 2500)) AS t(x) ORDER BY x",
        vec![],
    )
    .await;
    assert_eq!(r.len(), 2500);
    assert_eq!(pages, 3);
    assert_eq!(
        (r[0][0].as_deref(), r[2499][0].as_deref()),
        (Some("1"), Some("2500"))
    );
}

#[tokio::test]
async fn parameters_are_bound_as_athena_binds_them() {
    let engine = engine().await;
    let hostile = "o'brien'); DROP TABLE x; --";
    let (_, r, _) = rows(
        &engine,
        "SELECT ? AS v, date(?) + INTERVAL '1' DAY AS d, ? + 1 AS n",
        vec![
            QueryParam::Text(hostile.into()),
            QueryParam::Date("2026-02-28".parse().unwrap()),
            QueryParam::Integer(41),
        ],
    )
    .await;
    assert_eq!(r, vec![vec![s(hostile), s("2026-03-01"), s("42")]]);
    let id = engine
        .start(request("SELECT ? AS v", vec![]))
        .await
        .unwrap();
    let status = engine.status(&id).await.unwrap();
    assert_eq!(status.failure_kind, Some(ErrorKind::QueryFailed));
    assert!(status
        .reason
        .unwrap()
        .contains("1 parameter markers but 0 values"));
}

#[tokio::test]
async fn the_nhs_number_hash_is_the_athena_vector() {
    let engine = engine().await;
    let key = "dGVzdC1oYXNoLWtleS0wMDAwMDAwMDAwMDAwMDAwMDA=";
    let sql = "SELECT to_base64(sha256(to_utf8(CAST(? AS varchar) || '.' || nhsnumber))) AS h \
               FROM (VALUES '9990000018', '9990000026', CAST(NULL AS varchar)) AS t(nhsnumber)";
    let (_, r, _) = rows(&engine, sql, vec![QueryParam::Text(key.to_string())]).await;
    assert_eq!(
        r,
        vec![
            vec![s("SndaD8zpfaP0++M//QO0wZmkIy+YRwJ2DW6Z8vRLbhY=")],
            vec![s("AJppzG6c4usplfNpDp/+XBNhBV8dS84rD8eA8LUeG9g=")],
            vec![None],
        ]
    );
}

#[tokio::test]
async fn a_user_error_is_a_failed_query_with_trinos_message() {
    let engine = engine().await;
    let id = engine
        .start(request("SELECT nope FROM (VALUES 1) AS t(x)", vec![]))
        .await
        .unwrap();
    let status = engine.status(&id).await.unwrap();
    assert_eq!(status.state, QueryState::Failed);
    assert_eq!(status.failure_kind, Some(ErrorKind::QueryFailed));
    let reason = status.reason.unwrap();
    assert!(
        reason.contains("COLUMN_NOT_FOUND") && reason.contains("'nope' cannot be resolved"),
        "{reason}"
    );
    assert!(engine.results(&id, None).await.is_err());
}

#[tokio::test]
async fn athena_ddl_merge_and_housekeeping_run_on_iceberg() {
    let engine = engine().await;
    let dir = engine.dir.path().join("data").display().to_string();
    let ddl = format!(
        "-- a staging table in Athena's DDL\nCREATE TABLE IF NOT EXISTS t (\n  k string,\n  v int,\n  createddate date\n)\n\
         PARTITIONED BY (month(createddate))\nLOCATION 'local://{dir}/t'\n\
         TBLPROPERTIES ('table_type'='ICEBERG', 'format'='PARQUET', 'write_compression'='ZSTD')"
    );
    for _ in 0..2 {
        rows(&engine, &ddl, vec![]).await;
    }
    let merge = "MERGE INTO t USING (SELECT * FROM (VALUES ('a', 1, DATE '2026-11-01'), ('b', 2, DATE '2026-10-01')) AS s(k, v, createddate) WHERE v >= ?) s \
                 ON (t.k = s.k) WHEN MATCHED AND s.v > t.v THEN UPDATE SET v = s.v \
                 WHEN NOT MATCHED THEN INSERT (k, v, createddate) VALUES (s.k, s.v, s.createddate)";
    let id = engine
        .start(request(merge, vec![QueryParam::Integer(0)]))
        .await
        .unwrap();
    let status = engine.status(&id).await.unwrap();
    assert_eq!(status.state, QueryState::Succeeded, "{:?}", status.reason);
    assert_eq!(status.statistics.rows_affected, Some(2));
    rows(
        &engine,
        "ALTER TABLE t ADD COLUMNS (failedreasoncode string)",
        vec![],
    )
    .await;
    rows(
        &engine,
        "ALTER TABLE t ADD COLUMNS (failedreasoncode string)",
        vec![],
    )
    .await;
    rows(&engine, "OPTIMIZE t REWRITE DATA USING BIN_PACK", vec![]).await;
    rows(&engine, "VACUUM t", vec![]).await;
    let (columns, r, _) = rows(
        &engine,
        "SELECT k, v, failedreasoncode FROM t ORDER BY k",
        vec![],
    )
    .await;
    assert_eq!(columns, ["k", "v", "failedreasoncode"]);
    assert_eq!(
        r,
        vec![vec![s("a"), s("1"), None], vec![s("b"), s("2"), None]]
    );
    let (_, partitions, _) = rows(&engine, "SELECT count(*) FROM \"t$partitions\"", vec![]).await;
    assert_eq!(partitions, vec![vec![s("2")]], "partitioned by month");
}

#[tokio::test]
async fn a_query_past_the_timeout_is_cancelled_on_the_server() {
    // Long enough for Trino to dispatch it (a query deleted before its first nextUri never runs),
    // far shorter than the query: a billion rows.
    let engine = engine_with_timeout(Duration::from_secs(2)).await;
    let slow = "SELECT count(*) FROM UNNEST(sequence(1, 1000)) a(x) CROSS JOIN UNNEST(sequence(1, 1000)) b(y) \
                CROSS JOIN UNNEST(sequence(1, 1000)) c(z) WHERE (x * y + z) % 7 = 3";
    let id = engine.start(request(slow, vec![])).await.unwrap();
    let status = engine.status(&id).await.unwrap();
    assert_eq!(status.state, QueryState::Failed);
    assert_eq!(status.failure_kind, Some(ErrorKind::QueryTimeout));
    // The server ends it too: it is no longer running.
    let checker = engine_with_timeout(Duration::from_secs(60)).await;
    let mut state = String::new();
    for _ in 0..40 {
        let (_, r, _) = rows(
            &checker,
            "SELECT state FROM system.runtime.queries WHERE query_id = ?",
            vec![QueryParam::Text(id.clone())],
        )
        .await;
        state = r.first().and_then(|row| row[0].clone()).unwrap_or_default();
        if state == "FAILED" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(state, "FAILED");
}

#[tokio::test]
async fn a_start_repeated_with_its_token_is_the_same_execution() {
    let engine = engine().await;
    rows(&engine, "CREATE TABLE n (x integer)", vec![]).await;
    let mut insert = request("INSERT INTO n VALUES (1)", vec![]);
    insert.client_request_token = Some("0123456789abcdef0123456789abcdef".into());
    let first = engine.start(insert.clone()).await.unwrap();
    let again = engine.start(insert).await.unwrap();
    assert_eq!(first, again);
    let (_, r, _) = rows(&engine, "SELECT count(*) FROM n", vec![]).await;
    assert_eq!(r, vec![vec![s("1")]]);
}

#[tokio::test]
async fn an_unreachable_server_is_a_retryable_transport_error_naming_it() {
    let engine = TrinoEngine::new(TrinoSession {
        url: format!("http://127.0.0.1:{}", test_services::free_port().unwrap()),
        user: "u".into(),
        catalog: "iceberg".into(),
        schema: "s".into(),
        timeout: Duration::from_secs(5),
        today: None,
    })
    .unwrap();
    let e = engine.start(request("SELECT 1", vec![])).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Transient);
    assert!(e.message.contains("127.0.0.1"), "{}", e.message);
}

#[tokio::test]
async fn a_pinned_today_is_current_date_in_queries_and_views() {
    let day = CalendarDate::parse("2024-05-15").unwrap();
    let e = engine_with(Duration::from_secs(300), Some(day)).await;
    let (_, got, _) = rows(
        &e,
        "SELECT current_date, date_add('day', -1, CURRENT_DATE), 'current_date' WHERE current_date > date(?)",
        vec![QueryParam::Text("2024-05-01".into())],
    )
    .await;
    assert_eq!(
        got,
        vec![vec![s("2024-05-15"), s("2024-05-14"), s("current_date")]]
    );
    e.execute(
        "CREATE VIEW yesterday AS SELECT date_add('day', -1, current_date) AS d",
        &[],
    )
    .await
    .unwrap();
    let (_, got, _) = rows(&e, "SELECT d FROM yesterday", vec![]).await;
    assert_eq!(
        got,
        vec![vec![s("2024-05-14")]],
        "a view keeps the pinned date"
    );

    let unpinned = engine().await;
    let (_, got, _) = rows(&unpinned, "SELECT current_date > DATE '2026-01-01'", vec![]).await;
    assert_eq!(got, vec![vec![s("true")]], "unpinned is the server's date");
}
