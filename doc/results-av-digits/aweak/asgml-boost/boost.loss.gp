# boost.loss.gp - written by asgml-report; draws boost.loss.png from boost.loss.dat:
#   gnuplot boost.loss.gp
if (!exists("datafile")) datafile = 'boost.loss.dat'
if (!exists("outfile")) outfile = 'boost.loss.png'
if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
    set terminal pngcairo size 1000,680 noenhanced font ",11"
} else {
    set terminal png size 1000,680 noenhanced
}
set output outfile
set title 'ASGML boost probe loss per epoch (boost.loss)' . "\nline: mean over the seeds of a group; band: mean +/- sample std"
set xlabel 'epoch'
set ylabel 'probe loss'
set key below left Left reverse maxcols 1 box
set grid
set xtics 1
set style fill transparent solid 0.18 noborder
plot \
    datafile index 0 using 1:3:4 with filledcurves lc 1 notitle, \
    datafile index 0 using 1:2 with linespoints lc 1 dt 1 pt 6 lw 2 title 'asgml-boost alpha=0.25: audio', \
    datafile index 1 using 1:3:4 with filledcurves lc 2 notitle, \
    datafile index 1 using 1:2 with linespoints lc 2 dt 1 pt 6 lw 2 title 'asgml-boost alpha=0.5: audio', \
    datafile index 2 using 1:3:4 with filledcurves lc 3 notitle, \
    datafile index 2 using 1:2 with linespoints lc 3 dt 1 pt 6 lw 2 title 'asgml-boost alpha=1: audio', \
    datafile index 3 using 1:3:4 with filledcurves lc 1 notitle, \
    datafile index 3 using 1:2 with linespoints lc 1 dt 2 pt 7 lw 2 title 'asgml-boost alpha=0.25: visual', \
    datafile index 4 using 1:3:4 with filledcurves lc 2 notitle, \
    datafile index 4 using 1:2 with linespoints lc 2 dt 2 pt 7 lw 2 title 'asgml-boost alpha=0.5: visual', \
    datafile index 5 using 1:3:4 with filledcurves lc 3 notitle, \
    datafile index 5 using 1:2 with linespoints lc 3 dt 2 pt 7 lw 2 title 'asgml-boost alpha=1: visual'
