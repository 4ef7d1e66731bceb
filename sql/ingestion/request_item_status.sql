-- Pass 1 projection: REQUEST_ITEM# versions captured in the week up to the reference date, one per
-- request item; the latest version wins and nothing is ever deleted. One order decides every
-- contest: timestamp, then completion, then content, then the stored row over an equal version. The
-- window's versions and the stored row are ranked together under it, so a version replaces the
-- stored row only when it comes first, and the result never depends on which version arrived first.
-- NHS numbers are hashed here and never stored: Base64(SHA-256(UTF-8(<key text> || '.' || nhsnumber))).
-- The key is never in this text or its parameters: it is read from ${hash_key_table}, the table over
-- the vault object only the ingestion role may read, and only the key whose fingerprint
-- (hex SHA-256 of its text) is the pinned one is joined, so another key hashes nothing.
-- Parameters: 1 the pinned hash key fingerprint; 2 the first capture day of the window; 3 asOf; 4 the run ('' for a
-- window run or a backfill); then the plan's files, one per file slot; the run again; the run's earliest creation day
-- (ingestion/earliest_created; a backfill binds the beginning of history), twice. Ingestion
-- binds asOf - 1 week as the first day, a backfill the beginning of history (the same query, unwindowed).
MERGE INTO request_item_status AS t
USING (
  WITH pinned_key AS (
    SELECT DISTINCT k.hashkey
    FROM ${hash_key_table} k
    WHERE to_hex(sha256(to_utf8(k.hashkey))) = CAST(? AS varchar)
  ),
  candidates AS (
    -- Stored values, computed only for the window's versions that are latest by timestamp, then
    -- completion (ties stay): about one version per object instead of every version in the window.
    SELECT
      clientid,
      campaignid,
      sendinggroupid,
      sendinggroupidversion,
      sendinggroupname,
      CAST(from_iso8601_timestamp(sendinggroupcreateddate) AS timestamp) AS sendinggroupcreatedtime,
      requestitemrefid,
      requestitemid,
      requestrefid,
      requestid,
      to_base64(sha256(to_utf8(pinned_key.hashkey || '.' || nhsnumber))) AS nhsnumberhash,
      CAST(from_iso8601_timestamp(createddate) AS timestamp) AS createdtime,
      completedtime,
      completedcommunicationtypes,
      failedcommunicationtypes,
      status,
      failedreason,
      failedreasoncode,
      patientodscode,
      billingref,
      "timestamp"
    FROM (
      SELECT
        c.*,
        RANK() OVER (
          PARTITION BY requestitemid
          ORDER BY "timestamp" DESC, CASE WHEN completedtime IS NULL THEN 0 ELSE 1 END DESC
        ) AS timerank
      FROM (
        SELECT
          clientid,
          campaignid,
          sendinggroupid,
          sendinggroupidversion,
          sendinggroupname,
          sendinggroupcreateddate,
          requestitemrefid,
          requestitemid,
          requestrefid,
          requestid,
          nhsnumber,
          createddate,
          -- A few completeddate values were hand-edited into 'YYYY-MM-DD hh:mm:ss': cast those.
          CASE
            WHEN substr(completeddate, 11, 1) = 'T' THEN CAST(from_iso8601_timestamp(completeddate) AS timestamp)
            ELSE CAST(completeddate AS timestamp)
          END AS completedtime,
          completedcommunicationtypes,
          failedcommunicationtypes,
          status,
          failedreason,
          failedreasoncode,
          patientodscode,
          billingref,
          CAST("$classification"."timestamp" AS bigint) AS "timestamp"
        FROM ${source_table}
        WHERE starts_with(sk, 'REQUEST_ITEM#')
          AND requestitemid IS NOT NULL
          AND CAST(CAST(__year AS varchar) || '-' || CAST(__month AS varchar) || '-' || CAST(__day AS varchar) AS date)
            BETWEEN CAST(? AS date) AND CAST(? AS date)
          -- An incremental run reads only its claimed files: the bound list prunes the scan to
          -- them on every engine, the claim keeps those the engine saw when the run claimed them.
          -- A window run or a backfill binds '' as the run and reads whole capture days.
          AND (CAST(? AS varchar) = '' OR (
            "$path" IN (${source_files})
            AND "$path" IN (SELECT f.path FROM ingestion_file_claims f WHERE f.run = ?)))
      ) AS c
    ) AS r
    CROSS JOIN pinned_key
    WHERE timerank = 1
  )
  SELECT
    clientid, campaignid, sendinggroupid, sendinggroupidversion, sendinggroupname, sendinggroupcreatedtime,
    requestitemrefid, requestitemid, requestrefid, requestid,
    nhsnumberhash,
    createdtime, completedtime, completedcommunicationtypes, failedcommunicationtypes,
    status, failedreason, failedreasoncode, patientodscode, billingref, "timestamp"
  FROM (
    SELECT
      k.*,
      ROW_NUMBER() OVER (
        PARTITION BY requestitemid
        ORDER BY "timestamp" DESC, CASE WHEN completedtime IS NULL THEN 0 ELSE 1 END DESC, tiekey DESC, stored DESC
      ) AS versionrank
    FROM (
      SELECT
        v.*,
        -- The content tie-break, so the winner never depends on order; built only for rows tied
        -- with another on (timestamp, completion), about 1 in 100.
        CASE WHEN timepeers > 1 THEN
          COALESCE(CAST(length(clientid) AS varchar) || ':' || clientid, '-')
          || '|' || COALESCE(CAST(length(campaignid) AS varchar) || ':' || campaignid, '-')
          || '|' || COALESCE(CAST(length(sendinggroupid) AS varchar) || ':' || sendinggroupid, '-')
          || '|' || COALESCE(CAST(length(sendinggroupidversion) AS varchar) || ':' || sendinggroupidversion, '-')
          || '|' || COALESCE(CAST(length(sendinggroupname) AS varchar) || ':' || sendinggroupname, '-')
          || '|' || COALESCE(CAST(CAST(to_unixtime(sendinggroupcreatedtime) * 1000 AS bigint) AS varchar), '-')
          || '|' || COALESCE(CAST(length(requestitemrefid) AS varchar) || ':' || requestitemrefid, '-')
          || '|' || COALESCE(CAST(length(requestrefid) AS varchar) || ':' || requestrefid, '-')
          || '|' || COALESCE(CAST(length(requestid) AS varchar) || ':' || requestid, '-')
          || '|' || COALESCE(CAST(length(nhsnumberhash) AS varchar) || ':' || nhsnumberhash, '-')
          || '|' || COALESCE(CAST(CAST(to_unixtime(createdtime) * 1000 AS bigint) AS varchar), '-')
          || '|' || COALESCE(CAST(CAST(to_unixtime(completedtime) * 1000 AS bigint) AS varchar), '-')
          || '|' || COALESCE('[' || array_join(completedcommunicationtypes, ',') || ']', '-')
          || '|' || COALESCE('[' || array_join(failedcommunicationtypes, ',') || ']', '-')
          || '|' || COALESCE(CAST(length(status) AS varchar) || ':' || status, '-')
          || '|' || COALESCE(CAST(length(failedreason) AS varchar) || ':' || failedreason, '-')
          || '|' || COALESCE(CAST(length(failedreasoncode) AS varchar) || ':' || failedreasoncode, '-')
          || '|' || COALESCE(CAST(length(patientodscode) AS varchar) || ':' || patientodscode, '-')
          || '|' || COALESCE(CAST(length(billingref) AS varchar) || ':' || billingref, '-')
        END AS tiekey
      FROM (
        SELECT
          u.*,
          count(*) OVER (
            PARTITION BY requestitemid, "timestamp", CASE WHEN completedtime IS NULL THEN 0 ELSE 1 END
          ) AS timepeers
        FROM (
          SELECT
            clientid, campaignid, sendinggroupid, sendinggroupidversion, sendinggroupname, sendinggroupcreatedtime,
            requestitemrefid, requestitemid, requestrefid, requestid, nhsnumberhash,
            createdtime, completedtime, completedcommunicationtypes, failedcommunicationtypes,
            status, failedreason, failedreasoncode, patientodscode, billingref, "timestamp",
            0 AS stored
          FROM candidates
          UNION ALL
          -- The stored row of each object the window touches, to contest under the same order.
          -- Only the partitions it can be in are read: it was created on or after the run's
          -- earliest creation day (the source contract fixes a creation time once set), or it has
          -- no creation time.
          SELECT
            clientid, campaignid, sendinggroupid, sendinggroupidversion, sendinggroupname, sendinggroupcreatedtime,
            requestitemrefid, requestitemid, requestrefid, requestid, nhsnumberhash,
            createdtime, completedtime, completedcommunicationtypes, failedcommunicationtypes,
            status, failedreason, failedreasoncode, patientodscode, billingref, "timestamp",
            1 AS stored
          FROM request_item_status
          WHERE requestitemid IN (SELECT requestitemid FROM candidates)
            AND (createdtime >= CAST(CAST(? AS date) AS timestamp) OR createdtime IS NULL)
        ) AS u
      ) AS v
    ) AS k
  ) AS ranked
  -- A window version that comes first; where the stored row does, nothing is written.
  WHERE versionrank = 1 AND stored = 0
) AS s
-- The key decides the match. The bound (the same as above, so it holds for every row the key can
-- find) is on the table's columns alone: the engine prunes the MERGE's read of the table by it.
ON (
  t.requestitemid = s.requestitemid
  AND (t.createdtime >= CAST(CAST(? AS date) AS timestamp) OR t.createdtime IS NULL)
)
WHEN MATCHED THEN UPDATE SET
  clientid = s.clientid,
  campaignid = s.campaignid,
  sendinggroupid = s.sendinggroupid,
  sendinggroupidversion = s.sendinggroupidversion,
  sendinggroupname = s.sendinggroupname,
  sendinggroupcreatedtime = s.sendinggroupcreatedtime,
  requestitemrefid = s.requestitemrefid,
  requestrefid = s.requestrefid,
  requestid = s.requestid,
  nhsnumberhash = s.nhsnumberhash,
  createdtime = s.createdtime,
  completedtime = s.completedtime,
  completedcommunicationtypes = s.completedcommunicationtypes,
  failedcommunicationtypes = s.failedcommunicationtypes,
  status = s.status,
  failedreason = s.failedreason,
  failedreasoncode = s.failedreasoncode,
  patientodscode = s.patientodscode,
  billingref = s.billingref,
  "timestamp" = s."timestamp"
WHEN NOT MATCHED THEN INSERT (
  clientid, campaignid, sendinggroupid, sendinggroupidversion, sendinggroupname, sendinggroupcreatedtime,
  requestitemrefid, requestitemid, requestrefid, requestid, nhsnumberhash, createdtime, completedtime,
  completedcommunicationtypes, failedcommunicationtypes, status, failedreason, failedreasoncode,
  patientodscode, billingref, "timestamp"
) VALUES (
  s.clientid, s.campaignid, s.sendinggroupid, s.sendinggroupidversion, s.sendinggroupname, s.sendinggroupcreatedtime,
  s.requestitemrefid, s.requestitemid, s.requestrefid, s.requestid, s.nhsnumberhash, s.createdtime, s.completedtime,
  s.completedcommunicationtypes, s.failedcommunicationtypes, s.status, s.failedreason, s.failedreasoncode,
  s.patientodscode, s.billingref, s."timestamp"
)
