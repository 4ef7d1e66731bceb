-- completed_batch_report: every completed communication of one batch.
-- Parameters: 1 clientId, 2 requestId. Limited only by the view's 90-day horizon.
SELECT
  requestid,
  requestrefid,
  requestitemid,
  requestitemrefid,
  requestitemcompletedtime,
  requestitemfailedreason,
  sendinggroupid,
  sendinggroupidversion,
  sendinggroupname,
  sendinggroupcreatedtime,
  requestitemstatus,
  requestitemplanid,
  requestitemplancompletedtime,
  requestitemplanstatus,
  communicationtype,
  channeltype,
  requestitemplanfailedreason,
  templateid,
  requestitemplanfailedreasoncode,
  requestitemfailedreasoncode
FROM completed_comms
WHERE clientid = ?
  AND requestid = ?
ORDER BY requestid, requestitemid, requestitemplanid
