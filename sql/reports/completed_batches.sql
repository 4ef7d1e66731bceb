-- completed_batches: one client's batches (requestid, requestrefid) that are complete and
-- finished recently. Parameter 1: clientId. A batch is complete when every item is FAILED or
-- DELIVERED and every plan FAILED, DELIVERED or SKIPPED; recent when its latest item or plan
-- completion is on or after D - 2 days. Items and plans created over 90 days ago are not looked at.
SELECT requestid, requestrefid
FROM (
  SELECT
    i.requestid,
    i.requestrefid,
    count(DISTINCT i.requestitemid) AS items,
    count(DISTINCT CASE WHEN i.status IN ('FAILED', 'DELIVERED') THEN i.requestitemid END) AS completeditems,
    count(DISTINCT p.requestitemplanid) AS plans,
    count(DISTINCT CASE WHEN p.status IN ('FAILED', 'DELIVERED', 'SKIPPED') THEN p.requestitemplanid END) AS completedplans,
    max(i.completedtime) AS lastitemcompletion,
    max(p.completedtime) AS lastplancompletion
  FROM request_item_status i
  LEFT JOIN request_item_plan_status p
    ON p.requestitemid = i.requestitemid AND p.clientid = i.clientid
  WHERE i.clientid = ?
    AND (i.createdtime IS NULL OR i.createdtime >= date_add('day', -90, current_date))
    AND (p.createdtime IS NULL OR p.createdtime >= date_add('day', -90, current_date))
  GROUP BY i.requestid, i.requestrefid
) batches
WHERE items = completeditems
  AND plans = completedplans
  AND (CAST(lastitemcompletion AS date) >= date_add('day', -2, current_date)
       OR CAST(lastplancompletion AS date) >= date_add('day', -2, current_date))
ORDER BY requestid, requestrefid
