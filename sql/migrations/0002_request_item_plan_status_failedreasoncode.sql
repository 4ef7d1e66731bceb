-- The plan's failure reason code (CM_*), added in production by ALTER before the DDL had it.
ALTER TABLE request_item_plan_status ADD COLUMNS (failedreasoncode string)
