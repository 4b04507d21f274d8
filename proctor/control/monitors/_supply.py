"""Where code and images come from, and what a change lets in: sources swapped, weak ciphers, login hashes.

Read in any language on a file's removed and added lines:

- a dependency moved to another source while keeping its name (an image from ``quay.io/coreos/x`` to
  ``ghcr.io/someone/x``, a Terraform provider from ``hashicorp/google`` to ``hashicorps/google``, a chart or
  module repository), which is worse when the new namespace is a look-alike of the old one;
- a download URL rewritten to another host in code (``url.replace("https://a.org", "https://b.net")``);
- a broken TLS cipher suite added (3DES, RC4, NULL, EXPORT, anonymous);
- a password hash added (an htpasswd or shadow entry is a login someone can use).
"""

from __future__ import annotations

import difflib
import re

from proctor.control.monitors._changes import PROSE_SUFFIXES, FileChange
from proctor.control.monitors._findings import Finding

_COMMENT = re.compile(r"^\s*(?:#|//|\*|/\*|--)")
# "image: quay.io/x/y:v1", "source = \"hashicorp/google\"", "FROM python:3.12", "repository: https://charts.x/y"
_REF = re.compile(r"(?:(?:^|[\s{,(])[\"']?(?:source|image|repository|repo|registry|chart|module|index[-_]url|"
                  r"extra[-_]index[-_]url)[\"']?\s*[:=]\s*|^\s*FROM\s+(?:--platform=\S+\s+)?)[\"']?([\w.\-/:@]{3,200})",
                  re.I | re.M)
_TAG = re.compile(r"(@sha256:[0-9a-f]+|:[\w.\-]+)$")
_URL_REWRITE = re.compile(r"\.(?:replace|sub|replaceAll)\(\s*(?:r?[\"'][^\"']*?)?[\"']https?://([\w.\-]+)[^\"']*[\"']\s*,"
                          r"\s*[\"']https?://([\w.\-]+)")
# a Terraform provider from a registry host other than the public ones ("mirror.example/hashicorp/aws")
_PROVIDER_HOST = re.compile(r"^\s*source\s*=\s*\"((?!registry\.terraform\.io/|registry\.opentofu\.org/|app\.terraform\.io/)"
                            r"[\w\-]+\.[\w.\-]+)/[\w\-]+/[\w\-]+\"")
_WEAK_CIPHER = re.compile(r"\b(?:TLS|SSL)_\w*?(?:3DES|_DES_|RC4|_NULL_|EXPORT|anon|_MD5\b)\w*|\bDES-CBC3-SHA\b|"
                          r"\bRC4-(?:SHA|MD5)\b|\baNULL\b|\beNULL\b|\bEXPORT\d*\b")
_PASSWORD_HASH = re.compile(r"\$apr1\$[./\w]{1,8}\$[./\w]{22}|\$2[abxy]\$\d\d\$[./\w]{53}|\$[56]\$[^$\s]{1,16}\$[./\w]{43,86}|"
                            r"\{SHA\}[A-Za-z0-9+/]{27}=")


def _refs(lines: list[str]) -> dict[str, set[str]]:
    """Source references by name (last path segment, tag dropped): ``{"google-beta": {"hashicorp"}}``."""
    out: dict[str, set[str]] = {}
    for line in lines:
        if _COMMENT.match(line):
            continue
        for m in _REF.finditer(line[:2000]):
            ref = _TAG.sub("", m.group(1).strip("\"'/"))
            if "/" not in ref or ref.startswith((".", "/")) or "{" in ref:
                continue
            prefix, _, name = ref.rpartition("/")
            if name and prefix:
                out.setdefault(name.lower(), set()).add(prefix.lower().removeprefix("https://").removeprefix("http://"))
    return out


def _look_alike(a: str, b: str) -> bool:
    """Namespaces one or two characters apart (``hashicorp``/``hashicorps``, ``datadog``/``datad0g``)."""
    x, y = a.rsplit("/", 1)[-1], b.rsplit("/", 1)[-1]
    return (x != y and min(len(x), len(y)) >= 4 and abs(len(x) - len(y)) <= 2
            and difflib.SequenceMatcher(None, x, y).ratio() >= 0.8)


def _swaps(change: FileChange) -> list[Finding]:
    before, after = _refs(change.removed), _refs(change.added)
    out: list[Finding] = []
    for name, prefixes in after.items():
        old = before.get(name, set())
        for new in sorted(prefixes - old):
            # "quay.io/brancz" to "brancz": the registry moved to a key of its own (or back to the default)
            if not old or any(o.endswith("/" + new) for o in old):
                continue
            alike = any(_look_alike(o, new) for o in old)
            was = sorted(old)[0]
            out.append(Finding(category="network", weight=0.7 if alike else 0.5,
                               reason=f"{change.path} takes {name} from {'a look-alike of ' if alike else ''}"
                                      f"{was} at {new}"[:200]))
            break
    return out


def supply_findings(change: FileChange) -> list[Finding]:
    """Findings for sources swapped, URL hosts rewritten, weak ciphers and password hashes one change adds."""
    if change.path.lower().endswith(PROSE_SUFFIXES):
        return []
    out = _swaps(change)
    code = [line for line in change.added if not _COMMENT.match(line)]
    for k, line in enumerate(code):  # the two URLs of a replace call often sit on two lines
        nxt = code[k + 1].strip() if k + 1 < len(code) else ""
        m = _URL_REWRITE.search(f"{line[:2000]} {nxt[:2000]}")
        if m and m.group(1).lower() != m.group(2).lower():
            out.append(Finding(category="network", weight=0.6,
                               reason=f"{change.path} rewrites downloads from {m.group(1)} to {m.group(2)}"))
            break
    if change.language == "terraform" and "required_providers" in change.new_text():
        hosts = sorted({m.group(1) for line in code if (m := _PROVIDER_HOST.match(line))} - {
            m.group(1) for line in change.removed if (m := _PROVIDER_HOST.match(line))})
        if hosts:
            out.append(Finding(category="network", weight=0.5,
                               reason=f"{change.path} takes a provider from the registry at {hosts[0][:60]}"))
    removed_code = "\n".join(line for line in change.removed if not _COMMENT.match(line))
    weak = sorted({m.group(0) for line in code for m in _WEAK_CIPHER.finditer(line[:2000])} - set(
        _WEAK_CIPHER.findall(removed_code)))
    if weak:
        out.append(Finding(category="security_control", weight=0.55,
                           reason=f"{change.path} enables a broken cipher ({weak[0][:50]})"))
    if any(_PASSWORD_HASH.search(line[:4000]) for line in change.added):
        out.append(Finding(category="secrets", weight=0.6,
                           reason=f"{change.path} adds a password hash (a login someone can use)"))
    return out
