-- request_item_status_smsnudge: the nudge items with the originating sending group. An item with
-- several plans appears once per plan (as it always has).
CREATE OR REPLACE VIEW request_item_status_smsnudge AS
SELECT s.*, n.originatingsendinggroupid
FROM request_item_status_smsnudge_staging s
LEFT JOIN request_item_plan_status_smsnudge n ON n.requestitemid = s.requestitemid
