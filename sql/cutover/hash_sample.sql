-- verify-cutover: is our binding of the hash key byte-compatible with the running system's? Up to
-- 1,000 of the running system's request items captured in the last week, each stored
-- nhsnumberhash recomputed from that item's versions in transaction_history with the key as
-- ingestion uses it: Base64(SHA-256(UTF-8(<key text> || '.' || nhsnumber))), the key read from the
-- vault's table and joined only if its fingerprint is the pinned one (never in this text).
-- One row, counts only (never a value or an id), and only when something is wrong: nothing to
-- sample, or items whose stored hash none of their versions gives.
-- Parameters: 1 the pinned hash key fingerprint; 2 the first capture day (asOf - 1 week); 3 asOf.
WITH pinned_key AS (
  SELECT DISTINCT k.hashkey
  FROM ${hash_key_table} k
  WHERE to_hex(sha256(to_utf8(k.hashkey))) = CAST(? AS varchar)
),
versions AS (
  SELECT
    requestitemid,
    to_base64(sha256(to_utf8(pinned_key.hashkey || '.' || nhsnumber))) AS recomputed
  FROM ${source_table}
  CROSS JOIN pinned_key
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
