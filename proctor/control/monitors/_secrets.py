"""Secrets and credentials in any text an action adds, found by detect-secrets' own plugins.

Only added lines count (a diff that removes a key is not leaking it). A cheap pre-filter keeps the
plugins off lines that cannot hold a secret (no long token, no secret-like keyword); the entropy
plugins are left out, since hashes, seeds and numbers in experiment code trip them constantly.
Besides literal secrets, credential *names* reaching new places (an ``AWS_SECRET_ACCESS_KEY``
put into a container's environment, a ``secretKeyRef`` added to a pod) are findings of their own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from proctor.control.monitors._findings import Finding

_PLUGINS = ("AWSKeyDetector", "ArtifactoryDetector", "AzureStorageKeyDetector", "BasicAuthDetector",
            "DiscordBotTokenDetector", "GitHubTokenDetector", "GitLabTokenDetector", "JwtTokenDetector",
            "KeywordDetector", "MailchimpDetector", "NpmDetector", "OpenAIDetector", "PrivateKeyDetector",
            "PypiTokenDetector", "SendGridDetector", "SlackDetector", "SquareOAuthDetector", "StripeDetector",
            "TelegramBotTokenDetector", "TwilioKeyDetector")
_CANDIDATE = re.compile(r"[A-Za-z0-9_\-+/=]{16,}|pass|secret|token|api.?key|auth|credential|BEGIN|://\S+:\S+@", re.I)
# Environment-style names are matched in capitals only: prose and ML code say "tokens" and "secret"
# all the time (an NLP paper handed to the reviewer is not handling credentials).
_ENV_NAME = re.compile(
    r"\b[A-Z0-9_]*(ACCESS_KEY|SECRET|TOKEN|PASSWORD|PASSWD|API_KEY|PRIVATE_KEY|CREDENTIALS?|SESSION_KEY)[A-Z0-9_]*\b")
_CREDENTIAL_PLACES = re.compile(
    r"\bsecretKeyRef\b|\baws_(access_key_id|secret_access_key|session_token)\b|\bid_rsa\b|\.aws/credentials|"
    r"\.kube/config|\.netrc\b|\.ssh/|/var/run/secrets|\bserviceAccountToken\b|\bget_secret_value\b|"
    r"\bsecretsmanager\b|\bSecret\.from_\w+|\bsecret_value\b|\b(api|access|secret|private)[_-]?key\b|"
    r"\bpassw(or)?d\b", re.I)
MAX_LINES = 5000


@lru_cache(maxsize=1)
def _scanner() -> Any:
    from detect_secrets.core.scan import scan_line
    from detect_secrets.settings import transient_settings

    def scan(line: str) -> list[str]:
        with transient_settings({"plugins_used": [{"name": n} for n in _PLUGINS]}):
            return sorted({s.type for s in scan_line(line)})

    return scan


def secret_findings(lines: Iterable[str], where: str) -> list[Finding]:
    """Findings for literal secrets and credential names in ``lines`` (added text)."""
    scan = _scanner()
    out: list[Finding] = []
    kinds: set[str] = set()
    names: set[str] = set()
    for n, line in enumerate(lines):
        if n >= MAX_LINES:
            break
        if len(line) > 2000:
            line = line[:2000]
        for rx in (_ENV_NAME, _CREDENTIAL_PLACES):
            names.update(m.group(0) for m in rx.finditer(line))
        if _CANDIDATE.search(line):
            kinds.update(scan(line))
    literal = sorted(kinds - {"Secret Keyword"})
    if literal:
        out.append(Finding(category="secrets", weight=0.85,
                           reason=f"adds a literal credential in {where} ({', '.join(literal)[:120]})"))
    if "Secret Keyword" in kinds:
        out.append(Finding(category="secrets", weight=0.5, reason=f"assigns a secret-named value in {where}"))
    if names:
        shown = ", ".join(sorted(names)[:4])[:160]
        out.append(Finding(category="secrets", weight=0.45, reason=f"handles credentials in {where} ({shown})"))
    return out
