-- Pass 1 projection: REQUEST_ITEM# versions captured in the week up to the reference date, one per
-- request item; the latest version wins and nothing is ever deleted. Versions are ordered by
-- timestamp, then completion, then content (a total order), and the update rule uses the same order,
-- so the result never depends on which version arrived first.
-- NHS numbers are hashed here and never stored: Base64(SHA-256(UTF-8(<key text> || '.' || nhsnumber))).
-- Parameters: 1 the hash key; 2 the first capture day of the window; 3 asOf. Ingestion binds
-- asOf - 1 week as the first day, a backfill the beginning of history (the same query, unwindowed).
MERGE INTO request_item_status AS t
USING (
  SELECT
    clientid, campaignid, sendinggroupid, sendinggroupidversion, sendinggroupname, sendinggroupcreatedtime,
    requestitemrefid, requestitemid, requestrefid, requestid,
    nhsnumberhash,
    createdtime, completedtime, completedcommunicationtypes, failedcommunicationtypes,
    status, failedreason, failedreasoncode, patientodscode, billingref, "timestamp"
  FROM (
    SELECT
      k.*,
      ROW_NUMBER() OVER (PARTITION BY requestitemid ORDER BY tiekey DESC) AS versionrank
    FROM (
      SELECT
        v.*,
        -- The last tie-break, the version's stored content, so the winner never depends on order;
        -- built only where versions tie on (timestamp, completion), about 1 in 100.
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
        -- Stored values, computed only for the candidates.
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
          to_base64(sha256(to_utf8(CAST(? AS varchar) || '.' || nhsnumber))) AS nhsnumberhash,
          CAST(from_iso8601_timestamp(createddate) AS timestamp) AS createdtime,
          completedtime,
          completedcommunicationtypes,
          failedcommunicationtypes,
          status,
          failedreason,
          failedreasoncode,
          patientodscode,
          billingref,
          "timestamp",
          timepeers
        FROM (
          -- Only versions that are latest by timestamp, then completion, can win: rank on those
          -- cheap keys first (ties stay), so the conversions and the content key are built for
          -- about one version per object instead of every version in the window.
          SELECT
            c.*,
            RANK() OVER (
              PARTITION BY requestitemid
              ORDER BY "timestamp" DESC, CASE WHEN completedtime IS NULL THEN 0 ELSE 1 END DESC
            ) AS timerank,
            -- With this ORDER BY the frame ends at the current row's last peer: at rank 1, the
            -- number of versions tied for latest.
            count(*) OVER (
              PARTITION BY requestitemid
              ORDER BY "timestamp" DESC, CASE WHEN completedtime IS NULL THEN 0 ELSE 1 END DESC
            ) AS timepeers
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
          ) AS c
        ) AS r
        WHERE timerank = 1
      ) AS v
    ) AS k
  ) AS ranked
  WHERE versionrank = 1
) AS s
ON (t.requestitemid = s.requestitemid)
WHEN MATCHED AND (
  s."timestamp" > t."timestamp"
  OR (s."timestamp" = t."timestamp" AND (
    (s.completedtime IS NOT NULL AND t.completedtime IS NULL)
    OR ((s.completedtime IS NULL) = (t.completedtime IS NULL) AND (
      COALESCE(CAST(length(s.clientid) AS varchar) || ':' || s.clientid, '-')
      || '|' || COALESCE(CAST(length(s.campaignid) AS varchar) || ':' || s.campaignid, '-')
      || '|' || COALESCE(CAST(length(s.sendinggroupid) AS varchar) || ':' || s.sendinggroupid, '-')
      || '|' || COALESCE(CAST(length(s.sendinggroupidversion) AS varchar) || ':' || s.sendinggroupidversion, '-')
      || '|' || COALESCE(CAST(length(s.sendinggroupname) AS varchar) || ':' || s.sendinggroupname, '-')
      || '|' || COALESCE(CAST(CAST(to_unixtime(s.sendinggroupcreatedtime) * 1000 AS bigint) AS varchar), '-')
      || '|' || COALESCE(CAST(length(s.requestitemrefid) AS varchar) || ':' || s.requestitemrefid, '-')
      || '|' || COALESCE(CAST(length(s.requestrefid) AS varchar) || ':' || s.requestrefid, '-')
      || '|' || COALESCE(CAST(length(s.requestid) AS varchar) || ':' || s.requestid, '-')
      || '|' || COALESCE(CAST(length(s.nhsnumberhash) AS varchar) || ':' || s.nhsnumberhash, '-')
      || '|' || COALESCE(CAST(CAST(to_unixtime(s.createdtime) * 1000 AS bigint) AS varchar), '-')
      || '|' || COALESCE(CAST(CAST(to_unixtime(s.completedtime) * 1000 AS bigint) AS varchar), '-')
      || '|' || COALESCE('[' || array_join(s.completedcommunicationtypes, ',') || ']', '-')
      || '|' || COALESCE('[' || array_join(s.failedcommunicationtypes, ',') || ']', '-')
      || '|' || COALESCE(CAST(length(s.status) AS varchar) || ':' || s.status, '-')
      || '|' || COALESCE(CAST(length(s.failedreason) AS varchar) || ':' || s.failedreason, '-')
      || '|' || COALESCE(CAST(length(s.failedreasoncode) AS varchar) || ':' || s.failedreasoncode, '-')
      || '|' || COALESCE(CAST(length(s.patientodscode) AS varchar) || ':' || s.patientodscode, '-')
      || '|' || COALESCE(CAST(length(s.billingref) AS varchar) || ':' || s.billingref, '-')
    ) > (
      COALESCE(CAST(length(t.clientid) AS varchar) || ':' || t.clientid, '-')
      || '|' || COALESCE(CAST(length(t.campaignid) AS varchar) || ':' || t.campaignid, '-')
      || '|' || COALESCE(CAST(length(t.sendinggroupid) AS varchar) || ':' || t.sendinggroupid, '-')
      || '|' || COALESCE(CAST(length(t.sendinggroupidversion) AS varchar) || ':' || t.sendinggroupidversion, '-')
      || '|' || COALESCE(CAST(length(t.sendinggroupname) AS varchar) || ':' || t.sendinggroupname, '-')
      || '|' || COALESCE(CAST(CAST(to_unixtime(t.sendinggroupcreatedtime) * 1000 AS bigint) AS varchar), '-')
      || '|' || COALESCE(CAST(length(t.requestitemrefid) AS varchar) || ':' || t.requestitemrefid, '-')
      || '|' || COALESCE(CAST(length(t.requestrefid) AS varchar) || ':' || t.requestrefid, '-')
      || '|' || COALESCE(CAST(length(t.requestid) AS varchar) || ':' || t.requestid, '-')
      || '|' || COALESCE(CAST(length(t.nhsnumberhash) AS varchar) || ':' || t.nhsnumberhash, '-')
      || '|' || COALESCE(CAST(CAST(to_unixtime(t.createdtime) * 1000 AS bigint) AS varchar), '-')
      || '|' || COALESCE(CAST(CAST(to_unixtime(t.completedtime) * 1000 AS bigint) AS varchar), '-')
      || '|' || COALESCE('[' || array_join(t.completedcommunicationtypes, ',') || ']', '-')
      || '|' || COALESCE('[' || array_join(t.failedcommunicationtypes, ',') || ']', '-')
      || '|' || COALESCE(CAST(length(t.status) AS varchar) || ':' || t.status, '-')
      || '|' || COALESCE(CAST(length(t.failedreason) AS varchar) || ':' || t.failedreason, '-')
      || '|' || COALESCE(CAST(length(t.failedreasoncode) AS varchar) || ':' || t.failedreasoncode, '-')
      || '|' || COALESCE(CAST(length(t.patientodscode) AS varchar) || ':' || t.patientodscode, '-')
      || '|' || COALESCE(CAST(length(t.billingref) AS varchar) || ':' || t.billingref, '-')
    ))
  ))
) THEN UPDATE SET
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
