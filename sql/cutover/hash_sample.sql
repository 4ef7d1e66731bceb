-- verify-cutover: is our binding of the hash key byte-compatible with the running system's? Up to
-- 1,000 of the running system's request items captured in the last week, each stored
-- nhsnumberhash recomputed from that item's versions in transaction_history with the key bound as
-- ingestion binds it: Base64(SHA-256(UTF-8(<key text> || '.' || nhsnumber))).
-- One row, counts only (never a value or an id), and only when something is wrong: nothing to
-- sample, or items whose stored hash none of their versions gives.
-- Parameters: 1 the hash key; 2 the first capture day (asOf - 1 week); 3 asOf.
WITH versions AS (
  SELECT
    requestitemid,
    to_base64(sha256(to_utf8(CAST(? AS varchar) || '.' || nhsnumber))) AS recomputed
  FROM ${source_table}
  WHERE starts_with(sk, 'REQUEST_ITEM#')
    AND nhsnumber IS NOT NULL
    AND CAST(CAST(__year AS varchar) || '-' || CAST(__month AS varchar) || '-' || CAST(__day AS varchar) AS date)
      BETWEEN CAST(? AS date) AND CAST(? AS date)
),
sample_items AS (
  SELECT r.requestitemid, r.nhsnumberhash
  FROM ${reference_database}.request_item_status r
  WHERE r.nhsnumberhash IS NOT NULL
    AND r.requestitemid IN (SELECT v.requestitemid FROM versions v)
  ORDER BY r.requestitemid
  LIMIT 1000
),
checked AS (
  SELECT
    s.requestitemid,
    max(CASE WHEN v.recomputed = s.nhsnumberhash THEN 1 ELSE 0 END) AS matched
  FROM sample_items s
  JOIN versions v ON v.requestitemid = s.requestitemid
  GROUP BY s.requestitemid
)
SELECT
  CAST(count(*) AS integer) AS sampled,
  CAST(count(*) - COALESCE(sum(matched), 0) AS integer) AS mismatched
FROM checked
HAVING count(*) = 0 OR sum(matched) < count(*)
