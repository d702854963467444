"""Atomic file writes, and the temporary files they leave when a writer is killed.

A writer puts its bytes in a temporary file beside the target, then renames it over the
target, so a reader sees the old file or the new one, never a partial one. Temporary names
carry their writer: `<target>.tmp<host>-<pid>-<random>` (checkpoint data files use
`.tempstate` in place of `.tmp`, as TF names them), so that a later writer can tell a file
left by a killed process (`stale_temporaries`) from one a live writer is still filling.
"""

from __future__ import annotations

import os
import re
import socket
import time
import uuid
import zlib

# Which machine wrote a temporary: a pid means nothing on another host sharing the directory.
_HOST = f"{zlib.crc32(socket.gethostname().encode('utf-8')):08x}"
_TEMPORARY = re.compile(r"\.(?:tempstate|tmp)(?:(?P<host>[0-9a-f]{8})-(?P<pid>\d+)-)?[0-9a-f]+$")
STALE_AGE_S = 24 * 3600  # a temporary whose writer cannot be asked is stale after a day without a write


def temporary_path(path: str, kind: str = "tmp") -> str:
    """A fresh temporary name beside `path` naming this host and process (`kind`: "tmp" or "tempstate")."""
    return f"{path}.{kind}{_HOST}-{os.getpid()}-{uuid.uuid4().hex[:16]}"


def atomic_write(path, data: bytes | str) -> None:
    """Write `data` to a temporary file beside `path`, then rename it over `path`.

    A crash mid-write leaves `path` as it was (and at most a stray temporary file, which
    is removed when the failure is an exception, or by the next save after a kill).
    """
    path = os.fspath(path)
    if isinstance(data, str):
        data = data.encode("utf-8")
    tmp = temporary_path(path)
    try:
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _process_alive(pid: int) -> bool:
    if os.name != "posix":  # os.kill(pid, 0) would terminate the process on Windows: assume it lives
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: it exists, under another user
        return True
    return True


def stale_temporaries(directory: str, belongs, now: float | None = None) -> list[str]:
    """Paths of temporary files in `directory` whose writer is gone, among those `belongs(target_name)` accepts.

    A temporary is stale when its name says this host wrote it and that process no longer
    exists, or, when its writer cannot be asked (another host, or an untagged name from an
    older writer), when nothing has written to it for `STALE_AGE_S`. A temporary of this
    process, or of a live one, is never stale: another thread or process may be writing it.
    (A reused pid makes a stale file look live: it is then left for a later save.)
    """
    now = time.time() if now is None else now
    try:
        names = os.listdir(directory or ".")
    except OSError:
        return []
    stale = []
    for name in names:
        match = _TEMPORARY.search(name)
        if match is None or not belongs(name[:match.start()]):
            continue
        path = os.path.join(directory, name)
        pid = match.group("pid")
        if pid is not None and match.group("host") == _HOST:
            if int(pid) != os.getpid() and not _process_alive(int(pid)):
                stale.append(path)
            continue
        try:
            if now - os.stat(path).st_mtime > STALE_AGE_S:
                stale.append(path)
        except OSError:
            continue
    return sorted(stale)
