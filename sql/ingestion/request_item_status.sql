-- Pass 1 projection: REQUEST_ITEM# versions captured in the week up to the reference date, one per
-- request item; the latest version wins and nothing is ever deleted.
-- NHS numbers are hashed here and never stored: Base64(SHA-256(UTF-8(<key text> || '.' || nhsnumber))).
-- Parameters: 1 = hash key (SSM SecureString text), 2 and 3 = reference date 'YYYY-MM-DD' (UTC).
MERGE INTO request_item_status AS t
USING (
  SELECT
    clientid, campaignid, sendinggroupid, sendinggroupidversion, sendinggroupname, sendinggroupcreatedtime,
    requestitemrefid, requestitemid, requestrefid, requestid,
    to_base64(sha256(to_utf8(CAST(? AS varchar) || '.' || nhsnumber))) AS nhsnumberhash,
    createdtime, completedtime, completedcommunicationtypes, failedcommunicationtypes,
    status, failedreason, failedreasoncode, patientodscode, billingref, "timestamp"
  FROM (
    SELECT
      v.*,
      ROW_NUMBER() OVER (
        PARTITION BY requestitemid
        ORDER BY "timestamp" DESC, CASE WHEN completedtime IS NULL THEN 0 ELSE 1 END DESC
      ) AS versionrank
    FROM (
      SELECT
        clientid,
        campaignid,
        sendinggroupid,
        sendinggroupidversion,
        sendinggroupname,
        from_iso8601_timestamp(sendinggroupcreateddate) AS sendinggroupcreatedtime,
        requestitemrefid,
        requestitemid,
        requestrefid,
        requestid,
        nhsnumber,
        from_iso8601_timestamp(createddate) AS createdtime,
        -- A few completeddate values were hand-edited into 'YYYY-MM-DD hh:mm:ss': cast those.
        CASE
          WHEN substr(completeddate, 11, 1) = 'T' THEN from_iso8601_timestamp(completeddate)
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
          BETWEEN date_add('week', -1, CAST(? AS date)) AND CAST(? AS date)
    ) AS v
  ) AS ranked
  WHERE versionrank = 1
) AS s
ON (t.requestitemid = s.requestitemid)
WHEN MATCHED AND s."timestamp" > t."timestamp" THEN UPDATE SET
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
