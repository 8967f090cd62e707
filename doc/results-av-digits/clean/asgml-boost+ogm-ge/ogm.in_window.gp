# ogm.in_window.gp - written by asgml-report; draws ogm.in_window.png from ogm.in_window.dat:
#   gnuplot ogm.in_window.gp
if (!exists("datafile")) datafile = 'ogm.in_window.dat'
if (!exists("outfile")) outfile = 'ogm.in_window.png'
if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
    set terminal pngcairo size 1000,580 noenhanced font ",11"
} else {
    set terminal png size 1000,580 noenhanced
}
set output outfile
set title 'OGM-GE in_window per epoch (ogm.in_window)' . "\nline: mean over the seeds of a group; band: mean +/- sample std"
set xlabel 'epoch'
set ylabel 'in_window'
set key below left Left reverse maxcols 1 box
set grid
set xtics 1
set style fill transparent solid 0.18 noborder
plot \
    datafile index 0 using 1:3:4 with filledcurves lc 1 notitle, \
    datafile index 0 using 1:2 with linespoints lc 1 dt 1 pt 6 lw 2 title 'asgml-boost+ogm-ge: all'
