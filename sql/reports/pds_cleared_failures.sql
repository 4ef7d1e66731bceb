-- pds_cleared_failures: contact-detail corrections (from PDS, say) that may have cured an earlier
-- EMAIL or SMS failure. Not scheduled: a saved query in the user workgroup, run by hand.
-- Within each recipient (nhsnumberhash) and channel (EMAIL, SMS), the attempts in order of their
-- item's creation (then item and plan id, so the order is total); each is paired with the one
-- before it. A pair is reported when the later plan on that channel was DELIVERED and the earlier
-- one FAILED with a reason containing TEMPORARY or PERMANENT. Output: the delivered plan's
-- requestitemid, completedtime, communicationtype and recipientcontactid, by completion.
WITH attempts AS (
  SELECT
    i.nhsnumberhash,
    p.communicationtype,
    i.requestitemid,
    p.requestitemplanid,
    i.createdtime AS itemcreatedtime,
    p.status,
    p.failedreason,
    p.completedtime,
    p.recipientcontactid
  FROM request_item_status i
  JOIN request_item_plan_status p
    ON p.requestitemid = i.requestitemid AND p.clientid = i.clientid
  WHERE p.communicationtype IN ('EMAIL', 'SMS')
    AND i.nhsnumberhash IS NOT NULL
),
paired AS (
  SELECT
    requestitemid,
    completedtime,
    communicationtype,
    recipientcontactid,
    status,
    lag(status) OVER (
      PARTITION BY nhsnumberhash, communicationtype
      ORDER BY itemcreatedtime, requestitemid, requestitemplanid
    ) AS previousstatus,
    lag(failedreason) OVER (
      PARTITION BY nhsnumberhash, communicationtype
      ORDER BY itemcreatedtime, requestitemid, requestitemplanid
    ) AS previousfailedreason
  FROM attempts
)
SELECT requestitemid, completedtime, communicationtype, recipientcontactid
FROM paired
WHERE status = 'DELIVERED'
  AND previousstatus = 'FAILED'
  AND (previousfailedreason LIKE '%TEMPORARY%' OR previousfailedreason LIKE '%PERMANENT%')
ORDER BY completedtime, requestitemid
