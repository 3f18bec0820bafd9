#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# replay.sh -- the policy comparison: replay the synthetic trace and the
# hand-written fixture through every policy, write CSVs and the plots.
# Usage: tests/bench/replay.sh [OUTDIR]
#   env: SEED=1 APPS=200 DAYS=2 COLD_MS=5, NODES=4 NODES_MEM=16G,32G,
#   HELDOUT="2 3 4": the seeds delta's
#   constants were tuned on, replayed (without plots) so a result on SEED
#   is seen next to the traces it was fitted to; OTHER="1 2 3": seeds of
#   tests/traces/gen-other, a generator delta was never tuned on;
#   OTHER_NODE=16G,24G,...: replay those seeds on nodes of these sizes too
#   (minutes each; off unless set); WITHIN=random: each call at a random
#   instant of its minute, timers' evenly spaced (shim replay
#   --within-minute; even by default).
set -eu
cd "$(dirname "$0")/../.."
out=${1:-build/bench-replay}
seed=${SEED:-1} apps=${APPS:-200} days=${DAYS:-2} cold=${COLD_MS:-5} sweep=
heldout=${HELDOUT-2 3 4} within=${WITHIN:-even}
fixture=tests/traces/fixture
mkdir -p "$out"

[ -x ./slxrun ] || make slxrun
replay() { ./slxrun shim replay --within-minute "$within" "$@"; }

# run NAME DIR [PLOT]: every day file of DIR, its durations and memory files.
run() {
	name=$1 dir=$2 plot=${3:-}
	set --
	for f in "$dir"/invocations_per_function_md.anon.d*.csv; do set -- "$@" "$f"; done
	for f in "$dir"/function_durations_percentiles.anon.d*.csv; do set -- "$@" --durations "$f"; done
	for f in "$dir"/app_memory_percentiles.anon.d*.csv; do set -- "$@" --memory "$f"; done
	replay "$@" --cold-ms "$cold" --policy fixed:600 --policy knative \
		--policy histogram --policy delta --format csv ${plot:+--plot "$plot"} \
		${sweep:+--sweep} >"$out/$name.csv"
	echo "== $name ($out/$name.csv${plot:+, $plot})"
	cat "$out/$name.csv"
}

# The synthetic trace with both curves swept (fixed:S, delta:W): the CSV's
# "frontier" rows compare each point with the other policy at equal idle
# memory-time.
tests/traces/gen -s "$seed" -a "$apps" -d "$days" "$out/synthetic"
sweep=1
run synthetic "$out/synthetic" "$out/synthetic.png"
sweep=
run fixture "$fixture" "$out/fixture.png"
names="synthetic fixture"
for s in $heldout; do
	[ "$s" = "$seed" ] && continue
	tests/traces/gen -s "$s" -a "$apps" -d "$days" "$out/synthetic-s$s"
	run "synthetic-s$s" "$out/synthetic-s$s"
	names="$names synthetic-s$s"
done

# Held out by construction: traces of another generator (gen-other:
# renewal, Markov-modulated, cron-like and drifting arrivals, 300
# functions over 2 days), never used to tune delta.  OTHER="" skips them.
others=
for s in ${OTHER-1 2 3}; do
	tests/traces/gen-other -s "$s" "$out/other-s$s"
	sweep=1
	run "other-s$s" "$out/other-s$s"
	sweep=
	others="$others other-s$s"
	[ -n "${OTHER_NODE:-}" ] || continue
	set --
	for f in "$out/other-s$s"/invocations_per_function_md.anon.d*.csv; do set -- "$@" "$f"; done
	for f in "$out/other-s$s"/function_durations_percentiles.anon.d*.csv; do set -- "$@" --durations "$f"; done
	for f in "$out/other-s$s"/app_memory_percentiles.anon.d*.csv; do set -- "$@" --memory "$f"; done
	replay "$@" --cold-ms "$cold" --node-memory "$OTHER_NODE" --policy lru --policy gdsf \
		--policy fixed:600 --policy delta --format csv >"$out/other-s$s-node.csv"
	echo "== other-s$s on nodes ($out/other-s$s-node.csv)"
	awk -F, '$1 == "gdsf" { g[$13] = $3 } $1 == "delta" { d[$13] = $3 } $1 == "lru" { l[$13] = $3 }
END { for (c in g) printf "node %s GB: delta %d, gdsf %d (delta / gdsf %.2f), lru %d\n", c, d[c], g[c], d[c] / g[c], l[c] }' "$out/other-s$s-node.csv"
done
names="$names$others"

# Under a capacity: seed SEED at NODE_APPS apps over one day on one node of
# each NODE_MEM size (the node must hold the busy working set, so the sizes
# follow the app count), cold-start % against capacity per policy.
node_apps=${NODE_APPS:-60} node_mem=${NODE_MEM:-8G,9G,10G,12G,16G,32G}
tests/traces/gen -s "$seed" -a "$node_apps" -d 1 "$out/node"
replay "$out"/node/invocations_per_function_md.anon.d01.csv \
	--durations "$out"/node/function_durations_percentiles.anon.d01.csv \
	--memory "$out"/node/app_memory_percentiles.anon.d01.csv \
	--node-memory "$node_mem" --cold-ms "$cold" --format csv --plot "$out/node.png" \
	--sweep >"$out/node.csv"
echo "== node ($out/node.csv, $out/node.png)"
cat "$out/node.csv"
awk -F, '$1 == "frontier" && $7 != "" && ($3 == "delta" || $3 ~ /^fixed:/ || $3 == "gdsf" || $3 == "lru") { printf "node %s GB: %s at %s GB*s: delta / other = %s\n", $2, $3, $4, $8 }' "$out/node.csv"
awk -F, '$1 == "gdsf" { g[$13] = $3 } $1 == "delta" { d[$13] = $3 } $1 == "lru" { l[$13] = $3 }
END { for (c in g) printf "node %s GB: delta %d cold starts, gdsf %d (%s), lru %d (gdsf %s)\n", c, d[c], g[c], d[c] <= g[c] ? "no more" : "MORE", l[c], g[c] <= l[c] ? "no more" : "MORE" }' "$out/node.csv"
awk -F, '$1 == "gdsf" { g[$13] = $3 - $16; gh[$13] = $16 } $1 == "delta" { d[$13] = $3 - $16; dh[$13] = $16 }
END { for (c in g) printf "node %s GB, without the calls held for memory: delta %d, gdsf %d (held: %d, %d)\n", c, d[c], g[c], dh[c], gh[c] }' "$out/node.csv"

# FaasCache's own frequency (gdsf:faascache: the uses of the function's
# live containers) next to ours, on the same node.
replay "$out"/node/invocations_per_function_md.anon.d01.csv \
	--durations "$out"/node/function_durations_percentiles.anon.d01.csv \
	--memory "$out"/node/app_memory_percentiles.anon.d01.csv \
	--node-memory "$node_mem" --cold-ms "$cold" --format csv \
	--policy lru --policy gdsf --policy gdsf:faascache >"$out/node-gdsf.csv"
echo "== node, FaasCache's frequency ($out/node-gdsf.csv)"
awk -F, '$1 == "lru" { l[$13] = $3 } $1 == "gdsf" { g[$13] = $3 } $1 == "gdsf:faascache" { f[$13] = $3 }
END { for (c in l) printf "node %s GB: lru %d, gdsf %d, gdsf:faascache %d\n", c, l[c], g[c], f[c] }' "$out/node-gdsf.csv"

# K nodes splitting the same capacities, one placement at a time: cold
# starts and the busiest node's share of invocations over the mean's.
for pl in hash least warm; do
	replay "$out"/node/invocations_per_function_md.anon.d01.csv \
		--durations "$out"/node/function_durations_percentiles.anon.d01.csv \
		--memory "$out"/node/app_memory_percentiles.anon.d01.csv \
		--node-memory "${NODES_MEM:-16G,32G}" --nodes "${NODES:-4}" --placement "$pl" \
		--policy lru --policy gdsf --policy delta --cold-ms "$cold" --format csv \
		>"$out/nodes-$pl.csv"
	echo "== ${NODES:-4} nodes, placement $pl ($out/nodes-$pl.csv)"
	cat "$out/nodes-$pl.csv"
done

for name in synthetic $others; do
	awk -F, -v name="$name" '$1 == "frontier" && $2 == 0 && $7 != "" { printf "frontier %s: %s at %s GB*s: delta / other = %s\n", name, $3, $4, $8 }' "$out/$name.csv"
done

# The targets, printed (timings and ratios are measured, never asserted).
for name in $names; do
	awk -F, -v name="$name" '
	$1 == "fixed:600" { fc = $4; fi = $5 } $1 == "histogram" { hc = $4; hi = $5 }
	$1 == "delta" { dc = $4; di = $5 }
	END {
		printf "%s: delta cold %% / fixed:600 = %.2f (target <= 0.5), idle %.0f vs %.0f GB*s (%s); ", name, (fc > 0 ? dc / fc : 0), di, fi, di <= fi ? "no more" : "MORE"
		printf "vs histogram: cold %s, idle %s\n", dc <= hc ? "no worse" : "WORSE", di <= hi ? "no worse" : "WORSE"
	}' "$out/$name.csv"
done
