"""Where a Python expression points on disk, and whether that place is sensitive.

A literal ``open('/etc/shadow')`` is the easy case; real code builds paths: ``Path.home() / '.ssh'``,
``os.path.join(os.environ['HOME'], '.bashrc')``, ``Path('~/.aws/credentials').expanduser()``,
``base.joinpath('.ssh', 'authorized_keys')`` with ``base = Path.home()`` assigned a line earlier.
:func:`path_of` folds such an expression into a path string (``~`` for the home directory, ``$VAR``
for another variable it cannot know) and :func:`sensitive` names what the place is: a credential
store, a file that makes code run again later (shell start-up files, ``authorized_keys``, cron,
systemd, ``sitecustomize``), or just outside the work directory.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping

_HOME_VARS = {"HOME", "USERPROFILE"}
_PATH_CTORS = {"Path", "PurePath", "PosixPath", "WindowsPath", "pathlib.Path", "pathlib.PurePath",
               "pathlib.PosixPath", "PurePosixPath", "pathlib.PurePosixPath"}
_SAME = {"os.path.expanduser", "os.path.expandvars", "os.path.abspath", "os.path.realpath",
         "os.path.normpath", "os.fspath", "str", "os.fsencode", "os.fsdecode", "path.expanduser"}
_SAME_METHODS = {"expanduser", "resolve", "absolute", "expandvars", "as_posix"}

CREDENTIAL_PATH = re.compile(
    r"(^|/)(\.ssh(/|$)|id_(rsa|dsa|ecdsa|ed25519)\b|\.aws(/|$)|\.netrc$|\.git-credentials$|\.docker/config\.json$|"
    r"\.kube/config$|\.kube(/|$)|\.config/gcloud(/|$)|\.azure(/|$)|\.config/gh/|\.pypirc$|\.npmrc$|\.gnupg(/|$)|"
    r"credentials(\.\w+)?$|etc/shadow$|etc/gshadow$|proc/(self|\d+)/environ$|\.vault-token$|"
    r"var/run/secrets(/|$)|run/secrets(/|$)|ssh_host_\w+_key$)", re.I)
PERSIST_PATH = re.compile(
    r"(^|/)(\.(bashrc|bash_profile|bash_login|bash_logout|profile|zshrc|zprofile|zshenv|cshrc|tcshrc)$|"
    r"authorized_keys2?$|etc/cron|var/spool/cron|crontab$|etc/rc\.local$|etc/init\.d/|etc/profile(\.d/|$)|"
    r"\.config/autostart/|(etc|\.config)/systemd/|etc/sudoers|etc/ld\.so\.preload$|\.git/hooks/|"
    r"sitecustomize\.py$|usercustomize\.py$|site-packages/[^/]+\.pth$|etc/passwd$|\.ssh/rc$)", re.I)


def _join(parts: list[str | None]) -> str | None:
    if not parts or parts[0] is None:
        return None
    out = parts[0]
    for p in parts[1:]:
        if p is None:
            p = "$?"
        out = p if p.startswith("/") else f"{out.rstrip('/')}/{p}"
    return out


def dotted(node: ast.AST) -> str:
    """``os.path.join`` for that name or attribute chain (a call in the chain reads as its callee)."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted(node.value)
        return f"{base}.{node.attr}" if base else node.attr
    if isinstance(node, ast.Call):
        return dotted(node.func)
    return ""


def _env_name(node: ast.AST) -> str | None:
    """``HOME`` for ``os.environ['HOME']``, ``os.getenv('HOME')``, ``os.environ.get('HOME')``."""
    if isinstance(node, ast.Subscript) and dotted(node.value).endswith("environ"):
        s = node.slice
        return s.value if isinstance(s, ast.Constant) and isinstance(s.value, str) else None
    if isinstance(node, ast.Call) and dotted(node.func) in ("os.getenv", "os.environ.get", "environ.get", "getenv"):
        a = node.args[0] if node.args else None
        return a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else None
    return None


def path_of(node: ast.AST | None, known: Mapping[str, str] | None = None) -> str | None:
    """The path ``node`` evaluates to as far as code can tell, or None when it is not a path at all."""
    if node is None:
        return None
    known = known or {}
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)):
        v = node.value.decode(errors="replace") if isinstance(node.value, bytes) else node.value
        return v
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) and isinstance(v.value, str)
                       else path_of(v.value, known) or "$?" if isinstance(v, ast.FormattedValue) else "$?"
                       for v in node.values)
    if isinstance(node, ast.Name):
        return known.get(node.id)
    env = _env_name(node)
    if env is not None:
        return "~" if env in _HOME_VARS else f"${env}"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        left = path_of(node.left, known)
        return _join([left, path_of(node.right, known)]) if left is not None else None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = path_of(node.left, known), path_of(node.right, known)
        return None if left is None or right is None else left + right
    if not isinstance(node, ast.Call):
        return None
    name = dotted(node.func)
    method = node.func.attr if isinstance(node.func, ast.Attribute) else ""
    if name in ("Path.home", "pathlib.Path.home", "os.path.expanduser") and not node.args:
        return "~"
    if name in _PATH_CTORS or name.endswith(".Path"):
        return _join([path_of(a, known) for a in node.args]) if node.args else "."
    if name in ("os.path.join", "posixpath.join", "path.join"):
        return _join([path_of(a, known) for a in node.args])
    if name in _SAME and node.args:
        return path_of(node.args[0], known)
    if isinstance(node.func, ast.Attribute):
        base = path_of(node.func.value, known)
        if base is None:
            return None
        if method in _SAME_METHODS:
            return base
        if method == "joinpath":
            return _join([base, *(path_of(a, known) for a in node.args)])
        if method in ("with_name", "with_suffix") and node.args:
            tail = path_of(node.args[0], known) or ""
            return base.rsplit("/", 1)[0] + "/" + tail if method == "with_name" else base + tail
    return None


def sensitive(path: str) -> str | None:
    """``"credentials"``, ``"persistence"`` or None for ``path`` (``~`` expanded or not)."""
    p = path.replace("\\", "/")
    if PERSIST_PATH.search(p):
        return "persistence"
    if CREDENTIAL_PATH.search(p):
        return "credentials"
    return None
