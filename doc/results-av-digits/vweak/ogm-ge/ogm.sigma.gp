# ogm.sigma.gp - written by asgml-report; draws ogm.sigma.png from ogm.sigma.dat:
#   gnuplot ogm.sigma.gp
if (!exists("datafile")) datafile = 'ogm.sigma.dat'
if (!exists("outfile")) outfile = 'ogm.sigma.png'
if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
    set terminal pngcairo size 1000,720 noenhanced font ",11"
} else {
    set terminal png size 1000,720 noenhanced
}
set output outfile
set title 'OGM-GE sigma per epoch (ogm.sigma)' . "\nline: mean over the seeds of a group; band: mean +/- sample std"
set xlabel 'epoch'
set ylabel 'sigma'
set key below left Left reverse maxcols 1 box
set grid
set xtics 1
set style fill transparent solid 0.18 noborder
plot \
    datafile index 0 using 1:3:4 with filledcurves lc 2 notitle, \
    datafile index 0 using 1:2 with linespoints lc 2 dt 1 pt 6 lw 2 title 'ogm-ge alpha=0.1 end=3 start=0 variant=official: audio', \
    datafile index 1 using 1:3:4 with filledcurves lc 3 notitle, \
    datafile index 1 using 1:2 with linespoints lc 3 dt 1 pt 6 lw 2 title 'ogm-ge alpha=0.3 end=3 start=0 variant=official: audio', \
    datafile index 2 using 1:3:4 with filledcurves lc 4 notitle, \
    datafile index 2 using 1:2 with linespoints lc 4 dt 1 pt 6 lw 2 title 'ogm-ge alpha=0.3 end=5 start=2 variant=bmm: audio', \
    datafile index 3 using 1:3:4 with filledcurves lc 5 notitle, \
    datafile index 3 using 1:2 with linespoints lc 5 dt 1 pt 6 lw 2 title 'ogm-ge alpha=0.8 end=3 start=0 variant=official: audio', \
    datafile index 4 using 1:3:4 with filledcurves lc 2 notitle, \
    datafile index 4 using 1:2 with linespoints lc 2 dt 2 pt 7 lw 2 title 'ogm-ge alpha=0.1 end=3 start=0 variant=official: visual', \
    datafile index 5 using 1:3:4 with filledcurves lc 3 notitle, \
    datafile index 5 using 1:2 with linespoints lc 3 dt 2 pt 7 lw 2 title 'ogm-ge alpha=0.3 end=3 start=0 variant=official: visual', \
    datafile index 6 using 1:3:4 with filledcurves lc 4 notitle, \
    datafile index 6 using 1:2 with linespoints lc 4 dt 2 pt 7 lw 2 title 'ogm-ge alpha=0.3 end=5 start=2 variant=bmm: visual', \
    datafile index 7 using 1:3:4 with filledcurves lc 5 notitle, \
    datafile index 7 using 1:2 with linespoints lc 5 dt 2 pt 7 lw 2 title 'ogm-ge alpha=0.8 end=3 start=0 variant=official: visual'
