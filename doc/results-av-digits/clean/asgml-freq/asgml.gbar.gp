# asgml.gbar.gp - written by asgml-report; draws asgml.gbar.png from asgml.gbar.dat:
#   gnuplot asgml.gbar.gp
if (!exists("datafile")) datafile = 'asgml.gbar.dat'
if (!exists("outfile")) outfile = 'asgml.gbar.png'
if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
    set terminal pngcairo size 1000,600 noenhanced font ",11"
} else {
    set terminal png size 1000,600 noenhanced
}
set output outfile
set title 'ASGML gbar per epoch (asgml.gbar)' . "\nline: mean over the seeds of a group; band: mean +/- sample std"
set xlabel 'epoch'
set ylabel 'gbar'
set key below left Left reverse maxcols 1 box
set grid
set xtics 1
set style fill transparent solid 0.18 noborder
plot \
    datafile index 0 using 1:3:4 with filledcurves lc 1 notitle, \
    datafile index 0 using 1:2 with linespoints lc 1 dt 1 pt 6 lw 2 title 'asgml-freq: audio', \
    datafile index 1 using 1:3:4 with filledcurves lc 1 notitle, \
    datafile index 1 using 1:2 with linespoints lc 1 dt 2 pt 7 lw 2 title 'asgml-freq: visual'
