"""`tf.gfile` / `tf.io.gfile`: files and directories, local or remote, with TF's errors.

Local paths (and `file://` URLs) use the operating system. Other URLs (`s3://`, `gs://`,
`hdfs://`, ...) go through fsspec when it is installed (`pip install fsspec s3fs`);
without it they raise a clear UnimplementedError. Failures raise the `tf.errors` class
TF would, with TF's message form: a missing file is `NotFoundError("x; No such file or
directory")`.

    with tf.io.gfile.GFile("/tmp/notes.txt", "w") as f:
        f.write("hello\\n")
    tf.io.gfile.glob("/tmp/*.txt")          # ['/tmp/notes.txt']

TF1 spells the functions in CamelCase (`tf.gfile.Exists`, `MakeDirs`, `Glob`, ...); TF2's
`tf.io.gfile` in lower case (`exists`, `makedirs`, `glob`, ...). Both are here.
"""

from __future__ import annotations

import errno as _errno
import glob as _glob
import os
import shutil
import stat as _stat

from estflow.core import errors


def _os_error(path, e: OSError) -> errors.OpError:
    return errors.from_os_error(path, e)


def _text(path) -> str:
    path = os.fspath(path)
    return path.decode("utf-8") if isinstance(path, bytes) else path


# ---- file systems ---------------------------------------------------------------------------------
_BACKENDS = {"s3": "s3fs", "s3a": "s3fs", "gs": "gcsfs", "gcs": "gcsfs", "hdfs": "pyarrow", "viewfs": "pyarrow",
             "az": "adlfs", "abfs": "adlfs", "abfss": "adlfs", "http": "aiohttp", "https": "aiohttp"}


def _split_scheme(path: str):
    head, sep, _ = path.partition("://")
    if sep and head and all(c.isalnum() or c in "+-." for c in head):
        return head.lower()
    return None


class _LocalFileSystem:
    """The operating system's files."""

    scheme = None

    @staticmethod
    def open(path, mode):
        try:
            return open(path, mode)  # noqa: SIM115 - GFile owns and closes it
        except OSError as e:
            raise _os_error(path, e) from None

    @staticmethod
    def exists(path):
        return os.path.exists(path)

    @staticmethod
    def isdir(path):
        return os.path.isdir(path)

    @staticmethod
    def listdir(path):
        return sorted(os.listdir(path))

    @staticmethod
    def makedirs(path):
        os.makedirs(path, exist_ok=True)

    @staticmethod
    def mkdir(path):
        os.mkdir(path)

    @staticmethod
    def remove(path):
        os.unlink(path)

    @staticmethod
    def rename(src, dst):
        os.replace(src, dst)

    @staticmethod
    def copy(src, dst):
        shutil.copyfile(src, dst)

    @staticmethod
    def rmtree(path):
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.unlink(path)

    @staticmethod
    def stat(path):
        st = os.stat(path)
        return FileStatistics(st.st_size, st.st_mtime_ns, _stat.S_ISDIR(st.st_mode))

    @staticmethod
    def glob(pattern):
        return sorted(_glob.glob(_python_glob_pattern(pattern), include_hidden=True))


class _FsspecFileSystem:
    """A remote file system through fsspec (s3fs, gcsfs, ...)."""

    def __init__(self, fs, scheme: str):
        self.fs = fs
        self.scheme = scheme

    def _url(self, path: str) -> str:
        return path if _split_scheme(path) else f"{self.scheme}://{path}"

    def open(self, path, mode):
        try:
            return self.fs.open(path, mode)
        except FileNotFoundError:
            raise errors.NotFoundError(None, None, f"{path}; No such file or directory") from None
        except OSError as e:
            raise _os_error(path, e) from None

    def exists(self, path):
        return bool(self.fs.exists(path))

    def isdir(self, path):
        return bool(self.fs.isdir(path))

    def listdir(self, path):
        names = []
        for entry in self.fs.ls(path, detail=False):
            name = entry.rstrip("/").rsplit("/", 1)[-1]
            if name:
                names.append(name)
        return sorted(names)

    def makedirs(self, path):
        self.fs.makedirs(path, exist_ok=True)

    def mkdir(self, path):
        if self.fs.exists(path):
            raise FileExistsError(_errno.EEXIST, os.strerror(_errno.EEXIST), path)
        self.fs.mkdir(path, create_parents=False)

    def remove(self, path):
        if not self.fs.exists(path):
            raise FileNotFoundError(_errno.ENOENT, os.strerror(_errno.ENOENT), path)
        self.fs.rm(path)

    def rename(self, src, dst):
        self.fs.mv(src, dst)

    def copy(self, src, dst):
        self.fs.copy(src, dst)

    def rmtree(self, path):
        self.fs.rm(path, recursive=True)

    def stat(self, path):
        info = self.fs.info(path)
        mtime = info.get("mtime") or info.get("LastModified") or info.get("updated") or 0
        if hasattr(mtime, "timestamp"):
            mtime = mtime.timestamp()
        elif isinstance(mtime, str):
            mtime = 0
        return FileStatistics(int(info.get("size") or 0), int(float(mtime) * 1e9), info.get("type") == "directory")

    def glob(self, pattern):
        return sorted(self._url(p) for p in self.fs.glob(pattern))


_REMOTE: dict = {}


def _filesystem(path):
    """(file system, path) for a path or URL; remote schemes load fsspec lazily."""
    path = _text(path)
    scheme = _split_scheme(path)
    if scheme is None:
        return _LocalFileSystem, path
    if scheme == "file":
        return _LocalFileSystem, path[len("file://"):]
    fs = _REMOTE.get(scheme)
    if fs is None:
        backend = _BACKENDS.get(scheme, f"{scheme} filesystem")
        try:
            import fsspec  # optional dependency, only for remote schemes
        except ImportError:
            raise errors.UnimplementedError(None, None, f"No filesystem registered for scheme '{scheme}'; install "
                                                        f"fsspec and its {backend} backend") from None
        try:
            fs = _REMOTE[scheme] = _FsspecFileSystem(fsspec.filesystem(scheme), scheme)
        except (ImportError, ValueError) as e:
            raise errors.UnimplementedError(None, None, f"No filesystem registered for scheme '{scheme}'; install "
                                                        f"fsspec and its {backend} backend ({e})") from None
    return fs, path


def _call(method: str, path, *args):
    fs, p = _filesystem(path)
    try:
        return getattr(fs, method)(p, *args)
    except errors.OpError:
        raise
    except OSError as e:
        raise _os_error(p, e) from None


def _python_glob_pattern(pattern: str) -> str:
    """TF's glob syntax (`[^...]`, backslash escapes) in Python's (`[!...]`, `[c]`)."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            out.append(f"[{nxt}]" if nxt in "*?[" else nxt)
            i += 2
            continue
        if c == "[" and pattern[i + 1:i + 2] == "^":
            out.append("[!")
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


# ---- FileStatistics and GFile ---------------------------------------------------------------------
class FileStatistics:
    """What `Stat` returns: `length` in bytes, `mtime_nsec`, `is_directory`."""

    __slots__ = ("length", "mtime_nsec", "is_directory")

    def __init__(self, length: int = 0, mtime_nsec: int = 0, is_directory: bool = False):
        self.length = length
        self.mtime_nsec = mtime_nsec
        self.is_directory = is_directory

    def __repr__(self):
        return (f"FileStatistics(length={self.length}, mtime_nsec={self.mtime_nsec}, "
                f"is_directory={self.is_directory})")


_MODES = ("r", "w", "a", "r+", "w+", "a+")


class GFile:
    """A file on any supported file system, as `tf.io.gfile.GFile` (TF1: `tf.gfile.GFile` / `Open`).

    Modes "r", "w", "a" (and "r+", "w+", "a+"), with "b" for bytes: text modes read `str`
    (UTF-8, line endings untouched); both accept `str` or `bytes` to write. The file is
    opened on first use, so a missing file raises NotFoundError at the first read.

        with tf.gfile.GFile("data.csv") as f:
            header = f.readline()
            for line in f: ...
    """

    def __init__(self, name, mode="r"):
        self._name = name
        self._mode = mode
        self._binary = "b" in mode
        plain = mode.replace("b", "")
        if plain not in _MODES:
            raise errors.InvalidArgumentError(None, None, "mode is not 'r' or 'w' or 'a' or 'r+' or 'w+' or 'a+'")
        self._readable = plain in ("r", "r+", "a+", "w+")
        self._writable = plain in ("a", "w", "r+", "a+", "w+")
        self._plain = plain
        self._file = None

    name = property(lambda self: self._name, doc="The file name.")
    mode = property(lambda self: self._mode, doc="The mode the file was opened with.")

    def _handle(self):
        if self._file is None:
            fs, path = _filesystem(self._name)
            self._file = fs.open(path, self._plain + "b")
        return self._file

    def _reader(self):
        if not self._readable:
            raise errors.PermissionDeniedError(None, None, "File isn't open for reading")
        return self._handle()

    def _writer(self):
        if not self._writable:
            raise errors.PermissionDeniedError(None, None, "File isn't open for writing")
        return self._handle()

    def _value(self, data: bytes):
        return data if self._binary else data.decode("utf-8")

    def size(self) -> int:
        """The size of the file in bytes."""
        if self._file is not None and self._writable:
            self._file.flush()
        return stat(self._name).length

    def write(self, file_content) -> None:
        """Write `file_content` (str or bytes) at the end of what was written."""
        data = file_content.encode("utf-8") if isinstance(file_content, str) else bytes(file_content)
        self._io(lambda: self._writer().write(data))

    def read(self, n=-1):
        """`n` bytes from the current position (all the rest when n == -1)."""
        f = self._reader()
        return self._value(self._io(lambda: f.read(-1 if n is None or n < 0 else n)))

    def readline(self):
        """The next line, with its "\\n"; "" (or b"") at the end of the file."""
        f = self._reader()
        return self._value(self._io(f.readline))

    def readlines(self) -> list:
        """All remaining lines."""
        lines = []
        while True:
            line = self.readline()
            if not line:
                return lines
            lines.append(line)

    def seek(self, offset=None, whence=0, position=None) -> None:
        """Move to `offset` bytes from the start (whence 0), the current position (1) or the end (2)."""
        if offset is None and position is None:
            raise TypeError("seek(): offset argument required")
        if offset is not None and position is not None:
            raise TypeError("seek(): offset and position may not be set simultaneously.")
        if position is not None:
            offset = position
        if whence not in (0, 1, 2):
            raise errors.InvalidArgumentError(None, None,
                                              f"Invalid whence argument: {whence}. Valid values are 0, 1, or 2.")
        f = self._reader() if self._readable else self._writer()
        self._io(lambda: f.seek(offset, whence))

    def tell(self) -> int:
        """The current position in bytes."""
        f = self._reader() if self._readable else self._writer()
        return self._io(f.tell)

    def seekable(self) -> bool:
        return True

    def flush(self) -> None:
        """Push buffered writes to the file system."""
        if self._file is not None and self._writable:
            self._io(self._file.flush)

    def close(self) -> None:
        """Close the file (writes are flushed)."""
        if self._file is not None:
            f, self._file = self._file, None
            self._io(f.close)

    def _io(self, fn):
        try:
            return fn()
        except errors.OpError:
            raise
        except OSError as e:
            raise _os_error(self._name, e) from None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __iter__(self):
        return self

    def __next__(self):
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    next = __next__

    def __del__(self):
        f = getattr(self, "_file", None)
        if f is not None:
            try:
                f.close()
            except Exception:  # noqa: BLE001, S110 - best effort at interpreter teardown
                pass


Open = GFile
FastGFile = GFile


# ---- functions (TF2 names) ------------------------------------------------------------------------
def exists(path) -> bool:
    """True if the path exists (file or directory)."""
    return bool(_call("exists", path))


def isdir(path) -> bool:
    """True if the path is a directory."""
    fs, p = _filesystem(path)
    try:
        return bool(fs.isdir(p))
    except OSError:
        return False


def listdir(path) -> list[str]:
    """The names in a directory (without "." and ".."); NotFoundError when it is not a directory."""
    if not isdir(path):
        raise errors.NotFoundError(None, None, f"Could not find directory {_text(path)}")
    return list(_call("listdir", path))


def makedirs(path) -> None:
    """Create a directory and any missing parents; fine if it exists."""
    _call("makedirs", path)


def mkdir(path) -> None:
    """Create one directory (its parent must exist); AlreadyExistsError if it exists."""
    _call("mkdir", path)


def remove(path) -> None:
    """Delete a file; NotFoundError if it does not exist."""
    _call("remove", path)


def rename(src, dst, overwrite=False) -> None:
    """Rename or move a file or directory; AlreadyExistsError if `dst` exists and not `overwrite`."""
    if not overwrite and exists(dst):
        raise errors.AlreadyExistsError(None, None, "file already exists")
    fs_src, p_src = _filesystem(src)
    fs_dst, p_dst = _filesystem(dst)
    if fs_src is not fs_dst:
        raise errors.UnimplementedError(None, None, f"Cannot rename {_text(src)} to {_text(dst)}: they are on "
                                                    "different file systems; copy and remove instead.")
    _call("rename", src, p_dst)


def copy(src, dst, overwrite=False) -> None:
    """Copy a file; AlreadyExistsError if `dst` exists and not `overwrite`."""
    if not overwrite and exists(dst):
        raise errors.AlreadyExistsError(None, None, "file already exists")
    fs_src, _ = _filesystem(src)
    fs_dst, p_dst = _filesystem(dst)
    if fs_src is fs_dst:
        _call("copy", src, p_dst)
        return
    with GFile(src, "rb") as reader, GFile(dst, "wb") as writer:  # across file systems: stream it
        while True:
            block = reader.read(16 << 20)
            if not block:
                break
            writer.write(block)


def rmtree(path) -> None:
    """Delete a directory and everything under it; NotFoundError if it does not exist."""
    if not exists(path):
        raise errors.NotFoundError(None, None, f"{_text(path)} not found")
    _call("rmtree", path)


def stat(path) -> FileStatistics:
    """Size, modification time (ns) and whether it is a directory."""
    return _call("stat", path)


def glob(pattern) -> list[str]:
    """The paths matching a pattern (or any of a list of patterns): `*`, `?`, `[a-z]`, `[^a]`, `\\c`.

    `*` and `?` do not cross "/"; hidden files match.
    """
    patterns = [pattern] if isinstance(pattern, (str, bytes, os.PathLike)) else list(pattern)
    out = []
    for p in patterns:
        out.extend(_call("glob", p))
    return out


def walk(top, topdown=True, onerror=None):
    """Yield `(dirname, subdirs, files)` for each directory under `top`, parents first unless `topdown=False`.

    A missing `top` yields nothing (or calls `onerror` with the NotFoundError).
    """
    top = _text(top)
    try:
        listing = listdir(top)
    except errors.NotFoundError as e:
        if onerror is not None:
            onerror(e)
        return
    subdirs, files = [], []
    for item in listing:
        (subdirs if isdir(_join(top, item)) else files).append(item)
    here = (top, subdirs, files)
    if topdown:
        yield here
    for subdir in subdirs:
        yield from walk(_join(top, subdir), topdown, onerror)
    if not topdown:
        yield here


def _join(parent: str, item: str) -> str:
    if item.startswith("/"):
        return os.path.join(parent, "") + item
    if _split_scheme(parent):
        return parent.rstrip("/") + "/" + item
    return os.path.join(parent, item)


def join(path, *paths) -> str:
    """Join path components, keeping URL schemes intact (`tf.io.gfile.join`)."""
    path = _text(path)
    if _split_scheme(path):
        out = path
        for p in paths:
            out = out.rstrip("/") + "/" + _text(p).lstrip("/")
        return out
    return os.path.join(path, *[_text(p) for p in paths])


# ---- TF1 names ------------------------------------------------------------------------------------
Exists = exists
IsDirectory = isdir
ListDirectory = listdir
MakeDirs = makedirs
MkDir = mkdir
Remove = remove
Rename = rename
Copy = copy
DeleteRecursively = rmtree
Stat = stat
Glob = glob


def Walk(top, in_order=True):  # noqa: N802 - TF1's public name
    """`tf.gfile.Walk`: as `walk`, parents first when `in_order`."""
    return walk(top, topdown=in_order)
