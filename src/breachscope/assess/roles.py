"""Roles from evidence beyond a record's own context: a person of unknown role is STAFF when
one of their records carries a professional identifier (RPPS/ADELI), when they are known only
from table rows of files whose path names staff (``rh/annuaire.csv``, ``planning_2023.xlsx``),
or when they write from the hospital's own e-mail domain — a domain that people already known
as staff use, and that is not a public webmail. Patients keep their role: a nurse treated in
her hospital is, for this leak, a patient whose care is exposed."""

from __future__ import annotations

from breachscope.case import Case, entity_list_sql

# Public webmail and ISP domains: never an employer's domain.
PUBLIC_MAIL_DOMAINS = (
    "gmail.com", "googlemail.com", "hotmail.com", "hotmail.fr", "outlook.com", "outlook.fr",
    "live.com", "live.fr", "msn.com", "yahoo.com", "yahoo.fr", "icloud.com", "me.com",
    "aol.com", "orange.fr", "wanadoo.fr", "free.fr", "sfr.fr", "neuf.fr", "laposte.net",
    "bbox.fr", "numericable.fr", "gmx.fr", "gmx.com", "protonmail.com", "proton.me",
)
MIN_STAFF_FOR_DOMAIN = 3  # people known as staff who must use a domain before it counts
# Words of a file's path (folded to lower case) that name a staff file: a directory, an HR
# export, a planning, a payroll. Matched as whole words of the path.
STAFF_FILE_WORDS = (
    "annuaire", "annuaires", "personnel", "personnels", "rh", "grh", "drh",
    "ressources humaines", "planning", "plannings", "agents", "agent", "staff", "effectif",
    "effectifs", "organigramme", "trombinoscope", "paie", "salaries", "salaires",
    "employes", "employees", "medecins", "praticiens", "soignants", "astreintes",
    "astreinte", "gardes", "equipe", "equipes",
)


def _staff_path_regex() -> str:
    words = "|".join(w.replace(" ", "[ _-]") for w in STAFF_FILE_WORDS)
    return rf"(^|[^a-z0-9])({words})([^a-z0-9]|$)"


def assess_roles(case: Case) -> int:
    """Promote UNKNOWN people to STAFF on professional evidence; returns how many."""
    before = case.db.execute("SELECT count(*) FROM people WHERE role = 'STAFF'").fetchone()[0]
    public = ", ".join(f"'{d}'" for d in PUBLIC_MAIL_DOMAINS)
    case.db.execute(
        f"""
        WITH staff_domains AS (
            SELECT split_part(e, '@', 2) AS domain
            FROM (SELECT person_id, unnest(emails) AS e FROM people WHERE role = 'STAFF')
            GROUP BY 1
            HAVING count(DISTINCT person_id) >= {MIN_STAFF_FOR_DOMAIN}
               AND split_part(e, '@', 2) NOT IN ({public})
        ),
        by_domain AS (
            SELECT DISTINCT p.person_id
            FROM (SELECT person_id, unnest(emails) AS e FROM people WHERE role = 'UNKNOWN') p
            JOIN staff_domains d ON split_part(p.e, '@', 2) = d.domain
        ),
        staff_files AS (   -- a directory, an HR export, a planning, by its path
            SELECT DISTINCT sha256 FROM files
            WHERE regexp_matches(strip_accents(lower(path)), '{_staff_path_regex()}')
        ),
        -- One pass over the records of people of unknown role (two joins of every record
        -- with its person, one per rule, took 55 s at 10 GB, this 6 s): a professional
        -- identifier in any record, or only table rows of staff files.
        by_record AS (
            SELECT pr.person_id
            FROM person_records pr JOIN records r USING (record_id)
                LEFT JOIN staff_files s ON s.sha256 = r.sha256
            WHERE pr.person_id IN (SELECT person_id FROM people WHERE role = 'UNKNOWN')
            GROUP BY pr.person_id
            HAVING bool_or(list_contains({entity_list_sql('r.entities')}, 'RPPS'))
                OR bool_and(CASE WHEN s.sha256 IS NULL THEN false
                                 ELSE r.role_hint = 'UNKNOWN'
                                      AND regexp_matches(r.location, '(^|, )row [^,]+$') END)
        )
        UPDATE people SET role = 'STAFF'
        WHERE role = 'UNKNOWN' AND (person_id IN (SELECT person_id FROM by_domain)
                                    OR person_id IN (SELECT person_id FROM by_record))
        """
    )
    after = case.db.execute("SELECT count(*) FROM people WHERE role = 'STAFF'").fetchone()[0]
    return after - before
