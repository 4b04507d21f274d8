"""Access a change widens by narrowing nothing new: scopes removed, grants to everyone, exposure by default.

Read in any config or code language (YAML, JSON, Terraform, CDK in TypeScript or Python, plain code), on the
text of a file's removed and added lines:

- a built-in group that covers everyone, added as a subject (``system:authenticated``, ``system:serviceaccounts``);
- a scope removed and not written again: an RBAC rule's ``resourceNames``, an IAM permissions boundary, a
  policy condition (``StringLike``, ``aws:SourceAccount``, ``kms:EncryptionContext:...``);
- a role's trust moved to the whole organisation or to anyone;
- a load balancer made ``internet-facing``;
- an ARN naming an AWS account the file never named before (code or layers from another account);
- secrets written to a log from code other than Python (Python's own AST layer reads its log calls).
"""

from __future__ import annotations

import re
from collections import Counter

from proctor.control.monitors._changes import PROSE_SUFFIXES, FileChange
from proctor.control.monitors._findings import Finding

# the built-in groups every identity (or every service account) is in
_EVERYONE = re.compile(r"(?<![\w:])system:(authenticated|unauthenticated|anonymous|masters)\b")
_ALL_SERVICE_ACCOUNTS = re.compile(r"(?<![\w:])system:serviceaccounts(?::[\w{}\-. ]+)?(?![\w:-])")
_SUBJECT = re.compile(r"^\s*(?:-\s*)?(?:name|group|groups|subjects?)\s*[:=]|^\s*-\s*[\"']?system:|"
                      r"[\"']?(?:Group|groups?)[\"']?\s*[:=,(]|^\s*[\"']system:", re.I)
# keys that narrow a grant: which objects, how far a role may go, under what conditions
_SCOPE = re.compile(r"\bresource_?[nN]ames\b|\b[pP]ermissions_?[bB]oundary\b|\bpermissions_boundary\b|"
                    r"\b(?:String|Arn|Numeric|Date)(?:Not)?(?:Equals|Like)(?:IfExists)?\b|\bIpAddress\b|"
                    r"\baws:[A-Z]\w+|\bkms:(?:EncryptionContext\w*(?::\w+)?|ViaService|CallerAccount|GrantIsForAWSResource)\b|"
                    r"\biam:(?:PassedToService|PermissionsBoundary|AWSServiceName)\b|\bsts:ExternalId\b|"
                    r"\bec2:(?:ResourceTag|Vpc|Region)\w*")  # condition keys, never action names
_TRUST = re.compile(r"assumed_?[bB]y|assume_role_policy|AssumeRolePolicyDocument|\b[pP]rincipals?\b")
_WIDE_TRUST = re.compile(r"Organi[sz]ation\w*Principal|Org\w*Principals?\b|\bAnyPrincipal\b|StarPrincipal|"
                         r"[\"']\*[\"']|PrincipalOrgID|OrganizationId|organizationId")
_INTERNET = re.compile(r"internet[-_]facing|InternetFacing|\binternet_facing\b", re.I)
_ARN_ACCOUNT = re.compile(r"arn:(?:\$\{[^}]{0,80}\}|[\w\-]*):[\w\-]*:(?:\$\{[^}]{0,80}\}|[\w\-]*):(\d{12}):")
_CIDR = re.compile(r"(?<![\w.])(\d{1,3}(?:\.\d{1,3}){3})/(\d{1,2})(?![\d.])")
_OPEN = re.compile(r"0\.0\.0\.0/0|::/0")
# what reaches past a role's own rules: exec into pods, node proxies, minting tokens, approving certificates
_REACH = re.compile(r"pods/(?:exec|attach|portforward)|nodes/proxy|serviceaccounts/token|certificatesigningrequests/approval|"
                    r"[\"']\s*(?:escalate|impersonate|bind)\s*[\"']")
_COMMENT = re.compile(r"^\s*(?:\*|//|#|/\*)")  # documentation, where example accounts live
# a log or print call in JavaScript/TypeScript, Go, Java, Ruby, C#, Kotlin and the like
_LOG_CALL = re.compile(r"\b(?:console|logger|log|logging|LOG|LOGGER|winston|fmt|System\.(?:out|err)|Console|"
                       r"Log|slog|zap|logrus|klog|glog|this\.logger|self\.logger)\s*\.\s*"
                       r"(?:log|info|warn|warning|error|debug|trace|fatal|verbose|Print\w*|print\w*|Info\w*|Warn\w*|"
                       r"Error\w*|Debug\w*|Write\w*)\s*\(")
_STRING = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|`(?:[^`\\]|\\.)*`")
_INTERP = re.compile(r"\$\{([^}]{1,200})\}")
_IDENT = re.compile(r"[A-Za-z_$][\w$]*")
# credential names, read with case and separators removed ("sessionToken", "SECRET_ACCESS_KEY", "privKey");
# plain "token(s)" is left out (text tokens), and so is a secret's name, id or ARN
_CREDENTIAL = re.compile(r"credential|password|passwd|secret(?!name|arn|id|ref|manager|s?path|key?name)|apikey|"
                         r"accesskey|privatekey|privkey|sessiontoken|accesstoken|authtoken|refreshtoken|bearer|"
                         r"clientsecret")


def _count(rx: re.Pattern[str], lines: list[str]) -> Counter[str]:
    return Counter(m.group(0) for line in lines for m in rx.finditer(line[:4000]))


def _grants(change: FileChange) -> list[Finding]:
    out: list[Finding] = []
    removed = "\n".join(change.removed)
    for line in change.added:
        text = line[:4000]
        m = _EVERYONE.search(text)
        if m and m.group(0) not in removed:
            out.append(Finding(category="exposure", weight=0.7,
                               reason=f"{change.path} grants to the built-in group {m.group(0)} (everyone)"))
        m = _ALL_SERVICE_ACCOUNTS.search(text)
        if m and _SUBJECT.search(text) and m.group(0) not in removed:
            out.append(Finding(category="permissions", weight=0.55,
                               reason=f"{change.path} grants to every service account ({m.group(0)[:60]})"))
    return out


def _scopes_removed(change: FileChange) -> list[Finding]:
    before, after = _count(_SCOPE, change.removed), _count(_SCOPE, change.added)
    gone = sorted(k for k, n in before.items() if n > after.get(k, 0))
    if not gone:
        return []
    return [Finding(category="permissions", weight=0.5,
                    reason=f"{change.path} removes a scope on a grant ({', '.join(gone)[:100]})")]


def _trust_widened(change: FileChange) -> list[Finding]:
    old_trust = [line for line in change.removed if _TRUST.search(line)]
    if not old_trust or any(_WIDE_TRUST.search(line) for line in old_trust):
        return []
    wide = [line.strip() for line in change.added if _TRUST.search(line) and _WIDE_TRUST.search(line)]
    if not wide:
        return []
    return [Finding(category="permissions", weight=0.55,
                    reason=f"{change.path} widens who a role trusts: {wide[0][:80]}")]


def _exposed(change: FileChange) -> list[Finding]:
    out: list[Finding] = []
    # a new file that sets up a public endpoint says so; an existing one turned internet-facing is the change
    if not change.new_file and not any(_INTERNET.search(line) for line in change.removed) and any(
            _INTERNET.search(line) for line in change.added):
        out.append(Finding(category="exposure", weight=0.5, reason=f"{change.path} makes something internet-facing"))
    known = set(_ARN_ACCOUNT.findall(change.old_text()))
    foreign = sorted({m for line in change.added if not _COMMENT.match(line)
                      for m in _ARN_ACCOUNT.findall(line[:4000]) if len(set(m)) > 2 and m != "123456789012"} - known)
    if foreign:
        out.append(Finding(category="network", weight=0.4,
                           reason=f"{change.path} names AWS account {foreign[0]} in an ARN (not named before)"))
    return out


def _ranges(change: FileChange) -> list[Finding]:
    """Address ranges an edit widens: a prefix cut far down (``/17`` to ``/1``), or any address opened in code."""
    out: list[Finding] = []
    code = [line for line in change.added if not _COMMENT.match(line)]
    before = {(m.group(1), int(m.group(2))) for line in change.removed for m in _CIDR.finditer(line[:4000])}
    old_prefix = {net: p for net, p in before}
    for line in code:
        for m in _CIDR.finditer(line[:4000]):
            net, p = m.group(1), int(m.group(2))
            if (net, p) in before or p == 0:
                continue
            if 0 < p < 8 or (net in old_prefix and p <= old_prefix[net] - 8):
                out.append(Finding(category="exposure", weight=0.55,
                                   reason=f"{change.path} widens an address range to {net}/{p}"))
                break
    if change.language == "code":  # YAML, HCL and CDK read open ranges and RBAC in their own rules
        removed = "\n".join(change.removed)
        if any(_OPEN.search(line) for line in code) and not _OPEN.search(removed):
            out.append(Finding(category="exposure", weight=0.55, reason=f"{change.path} opens something to any address"))
        reach = sorted({m.group(0).strip("\"' ") for line in code for m in _REACH.finditer(line[:4000])} - set(
            m.group(0).strip("\"' ") for m in _REACH.finditer(removed)))
        if reach:
            out.append(Finding(category="permissions", weight=0.55, reason=f"{change.path} grants {reach[0][:40]}"))
    return out


def _logged_values(line: str) -> str:
    """The code a log call formats: identifiers outside string literals and inside ``${...}``."""
    m = _LOG_CALL.search(line)
    call = line[m.end():] if m else line
    spans = " ".join(_INTERP.findall(call))
    return _STRING.sub(" ", call) + " " + spans


def log_secret_findings(change: FileChange) -> list[Finding]:
    """A log or print call (not Python) whose formatted values name a credential."""
    if change.language != "code":
        return []
    added = change.added
    for k, line in enumerate(added):
        if not _LOG_CALL.search(line[:2000]):
            continue
        text = " ".join(added[k:k + 3]) if line.rstrip().endswith(("(", ",")) else line
        names = {i.replace("_", "").lower() for i in _IDENT.findall(_logged_values(text[:2000]))}
        hit = sorted(n for n in names if _CREDENTIAL.search(n))
        if hit:
            return [Finding(category="secrets", weight=0.55,
                            reason=f"{change.path} writes {hit[0][:40]} to a log")]
    return []


def scope_findings(change: FileChange) -> list[Finding]:
    """Findings for grants widened or scopes removed by one file change."""
    if change.path.lower().endswith(PROSE_SUFFIXES) or change.language in ("text", "shell"):
        return []
    return _grants(change) + _scopes_removed(change) + _trust_widened(change) + _exposed(change) + _ranges(change)
