#!/usr/bin/env python3
"""Checks Coop JSON-lines events against expectations, field by field.

usage: check_events.py EVENTS.jsonl EXPECT.json

EXPECT.json is a list of objects {"type": T, "fields": {...}, "envelope": {...},
"count": N}. For each, the events of type T whose fields and envelope keys
all equal the given values are counted ("*" matches any present value, null
requires the field to be absent); the check passes when there are exactly N
(default: at least 1). On failure the closest event of that type is printed
with the fields that differ. Exit status 0 when every expectation holds.
"""
import json
import sys


def matches(value, want):
    if want == "*":
        return value is not None
    return value == want


def differences(ev, exp):
    diff = []
    fields = ev.get("fields", {})
    for k, want in exp.get("fields", {}).items():
        if not matches(fields.get(k), want):
            diff.append(f"fields.{k}: want {want!r}, got {fields.get(k)!r}")
    for k, want in exp.get("envelope", {}).items():
        if not matches(ev.get(k), want):
            diff.append(f"{k}: want {want!r}, got {ev.get(k)!r}")
    return diff


def main():
    events = []
    with open(sys.argv[1], encoding="utf-8") as f:
        for no, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                events.append(json.loads(line))
            except ValueError as e:
                print(f"{sys.argv[1]}:{no}: not JSON: {e}")
                return 1
    with open(sys.argv[2], encoding="utf-8") as f:
        expectations = json.load(f)
    ok = True
    for exp in expectations:
        same_type = [e for e in events if e.get("type") == exp["type"]]
        hits = [e for e in same_type if not differences(e, exp)]
        want = exp.get("count")
        good = len(hits) == want if want is not None else len(hits) >= 1
        label = json.dumps({k: exp[k] for k in ("type", "fields", "envelope") if k in exp})
        if good:
            print(f"ok   {len(hits)} x {label}")
            continue
        ok = False
        print(f"FAIL {len(hits)} (want {want if want is not None else '>= 1'}) x {label}")
        if same_type and not hits:
            best = min(same_type, key=lambda e: len(differences(e, exp)))
            for d in differences(best, exp):
                print(f"       closest event differs: {d}")
    print(f"{len(events)} events read from {sys.argv[1]}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
