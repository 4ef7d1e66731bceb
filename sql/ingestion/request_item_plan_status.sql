-- Pass 1 projection: REQUEST_ITEM_PLAN# versions captured in the week up to the reference date, one
-- per plan; the latest version wins and nothing is ever deleted. One order decides every contest:
-- timestamp, then completion, then content, then the stored row over an equal version. The window's
-- versions and the stored row are ranked together under it, so a version replaces the stored row
-- only when it comes first, and the result never depends on which version arrived first.
-- Parameters: 1 the first capture day of the window; 2 asOf; 3 the run ('' for a window run or a
-- backfill); then the plan's files, one per file slot; the run again; the run's earliest creation day
-- (ingestion/earliest_created; a backfill binds the beginning of history), twice. Ingestion binds asOf - 1 week as the
-- first day, a backfill the beginning of history (the same query, unwindowed).
MERGE INTO request_item_plan_status AS t
USING (
  WITH candidates AS (
    -- Stored values, computed only for the window's versions that are latest by timestamp, then
    -- completion (ties stay): about one version per object instead of every version in the window.
    SELECT
      clientid,
      campaignid,
      sendinggroupid,
      sendinggroupidversion,
      requestitemrefid,
      requestitemid,
      requestrefid,
      requestid,
      requestitemplanid,
      communicationtype,
      supplier,
      CAST(from_iso8601_timestamp(createddate) AS timestamp) AS createdtime,
      completedtime,
      CAST(from_iso8601_timestamp(datesent) AS timestamp) AS sendtime,
      status,
      failedreason,
      failedreasoncode,
      contactdetailsource,
      channeltype,
      CAST(ordernumber AS integer) AS ordernumber,
      recipientcontactid,
      -- templateid is preferred; older plans only have the legacy per-supplier template map.
      COALESCE(
        templateid,
        element_at(CAST(CAST(templates.suppliers AS json) AS map(varchar, varchar)), lower(supplier))
      ) AS templateid,
      specificationid,
      specificationbillingid,
      CAST(messagelength AS integer) AS messagelength,
      messagelengthunits,
      senderodscode,
      "timestamp"
    FROM (
      SELECT
        c.*,
        RANK() OVER (
          PARTITION BY requestitemplanid
          ORDER BY "timestamp" DESC, CASE WHEN completedtime IS NULL THEN 0 ELSE 1 END DESC
        ) AS timerank
      FROM (
        SELECT
          clientid,
          campaignid,
          sendinggroupid,
          sendinggroupidversion,
          requestitemrefid,
          requestitemid,
          requestrefid,
          requestid,
          requestitemplanid,
          communicationtype,
          supplier,
          createddate,
          -- A few completeddate values were hand-edited into 'YYYY-MM-DD hh:mm:ss': cast those.
          CASE
            WHEN substr(completeddate, 11, 1) = 'T' THEN CAST(from_iso8601_timestamp(completeddate) AS timestamp)
            ELSE CAST(completeddate AS timestamp)
          END AS completedtime,
          datesent,
          status,
          failedreason,
          failedreasoncode,
          contactdetailsource,
          channeltype,
          ordernumber,
          recipientcontactid,
          templateid,
          templates,
          specificationid,
          specificationbillingid,
          messagelength,
          messagelengthunits,
          senderodscode,
          CAST("$classification"."timestamp" AS bigint) AS "timestamp"
        FROM ${source_table}
        WHERE starts_with(sk, 'REQUEST_ITEM_PLAN#')
          AND requestitemplanid IS NOT NULL
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
    WHERE timerank = 1
  )
  SELECT
    clientid, campaignid, sendinggroupid, sendinggroupidversion, requestitemrefid, requestitemid,
    requestrefid, requestid, requestitemplanid, communicationtype, supplier, createdtime, completedtime,
    sendtime, status, failedreason, failedreasoncode, contactdetailsource, channeltype, ordernumber,
    recipientcontactid, templateid, specificationid, specificationbillingid, messagelength,
    messagelengthunits, senderodscode, "timestamp"
  FROM (
    SELECT
      k.*,
      ROW_NUMBER() OVER (
        PARTITION BY requestitemplanid
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
          || '|' || COALESCE(CAST(length(requestitemrefid) AS varchar) || ':' || requestitemrefid, '-')
          || '|' || COALESCE(CAST(length(requestitemid) AS varchar) || ':' || requestitemid, '-')
          || '|' || COALESCE(CAST(length(requestrefid) AS varchar) || ':' || requestrefid, '-')
          || '|' || COALESCE(CAST(length(requestid) AS varchar) || ':' || requestid, '-')
          || '|' || COALESCE(CAST(length(communicationtype) AS varchar) || ':' || communicationtype, '-')
          || '|' || COALESCE(CAST(length(supplier) AS varchar) || ':' || supplier, '-')
          || '|' || COALESCE(CAST(CAST(to_unixtime(createdtime) * 1000 AS bigint) AS varchar), '-')
          || '|' || COALESCE(CAST(CAST(to_unixtime(completedtime) * 1000 AS bigint) AS varchar), '-')
          || '|' || COALESCE(CAST(CAST(to_unixtime(sendtime) * 1000 AS bigint) AS varchar), '-')
          || '|' || COALESCE(CAST(length(status) AS varchar) || ':' || status, '-')
          || '|' || COALESCE(CAST(length(failedreason) AS varchar) || ':' || failedreason, '-')
          || '|' || COALESCE(CAST(length(failedreasoncode) AS varchar) || ':' || failedreasoncode, '-')
          || '|' || COALESCE(CAST(length(contactdetailsource) AS varchar) || ':' || contactdetailsource, '-')
          || '|' || COALESCE(CAST(length(channeltype) AS varchar) || ':' || channeltype, '-')
          || '|' || COALESCE(CAST(ordernumber AS varchar), '-')
          || '|' || COALESCE(CAST(length(recipientcontactid) AS varchar) || ':' || recipientcontactid, '-')
          || '|' || COALESCE(CAST(length(templateid) AS varchar) || ':' || templateid, '-')
          || '|' || COALESCE(CAST(length(specificationid) AS varchar) || ':' || specificationid, '-')
          || '|' || COALESCE(CAST(length(specificationbillingid) AS varchar) || ':' || specificationbillingid, '-')
          || '|' || COALESCE(CAST(messagelength AS varchar), '-')
          || '|' || COALESCE(CAST(length(messagelengthunits) AS varchar) || ':' || messagelengthunits, '-')
          || '|' || COALESCE(CAST(length(senderodscode) AS varchar) || ':' || senderodscode, '-')
        END AS tiekey
      FROM (
        SELECT
          u.*,
          count(*) OVER (
            PARTITION BY requestitemplanid, "timestamp", CASE WHEN completedtime IS NULL THEN 0 ELSE 1 END
          ) AS timepeers
        FROM (
          SELECT
            clientid, campaignid, sendinggroupid, sendinggroupidversion, requestitemrefid, requestitemid,
            requestrefid, requestid, requestitemplanid, communicationtype, supplier, createdtime, completedtime,
            sendtime, status, failedreason, failedreasoncode, contactdetailsource, channeltype, ordernumber,
            recipientcontactid, templateid, specificationid, specificationbillingid, messagelength,
            messagelengthunits, senderodscode, "timestamp",
            0 AS stored
          FROM candidates
          UNION ALL
          -- The stored row of each object the window touches, to contest under the same order.
          -- Only the partitions it can be in are read: it was created on or after the run's
          -- earliest creation day (the source contract fixes a creation time once set), or it has
          -- no creation time.
          SELECT
            clientid, campaignid, sendinggroupid, sendinggroupidversion, requestitemrefid, requestitemid,
            requestrefid, requestid, requestitemplanid, communicationtype, supplier, createdtime, completedtime,
            sendtime, status, failedreason, failedreasoncode, contactdetailsource, channeltype, ordernumber,
            recipientcontactid, templateid, specificationid, specificationbillingid, messagelength,
            messagelengthunits, senderodscode, "timestamp",
            1 AS stored
          FROM request_item_plan_status
          WHERE requestitemplanid IN (SELECT requestitemplanid FROM candidates)
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
  t.requestitemplanid = s.requestitemplanid
  AND (t.createdtime >= CAST(CAST(? AS date) AS timestamp) OR t.createdtime IS NULL)
)
WHEN MATCHED THEN UPDATE SET
  clientid = s.clientid,
  campaignid = s.campaignid,
  sendinggroupid = s.sendinggroupid,
  sendinggroupidversion = s.sendinggroupidversion,
  requestitemrefid = s.requestitemrefid,
  requestitemid = s.requestitemid,
  requestrefid = s.requestrefid,
  requestid = s.requestid,
  communicationtype = s.communicationtype,
  supplier = s.supplier,
  createdtime = s.createdtime,
  completedtime = s.completedtime,
  sendtime = s.sendtime,
  status = s.status,
  failedreason = s.failedreason,
  failedreasoncode = s.failedreasoncode,
  contactdetailsource = s.contactdetailsource,
  channeltype = s.channeltype,
  ordernumber = s.ordernumber,
  recipientcontactid = s.recipientcontactid,
  templateid = s.templateid,
  specificationid = s.specificationid,
  specificationbillingid = s.specificationbillingid,
  messagelength = s.messagelength,
  messagelengthunits = s.messagelengthunits,
  senderodscode = s.senderodscode,
  "timestamp" = s."timestamp"
WHEN NOT MATCHED THEN INSERT (
  clientid, campaignid, sendinggroupid, sendinggroupidversion, requestitemrefid, requestitemid,
  requestrefid, requestid, requestitemplanid, communicationtype, supplier, createdtime, completedtime,
  sendtime, status, failedreason, failedreasoncode, contactdetailsource, channeltype, ordernumber,
  recipientcontactid, templateid, specificationid, specificationbillingid, messagelength,
  messagelengthunits, senderodscode, "timestamp"
) VALUES (
  s.clientid, s.campaignid, s.sendinggroupid, s.sendinggroupidversion, s.requestitemrefid, s.requestitemid,
  s.requestrefid, s.requestid, s.requestitemplanid, s.communicationtype, s.supplier, s.createdtime, s.completedtime,
  s.sendtime, s.status, s.failedreason, s.failedreasoncode, s.contactdetailsource, s.channeltype, s.ordernumber,
  s.recipientcontactid, s.templateid, s.specificationid, s.specificationbillingid, s.messagelength,
  s.messagelengthunits, s.senderodscode, s."timestamp"
)
