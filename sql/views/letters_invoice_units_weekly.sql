-- letters_invoice_units_weekly: delivered letters per supplier invoice ISO week and ISO
-- week-year (see letters_invoice_dates for each supplier's invoice calendar).
CREATE OR REPLACE VIEW letters_invoice_units_weekly AS
SELECT clientid, campaignid, supplier,
       year_of_week(invoicetime) AS invoiceyear, week(invoicetime) AS invoiceweek, count(*) AS unitcount
FROM letters_invoice_dates
GROUP BY clientid, campaignid, supplier, year_of_week(invoicetime), week(invoicetime)
