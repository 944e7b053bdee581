#!/usr/bin/env bash
# Runs the whole test suite RUNS times in a row (default 3) with BURNERS CPU-burning processes beside it
# (default 2), to show the tests hold on a busy machine (issue 15). Prints one line per run and the load.
set -uo pipefail
cd "$(dirname "$0")/.."
runs="${RUNS:-3}"; burners="${BURNERS:-2}"
pids=()
for _ in $(seq "$burners"); do node -e 'for (;;) {}' & pids+=($!); done
trap 'kill "${pids[@]}" 2>/dev/null' EXIT
work="$(mktemp -d)"
failed_runs=0
for i in $(seq "$runs"); do
  start=$(date +%s)
  npx vitest run --reporter=dot --reporter=json --outputFile.json="$work/run$i.json" >"$work/run$i.log" 2>&1
  code=$?
  node -e '
    const r = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
    const fails = r.testResults.flatMap((f) => f.assertionResults.filter((a) => a.status === "failed").map((a) => `  ${f.name.replace(process.cwd() + "/", "")}: ${a.fullName}`));
    console.log(`run ${process.argv[2]}: ${r.numPassedTests} passed, ${r.numFailedTests} failed in ${process.argv[3]} s (exit ${process.argv[4]}, load ${require("node:os").loadavg()[0].toFixed(1)})`);
    for (const f of fails) console.log(f);
  ' "$work/run$i.json" "$i" "$(( $(date +%s) - start ))" "$code" || echo "run $i: no JSON report (exit $code), log in $work/run$i.log"
  [ "$code" = 0 ] || failed_runs=$((failed_runs + 1))
done
echo "$runs runs with $burners CPU burners: $failed_runs red"
[ "$failed_runs" = 0 ]
