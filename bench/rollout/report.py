#!/usr/bin/env python3
"""Reads the runs bench/rollout/run leaves (events.json from GET /v1/events, answers from
load.py) and prints the Markdown report: a table per run and a summary over runs. Exit 0 when
every run meets every bar, 1 otherwise.

Usage: report.py [--out FILE] [--invocation CMD] [--rate R] [--users N] RUN_DIR...

Definitions (all times on the one host clock: the events' `at` and the load's receive times):
  bad canary   from v2's revision.applied to v3's; good canary from v3's revision.applied on.
  canary users the users (X-User-Id) any of whose answers in that window came from the new
               version (its version in the body, or cairn-hello's injected failure, which only
               the canary is configured to give); every other user is outside the canary.
  verdict      the first rollout.verdict event of the bad canary whose message says "fail:".
  last v2      the receive time of the last answer from v2 (version v2 or injected failure).
"""
import argparse
import datetime
import json
import os
import statistics
import sys

BAR_ZERO_MS = 1000.0


def at(e):
    t = datetime.datetime.strptime(e["at"], "%Y-%m-%dT%H:%M:%S.%fZ")
    return t.replace(tzinfo=datetime.timezone.utc).timestamp()


def first(events, type_, text="", after=0.0, before=float("inf")):
    for e in events:
        if e["type"] == type_ and text in e.get("message", "") and after <= at(e) < before:
            return e
    return None


def load_answers(path):
    rows = []
    with open(path) as f:
        for line in f:
            t_send, t_recv, user, status, version, kind = line.split()
            rows.append((float(t_send), float(t_recv), user, int(status), version, kind))
    return rows


def analyse(run_dir):
    """One run's figures as a dict; 'problems' lists what is missing or wrong."""
    with open(os.path.join(run_dir, "events.json")) as f:
        events = json.load(f)
    if isinstance(events, dict):
        events = events.get("events", [])
    answers = load_answers(os.path.join(run_dir, "answers"))
    r = {"run": os.path.basename(run_dir), "problems": []}
    applied = {n: first(events, "revision.applied", "revision %d applied" % n) for n in (2, 3)}
    if applied[2] is None or applied[3] is None:
        r["problems"].append("revision.applied of v2 or v3 missing")
        return r
    t_bad, t_good = at(applied[2]), at(applied[3])
    t_end = answers[-1][1] if answers else t_good

    # --- the bad canary ---------------------------------------------------------------
    weight = first(events, "rollout.weight", after=t_bad, before=t_good)
    verdict = first(events, "rollout.verdict", ": fail:", after=t_bad, before=t_good)
    aborted = first(events, "rollout.aborted", after=t_bad, before=t_good)
    failed = first(events, "rollout.failed", "to revision 2 aborted", after=t_bad, before=t_good)
    if verdict is None or failed is None:
        r["problems"].append("no failing verdict or no rollout.failed for v2")
        return r
    t_verdict = at(verdict)
    r["verdict_message"] = verdict["message"]
    r["verdicts_before_fail"] = sum(
        1 for e in events if e["type"] == "rollout.verdict" and t_bad <= at(e) < t_verdict)
    bad = [a for a in answers if t_bad <= a[0] < t_good]
    from_v2 = [a for a in bad if a[4] == "v2" or a[5] == "injected"]
    canary_users = {a[2] for a in from_v2}
    outside = [a for a in bad if a[2] not in canary_users]
    last_v2 = max((a[1] for a in from_v2), default=None)
    r["bad_requests"] = len(bad)
    r["bad_canary_users"] = len(canary_users)
    r["v2_ok"] = sum(1 for a in from_v2 if a[5] == "ok")
    r["v2_injected"] = sum(1 for a in from_v2 if a[5] == "injected")
    r["apply_to_weight_s"] = at(weight) - t_bad if weight else None
    r["apply_to_verdict_s"] = t_verdict - t_bad
    r["verdict_to_aborted_ms"] = (at(aborted) - t_verdict) * 1000 if aborted else None
    r["verdict_to_failed_ms"] = (at(failed) - t_verdict) * 1000
    r["verdict_to_zero_ms"] = (last_v2 - t_verdict) * 1000 if last_v2 is not None else None
    r["apply_to_failed_s"] = at(failed) - t_bad
    # Per canary user, the first answer from v1 sent after its last answer from v2 (the cohort
    # keeps a user on v2 until the abort): the moment the router had that user back.
    last_v2_of = {}
    for a in from_v2:
        last_v2_of[a[2]] = max(last_v2_of.get(a[2], 0.0), a[1])
    back = [a[1] for a in bad if a[2] in last_v2_of and a[4] == "v1" and a[0] >= last_v2_of[a[2]]]
    r["verdict_to_back_ms"] = (min(back) - t_verdict) * 1000 if back else None
    r["apply_to_last_v2_s"] = last_v2 - t_bad if last_v2 is not None else None
    r["v2_after_verdict_1s"] = sum(1 for a in from_v2 if a[1] >= t_verdict + 1.0)
    r["outside_failed_whole"] = sum(1 for a in outside if a[5] != "ok")
    r["outside_failed_abort"] = sum(1 for a in outside if a[5] != "ok" and a[0] >= t_verdict)
    r["outside_requests_abort"] = sum(1 for a in outside if a[0] >= t_verdict)
    # Failures that are not the canary's own 5%: the router, a drain, a refused connection.
    r["bad_not_injected_failed"] = sum(1 for a in bad if a[5] in ("http", "conn"))
    r["bad_failure_samples"] = [a for a in bad if a[5] in ("http", "conn")][:5] + \
        [a for a in outside if a[5] == "injected"][:5]

    # --- the good canary --------------------------------------------------------------
    good = [a for a in answers if a[0] >= t_good]
    complete = first(events, "rollout.complete", "of revision 3 healthy", after=t_good)
    good_weight = first(events, "rollout.weight", after=t_good)
    r["good_requests"] = len(good)
    full = first(events, "rollout.step", "full promotion", after=t_good)
    r["good_canary_users"] = len({a[2] for a in good if a[4] == "v3" and
                                  (full is None or a[0] < at(full))})
    r["good_failed"] = sum(1 for a in good if a[5] != "ok")
    r["good_failure_samples"] = [a for a in good if a[5] != "ok"][:5]
    r["good_verdicts"] = sum(1 for e in events if e["type"] == "rollout.verdict" and at(e) >= t_good)
    r["good_apply_to_weight_s"] = at(good_weight) - t_good if good_weight else None
    r["good_apply_to_complete_s"] = at(complete) - t_good if complete else None
    if complete is None:
        r["problems"].append("the good canary did not complete")
    else:
        late_v1 = [a for a in good if a[4] == "v1" and a[0] >= at(complete)]
        r["good_v1_after_complete"] = len(late_v1)
    r["tail_s"] = t_end - t_good
    return r


def bars(r):
    """(name, met) for each bar of one run."""
    z = r.get("verdict_to_zero_ms")
    return [
        ("failing verdict to 0% canary traffic < 1 s", z is not None and z < BAR_ZERO_MS),
        ("failed requests outside the canary, whole bad canary = 0",
         r.get("outside_failed_whole") == 0),
        ("failed requests outside the canary, during the abort = 0",
         r.get("outside_failed_abort") == 0),
        ("failed requests during a good canary = 0", r.get("good_failed") == 0),
        ("rolled back and completed as expected", not r["problems"]),
    ]


def fmt(v, unit=""):
    if v is None:
        return "—"
    if isinstance(v, float):
        return ("%.0f" % v if unit == "ms" else "%.2f" % v) + (" " + unit if unit else "")
    return "{:,}".format(v) + (" " + unit if unit else "")


ROWS = [  # key, label, unit, bar
    ("apply_to_weight_s", "bad canary: apply → 20% on v2 (`rollout.weight`)", "s", ""),
    ("apply_to_verdict_s", "bad canary: apply → failing verdict", "s", ""),
    ("verdicts_before_fail", "bad canary: verdicts before the failing one", "", ""),
    ("verdict_to_aborted_ms", "failing verdict → `rollout.aborted` event", "ms", ""),
    ("verdict_to_zero_ms", "**failing verdict → last answer from v2 (0% at the router)**", "ms", "< 1,000 ms"),
    ("apply_to_failed_s", "**bad canary: apply → `rollout.failed`**", "s", ""),
    ("apply_to_last_v2_s", "bad canary: apply → last answer from v2", "s", ""),
    ("verdict_to_back_ms", "failing verdict → first answer from v1 to a canary user", "ms", ""),
    ("v2_after_verdict_1s", "answers from v2 later than 1 s after the verdict", "", ""),
    ("bad_canary_users", "users in the bad canary (of 100)", "", ""),
    ("v2_ok", "v2 answers: ok", "", ""),
    ("v2_injected", "v2 answers: injected failures (the canary's 5%)", "", ""),
    ("bad_requests", "requests during the bad canary", "", ""),
    ("outside_failed_whole", "**failed requests outside the canary, whole bad canary**", "", "0"),
    ("outside_requests_abort", "requests outside the canary from the verdict on", "", ""),
    ("outside_failed_abort", "**failed requests outside the canary, from the verdict on**", "", "0"),
    ("bad_not_injected_failed", "failed requests not injected by v2 (anyone), bad canary", "", "0"),
    ("good_apply_to_complete_s", "good canary: apply → `rollout.complete`", "s", ""),
    ("good_verdicts", "good canary: verdicts (all pass)", "", ""),
    ("good_canary_users", "users on v3 before the full promotion (of 100)", "", ""),
    ("good_requests", "requests during the good canary (to the end of the load)", "", ""),
    ("good_failed", "**failed requests, good canary (anyone)**", "", "0"),
]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out")
    p.add_argument("--invocation", default="./bench/rollout/run")
    p.add_argument("--rate", default="200")
    p.add_argument("--users", default="100")
    p.add_argument("runs", nargs="+")
    args = p.parse_args()
    results = [analyse(d) for d in sorted(args.runs, key=lambda d: int(d.rsplit("run", 1)[1]))]
    out = []
    out.append("Command: `%s` (%s requests/s from %s users, keep-alive, cohort header X-User-Id)"
               % (args.invocation, args.rate, args.users))
    out.append("")
    all_met = True
    for r in results:
        out.append("### %s" % r["run"])
        out.append("")
        out.append("| figure | value | bar |")
        out.append("|---|---:|---|")
        for key, label, unit, bar in ROWS:
            out.append("| %s | %s | %s |" % (label, fmt(r.get(key), unit), bar))
        if "verdict_message" in r:
            out.append("")
            out.append("Verdict: `%s`" % r["verdict_message"])
        for name, met in bars(r):
            all_met &= met
            if not met:
                out.append("")
                out.append("**Bar missed: %s.**" % name)
        for p_ in r["problems"]:
            out.append("")
            out.append("Problem: %s" % p_)
        samples = r.get("bad_failure_samples", []) + r.get("good_failure_samples", [])
        if samples:
            out.append("")
            out.append("Failed answers (first few; t_send t_recv user status version kind): ")
            for a in samples:
                out.append("    %.3f %.3f %s %d %s %s" % a)
        out.append("")
    if len(results) > 1:
        out.append("### Summary over %d runs" % len(results))
        out.append("")
        out.append("| figure | median | min–max | bar | runs meeting it |")
        out.append("|---|---:|---:|---|---:|")
        for key, label, unit, bar in ROWS:
            vals = [r[key] for r in results if r.get(key) is not None]
            if not vals:
                continue
            med = statistics.median(vals)
            if isinstance(vals[0], int) and med == int(med):
                med = int(med)
            met = ""
            if bar == "0":
                met = "%d/%d" % (sum(1 for v in vals if v == 0), len(results))
            elif bar.startswith("<"):
                met = "%d/%d" % (sum(1 for v in vals if v < BAR_ZERO_MS), len(results))
            out.append("| %s | %s | %s–%s | %s | %s |" % (
                label, fmt(med, unit), fmt(min(vals), unit).replace(" " + unit, "") if unit
                else fmt(min(vals)), fmt(max(vals), unit), bar, met))
        out.append("")
    out.append("All bars met." if all_met else "**A bar was missed** (see above).")
    text = "\n".join(out) + "\n"
    sys.stdout.write(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    return 0 if all_met else 1


if __name__ == "__main__":
    sys.exit(main())
