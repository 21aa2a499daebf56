"""Value::fetch_add and one remote call round trip (issue "Foundation", section 9).

Next to raw_mpi's Fetch_and_op and ping-pong (the floor) and the Python peers' one-task round
trip (pools.py w2), all in one run; writes bench/results/runtime.md (runtime-2hosts.md)."""
from .common import (MPI_TIMEOUT, MPPRUN, PEERS, PY, VCLUSTER, Figures, Runner,
                     add_common_arguments, build_paths, machine_lines, med, out_path, render_table,
                     run_reps, verdict, write_report)

FAO = "Fetch_and_op(SUM) + flush"
PING = "ping-pong 8 B half round trip"
FA_SELF = "fetch_add(1) by rank 0, memory on rank 0"
FA_WORKER = "fetch_add(1) by rank 1, memory on rank 0"
RT = "call_on(1, echo, int) round trip, "
PEER_W2 = "one task submit -> result"

PEER_RUNS = [  # (key, label as in the peers' table, command after the environment is set)
    ("peer mp", "multiprocessing.Pool(2)",
     [PY, PEERS / "pools.py", "--system", "mp"]),
    ("peer cf", "concurrent.futures.ProcessPoolExecutor(2)",
     [PY, PEERS / "pools.py", "--system", "cf"]),
    ("peer mpi4py", "mpi4py MPIPoolExecutor: mpirun -n 3 --oversubscribe (yield auto=1)",
     ["mpirun", "-x", "PYTHONPATH", "-n", "3", "--oversubscribe", PY, "-m", "mpi4py.futures",
      PEERS / "pools.py", "--system", "mpi4py-world"]),
]
PEER_TEXT = {
    "peer mp": "Python `multiprocessing.Pool(2).apply(echo, (i,))`",
    "peer cf": "Python `concurrent.futures.ProcessPoolExecutor(2).submit(echo, i).result()`",
    "peer mpi4py": "Python `mpi4py.futures.MPIPoolExecutor().submit(echo, i).result()`, mpirun -n 3",
}


def runtime_commands(args, raw, binary):
    mpp_opts = ["--budget", str(args.budget), "--calls", str(args.calls)]
    # raw_mpi stops a loop at --max-iters or --budget; lift the cap so that its Fetch_and_op
    # loop spans the same time as mpp's (its default cap ends it after ~0.05 s, which on a
    # shared machine samples a different slice of the noise than mpp's 0.5 s).
    only = ["--only", "fao,pingpong", "--budget", str(args.budget), "--max-iters", "1000000000"]
    if args.hosts == 1:
        cmds = []
        for n in (2, 3):
            over = ["--oversubscribe"] if n > 2 else []
            cmds.append((f"raw {n}", ["mpirun", "-n", str(n)] + over + ["--mca", "osc", "sm", raw]
                         + only + ["--label", f"raw MPI, {n} ranks, osc sm",
                                   "--workload", f"raw-MPI, {n} ranks"]))
            cmds.append((f"mpp {n}", [MPPRUN, "-n", str(n), "--timeout", str(MPI_TIMEOUT), binary]
                         + mpp_opts + ["--label", f"mpp, {n} ranks"]))
        for key, label, cmd in PEER_RUNS:
            cmds.append((key, cmd + ["--label", label, "--workloads", "w2"]))
        return cmds
    vrun = [VCLUSTER, "run", "-n", "4", "--hosts", str(args.hosts), "--timeout", str(MPI_TIMEOUT),
            "--"]
    where = f"4 ranks on {args.hosts} virtual hosts"
    return [
        ("raw 4", vrun + [raw] + only + ["--label", f"raw MPI, {where}, osc pt2pt",
                                          "--workload", f"raw-MPI, {where}"]),
        ("mpp 4", vrun + [binary] + mpp_opts + ["--label", f"mpp, {where}"]),
    ]


def runtime_rows(fig, hosts, calls):
    rows, targets = [], []
    counts = (2, 3) if hosts == 1 else (4,)
    ranks_text = (lambda n: str(n) if hosts == 1 else f"{n} on {hosts} hosts")
    osc = "osc sm" if hosts == 1 else "osc pt2pt, TCP"
    for n in counts:
        floor = fig.per_rep(f"raw {n}", FAO)
        rows.append(dict(figure=f"raw `MPI_Fetch_and_op(SUM)` + `MPI_Win_flush`, rank 0 → rank 1 ({osc}): "
                         "the floor", ranks=ranks_text(n), values=list(floor.values()), unit="us/op"))
        for key, text in ((FA_SELF, "mpp `Value<long>::fetch_add(1)` by rank 0, memory on rank 0"),
                          (FA_WORKER, "mpp `Value<long>::fetch_add(1)` by rank 1, memory on rank 0")):
            got = fig.per_rep(f"mpp {n}", key)
            ratios = fig.ratios(got, floor)
            if hosts > 1 and key == FA_SELF:
                # Across hosts the floor crosses the network and this op does not: no ratio.
                text, ratios = text + " (stays on node1: no floor)", None
            rows.append(dict(figure=text, ranks=ranks_text(n), values=list(got.values()),
                             unit="us/op", vs_floor=ratios))
            if hosts == 1:
                targets.append(verdict(med(ratios), 1.5, f"fetch_add ≤ 1.5× raw Fetch_and_op+flush, "
                                       f"{key.replace('fetch_add(1) ', '')}, {n} ranks", "×"))
    rt_mean = {}
    for n in counts:
        half = fig.per_rep(f"raw {n}", PING)
        floor = {r: 2 * v for r, v in half.items()}
        rows.append(dict(figure=f"raw MPI ping-pong 8 B round trip (2 × half round trip), rank 0 ↔ rank 1: "
                         "the floor", ranks=ranks_text(n), values=list(floor.values()), unit="us"))
        for stat in ("median", "p90", "mean"):
            got = fig.per_rep(f"mpp {n}", RT + stat)
            if stat == "mean":
                rt_mean[n] = got
            rows.append(dict(figure=f"mpp `call_on(1, echo, i)` round trip, {stat} of {calls}",
                             ranks=ranks_text(n), values=list(got.values()), unit="us",
                             vs_floor=fig.ratios(got, floor)))
        if hosts == 1 and n == 3:
            median_rt = med(list(fig.per_rep(f"mpp {n}", RT + "median").values()))
            targets.append(verdict(median_rt, 10.0, "remote call round trip ≤ 10 us median, "
                                   "3 ranks on 2 cores", " us"))
    if hosts == 1:
        for key, _label, _cmd in PEER_RUNS:
            got = fig.per_rep(key, PEER_W2)
            rows.append(dict(figure=f"{PEER_TEXT[key]}, mean of 2000", ranks="3 processes",
                             values=list(got.values()), unit="us",
                             vs_mpp=fig.ratios(got, rt_mean.get(3, {}))))
    return rows, targets


def runtime_notes(args):
    single = args.hosts == 1
    notes = [
        "Each figure is one sample per rep; *median* and *min–max* are over the reps. Ratios are "
        "taken per rep (both sides measured seconds apart in the same run), then the median and "
        "min–max of those ratios are shown, so a ratio need not equal the quotient of the two "
        "medians.",
        f"fetch_add: mean us per op over a {args.budget} s loop after a warm-up of a tenth of it "
        "(at least 1000 ops); each op's returned value is checked. The floor is raw_mpi's "
        "`MPI_Fetch_and_op(SUM)` + `MPI_Win_flush` from rank 0 to rank 1 inside "
        "`MPI_Win_lock_all`, same ranks, same run, its loop run for the same time. \"by rank 1\" "
        "is one task shipped with `mpp::call_on(1, loop, v)` that times its own loop while rank 0 "
        "waits for its result."
        + (" With osc sm each of these is an atomic on shared memory, so whether the word lives "
           "on the issuing rank or another one changes little (raw MPI to self costs the same)."
           if single else
           " With osc pt2pt across hosts an op on rank 0's memory needs rank 0 to progress MPI "
           "(mpp's progress thread, on by default across hosts; raw_mpi's rank 1 sits in "
           "`MPI_Barrier`)."),
        f"round trip: `mpp::call_on(1, echo, i)` with `int echo(int)`, {args.calls} calls each "
        "timed on its own after 500 untimed ones; every result is checked. The floor is "
        "raw_mpi's 8-byte `MPI_Send`/`MPI_Recv` ping-pong, reported as a half round trip and "
        "doubled here.",
    ]
    if single:
        notes.append(
            "Peers: `bench/peers/pools.py --workloads w2`: 2000 sequential submit → result round "
            "trips after 100 warm-ups, reported as a mean; so *peer ÷ mpp* divides by mpp's mean "
            "at 3 ranks (the same statistic, and the same 3 processes on 2 cores), not by its "
            "median.")
    return "How to read it:\n\n" + "".join(f"- {n}\n" for n in notes)


def add_arguments(ap):
    add_common_arguments(ap, "runtime")
    ap.add_argument("--budget", type=float, default=0.5, help="seconds per fetch_add loop")
    ap.add_argument("--calls", type=int, default=5000, help="timed round trips per run")


def main(args):
    raw, binary = build_paths(args, "raw_mpi", "bench_runtime")
    out = out_path(args, "runtime")
    header = machine_lines(args, {raw: ["bench/peers/raw_mpi.cpp"],
                                  binary: ["lib", "bench/runtime"]})
    runner = Runner(out.with_suffix(".log"), args.settle)
    run_reps(runner, args, runtime_commands(args, raw, binary))

    rows, targets = runtime_rows(Figures(runner.samples), args.hosts, args.calls)
    if args.hosts == 1:
        title = ("# runtime: Value::fetch_add and one remote call, next to the raw MPI floor and "
                 "the Python peers")
        body = ""
    else:
        title = (f"# runtime across {args.hosts} virtual hosts: Value::fetch_add and one remote "
                 "call, next to the raw MPI floor")
        body = (f"## across {args.hosts} virtual hosts\n\n"
                f"4 ranks through `scripts/vcluster run -n 4 --hosts {args.hosts}` (TCP, osc "
                "pt2pt, ranks 0 and 2 on node1, 1 and 3 on node2): rank 0 ↔ rank 1 crosses hosts. "
                "No Python peers (they are single-host); the single-host targets do not apply.\n\n")
    body += render_table(rows) + "\n"
    if targets:
        body += "Targets (issue \"Foundation\", section 9):\n\n" + "\n".join(targets) + "\n\n"
    body += runtime_notes(args)
    return write_report(out, runner, title, header, body)
