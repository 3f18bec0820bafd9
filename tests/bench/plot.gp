# SPDX-License-Identifier: GPL-2.0-or-later
# plot.gp -- the benchmark's figures from summarize.py's data: medians per scenario, burst rate,
# latency CDFs (cold scenarios per runtime, warm invocations per mode), memory per warm sandbox.
# Usage: gnuplot -e "results='DIR'; runtimes='slxrun crun runc'; scenarios='run lifecycle'" plot.gp

set terminal pngcairo size 900,540 noenhanced font ",11"
set grid ytics
set key top left

# Medians: one cluster per scenario, one bar per runtime that has a median (medians.series).
present = system('cat '.results.'/medians.series')
set output results.'/medians.png'
set title 'Cold start: median wall time per command (burst: see burst.png)'
set ylabel 'milliseconds'
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set yrange [0:*]
set key autotitle columnheader
plot for [r in present] results.'/medians.dat' using r:xtic(1) title r

# Distributions: the empirical CDF of every run's time, one figure per scenario.
unset style
set key noautotitle
set style data lines
set xrange [0:*]
set yrange [0:1]
set ylabel 'fraction of runs'
set xlabel 'milliseconds'
set key bottom right
do for [s in scenarios] {
	series = system('cat '.results.'/'.s.'.series')
	if (words(series) > 0) {
		set output results.'/latency-'.s.'.png'
		set title 'Latency distribution (CDF): '.s
		plot for [r in series] results.'/'.s.'-'.r.'.times' using 1:2 with steps lw 2 title r
	}
}

# Burst: sandboxes started per second, one bar per runtime.
if (system('wc -l < '.results.'/burst.dat') + 0 > 0) {
	set output results.'/burst.png'
	set title 'Burst: cold starts per second (all started at once)'
	set xlabel ''
	set ylabel 'sandboxes per second'
	set xrange [*:*]
	set yrange [0:*]
	set style data histogram
	set style histogram clustered gap 1
	set style fill solid 0.8 border -1
	unset key
	set key top right
	plot results.'/burst.dat' using 2:xtic(1) notitle, 200 with lines dt 2 lw 2 title 'slxrun target'
	unset style
}

# Warm invocations: the CDF of every request's latency, one figure per mode, log time axis.
set style data lines
set key bottom right
set ylabel 'fraction of requests'
set xlabel 'milliseconds (log scale)'
set yrange [0:1]
set xrange [*:*]
set logscale x
warm = system('cat '.results.'/warm.series')
do for [w in warm] {
	set output results.'/latency-warm-'.w.'.png'
	set title 'Warm invocation latency (CDF): '.w
	plot results.'/warm-'.w.'.times' using 1:2 with steps lw 2 title w
}
unset logscale x

# Memory per idle warm sandbox: the three estimates, idle and frozen, target 1 MiB.
if (system('wc -l < '.results.'/memory.dat') + 0 > 1) {
	set output results.'/memory.png'
	set title 'Memory per idle warm sandbox (target: 1 MiB)'
	set xlabel ''
	set ylabel 'MiB per sandbox'
	set xrange [*:*]
	set yrange [0:*]
	set style data histogram
	set style histogram clustered gap 1
	set style fill solid 0.8 border -1
	set key top right autotitle columnheader
	plot results.'/memory.dat' using 2:xtic(1), '' using 3, '' using 4, \
		1 with lines dt 2 lw 2 title 'target'
}
