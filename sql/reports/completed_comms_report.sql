-- completed_comms_report: one client's communications completed on one UTC date.
-- Parameters: 1 clientId, 2 and 3 the completed date (DATE). A plan row counts on the UTC date of
-- the plan's completion; an item with no plan on the UTC date of the item's completion. The
-- ISO strings are UTC with 'Z', so their first 10 characters are that date.
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
  AND (
    (requestitemplanid IS NOT NULL AND CAST(substr(requestitemplancompletedtime, 1, 10) AS date) = CAST(? AS date))
    OR (requestitemplanid IS NULL AND CAST(substr(requestitemcompletedtime, 1, 10) AS date) = CAST(? AS date))
  )
ORDER BY requestid, requestitemid, requestitemplanid
