"""Queue and Pipe: W3 throughput, 1 KiB / 64 KiB items, Pipe round trip (issue 6, Benchmarks).

The peers' W3 (bench/peers/queue_bench.py, multiprocessing.Queue, 1 and 2 producers) next to
mpp::Queue at 3 ranks on 2 cores (producers on the workers, consumer in rank 0's main), items
of 1 KiB and 64 KiB next to raw MPI_Put bandwidth (bench_queue_raw), and the Pipe round trip
next to raw MPI ping-pong (raw_mpi); plus what one item costs, op by op. Writes
bench/results/queue.md (queue-2hosts.md: 4 ranks on 2 virtual hosts, fewer items)."""
from .common import (at_least, MPI_TIMEOUT, MPPRUN, PEERS, PY, VCLUSTER, Figures, Runner,
                     add_common_arguments, build_paths, fmt, machine_lines, med, out_path,
                     render_table, run_reps, verdict, write_report)

PEER_RATES = {1: 70.1e3, 2: 81.6e3}  # the peers' table.md (the issue's "about 70 k" and "82 k")
SIZES = ((1024, "1 KiB"), (65536, "64 KiB"))
FLUSH_EACH = "MPI_Put + MPI_Win_flush per item"
STREAM = "MPI_Put per item, one MPI_Win_flush per window"
PING = "ping-pong 8 B half round trip"
SEND_STREAM = "Send/Recv 8 B streaming 0->1"
OPS = ("atomic_fetch_add<u64>", "atomic_compare_swap<u64> (succeeds)", "write_bytes 16 B",
       "atomic_store<u64>", "atomic_load<u64>", "read_bytes 64 B")


def counts(args):
    """Items per workload: the issue's on one host; across hosts every RMA operation is a TCP
    round trip (about 0.3 ms), so a few thousand."""
    if args.hosts == 1:
        return dict(items=args.items, k1=400000, k64=20000, trips=20000, warm=1000, ops=200000,
                    alone=50000)
    return dict(items=2000, k1=1000, k64=100, trips=300, warm=20, ops=500, alone=500)


def queue_commands(args, raw, raw_put, binary):
    c = counts(args)
    mpp_opts = ["--items", c["items"], "--items-1k", c["k1"], "--items-64k", c["k64"],
                "--round-trips", c["trips"], "--warmup", c["warm"], "--op-reps", c["ops"],
                "--alone-items", c["alone"]]
    raw_opts = ["--only", "pingpong,stream", "--budget", "0.5", "--max-iters", "1000000000"]
    put_opts = ["--items-1k", c["k1"], "--items-64k", c["k64"]]
    if args.hosts > 1:
        where = f"4 ranks on {args.hosts} hosts"
        vrun = [VCLUSTER, "run", "-n", "4", "--hosts", str(args.hosts), "--timeout",
                str(MPI_TIMEOUT), "--"]
        return [("raw", vrun + [raw] + raw_opts + ["--label", f"raw MPI, {where}",
                                                   "--workload", f"raw-MPI, {where}"]),
                ("raw put", vrun + [raw_put] + put_opts + ["--label", f"raw MPI, {where}"]),
                ("mpp", vrun + [binary] + mpp_opts + ["--label", f"mpp, {where}"])]
    run3 = [MPPRUN, "-n", "3", "--timeout", str(MPI_TIMEOUT)]
    # raw_mpi as bench/run.py runtime runs it: at 2 ranks, one per core, the physical floor;
    # at 3, Open MPI's own yielding when oversubscribed, since its idle rank spins inside MPI.
    raw2 = ["mpirun", "-n", "2", "--mca", "osc", "sm", "--timeout", str(MPI_TIMEOUT)]
    raw3 = ["mpirun", "-n", "3", "--oversubscribe", "--mca", "osc", "sm", "--timeout", str(MPI_TIMEOUT)]
    cmds = [("raw 2", raw2 + [raw] + raw_opts + ["--label", "raw MPI, 2 ranks, osc sm",
                                                 "--workload", "raw-MPI, 2 ranks"]),
            ("raw", raw3 + [raw] + raw_opts + ["--label", "raw MPI, 3 ranks, osc sm",
                                               "--workload", "raw-MPI, 3 ranks"]),
            ("raw put", run3 + [raw_put] + put_opts + ["--label", "raw MPI, 3 ranks"]),
            ("mpp", run3 + [binary] + mpp_opts + ["--label", "mpp, 3 ranks"])]
    if args.mpi_heap:
        cmds.append(("mpp mpi heap", ["env", "MPP_SHARED_HEAP=off"] + run3 + [binary] + mpp_opts
                     + ["--only", "w3,pipe,breakdown", "--label", "mpp, 3 ranks, MPP_SHARED_HEAP=off"]))
    for p in (1, 2):
        cmds.append((f"peer {p}", [PY, PEERS / "queue_bench.py", "--producers", str(p),
                                   "--label", "multiprocessing.Queue"]))
    return cmds


def pick(fig, source, *parts):
    """{rep: value} of the figure of `source` whose name holds every one of `parts`."""
    out = {}
    for s in fig.samples:
        if s["source"] == source and all(p in s["figure"] for p in parts):
            out[s["rep"]] = float(s["value"])
    return out


def where(fig, source, *parts):
    return next((s.get("where") for s in fig.samples
                 if s["source"] == source and all(p in s["figure"] for p in parts)), None)



def raw_floor(fig, args, ranks, figure, what, unit, scale=1.0, role="the floor"):
    """Rows of a raw_mpi figure and what mpp is compared with: on one host the 2-rank run (one
    rank per core, no idle rank: the strictest), with the 3-rank one shown beside it."""
    runs = [("raw 2", "2"), ("raw", ranks)] if args.hosts == 1 else [("raw", ranks)]
    rows, floor = [], {}
    for i, (source, where) in enumerate(runs):
        got = {r: scale * v for r, v in pick(fig, source, figure).items()}
        if i == 0:
            floor = got
        rows.append(dict(figure=what + (f": {role}" if i == 0 else ", as mpp runs (shown only)"),
                         ranks=where, values=list(got.values()), unit=unit))
    return rows, floor


def w3_rows(fig, args, ranks):
    rows, floor = raw_floor(fig, args, ranks, SEND_STREAM,
                            "raw `MPI_Send`/`MPI_Recv` 8 B streaming, rank 0 → rank 1 (raw_mpi "
                            "`stream`)", "msgs/s",
                            role="a reference (one-sided traffic has no such path)")
    targets = []
    n = counts(args)["items"]
    for p in (1, 2):
        text = f"{p} producer(s) -> 1 consumer"
        got = pick(fig, "mpp", text)
        place = where(fig, "mpp", text)
        rows.append(dict(figure=f"mpp `Queue<int64>`, {p} producer Process(es) → main, N = {n:,} "
                         f"({place or 'placement not reported'})", ranks=ranks,
                         values=list(got.values()), unit="items/s", vs_floor=Figures.ratios(floor, got)))
        mpi = pick(fig, "mpp mpi heap", text)
        if mpi:
            rows.append(dict(figure=f"mpp, the same with `MPP_SHARED_HEAP=off` (every ring "
                             f"operation an MPI call, osc sm), {p} producer(s)", ranks=ranks,
                             values=list(mpi.values()), unit="items/s",
                             vs_floor=Figures.ratios(floor, mpi)))
        if args.hosts > 1:
            continue
        peer = pick(fig, f"peer {p}", text)
        ratios = Figures.ratios(got, peer)
        rows.append(dict(figure=f"Python `multiprocessing.Queue`, {p} producer process(es) → 1 "
                         "consumer process (queue_bench.py)", ranks=f"{p + 1} processes",
                         values=list(peer.values()), unit="items/s", vs_mpp=ratios))
        targets.append(at_least(med(ratios), 25.0, f"W3 {p} producer(s): at least 25× "
                                "multiprocessing.Queue (mpp ÷ peer items/s, same run)"))
        m = med(list(got.values()))
        if m:
            targets.append(f"- W3 {p} producer(s) against the issue's figure "
                           f"({fmt(PEER_RATES[p] / 1e3)} k items/s, peers' baseline): "
                           f"{fmt(m / 1e3)} k/s = {fmt(m / PEER_RATES[p])}× (target 25×)")
    return rows, targets


def bytes_rows(fig, args, ranks):
    rows, lines = [], []
    c = counts(args)
    for size, name in SIZES:
        n = c["k1"] if size == 1024 else c["k64"]
        floor = pick(fig, "raw put", FLUSH_EACH, f", {name} items", "bytes/s")
        stream = pick(fig, "raw put", STREAM, f", {name} items", "bytes/s")
        got = pick(fig, "mpp", f"{name} items, 1 producer", "payload bytes/s")
        gib = lambda d: [v / 2**30 for v in d.values()]  # noqa: E731
        rows += [
            dict(figure=f"raw `MPI_Put` of {name} + `MPI_Win_flush` per item, rank 1 → 1 MiB window "
                 f"on rank 0, N = {n:,}: the floor", ranks=ranks, values=gib(floor), unit="GiB/s"),
            dict(figure=f"raw `MPI_Put` of {name} per item, one `MPI_Win_flush` per window: the "
                 "ceiling", ranks=ranks, values=gib(stream), unit="GiB/s"),
            dict(figure=f"mpp `Queue` of {name} blocks, 1 producer Process → main, N = {n:,}, "
                 "payload (end to end: put, get, decode)", ranks=ranks, values=gib(got),
                 unit="GiB/s", vs_floor=Figures.ratios(floor, got)),
        ]
        ratio = med(Figures.ratios(got, floor))
        if ratio is not None:
            lines.append(f"- {name} items: mpp moves {fmt(100 * ratio)}% of raw `MPI_Put` + flush "
                         "bandwidth (reported; the issue sets no limit)")
    return rows, lines


def pipe_rows(fig, args, ranks):
    rows, floor = raw_floor(fig, args, ranks, PING, "raw MPI ping-pong 8 B round trip (2 × "
                            "raw_mpi's half round trip, its mean), rank 0 ↔ rank 1", "us", 2.0)
    trips = counts(args)["trips"]
    for source, extra in (("mpp", ""), ("mpp mpi heap", ", `MPP_SHARED_HEAP=off`")):
        for stat in ("median", "p90", "mean"):
            got = pick(fig, source, "Pipe<int64> round trip", stat)
            if got:
                rows.append(dict(figure=f"mpp `Pipe<int64>` round trip main ↔ Process (rank 1), "
                                 f"{stat} of {trips:,}{extra}", ranks=ranks,
                                 values=list(got.values()), unit="us",
                                 vs_floor=Figures.ratios(got, floor)))
    mpp_median = pick(fig, "mpp", "Pipe<int64> round trip", "median")
    median = med(Figures.ratios(mpp_median, floor))
    if args.hosts == 1:
        at3 = med(Figures.ratios(mpp_median, {r: 2 * v for r, v in pick(fig, "raw", PING).items()}))
        return rows, [verdict(median, 5.0, "Pipe round trip within 5× of raw MPI ping-pong (mpp "
                              "median at 3 ranks ÷ raw round trip at 2 ranks, one per core)", "×"),
                      f"- Pipe round trip against raw ping-pong at 3 ranks on 2 cores, as mpp runs: "
                      f"{fmt(at3)}× (reported)" if at3 is not None else
                      "- Pipe round trip against raw ping-pong at 3 ranks: not measured"]
    return rows, [f"- Pipe round trip: mpp median {fmt(median)}× the raw ping-pong round trip"
                  if median is not None else "- Pipe round trip: not measured (see failed runs)"]


def breakdown_table(fig, args):
    """One row per operation, medians over reps: by rank 1 (where W3's producer runs) and by
    rank 0 (the consumer, the ring's own rank); on one host with the shared heap and with MPI
    calls (MPP_SHARED_HEAP=off), across hosts with MPI calls (osc pt2pt) only."""
    if args.hosts == 1:
        sources = (("mpp", ""), ("mpp mpi heap", ", `MPP_SHARED_HEAP=off`"))
    else:
        sources = (("mpp", " (node2)"), )
    rank_names = {"1": "by rank 1", "0": "by rank 0"}

    def cell(source, *parts):
        return fmt(med(list(pick(fig, source, *parts).values())))

    titles = [f"{rank_names[r]}{suffix}" for _, suffix in sources for r in "10"]
    titles = [t.replace("by rank 0 (node2)", "by rank 0 (node1)") for t in titles]
    head = ("| operation (us) | " + " | ".join(titles) + " |\n|---|" + "---:|" * len(titles) + "\n")
    body = ""
    for op in OPS:
        cells = [cell(s, op + " by rank " + r) for s, _ in sources for r in "10"]
        body += f"| `{op}` | " + " | ".join(cells) + " |\n"
    for text, parts, rank in (
            ("a put's operations summed", ("a put's operations summed",), "1"),
            ("a get's operations summed", ("a get's operations summed",), "0"),
            ("`Queue<int64>.put` alone: nobody reading", ("put alone",), "1"),
            ("`Queue<int64>.get_nowait` alone: nobody writing", ("get_nowait alone",), "0")):
        cells = [cell(s, *parts) if r == rank else "" for s, _ in sources for r in "10"]
        body += f"| {text} | " + " | ".join(cells) + " |\n"
    for p in (1, 2):
        cells = []
        for s, _ in sources:
            rate = med(list(pick(fig, s, f"{p} producer(s) -> 1 consumer").values()))
            cells += ["", fmt(1e6 / rate) if rate else "–"]
        body += (f"| W3 with {p} producer(s): consumer's time per item (1 / items/s) | "
                 + " | ".join(cells) + " |\n")
    return head + body


def breakdown_lines(fig, args):
    """How much of a put and a get alone their heap operations explain, per heap mode."""
    modes = [("mpp", "shared heap" if args.hosts == 1 else "osc pt2pt across hosts")]
    if args.hosts == 1:
        modes.append(("mpp mpi heap", "`MPP_SHARED_HEAP=off`"))
    lines = []
    for source, name in modes:
        for what, alone, summed in (("put", "put alone", "a put's operations summed"),
                                    ("get", "get_nowait alone", "a get's operations summed")):
            a = med(list(pick(fig, source, alone).values()))
            o = med(list(pick(fig, source, summed).values()))
            if a and o:
                lines.append(f"- {name}: a {what} alone takes {fmt(a)} us, its heap operations "
                             f"timed alone sum to {fmt(o)} us ({fmt(100 * o / a)}%)")
    return "".join(line + "\n" for line in lines) + "\n" if lines else ""


def notes(args):
    single = args.hosts == 1
    items = [
        "Each figure is one sample per rep; *median* and *min–max* are over the reps. Ratios are "
        "per rep, then their median and min–max. Both ratio columns are in time per item: *mpp ÷ "
        "floor* above 1 means mpp is slower than the floor; *peer ÷ mpp* above 1 means mpp is "
        "that many times faster than the peer (its items/s ÷ the peer's).",
        "W3: rank 0's main makes a `mpp::Queue<std::int64_t>` (a ring in rank 0's heap) and a "
        "`mpp::Barrier`, starts P producer `mpp::Process`es (placed on the least busy worker: "
        "rank 1, then rank 2) that each put a disjoint range, and takes every item itself with "
        "`q.get(30s)`; the clock runs in main from the barrier to the last item, as "
        "`queue_bench.py` runs it in its consumer. Count and sum are checked, and that "
        "`get_nowait()` then finds nothing. A warm-up run of N/10 items comes first.",
        "Large items: `struct Block { std::array<std::int64_t, size / 8> words; }`, trivially "
        "copyable, so a put copies its bytes (encode into a per-thread buffer, then into the "
        "ring) and a get copies them out twice (ring to buffer, buffer to the returned value). "
        "The queue has its default 1 MiB ring (15 items of 64 KiB). Every item's first and last "
        "word carry its number: order and completeness checked. The floor is "
        "`bench_queue_raw` (bench/queue/raw_mpi.cpp): rank 1 `MPI_Put`s the same items into a 1 "
        "MiB window on rank 0 with a flush each, the completion a queue put needs before its "
        "stamp; the ceiling streams them with one flush per window. The floor measures one side "
        "only; mpp's figure is end to end, producer and consumer running at once.",
        "Pipe: `auto [a, b] = mpp::Pipe<std::int64_t>()` made in main (both rings on rank 0); a "
        "Process on rank 1 sends back what it receives + 1 (checked); main times each "
        "`a.send(i); a.recv(30s)` alone. raw_mpi's ping-pong reports the mean of its loop; mpp's "
        "median is what the target compares (its mean is shown too).",
        "Breakdown: a task on rank 1 fills a queue nobody reads (5 rounds of items that fit the "
        "ring; the median round), main drains it with nobody writing; then each operation the "
        "ring uses is timed alone in a loop on one heap block of rank 0 (mpp::detail's heap "
        "calls; median of 20 slices): a put of an int is fetch_add "
        "(item slot) + compare-and-swap (reserve) + 16-byte write + stamp store, a get is stamp "
        "load + 64-byte read + 2 compare-and-swaps (claim, hand back) + fetch_add (count).",
    ]
    if single:
        items.append("Ranks: 3 on 2 cores through `scripts/mpprun -n 3` (rank 0 and 2 workers; "
                      "idle workers sleep in mpp's backoff, bench_queue_raw's idle ranks in a "
                      "barrier that sleeps 20 us between tests). raw_mpi runs as in "
                      "`results/runtime.md`: under `mpirun -n 2 --mca osc sm`, one rank per core, "
                      "the floor the targets use, and under `mpirun -n 3 --oversubscribe --mca osc "
                      "sm`, its idle rank polling in `MPI_Barrier` with Open MPI's yield when idle, "
                      "shown beside it. The peers run P "
                      "producers + 1 consumer process (+ their idle parent) on the same 2 cores. "
                      "On one host mpp's heap is shared memory mapped by every rank "
                      "(`MPP_SHARED_HEAP=auto`), so every ring operation is a CPU atomic or "
                      "memcpy; the `MPP_SHARED_HEAP=off` rows put every operation through MPI "
                      "(osc sm) instead.")
    else:
        items.append(f"Ranks: 4 through `scripts/vcluster run -n 4 --hosts {args.hosts}` (TCP, "
                     "osc pt2pt with mpp's progress thread; ranks 0 and 2 on node1, 1 and 3 on "
                     "node2), all on this machine's 2 cores. The queue and the consumer are on "
                     "rank 0 (node1); the first producer and the Pipe's Process on rank 1 "
                     "(node2), the second producer on rank 2 (node1). Fewer items than on one "
                     "host (each remote ring operation is a TCP round trip). No Python peers "
                     "(single-host); reported as measured.")
    return "How to read it:\n\n" + "".join(f"- {n}\n" for n in items)


def add_arguments(ap):
    add_common_arguments(ap, "queue")
    ap.add_argument("--items", type=int, default=200000, help="W3 ints in total (one host)")
    ap.add_argument("--no-mpi-heap", dest="mpi_heap", action="store_false",
                    help="skip the MPP_SHARED_HEAP=off run (one host)")


def main(args):
    raw, raw_put, binary = build_paths(args, "raw_mpi", "bench_queue_raw", "bench_queue")
    out = out_path(args, "queue")
    header = machine_lines(args, {raw: ["bench/peers/raw_mpi.cpp"],
                                  raw_put: ["bench/queue/raw_mpi.cpp"],
                                  binary: ["lib", "bench/queue/mpp.cpp"]})
    runner = Runner(out.with_suffix(".log"), args.settle)
    run_reps(runner, args, queue_commands(args, raw, raw_put, binary))
    fig = Figures(runner.samples)
    ranks = "3 (2 workers)" if args.hosts == 1 else f"4 on {args.hosts} hosts"
    title = ("# queue: mpp::Queue and mpp::Pipe next to multiprocessing.Queue and the raw MPI floor"
             + ("" if args.hosts == 1 else f", across {args.hosts} virtual hosts"))
    rows, targets = w3_rows(fig, args, ranks)
    body = "## W3: items through one queue, nothing lost\n\n" + render_table(rows) + "\n"
    rows, lines = bytes_rows(fig, args, ranks)
    body += "## Items of 1 KiB and 64 KiB: bytes/s next to raw `MPI_Put`\n\n" + render_table(rows) + "\n"
    targets += lines
    rows, pipe_targets = pipe_rows(fig, args, ranks)
    body += "## Pipe round trip\n\n" + render_table(rows) + "\n"
    targets += pipe_targets
    body += ("Targets (issue 6, Benchmarks)" +
             ("" if args.hosts == 1 else ": across hosts none applies; reported as measured") +
             ":\n\n" + "\n".join(targets) + "\n\n")
    body += "## Per-item cost breakdown (medians over reps)\n\n" + breakdown_table(fig, args) + "\n" + breakdown_lines(fig, args)
    body += notes(args)
    return write_report(out, runner, title, header, body)
