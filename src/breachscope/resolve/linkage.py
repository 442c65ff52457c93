"""Probabilistic record linkage with Splink (DuckDB backend): the fuzzy edges of people.

:func:`breachscope.resolve.people.rebuild_people` groups records into people with exact keys;
with ``linkage="splink"`` it also adds the pairs this module scores above the threshold, and
the same label propagation turns the union of both edge sets into people (clusters, linked
transitively). Exact-key matches therefore always stay merged.

Method (Fellegi-Sunter, as implemented by Splink; see ``docs/resolution.md``):
- input: every record with a first name, or with a NIR, birth date, phone or e-mail. A record
  with only a surname (or only a ``full_name``) is a *mention*: it joins a person through the
  exact keys only (same folded name as another bare mention), never through Splink. Contacts
  are pooled over the record's exact-key group (``_bs_exact``, built by the caller);
- comparisons on folded names (exact with term frequencies, first/last swapped, typos, married
  name vs birth name from "X épouse Y" / "Y née X", same first name with sex), birth date
  (exact, day/month swapped, one character off), NIR, NIR vs birth date, sex, IPP, phones,
  e-mails, postal code;
- blocking (only pairs sharing one of these are scored): :data:`BLOCKING_RULES`;
- parameters: m and u are documented defaults; the u of names comes from their frequency in
  the case (counted in people), the prior from deterministic rules on the case
  (:func:`estimate_prior`); :data:`THRESHOLD` on the match probability.

Splink runs in its own in-memory DuckDB connection (its working tables never reach the case
store); the records go in and the pairs come out as Arrow tables.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import shutil
import time
from collections.abc import Collection
from pathlib import Path
from typing import NamedTuple

import duckdb

from breachscope.resolve.blocks import block_sql, cap_blocks, capped_rules
from breachscope.resolve.spill import is_spill_cap_error, reached, spill_cap

log = logging.getLogger(__name__)

#: Pairs with a match probability at or above this are the same person.
THRESHOLD = 0.5
#: Prior used by :func:`settings` when none is estimated (tests, charts): the probability
#: that two records picked at random are the same person.
PRIOR = 1e-4

# The records Splink sees: one row per record with its comparison columns. ``fold`` is the
# macro of breachscope.resolve.people (installed on the case connection by the caller), and
# ``_bs_exact(rn, grp)`` the exact-key group of every record.
#
# Placeholder values (01/01/1900, a switchboard's phone, inconnu@...: resolve.placeholders)
# are already blank in ``_bs_rec``: they are neither blocking keys nor evidence.
#
# Names and birth dates are the record's own. Contacts (phones, e-mails, postal codes) are
# pooled over the record's exact-key group, and a NIR, IPP, sex or birth date the record lacks
# is taken from its group: records sharing a NIR or a name and birth date are one person (see
# resolve.people), so what one of them says about the person the others can use. A married
# name in one record then meets the phone or postal code that another record of the same
# person carries.
_MARRIED = r"^(.+?) (EPOUSE|EP|VEUVE|VVE|NEE|NE|DITE|DIT) (.+)$"
_INPUT_SQL = r"""
WITH oriented AS (
    -- First and last names entered the wrong way round ("MARIE | DUPONT") are put back when
    -- the gazetteers are clear: the last name is a common first name, and the first name a
    -- known surname that is no first name (or a very rare one). "THOMAS | MARTIN" stays.
    SELECT b.*, fl.tier AS fl_tier, ff.tier AS ff_tier, sl.tier AS sl_tier, sf.tier AS sf_tier,
        coalesce(fl.tier = 0 AND sf.tier <= 2 AND coalesce(ff.tier, 9) >= 3, FALSE)
            AS swapped
    FROM _bs_rec b
    LEFT JOIN _bs_first_names fl ON fl.name = b.fold_last
    LEFT JOIN _bs_first_names ff ON ff.name = b.fold_first
    LEFT JOIN _bs_surnames sl ON sl.name = b.fold_last
    LEFT JOIN _bs_surnames sf ON sf.name = b.fold_first
),
own AS (
    SELECT b.rn, e.grp,
        nullif(CASE WHEN swapped THEN fold_first ELSE fold_last END, '') AS last,
        nullif(CASE WHEN swapped THEN fold_last ELSE fold_first END, '') AS first,
        coalesce(CASE WHEN swapped THEN fl_tier ELSE ff_tier END <= 2, FALSE) AS first_known,
        coalesce(CASE WHEN swapped THEN sf_tier ELSE sl_tier END <= 1, FALSE) AS last_known,
        CASE WHEN fold_last <> '' AND fold_first <> ''
             THEN CASE WHEN swapped THEN fold_first || ' ' || fold_last
                       ELSE fold_last || ' ' || fold_first END END AS name_key,
        -- "BIRTH épouse USED", "USED née BIRTH": the birth name and the used (married) name;
        -- a record without such a full name has its last name as both.
        coalesce(CASE WHEN m.particle IN ('NEE', 'NE') THEN m.second ELSE m.first_part END,
                 nullif(fold_last, '')) AS name_birth,
        coalesce(CASE WHEN m.particle IN ('NEE', 'NE') THEN m.first_part ELSE m.second END,
                 nullif(fold_last, '')) AS name_used,
        CASE WHEN regexp_matches(b.birth_date, '^\d{4}-\d{2}-\d{2}$') THEN b.birth_date END
            AS birth,
        nullif(b.nir, '') AS nir,   -- the record's own NIR (resolve.people._OWN_NIR)
        -- Sex: the record's own field ("F", "Femme", "Mme", "2", "H", "M.", "1"...), else
        -- the NIR's first digit (1 or 7: a man, 2 or 8: a woman). TRUE: a woman.
        CASE WHEN regexp_matches(upper(trim(r.sex)), '^(F|W|2$|MME|MADAME|MLLE|MADEMOISELLE)')
                  THEN TRUE
             WHEN regexp_matches(upper(trim(r.sex)), '^(H|M|1$)') THEN FALSE
             WHEN b.nir[1] IN ('2', '8') THEN TRUE
             WHEN b.nir[1] IN ('1', '7') THEN FALSE END AS female,
        b.patient_id AS ipp,
        list_filter(b.phones, x -> x <> '') AS phones,
        list_transform(list_filter(b.emails, x -> x <> ''), x -> lower(x)) AS emails,
        nullif(b.postal_code, '') AS postal_code,
        nullif(fold(coalesce(r.city, '')), '') AS city,
        -- The street address as its words (number, street, locality): two records of one
        -- person share most of them, whatever the order or the typos elsewhere.
        nullif(list_sort(list_distinct(list_filter(string_split(regexp_replace(
            fold(coalesce(r.address, '')), '[^A-Z0-9]+', ' ', 'g'), ' '), x -> x <> ''))), [])
            AS address,
        -- ... and as one string without separators: "brewster place" = "brewsterplace".
        nullif(regexp_replace(fold(coalesce(r.address, '')), '[^A-Z0-9]+', '', 'g'), '')
            AS address_text
    FROM oriented b JOIN _bs_exact e USING (rn) JOIN _bs_sig r USING (rn),
    LATERAL (SELECT
        nullif(regexp_extract(fold(coalesce(r.full_name, '')), '{_MARRIED}', 1), '')
            AS first_part,
        nullif(regexp_extract(fold(coalesce(r.full_name, '')), '{_MARRIED}', 2), '')
            AS particle,
        nullif(regexp_extract(fold(coalesce(r.full_name, '')), '{_MARRIED}', 3), '')
            AS second
    ) m
    WHERE fold_first <> '' OR coalesce(r.nir, '') <> '' OR coalesce(r.birth_date, '') <> ''
        OR coalesce(len(r.phones), 0) > 0 OR coalesce(len(r.emails), 0) > 0
        OR coalesce(r.address, '') <> '' OR coalesce(r.patient_id, '') <> ''
),
-- A group's contacts: its distinct values first (an aggregate that spills), then a list of
-- those per group. A list of every record's values per group (list + flatten) is held in
-- memory: at 7.6 M records (a 1 GB dump) it ran out of the 1 GB memory limit.
g_contacts AS (
    SELECT grp, list(value ORDER BY value) FILTER (WHERE kind = 'p') AS g_phones,
        list(value ORDER BY value) FILTER (WHERE kind = 'e') AS g_emails,
        list(value ORDER BY value) FILTER (WHERE kind = 'c') AS g_postal_codes
    FROM (SELECT DISTINCT grp, kind, value FROM (
            SELECT grp, 'p' AS kind, unnest(phones) AS value FROM own
            UNION ALL SELECT grp, 'e', unnest(emails) FROM own
            UNION ALL SELECT grp, 'c', postal_code FROM own)
          WHERE value IS NOT NULL)
    GROUP BY grp
),
grp AS (
    SELECT grp,
        min(birth) AS g_birth, min(nir) AS g_nir, min(ipp) AS g_ipp,
        CASE WHEN bool_and(female) THEN TRUE WHEN NOT bool_or(female) THEN FALSE END
            AS g_female
    FROM own GROUP BY grp
),
pooled AS (
    SELECT o.rn, o.last, o.first, o.first_known, o.last_known, o.name_key, o.name_birth,
        o.name_used, o.postal_code, o.city, o.address, o.address_text,
        coalesce(o.birth, g.g_birth) AS birth, coalesce(o.nir, g.g_nir) AS nir,
        coalesce(o.ipp, g.g_ipp) AS ipp, coalesce(o.female, g.g_female) AS female,
        nullif(c.g_phones, []) AS phones, nullif(c.g_emails, []) AS emails,
        nullif(c.g_postal_codes, []) AS postal_codes
    FROM own o JOIN grp g USING (grp) LEFT JOIN g_contacts c USING (grp)
)
SELECT rn AS unique_id, last, first, first_known, last_known, name_key, name_birth, name_used,
    birth,
    birth[1:4] || '-' || birth[9:10] || '-' || birth[6:7] AS birth_swapped,
    nir,
    CASE WHEN regexp_matches(nir, '^[1278]\d{4}') THEN nir[2:5] END AS nir_yymm,
    birth[3:4] || birth[6:7] AS birth_yymm,
    last AS last_typo, last AS last_variant, first AS first_typo, first AS first_variant,
    female, ipp, phones, emails, phones[1] AS phone1, emails[1] AS email1,
    postal_code, postal_codes, city, address, address_text,
    CASE WHEN last IS NOT NULL AND birth IS NOT NULL
         THEN left(regexp_replace(last, '[AEIOUYH ]', '', 'g'), 4) || birth[1:4]
    END AS name_block
FROM pooled
""".replace("{_MARRIED}", _MARRIED)


# Term frequencies of full names, counted in people rather than records: the records of one
# person repeat their name, and counting them would make the name of a patient with many
# records look common (and weak) precisely because it is the same person. A name's people are
# its distinct birth dates (at least one).
#
# u of an exact match on a value is then (people with this value - 1/2) / people: the person
# itself is not a namesake, and half a person stands for the namesakes the case cannot show
# (people without a birth date). A name borne by one person in the whole case (one birth date)
# is strong evidence, a name borne by two is not. The counts are smoothed towards an assumed
# average (``_TF_COLUMNS``), as if the case had ``_TF_PRIOR_PEOPLE`` more people: in a case of
# ten records every name is "frequent", which says nothing about the population.
def _frequency_sql(name: str) -> str:
    column, factor, average = _TF_COLUMNS[name]
    k = _TF_PRIOR_PEOPLE
    # The people of a value: its distinct birth dates, or for a birth date its distinct names.
    # Without birth dates a name's people are at least its distinct postal codes, phones and
    # e-mails: in a dump without birth dates, every name would otherwise look unique.
    if column == "birth":
        people = "count(DISTINCT name_key)"
    else:
        people = ("greatest(count(DISTINCT birth), count(DISTINCT postal_code), "
                  "count(DISTINCT phone1), count(DISTINCT email1))")
    return f"""
    WITH p AS (SELECT {column} AS value, greatest({people}, 1) AS n
               FROM bs_records WHERE {column} IS NOT NULL GROUP BY {column})
    SELECT value AS {name},
        {factor} * ((n - 0.5) + {k} * {average}) / (sum(n) OVER () + {k}) AS tf_{name}
    FROM p
    """


#: Columns with term-frequency adjustments computed by :func:`_frequency_sql`: the column
#: they count, a factor, and the average frequency assumed before the case is seen (the share
#: of pairs of French people sharing the value: full name ~1e-6, first name ~0.008, last name
#: ~1e-4, from the INSEE name frequencies). ``last_typo`` is the frequency of the last name
#: times the share of pairs of people whose first names are one edit apart (~0.003: Léa/Léo,
#: Marie/Maria, Louis/Louise), ``first_typo`` the frequency of the first name times the share
#: of pairs of people whose last names are one edit apart (~5e-4: Dupont/Dupond);
#: ``last_variant`` the frequency of the last name times the share of people of one family
#: whose first names are two real names one edit apart (~0.03: Noémi/Noémie);
#: ``first_variant`` the frequency of the first name times the share of pairs of people whose
#: last names are two common surnames one edit apart (~0.005: Costa/Coste). Postal
#: codes: ~0.02 for two patients of one hospital.
_TF_COLUMNS = {"name_key": ("name_key", 1.0, 1e-6), "first": ("first", 1.0, 0.008),
               "last_typo": ("last", 0.003, 1e-4), "first_typo": ("first", 5e-4, 0.008),
               "postal_code": ("postal_code", 1.0, 0.02), "birth": ("birth", 1.0, 5e-5),
               "last_variant": ("last", 0.03, 1e-4), "first_variant": ("first", 0.005, 0.008),
               "last": ("last", 1.0, 1e-4)}
#: Weight of the assumed average, in people: a case of a few hundred people keeps close to
#: it, a case of a hundred thousand relies on its own counts.
_TF_PRIOR_PEOPLE = 1000


def _level(sql: str, label: str, m: float, u: float, *, null: bool = False,
           tf: str | None = None, tf_of_level: bool = False) -> dict:
    """A comparison level. ``tf``: adjust u by the term frequency of this column's value; with
    ``tf_of_level``, the level's own u is the average that the term frequency replaces (for
    a level that is not the exact match of that column)."""
    out = {"sql_condition": sql, "label_for_charts": label}
    if null:
        out["is_null_level"] = True
    else:
        out["m_probability"] = m
        out["u_probability"] = u
    if tf:
        out["tf_adjustment_column"] = tf
    if tf_of_level:
        out["disable_tf_exact_match_detection"] = True
    return out


def _comparison(name: str, levels: list[dict]) -> dict:
    return {"output_column_name": name, "comparison_levels": levels,
            "comparison_description": name}


# A married name needs an adult: a birth date at least 16 years ago, or none known.
_ADULT = (f"coalesce(least(birth_l, birth_r), '0000') < "
          f"'{dt.date.today().year - 16}'")


def _close(col: str) -> str:
    """Two folded names that differ by a typo (see :func:`_close_swapped`)."""
    return _close_swapped(col, col)


def _close_swapped(left: str, right: str) -> str:
    """``left`` of one record and ``right`` of the other differ by a typo: one edit (insertion,
    deletion, substitution or transposition of adjacent letters), or two edits when both names
    have 8 letters or more. Jaro-Winkler similarity is not used: its weight on a common prefix
    finds "MARIE ALINE" close to "MARIE BLANCHE", and "MARTIN" to "MARIE", which are other
    people of the same household."""
    a, b = f"{left}_l", f"{right}_r"
    return (f"(damerau_levenshtein({a}, {b}) <= 1 OR (damerau_levenshtein({a}, {b}) <= 2 "
            f"AND least(length({a}), length({b})) >= 8))")


# Two patient numbers one typo apart (one character changed, added, removed or two swapped),
# and not close as numbers: a hospital numbers its patients in sequence, so 2428295 and
# 2428296, or 2428295 and 2428395, are more likely two people registered within hours of each
# other (twins at the maternity) than a slip of the keyboard. A typo in the last three digits
# is therefore not recognised as one.
_IPP_TYPO = ("(damerau_levenshtein(ipp_l, ipp_r) = 1 AND least(length(ipp_l), length(ipp_r)) "
             ">= 7 AND coalesce(abs(TRY_CAST(ipp_l AS HUGEINT) - TRY_CAST(ipp_r AS HUGEINT)) "
             ">= 1000, TRUE))")

# Two records of one family: the same last name, other first names, and no patient number
# in common (twins and siblings have numbers of their own; a shared one lifts the doubt).
_HOUSEHOLD = ("(last_l = last_r AND first_l <> first_r "
              "AND NOT coalesce(ipp_l = ipp_r, FALSE))")

# m: probability of the level for two records of the same person; u: for two different
# people. The log2(m/u) of a pair's levels add up to its match weight (see docs/resolution.md).
COMPARISONS = [
    _comparison("name", [
        _level("last_l IS NULL OR last_r IS NULL OR first_l IS NULL OR first_r IS NULL",
               "name missing", 0, 0, null=True),
        _level("name_key_l = name_key_r", "exact", 0.85, 2e-4, tf="name_key"),
        _level("last_l = first_r AND first_l = last_r", "first/last swapped", 0.01, 1e-5),
        # A typo in one name, the other exact: u is the frequency of the exact name (from
        # the case) times the chance that two people's other names are one edit apart.
        # Noémi and Noémie, Louis and Louise, Daniel and Danielle: two real first names one
        # edit apart are mostly two people (sisters, brothers...), rarely a typo.
        _level(f"last_l = last_r AND {_close('first')} AND first_known_l AND first_known_r",
               "same last name, two known first names one edit apart", 0.02, 2e-5,
               tf="last_variant", tf_of_level=True),
        _level(f"last_l = last_r AND {_close('first')}", "same last name, first name typo",
               0.05, 2e-5, tf="last_typo", tf_of_level=True),
        # Costa and Coste, Dupont and Dupond: two surnames borne by more than 100 people each,
        # one edit apart, are as often two families as a typo.
        _level(f"first_l = first_r AND {_close('last')} AND last_known_l AND last_known_r",
               "same first name, two known last names one edit apart", 0.01, 2e-5,
               tf="first_variant", tf_of_level=True),
        _level(f"first_l = first_r AND {_close('last')}", "same first name, last name typo",
               0.03, 2e-5, tf="first_typo", tf_of_level=True),
        _level(f"{_close('last')} AND {_close('first')}", "typos in both names", 0.01, 2e-6),
        # Two typos of one first name (Didier: Dilier, Ddiier). Only for names of 6 letters or
        # more: shorter names two edits apart are other people (Rana/Oriana, Lina/Lyne).
        _level("last_l = last_r AND damerau_levenshtein(first_l, first_r) <= 2 "
               "AND least(length(first_l), length(first_r)) >= 6",
               "same last name, first names two edits apart", 0.002, 1e-4),
        _level(f"{_close_swapped('last', 'first')} AND {_close_swapped('first', 'last')}",
               "first/last swapped, with typos", 0.005, 5e-6),
        _level(f"{_close('first')} AND "
               "(last_l IN (name_birth_r, name_used_r) OR last_r IN (name_birth_l, name_used_l) "
               "OR name_birth_l = name_birth_r OR name_used_l = name_used_r)",
               "married name vs birth name", 0.03, 5e-5),
        # A last name that differs with the same first name is mostly a married name: likely
        # for a woman, unlikely for a man.
        _level(f"first_l = first_r AND (female_l OR female_r) AND {_ADULT}",
               "same first name, other last name, a woman", 0.06, 0.005,
               tf="first", tf_of_level=True),
        _level(f"first_l = first_r AND coalesce(female_l, female_r) IS NULL AND {_ADULT}",
               "same first name, other last name, sex unknown", 0.03, 0.01,
               tf="first", tf_of_level=True),
        _level("first_l = first_r",
               "same first name, other last name, a man or a child", 0.001, 0.005,
               tf="first", tf_of_level=True),
        _level(f"{_close('first')} AND {_ADULT}", "close first names, other last name",
               0.01, 0.005),
        # One patient number, one last name, other first names: an entry error in the first
        # name (a patient number names one patient of one establishment), unless the birth
        # dates differ (a family or insured person's number shared by siblings). Consecutive
        # numbers (twins registered one after the other) are not the same number.
        # A typo in the number counts as the same number; numbers close to each other do not
        # (twins registered one after the other: 2428295 and 2428296).
        _level(f"last_l = last_r AND (ipp_l = ipp_r OR {_IPP_TYPO}) AND (birth_l IS NULL "
               "OR birth_r IS NULL OR damerau_levenshtein(birth_l, birth_r) <= 1)",
               "other first names, same last name and patient number", 0.005, 0.99),
        _level("ELSE", "different first names", 1e-5, 0.99),
    ]),
    # A record with one name part (only a first name or only a last name) against another
    # record: the part they both have. Only when the full-name comparison above is null.
    _comparison("name_part", [
        _level("(last_l IS NOT NULL AND last_r IS NOT NULL AND first_l IS NOT NULL "
               "AND first_r IS NOT NULL) OR NOT ((first_l IS NOT NULL AND first_r IS NOT NULL) "
               "OR (last_l IS NOT NULL AND last_r IS NOT NULL))",
               "full names on both sides, or no common name part", 0, 0, null=True),
        _level("last_l = last_r", "same last name", 0.85, 1e-4, tf="last", tf_of_level=True),
        _level("first_l = first_r AND (last_l IS NULL OR last_r IS NULL)", "same first name",
               0.85, 0.008, tf="first", tf_of_level=True),
        _level(f"(last_l IS NOT NULL AND last_r IS NOT NULL AND {_close('last')}) "
               f"OR (first_l IS NOT NULL AND first_r IS NOT NULL AND {_close('first')} "
               "AND (last_l IS NULL OR last_r IS NULL))", "a name part one edit apart",
               0.08, 0.002),
        _level("ELSE", "different", 0.07, 0.99),
    ]),
    _comparison("birth", [
        _level("birth_l IS NULL OR birth_r IS NULL", "birth date missing", 0, 0, null=True),
        # Two people of one family with one birth date are twins: among people sharing a last
        # name (and often an address and a phone), a shared birth date proves much less.
        _level(f"birth_l = birth_r AND {_HOUSEHOLD}",
               "exact, same last name, other first names (twins?)", 0.93, 0.02),
        _level("birth_l = birth_r", "exact", 0.93, 5e-5, tf="birth"),
        _level("birth_l = birth_swapped_r", "day/month swapped", 0.02, 1e-4),
        _level("damerau_levenshtein(birth_l, birth_r) = 1", "one character off", 0.03, 5e-4),
        # Born years apart: a parent and a child share a last name, an address, a phone;
        # the birth date keeps them apart (a typo in the year is one character off).
        # A generation apart (15 years or more): a parent and a child, whatever else they
        # share (a name, an address, an e-mail); a typo in the year is one character off
        # (above). Closer dates are weighed like any other difference, and so are dates of
        # records sharing a patient number or their own NIR (a parent and a child do not).
        _level("abs(birth_l[1:4]::INT - birth_r[1:4]::INT) >= 15 "
               "AND NOT coalesce(ipp_l = ipp_r OR nir_l = nir_r, FALSE)", "a generation apart",
               1e-12, 0.6),
        _level("ELSE", "different", 0.008, 0.377),
    ]),
    _comparison("nir", [
        _level("nir_l IS NULL OR nir_r IS NULL", "NIR missing", 0, 0, null=True),
        _level("nir_l = nir_r", "exact", 0.97, 1e-6),
        _level("ELSE", "different", 0.03, 0.999999),
    ]),
    _comparison("nir_vs_birth", [
        # Only a NIR without birth date against a birth date without NIR: otherwise the
        # birth dates (or NIRs) are compared directly and this would count them twice.
        _level("NOT ((nir_l IS NOT NULL AND birth_l IS NULL AND nir_r IS NULL "
               "AND birth_r IS NOT NULL) OR (nir_r IS NOT NULL AND birth_r IS NULL "
               "AND nir_l IS NULL AND birth_l IS NOT NULL))",
               "not a lone NIR against a lone birth date", 0, 0, null=True),
        _level("coalesce(nir_yymm_l, birth_yymm_l) = coalesce(nir_yymm_r, birth_yymm_r)",
               "NIR consistent with the birth date (year, month)", 0.95, 2e-3),
        _level("ELSE", "NIR inconsistent with the birth date", 0.05, 0.998),
    ]),
    _comparison("sex", [
        _level("female_l IS NULL OR female_r IS NULL", "sex unknown", 0, 0, null=True),
        _level("female_l = female_r", "same", 0.99, 0.5),
        _level("ELSE", "different", 0.01, 0.5),
    ]),
    _comparison("ipp", [
        # The hospital's patient number (IPP): one per patient within one establishment, but
        # a group of hospitals (GHT) gives one person several, and two establishments may
        # number two people alike. Different IPPs: duplicates in a patient index (one patient
        # registered twice) run at one or two per cent.
        _level("ipp_l IS NULL OR ipp_r IS NULL", "IPP missing", 0, 0, null=True),
        _level("ipp_l = ipp_r", "same", 0.9, 1e-5),
        # One digit off in a long number: a typo (see _IPP_TYPO), or a patient registered
        # shortly before or after (numbers are dense), hence the modest weights.
        _level(_IPP_TYPO, "one typo apart", 0.025, 5e-4),
        _level("damerau_levenshtein(ipp_l, ipp_r) = 1 AND length(ipp_l) >= 7 "
               "AND length(ipp_l) = length(ipp_r)", "close numbers", 0.015, 5e-4),
        _level("ELSE", "different", 0.02, 0.99999),
    ]),
    _comparison("phones", [
        _level("phones_l IS NULL OR phones_r IS NULL", "phone missing", 0, 0, null=True),
        _level("len(list_intersect(phones_l, phones_r)) > 0", "shared phone", 0.6, 1e-3),
        _level("ELSE", "different", 0.3, 0.999),
    ]),
    _comparison("emails", [
        _level("emails_l IS NULL OR emails_r IS NULL", "e-mail missing", 0, 0, null=True),
        _level("len(list_intersect(emails_l, emails_r)) > 0", "shared e-mail", 0.7, 1e-4),
        # A typo in an e-mail; not in its digits (jean.martin1@ and jean.martin2@ are two).
        _level("damerau_levenshtein(email1_l, email1_r) <= 2 AND "
               "least(length(email1_l), length(email1_r)) >= 10 AND "
               "regexp_replace(email1_l, '[^0-9]', '', 'g') = "
               "regexp_replace(email1_r, '[^0-9]', '', 'g')",
               "e-mails a typo apart", 0.1, 1e-5),
        _level("ELSE", "different", 0.3, 0.9999),
    ]),
    _comparison("postal_code", [
        _level("postal_codes_l IS NULL OR postal_codes_r IS NULL", "postal code missing", 0, 0,
               null=True),
        _level("postal_code_l = postal_code_r", "same", 0.85, 0.02, tf="postal_code"),
        _level("len(list_intersect(postal_codes_l, postal_codes_r)) > 0",
               "a postal code in common", 0.85, 0.02),
        _level("ELSE", "different", 0.15, 0.98),
    ]),
]

COMPARISONS += [
    # The street address. A household shares it: two records with one last name and other
    # first names (parent and child, twins) at one address prove little more than a family.
    _comparison("address", [
        _level("address_l IS NULL OR address_r IS NULL", "address missing", 0, 0, null=True),
        _level(f"{_HOUSEHOLD} AND (address_text_l = address_text_r OR jaro_winkler_similarity("
               "address_text_l, address_text_r) >= 0.9)",
               "same or close address, same last name, other first names (household?)",
               0.7, 0.1),
        _level("address_text_l = address_text_r OR address_l = address_r", "same", 0.6, 2e-4),
        _level("jaro_winkler_similarity(address_text_l, address_text_r) >= 0.9 OR ("
               "len(list_intersect(address_l, address_r)) >= 2 AND "
               "len(list_intersect(address_l, address_r)) * 3 >= "
               "2 * greatest(len(address_l), len(address_r)))",
               "close (typos, a part missing)", 0.25, 2e-3),
        _level("ELSE", "different", 0.15, 0.998),
    ]),
    _comparison("city", [
        _level("city_l IS NULL OR city_r IS NULL", "city missing", 0, 0, null=True),
        _level(f"{_HOUSEHOLD} AND city_l = city_r", "same, same last name, other first names",
               0.8, 0.3),
        _level("city_l = city_r", "same", 0.8, 0.01),
        _level(f"{_close('city')} AND least(length(city_l), length(city_r)) >= 5",
               "one edit apart", 0.05, 5e-4),
        _level("ELSE", "different", 0.15, 0.99),
    ]),
]

BLOCKING_RULES = [
    "l.nir = r.nir",
    "l.ipp = r.ipp",
    "l.birth = r.birth",
    "l.phone1 = r.phone1",
    "l.email1 = r.email1",
    "l.name_block = r.name_block",
    # A record without birth date against its namesakes: the blocks above miss it when it
    # has no NIR, phone or e-mail in common with them.
    "l.name_key = r.name_key AND (l.birth IS NULL OR r.birth IS NULL)",
    # ... and with first and last names swapped, or a typo in one of the names.
    "l.last = r.first AND l.first = r.last",
    # (Two records without birth date: only at one postal code, or the blocks of a common
    # name in a dump without birth dates grow with the square of its records.)
    "l.last = r.last AND l.first[1] = r.first[1] AND (l.birth IS NULL) <> (r.birth IS NULL)",
    "l.first = r.first AND l.last[1] = r.last[1] AND (l.birth IS NULL) <> (r.birth IS NULL)",
    "l.last = r.last AND l.first[1] = r.first[1] AND l.postal_code = r.postal_code "
    "AND l.birth IS NULL AND r.birth IS NULL",
    "l.first = r.first AND l.last[1] = r.last[1] AND l.postal_code = r.postal_code "
    "AND l.birth IS NULL AND r.birth IS NULL",
    # One last name at one postal code: a typo in the birth year and in the first name
    # (Imogen, born 1936, and "Imzogen", born 1930) leaves no other block in common.
    "l.last = r.last AND l.postal_code = r.postal_code",
    # Married and birth names: "DUPONT épouse MARTIN" against "DUPONT" or "MARTIN".
    "l.first = r.first AND l.name_birth = r.name_birth",
    "l.first = r.first AND l.name_used = r.name_used",
]

#: Rules that admit almost no false match, and the share of true pairs they are assumed to
#: find: the prior is the pairs they find / this recall / all pairs.
DETERMINISTIC_RULES = ["l.nir = r.nir", "l.name_key = r.name_key AND l.birth = r.birth"]
DETERMINISTIC_RECALL = 0.7
PRIOR_BOUNDS = (1e-9, 1e-3)


def _register_gazetteers(db: duckdb.DuckDBPyConnection) -> None:
    """The INSEE first-name and surname gazetteers as ``_bs_first_names`` / ``_bs_surnames``
    (name, tier) on the case connection, for the input query."""
    import pyarrow as pa

    from breachscope.detect.names import first_names, surnames
    for view, table in (("_bs_first_names", first_names()), ("_bs_surnames", surnames())):
        db.register(view, pa.table({"name": list(table), "tier": list(table.values())}))


def estimate_prior(con: duckdb.DuckDBPyConnection, table: str, n: int) -> float:
    """The probability that two records drawn at random are the same person, estimated on the
    case itself: the pairs found by :data:`DETERMINISTIC_RULES`, divided by their assumed
    recall and by the number of pairs, within :data:`PRIOR_BOUNDS`. (Splink's
    ``estimate_probability_two_random_records_match`` does the same but fails on tiny cases
    where the rules find more than ``recall`` of all pairs.)

    When ``table`` is a collapsed input (:data:`_COLLAPSE_SQL`: one row per group of identical
    records, their number in ``_n``, and twin rows marked by ``twin_of``), the pairs are
    counted as among the records it stands for: ``_n(l) * _n(r)`` for two groups, ``_n
    choose 2`` inside a group the rules match with itself; ``n`` is then the records' count."""
    columns = {c for (c,) in con.execute(
        f"SELECT column_name FROM (DESCRIBE {table})").fetchall()}
    if "_n" in columns:
        # The records sharing a key are N = sum(_n) over its groups, and make N choose 2
        # pairs (between groups and inside each); pairs found by either rule: inclusion-
        # exclusion over the two keys and their combination. GROUP BY, linear: a join on
        # "rule 1 OR rule 2" is no hash join for DuckDB but a nested loop (measured: 12 s
        # for 20 000 groups, 142 s for 80 000; hours at a million).
        rows = f"(SELECT * FROM {table} WHERE twin_of IS NULL)"
        first, second = (block_sql(rule)[0] for rule in DETERMINISTIC_RULES)
        found = sum(
            sign * con.execute(
                f"SELECT coalesce(sum(n * (n - 1) // 2), 0) FROM (SELECT sum(_n) AS n "
                f"FROM {rows} WHERE ({key}) IS NOT NULL GROUP BY {key})").fetchone()[0]
            for sign, key in ((1, first), (1, second), (-1, f"{first} || chr(31) || {second}")))
    else:
        pairs = " UNION ".join(
            f"SELECT l.unique_id, r.unique_id FROM {table} l JOIN {table} r "
            f"ON ({rule}) AND l.unique_id < r.unique_id" for rule in DETERMINISTIC_RULES)
        found = con.execute(f"SELECT count(*) FROM ({pairs})").fetchone()[0]
    # A small case may have no deterministic pair at all: assume at least one pair per four
    # records (a dump rarely names each person once), so the prior never collapses to zero.
    prior = max(found, n / 4) / DETERMINISTIC_RECALL / (n * (n - 1) / 2)
    return min(max(prior, PRIOR_BOUNDS[0]), PRIOR_BOUNDS[1])


def settings(prior: float = PRIOR, *, twins: bool = False,
             capped: Collection[int] = ()) -> dict:
    """Splink's settings. ``twins``: the input is collapsed (:data:`_COLLAPSE_SQL`), and a
    twin row is compared with its own group's representative only. ``capped``: the rules
    whose oversized blocks the input marks (:func:`breachscope.resolve.blocks.cap_blocks`)."""
    rules = [f"({rule}) AND {_TWIN_RULE}" if twins else rule
             for rule in capped_rules(BLOCKING_RULES, set(capped))]
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": "unique_id",
        "probability_two_random_records_match": prior,
        "comparisons": COMPARISONS,
        "blocking_rules_to_generate_predictions": [
            {"blocking_rule": rule} for rule in rules],
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": False,
    }


def splink_connection(db: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Splink's own in-memory DuckDB connection, set like the case's: its ``memory_limit``, a
    spill directory inside the case's capped by :func:`breachscope.resolve.spill.spill_cap`
    (``max_temp_directory_size``), no extension loaded from the network, and its spill files
    encrypted when the case's are (an encrypted case)."""
    memory_limit, temp_dir, encrypted = db.execute(
        "SELECT current_setting('memory_limit'), current_setting('temp_directory'), "
        "current_setting('temp_file_encryption')").fetchone()
    config = {"memory_limit": memory_limit, "autoinstall_known_extensions": False,
              "autoload_known_extensions": False}
    if temp_dir:
        # A directory of its own: two DuckDB instances spilling into one directory both
        # name their file duckdb_temp_storage_DEFAULT-0.tmp and overwrite each other's.
        spill = Path(temp_dir) / "linkage"
        spill.mkdir(parents=True, exist_ok=True)
        config["temp_directory"] = str(spill)
    con = duckdb.connect(":memory:", config=config)
    if temp_dir:
        # Set after connecting: DuckDB 1.4 shows a max_temp_directory_size given in the
        # connect config but does not enforce it (measured: 536 MiB spilled under "1 MiB").
        con.execute(f"SET max_temp_directory_size = '{spill_cap(spill)}B'")
    if str(encrypted).lower() == "true":
        # Names, NIRs and birth dates spilled in plaintext would defeat the case's encryption.
        from breachscope.case import encrypt_temp_files
        encrypt_temp_files(con)
    return con


class LinkageStats(NamedTuple):
    """What one linkage did: records in, candidate pairs its blocking rules generated (the
    pairs it compared: its work and spill grow with them), pairs scored above the threshold
    (as edges between records), and the distinct records Splink saw (:data:`_COLLAPSE_SQL`)."""
    records: int
    candidate_pairs: int
    pairs: int
    distinct: int = 0
    #: Blocks not used by their rule, over the cap of pairs (resolve.blocks).
    capped_blocks: int = 0


# Identical records are scored once. A dump repeats people (a hospital's exports of several
# years, a table copied into ten spreadsheets): on the throughput bench's 50 MB dump each
# person had ~107 records, which Splink's blocking paired quadratically (333 480 records but
# only 4 831 distinct rows of comparison columns). Two records whose comparison columns are
# all equal get the same comparison vector against any third record, and the same blocks: so
# one representative per group (its smallest ``rn``) is scored, and each pair it scores above
# the threshold stands for all the pairs of the two groups (mapped back in _EDGES_SQL). Whether
# the copies of one group are matched *with each other* is the score of the representative
# against a copy of itself: a twin row (``unique_id = -rep``, ``twin_of = rep``), which
# :data:`_TWIN_RULE` lets Splink compare with its representative only. Copies of a sparse
# record (a first name and a city) thus stay apart as before, copies with a NIR join.
# The records are grouped as they are prepared, never stored one by one: the 7.6 M records of
# a 1 GB dump (14 476 distinct) ran out of the 1 GB memory limit as a table of their own.
#
# Two steps (issue 15): the records whose *inputs* are equal (their exact-key group and every
# field the preparation reads) are grouped first, the preparation — folding, gazetteers,
# regular expressions, one row per record — runs once per distinct input, then the prepared
# rows are grouped as before (two inputs may prepare alike: "Dupont" and "DUPONT"). The same
# groups as preparing every record: a group's aggregates in the preparation (min, and/or,
# distinct contacts) do not change when its records come once per distinct input. At 1 GB,
# 7.6 M records prepared one by one cost 136 CPU s.
_RAW_COLUMNS = ("address", "birth_date", "city", "emails", "full_name", "nir", "patient_id",
                "phones", "sex")
# The records' raw fields are read from ``_bs_raw`` (resolve.people: the records as read, by
# their number ``rn``), where the birth date, phones and e-mails are raw and the others are
# kept as ``r_<field>``: joining 7.6 M records by their string ids was half of this statement.
_RAW_IN_RAW = {"birth_date": "birth_date", "emails": "emails", "phones": "phones"}
_RAW_SQL = f"""
CREATE OR REPLACE TEMP TABLE _bs_link_raw AS
SELECT min(b.rn) AS rn, sum(x.n)::BIGINT AS _raw_n, list(b.rn) AS _raw_members, e.grp,
    b.* EXCLUDE (rn, first_id),
    {", ".join(f"x.{_RAW_IN_RAW.get(c, 'r_' + c)} AS r_{c}" for c in _RAW_COLUMNS)}
FROM _bs_rec b JOIN _bs_exact e USING (rn) JOIN _bs_raw x USING (rn)
GROUP BY ALL
"""


def _from_raw(sql: str) -> str:
    """:data:`_INPUT_SQL` over ``_bs_link_raw`` (one row per distinct input) instead of the
    records: each replacement must apply exactly as written."""
    for old, new in (("    FROM _bs_rec b\n", "    FROM _bs_link_raw b\n"),
                     ("SELECT b.rn, e.grp,", "SELECT b.rn, b.grp,"),
                     ("FROM oriented b JOIN _bs_exact e USING (rn) "
                      "JOIN _bs_sig r USING (rn),", "FROM oriented b,")):
        if sql.count(old) != 1:
            raise AssertionError(f"linkage input: {old!r} not found once")
        sql = sql.replace(old, new)
    sql, n = re.subn(r"\br\.(\w+)", lambda m: f"b.r_{m.group(1)}", sql)
    if n != 14 or re.search(r"\be\.", sql):
        raise AssertionError("linkage input: records' fields not all read from the inputs")
    return sql


_COLLAPSE_SQL = """
CREATE OR REPLACE TEMP TABLE _bs_link_groups AS
SELECT min(unique_id) AS unique_id, sum(_raw_n)::BIGINT AS _n,
    list_sort(flatten(list(_raw_members))) AS _members,
    COLUMNS(c -> c NOT IN ('unique_id', '_raw_n', '_raw_members'))
FROM (SELECT i.*, x._raw_n, x._raw_members
      FROM ({input}) i JOIN _bs_link_raw x ON x.rn = i.unique_id)
GROUP BY ALL
""".replace("{input}", _from_raw(_INPUT_SQL))
_SPLINK_INPUT_SQL = """
SELECT * EXCLUDE (_members), NULL::BIGINT AS twin_of FROM _bs_link_groups
UNION ALL BY NAME
SELECT * EXCLUDE (_members, unique_id), -unique_id AS unique_id, unique_id AS twin_of
FROM _bs_link_groups WHERE _n > 1
"""
#: Added to every blocking rule on a collapsed input: two representatives, or a
#: representative and its own twin.
_TWIN_RULE = ("(coalesce(l.twin_of, r.twin_of) IS NULL OR l.twin_of = r.unique_id "
              "OR r.twin_of = l.unique_id)")
# Splink's pairs (``_bs_splink_arrow(l, r, p)``, l < r, ids of representatives or twins) as
# edges between records: a pair of two groups links every member of each to the other's
# representative (the same components as all the pairs, in as many edges as records); a
# group matched with its twin links its members to its representative.
_EDGES_SQL = """
INSERT INTO _bs_splink_edges
WITH s AS (SELECT least(l, r) AS l, greatest(l, r) AS r, p FROM _bs_splink_arrow),
members AS (SELECT unique_id AS rep, unnest(_members) AS rn
            FROM _bs_link_groups WHERE _n > 1),
e AS (
    SELECT s.l AS x, s.r AS y, s.p FROM s WHERE s.l > 0
    UNION ALL
    SELECT m.rn, s.r, s.p FROM s JOIN members m ON m.rep = s.l WHERE s.l > 0
    UNION ALL
    SELECT s.l, m.rn, s.p FROM s JOIN members m ON m.rep = s.r WHERE s.l > 0
    UNION ALL
    SELECT m.rn, m.rep, s.p FROM s JOIN members m ON m.rep = s.r WHERE s.l < 0
)
SELECT DISTINCT greatest(x, y) AS a, least(x, y) AS b, p FROM e WHERE x <> y
"""
# The members of the groups matched with their own twin: their records are one person, even
# where a group is one input (resolve.people: a signature standing for many records).
_JOINED_SQL = """
INSERT INTO _bs_splink_joined
SELECT unnest(g._members) FROM _bs_link_groups g
SEMI JOIN _bs_splink_arrow s ON least(s.l, s.r) < 0 AND greatest(s.l, s.r) = g.unique_id
"""
_LINK_TMP = ("_bs_link_raw", "_bs_link_groups")


def splink_edges(db: duckdb.DuckDBPyConnection, *, threshold: float | None = None,
                 backend: str = "duckdb") -> LinkageStats:
    """Create ``temp._bs_splink_edges(a, b)`` (numbers ``rn`` of ``_bs_rec``, a > b) with the
    pairs Splink scores at or above ``threshold``, and ``temp._bs_splink_joined(rn)``, the
    inputs matched with a copy of themselves; returns its :class:`LinkageStats`.
    Identical records are scored once (:data:`_COLLAPSE_SQL`). Splink's connection gets the
    case connection's ``memory_limit`` and a capped spill directory inside the case's, so
    nothing is written outside the case; reaching the cap raises
    :class:`breachscope.resolve.spill.SpillCapReached`. ``backend``: where Splink scores the
    pairs, ``"duckdb"`` (in process) or ``"spark"`` (:mod:`breachscope.resolve.spark`)."""
    if threshold is None:
        threshold = THRESHOLD
    start = time.perf_counter()
    db.execute("CREATE OR REPLACE TEMP TABLE _bs_splink_edges (a BIGINT, b BIGINT, p DOUBLE)")
    db.execute("CREATE OR REPLACE TEMP TABLE _bs_splink_joined (rn BIGINT)")
    _register_gazetteers(db)
    try:
        try:
            db.execute(_RAW_SQL)
            db.execute(_COLLAPSE_SQL)
            db.execute("DROP TABLE _bs_link_raw")
        finally:
            db.unregister("_bs_first_names")
            db.unregister("_bs_surnames")
        n = db.execute("SELECT coalesce(sum(_n), 0) FROM _bs_link_groups").fetchone()[0]
        distinct = db.execute("SELECT count(*) FROM _bs_link_groups").fetchone()[0]
        # Blocks too big to pair (resolve.blocks): their records get a column per rule.
        over = cap_blocks(db, "_bs_link_groups", BLOCKING_RULES)
        capped = sum(blocks for blocks, _ in over.values())
        records = _arrow(db.execute(_SPLINK_INPUT_SQL))
        if records.num_rows < 2 or (not over and not _any_candidate(db, records)):
            return LinkageStats(n, 0, 0, distinct, capped)
        candidates, edges = _score(db, records, n, threshold, backend, over.keys())
        db.register("_bs_splink_arrow", edges)
        try:
            db.execute(_EDGES_SQL)
            db.execute(_JOINED_SQL)
        finally:
            db.unregister("_bs_splink_arrow")
        pairs = db.execute("SELECT count(*) FROM _bs_splink_edges").fetchone()[0]
    finally:
        for table in _LINK_TMP:
            db.execute(f"DROP TABLE IF EXISTS temp.{table}")
    log.debug("linkage: %d records (%d distinct), %d candidate pairs, %d pairs in %.1f s", n,
              distinct, candidates, pairs, time.perf_counter() - start)
    return LinkageStats(n, candidates, pairs, distinct, capped)


#: Up to this many inputs, whether any pair meets a blocking rule is asked of DuckDB before
#: Splink is set up (:func:`_any_candidate`).
FEW_INPUTS = 1000


def _any_candidate(db: duckdb.DuckDBPyConnection, records) -> bool:
    """Whether Splink would score any pair of the collapsed ``records`` (Arrow): a pair meeting
    one of its blocking rules (:func:`settings`' own, twins included). Without one it returns
    no pair, so its set-up — the linker's settings parsed by sqlglot, its own connection, the
    prior and term frequencies, ~180 statements: 0.5-0.7 s — is skipped: a scan of one letter
    spent a third of its time after the files there (issue 15, the fixed cost set apart from
    Presidio's ratio). A self-join of every pair, so only for :data:`FEW_INPUTS` inputs."""
    if records.num_rows > FEW_INPUTS:
        return True
    rules = " OR ".join(f"({rule['blocking_rule']})" for rule in
                        settings(twins=True)["blocking_rules_to_generate_predictions"])
    db.register("_bs_few_inputs", records)
    try:
        return bool(db.execute(
            f"SELECT EXISTS (SELECT 1 FROM _bs_few_inputs l JOIN _bs_few_inputs r "
            f"ON l.unique_id <> r.unique_id AND ({rules}))").fetchone()[0])
    finally:
        db.unregister("_bs_few_inputs")


def _arrow(result):
    """A DuckDB result as a pyarrow Table (``.arrow()`` is a reader in some versions)."""
    table = result.arrow()
    return table.read_all() if hasattr(table, "read_all") else table


def _score(db: duckdb.DuckDBPyConnection, records, n: int, threshold: float,
           backend: str = "duckdb", capped: Collection[int] = ()):
    """Splink on the collapsed ``records`` (Arrow): the number of candidate pairs and the pairs
    at or above ``threshold`` as an Arrow table ``(l, r, p)``. The prior and the term
    frequencies are computed by DuckDB; the scoring by Splink's DuckDB backend, or with
    ``backend="spark"`` by its Spark backend (:mod:`breachscope.resolve.spark`)."""
    from splink import DuckDBAPI, Linker

    con = splink_connection(db)
    cap = parse_cap(con)
    try:
        api = DuckDBAPI(connection=con)
        sdf = api.register(records, table_name="bs_records")
        prior = estimate_prior(con, "bs_records", n)
        log.debug("linkage: prior %.3g", prior)
        frequencies = {column: _arrow(con.execute(_frequency_sql(column)))
                       for column in _TF_COLUMNS}
        if backend == "spark":
            from breachscope.resolve import spark
            temp_dir = db.execute("SELECT current_setting('temp_directory')").fetchone()[0]
            scratch = Path(temp_dir or ".") / "linkage-spark"
            try:
                return spark.score(con, records, settings(prior, twins=True, capped=capped),
                                   frequencies, threshold, scratch)
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
        # Splink's settings validation checks a user's hand-written settings for typos; ours
        # are generated and covered by the tests, and the check (sqlglot parsing every
        # comparison) doubled the linker's construction: 0.23-0.42 s -> 0.11-0.13 s.
        linker = Linker(sdf, settings(prior, twins=True, capped=capped),
                        log_level=logging.WARNING, validate_settings=False)
        for column, table in frequencies.items():
            linker.table_management.register_term_frequency_lookup(
                api.register(table, table_name=f"bs_tf_{column}"), column)
        # The candidate pairs, materialised once (predict() reuses them from Splink's cache):
        # their number is the linkage's work, logged and kept in meta.
        blocked = linker.inference.compute_blocked_pairs_for_predict()
        candidates = con.execute(f"SELECT count(*) FROM {blocked.physical_name}").fetchone()[0]
        pairs = linker.inference.predict(threshold_match_probability=threshold,
                                         warning_mode="never") \
            if _accepts_warning_mode(linker) else \
            linker.inference.predict(threshold_match_probability=threshold)
        edges = _arrow(con.execute(
            f"SELECT unique_id_l AS l, unique_id_r AS r, match_probability AS p "
            f"FROM {pairs.physical_name}"))
    except Exception as exc:
        if is_spill_cap_error(exc):
            raise reached(cap, "spill/linkage") from None
        raise
    finally:
        con.close()
    return candidates, edges


def parse_cap(con: duckdb.DuckDBPyConnection) -> int:
    """The connection's ``max_temp_directory_size`` in bytes (for the error message)."""
    from breachscope.resolve.spill import parse_size
    value = con.execute("SELECT current_setting('max_temp_directory_size')").fetchone()[0]
    return parse_size(str(value)) or 0


def _accepts_warning_mode(linker) -> bool:
    import inspect
    return "warning_mode" in inspect.signature(linker.inference.predict).parameters

