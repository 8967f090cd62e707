# ogm.in_window.gp - written by asgml-report; draws ogm.in_window.png from ogm.in_window.dat:
#   gnuplot ogm.in_window.gp
if (!exists("datafile")) datafile = 'ogm.in_window.dat'
if (!exists("outfile")) outfile = 'ogm.in_window.png'
if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
    set terminal pngcairo size 1000,640 noenhanced font ",11"
} else {
    set terminal png size 1000,640 noenhanced
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
    datafile index 0 using 1:3:4 with filledcurves lc 2 notitle, \
    datafile index 0 using 1:2 with linespoints lc 2 dt 1 pt 6 lw 2 title 'ogm-ge alpha=0.1 end=3 start=0 variant=official: all', \
    datafile index 1 using 1:3:4 with filledcurves lc 3 notitle, \
    datafile index 1 using 1:2 with linespoints lc 3 dt 1 pt 6 lw 2 title 'ogm-ge alpha=0.3 end=3 start=0 variant=official: all', \
    datafile index 2 using 1:3:4 with filledcurves lc 4 notitle, \
    datafile index 2 using 1:2 with linespoints lc 4 dt 1 pt 6 lw 2 title 'ogm-ge alpha=0.3 end=5 start=2 variant=bmm: all', \
    datafile index 3 using 1:3:4 with filledcurves lc 5 notitle, \
    datafile index 3 using 1:2 with linespoints lc 5 dt 1 pt 6 lw 2 title 'ogm-ge alpha=0.8 end=3 start=0 variant=official: all'
