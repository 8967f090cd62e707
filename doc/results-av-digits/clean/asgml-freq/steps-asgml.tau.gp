# steps-asgml.tau.gp - written by asgml-report; draws steps-asgml.tau.png from steps-asgml.tau.dat:
#   gnuplot steps-asgml.tau.gp
if (!exists("datafile")) datafile = 'steps-asgml.tau.dat'
if (!exists("outfile")) outfile = 'steps-asgml.tau.png'
if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
    set terminal pngcairo size 1000,600 noenhanced font ",11"
} else {
    set terminal png size 1000,600 noenhanced
}
set output outfile
set title 'ASGML update threshold tau per step (steps-asgml.tau)' . "\nline: mean over the seeds of a group; band: mean +/- sample std"
set xlabel 'step'
set ylabel 'update threshold tau'
set key below left Left reverse maxcols 1 box
set grid
set style fill transparent solid 0.18 noborder
plot \
    datafile index 0 using 1:3:4 with filledcurves lc 1 notitle, \
    datafile index 0 using 1:2 with steps lc 1 dt 1 lw 2 title 'asgml-freq: audio', \
    datafile index 1 using 1:3:4 with filledcurves lc 1 notitle, \
    datafile index 1 using 1:2 with steps lc 1 dt 2 lw 2 title 'asgml-freq: visual'
