"""``python -m bench``: run the benchmarks, print their tables, write ``bench/results/<timestamp>.json``.

The local cloud runs in a process of its own (``bench.cloudproc``) for the whole run; every benchmark starts the
function, and the baseline it is compared with, in fresh processes against it — from the code package under the
runtime's Python (bench/runtime.py), or from the development tree with ``--source``. See bench/README.md.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.options import Options
from bench.report import BenchResult, machine_facts, render, save

BENCHMARKS = ("cloud", "bulk", "cold", "memory", "overhead")
OPT_IN = ("scale",)
"""Run only when named in ``--only``: the 1,000,000-line manifest takes minutes."""


def _runner(name: str) -> Callable[..., BenchResult]:
    if name == "cloud":
        from bench.cloudspeed import run
    elif name == "bulk":
        from bench.bulk import run
    elif name == "cold":
        from bench.cold import run
    elif name == "memory":
        from bench.memory import run
    elif name == "scale":
        from bench.scale import run
    else:
        from bench.overhead import run
    return run


def _selection(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    known = (*BENCHMARKS, *OPT_IN)
    unknown = sorted(set(names) - set(known))
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown benchmark(s) {unknown}; choose from {', '.join(known)}")
    return [name for name in known if name in names]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", type=_selection, default=list(BENCHMARKS),
                        help=f"comma-separated subset of {','.join(BENCHMARKS)} (default: all), or the opt-in "
                             f"{','.join(OPT_IN)}")  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="smaller workloads: a smoke run, noisier figures")
    parser.add_argument("--repeat", type=int, default=11, help="fresh processes per cold-start figure (default 11)")
    parser.add_argument("--no-save", action="store_true", help="do not write bench/results/*.json")
    parser.add_argument("--source", action="store_true", help="run the development tree, not the code package")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-code-") as workdir:
        try:
            return _run(args, Path(workdir))
        finally:
            from localcloud.fc.package import remove_tree

            remove_tree(Path(workdir) / "code")


def _run(args: argparse.Namespace, workdir: Path) -> int:
    from bench.cloudproc import CloudProcess
    from bench.runtime import dev_runtime, package_runtime

    runtime = dev_runtime() if args.source else package_runtime(workdir)
    options = Options(quick=args.quick, repeat=max(3, args.repeat), runtime=runtime)

    facts = machine_facts()
    print(f"machine: {facts['cpu']}, {facts['cores']} cores, {facts['memory_gb']} GB, {facts['os']}, "
          f"Python {facts['python']}, load average {facts['load_average']}"
          + (" — quick run" if options.quick else ""), flush=True)  # fmt: skip
    print(f"the function runs from {runtime.description}", flush=True)
    if facts["load_average"] and facts["cores"] and facts["load_average"][0] > facts["cores"] / 2:
        print("warning: the machine is busy; wall-time figures will be noisy (CPU-time rows are steadier)")
    results: list[BenchResult] = []
    started = time.perf_counter()
    with CloudProcess() as cloud:
        for name in args.only:
            began = time.perf_counter()
            result = _runner(name)(cloud, options)
            result.seconds = time.perf_counter() - began
            results.append(result)
            print("\n" + render(result) + f"\n({result.seconds:.0f} s)", flush=True)
    total = time.perf_counter() - started
    missed = [result.name for result in results if not result.met]
    print(f"\n{len(results)} benchmark(s) in {total:.0f} s; goals " + ("met" if not missed else f"NOT met: {missed}"))
    if not args.no_save:
        path = save(
            results,
            {"quick": options.quick, "repeat": options.repeat, "only": args.only,
             "load_average_at_start": facts["load_average"], "runtime": runtime.description},
        )  # fmt: skip
        print(f"results: {path} (and {path.parent / 'latest.json'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
