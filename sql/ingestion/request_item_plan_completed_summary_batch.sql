-- Pass 2 aggregation for the configured batch clients: request_item_plan_completed_summary with
-- requestrefid and requestid as extra dimensions.
-- A count is only ever raised, never lowered.
-- Dimensions match NULL-safely (NULL and '' are one value, normalised to NULL in the source so that
-- no two source rows can match one target row).
-- Only groups created on or after the first created date are counted again: the later of asOf - 1
-- calendar month (the running system's window) and the run's earliest creation day
-- (ingestion/earliest_created). A group is items of one creation day, and the source contract fixes
-- a creation time once set, so every row pass 1 changed is in such a group; a group before it is
-- unchanged, and counting it again would write nothing (counts only rise). A backfill binds the
-- beginning of history. Parameters: that first created date, twice.
MERGE INTO request_item_plan_completed_summary_batch AS t
USING (
  SELECT
    NULLIF(clientid, '') AS clientid,
    NULLIF(campaignid, '') AS campaignid,
    NULLIF(sendinggroupid, '') AS sendinggroupid,
    NULLIF(sendinggroupidversion, '') AS sendinggroupidversion,
    NULLIF(requestrefid, '') AS requestrefid,
    NULLIF(requestid, '') AS requestid,
    NULLIF(communicationtype, '') AS communicationtype,
    NULLIF(supplier, '') AS supplier,
    CAST(createdtime AS date) AS createddate,
    CAST(completedtime AS date) AS completeddate,
    status,
    NULLIF(failedreason, '') AS failedreason,
    NULLIF(contactdetailsource, '') AS contactdetailsource,
    NULLIF(channeltype, '') AS channeltype,
    CAST(count(DISTINCT requestitemid) AS integer) AS requestitemcount
  FROM request_item_plan_status
  WHERE status IN ('DELIVERED', 'FAILED')
    AND CAST(createdtime AS date) >= CAST(? AS date)
    AND clientid IN (${batch_client_ids})
  GROUP BY
    NULLIF(clientid, ''),
    NULLIF(campaignid, ''),
    NULLIF(sendinggroupid, ''),
    NULLIF(sendinggroupidversion, ''),
    NULLIF(requestrefid, ''),
    NULLIF(requestid, ''),
    NULLIF(communicationtype, ''),
    NULLIF(supplier, ''),
    CAST(createdtime AS date),
    CAST(completedtime AS date),
    status,
    NULLIF(failedreason, ''),
    NULLIF(contactdetailsource, ''),
    NULLIF(channeltype, '')
) AS s
ON (
  COALESCE(t.clientid, '') = COALESCE(s.clientid, '')
  AND COALESCE(t.campaignid, '') = COALESCE(s.campaignid, '')
  AND COALESCE(t.sendinggroupid, '') = COALESCE(s.sendinggroupid, '')
  AND COALESCE(t.sendinggroupidversion, '') = COALESCE(s.sendinggroupidversion, '')
  AND COALESCE(t.requestrefid, '') = COALESCE(s.requestrefid, '')
  AND COALESCE(t.requestid, '') = COALESCE(s.requestid, '')
  AND COALESCE(t.communicationtype, '') = COALESCE(s.communicationtype, '')
  AND COALESCE(t.supplier, '') = COALESCE(s.supplier, '')
  AND COALESCE(CAST(t.createddate AS varchar), '') = COALESCE(CAST(s.createddate AS varchar), '')
  AND COALESCE(CAST(t.completeddate AS varchar), '') = COALESCE(CAST(s.completeddate AS varchar), '')
  AND COALESCE(t.status, '') = COALESCE(s.status, '')
  AND COALESCE(t.failedreason, '') = COALESCE(s.failedreason, '')
  AND COALESCE(t.contactdetailsource, '') = COALESCE(s.contactdetailsource, '')
  AND COALESCE(t.channeltype, '') = COALESCE(s.channeltype, '')
  -- Every source row is from the first created date on: the table's read is pruned to it.
  AND t.createddate >= CAST(? AS date)
)
WHEN MATCHED AND s.requestitemcount > t.requestitemcount THEN UPDATE SET
  requestitemcount = s.requestitemcount
WHEN NOT MATCHED THEN INSERT (
  clientid, campaignid, sendinggroupid, sendinggroupidversion, requestrefid, requestid, communicationtype, supplier,
  createddate, completeddate, status, failedreason, contactdetailsource, channeltype, requestitemcount
) VALUES (
  s.clientid, s.campaignid, s.sendinggroupid, s.sendinggroupidversion, s.requestrefid, s.requestid, s.communicationtype, s.supplier,
  s.createddate, s.completeddate, s.status, s.failedreason, s.contactdetailsource, s.channeltype, s.requestitemcount
)
