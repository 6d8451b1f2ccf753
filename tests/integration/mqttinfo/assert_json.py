#!/usr/bin/env python3
"""Asserts fields of a JSON document (the mqttinfo result).

usage: assert_json.py FILE PATH=EXPECTED...
  PATH      dotted keys, e.g. v311.qos1, product.name, findings.0.id
            (a key containing dots cannot be addressed; none of ours does)
  EXPECTED  a JSON literal (true, false, null, 3, "text"), or
            ~REGEX  the value, as text, must match REGEX (re.search), or
            <N      a number below N, or
            #N      a list of length N
FILE may be '-' for stdin; with several JSON lines, the last one is used.
Exits 1 and lists every mismatch.
"""
import json
import re
import sys


def get(doc, path):
    cur = doc
    for part in path.split("."):
        if isinstance(cur, list):
            cur = cur[int(part)]
        elif isinstance(cur, dict):
            if part not in cur:
                raise KeyError(path)
            cur = cur[part]
        else:
            raise KeyError(path)
    return cur


def main():
    src = sys.stdin if sys.argv[1] == "-" else open(sys.argv[1], encoding="utf-8")
    lines = [l for l in src.read().splitlines() if l.strip()]
    text = lines[-1] if lines and lines[-1].lstrip().startswith("{") and len(lines) > 1 and all(
        l.lstrip().startswith("{") for l in lines) else "\n".join(lines)
    try:
        doc = json.loads(text)
    except ValueError:
        print(f"  FAIL not a JSON document: {text[:200]!r}")
        sys.exit(1)
    bad = 0
    for spec in sys.argv[2:]:
        path, _, expected = spec.partition("=")
        try:
            value = get(doc, path)
        except (KeyError, IndexError, ValueError):
            print(f"  FAIL {path}: missing")
            bad += 1
            continue
        if expected.startswith("~"):
            ok = re.search(expected[1:], json.dumps(value) if not isinstance(value, str) else value) is not None
        elif expected.startswith("<"):
            ok = isinstance(value, (int, float)) and value < float(expected[1:])
        elif expected.startswith("#"):
            ok = isinstance(value, list) and len(value) == int(expected[1:])
        else:
            ok = value == json.loads(expected) and type(value) is type(json.loads(expected))
        if not ok:
            print(f"  FAIL {path}: got {json.dumps(value)}, expected {expected}")
            bad += 1
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
