#!/usr/bin/python3
# crypt-hash.py PASSWORD [PREFIX]: a crypt(3) hash from libxcrypt (default
# yescrypt "$y$"), for test users files and client secret_hash lines.
import ctypes
import sys

lc = ctypes.CDLL("libcrypt.so.1")
lc.crypt_gensalt.restype = ctypes.c_char_p
lc.crypt_gensalt.argtypes = [ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p, ctypes.c_int]
lc.crypt.restype = ctypes.c_char_p
lc.crypt.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
prefix = sys.argv[2].encode() if len(sys.argv) > 2 else b"$y$"
setting = lc.crypt_gensalt(prefix, 0, None, 0)
if not setting:
    sys.exit("crypt_gensalt failed")
out = lc.crypt(sys.argv[1].encode(), setting)
if not out or out.startswith(b"*"):
    sys.exit("crypt failed")
print(out.decode())
