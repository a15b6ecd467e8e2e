"""Windows: make a file readable by its user only, the way ``chmod 600`` does on POSIX.

Why: on Windows ``os.open(..., 0o600)`` only decides the read-only flag; who may read the
file is its ACL, inherited from the folder. Under ``%LOCALAPPDATA%`` that is already the
user, SYSTEM and Administrators, but a ``RIGPILOT_HOME`` elsewhere (``C:\\RigPilot``) inherits
"Users: read", and the API token would then be readable by every account on the machine.
So the token gets a protected DACL (no inheritance) with one entry: full control for the
current user. ``dacl_sddl`` reads it back in SDDL, which is how the tests check it.

Only ctypes and advapi32: no pywin32 at run time.
"""

from __future__ import annotations

import ctypes
from ctypes import wintypes
from pathlib import Path
from typing import Any

SE_FILE_OBJECT = 1
DACL_SECURITY_INFORMATION = 0x4
PROTECTED_DACL_SECURITY_INFORMATION = 0x80000000
SDDL_REVISION_1 = 1
TOKEN_QUERY = 0x8
TOKEN_USER_CLASS = 1


class AclError(OSError):
    """The ACL could not be read or set; the message names the file and the Windows error."""


def _dlls() -> tuple[Any, Any]:
    windll = getattr(ctypes, "WinDLL", None)
    if windll is None:
        raise AclError("file ACLs are a Windows feature")
    advapi = windll("advapi32", use_last_error=True)
    kernel = windll("kernel32", use_last_error=True)
    kernel.GetCurrentProcess.restype = wintypes.HANDLE
    kernel.LocalFree.argtypes = [ctypes.c_void_p]
    kernel.CloseHandle.argtypes = [wintypes.HANDLE]
    advapi.OpenProcessToken.argtypes = [
        wintypes.HANDLE, wintypes.DWORD, ctypes.POINTER(wintypes.HANDLE)
    ]  # fmt: skip
    advapi.GetTokenInformation.argtypes = [
        wintypes.HANDLE, ctypes.c_int, ctypes.c_void_p, wintypes.DWORD,
        ctypes.POINTER(wintypes.DWORD),
    ]  # fmt: skip
    advapi.ConvertSidToStringSidW.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_wchar_p)]
    advapi.ConvertStringSecurityDescriptorToSecurityDescriptorW.argtypes = [
        wintypes.LPCWSTR, wintypes.DWORD, ctypes.POINTER(ctypes.c_void_p),
        ctypes.POINTER(wintypes.ULONG),
    ]  # fmt: skip
    advapi.GetSecurityDescriptorDacl.argtypes = [
        ctypes.c_void_p, ctypes.POINTER(wintypes.BOOL), ctypes.POINTER(ctypes.c_void_p),
        ctypes.POINTER(wintypes.BOOL),
    ]  # fmt: skip
    advapi.SetNamedSecurityInfoW.restype = wintypes.DWORD
    advapi.SetNamedSecurityInfoW.argtypes = [
        wintypes.LPWSTR, ctypes.c_int, wintypes.DWORD, ctypes.c_void_p, ctypes.c_void_p,
        ctypes.c_void_p, ctypes.c_void_p,
    ]  # fmt: skip
    advapi.GetNamedSecurityInfoW.restype = wintypes.DWORD
    advapi.GetNamedSecurityInfoW.argtypes = [
        wintypes.LPCWSTR, ctypes.c_int, wintypes.DWORD, ctypes.c_void_p, ctypes.c_void_p,
        ctypes.POINTER(ctypes.c_void_p), ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p),
    ]  # fmt: skip
    advapi.ConvertSecurityDescriptorToStringSecurityDescriptorW.argtypes = [
        ctypes.c_void_p, wintypes.DWORD, wintypes.DWORD, ctypes.POINTER(ctypes.c_wchar_p),
        ctypes.POINTER(wintypes.ULONG),
    ]  # fmt: skip
    return advapi, kernel


def _fail(what: str, code: int | None = None) -> AclError:
    code = getattr(ctypes, "get_last_error")() if code is None else code  # noqa: B009
    message = getattr(ctypes, "FormatError")(code).strip()  # noqa: B009 - Windows-only names
    return AclError(f"{what}: {message} (Windows error {code})")


def current_user_sid() -> str:
    """The SID of the user this process runs as (``S-1-5-21-…``)."""
    advapi, kernel = _dlls()
    token = wintypes.HANDLE()
    if not advapi.OpenProcessToken(kernel.GetCurrentProcess(), TOKEN_QUERY, ctypes.byref(token)):
        raise _fail("cannot open this process's token")
    try:
        needed = wintypes.DWORD()
        advapi.GetTokenInformation(token, TOKEN_USER_CLASS, None, 0, ctypes.byref(needed))
        buffer = ctypes.create_string_buffer(needed.value)
        if not advapi.GetTokenInformation(
            token, TOKEN_USER_CLASS, buffer, needed, ctypes.byref(needed)
        ):
            raise _fail("cannot read this process's user")
        sid = ctypes.c_void_p.from_buffer(buffer).value  # TOKEN_USER starts with the PSID
        text = ctypes.c_wchar_p()
        if not advapi.ConvertSidToStringSidW(sid, ctypes.byref(text)):
            raise _fail("cannot write the user's SID as text")
        try:
            return str(text.value)
        finally:
            kernel.LocalFree(text)
    finally:
        kernel.CloseHandle(token)


def owner_only_sddl(sid: str) -> str:
    """The DACL we set: protected (``P``), one entry: full access (``FA``) for ``sid``."""
    return f"D:P(A;;FA;;;{sid})"


def restrict_to_current_user(path: Path) -> None:
    """Replace the DACL of ``path`` by "this user: full control", nothing inherited."""
    advapi, kernel = _dlls()
    descriptor = ctypes.c_void_p()
    sddl = owner_only_sddl(current_user_sid())
    if not advapi.ConvertStringSecurityDescriptorToSecurityDescriptorW(
        sddl, SDDL_REVISION_1, ctypes.byref(descriptor), None
    ):
        raise _fail(f"cannot build the ACL {sddl}")
    try:
        present, defaulted = wintypes.BOOL(), wintypes.BOOL()
        dacl = ctypes.c_void_p()
        if not advapi.GetSecurityDescriptorDacl(
            descriptor, ctypes.byref(present), ctypes.byref(dacl), ctypes.byref(defaulted)
        ):
            raise _fail("cannot read the ACL just built")
        flags = DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION
        status = advapi.SetNamedSecurityInfoW(
            str(path), SE_FILE_OBJECT, flags, None, None, dacl, None
        )
        if status:
            raise _fail(f"cannot make {path} private to this user", status)
    finally:
        kernel.LocalFree(descriptor)


def dacl_sddl(path: Path) -> str:
    """The DACL of ``path`` in SDDL (``D:P(A;;FA;;;S-1-5-21-…)``)."""
    advapi, kernel = _dlls()
    dacl, descriptor = ctypes.c_void_p(), ctypes.c_void_p()
    status = advapi.GetNamedSecurityInfoW(
        str(path), SE_FILE_OBJECT, DACL_SECURITY_INFORMATION, None, None,
        ctypes.byref(dacl), None, ctypes.byref(descriptor),
    )  # fmt: skip
    if status:
        raise _fail(f"cannot read the ACL of {path}", status)
    try:
        text = ctypes.c_wchar_p()
        if not advapi.ConvertSecurityDescriptorToStringSecurityDescriptorW(
            descriptor, SDDL_REVISION_1, DACL_SECURITY_INFORMATION, ctypes.byref(text), None
        ):
            raise _fail(f"cannot write the ACL of {path} as text")
        try:
            return str(text.value)
        finally:
            kernel.LocalFree(text)
    finally:
        kernel.LocalFree(descriptor)
