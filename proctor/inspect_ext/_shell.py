"""The shell programs the Inspect adapter runs inside a Proctor sandbox, and how their results read.

Inspect's ``exec``, ``read_file`` and ``write_file`` all become one approved shell command each (file
access too: it then happens as the sandbox user, inside the sandbox, so its permissions, its
read-only root and its quota apply exactly as they do to the agent's own commands). Every program
starts ``/bin/sh`` by absolute path with a fixed name (``$0``), so the adapter can tell the
program's own failures from the command's.

* :data:`EXEC`: ``cd`` to the working directory, then ``exec`` the command (so ``kill $$`` and exit
  codes are the command's own; a command that cannot be executed exits 126 or 127 from ``sh``).
* :data:`EXEC_B64`: the same with standard input that is not UTF-8, sent as base64 and decoded into
  an unlinked temporary file first (Proctor's commands carry text input).
* :data:`READ`: classify the path (missing, directory, special file, unreadable, too large), then
  print the file's size and one base64 chunk of it.
* :data:`WRITE`: refuse a directory or an unwritable path with distinct exit codes, create the
  parents, then write standard input (raw or base64) over the file.
"""

from __future__ import annotations

import errno

NAME = "proctor-inspect"
"""``$0`` of every program: its own messages start with ``proctor-inspect:``."""

SH = "/bin/sh"
PINNED_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

EXEC = 'cd -- "$1" || exit 125\nshift\nexec "$@"'

EXEC_B64 = f"""cd -- "$1" || exit 125
shift
_p=$PATH; PATH={PINNED_PATH}
t=$(mktemp) || exit 125
base64 -d > "$t" || {{ rm -f -- "$t"; exit 125; }}
exec 3< "$t"; rm -f -- "$t"
PATH=$_p
exec "$@" <&3 3<&-"""

READ = f"""PATH={PINNED_PATH}
f=$1
if [ -d "$f" ]; then echo D; exit 0; fi
if [ ! -e "$f" ]; then echo N; exit 0; fi
if [ ! -f "$f" ]; then echo S; exit 0; fi
if [ ! -r "$f" ]; then echo P; exit 0; fi
s=$(stat -L -c %s -- "$f") || exit 3
if [ "$s" -gt "$2" ]; then echo "L $s"; exit 0; fi
echo "F $s"
dd if="$f" bs="$3" skip="$4" count=1 iflag=fullblock status=none | base64 -w 0"""

WRITE = f"""PATH={PINNED_PATH}
f=$1
if [ -d "$f" ]; then exit 21; fi
d=$(dirname -- "$f")
if ! mkdir -p -- "$d" 2>/dev/null; then
  p=$d
  while [ ! -e "$p" ]; do p=$(dirname -- "$p"); done
  if [ -d "$p" ]; then exit 13; fi
  exit 20
fi
if [ -e "$f" ]; then [ -w "$f" ] || exit 13; else [ -w "$d" ] || exit 13; fi
if [ "$2" = b64 ]; then base64 -d > "$f" || exit 1; else cat > "$f" || exit 1; fi"""

WRITE_ERRORS: dict[int, tuple[type[OSError], int, str]] = {
    21: (IsADirectoryError, errno.EISDIR, "Is a directory"),
    13: (PermissionError, errno.EACCES, "Permission denied"),
    20: (NotADirectoryError, errno.ENOTDIR, "Not a directory"),
}
"""Exit codes of :data:`WRITE` and the error each stands for."""

READ_ERRORS: dict[str, tuple[type[OSError], int, str]] = {
    "D": (IsADirectoryError, errno.EISDIR, "Is a directory"),
    "N": (FileNotFoundError, errno.ENOENT, "No such file or directory"),
    "P": (PermissionError, errno.EACCES, "Permission denied"),
    "S": (OSError, errno.EINVAL, "Not a regular file"),
}
"""First words of :data:`READ`'s answer and the error each stands for."""


def program(script: str, *args: str) -> list[str]:
    """``argv`` that runs ``script`` with ``args`` as ``$1...`` under the adapter's name."""
    return [SH, "-c", script, NAME, *args]


def b64_len(n: int) -> int:
    """Length of the base64 text of ``n`` bytes (no newlines)."""
    return 4 * ((n + 2) // 3)


def cannot_execute(exit_code: int, stderr: str) -> bool:
    """Whether ``sh`` could not execute the command for lack of permission (not the command failing)."""
    return (exit_code == 126 and stderr.startswith(f"{NAME}: ")
            and "permission denied" in stderr.casefold())
