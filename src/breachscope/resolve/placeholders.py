"""Placeholder values: what a form holds when the real value was unknown, never linkage keys.

A hospital's software fills a mandatory field it does not know with a default: a birth date of
01/01/1900, a postal code 00000, the switchboard's phone number, ``inconnu@...``, a NIR of
all 1s. Shared by thousands of unrelated people, such a value is no evidence that two records
are one person, and as a blocking key it makes the linkage compare every pair of its bearers
(20 000 people born 01/01/1900: 200 million pairs, gigabytes of spill).

Resolution (:mod:`breachscope.resolve.people`, :mod:`breachscope.resolve.linkage`) therefore
blanks placeholders before building exact keys, blocking rules and comparisons; the records
(and their findings) keep them: they leaked all the same.

A value is a placeholder when it is in the static list below (:func:`static_sql`), or when it
is shared by too many people to be anyone's own (:data:`FREQUENT_SQL`), counted in bulk in
DuckDB over the case's records:

- a phone, e-mail, NIR or patient number (IPP) borne by more than :data:`MAX_OWNER_NAMES`
  distinct last names. A family shares a phone or an e-mail under one to three last names
  (parents, children of another union), a NIR covers an insured person and their dependants
  (same family), an IPP is one patient's, or two in two establishments; more than ten last
  names is a switchboard, a care home, a social service, a default typed by the staff;
- a birth date borne by more than :data:`MAX_DATE_NAMES` distinct last names *and* more than
  :data:`DATE_RATIO` times the median number of records per date of the case: a real date
  is shared by coincidence (some 30 people per date in a case of a million records, thousands in a
  maternity's), so only a date far above the case's own spread is a default. The 1st of
  January given to people born abroad without a known day stays a date (a few hundred
  people over many years), weighed by its frequency in the linkage.

Postal codes are placeholders only by the static list: a common postal code is an ordinary
one (a hospital's own town), and the linkage already weighs it by its frequency.
"""

from __future__ import annotations

import datetime as dt

#: Distinct last names above which a phone, e-mail, NIR or IPP is nobody's own.
MAX_OWNER_NAMES = 10
#: A birth date is a placeholder above this many distinct last names ...
MAX_DATE_NAMES = 20
#: ... and above this multiple of the median number of records per date of the case.
DATE_RATIO = 10

#: Birth dates that are defaults, not dates: the start of the 20th century (the commonest
#: default of French hospital software), Excel's and Delphi's day zero, "end of time" values.
#: (1970-01-01, the Unix day zero, is a real birth date for some patients: only the frequency
#: rule can make it a placeholder.)
BIRTH_DATES = ("1900-01-01", "1901-01-01", "1899-12-31", "1899-12-30", "1800-01-01",
               "1850-01-01", "1111-11-11", "0001-01-01", "1000-01-01", "2999-12-31",
               "9999-12-31", "9999-99-99", "0000-00-00")
#: Birth years before this are no living patient's (nor a recent record's): defaults.
MIN_BIRTH_YEAR = 1880
#: Postal codes that exist nowhere (no département 00 or 99) or are a typed sequence.
POSTAL_CODES = ("00000", "99999", "11111", "12345")
#: Phone numbers (E.164, as records store them) that are typed sequences. Numbers whose last
#: eight digits are one digit repeated (06 00 00 00 00, 01 11 11 11 11) are placeholders too.
PHONES = ("+33123456789", "+33102030405", "+33612345678", "+33601020304", "+33987654321")
#: Local parts of e-mails that say "no e-mail" (lower case, the whole local part) ...
EMAIL_LOCAL_PARTS = ("inconnu", "inconnue", "inconu", "nomail", "no-mail", "no.mail",
                     "noemail", "no-email", "no.email", "pasdemail", "pas-de-mail",
                     "pas.de.mail", "pasdemel", "sansmail", "sans-mail", "sans.mail", "aucun",
                     "aucune", "none", "null", "nc", "na", "nr", "x", "xx", "xxx", "xxxx",
                     "test", "refus", "refuse", "nepasutiliser", "noreply", "no-reply",
                     "ne-pas-repondre", "nepasrepondre")
#: ... and domains (their first label) that say so. (The reserved ``example.*`` domains are
#: left out: test data and demo leaks use them for distinct people; a real default shared by
#: many people there is caught by its frequency.)
EMAIL_DOMAINS = ("inconnu", "nomail", "noemail", "no-mail", "pasdemail", "aucun", "invalid")

#: Patient numbers that say "unknown".
IPPS = ("0", "00", "000", "INCONNU", "NC", "X", "XX", "XXX")

KINDS = ("birth", "nir", "phone", "email", "ipp", "postal")


def _in(value: str, values: tuple[str, ...]) -> str:
    """``value`` is one of ``values``: a list literal and ``list_contains`` (scalar), not an
    ``IN (...)`` list, which DuckDB may plan as a join per list (memory per query)."""
    items = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return f"list_contains([{items}], {value})"


def is_placeholder_birth_date(value: str, today: dt.date | None = None) -> bool:
    """The Python form of the static birth-date rule of :func:`static_sql` (``YYYY-MM-DD``)."""
    today = today or dt.date.today()
    return value in BIRTH_DATES or value < str(MIN_BIRTH_YEAR) or value > today.isoformat()


def static_sql(kind: str, value: str = "value", today: dt.date | None = None) -> str:
    """A SQL condition: ``value`` (a column or expression) of this kind is a known placeholder.
    Written for DuckDB's RE2 regular expressions (no back-references: a repeated digit is
    tested by removing it)."""
    today = today or dt.date.today()
    if kind == "birth":
        return (f"({_in(value, BIRTH_DATES)} OR {value} < '{MIN_BIRTH_YEAR}' "
                f"OR {value} > '{today.isoformat()}')")
    if kind == "postal":
        return f"({_in(value, POSTAL_CODES)})"
    if kind == "phone":
        last8 = f"right({value}, 8)"
        return (f"({_in(value, PHONES)} OR (length({value}) >= 8 "
                f"AND replace({last8}, {last8}[1], '') = ''))")
    if kind == "email":
        local = f"split_part(lower({value}), '@', 1)"
        domain = f"split_part(split_part(lower({value}), '@', 2), '.', 1)"
        return f"({_in(local, EMAIL_LOCAL_PARTS)} OR {_in(domain, EMAIL_DOMAINS)})"
    if kind == "nir":
        # On the NIR's first 13 characters: after the sex digit one digit repeated (all 1s,
        # all 0s), the counting sequence, or the order number 000 (never given; the order
        # number runs from 001): the shape of a NIR, the number of nobody.
        body = f"left({value}, 13)"
        return (f"(replace({body}[2:13], {body}[2], '') = '' "
                f"OR {_in(body + '[2:13]', ('234567890123', '123456789012'))} "
                f"OR {body}[11:13] = '000')")
    if kind == "ipp":
        return f"({_in(f'upper({value})', IPPS)})"
    raise ValueError(f"unknown placeholder kind {kind!r}")


# The placeholders of the case, in bulk: every (kind, value) of the records with the number
# of records and distinct last names bearing it, then the static list and the frequency rules.
# ``_bs_raw(rn, nir, birth_date, phones, emails, postal_code, patient_id, fold_last,
# fold_first)`` is built by resolve.people. E-mails are compared in lower case.
# The records are first grouped by the columns read here (``_raw``, ``n`` records each): a
# dump repeats its people (7.6 M records, some 15 000 distinct at 1 GB), and unnesting and
# counting every record's values six times over cost 26 CPU s there. A value's records are
# the sum of ``n`` over the groups bearing it (a value twice in one list counts twice, as
# before), its distinct names are unchanged by the grouping.
FREQUENT_SQL = """
CREATE OR REPLACE TEMP TABLE _bs_placeholders AS
WITH _raw AS (
    SELECT nir, birth_date, phones, emails, postal_code, patient_id, who, sum(n) AS n
    FROM (SELECT nir, birth_date, phones, emails, postal_code, patient_id,
              coalesce(nullif(fold_last, ''), fold_first) AS who, n
          FROM _bs_raw)
    GROUP BY ALL
),
vals AS MATERIALIZED (
    SELECT 'birth' AS kind, birth_date AS value, who, n FROM _raw WHERE birth_date <> ''
    UNION ALL SELECT 'nir', nir, who, n FROM _raw WHERE nir <> ''
    UNION ALL SELECT 'ipp', patient_id, who, n FROM _raw WHERE patient_id <> ''
    UNION ALL SELECT 'postal', postal_code, who, n FROM _raw WHERE postal_code <> ''
    UNION ALL SELECT 'phone', unnest(phones), who, n FROM _raw WHERE len(phones) > 0
    UNION ALL SELECT 'email', lower(unnest(emails)), who, n FROM _raw WHERE len(emails) > 0
),
counts AS (
    SELECT kind, value, sum(n)::BIGINT AS records FROM vals WHERE value <> '' GROUP BY ALL
),
spread AS (SELECT kind, median(records) AS median_records FROM counts GROUP BY kind),
-- A value needs more records than names: distinct names are counted only for the values
-- with enough records (counting them for every value costs more than the rest).
candidates AS (
    SELECT c.*, {static} AS known, s.median_records
    FROM counts c JOIN spread s USING (kind)
    WHERE {static}
       OR (kind <> 'birth' AND kind <> 'postal' AND records > {max_owner})
       OR (kind = 'birth' AND records > greatest({max_date}, {ratio} * median_records))
),
names AS (
    SELECT v.kind, v.value, count(DISTINCT v.who) AS names
    FROM vals v SEMI JOIN candidates c ON c.kind = v.kind AND c.value = v.value
    GROUP BY ALL
)
SELECT kind, value, records, names, CASE WHEN known THEN 'known' ELSE 'shared' END AS why
FROM candidates JOIN names USING (kind, value)
WHERE known
   OR (kind <> 'birth' AND kind <> 'postal' AND names > {max_owner})
   OR (kind = 'birth' AND names > greatest({max_date}, {ratio} * median_records))
"""


def placeholders_sql(today: dt.date | None = None) -> str:
    """The statement creating ``temp._bs_placeholders(kind, value, records, names, why)``."""
    static = " OR ".join(f"(kind = '{k}' AND {static_sql(k, 'value', today)})" for k in KINDS)
    return (FREQUENT_SQL.replace("{static}", f"({static})")
            .replace("{max_owner}", str(MAX_OWNER_NAMES))
            .replace("{max_date}", str(MAX_DATE_NAMES)).replace("{ratio}", str(DATE_RATIO)))
