-- Pass 1 projection: REQUEST_ITEM_PLAN# versions captured in the week up to the reference date, one
-- per plan; the latest version wins and nothing is ever deleted. Versions are ordered by timestamp,
-- then completion, then content (a total order), and the update rule uses the same order, so the
-- result never depends on which version arrived first.
-- Parameters: 1 the first capture day of the window; 2 asOf. Ingestion binds asOf - 1 week as the
-- first day, a backfill the beginning of history (the same query, unwindowed).
MERGE INTO request_item_plan_status AS t
USING (
  SELECT
    clientid, campaignid, sendinggroupid, sendinggroupidversion, requestitemrefid, requestitemid,
    requestrefid, requestid, requestitemplanid, communicationtype, supplier, createdtime, completedtime,
    sendtime, status, failedreason, failedreasoncode, contactdetailsource, channeltype, ordernumber,
    recipientcontactid, templateid, specificationid, specificationbillingid, messagelength,
    messagelengthunits, senderodscode, "timestamp"
  FROM (
    SELECT
      k.*,
      ROW_NUMBER() OVER (PARTITION BY requestitemplanid ORDER BY tiekey DESC) AS versionrank
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
        -- Stored values, computed only for the candidates.
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
          "timestamp",
          timepeers
        FROM (
          -- Only versions that are latest by timestamp, then completion, can win: rank on those
          -- cheap keys first (ties stay), so the conversions and the content key are built for
          -- about one version per object instead of every version in the window.
          SELECT
            c.*,
            RANK() OVER (
              PARTITION BY requestitemplanid
              ORDER BY "timestamp" DESC, CASE WHEN completedtime IS NULL THEN 0 ELSE 1 END DESC
            ) AS timerank,
            -- With this ORDER BY the frame ends at the current row's last peer: at rank 1, the
            -- number of versions tied for latest.
            count(*) OVER (
              PARTITION BY requestitemplanid
              ORDER BY "timestamp" DESC, CASE WHEN completedtime IS NULL THEN 0 ELSE 1 END DESC
            ) AS timepeers
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
          ) AS c
        ) AS r
        WHERE timerank = 1
      ) AS v
    ) AS k
  ) AS ranked
  WHERE versionrank = 1
) AS s
ON (t.requestitemplanid = s.requestitemplanid)
WHEN MATCHED AND (
  s."timestamp" > t."timestamp"
  OR (s."timestamp" = t."timestamp" AND (
    (s.completedtime IS NOT NULL AND t.completedtime IS NULL)
    OR ((s.completedtime IS NULL) = (t.completedtime IS NULL) AND (
      COALESCE(CAST(length(s.clientid) AS varchar) || ':' || s.clientid, '-')
      || '|' || COALESCE(CAST(length(s.campaignid) AS varchar) || ':' || s.campaignid, '-')
      || '|' || COALESCE(CAST(length(s.sendinggroupid) AS varchar) || ':' || s.sendinggroupid, '-')
      || '|' || COALESCE(CAST(length(s.sendinggroupidversion) AS varchar) || ':' || s.sendinggroupidversion, '-')
      || '|' || COALESCE(CAST(length(s.requestitemrefid) AS varchar) || ':' || s.requestitemrefid, '-')
      || '|' || COALESCE(CAST(length(s.requestitemid) AS varchar) || ':' || s.requestitemid, '-')
      || '|' || COALESCE(CAST(length(s.requestrefid) AS varchar) || ':' || s.requestrefid, '-')
      || '|' || COALESCE(CAST(length(s.requestid) AS varchar) || ':' || s.requestid, '-')
      || '|' || COALESCE(CAST(length(s.communicationtype) AS varchar) || ':' || s.communicationtype, '-')
      || '|' || COALESCE(CAST(length(s.supplier) AS varchar) || ':' || s.supplier, '-')
      || '|' || COALESCE(CAST(CAST(to_unixtime(s.createdtime) * 1000 AS bigint) AS varchar), '-')
      || '|' || COALESCE(CAST(CAST(to_unixtime(s.completedtime) * 1000 AS bigint) AS varchar), '-')
      || '|' || COALESCE(CAST(CAST(to_unixtime(s.sendtime) * 1000 AS bigint) AS varchar), '-')
      || '|' || COALESCE(CAST(length(s.status) AS varchar) || ':' || s.status, '-')
      || '|' || COALESCE(CAST(length(s.failedreason) AS varchar) || ':' || s.failedreason, '-')
      || '|' || COALESCE(CAST(length(s.failedreasoncode) AS varchar) || ':' || s.failedreasoncode, '-')
      || '|' || COALESCE(CAST(length(s.contactdetailsource) AS varchar) || ':' || s.contactdetailsource, '-')
      || '|' || COALESCE(CAST(length(s.channeltype) AS varchar) || ':' || s.channeltype, '-')
      || '|' || COALESCE(CAST(s.ordernumber AS varchar), '-')
      || '|' || COALESCE(CAST(length(s.recipientcontactid) AS varchar) || ':' || s.recipientcontactid, '-')
      || '|' || COALESCE(CAST(length(s.templateid) AS varchar) || ':' || s.templateid, '-')
      || '|' || COALESCE(CAST(length(s.specificationid) AS varchar) || ':' || s.specificationid, '-')
      || '|' || COALESCE(CAST(length(s.specificationbillingid) AS varchar) || ':' || s.specificationbillingid, '-')
      || '|' || COALESCE(CAST(s.messagelength AS varchar), '-')
      || '|' || COALESCE(CAST(length(s.messagelengthunits) AS varchar) || ':' || s.messagelengthunits, '-')
      || '|' || COALESCE(CAST(length(s.senderodscode) AS varchar) || ':' || s.senderodscode, '-')
    ) > (
      COALESCE(CAST(length(t.clientid) AS varchar) || ':' || t.clientid, '-')
      || '|' || COALESCE(CAST(length(t.campaignid) AS varchar) || ':' || t.campaignid, '-')
      || '|' || COALESCE(CAST(length(t.sendinggroupid) AS varchar) || ':' || t.sendinggroupid, '-')
      || '|' || COALESCE(CAST(length(t.sendinggroupidversion) AS varchar) || ':' || t.sendinggroupidversion, '-')
      || '|' || COALESCE(CAST(length(t.requestitemrefid) AS varchar) || ':' || t.requestitemrefid, '-')
      || '|' || COALESCE(CAST(length(t.requestitemid) AS varchar) || ':' || t.requestitemid, '-')
      || '|' || COALESCE(CAST(length(t.requestrefid) AS varchar) || ':' || t.requestrefid, '-')
      || '|' || COALESCE(CAST(length(t.requestid) AS varchar) || ':' || t.requestid, '-')
      || '|' || COALESCE(CAST(length(t.communicationtype) AS varchar) || ':' || t.communicationtype, '-')
      || '|' || COALESCE(CAST(length(t.supplier) AS varchar) || ':' || t.supplier, '-')
      || '|' || COALESCE(CAST(CAST(to_unixtime(t.createdtime) * 1000 AS bigint) AS varchar), '-')
      || '|' || COALESCE(CAST(CAST(to_unixtime(t.completedtime) * 1000 AS bigint) AS varchar), '-')
      || '|' || COALESCE(CAST(CAST(to_unixtime(t.sendtime) * 1000 AS bigint) AS varchar), '-')
      || '|' || COALESCE(CAST(length(t.status) AS varchar) || ':' || t.status, '-')
      || '|' || COALESCE(CAST(length(t.failedreason) AS varchar) || ':' || t.failedreason, '-')
      || '|' || COALESCE(CAST(length(t.failedreasoncode) AS varchar) || ':' || t.failedreasoncode, '-')
      || '|' || COALESCE(CAST(length(t.contactdetailsource) AS varchar) || ':' || t.contactdetailsource, '-')
      || '|' || COALESCE(CAST(length(t.channeltype) AS varchar) || ':' || t.channeltype, '-')
      || '|' || COALESCE(CAST(t.ordernumber AS varchar), '-')
      || '|' || COALESCE(CAST(length(t.recipientcontactid) AS varchar) || ':' || t.recipientcontactid, '-')
      || '|' || COALESCE(CAST(length(t.templateid) AS varchar) || ':' || t.templateid, '-')
      || '|' || COALESCE(CAST(length(t.specificationid) AS varchar) || ':' || t.specificationid, '-')
      || '|' || COALESCE(CAST(length(t.specificationbillingid) AS varchar) || ':' || t.specificationbillingid, '-')
      || '|' || COALESCE(CAST(t.messagelength AS varchar), '-')
      || '|' || COALESCE(CAST(length(t.messagelengthunits) AS varchar) || ':' || t.messagelengthunits, '-')
      || '|' || COALESCE(CAST(length(t.senderodscode) AS varchar) || ':' || t.senderodscode, '-')
    ))
  ))
) THEN UPDATE SET
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
