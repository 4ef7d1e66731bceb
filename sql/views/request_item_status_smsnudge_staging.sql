-- request_item_status_smsnudge_staging: the SMS-nudge client's items with the ids of what each
-- nudge is about, parsed from strings: billingref is 'client|campaign|billingref' and
-- requestitemrefid 'itemId_planId' of the originating (NHS App) message. Empty parts are NULL.
-- With no nudge client configured, it is empty.
CREATE OR REPLACE VIEW request_item_status_smsnudge_staging AS
SELECT
  i.*,
  NULLIF(split_part(i.billingref, '|', 1), '') AS originatingclientid,
  NULLIF(split_part(i.billingref, '|', 2), '') AS originatingcampaignid,
  NULLIF(split_part(i.billingref, '|', 3), '') AS originatingbillingref,
  NULLIF(split_part(i.requestitemrefid, '_', 1), '') AS originatingrequestitemid,
  NULLIF(split_part(i.requestitemrefid, '_', 2), '') AS originatingrequestitemplanid
FROM request_item_status i
WHERE i.clientid IN (${sms_nudge_client_ids})
