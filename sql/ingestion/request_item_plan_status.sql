-- Pass 1 projection: REQUEST_ITEM_PLAN# versions captured in the week up to the reference date, one
-- per plan; the latest version wins and nothing is ever deleted.
-- Parameters: 1 and 2 = reference date 'YYYY-MM-DD' (UTC).
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
      v.*,
      ROW_NUMBER() OVER (
        PARTITION BY requestitemplanid
        ORDER BY "timestamp" DESC, CASE WHEN completedtime IS NULL THEN 0 ELSE 1 END DESC
      ) AS versionrank
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
        from_iso8601_timestamp(createddate) AS createdtime,
        -- A few completeddate values were hand-edited into 'YYYY-MM-DD hh:mm:ss': cast those.
        CASE
          WHEN substr(completeddate, 11, 1) = 'T' THEN from_iso8601_timestamp(completeddate)
          ELSE CAST(completeddate AS timestamp)
        END AS completedtime,
        from_iso8601_timestamp(datesent) AS sendtime,
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
        CAST("$classification"."timestamp" AS bigint) AS "timestamp"
      FROM ${source_table}
      WHERE starts_with(sk, 'REQUEST_ITEM_PLAN#')
        AND requestitemplanid IS NOT NULL
        AND CAST(CAST(__year AS varchar) || '-' || CAST(__month AS varchar) || '-' || CAST(__day AS varchar) AS date)
          BETWEEN date_add('week', -1, CAST(? AS date)) AND CAST(? AS date)
    ) AS v
  ) AS ranked
  WHERE versionrank = 1
) AS s
ON (t.requestitemplanid = s.requestitemplanid)
WHEN MATCHED AND s."timestamp" > t."timestamp" THEN UPDATE SET
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
