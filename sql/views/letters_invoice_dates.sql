-- letters_invoice_dates: each delivered letter with the time its supplier invoices it. The rule
-- follows each supplier's calendar (ISO weekday of the UTC sendtime): MBA adds 4 days on
-- Thursday-Saturday, 3 on Sunday and 2 on Monday-Wednesday; PRECISIONPROCO and SYNERTEC move
-- Saturday and Sunday to Monday; any other supplier invoices on the send date. Helper of the two
-- letters_invoice_units views.
CREATE OR REPLACE VIEW letters_invoice_dates AS
SELECT clientid, campaignid, supplier,
  CASE
    WHEN supplier = 'MBA' THEN
      CASE WHEN day_of_week(sendtime) IN (4, 5, 6) THEN date_add('day', 4, sendtime)
           WHEN day_of_week(sendtime) = 7 THEN date_add('day', 3, sendtime)
           ELSE date_add('day', 2, sendtime) END
    WHEN supplier IN ('PRECISIONPROCO', 'SYNERTEC') THEN
      CASE WHEN day_of_week(sendtime) = 6 THEN date_add('day', 2, sendtime)
           WHEN day_of_week(sendtime) = 7 THEN date_add('day', 1, sendtime)
           ELSE sendtime END
    ELSE sendtime
  END AS invoicetime
FROM request_item_plan_status
WHERE communicationtype = 'LETTER' AND status = 'DELIVERED' AND sendtime IS NOT NULL
