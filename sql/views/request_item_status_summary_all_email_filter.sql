-- request_item_status_summary_all_email_filter: request_item_status_summary_all without the rows
-- of the configured clients' email-only sending groups: groups whose plan summary rows include
-- EMAIL and no other (non-NULL) channel. It counts summary rows, not items. A NULL sending group is
-- never email-only, as in the running system.
CREATE OR REPLACE VIEW request_item_status_summary_all_email_filter AS
WITH email_only AS (
  SELECT clientid, sendinggroupid
  FROM request_item_plan_completed_summary_all
  WHERE clientid IN (${email_filter_client_ids})
    AND sendinggroupid IS NOT NULL
  GROUP BY clientid, sendinggroupid
  HAVING count_if(communicationtype = 'EMAIL') > 0
     AND count_if(communicationtype <> 'EMAIL') = 0
)
SELECT s.*
FROM request_item_status_summary_all s
WHERE NOT EXISTS (
  SELECT 1 FROM email_only e
  WHERE e.clientid = s.clientid AND e.sendinggroupid = s.sendinggroupid)
