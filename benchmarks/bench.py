"""Time shebangfix against the alternatives on synthetic venvs; print medians and ratios.

    uv run python benchmarks/bench.py                 # 100, 1000 and 5000 scripts
    uv run python benchmarks/bench.py --sizes 20000 --runs 3
    uv run python benchmarks/bench.py --virtualenv-tools   # also install and time it

Each tool runs on its own fresh copy of the same venv, the tools alternate within each
round, and every run is verified to have done the work. Times are whole-process wall
times; peak RSS comes from wait4. Ratios are what to read: machines here are noisy.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

OLD = "/build/.venv"
TIMES = "\N{MULTIPLICATION SIGN}"
BODY = (
    "# -*- coding: utf-8 -*-\nimport re\nimport sys\nfrom demo import main\n"
    "if __name__ == '__main__':\n"
    "    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n"
    "    sys.exit(main())\n"
)


def make_venv(root: Path, scripts: int) -> None:
    """A venv as pip leaves it, moved away from ``OLD``: scripts, activate, RECORD."""
    bin_dir = root / "bin"
    site = root / "lib" / "python3.11" / "site-packages" / "demo-1.0.dist-info"
    bin_dir.mkdir(parents=True)
    site.mkdir(parents=True)
    (root / "pyvenv.cfg").write_text(
        f"home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.11.7\n"
        f"command = /usr/bin/python3 -m venv {OLD}\n"
    )
    os.symlink(os.path.realpath(sys.executable), bin_dir / "python")
    (bin_dir / "activate").write_text(f'VIRTUAL_ENV="{OLD}"\nexport VIRTUAL_ENV\n')
    rows = []
    for index in range(scripts):
        name = f"tool{index:06d}"
        data = f"#!{OLD}/bin/python\n{BODY}".encode()
        path = bin_dir / name
        path.write_bytes(data)
        path.chmod(0o755)
        rows.append(f"../../../bin/{name},sha256=x,{len(data)}\r\n")
    (site / "RECORD").write_text("".join(rows))
    (site / "INSTALLER").write_text("pip\n")


def run(command: list[str], cwd: Path) -> tuple[float, int]:
    """Wall time and peak RSS (KiB) of one process."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in (0, 1):
        raise SystemExit(f"{command[:3]} failed with {process.returncode}")
    return elapsed, usage.ru_maxrss


def fixed(venv: Path) -> bool:
    return all(
        p.read_bytes().startswith(f"#!{venv}/bin/python\n".encode())
        for p in (venv / "bin").glob("tool*")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--virtualenv-tools", action="store_true", help="install virtualenv-tools3 and time it"
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="shebangfix-bench-"))
    python = sys.executable
    tools3 = None
    if args.virtualenv_tools:
        tools_venv = work / "tools3"
        subprocess.run([python, "-m", "venv", tools_venv], check=True)
        subprocess.run(
            [tools_venv / "bin" / "pip", "install", "-q", "virtualenv-tools3"], check=True
        )
        tools3 = str(tools_venv / "bin" / "virtualenv-tools")

    for size in args.sizes:
        template = work / f"template-{size}"
        make_venv(template, size)
        tools: dict[str, tuple[Callable[[Path], list[str]], bool]] = {
            "grep -l (check)": (lambda v: ["grep", "-rl", OLD, str(v / "bin")], False),
            "shebangfix check": (lambda v: [python, "-m", "shebangfix", "check", str(v)], False),
            "sed -i (fix)": (
                lambda v: ["sh", "-c", f'sed -i "s|{OLD}|{v}|" "{v}"/bin/tool*'],
                True,
            ),
            "shebangfix fix": (lambda v: [python, "-m", "shebangfix", "fix", str(v)], True),
            # The same without the one sync before the renames: what durability costs.
            "shebangfix fix --no-sync": (
                lambda v: [python, "-m", "shebangfix", "fix", "--no-sync", str(v)],
                True,
            ),
        }
        if tools3:
            tools["virtualenv-tools3 (fix)"] = (
                lambda v: [tools3, "--update-path", str(v), str(v)],
                True,
            )
        times: dict[str, list[float]] = {name: [] for name in tools}
        rss: dict[str, int] = dict.fromkeys(tools, 0)
        for round_ in range(args.runs):
            for name, (command, writes) in tools.items():
                venv = work / f"run-{size}"
                shutil.rmtree(venv, ignore_errors=True)
                shutil.copytree(template, venv, symlinks=True)
                elapsed, peak = run(command(venv), work)
                if writes and not fixed(venv):
                    raise SystemExit(f"{name} did not rewrite every script")
                times[name].append(elapsed)
                rss[name] = max(rss[name], peak)
            print(f"  size {size}: round {round_ + 1}/{args.runs}", file=sys.stderr)
        medians = {name: statistics.median(values) for name, values in times.items()}
        print(f"\n{size} scripts, median of {args.runs} runs\n")
        print("| tool | median s | per file µs | peak RSS MiB | ratio |")
        print("|---|---:|---:|---:|---|")
        base = {"check": medians["grep -l (check)"], "fix": medians["sed -i (fix)"]}
        tools3_median = medians.get("virtualenv-tools3 (fix)")
        for name, median in medians.items():
            kind = "fix" if tools[name][1] else "check"
            reference = "grep -l" if kind == "check" else "sed -i"
            ratio = f"{median / base[kind]:.2f}{TIMES} {reference}"
            if kind == "fix" and tools3_median:
                ratio += f", {median / tools3_median:.2f}{TIMES} virtualenv-tools3"
            print(
                f"| {name} | {median:.3f} | {median / size * 1e6:.1f} | {rss[name] / 1024:.1f} "
                f"| {ratio} |"
            )
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
