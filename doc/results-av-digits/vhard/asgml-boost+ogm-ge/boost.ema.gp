# boost.ema.gp - written by asgml-report; draws boost.ema.png from boost.ema.dat:
#   gnuplot boost.ema.gp
if (!exists("datafile")) datafile = 'boost.ema.dat'
if (!exists("outfile")) outfile = 'boost.ema.png'
if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
    set terminal pngcairo size 1000,600 noenhanced font ",11"
} else {
    set terminal png size 1000,600 noenhanced
}
set output outfile
set title 'ASGML boost probe accuracy (EMA) per epoch (boost.ema)' . "\nline: mean over the seeds of a group; band: mean +/- sample std"
set xlabel 'epoch'
set ylabel 'probe accuracy (EMA)'
set key below left Left reverse maxcols 1 box
set grid
set xtics 1
set style fill transparent solid 0.18 noborder
plot \
    datafile index 0 using 1:3:4 with filledcurves lc 1 notitle, \
    datafile index 0 using 1:2 with linespoints lc 1 dt 1 pt 6 lw 2 title 'asgml-boost+ogm-ge: audio', \
    datafile index 1 using 1:3:4 with filledcurves lc 1 notitle, \
    datafile index 1 using 1:2 with linespoints lc 1 dt 2 pt 7 lw 2 title 'asgml-boost+ogm-ge: visual'
