"""Cheap, read-only probes that feed the activity guard; the only module here that does I/O.

What each platform can tell, and how (all without spawning a process):

* running process names: one Toolhelp32 snapshot on Windows (every process's image name in
  one call, with no per-process handle: a game running elevated or under anti-cheat is
  still listed, and Wine, whose NtQuerySystemInformation lacks the class psutil's
  ``name()`` needs, answers it too); on Linux psutil's names read from /proc at a fraction
  of psutil's cost (proc_names.py: this probe runs every 2 s all day); psutil elsewhere
  (names only);
* seconds since the last keyboard/mouse input: Windows ``GetLastInputInfo``; macOS
  ``CGEventSourceSecondsSinceLastEventType``; X11 the MIT-SCREEN-SAVER extension (libXss),
  through ctypes. Under Wayland the compositor does not share it, so the answer is None
  (and so for a worker started without a display, e.g. a systemd service);
* a full-screen window in front: Windows (foreground window covers its monitor); X11 with
  an EWMH window manager (``_NET_WM_STATE_FULLSCREEN`` on ``_NET_ACTIVE_WINDOW``). macOS,
  Wayland and X11 without such a window manager answer None.

None always means "cannot tell here", never "no": the guard and the UI treat it so.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from desktop.guard.proc_names import ProcessNames

_linux_names = ProcessNames()  # keeps its /proc files between rounds


def probe_processes() -> set[str]:
    """Names of the processes running now (processes we may not inspect are skipped)."""
    if sys.platform == "win32":
        return _win_process_names()
    if sys.platform != "linux":
        return _psutil_process_names()
    return _linux_names()


def _psutil_process_names() -> set[str]:
    """macOS and the BSDs: psutil's names."""
    import psutil

    names: set[str] = set()
    for proc in psutil.process_iter(["name"]):
        name = proc.info.get("name")
        if name:
            names.add(name)
    return names


def probe_idle_seconds() -> float | None:
    """Seconds since the last keyboard or mouse input, or None where the platform can't tell."""
    try:
        if sys.platform == "win32":
            return _win_idle()
        if sys.platform == "darwin":
            return _mac_idle()
        return _x11_idle()
    except (OSError, AttributeError, ValueError):
        return None


def probe_fullscreen() -> bool | None:
    """Whether the window in front covers the whole screen; None where we can't tell."""
    try:
        if sys.platform == "win32":
            return _win_fullscreen()
        if sys.platform == "darwin":
            return None
        return _x11_fullscreen()
    except (OSError, AttributeError, ValueError):
        return None


# --- Windows --------------------------------------------------------------------------

_TH32CS_SNAPPROCESS = 0x2
_INVALID_HANDLE = ctypes.c_void_p(-1).value


class _ProcessEntry32W(ctypes.Structure):
    _fields_ = [
        ("dwSize", ctypes.c_uint32),
        ("cntUsage", ctypes.c_uint32),
        ("th32ProcessID", ctypes.c_uint32),
        ("th32DefaultHeapID", ctypes.c_size_t),
        ("th32ModuleID", ctypes.c_uint32),
        ("cntThreads", ctypes.c_uint32),
        ("th32ParentProcessID", ctypes.c_uint32),
        ("pcPriClassBase", ctypes.c_long),
        ("dwFlags", ctypes.c_uint32),
        ("szExeFile", ctypes.c_wchar * 260),
    ]


def _win_process_names() -> set[str]:
    """Image names (``cs2.exe``) of every process, from one Toolhelp32 snapshot."""
    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
    kernel32.CreateToolhelp32Snapshot.restype = ctypes.c_void_p
    kernel32.CreateToolhelp32Snapshot.argtypes = [ctypes.c_uint32, ctypes.c_uint32]
    kernel32.Process32FirstW.argtypes = [ctypes.c_void_p, ctypes.POINTER(_ProcessEntry32W)]
    kernel32.Process32NextW.argtypes = [ctypes.c_void_p, ctypes.POINTER(_ProcessEntry32W)]
    kernel32.CloseHandle.argtypes = [ctypes.c_void_p]
    snapshot = kernel32.CreateToolhelp32Snapshot(_TH32CS_SNAPPROCESS, 0)
    if not snapshot or snapshot == _INVALID_HANDLE:
        raise ctypes.WinError(ctypes.get_last_error())  # type: ignore[attr-defined]
    names: set[str] = set()
    entry = _ProcessEntry32W()
    entry.dwSize = ctypes.sizeof(_ProcessEntry32W)
    try:
        more = kernel32.Process32FirstW(snapshot, ctypes.byref(entry))
        while more:
            if entry.szExeFile:
                names.add(entry.szExeFile)
            more = kernel32.Process32NextW(snapshot, ctypes.byref(entry))
    finally:
        kernel32.CloseHandle(snapshot)
    return names



def _win_idle() -> float | None:
    class LastInputInfo(ctypes.Structure):
        _fields_ = [("cbSize", ctypes.c_uint), ("dwTime", ctypes.c_uint)]

    user32 = ctypes.WinDLL("user32")  # type: ignore[attr-defined]
    kernel32 = ctypes.WinDLL("kernel32")  # type: ignore[attr-defined]
    info = LastInputInfo(ctypes.sizeof(LastInputInfo), 0)
    if not user32.GetLastInputInfo(ctypes.byref(info)):
        return None
    kernel32.GetTickCount.restype = ctypes.c_uint
    return float((kernel32.GetTickCount() - info.dwTime) & 0xFFFFFFFF) / 1000.0


def _win_fullscreen() -> bool | None:
    class Rect(ctypes.Structure):
        _fields_ = [(n, ctypes.c_long) for n in ("left", "top", "right", "bottom")]

    class MonitorInfo(ctypes.Structure):
        _fields_ = [
            ("cbSize", ctypes.c_ulong),
            ("rcMonitor", Rect),
            ("rcWork", Rect),
            ("dwFlags", ctypes.c_ulong),
        ]

    user32 = ctypes.WinDLL("user32")  # type: ignore[attr-defined]
    user32.GetForegroundWindow.restype = ctypes.c_void_p
    user32.MonitorFromWindow.restype = ctypes.c_void_p
    user32.GetShellWindow.restype = ctypes.c_void_p
    user32.GetDesktopWindow.restype = ctypes.c_void_p
    hwnd = user32.GetForegroundWindow()
    if not hwnd or hwnd in (user32.GetShellWindow(), user32.GetDesktopWindow()):
        return False
    rect = Rect()
    if not user32.GetWindowRect(ctypes.c_void_p(hwnd), ctypes.byref(rect)):
        return None
    monitor = user32.MonitorFromWindow(ctypes.c_void_p(hwnd), 2)  # MONITOR_DEFAULTTONEAREST
    info = MonitorInfo()
    info.cbSize = ctypes.sizeof(MonitorInfo)
    if not monitor or not user32.GetMonitorInfoW(ctypes.c_void_p(monitor), ctypes.byref(info)):
        return None
    m = info.rcMonitor
    return (
        rect.left <= m.left
        and rect.top <= m.top
        and rect.right >= m.right
        and rect.bottom >= m.bottom
    )


# --- macOS ----------------------------------------------------------------------------


def _mac_idle() -> float | None:
    path = ctypes.util.find_library("ApplicationServices")
    if not path:
        return None
    lib = ctypes.CDLL(path)
    fn = lib.CGEventSourceSecondsSinceLastEventType
    fn.restype = ctypes.c_double
    fn.argtypes = [ctypes.c_int32, ctypes.c_uint32]
    # kCGEventSourceStateHIDSystemState = 1, kCGAnyInputEventType = ~0
    return float(fn(1, 0xFFFFFFFF))


# --- X11 (through ctypes: no subprocess, no extra dependency) --------------------------


class _XScreenSaverInfo(ctypes.Structure):
    _fields_ = [
        ("window", ctypes.c_ulong),
        ("state", ctypes.c_int),
        ("kind", ctypes.c_int),
        ("til_or_since", ctypes.c_ulong),
        ("idle", ctypes.c_ulong),
        ("eventMask", ctypes.c_ulong),
    ]


_ERROR_HANDLER_TYPE = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)
# Xlib's default error handler exits the process (e.g. on a stale window id): ignore instead.
_IGNORE_X_ERRORS = _ERROR_HANDLER_TYPE(lambda _display, _event: 0)
_xlib: Any = None
_x_lock = threading.Lock()  # Xlib without XInitThreads: one caller at a time


def _load_xlib() -> Any:
    global _xlib
    if _xlib is None:
        path = ctypes.util.find_library("X11")
        if not path:
            raise OSError("libX11 is not installed")
        lib = ctypes.CDLL(path)
        lib.XOpenDisplay.restype = ctypes.c_void_p
        lib.XOpenDisplay.argtypes = [ctypes.c_char_p]
        lib.XCloseDisplay.argtypes = [ctypes.c_void_p]
        lib.XDefaultRootWindow.restype = ctypes.c_ulong
        lib.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
        lib.XInternAtom.restype = ctypes.c_ulong
        lib.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
        lib.XGetWindowProperty.argtypes = [
            ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_long, ctypes.c_long,
            ctypes.c_int, ctypes.c_ulong, ctypes.POINTER(ctypes.c_ulong),
            ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_ulong),
            ctypes.POINTER(ctypes.c_ulong), ctypes.POINTER(ctypes.c_void_p),
        ]  # fmt: skip
        lib.XFree.argtypes = [ctypes.c_void_p]
        lib.XSetErrorHandler(_IGNORE_X_ERRORS)
        _xlib = lib
    return _xlib


def _x11_available() -> bool:
    # Under Wayland, X11 only sees input to X windows: its idle time and focus would lie.
    return bool(os.environ.get("DISPLAY")) and not os.environ.get("WAYLAND_DISPLAY")


@contextmanager
def _display() -> Iterator[tuple[Any, int]]:
    """A short-lived connection per probe: cheap (a local socket) and never left stale."""
    with _x_lock:
        lib = _load_xlib()
        dpy = lib.XOpenDisplay(None)
        if not dpy:
            raise OSError("cannot open the X display")
        try:
            yield lib, dpy
        finally:
            lib.XCloseDisplay(dpy)


_xss: Any = None


def _load_xss() -> Any:
    """libXss, loaded once (``find_library`` runs ``ldconfig``: too slow for every probe)."""
    global _xss
    if _xss is None:
        path = ctypes.util.find_library("Xss")
        if not path:
            raise OSError("libXss is not installed")
        lib = ctypes.CDLL(path)
        lib.XScreenSaverAllocInfo.restype = ctypes.POINTER(_XScreenSaverInfo)
        lib.XScreenSaverQueryInfo.argtypes = [
            ctypes.c_void_p, ctypes.c_ulong, ctypes.POINTER(_XScreenSaverInfo),
        ]  # fmt: skip
        _xss = lib
    return _xss


def _x11_idle() -> float | None:
    if not _x11_available():
        return None
    with _display() as (lib, dpy):
        xss = _load_xss()
        info = xss.XScreenSaverAllocInfo()
        if not info:
            return None
        try:
            if not xss.XScreenSaverQueryInfo(dpy, lib.XDefaultRootWindow(dpy), info):
                return None
            return float(info.contents.idle) / 1000.0
        finally:
            lib.XFree(info)


def _x11_property(lib: Any, dpy: int, window: int, name: bytes) -> list[int] | None:
    """A 32-bit window property as a list of integers, or None when it is not set."""
    atom = lib.XInternAtom(dpy, name, 1)
    if not atom:
        return None
    kind, fmt = ctypes.c_ulong(), ctypes.c_int()
    count, after, data = ctypes.c_ulong(), ctypes.c_ulong(), ctypes.c_void_p()
    status = lib.XGetWindowProperty(
        dpy, window, atom, 0, 1024, 0, 0,  # AnyPropertyType
        ctypes.byref(kind), ctypes.byref(fmt), ctypes.byref(count), ctypes.byref(after),
        ctypes.byref(data),
    )  # fmt: skip
    if status != 0 or not data.value:
        return None
    try:
        if fmt.value != 32:
            return None
        # Format-32 properties come back as C longs, whatever their width.
        values = ctypes.cast(data, ctypes.POINTER(ctypes.c_ulong))
        return [int(values[i]) for i in range(count.value)]
    finally:
        lib.XFree(data)


def _x11_fullscreen() -> bool | None:
    if not _x11_available():
        return None
    with _display() as (lib, dpy):
        root = lib.XDefaultRootWindow(dpy)
        active = _x11_property(lib, dpy, root, b"_NET_ACTIVE_WINDOW")
        if not active:
            return None  # no EWMH window manager: we cannot tell
        if active[0] == 0:
            return False
        fullscreen = lib.XInternAtom(dpy, b"_NET_WM_STATE_FULLSCREEN", 1)
        state = _x11_property(lib, dpy, active[0], b"_NET_WM_STATE") or []
        return bool(fullscreen) and fullscreen in state
