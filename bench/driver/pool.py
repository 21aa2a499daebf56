"""Pool and executor: start-up, map throughput, one-task round trip, Monte Carlo pi.

The peers' workloads W0, W1, W2 and W5 (bench/peers/pools.py) for multiprocessing.Pool,
concurrent.futures and mpi4py.futures, and mpp at 3 ranks on 2 cores, in one run; writes
bench/results/pool.md (pool-2hosts.md for 4 ranks on 2 virtual hosts)."""
from .common import (MPI_TIMEOUT, MPPRUN, PEERS, PY, VCLUSTER, Figures, Runner,
                     add_common_arguments, build_paths, machine_lines, med, out_path, render_table,
                     run_reps, verdict, write_report)

STARTUP = "pool ctor -> all workers answered (64 tasks)"
MAP_DEFAULT = "map x*x N=200000 chunksize=default"
MAP_CS1 = "map x*x N=20000 chunksize=1"
RT = "one task submit -> result"
PI_WALL = "2e7 samples in 2 chunks, wall (pool warm)"

# (key, label, command before --label/--workloads, workloads). Each peer runs what the targets
# compare it with: concurrent.futures and mpi4py.futures map N=200000 with their default
# chunksize of 1 takes 20 to 40 s per run and is no target.
PEERS_RUNS = [
    ("peer mp", "multiprocessing.Pool(2)", [PY, PEERS / "pools.py", "--system", "mp"],
     "startup,w1-default,w1-cs1,w2,w5"),
    ("peer cf", "concurrent.futures.ProcessPoolExecutor(2)", [PY, PEERS / "pools.py", "--system", "cf"],
     "startup,w2,w5"),
    ("peer mpi4py", "mpi4py MPIPoolExecutor: mpirun -n 3 --oversubscribe",
     ["mpirun", "-x", "PYTHONPATH", "-n", "3", "--oversubscribe", PY, "-m", "mpi4py.futures",
      PEERS / "pools.py", "--system", "mpi4py-world"], "startup,w1-cs1,w2,w5"),
]


def pool_commands(args, binary):
    if args.hosts == 1:
        cmds = [("mpp 3", [MPPRUN, "-n", "3", "--timeout", str(MPI_TIMEOUT), binary, "--label", "mpp, 3 ranks"])]
        for key, label, cmd, workloads in PEERS_RUNS:
            cmds.append((key, cmd + ["--label", label, "--workloads", workloads]))
        cmds.append(("peer serial", [PY, PEERS / "pools.py", "--system", "serial", "--label", "serial python"]))
        return cmds
    vrun = [VCLUSTER, "run", "-n", "4", "--hosts", str(args.hosts), "--timeout", str(MPI_TIMEOUT), "--"]
    return [("mpp 4", vrun + [binary, "--label", f"mpp, 4 ranks on {args.hosts} hosts", "--calls", "300"])]


def pool_rows(fig, hosts):
    src = "mpp 3" if hosts == 1 else "mpp 4"
    ranks = "3 (2 workers)" if hosts == 1 else f"4 on {hosts} hosts"
    rows, targets = [], []
    peers = [k for k, _l, _c, _w in PEERS_RUNS] if hosts == 1 else []
    label_of = {k: l for k, l, _c, _w in PEERS_RUNS}

    def block(mpp_key, peer_key, unit, text, higher_is_better):
        got = fig.per_rep(src, mpp_key)
        rows.append(dict(figure=f"mpp {text}", ranks=ranks, values=list(got.values()), unit=unit))
        out = {}
        for p in peers:
            theirs = fig.per_rep(p, peer_key)
            if not theirs:
                continue
            # peer ÷ mpp as "how many times better mpp is": for throughputs mpp / peer.
            ratios = fig.ratios(got, theirs) if higher_is_better else fig.ratios(theirs, got)
            peer_text = text.split(" (median")[0]  # the qualifier is about mpp's own repetitions
            rows.append(dict(figure=f"{label_of[p]} {peer_text}", ranks="3 processes", values=list(theirs.values()),
                             unit=unit, vs_mpp=ratios))
            out[p] = med(ratios) if ratios else None
        return got, out

    got, vs = block(STARTUP, STARTUP, "ms", "pool constructor until every worker answered (64 tasks)", False)
    if hosts == 1:
        mp = fig.per_rep("peer mp", STARTUP)
        targets.append(verdict(med(list(got.values())) / med(list(mp.values())) if mp else None, 0.1,
                               "pool start-up ≤ a tenth of multiprocessing.Pool's (mpp ÷ mp)", "×"))
    first = fig.per_rep(src, "first map after start-up: N=200000")
    rows.append(dict(figure="mpp first `map(x*x)` after start-up, N = 200000, default chunksize (cold heap pages)",
                     ranks=ranks, values=list(first.values()), unit="tasks/s"))
    _, vs = block(MAP_DEFAULT, "map x*x N=200000 chunksize=default", "tasks/s",
                  "`map(x*x)`, N = 200000, default chunksize (median of 5 after the first)", True)
    if hosts == 1:
        targets.append(at_least(vs.get("peer mp"), 10, "map(x*x) N=200000 default chunksize ≥ 10× multiprocessing.Pool"))
    _, vs = block(MAP_CS1, "map x*x N=20000 chunksize=1", "tasks/s",
                  "`map(x*x)`, N = 20000, chunksize 1 (median of 5 after the first)", True)
    if hosts == 1:
        targets.append(at_least(vs.get("peer mp"), 20, "map chunksize 1 ≥ 20× multiprocessing.Pool"))
        targets.append(at_least(vs.get("peer mpi4py"), 100, "map chunksize 1 ≥ 100× mpi4py.futures"))
    for what in ("Pool.apply(echo, i)", "ProcessPoolExecutor.submit(echo, i).result()"):
        for stat in ("median", "mean"):
            got = fig.per_rep(src, f"{what} round trip, sequential x{2000 if hosts == 1 else 300}, {stat}")
            rows.append(dict(figure=f"mpp `{what}` round trip, {stat}", ranks=ranks, values=list(got.values()),
                             unit="us"))
            if stat == "mean" and "Executor" in what:
                for p in peers:
                    theirs = fig.per_rep(p, RT)
                    ratios = fig.ratios(theirs, got)
                    rows.append(dict(figure=f"{label_of[p]} one task submit → result, mean", ranks="3 processes",
                                     values=list(theirs.values()), unit="us", vs_mpp=ratios))
                    if p == "peer cf" and hosts == 1:
                        targets.append(at_least(med(ratios) if ratios else None, 20,
                                                "submit → result ≥ 20× faster than concurrent.futures (means)"))
            if stat == "median" and "Executor" in what and hosts == 1:
                targets.append(verdict(med(list(got.values())) if got else None, 10.0,
                                       "submit → result round trip ≤ 10 us median", " us"))
    speed = fig.per_rep(src, "speedup = serial / pool")
    ceiling = fig.per_rep(src, "speedup = serial / 2 plain threads")
    if ceiling:
        rows.append(dict(figure="the same two halves on 2 plain `std::thread`s of rank 0, no MPI: speed-up over the "
                                "serial loop (what this machine's 2 cores give)",
                         ranks="1 process", values=list(ceiling.values()), unit="×"))
    if speed:
        rows.append(dict(figure="mpp Monte Carlo pi, 2e7 samples on 2 workers: speed-up over the serial C++ loop",
                         ranks=ranks, values=list(speed.values()), unit="×",
                         vs_floor=Figures.ratios(speed, ceiling) if ceiling else None))
        if hosts == 1:
            targets.append(at_least(med(list(speed.values())), 1.9, "Monte Carlo pi speed-up ≥ 1.9 on 2 workers"))
    for p in peers:
        wall = fig.per_rep(p, PI_WALL)
        serial = fig.per_rep("peer serial", "2e7 samples, wall")
        if wall and serial:
            rows.append(dict(figure=f"{label_of[p]} Monte Carlo pi speed-up over serial Python", ranks="3 processes",
                             values=[med(list(serial.values())) / w for w in wall.values()], unit="×"))
    return rows, [t for t in targets if t]


def at_least(value, limit, what):
    if value is None:
        return f"- {what}: **not measured** (see failed runs)"
    state = "met" if value >= limit else "missed"
    return f"- {what}: **{state}**, {value:.3g}× (at least {limit}×)"


def add_arguments(ap):
    add_common_arguments(ap, "pool")


def main(args):
    (binary,) = build_paths(args, "bench_pool")
    out = out_path(args, "pool")
    header = machine_lines(args, {binary: ["lib", "bench/pool"]})
    runner = Runner(out.with_suffix(".log"), args.settle)
    run_reps(runner, args, pool_commands(args, binary))
    rows, targets = pool_rows(Figures(runner.samples), args.hosts)
    title = ("# pool: Pool and ProcessPoolExecutor next to multiprocessing, concurrent.futures and "
             "mpi4py.futures" + ("" if args.hosts == 1 else f", across {args.hosts} virtual hosts"))
    body = render_table(rows) + "\n"
    if targets:
        body += "Targets (issue \"Process, Pool, ProcessPoolExecutor\"), ratios as *peer ÷ mpp* " \
                "(throughputs: mpp ÷ peer):\n\n" + "\n".join(targets) + "\n\n"
    setup = ("every peer runs its pool of 2 processes (mpi4py: 3 ranks) on the same 2 cores, in "
             "the same run. mpp runs 3 ranks (rank 0 and 2 workers) through scripts/mpprun. "
             if args.hosts == 1 else
             f"mpp runs 4 ranks through `scripts/vcluster run -n 4 --hosts {args.hosts}` (TCP, osc "
             "pt2pt with a progress thread per rank; ranks 0 and 2 on node1, 1 and 3 on node2; "
             "pools of 3 processes), all on this machine's 2 cores; no Python peers (they are "
             "single-host) and the single-host targets do not apply; 300 round trips per run. ")
    body += ("How to read it: one sample of each figure per rep, median and min–max over reps; "
             + setup +
             "mpp's maps: the first after start-up pays first-touch page faults of the heap "
             "windows (about 10 us per 4 KiB page in this VM) and is shown on its own; the figure "
             "compared is the median of the next five, a warm pool like the peers'. "
             "Round trips: mpp's median and mean over its calls; the peers report means. "
             "Monte Carlo pi: the plain-thread row is the ceiling this machine gives two halves of the "
             "loop (its 2 vCPUs do not make a single loop twice as fast), and mpp ÷ floor is mpp's "
             "speed-up as a share of it.\n")
    return write_report(out, runner, title, header, body)
