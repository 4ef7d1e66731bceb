-- dates: one row per day from 2023-01-01 to 31 December of the current year (UTC).
CREATE OR REPLACE VIEW dates AS
SELECT d AS datevalue, year(d) AS year, month(d) AS month, day(d) AS day
FROM UNNEST(sequence(
  DATE '2023-01-01',
  CAST(CAST(year(current_date) AS varchar) || '-12-31' AS date),
  INTERVAL '1' DAY)) AS t (d)
