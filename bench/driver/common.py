"""What every workload's driver shares: running commands (timeouts, tags, stray reaping, how
busy other processes kept the machine), per-rep statistics and ratios, the markdown table, the
header naming command, date and machine, and the virtual cluster."""
import datetime
import json
import os
import re
import resource
import shlex
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
PEERS = REPO / "bench" / "peers"
PY = "/usr/bin/python3"  # Debian's python: it has python3-mpi4py
MPPRUN = REPO / "scripts" / "mpprun"
VCLUSTER = REPO / "scripts" / "vcluster"
MPI_TIMEOUT = 120  # mpirun --timeout / vcluster --timeout, seconds
TIMEOUT = 180      # our own backstop per command, seconds


def note(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def quick(cmd, timeout=30):
    """Output of a short informational command, or '' if it fails."""
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              cwd=REPO).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


# ---- running commands ---------------------------------------------------------------------

class Runner:
    """Runs benchmark commands, collects their JSON lines, logs their stderr."""

    def __init__(self, log_path, settle=0.0):
        self.log = open(log_path, "w", encoding="utf-8")
        self.settle = settle  # seconds to wait at most for a quiet machine before each command
        self.samples = []   # dicts: the program's record plus "source" and "rep"
        self.failures = []  # (source, rc, command, last stderr line)
        self.foreign = []   # (cores kept busy by other processes during a command, its seconds)
        self.env = dict(os.environ)
        self.env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
                        PYTHONDONTWRITEBYTECODE="1")  # no __pycache__ in bench/peers
        self.env["PYTHONPATH"] = os.pathsep.join(
            [str(PEERS)] + ([self.env["PYTHONPATH"]] if self.env.get("PYTHONPATH") else []))

    def run(self, source, rep, cmd, timeout=TIMEOUT, detached=False):
        """Runs cmd; `detached`: its ranks are not our waited-for descendants (mpirun's remote
        daemons daemonize, as under scripts/vcluster), so their CPU time is sampled instead."""
        tag = f"mppbench{os.getpid()}_{source.replace(' ', '_')}_{rep}_{time.monotonic_ns()}"
        env = dict(self.env, MPP_BENCH_RUN_TAG=tag)
        line = " ".join(shlex.quote(str(c)) for c in cmd)
        self.log.write(f"\n+ [{source}, rep {rep}] {line}\n")
        self.log.flush()
        note(f"rep {rep}: {source}" if rep > 0 else source)
        if rep > 0 and self.settle > 0:
            self._wait_for_quiet()
        busy0, ours0 = busy_seconds()
        t0 = time.monotonic()
        proc = subprocess.Popen([str(c) for c in cmd], cwd=REPO, env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True)
        sampled = {}  # pid -> last CPU seconds seen, for processes carrying our tag
        try:
            if detached:
                out, err = self._communicate_sampling(proc, tag, timeout, sampled)
            else:
                out, err = proc.communicate(timeout=timeout)
            rc = proc.returncode
        except subprocess.TimeoutExpired:
            # Not finished, or finished but something it started still holds its output open.
            self._end_group(proc)
            self._reap(tag, grace=0)  # what left the process group but carries our tag
            try:
                out, err = proc.communicate(timeout=10)
            except subprocess.TimeoutExpired:  # an untagged process holds the pipes: drop them
                proc.stdout.close()
                proc.stderr.close()
                out, err = "", "(run.py: its output was lost: a process outside the run held it)\n"
            rc = 124
            err += (f"\n(run.py: not done after {timeout} s (still running, or its output still "
                    "open): ended its process group and tagged processes)\n")
        wall = time.monotonic() - t0
        busy1, ours1 = busy_seconds()
        foreign = None
        if busy0 is not None and busy1 is not None and wall > 0:
            # Cores kept busy by processes other than this command's (another build, say).
            ours = max(ours1 - ours0, sum(sampled.values()))
            foreign = max(0.0, ((busy1 - busy0) - ours) / wall)
            if rep > 0:  # rep 0: set-up commands (vcluster up/down), not measurements
                self.foreign.append((foreign, wall))
        self._reap(tag)
        self.log.write(err)
        got = 0
        for text in out.splitlines():
            if text.startswith("{"):
                try:
                    rec = json.loads(text)
                except json.JSONDecodeError:
                    self.log.write(f"(unparsable stdout line) {text}\n")
                    continue
                rec.update(source=source, rep=rep,
                           foreign_cores=None if foreign is None else round(foreign, 3))
                self.samples.append(rec)
                got += 1
            elif text.strip():
                self.log.write(f"(stdout) {text}\n")
        self.log.write(f"  -> rc={rc}, {got} figures, {wall:.1f} s, other processes kept "
                       f"{'?' if foreign is None else f'{foreign:.2f}'} cores busy meanwhile\n")
        self.log.flush()
        if rc != 0:
            last = next((t for t in reversed(err.splitlines()) if t.strip()), "")
            self.failures.append((source, rc, line, last))
            note(f"  {source} exited {rc}: {last}")
        return rc

    def _wait_for_quiet(self, quiet_cores=0.25, window=0.5):
        """Waits (at most self.settle s) until other processes keep under quiet_cores cores busy
        over a window, so that a build running beside us does not become our figure."""
        start = time.monotonic()
        while True:
            b0, _ = busy_seconds()
            time.sleep(window)
            b1, _ = busy_seconds()
            if b0 is None or b1 is None:
                return
            load = (b1 - b0) / window
            waited = time.monotonic() - start
            if load < quiet_cores:
                if waited > 2 * window:
                    self.log.write(f"(waited {waited:.0f} s for other processes to go quiet)\n")
                return
            if waited >= self.settle:
                self.log.write(f"(gave up waiting after {waited:.0f} s: other processes keep "
                               f"{load:.2f} cores busy)\n")
                note(f"  machine still busy ({load:.2f} cores) after {waited:.0f} s: running anyway")
                return
            time.sleep(2)

    @staticmethod
    def _communicate_sampling(proc, tag, timeout, sampled):
        """proc.communicate(timeout), meanwhile noting the CPU time of our tagged processes:
        looks for them once a second and reads their /proc/PID/stat five times a second, so
        the driver itself stays a small load. Time a process spends after its last sample is
        missed (at most 0.2 s each)."""
        deadline = time.monotonic() + timeout
        pids, next_scan = [], 0.0
        while True:
            now = time.monotonic()
            if now >= next_scan:
                pids, next_scan = tagged(tag), now + 1.0
            for pid in pids:
                cpu = cpu_seconds(pid)
                if cpu is not None:
                    sampled[pid] = cpu
            try:
                return proc.communicate(timeout=max(0.01, min(0.2, deadline - time.monotonic())))
            except subprocess.TimeoutExpired:
                if time.monotonic() >= deadline:
                    raise

    @staticmethod
    def _end_group(proc):
        for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
            try:
                os.killpg(proc.pid, sig)  # the session we started: proc.pid is its group id
            except ProcessLookupError:
                return
            try:
                proc.wait(timeout=wait)
                return
            except subprocess.TimeoutExpired:
                pass

    def _reap(self, tag, grace=5.0):
        """Kill, by PID, what still carries this run's tag `grace` s after it ended (a stray rank)."""
        for _ in range(int(grace / 0.5)):
            pids = tagged(tag)
            if not pids:
                return
            time.sleep(0.5)
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for pid in tagged(tag):
                self.log.write(f"(reaping stray pid {pid} with signal {sig.name})\n")
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            time.sleep(1)
            if not tagged(tag):
                return


def busy_seconds():
    """CPU seconds this machine has spent busy (all cores), and those of our waited-for children."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
        user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
        busy = (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None, None
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return busy, ru.ru_utime + ru.ru_stime


def cpu_seconds(pid):
    """User + system CPU seconds of one process so far, or None if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2:].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def tagged(tag):
    needle = f"MPP_BENCH_RUN_TAG={tag}".encode()
    pids = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if needle in (d / "environ").read_bytes().split(b"\0"):
                    pids.append(int(d.name))
            except OSError:
                pass
    return pids


# ---- statistics and table -----------------------------------------------------------------

def fmt(x):
    if x is None:
        return "–"
    if x == 0:
        return "0"
    a = abs(x)
    if a >= 1000:
        return f"{x:,.0f}"
    digits = max(0, 2 - int(f"{a:e}".split("e")[1]))  # three significant digits
    return f"{x:.{digits}f}"


def spread(values):
    """'median', 'min–max' of a list (or dashes)."""
    if not values:
        return "–", "–"
    return fmt(statistics.median(values)), f"{fmt(min(values))}–{fmt(max(values))}"


def ratio_cell(values):
    if not values:
        return ""
    med, rng = spread(values)
    return f"{med}× ({rng})" if len(values) > 1 else f"{med}×"


class Figures:
    """Samples indexed by (source, figure substring), one value per rep."""

    def __init__(self, samples):
        self.samples = samples

    def per_rep(self, source, figure):
        out = {}
        for s in self.samples:
            if s["source"] == source and figure in s["figure"]:
                out[s["rep"]] = float(s["value"])
        return out

    @staticmethod
    def ratios(num, den, scale_den=1.0):
        """Per-rep ratios num/den over the reps where both were measured (same run)."""
        return [num[r] / (den[r] * scale_den) for r in sorted(num) if r in den and den[r] > 0]


def render_table(rows):
    head = ("| figure | ranks | median | min–max | unit | mpp ÷ floor | peer ÷ mpp |\n"
            "|---|---|---:|---:|---|---:|---:|\n")
    body = ""
    for r in rows:
        med, rng = spread(r["values"])
        body += (f"| {r['figure']} | {r['ranks']} | {med} | {rng} | {r['unit']} | "
                 f"{ratio_cell(r.get('vs_floor'))} | {ratio_cell(r.get('vs_mpp'))} |\n")
    return head + body


def at_least(value, limit, what):
    if value is None:
        return f"- {what}: **not measured** (see failed runs)"
    if value >= limit:
        return f"- {what}: **met**, {fmt(value)}× (at least {fmt(limit)}×)"
    return (f"- {what}: **missed**, {fmt(value)}× (at least {fmt(limit)}×: "
            f"{fmt(100 * (1 - value / limit))}% short)")


def verdict(value, limit, what, unit):
    if value is None:
        return f"- {what}: **not measured** (see failed runs)"
    if value <= limit:
        return f"- {what}: **met**, {fmt(value)}{unit} (limit {fmt(limit)}{unit})"
    return (f"- {what}: **missed** by {fmt(100 * (value / limit - 1))}% "
            f"({fmt(value - limit)}{unit} over): {fmt(value)}{unit} (limit {fmt(limit)}{unit})")


def med(values):
    return statistics.median(values) if values else None


def loadavg():
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def stale_note(sources_of):
    """Says so when a source is newer than the binary built from it (built from another tree)."""
    notes = []
    for binary, dirs in sources_of.items():
        sources = [p for d in dirs for p in ((REPO / d).rglob("*") if (REPO / d).is_dir() else [REPO / d])
                   if p.suffix in (".cpp", ".hpp") and p.is_file()]
        newest = max(sources, key=lambda p: p.stat().st_mtime, default=None)
        if newest is not None and newest.stat().st_mtime > binary.stat().st_mtime:
            notes.append(f"{newest.relative_to(REPO)} is newer than {binary.name}")
    return f"; **warning: {', '.join(notes)}: rebuild before trusting these figures**" if notes else ""


def machine_lines(args, sources_of):
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ompi = quick(["mpirun", "--version"]).splitlines()
    head = quick(["git", "rev-parse", "--short", "HEAD"])
    dirty = quick(["git", "diff", "--name-only", "HEAD", "--", "lib", "scripts", "CMakeLists.txt",
                   "cmake"]).split()
    state = f"git {head}" + (f", with uncommitted changes in {', '.join(dirty)}" if dirty
                             else ", no uncommitted changes in lib/, scripts/, cmake/")
    pyver = quick([PY, "-c", "import sys, mpi4py; print(sys.version.split()[0], 'mpi4py', mpi4py.__version__)"])
    mpp_env = sorted(k for k in os.environ if k.startswith("MPP_"))
    return [
        f"command: `{' '.join(shlex.quote(a) for a in sys.argv)}` (from `{os.getcwd()}`)",
        f"date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"machine: nproc {quick(['nproc'])}, {cpu}, "
        f"{quick(['uname', '-sr'])}; load average at start {loadavg()}",
        f"MPI: {ompi[0] if ompi else '?'}; Python peers: {PY} {pyver}",
        f"mpp: {state}; binaries from `{args.build_dir}`{stale_note(sources_of)}",
        f"reps: {args.reps}; waiting up to {args.settle:g} s before each command for a quiet "
        f"machine; MPP_* variables set: {', '.join(mpp_env) if mpp_env else 'none'}",
    ]


def vcluster_up(runner, hosts):
    """Bring the virtual cluster up unless it already is; True if we must take it down."""
    status = subprocess.run([VCLUSTER, "status"], capture_output=True, text=True, timeout=30)
    m = re.search(r"up, (\d+) hosts", status.stdout)
    if status.returncode == 0 and m and int(m.group(1)) >= hosts:
        note(f"vcluster already up with {m.group(1)} hosts: using it, leaving it up")
        return False
    rc = runner.run("vcluster up", 0, [VCLUSTER, "up", str(hosts)], timeout=120)
    if rc != 0:
        raise SystemExit(f"run.py: vcluster up {hosts} failed (rc {rc}); see the log")
    return True


def foreign_summary(foreign):
    """How busy other processes kept the machine while our commands ran (the noise)."""
    if not foreign:
        return ""
    total = sum(w for _, w in foreign)
    mean = sum(f * w for f, w in foreign) / total
    return (f"Other processes (not this run's) kept {mean:.2f} of {os.cpu_count()} cores busy on "
            f"average while the commands ran (worst command: {max(f for f, _ in foreign):.2f}); "
            "per command in the .log, per sample as `foreign_cores` in the .jsonl.")


def add_common_arguments(ap, workload):
    ap.add_argument("--build-dir", default="build/release",
                    help="build tree with bench/ built, relative to the repository root")
    ap.add_argument("--reps", type=int, default=3, help="repetitions of every command")
    ap.add_argument("--out", help=f"markdown table (default bench/results/{workload}.md, "
                    f"or {workload}-<H>hosts.md with --hosts H)")
    ap.add_argument("--hosts", type=int, default=1, choices=(1, 2),
                    help="2: run on 2 virtual hosts (scripts/vcluster) instead")
    ap.add_argument("--settle", type=float, default=60,
                    help="before each command, wait up to this many seconds for other processes "
                    "to keep under a quarter of a core busy (0: do not wait)")


def out_path(args, workload):
    out = Path(args.out) if args.out else REPO / "bench" / "results" / (
        f"{workload}.md" if args.hosts == 1 else f"{workload}-{args.hosts}hosts.md")
    out.parent.mkdir(parents=True, exist_ok=True)
    return out


def build_paths(args, *names):
    """The benchmark binaries in --build-dir/bench; exits with a hint if one is missing."""
    build = Path(args.build_dir) if Path(args.build_dir).is_absolute() else REPO / args.build_dir
    paths = [build / "bench" / n for n in names]
    for p in paths:
        if not os.access(p, os.X_OK):
            raise SystemExit(f"run.py: {p} not found; build with -DMPP_BUILD_BENCH=ON "
                             "(see bench/README.md) or pass --build-dir")
    return paths


def run_reps(runner, args, cmds):
    """Every command once per rep, in order; on --hosts > 1 inside the virtual cluster."""
    take_down = vcluster_up(runner, args.hosts) if args.hosts > 1 else False
    try:
        for rep in range(1, args.reps + 1):
            for source, cmd in cmds:
                runner.run(source, rep, cmd, detached=args.hosts > 1)
    finally:
        if take_down:
            runner.run("vcluster down", 0, [VCLUSTER, "down"], timeout=120)


def write_report(out, runner, title, header, body):
    """Writes the table file (title, header lines, body, failed runs, noise) and the samples."""
    with open(out.with_suffix(".jsonl"), "w", encoding="utf-8") as f:
        for s in runner.samples:
            f.write(json.dumps(s) + "\n")
    text = title + "\n\n" + "\n".join(f"- {h}" for h in header) + "\n\n" + body
    if runner.failures:
        text += ("\nRuns that exited non-zero (their stderr is in the .log):\n\n"
                 "| run | rc | last line | command |\n|---|---:|---|---|\n")
        for source, rc, line, last in runner.failures:
            text += f"| {source} | {rc} | {last.replace('|', '/')} | `{line}` |\n"
    text += f"\nLoad average at the end: {loadavg()}. {foreign_summary(runner.foreign)}\n"
    out.write_text(text, encoding="utf-8")
    print(text)
    note(f"wrote {out}, {out.with_suffix('.jsonl')}, {out.with_suffix('.log')}")
    return 1 if runner.failures else 0
