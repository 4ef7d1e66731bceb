-- Trino semantics for DuckDB, as macros in a `trino` schema that is first on the search path.
-- A macro here shadows DuckDB's built-in of the same name; the original stays reachable as
-- system.main.<name>. Every macro has a known-answer test in this crate.
CREATE SCHEMA IF NOT EXISTS trino;

-- Trino: sha256(varbinary) is the raw 32-byte digest. DuckDB's sha256 returns 64 hex characters.
CREATE OR REPLACE MACRO trino.sha256(x) AS unhex(system.main.sha256(x));

-- Trino: to_utf8(varchar) is the UTF-8 bytes as varbinary.
CREATE OR REPLACE MACRO trino.to_utf8(s) AS encode(s);

-- Trino: from_iso8601_timestamp(s) stored into a plain timestamp keeps the wall clock written in
-- the string at millisecond precision; the offset (Z, +01:00, +0100, +01) is dropped. Date-only
-- strings are midnight. Anything that is not ISO-8601 is an error, as in Trino.
CREATE OR REPLACE MACRO trino.from_iso8601_timestamp(s) AS
  date_trunc('millisecond', CAST(
    CASE
      WHEN regexp_full_match(s, '\d{4}-\d{2}-\d{2}') THEN s
      WHEN regexp_full_match(s, '\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}([.,]\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?')
        THEN regexp_replace(replace(s, ',', '.'), '(Z|[+-]\d{2}(:?\d{2})?)$', '')
      ELSE error('from_iso8601_timestamp: invalid ISO-8601 timestamp "' || s || '"')
    END AS TIMESTAMP));

-- Trino's date_add(unit, n, x) and DuckDB's own date_add(x, interval) in one macro.
-- Known gap: on a DATE, Trino returns a DATE and this a TIMESTAMP (DuckDB's DATE + INTERVAL; a
-- macro cannot pick its type by its argument's). Comparisons agree; where the value is output,
-- the SQL casts it (CAST(date_add(...) AS date)), which both engines read the same.
CREATE OR REPLACE MACRO trino.__interval(unit, n) AS
  CASE lower(unit)
    WHEN 'millisecond' THEN to_milliseconds(n)
    WHEN 'second' THEN to_seconds(n)
    WHEN 'minute' THEN to_minutes(n)
    WHEN 'hour' THEN to_hours(n)
    WHEN 'day' THEN to_days(CAST(n AS INTEGER))
    WHEN 'week' THEN to_days(CAST(7 * n AS INTEGER))
    WHEN 'month' THEN to_months(CAST(n AS INTEGER))
    WHEN 'quarter' THEN to_months(CAST(3 * n AS INTEGER))
    WHEN 'year' THEN to_years(CAST(n AS INTEGER))
    ELSE error('date_add: unsupported unit ''' || unit || '''')
  END;
CREATE OR REPLACE MACRO trino.date_add(x, i) AS system.main.date_add(x, i),
  (unit, n, x) AS x + trino.__interval(unit, n);

-- Trino: date_diff(unit, a, b) counts whole elapsed units (DuckDB's date_sub), not boundaries.
CREATE OR REPLACE MACRO trino.date_diff(unit, a, b) AS system.main.date_sub(unit, a, b);

-- Trino: ISO weekday (Monday 1 … Sunday 7) and ISO week-numbering year.
CREATE OR REPLACE MACRO trino.day_of_week(x) AS isodow(x);
CREATE OR REPLACE MACRO trino.dow(x) AS isodow(x);
CREATE OR REPLACE MACRO trino.year_of_week(x) AS isoyear(x);
CREATE OR REPLACE MACRO trino.yow(x) AS isoyear(x);
CREATE OR REPLACE MACRO trino.week_of_year(x) AS week(x);

-- Trino: seconds since the epoch as a double, with the fraction (a plain timestamp is read in the
-- session's zone, UTC, as Athena's is).
CREATE OR REPLACE MACRO trino.to_unixtime(t) AS epoch(CAST(t AS TIMESTAMP));

-- Trino: to_iso8601 of a date is YYYY-MM-DD; of a timestamp, YYYY-MM-DDThh:mm:ss.sss.
CREATE OR REPLACE MACRO trino.to_iso8601(x) AS
  CASE WHEN typeof(x) = 'DATE' THEN strftime(CAST(x AS DATE), '%Y-%m-%d')
       ELSE strftime(CAST(x AS TIMESTAMP), '%Y-%m-%dT%H:%M:%S.%g') END;

-- Trino: approx_percentile(x, p) where p is a constant or an ARRAY of constants.
CREATE OR REPLACE MACRO trino.approx_percentile(x, p) AS approx_quantile(x, p);

-- Trino: count_if(condition) counts the rows where it is true: 0, never NULL, when none is (DuckDB's
-- gives NULL over no rows or only NULL conditions).
CREATE OR REPLACE MACRO trino.count_if(condition) AS count(CASE WHEN condition THEN 1 END);

-- Trino: array_join(array, delimiter) joins the non-NULL elements.
CREATE OR REPLACE MACRO trino.array_join(a, sep) AS array_to_string(list_filter(a, lambda x: x IS NOT NULL), sep);

-- Trino: element_at(array, i) (1-based, negative from the end) and element_at(map, k) (NULL when absent).
CREATE OR REPLACE MACRO trino.element_at(c, k) AS c[k];

-- The bundled DuckDB has no ICU, hence no CURRENT_DATE: today's UTC date, or a pinned date for tests
-- (SET VARIABLE trino_current_date = DATE 'YYYY-MM-DD').
CREATE OR REPLACE MACRO trino.current_date() AS
  COALESCE(CAST(getvariable('trino_current_date') AS DATE), CAST(epoch_ms(epoch_ms(get_current_timestamp())) AS DATE));

-- Trino: at_timezone(t, zone). No ICU here, so the one zone we use is written out: Europe/London is
-- UTC+1 from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday of October.
CREATE OR REPLACE MACRO trino.__last_sunday_0100(y, m) AS
  CAST(make_date(y, m, 31) - CAST(isodow(make_date(y, m, 31)) % 7 AS INTEGER) AS TIMESTAMP) + INTERVAL 1 HOUR;
CREATE OR REPLACE MACRO trino.at_timezone(t, zone) AS
  CASE zone
    WHEN 'UTC' THEN CAST(t AS TIMESTAMP)
    WHEN 'Europe/London' THEN CAST(t AS TIMESTAMP) + CASE
      WHEN CAST(t AS TIMESTAMP) >= trino.__last_sunday_0100(year(t), 3)
       AND CAST(t AS TIMESTAMP) < trino.__last_sunday_0100(year(t), 10) THEN INTERVAL 1 HOUR
      ELSE INTERVAL 0 HOUR END
    ELSE error('at_timezone: the local engine knows only UTC and Europe/London, not ' || zone)
  END;

-- Trino: greatest/least are NULL when any argument is NULL (DuckDB skips NULLs).
CREATE OR REPLACE MACRO trino.greatest(a, b) AS
  CASE WHEN a IS NULL OR b IS NULL THEN NULL ELSE system.main.greatest(a, b) END,
  (a, b, c) AS
  CASE WHEN a IS NULL OR b IS NULL OR c IS NULL THEN NULL ELSE system.main.greatest(a, b, c) END;
CREATE OR REPLACE MACRO trino.least(a, b) AS
  CASE WHEN a IS NULL OR b IS NULL THEN NULL ELSE system.main.least(a, b) END,
  (a, b, c) AS
  CASE WHEN a IS NULL OR b IS NULL OR c IS NULL THEN NULL ELSE system.main.least(a, b, c) END;

-- Trino: split_part past the last part is NULL (DuckDB gives '').
CREATE OR REPLACE MACRO trino.split_part(s, d, n) AS
  CASE WHEN n > len(string_split(s, d)) THEN NULL ELSE system.main.split_part(s, d, n) END;

-- Trino: sequence(a, b) of integers or DATEs, by 1 (or a day) up, or down when b < a (DuckDB's
-- generate_series gives [] then, and has no DATE form); sequence(a, b, step) of DATEs by an
-- interval. A timestamp sequence is refused rather than silently turned into dates.
CREATE OR REPLACE MACRO trino.sequence(a, b) AS
  list_transform(generate_series(0, abs(b - a)), lambda i: a + CAST(i * sign(b - a) AS INTEGER)),
  (a, b, step) AS CASE WHEN typeof(a) = 'DATE' AND typeof(b) = 'DATE'
    THEN list_transform(generate_series(CAST(a AS TIMESTAMP), CAST(b AS TIMESTAMP), step), lambda x: CAST(x AS DATE))
    ELSE error('sequence: the local engine supports integer and DATE sequences only') END;

-- Trino's lambdas (`x -> x + 1`): this DuckDB refuses the single arrow unless asked, and no
-- DuckDB JSON arrow is used, so the arrow means what it means in Trino.
SET lambda_syntax = 'ENABLE_SINGLE_ARROW';

-- Trino's division. With integer_division set, DuckDB's parser writes every `a / b` as `a // b`,
-- which the macro below shadows (Trino SQL has no `//` of its own). The operands' types pick the rule:
-- * integers: divided as integers, truncating (7 / 2 = 3, -7 / 2 = -3), in the wider type.
-- * a decimal, with an integer or a decimal: a decimal with the larger scale holding the exact
--   quotient rounded half away from zero (7 * 1.0 / 3 = 2.3, where DuckDB would give 2.333...).
-- * a real or double: a double (a real for two reals); dividing by zero is Infinity, -Infinity or
--   NaN, where DuckDB would fail.
-- Dividing an integer or a decimal by zero fails, as on Trino.
--
-- One macro has one result type, so each rule is a field of a struct and the operands' types pick
-- the field by a name that is constant once the call is bound. `v + 0` keeps v's kind and scale,
-- and defers binding these macros to their call, where the operands' types are known.
SET integer_division = true;

CREATE OR REPLACE MACRO trino.__scale(v) AS
  CAST(COALESCE(NULLIF(regexp_extract(typeof(v + 0), '^DECIMAL\(\d+,(\d+)\)$', 1), ''), '0') AS INTEGER);
CREATE OR REPLACE MACRO trino.__division_rule(a, b) AS
  CASE
    WHEN typeof(a + 0) IN ('FLOAT', 'DOUBLE') OR typeof(b + 0) IN ('FLOAT', 'DOUBLE') THEN 'floating'
    WHEN typeof(a + 0) LIKE 'DECIMAL(%' OR typeof(b + 0) LIKE 'DECIMAL(%' THEN 'decimal'
    ELSE 'integer'
  END;
-- An operand as an exact DECIMAL(38,10), unscaled: v * 10^10 as an integer.
CREATE OR REPLACE MACRO trino.__unscaled10(v) AS CAST(CAST(v AS DECIMAL(38, 10)) * 10000000000 AS HUGEINT);
-- round_half_up(x / y * 10^s) from x and y unscaled by the same power of ten.
CREATE OR REPLACE MACRO trino.__half_up_quotient(ux, uy, s) AS
  sign(ux) * sign(uy) * system.main.divide(2 * abs(ux) * CAST(pow(10, s) AS HUGEINT) + abs(uy), 2 * abs(uy));
-- a / b of Trino's decimal rule; the quotient, exact at scale s, is written at scale 10 and then
-- given scale s by round (which changes no digit).
CREATE OR REPLACE MACRO trino.__decimal_divide(a, b, s) AS
  CASE
    WHEN s > 10 THEN error('division: the local engine divides decimals of scale 10 or less, not '
                           || typeof(a) || ' / ' || typeof(b))
    WHEN b = 0 THEN error('Division by zero')
    ELSE round(trino.__half_up_quotient(trino.__unscaled10(a), trino.__unscaled10(b), s)
                 * CAST(pow(10, 10 - s) AS HUGEINT) * 0.0000000001, s)
  END;
CREATE OR REPLACE MACRO trino.__floating_divide(a, b) AS
  CASE
    WHEN b = 0 THEN CAST(CASE WHEN a > 0 THEN 'Infinity' WHEN a < 0 THEN '-Infinity' ELSE 'NaN' END AS FLOAT)
    ELSE system.main.divide(a, b)
  END;
CREATE OR REPLACE MACRO trino."//"(a, b) AS
  struct_extract(
    struct_pack(
      integer := CASE WHEN trino.__division_rule(a, b) = 'integer' THEN system.main.divide(a, b) END,
      decimal := CASE WHEN trino.__division_rule(a, b) = 'decimal'
                      THEN trino.__decimal_divide(a, b, system.main.greatest(trino.__scale(a), trino.__scale(b))) END,
      floating := CASE WHEN trino.__division_rule(a, b) = 'floating' THEN trino.__floating_divide(a, b) END),
    trino.__division_rule(a, b));

SET search_path = 'main,trino';
