#!/usr/bin/env python3
"""Reads a Buildbot master's database for tests/fleet/e2e.sh (Debian has no buildbot-www, so
no REST API): `bbdb.py DB BUILDER OUT` prints the result of BUILDER's last build (0 success,
2 failure, ...) and its number, and writes every log of that build to OUT."""
import sqlite3
import sys

db = sqlite3.connect(sys.argv[1])
row = db.execute(
    "SELECT b.id, b.number, b.results FROM builds b JOIN builders r ON b.builderid = r.id"
    " WHERE r.name = ? ORDER BY b.id DESC LIMIT 1", (sys.argv[2],)).fetchone()
if row is None:
    print("none -1")
    sys.exit(0)
build_id, number, results = row
with open(sys.argv[3], "w") as out:
    for step, log, logid in db.execute(
            "SELECT s.name, l.name, l.id FROM logs l JOIN steps s ON l.stepid = s.id"
            " WHERE s.buildid = ? ORDER BY s.number, l.id", (build_id,)):
        out.write(f"=== {step}/{log}\n")
        for (content,) in db.execute(
                "SELECT content FROM logchunks WHERE logid = ? ORDER BY first_line", (logid,)):
            out.write(content.decode() if isinstance(content, bytes) else content)
            out.write("\n")
print(results, number)
