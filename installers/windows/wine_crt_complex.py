"""Wine 8 only, in the build/test box only: real C99 complex accessors in place of ucrtbase's stubs.

Wine 8's ucrtbase exports ``crealf``, ``cimag``, ``cabsf``, ``cargf``... as stubs that abort
the process ("unimplemented function ucrtbase.dll.crealf"), and numpy 2 calls them when it
loads, so numpy (and with it pyqtgraph, and PyInstaller's analysis of either) cannot run
under Wine 8. Wine 9 implements them. This module, imported by a .pth file in the box's
site-packages, writes each accessor's few bytes of x86-64 code over its 24-byte stub before
anything loads numpy: the x64 ABI passes an ``_Fcomplex`` by value in RCX and a
``_Dcomplex``/``_Lcomplex`` by reference, and the magnitude and angle jump to ucrtbase's
own ``_hypot(f)`` and ``atan2(f)``. It does nothing outside Wine, and nothing RigPilot ships
imports it.
"""

from __future__ import annotations

import ctypes
import struct
import sys

_STUB_BYTES = 24  # the size of each stub thunk in Wine 8's ucrtbase


def _on_wine() -> bool:
    if sys.platform != "win32":
        return False
    ntdll = ctypes.WinDLL("ntdll")  # type: ignore[attr-defined]
    return hasattr(ntdll, "wine_get_version")


def _patch() -> None:
    k32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
    k32.GetModuleHandleW.restype = ctypes.c_void_p
    k32.GetProcAddress.restype = ctypes.c_void_p
    k32.GetProcAddress.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    k32.VirtualProtect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint32,
                                   ctypes.POINTER(ctypes.c_uint32)]  # fmt: skip
    k32.GetCurrentProcess.restype = ctypes.c_void_p
    k32.FlushInstructionCache.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t]
    ucrt = k32.GetModuleHandleW("ucrtbase")
    if not ucrt:
        return

    def address(name: bytes) -> int:
        found = k32.GetProcAddress(ucrt, name)
        if not found:
            raise OSError(f"ucrtbase has no {name.decode()}")
        return int(found)

    def jump(target: bytes) -> bytes:  # movabs rax, target; jmp rax
        return b"\x48\xb8" + struct.pack("<Q", address(target)) + b"\xff\xe0"

    float_parts = b"\x66\x0f\x6e\xc1\x48\xc1\xe9\x20\x66\x0f\x6e\xc9"  # xmm0=re, xmm1=im
    double_parts = b"\xf2\x0f\x10\x01\xf2\x0f\x10\x49\x08"  # xmm0=z->re, xmm1=z->im
    code = {
        b"crealf": b"\x66\x0f\x6e\xc1\xc3",  # movd xmm0, ecx; ret
        b"cimagf": b"\x48\xc1\xe9\x20\x66\x0f\x6e\xc1\xc3",  # shr rcx, 32; movd xmm0, ecx
        b"creall": b"\xf2\x0f\x10\x01\xc3",  # movsd xmm0, [rcx]; ret
        b"cimag": b"\xf2\x0f\x10\x41\x08\xc3",  # movsd xmm0, [rcx+8]; ret
        b"cimagl": b"\xf2\x0f\x10\x41\x08\xc3",
        # atan2(im, re): xmm0=im, xmm1=re
        b"carg": b"\xf2\x0f\x10\x41\x08\xf2\x0f\x10\x09" + jump(b"atan2"),
        b"cargl": b"\xf2\x0f\x10\x41\x08\xf2\x0f\x10\x09" + jump(b"atan2"),
        b"cargf": b"\x66\x0f\x6e\xc9\x48\xc1\xe9\x20\x66\x0f\x6e\xc1" + jump(b"atan2f"),
        b"cabsf": float_parts + jump(b"_hypotf"),
        b"cabsl": double_parts + jump(b"_hypot"),
    }
    process = k32.GetCurrentProcess()
    for name, body in code.items():
        assert len(body) <= _STUB_BYTES, name
        where = address(name)
        old = ctypes.c_uint32()
        if not k32.VirtualProtect(where, _STUB_BYTES, 0x40, ctypes.byref(old)):
            raise ctypes.WinError(ctypes.get_last_error())  # type: ignore[attr-defined]
        ctypes.memmove(where, body, len(body))
        k32.VirtualProtect(where, _STUB_BYTES, old.value, ctypes.byref(old))
        k32.FlushInstructionCache(process, where, _STUB_BYTES)


if _on_wine():
    _patch()
