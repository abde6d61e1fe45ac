"""The machine line every benchmark prints (run the scripts from the repository root), and
what else kept it busy meanwhile."""

from __future__ import annotations

import os
import platform
import shutil
import sys
import time

TICKS = os.sysconf("SC_CLK_TCK")


def has_telephony() -> bool:
    """Whether sipp and asterisk are installed; if not, says so on stderr."""
    for tool in ("sipp", "asterisk"):
        if not shutil.which(tool):
            print(f"needs {tool} (scripts/install-system.sh)", file=sys.stderr)
            return False
    return True


def machine() -> str:
    cpu = "unknown cpu"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f
                       if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def _processes() -> dict[int, tuple[str, int, int, int]]:
    """Every process: pid -> (name, parent pid, its CPU ticks, its reaped children's)."""
    found = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as f:
                raw = f.read()
        except OSError:
            continue  # gone meanwhile
        name = raw[raw.index("(") + 1:raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2:].split()  # state, ppid, ... utime at [11]
        found[int(entry.name)] = (name, int(fields[1]), int(fields[11]) + int(fields[12]),
                                  int(fields[13]) + int(fields[14]))
    return found


def _machine_ticks() -> tuple[int, int, int]:
    """The machine's CPU ticks so far: in processes, in interrupts, stolen by the host."""
    with open("/proc/stat") as f:
        t = [int(v) for v in f.readline().split()[1:]] + [0] * 10
    return t[0] + t[1] + t[2], t[5] + t[6], t[7]  # user nice system, irq softirq, steal


class ElsewhereMeter:
    """CPU used outside this process's tree (another session's tests, the system) from
    its creation to ``report()``: the machine's time in processes less this tree's (a
    process of the tree gone meanwhile counts in its parent once reaped), with the busiest
    others; and the time in interrupts and stolen by the host (a virtual machine)."""

    def __init__(self) -> None:
        self.root, self.at = os.getpid(), time.monotonic()
        self.start, self.ticks = _processes(), _machine_ticks()

    def report(self, top: int = 3) -> str:
        end, seconds = _processes(), max(1e-9, time.monotonic() - self.at)
        tasks, irq, steal = (100.0 * (b - a) / TICKS / seconds
                             for a, b in zip(self.ticks, _machine_ticks(), strict=True))

        def ours(pid: int) -> bool:
            for _ in range(64):
                if pid == self.root:
                    return True
                if pid not in end or pid <= 1:
                    return False
                pid = end[pid][1]
            return False
        mine, others = 0.0, {}
        for pid, (name, _, own, reaped) in end.items():
            before = self.start.get(pid, (name, 0, 0, 0))
            if ours(pid):
                mine += own + reaped - before[2] - before[3]
            else:
                others[name] = others.get(name, 0.0) + 100.0 * (own - before[2]) / TICKS / seconds
        elsewhere = max(0.0, tasks - 100.0 * mine / TICKS / seconds)
        names = ", ".join(f"{n} {p:.0f} %" for n, p in
                          sorted(others.items(), key=lambda kv: -kv[1])[:top] if p >= 0.5)
        return (f"{elsewhere:.0f} % of one core (busiest: {names or 'none'}); interrupts "
                f"{irq:.0f} %, stolen by the host {steal:.0f} %")
