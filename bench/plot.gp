# plot.gp - relay capacity and latency from bench/capacity.py's data files (DIR/RELAY.dat:
# calls loss_pct lost_or_late_pct p50_us p99_us relay_cpu_pct).
# Redraw (what bench/run.sh does):
#   gnuplot -e "dir='build/bench'; out='docs/img/relay-capacity.png'; relays='direct minfwd rtpengine dpfwd'; xmax=1200" bench/plot.gp
if (!exists("dir")) dir = 'build/bench'
if (!exists("out")) out = 'docs/img/relay-capacity.png'
if (!exists("relays")) relays = 'direct minfwd rtpengine dpfwd'
if (!exists("xmax")) xmax = 2000
set terminal pngcairo size 1100,860 font "DejaVu Sans,11"
set linetype 5 lc rgb "#8a6d00"
set output out
set multiplot layout 2,1 title "RTP relays on one core (generator on the other): G.711 calls, 100 packets/s each"
set key outside right top
set grid
set xlabel "offered calls"
set ylabel "lost or >50 ms late (%)"
set xrange [0:xmax]
set yrange [0:5]
set arrow 1 from graph 0, first 0.1 to graph 1, first 0.1 nohead dt 2 lc rgb "red"
set label 1 "0.1 %" at graph 0.01, first 0.3 tc rgb "red"
plot for [r in relays] dir.'/'.r.'.dat' using 1:3 with linespoints pt 7 title r
unset arrow 1
unset label 1
set logscale y
set yrange [1:*]
set ylabel "p99 one-way latency (us, log)"
plot for [r in relays] dir.'/'.r.'.dat' using 1:5 with linespoints pt 7 title r
unset multiplot
