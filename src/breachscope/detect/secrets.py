"""Credentials in configuration files, dumps, logs and prose: passwords, connection strings,
API keys and tokens, private keys, password hashes.

**Values are masked.** A finding's value names the kind of secret and what identifies the
account (key name, user, host) with the secret itself replaced by ``***``:
``postgres-url:postgresql://app:***@db.chu.fr:5432/dpi``, ``password:DB_PASSWORD=***``,
``bcrypt-hash:$2y$10$***``, ``aws-access-key-id:AKIAIOSFODNN7EXAMPLE`` (a key id is not
secret), ``private-key:RSA``. The responder learns what to rotate; the case store and its
exports do not spread the secrets further (the leaked file is where they are).

Not credentials: an empty value, placeholders (``changeme``, ``${DB_PASSWORD}``,
``%(pwd)s``, ``{{ secret }}``, ``<password>``, ``****``, ``xxx``, ``null``, ``[REDACTED]``...),
code reading a secret from elsewhere (``password = os.environ[...]``, ``getenv(...)``,
``self.password``), and prose (``mot de passe oublié``, ``password: see the wiki``). A
value that is a single plain lower-case word gets a lower confidence (0.7) than one with
digits, symbols or mixed case (0.9).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator

Hit = tuple[int, int, str, float, str]

MASK = "***"

# --------------------------------------------------------------------------- placeholders

_PLACEHOLDER_WORDS = frozenset({
    "", "changeme", "change_me", "change-me", "changeit", "password", "passwd", "pwd",
    "motdepasse", "mot_de_passe", "mdp", "secret", "your_password", "yourpassword",
    "your-password", "mypassword", "my_password", "<password>", "none", "null", "nil",
    "undefined", "true", "false", "yes", "no", "empty", "todo", "tbd", "fixme", "redacted",
    "[redacted]", "<redacted>", "hidden", "masked", "example", "sample", "dummy", "test",
    "token", "your_token", "your-token", "api_key", "your_api_key", "apikey", "xxx", "string",
    "str", "required", "optional", "value", "voir", "see", "cf", "idem", "n/a", "na",
    "inconnu", "unknown", "oublie", "oublié", "obligatoire", "requis", "default", "defaut",
    "défaut",
})
_TEMPLATE = re.compile(
    r"^(?:\$\{.*\}|\$\(.*\)|\$[A-Za-z_]\w*|%\(\w+\)[sd]|%s|%\w+%|\{\{.*\}\}|\{%.*%\}|<[^<>]*>"
    r"|#\{.*\}|@\w+@|\[\w[\w ]*\]|\{\w*\}|:\w+|\?|ENC\(.*\)|vault:.*|secret:.*)$",
    re.IGNORECASE,
)
_CODE_REFERENCE = re.compile(
    r"^(?:(?:os\.)?(?:environ|getenv)\b|process\.env\b|System\.getenv|ENV\[|config\b|conf\b"
    r"|settings\b|self\.|this\.|args\.|options\.|opts\.|params\.|request\.|req\.|kwargs\b"
    r"|env\(|getpass\b|input\(|None\b|null\b|undefined\b|new\s|await\s|function\b|lambda\b"
    r"|[A-Za-z_]\w*\s*\(|[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+$|[A-Za-z_]\w*\[)"
)
_SAME_CHAR = re.compile(r"^(.)\1*$")


def is_placeholder_secret(value: str, key: str = "") -> bool:
    """True when ``value`` does not hold a secret: empty, a placeholder or template variable,
    masking characters, or code reading the secret from elsewhere."""
    v = value.strip()
    folded = v.lower()
    if folded in _PLACEHOLDER_WORDS or len(v) < 3:
        return True
    if _SAME_CHAR.match(v) or set(v) <= set("*xX•.#_-?"):
        return True
    if v.startswith(("${", "{{", "$(", "#{", "%(", "{%", "<%")):
        return True
    if _TEMPLATE.match(v) or _CODE_REFERENCE.match(v):
        return True
    if key and folded == key.lower():
        return True
    return folded.startswith(("your", "<your", "my_", "enter", "insert", "put_", "saisir"))


def _strength(value: str) -> float:
    """0.9 for a value with digits, symbols or mixed case; 0.7 for one plain word."""
    if value.isalpha() and (value.islower() or value.isupper()):
        return 0.7
    return 0.9


# --------------------------------------------------------------------------- patterns

_SECRET_KEY = (
    r"(?:[A-Za-z0-9_.\-]*?(?:password|passwd|passwort|passphrase|pwd|pass|mot[ _\-]?de[ _\-]?passe"
    r"|mdp|secret|api[_\-]?key|apikey|access[_\-]?key|secret[_\-]?key|private[_\-]?key"
    r"|auth[_\-]?token|access[_\-]?token|refresh[_\-]?token|bearer[_\-]?token|api[_\-]?token"
    r"|token|client[_\-]?secret|credentials?)[A-Za-z0-9_\-]*)"
)
# Keys that are a whole word/identifier; ``pass`` and ``token`` only as a complete key or its
# suffix (``db_pass``, ``api_token``), never inside words (``passage``, ``tokenizer``).
_KEY_OK = re.compile(
    r"(?:^|[_.\-])(?:password|passwd|passwort|passphrase|pwd|pass|mdp|secret|apikey|api[_\-]?key"
    r"|access[_\-]?key|secret[_\-]?key|private[_\-]?key|token|credentials?)(?:$|[_.\-])"
    r"|mot[ _\-]?de[ _\-]?passe|^(?:db|user|admin|root|mysql|pg|postgres|redis|ftp|smtp|ldap"
    r"|mail|sql|app|api)?_?(?:password|passwd|pwd|pass|secret|token)$",
    re.IGNORECASE,
)
_NOT_SECRET_KEY = re.compile(
    r"(?:expir|length|min|max|policy|reset|forgot|oubli|hint|field|label|prompt|placeholder"
    r"|regex|pattern|type|required|changed|updated|created|date|age|rule|strength|hash_?algo"
    r"|salt_?rounds|file|path|url|uri|endpoint|header|name|id$|_id\b|count|enabled|enable"
    r"|disabled|valid|validity|ttl|timeout|lifetime|duration|format|encoding|mode|policy"
    r"|complexity|confirm|manager|store|storage|backend|provider|class|method|flag|_len"
    r"|bypass|passage|passenger|passeport|passport|compass|pass_?through|passe?[_\-]?partout)",
    re.IGNORECASE,
)

_KV = re.compile(
    # key (optionally quoted) ... separator ... value (quoted, or unquoted to a delimiter)
    rf"(?P<kq>[\"']?)(?P<key>{_SECRET_KEY})(?P=kq)"
    r"(?P<sep>\s*(?::=|=>|->|=|:)\s*|\s+(?=[\"']))"
    r"(?:\"(?P<dq>[^\"\n]*)\"|'(?P<sq>[^'\n]*)'"
    r"|(?P<bare>(?:[^\s\"'<>;,&)\]}]|&(?![\w.\-]+=))+))",
    re.IGNORECASE,
)
# XML elements and attributes: <password>x</password>, password="x" handled by _KV.
_XML = re.compile(
    rf"<(?P<tag>{_SECRET_KEY})(?:\s[^>]*)?>(?P<value>[^<\n]+)</(?P=tag)>", re.IGNORECASE
)
# "mot de passe : X" in prose / forms.
_PROSE = re.compile(
    r"(?P<key>\b(?:mot\s+de\s+passe|password|mdp|code\s+d'acc[èe]s|passphrase)\b)"
    r"(?:\s+(?:provisoire|temporaire|initial|par\s+d[ée]faut|admin(?:istrateur)?|root|wifi"
    r"|wi-fi|du\s+compte|de\s+session|\w+))?\s*(?:est|is|=|:|->)\s*"
    r"(?:\"(?P<dq>[^\"\n]+)\"|«\s*(?P<fq>[^»\n]+?)\s*»|(?P<bare>\S+))",
    re.IGNORECASE,
)

_URL = re.compile(
    r"(?P<scheme>\b(?:jdbc:)?(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|redis|rediss"
    r"|amqps?|mssql|sqlserver|oracle|db2|ftp|ftps|sftp|smtps?|imaps?|pop3s?|ldaps?|https?"
    r"|ssh|mqtt|ws|wss|neo4j|cassandra|couchdb|elasticsearch|clickhouse)(?:\+\w+)?)://"
    r"(?P<user>[^\s:/@'\"<>]{1,128}):(?P<password>[^\s@/'\"<>]{1,256})@(?P<rest>[^\s'\"<>]*)",
    re.IGNORECASE,
)
_JDBC_ORACLE = re.compile(
    r"\bjdbc:oracle:(?:thin|oci):(?P<user>[^\s/@:]+)/(?P<password>[^\s@]+)@(?P<rest>\S+)",
    re.IGNORECASE,
)
_PRIVATE_KEY = re.compile(
    r"-----BEGIN (?P<kind>(?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?)-----"
)
# (kind, pattern, lower-case literals one of which must occur for the pattern to run)
_TOKENS: tuple[tuple[str, re.Pattern[str], tuple[str, ...]], ...] = (
    ("aws-access-key-id", re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[0-9A-Z]{16}\b"),
     ("akia", "asia", "agpa", "aida", "aroa", "anpa")),
    ("github-token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_\w{22,255})\b"),
     ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_")),
    ("gitlab-token", re.compile(r"\bglpat-[A-Za-z0-9_\-]{20,}\b"), ("glpat-",)),
    ("slack-token", re.compile(r"\bxox[abposr]-[A-Za-z0-9\-]{10,}\b"), ("xox",)),
    ("google-api-key", re.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b"), ("aiza",)),
    ("stripe-key", re.compile(r"\b(?:sk|rk)_live_[0-9A-Za-z]{16,}\b"), ("_live_",)),
    ("openai-key", re.compile(r"\bsk-(?:proj-)?[A-Za-z0-9_\-]{32,}\b"), ("sk-",)),
)
_JWT = re.compile(r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{16,}")
_AUTH_HEADER = re.compile(
    r"\b(?P<scheme>Bearer|Basic|Token)\s+(?P<token>[A-Za-z0-9_\-.~+/]{16,}=*)", re.IGNORECASE
)
# Password hashes: bcrypt, crypt MD5/SHA-256/SHA-512, Apache MD5, argon2, scrypt, LDAP,
# Django/Werkzeug pbkdf2.
_HASHES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("bcrypt-hash", re.compile(r"\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}")),
    ("crypt-hash", re.compile(
        r"\$(?:1|5|6|apr1|md5|sha1|y|gy|7)\$(?:rounds=\d+\$)?[./A-Za-z0-9]{1,64}\$[./A-Za-z0-9]{22,}"
    )),
    ("argon2-hash", re.compile(r"\$argon2(?:id|i|d)\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+"
                               r"\$[A-Za-z0-9+/]+")),
    ("ldap-hash", re.compile(r"\{(?:SSHA|SHA|SSHA256|SSHA512|SHA256|SHA512|MD5|SMD5|CRYPT"
                             r"|PBKDF2[-\w]*)\}[A-Za-z0-9+/.$=]{8,}", re.IGNORECASE)),
    ("pbkdf2-hash", re.compile(r"\b(?:pbkdf2_sha(?:1|256|512)|pbkdf2:sha(?:1|256|512):\d+)"
                               r"\$\w*\$?[A-Za-z0-9+/=]{16,}")),
)
_HASH_SCHEME = re.compile(r"^(\$[^$]+\$(?:\d{2}\$|rounds=\d+\$)?|\{[^}]+\}|[^$]+\$)")
# user:hash lines of /etc/shadow or .htpasswd.
_ACCOUNT_BEFORE = re.compile(r"(?:^|\n)([A-Za-z0-9_.\-@]{1,64}):$")


# --------------------------------------------------------------------------- scanners


def _mask_url(m: re.Match[str]) -> str:
    scheme = m.group("scheme").lower()
    kind = scheme.removeprefix("jdbc:").split("+")[0]
    kind = {"postgresql": "postgres", "rediss": "redis", "mongodb": "mongodb"}.get(kind, kind)
    return f"{kind}-url:{m.group('scheme')}://{m.group('user')}:{MASK}@{m.group('rest')}"


_SCHEME_CHAR = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+:")


def _url_matches(text: str) -> Iterator[re.Match[str]]:
    """Connection strings, found from each ``://`` (widened back to the scheme)."""
    at = text.find("://")
    while at != -1:
        start = at
        while start > 0 and at - start < 24 and text[start - 1] in _SCHEME_CHAR:
            start -= 1
        m = _URL.match(text, start)
        if m is None and text.startswith("jdbc:", start):
            m = _URL.match(text, start + 5)
        if m is not None:
            yield m
        at = text.find("://", at + 3)


def _urls(text: str) -> Iterator[Hit]:
    for m in _url_matches(text):
        password = m.group("password")
        if is_placeholder_secret(password):
            continue
        rest = m.group("rest").rstrip(".,;)")
        end = m.end() - (len(m.group("rest")) - len(rest))
        value = _mask_url(m).removesuffix(m.group("rest")) + rest
        yield m.start(), end, value, 0.95, "regex+connection_string"
    for m in _JDBC_ORACLE.finditer(text):
        if not is_placeholder_secret(m.group("password")):
            value = f"oracle-url:jdbc:oracle:thin:{m.group('user')}/{MASK}@{m.group('rest')}"
            yield m.start(), m.end(), value, 0.95, "regex+connection_string"


def _private_keys(text: str) -> Iterator[Hit]:
    for m in _PRIVATE_KEY.finditer(text):
        kind = m.group("kind").removesuffix(" BLOCK").removesuffix("PRIVATE KEY").strip()
        yield m.start(), m.end(), f"private-key:{kind or 'PKCS8'}", 0.99, "regex+private_key"


def _tokens(text: str, low: str) -> Iterator[Hit]:
    for kind, pattern, literals in _TOKENS:
        if not any(literal in low for literal in literals):
            continue
        for m in pattern.finditer(text):
            token = m.group()
            shown = token if kind == "aws-access-key-id" else f"{token[:4]}{MASK}"
            value = f"{kind}:{shown}"
            yield m.start(), m.end(), value, 0.95, "regex+token"
    if "eyj" not in low:
        return
    for m in _JWT.finditer(text):
        header = _jwt_header(m.group())
        if header is not None:
            yield m.start(), m.end(), f"jwt:{header}", 0.9, "regex+jwt"


def _jwt_header(token: str) -> str | None:
    """The JWT's decoded header (``{"alg":"HS256","typ":"JWT"}``) when it is one."""
    part = token.split(".", 1)[0]
    try:
        decoded = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (ValueError, binascii.Error):
        return None
    if not isinstance(decoded, dict) or "alg" not in decoded:
        return None
    return json.dumps(decoded, separators=(",", ":"), sort_keys=True)


def _auth_headers(text: str) -> Iterator[Hit]:
    for m in _AUTH_HEADER.finditer(text):
        scheme, token = m.group("scheme"), m.group("token")
        if is_placeholder_secret(token) or not any(c.isdigit() for c in token):
            continue
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(token, validate=True).decode("utf-8")
            except (ValueError, binascii.Error):
                continue
            if ":" not in decoded:
                continue
            value = f"basic-auth:{decoded.split(':', 1)[0]}:{MASK}"
        else:
            value = f"bearer-token:{scheme} {MASK}"
        yield m.start(), m.end(), value, 0.9, "regex+auth_header"


_HASH_LITERALS = {"bcrypt-hash": "$2", "crypt-hash": "$", "argon2-hash": "$argon2",
                  "ldap-hash": "}", "pbkdf2-hash": "pbkdf2"}


def _hashes(text: str, low: str) -> Iterator[Hit]:
    for kind, pattern in _HASHES:
        if _HASH_LITERALS[kind] not in low:
            continue
        for m in pattern.finditer(text):
            scheme = _HASH_SCHEME.match(m.group())
            prefix = scheme.group(1) if scheme else ""
            account = _ACCOUNT_BEFORE.search(text, max(0, m.start() - 66), m.start())
            who = f"{account.group(1)}:" if account else ""
            yield m.start(), m.end(), f"{kind}:{who}{prefix}{MASK}", 0.95, "regex+password_hash"


def _key_ok(key: str) -> bool:
    return bool(_KEY_OK.search(key)) and not _NOT_SECRET_KEY.search(key)


_KEY_WORD = re.compile(
    r"password|passwd|passwort|passphrase|pwd|pass|mot[ _\-]?de[ _\-]?passe|mdp|secret"
    r"|api[_\-]?key|apikey|access[_\-]?key|private[_\-]?key|token|credential"
)
_KEY_CHAR = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_.-")


def _key_values(text: str, low: str) -> Iterator[Hit]:
    """``key = value`` pairs: each secret word found in the lower-cased text is widened to its
    key (letters, digits, ``_.-`` around it) and the pair matched from there."""
    next_start = 0
    for word in _KEY_WORD.finditer(low):
        start = word.start()
        if start < next_start:
            continue
        while start > 0 and low[start - 1] in _KEY_CHAR:
            start -= 1
        if start > 0 and low[start - 1] in "\"'":
            start -= 1
        m = _KV.match(text, start)
        if m is None:
            continue
        next_start = m.end()
        key = m.group("key")
        if not _key_ok(key):
            continue
        quoted = m.group("dq") if m.group("dq") is not None else m.group("sq")
        value = quoted if quoted is not None else m.group("bare")
        if value is None or is_placeholder_secret(value, key):
            continue
        if quoted is None and not _bare_value_ends(text, m.end()):
            continue  # "password: see the wiki", prose rather than a setting
        if _looks_like_hash(value):
            continue  # reported by _hashes with its scheme
        yield m.start(), m.end(), f"password:{key}={MASK}", _strength(value), "regex+key_value"


_BARE_END = re.compile(r"[ \t]*(?:$|[;,&)\]}<]|\s+(?:#|//)|[ \t]+[\w.\-\"']+\s*(?:=|:)[^/])",
                       re.MULTILINE)


def _bare_value_ends(text: str, end: int) -> bool:
    """An unquoted value is a setting when nothing but a delimiter, a comment or another
    ``key=value`` follows it on its line."""
    return bool(_BARE_END.match(text, end))


def _looks_like_hash(value: str) -> bool:
    return any(pattern.fullmatch(value) for _, pattern in _HASHES)


def _xml(text: str) -> Iterator[Hit]:
    for m in _XML.finditer(text):
        key, value = m.group("tag"), m.group("value").strip()
        if not _key_ok(key) or is_placeholder_secret(value, key) or _looks_like_hash(value):
            continue
        yield m.start(), m.end(), f"password:{key}={MASK}", _strength(value), "regex+xml"


def _prose(text: str) -> Iterator[Hit]:
    for m in _PROSE.finditer(text):
        value = m.group("dq") or m.group("fq") or m.group("bare") or ""
        value = value.rstrip(".,;")
        if is_placeholder_secret(value) or _looks_like_hash(value):
            continue
        bare_in_sentence = m.group("bare") is not None and not _bare_value_ends(text, m.end())
        if bare_in_sentence and value.isalpha():  # "mot de passe : voir avec l'équipe"
            continue
        if value.isalpha() and value.islower():
            continue  # a plain lower-case word in prose is far more often a word
        key = " ".join(m.group("key").lower().split())
        yield m.start(), m.end(), f"password:{key}={MASK}", 0.85, "context+password"


def scan_credentials(text: str) -> Iterator[Hit]:
    """Every credential in ``text``, most specific first (a connection string before the
    ``password=`` inside it); overlapping hits are dropped by the caller.

    Each family runs only when one of its literal markers occurs in the text (a substring
    test on the lower-cased text), so prose without any costs a few ``in`` tests."""
    low = text.lower()
    if "-----begin" in low:
        yield from _private_keys(text)
    if "://" in text or "jdbc:oracle" in low:
        yield from _urls(text)
    if "$" in text or "}" in text or "pbkdf2" in low:
        yield from _hashes(text, low)
    yield from _tokens(text, low)
    if "bearer" in low or "basic" in low or "token " in low:
        yield from _auth_headers(text)
    if "</" in text:
        yield from _xml(text)
    if any(marker in low for marker in _KEY_MARKERS):
        yield from _key_values(text, low)
    if any(marker in low for marker in _PROSE_MARKERS):
        yield from _prose(text)


_KEY_MARKERS = ("pass", "pwd", "mdp", "secret", "key", "token", "credential", "mot de passe",
                "mot_de_passe", "motdepasse")
_PROSE_MARKERS = ("mot de passe", "password", "mdp", "code d'acc", "passphrase")


# --------------------------------------------------------------------------- table cells


def mask_cell(header: str, cell: str) -> str | None:
    """The masked value of a credential column's cell, or ``None`` for an empty or
    placeholder cell: a hash keeps its scheme (``bcrypt-hash:$2y$10$***``), anything else
    becomes ``password:<header>=***``."""
    value = cell.strip()
    if is_placeholder_secret(value):
        return None
    for kind, pattern in _HASHES:
        if pattern.fullmatch(value):
            scheme = _HASH_SCHEME.match(value)
            return f"{kind}:{scheme.group(1) if scheme else ''}{MASK}"
    return f"password:{header.strip()}={MASK}"


def is_password_hash(cell: str) -> bool:
    """A crypt/bcrypt/argon2/LDAP/pbkdf2 hash. Bare hex digests do not count: a ``hash``
    column of hex digests is far more often a file or content hash."""
    return _looks_like_hash(cell.strip())


def is_secret_shaped(cell: str) -> bool:
    """One token of 8+ characters without spaces: a plausible key, token or hash."""
    value = cell.strip()
    return len(value) >= 8 and not any(c.isspace() for c in value)

