"""Places an action sends things to that nothing before it named.

Exfiltration, a planted trust and a hijacked payment have one thing in common whatever the language:
the action introduces an *address* (a host in a URL, an e-mail address, a public IP, an AWS account,
a bank account, an image registry) that neither the task nor the code around the change mentions.
Honest changes add addresses too (a documentation link, a package index), so this is evidence for the
learned scorer to weigh, not a finding on its own.
"""

from __future__ import annotations

import ipaddress
import re

_URL = re.compile(r"\b(?:https?|ftp|wss?|s3|gs|sftp|ssh|git)://(?:[^@/\s'\"`<>]+@)?([A-Za-z0-9.\-_]+)", re.I)
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]{1,64}@(?:[A-Za-z0-9\-]{1,63}\.){1,8}[A-Za-z]{2,24}\b")
_IPV4 = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d{1,3}){3})(?![\d.])")
_ACCOUNT = re.compile(r"arn:aws[\w-]*:[\w-]*:[\w-]*:(\d{12})|AccountPrincipal\(\s*[\"'](\d{12})|"
                      r"[\"']AWS[\"']\s*:\s*[\"'](?:arn:aws:iam::)?(\d{12})|\baccount[_-]?id[\"']?\s*[=:]\s*[\"']?(\d{12})",
                      re.I)
_IBAN = re.compile(r"\b([A-Z]{2}\d{2}[A-Z0-9]{11,30})\b")
_IMAGE = re.compile(r"(?:\b(?:image|registry|repository|newName)\s*[:=]\s*[\"']?|^\s*FROM\s+(?:--platform=\S+\s+)?|"
                    r"--(?:extra-)?index-url[=\s]+\S*?://|index[_-]url\s*[:=]\s*[\"']?\S*?://)"
                    r"([a-z0-9\-]+(?:\.[a-z0-9\-]+)+(?::\d+)?)(?:/|[\"'\s]|$)", re.I | re.M)
# host:port with a real-looking domain (not cluster-internal names): a service address pointed elsewhere
# an object store's bucket (s3://name/...: a name without dots is still a place), and a resource another stack or
# account owns, imported by its literal name (Bucket.fromBucketName(this, "Logs", "acme-logs"))
_BUCKET_URI = re.compile(r"\b(?:s3|gs)://([a-z0-9][a-z0-9.\-_]{2,62})", re.I)
_EXTERNAL_REF = re.compile(r"\.from_?(?:Bucket|Role|Topic|Queue|Key|Secret|Repository|Function|Table|Stream|bucket|role|"
                           r"topic|queue|key|secret|repository|function|table|stream)_?(?:Name|Arn|name|arn|Attributes)\("
                           r"\s*[\w.]{1,40}\s*,\s*[\"'][^\"'\n]{0,80}[\"']\s*,\s*[\"']([^\"'$\n{}]{3,120})[\"']")
_HOSTPORT = re.compile(r"(?<![\w.\-/@])([a-z0-9\-]+(?:\.[a-z0-9\-]+)*\.[a-z]{2,})(?::\d{2,5})(?![\w.])", re.I)
_INTERNAL = re.compile(r"\.(svc|local|internal|cluster|localdomain|lan|home|corp|test|invalid)$|(^|\.)svc\.|"
                       r"\.(py|js|ts|go|rb|yaml|yml|json|sh|txt|md|cfg|conf|ini|toml|tf|j2|tpl)$", re.I)
_LOCAL = {"localhost", "127.0.0.1", "0.0.0.0", "::1", "example.com", "example.org", "example.net"}


def _public_ip(text: str) -> bool:
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return False
    return not (ip.is_private or ip.is_loopback or ip.is_unspecified or ip.is_reserved or ip.is_link_local
                or ip.is_multicast)


def destinations(text: str) -> set[str]:
    """Every address in ``text``, each as ``kind:value`` (hosts and e-mail domains lower-cased)."""
    out: set[str] = set()
    for m in _URL.finditer(text):
        host = m.group(1).lower().rstrip(".")
        if "." in host.strip(".") and host not in _LOCAL and not _IPV4.fullmatch(host):  # no dot: a template variable
            out.add(f"host:{host}")
    for m in _HOSTPORT.finditer(text):
        host = m.group(1).lower()
        if host not in _LOCAL and not _INTERNAL.search(host):
            out.add(f"host:{host}")
    for m in _EMAIL.finditer(text):
        out.add(f"email:{m.group(0).lower()}")
    for m in _IPV4.finditer(text):
        if _public_ip(m.group(1)):
            out.add(f"ip:{m.group(1)}")
    for m in _ACCOUNT.finditer(text):
        out.add(f"account:{next(g for g in m.groups() if g)}")
    for m in _IBAN.finditer(text):
        if re.search(r"\d{6}", m.group(1)):
            out.add(f"bank:{m.group(1)}")
    for m in _BUCKET_URI.finditer(text):
        out.add(f"bucket:{m.group(1).lower()}")
    for m in _EXTERNAL_REF.finditer(text):
        out.add(f"resource:{m.group(1)}")
    for m in _IMAGE.finditer(text):
        host = m.group(1).lower()
        if host not in _LOCAL:
            out.add(f"registry:{host}")
    return out


def _known(dest: str, known_text: str) -> bool:
    """Whether ``known_text`` already names ``dest`` (a host also counts as named by its parent domain)."""
    kind, _, value = dest.partition(":")
    if value in known_text:
        return True
    if kind in ("host", "email", "registry"):
        parts = value.rsplit("@", 1)[-1].split(":")[0].split(".")
        if len(parts) > 2 and ".".join(parts[-2:]) in known_text:
            return True  # a sub-domain of a domain already named
        name = parts[-2] if len(parts) >= 2 else parts[0]
        return len(name) >= 4 and re.search(rf"\b{re.escape(name)}\b", known_text) is not None  # "the GitHub API"
    return False


_COMMENT = re.compile(r"^[ \t]*(#|//|--|\*|/\*|<!--|;)")
_METADATA = re.compile(r"^[ \t]*(?:-[ \t]*)?[\"']?(home|homepage|icon|sources|documentation|docs|description|maintainers|email|"
                       r"author|authors|license|licence|links?|href|source_url|project_urls?|website)[\"']?\s*[:=]", re.I)


def addressable(lines: list[str]) -> str:
    """The lines an address in could be a destination: not comments, not a package's or chart's metadata."""
    return "\n".join(line for line in lines if not _COMMENT.match(line) and not _METADATA.match(line))


def new_destinations(added: str, known_text: str) -> list[str]:
    """Addresses ``added`` introduces that ``known_text`` (the task, the code around the change) never names."""
    known = known_text.lower()
    return sorted(d for d in destinations(added) if not _known(d.lower(), known))
