-- completed_comms: the row set behind both canned reports. Each request item with each of its
-- terminal plans (FAILED, DELIVERED, SKIPPED), plus items that FAILED with no plan at all.
-- Completion and creation times are ISO strings with millisecond precision and 'Z' (UTC); NULL
-- stays NULL. Only items and plans created in the last 90 days (or with no created time) are
-- considered, which bounds the scan. Not granted to Power BI.
CREATE OR REPLACE VIEW completed_comms AS
SELECT
  i.clientid,
  i.requestid,
  i.requestrefid,
  i.requestitemid,
  i.requestitemrefid,
  substr(to_iso8601(i.completedtime), 1, 23) || 'Z' AS requestitemcompletedtime,
  i.failedreason AS requestitemfailedreason,
  i.sendinggroupid,
  i.sendinggroupidversion,
  i.sendinggroupname,
  substr(to_iso8601(i.sendinggroupcreatedtime), 1, 23) || 'Z' AS sendinggroupcreatedtime,
  i.status AS requestitemstatus,
  p.requestitemplanid,
  substr(to_iso8601(p.completedtime), 1, 23) || 'Z' AS requestitemplancompletedtime,
  p.status AS requestitemplanstatus,
  p.communicationtype,
  p.channeltype,
  p.failedreason AS requestitemplanfailedreason,
  p.templateid,
  p.failedreasoncode AS requestitemplanfailedreasoncode,
  i.failedreasoncode AS requestitemfailedreasoncode
FROM request_item_status i
LEFT JOIN request_item_plan_status p
  ON p.requestitemid = i.requestitemid AND p.clientid = i.clientid
WHERE (p.status IN ('FAILED', 'DELIVERED', 'SKIPPED')
       OR (i.status = 'FAILED' AND p.requestitemplanid IS NULL))
  AND (i.createdtime IS NULL OR i.createdtime >= date_add('day', -90, current_date))
  AND (p.createdtime IS NULL OR p.createdtime >= date_add('day', -90, current_date))
ORDER BY i.clientid, i.requestid, i.requestitemid, p.requestitemplanid
