# SPDX-License-Identifier: GPL-2.0-or-later
# plot.gp -- the benchmark's figures from summarize.py's data: medians per scenario, latency CDFs.
# Usage: gnuplot -e "results='DIR'; runtimes='slxrun crun runc'; scenarios='run lifecycle'" plot.gp

set terminal pngcairo size 900,540 noenhanced font ",11"
set grid ytics
set key top left

# Medians: one cluster per scenario, one bar per runtime that has a median (medians.series).
present = system('cat '.results.'/medians.series')
set output results.'/medians.png'
set title 'Cold start: median wall time per command'
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
