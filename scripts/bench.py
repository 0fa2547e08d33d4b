#!/usr/bin/env python3
"""Side-by-side benchmark driver: warren-broker against RabbitMQ, same generator, same run.

scripts/bench.sh installs what is missing, builds, starts and restarts the brokers and calls
the subcommands below; each writes JSON under the results directory, and `report` turns all
of it into docs/benchmarks.md and its plots.

  throughput   the scenario list against both brokers, alternating A/B over rounds
  memory       one broker's resident memory with N persistent 16-byte messages queued
  connections  one broker's idle cost of N connections
  report       docs/benchmarks.md, docs/benchmarks/*.svg and docs/benchmarks/results.json
"""

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time

PERF = os.environ.get("WARREN_PERF", "target/release/warren-perf")
BROKERS = ("warren", "rabbitmq")
LABEL = {"warren": "warren-broker", "rabbitmq": "RabbitMQ"}

# The scenario list. `metric` is the summary field compared; `target` the minimum
# Warren/RabbitMQ ratio (None: measured, no target).
SCENARIOS = [
    {
        "key": "transient-1to1",
        "title": "1→1, 16 B transient, no-ack consumer",
        "args": ["one-to-one"],
        "metric": "consumed_rate",
        "target": 5.0,
    },
    {
        "key": "persistent-confirms",
        "title": "1→1, 16 B persistent, confirms (window 256), manual ack",
        "args": ["one-to-one", "--persistent", "--confirm", "256", "--ack", "single"],
        "metric": "consumed_rate",
        "target": 3.0,
    },
    {
        "key": "fanout",
        "title": "fanout 1→3 queues, 16 B transient, no-ack (deliveries)",
        "args": ["fanout"],
        "metric": "consumed_rate",
        "target": 5.0,
    },
    {
        "key": "topic",
        "title": "topic 1→3 queues (logging keys), 16 B transient, no-ack (deliveries)",
        "args": ["topic"],
        "metric": "consumed_rate",
        "target": 5.0,
    },
    {
        "key": "publish-only",
        "title": "publish only, 16 B transient, no confirms",
        "args": ["publish-only"],
        "metric": "published_rate",
        "target": None,
    },
    {
        "key": "consume-only",
        "title": "consume only, 200k pre-filled 16 B, manual ack (multiple every 100)",
        "args": ["consume-only", "--prefill", "200000", "--ack", "multiple"],
        "metric": "consumed_rate",
        "target": None,
    },
    {
        "key": "1to1-4kib-ack",
        "title": "1→1, 4 KiB transient, manual ack",
        "args": ["one-to-one", "--size", "4096", "--ack", "single"],
        "metric": "consumed_rate",
        "target": None,
    },
    {
        "key": "4to4-queues",
        "title": "4 producers → 4 queues → 4 consumers, 16 B transient, no-ack",
        "args": ["one-to-one", "--producers", "4", "--queues", "4"],
        "metric": "consumed_rate",
        "target": None,
    },
    {
        "key": "4to4-queues-ack",
        "title": "4 producers → 4 queues → 4 consumers, 16 B transient, manual ack (multiple every 100, prefetch 1000)",
        "args": ["one-to-one", "--producers", "4", "--queues", "4", "--ack", "multiple"],
        "metric": "consumed_rate",
        "target": None,
    },
]

LATENCY = {
    "key": "latency-10k",
    "title": "1→1 at a fixed 10,000 msg/s, 16 B transient, manual ack",
    "args": ["one-to-one", "--rate", "10000", "--ack", "single"],
}


def perf(args, uri, duration, extra=(), timeout_pad=120):
    """Runs warren-perf with --json and returns its JSON line (or an error record)."""
    cmd = [PERF, *args, "--uri", uri, "--duration", str(duration), "--json", "--quiet", *extra]
    started = time.monotonic()
    try:
        p = subprocess.run(
            cmd, capture_output=True, text=True, timeout=duration + timeout_pad, check=False
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out: {' '.join(cmd)}"}
    out = p.stdout.strip().splitlines()
    if p.returncode not in (0, 2) or not out:
        return {"error": f"exit {p.returncode}: {p.stderr.strip()[-400:]}", "cmd": cmd}
    result = json.loads(out[-1])
    result["wall_seconds"] = round(time.monotonic() - started, 2)
    if p.returncode == 2:
        result["error"] = "routing check failed (mismatch)"
    return result


def load(path, default):
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        return default


def save(path, data):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(data, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)


def cmd_throughput(a):
    uris = {"warren": a.warren, "rabbitmq": a.rabbitmq}
    out = {
        "rounds": a.rounds,
        "duration": a.duration,
        "latency_duration": a.latency_duration,
        "scenarios": {},
        "latency": {b: [] for b in BROKERS},
    }
    selected = [s for s in SCENARIOS if not a.only or s["key"] in a.only.split(",")]
    for s in selected:
        out["scenarios"][s["key"]] = {b: [] for b in BROKERS}
    failures = 0
    for r in range(a.rounds):
        # A/B in even rounds, B/A in odd ones.
        order = BROKERS if r % 2 == 0 else tuple(reversed(BROKERS))
        for s in selected + ([LATENCY] if not a.only else []):
            for b in order:
                res = perf(s["args"], uris[b], a.latency_duration if s is LATENCY else a.duration)
                res["round"] = r + 1
                if s is LATENCY:
                    out["latency"][b].append(res)
                    shown = (res.get("latency") or {}).get("p99_us", "-")
                    what = f"p99 {shown} µs"
                else:
                    out["scenarios"][s["key"]][b].append(res)
                    what = f"{res.get(s['metric'], 0):,.0f} msg/s ({s['metric']})"
                if "error" in res:
                    failures += 1
                    what = "ERROR " + res["error"]
                print(f"  round {r + 1}/{a.rounds} {s['key']:<20} {LABEL[b]:<13} {what}", flush=True)
                save(a.out, out)
                time.sleep(1)
    save(a.out, out)
    return 1 if failures else 0


def cmd_memory(a):
    res = perf(
        [
            "publish-only", "--persistent", "--size", "16",
            "--producers", str(a.producers), "--confirm", str(a.confirm),
            "--messages", str(a.messages), "--hold", str(a.hold),
            "--broker-pid", str(a.pid),
        ],
        a.uri,
        a.max_seconds,
        timeout_pad=a.hold + 120,
    )
    res["broker"] = a.broker
    res["messages_wanted"] = a.messages
    data = load(a.out, {})
    data[a.broker] = res
    save(a.out, data)
    rss = (res.get("broker_rss_kib") or {})
    print(f"  {LABEL[a.broker]}: {res.get('queued_at_end')} queued, RSS {rss}", flush=True)
    ok = "error" not in res and res.get("queued_at_end") == a.messages
    return 0 if ok else 1


def cmd_connections(a):
    res = perf(
        ["connections", "--connections", str(a.connections), "--broker-pid", str(a.pid)],
        a.uri,
        a.hold,
    )
    res["broker"] = a.broker
    data = load(a.out, {})
    data[a.broker] = res
    save(a.out, data)
    print(
        f"  {LABEL[a.broker]}: {res.get('opened')} opened, "
        f"{res.get('broker_rss_kib_per_connection')} KiB per connection",
        flush=True,
    )
    return 0 if "error" not in res and res.get("failed") == 0 else 1


# ---------------------------------------------------------------------------------------------
# Report


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt_rate(x):
    return "–" if x is None else f"{x:,.0f}"


def fmt_ratio(x):
    return "–" if x is None else f"{x:.2f}×"


def fmt_us(x):
    if x is None:
        return "–"
    return f"{x / 1000:.2f} ms" if x >= 1000 else f"{x:.0f} µs"


def fmt_kib(k):
    return "–" if k is None else f"{k / 1024:,.1f} MiB"


def machine_facts(measured_commit=None):
    def sh(cmd):
        try:
            return subprocess.run(
                cmd, shell=True, capture_output=True, text=True, timeout=30
            ).stdout.strip()
        except Exception:  # noqa: BLE001 - facts are best effort
            return ""

    cpu = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").strip()
    mem_kib = sh("grep MemTotal /proc/meminfo | awk '{print $2}'")
    os_name = sh(". /etc/os-release && echo \"$PRETTY_NAME\"")
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(int(mem_kib) / 1024 / 1024, 1) if mem_kib.isdigit() else None,
        "os": os_name,
        "kernel": platform.release(),
        "rustc": sh("rustc --version"),
        "rabbitmq": sh("dpkg-query -W -f='${Version}' rabbitmq-server"),
        "erlang": sh("dpkg-query -W -f='${Version}' erlang-base"),
        # The commit that was measured (recorded when the run started), not the one reporting.
        "commit": measured_commit or sh("git rev-parse --short HEAD"),
        "date": datetime.date.today().isoformat(),
    }


def summarize(results):
    """Medians and ratios per scenario."""
    rows = []
    tp = results.get("throughput", {})
    for s in SCENARIOS:
        runs = tp.get("scenarios", {}).get(s["key"])
        if not runs:
            continue
        row = {
            "key": s["key"],
            "title": s["title"],
            "args": s["args"],
            "metric": s["metric"],
            "target": s["target"],
        }
        for b in BROKERS:
            ok = [r for r in runs[b] if "error" not in r]
            row[b] = median([r.get(s["metric"]) for r in ok])
            row[b + "_rounds"] = [r.get(s["metric"]) for r in ok]
            row[b + "_errors"] = len(runs[b]) - len(ok)
            row[b + "_p99"] = median([(r.get("latency") or {}).get("p99_us") for r in ok])
            if "--confirm" in s["args"]:
                row[b + "_confirmed"] = median([r.get("confirmed_rate") for r in ok])
        w, r = row["warren"], row["rabbitmq"]
        row["ratio"] = w / r if w and r else None
        rows.append(row)
    lat = {}
    for b in BROKERS:
        ok = [r for r in tp.get("latency", {}).get(b, []) if "error" not in r and r.get("latency")]
        lat[b] = {
            q: median([r["latency"][q] for r in ok])
            for q in ("p50_us", "p99_us", "p999_us", "max_us")
        }
        lat[b]["consumed_rate"] = median([r.get("consumed_rate") for r in ok])
        lat[b]["runs"] = len(ok)
    return rows, lat


def plots(rows, lat, outdir):
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["svg.hashsalt"] = "warren"
    import matplotlib.pyplot as plt
    import matplotlib.ticker  # noqa: F401 - used through matplotlib.ticker

    colors = {"warren": "#2a7ab9", "rabbitmq": "#f28e2b"}
    files = []

    fig, ax = plt.subplots(figsize=(10, 5.5))
    width = 0.38
    xs = range(len(rows))
    for i, b in enumerate(BROKERS):
        vals = [r[b] or 0 for r in rows]
        bars = ax.bar([x + (i - 0.5) * width for x in xs], vals, width, label=LABEL[b], color=colors[b])
        for bar, v in zip(bars, vals):
            ax.annotate(f"{v / 1000:,.0f}k", (bar.get_x() + bar.get_width() / 2, v),
                        ha="center", va="bottom", fontsize=7)
    top = max([(r["warren"] or 0) for r in rows] + [1])
    for x, r in zip(xs, rows):
        if r["ratio"]:
            y = max(r["warren"] or 0, r["rabbitmq"] or 0) + top * 0.07
            ax.annotate(f"{r['ratio']:.1f}×", (x, y), ha="center", fontsize=9, fontweight="bold")
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v / 1000:,.0f}k"))
    ax.set_xticks(list(xs))
    ax.set_xticklabels([r["key"] for r in rows], rotation=20, ha="right", fontsize=8)
    ax.set_ylabel("messages per second (median)")
    ax.set_title("Throughput per scenario, same generator, same machine (higher is better)")
    ax.set_ylim(0, max((r["warren"] or 0) for r in rows) * 1.25 if rows else 1)
    ax.legend()
    fig.tight_layout()
    path = os.path.join(outdir, "throughput.svg")
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)
    files.append(path)

    fig, ax = plt.subplots(figsize=(8, 5))
    qs = [("p50_us", "p50"), ("p99_us", "p99"), ("p999_us", "p99.9"), ("max_us", "max")]
    for i, b in enumerate(BROKERS):
        vals = [(lat[b].get(q) or 0) / 1000 for q, _ in qs]
        bars = ax.bar([x + (i - 0.5) * width for x in range(len(qs))], vals, width,
                      label=LABEL[b], color=colors[b])
        for bar, v in zip(bars, vals):
            ax.annotate(f"{v:.2f}", (bar.get_x() + bar.get_width() / 2, v),
                        ha="center", va="bottom", fontsize=8)
    ax.set_yscale("log")
    ax.set_xticks(range(len(qs)))
    ax.set_xticklabels([n for _, n in qs])
    ax.set_ylabel("end-to-end latency, ms (median over rounds, log scale)")
    ax.set_title("Latency at a fixed 10,000 msg/s, 16 B, manual ack (lower is better)")
    ax.legend()
    fig.tight_layout()
    path = os.path.join(outdir, "latency.svg")
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)
    files.append(path)
    return files


def cmd_report(a):
    command = load(os.path.join(a.results, "command.json"), {})
    results = {
        "machine": machine_facts(command.get("commit")),
        "throughput": load(os.path.join(a.results, "throughput.json"), {}),
        "memory": load(os.path.join(a.results, "memory.json"), {}),
        "connections": load(os.path.join(a.results, "connections.json"), {}),
        "clients": load(os.path.join(a.results, "clients.json"), {}),
        "command": command,
    }
    rows, lat = summarize(results)
    os.makedirs(a.plots, exist_ok=True)
    plot_files = plots(rows, lat, a.plots) if rows else []
    save(os.path.join(a.plots, "results.json"), results)
    notes = ""
    if os.path.exists(a.notes):
        with open(a.notes) as f:
            notes = f.read()
    with open(a.doc, "w") as f:
        f.write(render(results, rows, lat, plot_files, a, notes))
    print(f"==> wrote {a.doc}, {', '.join(plot_files)} and {a.plots}/results.json")
    return 0


def held_rss(results, broker):
    """A broker's RSS (KiB) at the end of the memory run's hold, or None."""
    run = results["memory"].get(broker) or {}
    return (run.get("broker_rss_kib") or {}).get("end_of_hold")


def verdict(ok):
    return "met" if ok else "**missed**"


def render(results, rows, lat, plot_files, a, notes):
    m = results["machine"]
    tp = results["throughput"]
    cmd = results["command"]
    L = []
    w = L.append
    w("# Benchmarks: warren-broker against RabbitMQ\n")
    w("_Generated by `scripts/bench.sh` (do not edit by hand; the analysis at the end comes from "
      "`docs/benchmarks-notes.md`)._\n")
    w("Both brokers run on the same machine, one after the other, driven by the same load "
      "generator (`warren-perf`, built on warren-core's client) with the same arguments. Each "
      "scenario runs once per broker per round, alternating which broker goes first (A/B, then "
      "B/A); the tables give the **median over rounds** and the ratio warren-broker / RabbitMQ. "
      "The load generator runs on the same two cores as the broker it measures, so every number "
      "includes the client's own cost (see *Where the time goes*). The generator is one "
      "connection per producer and per consumer, 16-byte bodies unless stated, and uses "
      "mimalloc.\n")
    w("## Targets\n")
    w("| target | measured | |")
    w("| --- | --- | --- |")
    for r in rows:
        if r["target"] is not None:
            w(f"| {r['title']}: ≥ {r['target']:.0f}× RabbitMQ | {fmt_ratio(r['ratio'])} "
              f"({fmt_rate(r['warren'])} vs {fmt_rate(r['rabbitmq'])} msg/s) "
              f"| {verdict((r['ratio'] or 0) >= r['target'])} |")
    wp, rp = lat["warren"]["p99_us"], lat["rabbitmq"]["p99_us"]
    if wp is not None and rp is not None:
        w(f"| p99 latency at 10k msg/s below RabbitMQ's | {fmt_us(wp)} vs {fmt_us(rp)} "
          f"| {verdict(wp < rp)} |")
    mw, mr = held_rss(results, "warren"), held_rss(results, "rabbitmq")
    if mw and mr:
        n = (results["memory"].get("warren") or {}).get("messages_wanted", 0)
        w(f"| RSS with {n:,} persistent 16 B messages queued ≤ ¼ of RabbitMQ's | "
          f"{fmt_kib(mw)} vs {fmt_kib(mr)} ({mw / mr:.1%}) | {verdict(mw * 4 <= mr)} |")
    w("")
    w("## Machine and versions\n")
    w(f"- CPU: {m.get('cpu')} — {m.get('cores')} cores; memory {m.get('memory_gib')} GiB")
    w(f"- OS: {m.get('os')}, kernel {m.get('kernel')}")
    w(f"- RabbitMQ {m.get('rabbitmq')} on Erlang {m.get('erlang')} (Debian packages, default "
      "configuration: classic queues, default memory watermark)")
    w(f"- warren-broker at commit `{m.get('commit')}`, release build ({m.get('rustc')}), with a "
      "data directory: persistent messages are fsynced before they are confirmed")
    w(f"- Run on {m.get('date')}: {tp.get('rounds')} rounds, {tp.get('duration')} s per "
      f"throughput run, {tp.get('latency_duration')} s per latency run\n")
    w("## How to reproduce\n")
    w("```sh")
    w(cmd.get("line", "./scripts/bench.sh"))
    w("```\n")
    w("`./scripts/bench.sh --quick` is a 1-round smoke run. Each run is one `warren-perf` "
      "invocation, e.g. `target/release/warren-perf one-to-one --duration 10 --json --uri "
      "amqp://guest:guest@127.0.0.1:5672/%2f`; the arguments of every scenario are in the "
      "table below. Raw per-round numbers: `docs/benchmarks/results.json`.\n")

    w("## Throughput\n")
    w("| scenario | warren-perf arguments | warren-broker | RabbitMQ | ratio | target |")
    w("| --- | --- | ---: | ---: | ---: | --- |")
    for r in rows:
        tgt = "–" if r["target"] is None else f"≥ {r['target']:.0f}× — {verdict((r['ratio'] or 0) >= r['target'])}"
        extra = ""
        if "warren_confirmed" in r:
            extra = (f" (confirmed {fmt_rate(r['warren_confirmed'])} vs "
                     f"{fmt_rate(r['rabbitmq_confirmed'])})")
        errs = r["warren_errors"] + r["rabbitmq_errors"]
        err = f" ({errs} failed runs)" if errs else ""
        w(f"| {r['title']}{err} | `{' '.join(r['args'])}` "
          f"| {fmt_rate(r['warren'])} | {fmt_rate(r['rabbitmq'])} | **{fmt_ratio(r['ratio'])}**{extra} | {tgt} |")
    w("")
    w("Messages per second, median over rounds. `consumed_rate` is deliveries to the consumers "
      "divided by the time from the start to the last delivery (for fanout and topic it counts "
      "every queue's deliveries); `published_rate` is what the producer handed over per second of "
      "publishing. Per round:\n")
    w("| scenario | metric | warren-broker rounds | RabbitMQ rounds |")
    w("| --- | --- | --- | --- |")
    for r in rows:
        w(f"| {r['key']} | {r['metric']} | {', '.join(fmt_rate(x) for x in r['warren_rounds'])} "
          f"| {', '.join(fmt_rate(x) for x in r['rabbitmq_rounds'])} |")
    w("")
    if plot_files:
        w("![throughput per scenario](benchmarks/throughput.svg)\n")

    w("## Latency at a fixed rate\n")
    w(f"{LATENCY['title']}: `warren-perf {' '.join(LATENCY['args'])}`. Every body carries its "
      "send time; the consumer records now − send time in an HDR histogram. Median over rounds "
      "of each percentile:\n")
    w("| broker | p50 | p99 | p99.9 | max | consumed msg/s |")
    w("| --- | ---: | ---: | ---: | ---: | ---: |")
    for b in BROKERS:
        x = lat[b]
        w(f"| {LABEL[b]} | {fmt_us(x['p50_us'])} | {fmt_us(x['p99_us'])} | {fmt_us(x['p999_us'])} "
          f"| {fmt_us(x['max_us'])} | {fmt_rate(x['consumed_rate'])} |")
    if wp is not None and rp is not None:
        w(f"\nTarget: p99 below RabbitMQ's — {verdict(wp < rp)} ({fmt_us(wp)} vs {fmt_us(rp)}).\n")
    if plot_files:
        w("![latency percentiles at 10k msg/s](benchmarks/latency.svg)\n")

    mem = results["memory"]
    if mem:
        any_run = next(iter(mem.values()))
        w(f"## Memory with {any_run.get('messages_wanted', 0):,} persistent messages queued\n")
        w(f"Each broker freshly started; `warren-perf publish-only --persistent --size 16 "
          f"--messages {any_run.get('messages_wanted')} --producers {any_run.get('producers')} "
          f"--confirm {any_run.get('confirm_window')} --hold {any_run.get('hold_seconds')} "
          "--broker-pid PID` publishes with confirms into one durable queue, then holds the "
          "queue for the hold time; resident memory is the broker process's `VmRSS` (for "
          "RabbitMQ, its `beam.smp`).\n")
        w("| broker | queued (passive declare) | RSS before | RSS peak | RSS at end of hold | publish msg/s (confirmed) |")
        w("| --- | ---: | ---: | ---: | ---: | ---: |")
        for b in BROKERS:
            x = mem.get(b)
            if not x:
                continue
            rss = x.get("broker_rss_kib") or {}
            w(f"| {LABEL[b]} | {x.get('queued_at_end')} | {fmt_kib(rss.get('before'))} | "
              f"{fmt_kib(rss.get('peak'))} | {fmt_kib(rss.get('end_of_hold'))} | "
              f"{fmt_rate(x.get('confirmed_rate'))} |")
        if mw and mr:
            w(f"\nTarget: ≤ ¼ of RabbitMQ's — {verdict(mw * 4 <= mr)} (warren-broker uses "
              f"{mw / mr:.1%} of RabbitMQ's resident memory at the end of the hold).\n")

    conns = results["connections"]
    if conns:
        any_run = next(iter(conns.values()))
        w(f"## Idle cost of {any_run.get('connections', 0):,} connections\n")
        w(f"Each broker freshly started; `warren-perf connections --connections "
          f"{any_run.get('connections')} --duration {any_run.get('held_seconds')} --broker-pid PID` "
          "opens the connections (one channel each), waits 0.5 s, and reads the broker's "
          "`VmRSS` before and after.\n")
        w("| broker | opened | RSS before | RSS with the connections open | per connection | open rate (conn/s) |")
        w("| --- | ---: | ---: | ---: | ---: | ---: |")
        for b in BROKERS:
            x = conns.get(b)
            if not x:
                continue
            rss = x.get("broker_rss_kib") or {}
            per = x.get("broker_rss_kib_per_connection")
            w(f"| {LABEL[b]} | {x.get('opened')} | {fmt_kib(rss.get('before'))} | "
              f"{fmt_kib(rss.get('open'))} | {'–' if per is None else f'{per:.1f} KiB'} | "
              f"{fmt_rate(x.get('open_rate'))} |")
        w("")

    cl = results["clients"]
    if cl:
        w("## Client comparison: Warren's Rust client against lapin\n")
        c = cl.get("config", {})
        w(f"`cargo bench --workspace --bench client_vs_lapin` against the reference broker, same "
          f"run, clients alternating A/B over {c.get('rounds')} rounds, medians, 16-byte bodies "
          f"(broker `{c.get('uri')}`).\n")
        w("| mode | Warren | lapin 3.7 | ratio |")
        w("| --- | ---: | ---: | ---: |")
        for mode in cl.get("modes", []):
            w(f"| {mode.get('label')} | {fmt_rate(mode.get('warren_median'))} | "
              f"{fmt_rate(mode.get('lapin_median'))} | **{fmt_ratio(mode.get('ratio'))}** |")
        w("")

    if notes:
        w(notes.rstrip() + "\n")
    return "\n".join(L)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("throughput")
    t.add_argument("--warren", required=True)
    t.add_argument("--rabbitmq", required=True)
    t.add_argument("--rounds", type=int, default=3)
    t.add_argument("--duration", type=float, default=10)
    t.add_argument("--latency-duration", type=float, default=10)
    t.add_argument("--only", help="comma-separated scenario keys (skips the latency run)")
    t.add_argument("--out", required=True)
    mm = sub.add_parser("memory")
    mm.add_argument("--broker", choices=BROKERS, required=True)
    mm.add_argument("--uri", required=True)
    mm.add_argument("--pid", type=int, required=True)
    mm.add_argument("--messages", type=int, default=1_000_000)
    mm.add_argument("--producers", type=int, default=2)
    mm.add_argument("--confirm", type=int, default=1000)
    mm.add_argument("--hold", type=float, default=10)
    mm.add_argument("--max-seconds", type=float, default=600)
    mm.add_argument("--out", required=True)
    c = sub.add_parser("connections")
    c.add_argument("--broker", choices=BROKERS, required=True)
    c.add_argument("--uri", required=True)
    c.add_argument("--pid", type=int, required=True)
    c.add_argument("--connections", type=int, default=1000)
    c.add_argument("--hold", type=float, default=5)
    c.add_argument("--out", required=True)
    r = sub.add_parser("report")
    r.add_argument("--results", required=True)
    r.add_argument("--doc", default="docs/benchmarks.md")
    r.add_argument("--plots", default="docs/benchmarks")
    r.add_argument("--notes", default="docs/benchmarks-notes.md")
    a = p.parse_args()
    return {
        "throughput": cmd_throughput,
        "memory": cmd_memory,
        "connections": cmd_connections,
        "report": cmd_report,
    }[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
