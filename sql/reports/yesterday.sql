-- yesterday: the default completedDate of the completed-communications report, D - 1 in UTC.
-- The CAST is a no-op in Athena; the local engine's date_add returns a timestamp for a date.
SELECT CAST(date_add('day', -1, current_date) AS date) AS yesterday
