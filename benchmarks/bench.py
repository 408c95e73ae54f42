"""Time shebangfix against the alternatives on synthetic venvs; print medians and ratios.

    uv run python benchmarks/bench.py                      # 100, 1000 and 5000 scripts
    uv run python benchmarks/bench.py --sizes 100 1000 10000 100000 --runs 3
    uv run python benchmarks/bench.py --virtualenv-tools   # also install and time it

Each tool runs on its own copy of the same venv; the tools alternate within each round (in
a rotating order), and every run is checked to have done the work. All copies of a round
are made before any is timed, and deleted when the round is done, followed by a sync and a
pause: freshly deleted inodes make the next file creations slow on some filesystems, and
that cost belongs to the benchmark, not to the tool that happens to run next. (Keeping
every round's copies until the size is done would leave millions of files on the disk at
100 000 scripts.) A first, untimed round warms the caches and measures each tool's peak RSS
(with GNU time when present: see ``run``). Times are whole-process wall times. Ratios are
what to read: machines here are noisy.

The two "floor" rows are not tools but the least a Python program can do for each job:
read every file once; write every script anew and rename it over the old one. shebangfix
does more than either; its ratio to them shows how much of its time is its own rather than
the interpreter's and the filesystem's. (``fix`` can still come in under its floor, which
frees each replaced file inside its rename, one after another: see the README.)

Last comes a table of the project's speed targets (at 5000 scripts): each measured ratio and
whether it is met, with the two floors beside them.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

OLD = "/build/.venv"
TIMES = "\N{MULTIPLICATION SIGN}"
PIP_BODY = (
    "# -*- coding: utf-8 -*-\nimport re\nimport sys\nfrom demo.{module} import main\n"
    "if __name__ == '__main__':\n"
    "    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n"
    "    sys.exit(main())\n"
)
UV_BODY = (
    "# -*- coding: utf-8 -*-\nimport sys\nfrom demo.{module} import main\n"
    'if __name__ == "__main__":\n'
    '    if sys.argv[0].endswith("-script.pyw"):\n'
    "        sys.argv[0] = sys.argv[0][:-11]\n"
    '    elif sys.argv[0].endswith(".exe"):\n'
    "        sys.argv[0] = sys.argv[0][:-4]\n"
    "    sys.exit(main())\n"
)
# What pip writes when the interpreter path cannot go on a #! line (too long, or spaced).
TRAMPOLINE = "#!/bin/sh\n'''exec' \"{python}\" \"$0\" \"$@\"\n' '''\n"
HUGE = 1 << 30
# The least any Python program can do for check: list bin/ and read each file once.
READ_FLOOR = """\
import os, sys
old = sys.argv[2].encode()
for entry in os.scandir(sys.argv[1]):
    if entry.is_file(follow_symlinks=False):
        fd = os.open(entry.path, os.O_RDONLY)
        if old in os.read(fd, 8192):
            print(entry.path)
        os.close(fd)
"""
# ... and for fix: each script read, written to a new file beside it and renamed over it,
# with nothing else (no sync, no checks, no RECORD; only the mode kept).
REPLACE_FLOOR = """\
import os, sys
old, new = sys.argv[2].encode(), sys.argv[3].encode()
for entry in os.scandir(sys.argv[1]):
    if entry.name.startswith("tool") and entry.is_file(follow_symlinks=False):
        fd = os.open(entry.path, os.O_RDONLY)
        data = os.read(fd, 1 << 20)
        mode = os.fstat(fd).st_mode & 0o7777
        os.close(fd)
        temp = entry.path + ".tmp"
        out = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        os.write(out, data.replace(old, new, 1))
        os.close(out)
        os.rename(temp, entry.path)
"""


def make_venv(root: Path, scripts: int, built_at: str = OLD) -> None:
    """A venv as pip and uv leave it when built at ``built_at`` (by default: moved away).

    Its scripts are pip's (a plain ``#!`` line), uv's and pip's ``/bin/sh`` trampolines, in
    turn, each from its own package with its own RECORD (CRLF for pip, LF for uv).
    """
    bin_dir = root / "bin"
    site = root / "lib" / "python3.11" / "site-packages"
    bin_dir.mkdir(parents=True)
    site.mkdir(parents=True)
    (root / "pyvenv.cfg").write_text(
        f"home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.11.7\n"
        f"command = /usr/bin/python3 -m venv {built_at}\n"
    )
    os.symlink(os.path.realpath(sys.executable), bin_dir / "python")
    os.symlink("python", bin_dir / "python3")
    (bin_dir / "activate").write_text(f'VIRTUAL_ENV="{built_at}"\nexport VIRTUAL_ENV\n')
    rows: dict[str, list[str]] = {"pip": [], "uv": []}
    for index in range(scripts):
        name = f"tool{index:06d}"
        style = ("pip", "uv", "trampoline")[index % 3]
        if style == "uv":
            data = f"#!{built_at}/bin/python3\n" + UV_BODY.format(module=name)
        elif style == "pip":
            data = f"#!{built_at}/bin/python\n" + PIP_BODY.format(module=name)
        else:
            python = f"{built_at}/bin/python"
            data = TRAMPOLINE.format(python=python) + PIP_BODY.format(module=name)
        path = bin_dir / name
        path.write_bytes(data.encode())
        path.chmod(0o755)
        installer = "uv" if style == "uv" else "pip"
        ending = "\n" if installer == "uv" else "\r\n"
        digest = base64.urlsafe_b64encode(hashlib.sha256(data.encode()).digest()).rstrip(b"=")
        rows[installer].append(f"../../../bin/{name},sha256={digest.decode()},{len(data)}{ending}")
    for installer, lines in rows.items():
        dist = site / f"demo_{installer}-1.0.dist-info"
        dist.mkdir()
        (dist / "RECORD").write_text("".join(lines), newline="")
        (dist / "INSTALLER").write_text(f"{installer}\n")


# A child's peak RSS as wait4 reports it includes the memory of the process it was forked
# from (this one). GNU time forks the tool itself, from a small process, so its figure is the
# tool's own; without it, the figure is an upper bound.
GNU_TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None


def run(command: list[str], cwd: Path, output: Path, rss: bool = False) -> tuple[float, int]:
    """Wall time and peak RSS (KiB) of one process; its stdout goes to ``output``.

    With ``rss``, the peak is measured by GNU time when there is one (the wall time then
    includes it: use one or the other).
    """
    rss_file = output.with_suffix(".rss")
    if rss and GNU_TIME:
        command = [GNU_TIME, "-f", "%M", "-o", str(rss_file), *command]
    with output.open("wb") as out:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise SystemExit(f"{' '.join(command[:8])} failed with {code}")
    peak = usage.ru_maxrss
    if rss and GNU_TIME:
        peak = int(rss_file.read_text().split()[-1])
    return elapsed, peak


def unfixed(venv: Path) -> int:
    """Scripts that still name the old path."""
    old = OLD.encode()
    return sum(old in p.read_bytes()[:200] for p in (venv / "bin").glob("tool*"))


def reported(output: Path) -> int:
    """Scripts a check named in its output."""
    return sum(1 for line in output.read_text().splitlines() if "tool" in line)


@dataclass
class Tool:
    name: str
    command: Callable[[Path], list[str]]
    writes: bool
    reference: str
    """The tool this one is compared with."""
    floor: str = ""
    """The least a Python program could do for the same job (a row of its own)."""


def tools(python: str, tools3: str | None) -> list[Tool]:
    found = [
        Tool("grep -l", lambda v: ["grep", "-rl", OLD, str(v / "bin")], False, ""),
        Tool(
            "floor: Python reads each file",
            lambda v: [python, "-c", READ_FLOOR, str(v / "bin"), OLD],
            False,
            "grep -l",
        ),
        Tool(
            "shebangfix check",
            lambda v: [python, "-m", "shebangfix", "check", str(v)],
            False,
            "grep -l",
            "floor: Python reads each file",
        ),
        Tool(
            "sed -i",
            # find batches the arguments: 100 000 names overflow one command line.
            lambda v: [
                "find",
                str(v / "bin"),
                "-name",
                "tool*",
                "-exec",
                "sed",
                "-i",
                f"s|{OLD}|{v}|",
                "{}",
                "+",
            ],
            True,
            "",
        ),
        Tool(
            "floor: Python replaces each file",
            lambda v: [python, "-c", REPLACE_FLOOR, str(v / "bin"), OLD, str(v)],
            True,
            "sed -i",
        ),
        Tool(
            "shebangfix fix",
            lambda v: [python, "-m", "shebangfix", "fix", str(v)],
            True,
            "sed -i",
            "floor: Python replaces each file",
        ),
        # The same without the one sync before the renames: what durability costs.
        Tool(
            "shebangfix fix --no-sync",
            lambda v: [python, "-m", "shebangfix", "fix", "--no-sync", str(v)],
            True,
            "sed -i",
            "floor: Python replaces each file",
        ),
    ]
    if tools3:
        found.append(
            Tool(
                "virtualenv-tools3",
                lambda v: [tools3, "--update-path", str(v), str(v)],
                True,
                "",
            )
        )
    return found


def bench_size(work: Path, size: int, runs: int, all_tools: list[Tool]) -> dict[str, float]:
    """Time every tool on venvs of ``size`` scripts; print the table; return the medians."""
    template = work / f"template-{size}"
    make_venv(template, size)
    times: dict[str, list[float]] = {tool.name: [] for tool in all_tools}
    rss: dict[str, int] = dict.fromkeys(times, 0)
    missed: dict[str, int] = dict.fromkeys(times, 0)
    # Round 0 warms the caches and measures peak RSS; rounds 1.. are timed.
    for round_ in range(runs + 1):
        order = all_tools[round_ % len(all_tools) :] + all_tools[: round_ % len(all_tools)]
        venvs = {}
        for index, tool in enumerate(order):
            venv = work / f"run-{size}-{round_}-{index}"
            shutil.copytree(template, venv, symlinks=True)
            venvs[tool.name] = venv
        os.sync()
        for tool in order:
            venv = venvs[tool.name]
            output = work / "output"
            # Nothing dirty at the start: a tool that syncs must not pay for the writes of
            # the tool before it.
            os.sync()
            elapsed, peak = run(tool.command(venv), work, output, rss=round_ == 0)
            if tool.writes:
                missed[tool.name] = max(missed[tool.name], unfixed(venv))
            elif reported(output) < size:
                raise SystemExit(f"{tool.name} missed scripts")
            if round_ == 0:
                rss[tool.name] = peak
            else:
                times[tool.name].append(elapsed)
        print(f"  size {size}: round {round_}/{runs}", file=sys.stderr)
        for venv in venvs.values():
            shutil.rmtree(venv)
        os.sync()
        time.sleep(2)
    medians = {name: statistics.median(values) for name, values in times.items()}
    for tool in all_tools:
        if tool.writes and tool.name.startswith("shebangfix") and missed[tool.name]:
            raise SystemExit(f"{tool.name} left {missed[tool.name]} scripts unfixed")
    print(f"\n{size} scripts, median of {runs} runs\n")
    print("| tool | median s | per file µs | peak RSS MiB | ratio | scripts left |")
    print("|---|---:|---:|---:|---|---:|")
    tools3 = medians.get("virtualenv-tools3")
    for tool in all_tools:
        median = medians[tool.name]
        ratio = ""
        if tool.reference:
            ratio = f"{median / medians[tool.reference]:.2f}{TIMES} {tool.reference}"
        if tool.reference == "sed -i" and tools3 and not tool.name.startswith("floor"):
            ratio += f", {median / tools3:.2f}{TIMES} virtualenv-tools3"
        if tool.floor:
            ratio += f", {median / medians[tool.floor]:.2f}{TIMES} floor"
        left = str(missed[tool.name]) if tool.writes else ""
        print(
            f"| {tool.name} | {median:.3f} | {median / size * 1e6:.1f} "
            f"| {rss[tool.name] / 1024:.1f} | {ratio} | {left} |"
        )
    shutil.rmtree(template)
    return medians


def bench_startup(work: Path, python: str, runs: int) -> dict[str, float]:
    """What a small venv costs: start-up against ``python -c pass``; return the medians."""
    venv = work / "small"
    make_venv(venv, 20)
    healthy = work / "healthy"
    make_venv(healthy, 20, built_at=str(healthy))
    commands = {
        "python -c pass": [python, "-c", "pass"],
        "python -m shebangfix --help": [python, "-m", "shebangfix", "--help"],
        "python -m shebangfix check (20 scripts, moved)": [
            python,
            "-m",
            "shebangfix",
            "check",
            str(venv),
        ],
        "python -m shebangfix check (20 scripts, healthy)": [
            python,
            "-m",
            "shebangfix",
            "check",
            str(healthy),
        ],
        "shebangfix check (20 scripts, moved)": [
            str(Path(python).parent / "shebangfix"),
            "check",
            str(venv),
        ],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            times[name].append(run(command, work, work / "output")[0])
    base = statistics.median(times["python -c pass"])
    print("\nstart-up, median of", runs, "runs\n")
    print("| command | median ms | ratio |")
    print("|---|---:|---|")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"| {name} | {median * 1e3:.1f} | {median / base:.2f}{TIMES} python -c pass |")
    shutil.rmtree(venv)
    shutil.rmtree(healthy)
    return {name: statistics.median(values) for name, values in times.items()}


def bench_huge(work: Path, python: str) -> float:
    """One script of 1 GiB: time and peak memory of fixing it; return the peak in MiB."""
    venv = work / "huge"
    make_venv(venv, 1)
    script = venv / "bin" / "tool000000"
    with script.open("ab") as out:
        block = b"# padding " + b"x" * 1013 + b"\n"
        for _ in range(HUGE // len(block)):
            out.write(block)
    os.sync()
    command = [python, "-m", "shebangfix", "fix", str(venv)]
    elapsed, peak = run(command, work, work / "output", rss=True)
    if unfixed(venv):
        raise SystemExit("the huge script was not fixed")
    size = script.stat().st_size / 2**30
    print(f"\nfix of one {size:.1f} GiB script: {elapsed:.2f} s, peak RSS {peak / 1024:.1f} MiB")
    shutil.rmtree(venv)
    return peak / 1024


# The targets the project set itself: (what, numerator, denominator, most allowed).
SIZE_TARGETS = (
    (f"check ≤ 2{TIMES} grep -l", "shebangfix check", "grep -l", 2.0),
    (f"fix ≤ 0.5{TIMES} sed -i", "shebangfix fix", "sed -i", 0.5),
    (f"fix ≤ 1{TIMES} virtualenv-tools3", "shebangfix fix", "virtualenv-tools3", 1.0),
    ("(floor: Python reads each file, to grep -l)", "floor: Python reads each file", "grep -l", 0),
    (
        "(floor: Python replaces each file, to sed -i)",
        "floor: Python replaces each file",
        "sed -i",
        0,
    ),
)
STARTUP_TARGETS = (
    (f"--help ≤ 1.5{TIMES} python -c pass", "python -m shebangfix --help", 1.5),
    (
        f"check of 20 scripts ≤ 2{TIMES} python -c pass",
        "python -m shebangfix check (20 scripts, moved)",
        2.0,
    ),
    ("the same, as the shebangfix command", "shebangfix check (20 scripts, moved)", 2.0),
)


def print_targets(
    startup: dict[str, float], sizes: dict[int, dict[str, float]], huge: float | None
) -> None:
    """One line per target: what was measured and whether it is met. Rows in brackets are
    context, not targets: what any Python program doing the least of the job reaches."""
    print("\ntargets\n")
    print("| target | measured | met |")
    print("|---|---:|---|")
    base = startup["python -c pass"]
    for what, name, limit in STARTUP_TARGETS:
        ratio = startup[name] / base
        print(f"| {what} | {ratio:.2f}{TIMES} | {'yes' if ratio <= limit else 'no'} |")
    # The targets are set at 5000 scripts; without that size, the largest stands in.
    size = 5000 if 5000 in sizes else max(sizes, default=0)
    medians = sizes.get(size, {})
    for what, name, reference, limit in SIZE_TARGETS:
        if name in medians and reference in medians:
            ratio = medians[name] / medians[reference]
            met = "" if not limit else ("yes" if ratio <= limit else "no")
            print(f"| {what}, {size} scripts | {ratio:.2f}{TIMES} | {met} |")
    if huge is not None:
        print(
            f"| fix of 1 GiB ≤ 64 MiB peak RSS | {huge:.1f} MiB | {'yes' if huge <= 64 else 'no'} |"
        )
    if len(sizes) > 1:
        cost = {size: medians["shebangfix fix"] / size * 1e6 for size, medians in sizes.items()}
        check = {size: medians["shebangfix check"] / size * 1e6 for size, medians in sizes.items()}
        shown = ", ".join(f"{size}: {check[size]:.0f} / {cost[size]:.0f}" for size in sorted(cost))
        print(f"| per-file µs, check / fix, by size | {shown} | |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--virtualenv-tools", action="store_true", help="install virtualenv-tools3 and time it"
    )
    parser.add_argument("--no-huge", action="store_true", help="skip the 1 GiB script")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="shebangfix-bench-"))
    python = sys.executable
    # Time the package as an installed one runs: with its bytecode compiled (pip compiles at
    # install time), even where PYTHONDONTWRITEBYTECODE keeps Python from caching it.
    package = importlib.util.find_spec("shebangfix")
    assert package is not None and package.submodule_search_locations
    subprocess.run(
        [python, "-m", "compileall", "-q", *package.submodule_search_locations], check=True
    )
    tools3 = None
    if args.virtualenv_tools:
        tools_venv = work / "tools3"
        subprocess.run([python, "-m", "venv", tools_venv], check=True)
        subprocess.run(
            [tools_venv / "bin" / "pip", "install", "-q", "virtualenv-tools3"], check=True
        )
        tools3 = str(tools_venv / "bin" / "virtualenv-tools")
    try:
        startup = bench_startup(work, python, max(args.runs, 3) * 4)
        sizes = {
            size: bench_size(work, size, args.runs, tools(python, tools3)) for size in args.sizes
        }
        huge = None if args.no_huge else bench_huge(work, python)
        print_targets(startup, sizes, huge)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
