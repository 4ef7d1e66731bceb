-- Forgets the claims of capture days before parameter 1 (asOf - 1 month): no run that could
-- still write the ledger from them is under way (a run claims only the week window's days).
DELETE FROM ingestion_file_claims WHERE captureday < CAST(? AS date)
