-- letters_invoice_units_monthly: delivered letters per supplier invoice month (see
-- letters_invoice_dates for each supplier's invoice calendar).
CREATE OR REPLACE VIEW letters_invoice_units_monthly AS
SELECT clientid, campaignid, supplier,
       year(invoicetime) AS invoiceyear, month(invoicetime) AS invoicemonth, count(*) AS unitcount
FROM letters_invoice_dates
GROUP BY clientid, campaignid, supplier, year(invoicetime), month(invoicetime)
