-- request_item_plan_completed_summary_all: one plan summary for every client. A client with any
-- batch rows is read from the batch table only; the others from the plain table, with
-- requestrefid and requestid NULL.
CREATE OR REPLACE VIEW request_item_plan_completed_summary_all AS
SELECT s.clientid, s.campaignid, s.sendinggroupid, s.sendinggroupidversion,
       CAST(NULL AS varchar) AS requestrefid, CAST(NULL AS varchar) AS requestid,
       s.communicationtype, s.supplier, s.createddate, s.completeddate, s.status, s.failedreason,
       s.contactdetailsource, s.channeltype, s.requestitemcount
FROM request_item_plan_completed_summary s
WHERE NOT EXISTS (
  SELECT 1 FROM request_item_plan_completed_summary_batch b WHERE b.clientid = s.clientid)
UNION ALL
SELECT clientid, campaignid, sendinggroupid, sendinggroupidversion, requestrefid, requestid,
       communicationtype, supplier, createddate, completeddate, status, failedreason,
       contactdetailsource, channeltype, requestitemcount
FROM request_item_plan_completed_summary_batch
