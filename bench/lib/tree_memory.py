"""Runs a command and prints the peak memory of its whole process tree, in kB.

Usage: tree_memory.py COMMAND
COMMAND is a command line split into words (no shell), run with no input and its output
discarded. The memory is the sum of the proportional set size (Pss: a page shared by n
processes counts 1/n in each) of every process of the tree, sampled every 50 ms. This process
becomes a child subreaper, so the processes that daemonize (an `ssh -f` control master) stay in
the tree. Prints "PEAK_KB PEAK_PROCESSES OWN_PEAK_KB": the tree's peak, the most processes
running at once (exited ones awaiting their reaping left out), and the peak of the command's
own process; exits with the command's status.
"""

import ctypes
import os
import shlex
import subprocess
import sys
import time

PR_SET_CHILD_SUBREAPER = 36
INTERVAL_S = 0.05


def parents() -> dict[int, int]:
    """Every process's parent, by pid."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as stat:
                # The command name, in parentheses, may hold spaces: the fields follow the last ")".
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        table[int(entry)] = int(fields[1])
    return table


def descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for pid, parent in parents().items():
        children.setdefault(parent, []).append(pid)
    found, stack = [], [root]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def running(pid: int) -> bool:
    """Whether a process still runs: an orphan that exited stays a zombie until this subreaper
    reaps it, after the command ends, and is not counted."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def program(pid: int) -> str:
    try:
        return os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return ""


def pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="utf-8") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def main() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        sys.exit(f"error: prctl(PR_SET_CHILD_SUBREAPER): {os.strerror(ctypes.get_errno())}")
    command = subprocess.Popen(
        shlex.split(sys.argv[1]),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    peak_kb, peak_processes, own_peak_kb = 0, 0, 0
    while True:
        tree = descendants(os.getpid())
        if command.poll() is not None and len(tree) == 0:
            break
        # A child of the command still running the command's program is between its spawn and
        # its exec, in the command's own memory (posix_spawn's CLONE_VM): counted once, not twice.
        own_program = program(command.pid)
        counted = [pid for pid in tree if pid == command.pid or program(pid) != own_program]
        peak_kb = max(peak_kb, sum(pss_kb(pid) for pid in counted))
        peak_processes = max(peak_processes, sum(1 for pid in tree if running(pid)))
        own_peak_kb = max(own_peak_kb, pss_kb(command.pid))
        # Once the command's status is kept, reap the orphans the tree hands to this subreaper.
        if command.returncode is not None:
            try:
                while os.waitpid(-1, os.WNOHANG)[0] > 0:
                    pass
            except ChildProcessError:
                pass
        time.sleep(INTERVAL_S)
    print(peak_kb, peak_processes, own_peak_kb)
    sys.exit(command.returncode)


if __name__ == "__main__":
    main()
