-- Pass 2 aggregation for the configured batch clients: request_item_status_summary with requestrefid
-- and requestid as extra dimensions.
-- The update fires only when a monotone count (all but outstandingcount) rises, and then overwrites
-- every fact, so outstandingcount may go down while no other total ever shrinks.
-- Dimensions match NULL-safely (NULL and '' are one value, normalised to NULL in the source).
-- Only groups created on or after the first created date are counted again: the later of asOf - 1
-- calendar month (the running system's window) and the run's earliest creation day
-- (ingestion/earliest_created). A group is items of one creation day, and the source contract fixes
-- a creation time once set, so every row pass 1 changed is in such a group; a group before it is
-- unchanged, and counting it again would write nothing (counts only rise). A backfill binds the
-- beginning of history. Parameters: that first created date, twice.
MERGE INTO request_item_status_summary_batch AS t
USING (
  SELECT
    NULLIF(clientid, '') AS clientid,
    NULLIF(campaignid, '') AS campaignid,
    NULLIF(sendinggroupid, '') AS sendinggroupid,
    NULLIF(sendinggroupidversion, '') AS sendinggroupidversion,
    NULLIF(requestrefid, '') AS requestrefid,
    NULLIF(requestid, '') AS requestid,
    CAST(createdtime AS date) AS createddate,
    CAST(count(DISTINCT requestitemid) AS integer) AS requestedcount,
    CAST(sum(CASE WHEN status = 'DELIVERED' THEN 1 ELSE 0 END) AS integer) AS deliveredcount,
    CAST(sum(CASE WHEN status = 'FAILED' THEN 1 ELSE 0 END) AS integer) AS failedcount,
    CAST(sum(CASE WHEN status IN ('DELIVERED', 'FAILED') THEN 1 ELSE 0 END) AS integer) AS completedcount,
    CAST(sum(CASE WHEN status NOT IN ('DELIVERED', 'FAILED') THEN 1 ELSE 0 END) AS integer) AS outstandingcount,
    CAST(sum(CASE WHEN contains(completedcommunicationtypes, 'NHSAPP') THEN 1 ELSE 0 END) AS integer) AS nhsappdeliveredcount,
    CAST(sum(CASE WHEN contains(completedcommunicationtypes, 'EMAIL') THEN 1 ELSE 0 END) AS integer) AS emaildeliveredcount,
    CAST(sum(CASE WHEN contains(completedcommunicationtypes, 'SMS') THEN 1 ELSE 0 END) AS integer) AS smsdeliveredcount,
    CAST(sum(CASE WHEN contains(completedcommunicationtypes, 'LETTER') THEN 1 ELSE 0 END) AS integer) AS letterdeliveredcount,
    CAST(sum(CASE WHEN contains(failedcommunicationtypes, 'NHSAPP') THEN 1 ELSE 0 END) AS integer) AS nhsappfailedcount,
    CAST(sum(CASE WHEN contains(failedcommunicationtypes, 'EMAIL') THEN 1 ELSE 0 END) AS integer) AS emailfailedcount,
    CAST(sum(CASE WHEN contains(failedcommunicationtypes, 'SMS') THEN 1 ELSE 0 END) AS integer) AS smsfailedcount,
    CAST(sum(CASE WHEN contains(failedcommunicationtypes, 'LETTER') THEN 1 ELSE 0 END) AS integer) AS letterfailedcount
  FROM request_item_status
  WHERE CAST(createdtime AS date) >= CAST(? AS date)
    AND clientid IN (${batch_client_ids})
  GROUP BY
    NULLIF(clientid, ''),
    NULLIF(campaignid, ''),
    NULLIF(sendinggroupid, ''),
    NULLIF(sendinggroupidversion, ''),
    NULLIF(requestrefid, ''),
    NULLIF(requestid, ''),
    CAST(createdtime AS date)
) AS s
ON (
  COALESCE(t.clientid, '') = COALESCE(s.clientid, '')
  AND COALESCE(t.campaignid, '') = COALESCE(s.campaignid, '')
  AND COALESCE(t.sendinggroupid, '') = COALESCE(s.sendinggroupid, '')
  AND COALESCE(t.sendinggroupidversion, '') = COALESCE(s.sendinggroupidversion, '')
  AND COALESCE(t.requestrefid, '') = COALESCE(s.requestrefid, '')
  AND COALESCE(t.requestid, '') = COALESCE(s.requestid, '')
  AND COALESCE(CAST(t.createddate AS varchar), '') = COALESCE(CAST(s.createddate AS varchar), '')
  -- Every source row is from the first created date on: the table's read is pruned to it.
  AND t.createddate >= CAST(? AS date)
)
WHEN MATCHED AND (
  s.requestedcount > t.requestedcount
  OR s.deliveredcount > t.deliveredcount
  OR s.failedcount > t.failedcount
  OR s.completedcount > t.completedcount
  OR s.nhsappdeliveredcount > t.nhsappdeliveredcount
  OR s.emaildeliveredcount > t.emaildeliveredcount
  OR s.smsdeliveredcount > t.smsdeliveredcount
  OR s.letterdeliveredcount > t.letterdeliveredcount
  OR s.nhsappfailedcount > t.nhsappfailedcount
  OR s.emailfailedcount > t.emailfailedcount
  OR s.smsfailedcount > t.smsfailedcount
  OR s.letterfailedcount > t.letterfailedcount
) THEN UPDATE SET
  requestedcount = s.requestedcount,
  deliveredcount = s.deliveredcount,
  failedcount = s.failedcount,
  completedcount = s.completedcount,
  outstandingcount = s.outstandingcount,
  nhsappdeliveredcount = s.nhsappdeliveredcount,
  emaildeliveredcount = s.emaildeliveredcount,
  smsdeliveredcount = s.smsdeliveredcount,
  letterdeliveredcount = s.letterdeliveredcount,
  nhsappfailedcount = s.nhsappfailedcount,
  emailfailedcount = s.emailfailedcount,
  smsfailedcount = s.smsfailedcount,
  letterfailedcount = s.letterfailedcount
WHEN NOT MATCHED THEN INSERT (
  clientid, campaignid, sendinggroupid, sendinggroupidversion, requestrefid, requestid, createddate,
  requestedcount, deliveredcount, failedcount, completedcount, outstandingcount,
  nhsappdeliveredcount, emaildeliveredcount, smsdeliveredcount, letterdeliveredcount,
  nhsappfailedcount, emailfailedcount, smsfailedcount, letterfailedcount
) VALUES (
  s.clientid, s.campaignid, s.sendinggroupid, s.sendinggroupidversion, s.requestrefid, s.requestid, s.createddate,
  s.requestedcount, s.deliveredcount, s.failedcount, s.completedcount, s.outstandingcount,
  s.nhsappdeliveredcount, s.emaildeliveredcount, s.smsdeliveredcount, s.letterdeliveredcount,
  s.nhsappfailedcount, s.emailfailedcount, s.smsfailedcount, s.letterfailedcount
)
