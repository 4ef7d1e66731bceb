-- billing_transactions: billable messages per day and billing dimension.
--   Ordinary plans (clients other than the SMS-nudge client) carry their item's billingref.
--   SMS-nudge plans are billed to the originator: its client, campaign and billingref, and the
--   sender ODS code of the originating plan.
-- Billable: SMS that reached the gateway (DELIVERED or FAILED with a sendtime) and DELIVERED
-- letters; NHS App and email are never billed. billingdate is the plan's completion date (UTC).
CREATE OR REPLACE VIEW billing_transactions AS
WITH plans AS (
  SELECT CAST(p.completedtime AS date) AS billingdate, p.clientid, p.campaignid, i.billingref,
         p.senderodscode, p.communicationtype, p.specificationid, p.specificationbillingid,
         p.messagelength, p.messagelengthunits, p.status, p.sendtime
  FROM request_item_plan_status p
  JOIN request_item_status i ON i.clientid = p.clientid AND i.requestitemid = p.requestitemid
  WHERE NOT COALESCE(i.clientid IN (${sms_nudge_client_ids}), false)
  UNION ALL
  SELECT CAST(n.completedtime AS date), n.originatingclientid, n.originatingcampaignid,
         n.originatingbillingref, o.senderodscode, n.communicationtype, n.specificationid,
         n.specificationbillingid, n.messagelength, n.messagelengthunits, n.status, n.sendtime
  FROM request_item_plan_status_smsnudge n
  JOIN request_item_plan_status o
    ON o.clientid = n.originatingclientid AND o.requestitemplanid = n.originatingrequestitemplanid
)
SELECT billingdate, clientid, campaignid, billingref, senderodscode, communicationtype,
       specificationid, specificationbillingid, messagelength, messagelengthunits,
       count(*) AS messagecount
FROM plans
WHERE billingdate IS NOT NULL
  AND ((communicationtype = 'SMS' AND status IN ('DELIVERED', 'FAILED') AND sendtime IS NOT NULL)
       OR (communicationtype = 'LETTER' AND status = 'DELIVERED'))
GROUP BY billingdate, clientid, campaignid, billingref, senderodscode, communicationtype,
         specificationid, specificationbillingid, messagelength, messagelengthunits
ORDER BY billingdate, clientid, campaignid, billingref, senderodscode, communicationtype,
         specificationid, specificationbillingid, messagelength, messagelengthunits
