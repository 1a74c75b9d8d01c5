#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# freeze.py TID SECONDS: stop one thread (not its whole process: SIGSTOP
# would stop every thread) for SECONDS, then let it run again. This is a
# worker stuck in a loop as the rest of the process sees it: its event
# loop turns no more while the other threads carry on. Uses ptrace's
# PTRACE_SEIZE + PTRACE_INTERRUPT, which stop exactly the one tracee
# without a signal (the workers block every signal). Needs root (or
# CAP_SYS_PTRACE). Prints "frozen" once the thread is stopped.
import ctypes
import os
import sys
import time

PTRACE_DETACH = 17
PTRACE_SEIZE = 0x4206
PTRACE_INTERRUPT = 0x4207
WALL = 0x40000000

libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
tid, seconds = int(sys.argv[1]), float(sys.argv[2])


def ptrace(req, data=None):
    if libc.ptrace(req, tid, None, data) < 0:
        e = ctypes.get_errno()
        sys.exit("ptrace(%#x, %d): %s" % (req, tid, os.strerror(e)))


ptrace(PTRACE_SEIZE)
ptrace(PTRACE_INTERRUPT)
os.waitpid(tid, WALL)
print("frozen", flush=True)
time.sleep(seconds)
ptrace(PTRACE_DETACH)
print("released", flush=True)
