#!/usr/bin/env python3
"""Runs an mpp benchmark next to its raw MPI floor and its Python peers, in one run, and
writes one markdown table of figures and ratios (mpp / floor, peer / mpp).

    bench/run.py runtime [--build-dir build/release] [--reps 3] [--out FILE] [--hosts 1|2]

runtime   Value::fetch_add and one remote call round trip (issue "Foundation", section 9).
          --hosts 1 (default): raw floor and mpp at 2 and 3 ranks, Python peers' w2;
          writes bench/results/runtime.md.
          --hosts 2: raw floor and mpp at 4 ranks on 2 virtual hosts (scripts/vcluster);
          writes bench/results/runtime-2hosts.md (the single-host table is left alone).
pool      Pool and ProcessPoolExecutor (issue "Process, Pool, ProcessPoolExecutor"): start-up,
          map throughput, one-task round trip, Monte Carlo pi, next to multiprocessing.Pool,
          concurrent.futures and mpi4py.futures (pools.py); --hosts 2: mpp on 2 virtual hosts.
sync      Locked increments (W4), fetch_add and Lock hand-over (issue "Shared state and
          synchronisation"): raw MPI floor, mpp and multiprocessing at 2 ranks, hand-over at 2, 4
          and 8 ranks; --hosts 2: hand-over at 4 ranks on 2 virtual hosts (sync-2hosts.md).
queue     Queue and Pipe (issue 6, Benchmarks): W3 throughput with 1 and 2 producers next to
          multiprocessing.Queue (queue_bench.py), 1 KiB / 64 KiB items next to raw MPI_Put,
          Pipe round trip next to raw ping-pong, per-item cost breakdown; 3 ranks, plus the
          same with MPP_SHARED_HEAP=off; --hosts 2: 4 ranks on 2 virtual hosts (queue-2hosts.md).

Beside the table it writes FILE's stem + .jsonl (every sample, one JSON line each) and
+ .log (each command and what it printed on stderr). Nothing is built here: build with
    cmake --preset release -DMPP_BUILD_BENCH=ON && cmake --build --preset release
Every command runs with a timeout in its own session, tagged in its environment; whatever of
it is still alive afterwards is killed by PID. Each workload is a module in bench/driver/
(add_arguments, main); bench/driver/common.py holds what they share.
"""
import argparse
import sys

sys.dont_write_bytecode = True  # keep bench/ free of __pycache__
from driver import pool, queue, runtime, sync  # noqa: E402  (after the line above)

WORKLOADS = {"runtime": runtime, "sync": sync, "pool": pool, "queue": queue}  # name -> module with add_arguments(ap) and main(args)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="workload", required=True)
    for name, module in WORKLOADS.items():
        module.add_arguments(sub.add_parser(name, help=module.__doc__.splitlines()[0]))
    args = ap.parse_args()
    if args.reps < 1:
        ap.error("--reps must be at least 1")
    return WORKLOADS[args.workload].main(args)


if __name__ == "__main__":
    sys.exit(main())
