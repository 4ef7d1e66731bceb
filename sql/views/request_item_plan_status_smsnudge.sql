-- request_item_plan_status_smsnudge: the SMS-nudge client's plans with the originating context
-- (from the nudge item, and the sending group of the originating item).
CREATE OR REPLACE VIEW request_item_plan_status_smsnudge AS
SELECT
  p.*,
  s.originatingclientid,
  s.originatingcampaignid,
  s.originatingbillingref,
  s.originatingrequestitemid,
  s.originatingrequestitemplanid,
  o.sendinggroupid AS originatingsendinggroupid
FROM request_item_plan_status p
LEFT JOIN request_item_status_smsnudge_staging s
  ON s.requestitemid = p.requestitemid
LEFT JOIN request_item_status o
  ON o.requestitemid = s.originatingrequestitemid AND o.clientid = s.originatingclientid
WHERE p.clientid IN (${sms_nudge_client_ids})
