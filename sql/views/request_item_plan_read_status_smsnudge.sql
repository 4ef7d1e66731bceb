-- request_item_plan_read_status_smsnudge: was the original NHS App message read after the SMS
-- nudge? hrstoread is the hours from the nudge's creation to the app message's completion, when
-- both were DELIVERED; otherwise NULL. Seconds over the decimal 3600.0 is a decimal with one place
-- (rounded half up): 100 seconds is 0.0 hours.
CREATE OR REPLACE VIEW request_item_plan_read_status_smsnudge AS
SELECT
  CAST(n.createdtime AS date) AS createddate,
  n.clientid,
  n.requestitemplanid,
  n.originatingclientid,
  n.originatingcampaignid,
  n.originatingbillingref,
  n.originatingsendinggroupid,
  n.originatingrequestitemplanid,
  a.status AS originalstatus,
  CASE WHEN n.status = 'DELIVERED' AND a.status = 'DELIVERED'
       THEN date_diff('second', n.createdtime, a.completedtime) / 3600.0
  END AS hrstoread
FROM request_item_plan_status_smsnudge n
LEFT JOIN request_item_plan_status a
  ON a.requestitemplanid = n.originatingrequestitemplanid
 AND a.clientid = n.originatingclientid
 AND a.communicationtype = 'NHSAPP'
