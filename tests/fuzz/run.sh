#!/bin/sh
# make fuzz: run every target for a bounded time over a copy of its corpus;
# new interesting inputs are left in .build/fuzz/corpus/<target> to review
# and commit by hand.
set -eu
bin=$1 secs=$2
top=$(cd "$(dirname "$0")/../.." && pwd)
for t in $(sed -n 's/^[[:space:]]*X(\([a-z0-9_]*\),.*/\1/p' "$top/tests/fuzz/targets.h"); do
	work=$top/.build/fuzz/corpus/$t
	mkdir -p "$work"
	cp -n "$top/tests/fuzz/corpus/$t"/* "$work/" 2>/dev/null || true
	echo "fuzz: $t for ${secs}s"
	FUZZ_TARGET=$t "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 "$work" 2>&1 | tail -n 4
done
