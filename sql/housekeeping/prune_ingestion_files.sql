-- Keeps the file ledger small: forgets the files of capture days before parameter 1 (asOf - 1
-- month), long past the week window no run lists again. Ingestion's own bookkeeping, the only
-- rows housekeeping deletes.
DELETE FROM ingestion_files WHERE captureday < CAST(? AS date)
