# accuracy-per-modality.gp - written by asgml-report; draws accuracy-per-modality.png from accuracy-per-modality.dat:
#   gnuplot accuracy-per-modality.gp
if (!exists("datafile")) datafile = 'accuracy-per-modality.dat'
if (!exists("outfile")) outfile = 'accuracy-per-modality.png'
if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
    set terminal pngcairo size 1000,880 noenhanced font ",11"
} else {
    set terminal png size 1000,880 noenhanced
}
set output outfile
set title 'Accuracy of each modality''s branch per epoch' . "\nline: mean over the seeds of a group; band: mean +/- sample std"
set xlabel 'epoch'
set ylabel 'accuracy'
set key below left Left reverse maxcols 1 box
set grid
set xtics 1
set style fill transparent solid 0.18 noborder
plot \
    datafile index 0 using 1:3:4 with filledcurves lc 1 notitle, \
    datafile index 0 using 1:2 with linespoints lc 1 dt 1 pt 6 lw 2 title 'asgml-boost alpha=0.25: test audio', \
    datafile index 1 using 1:3:4 with filledcurves lc 2 notitle, \
    datafile index 1 using 1:2 with linespoints lc 2 dt 1 pt 6 lw 2 title 'asgml-boost alpha=0.5: test audio', \
    datafile index 2 using 1:3:4 with filledcurves lc 3 notitle, \
    datafile index 2 using 1:2 with linespoints lc 3 dt 1 pt 6 lw 2 title 'asgml-boost alpha=1: test audio', \
    datafile index 3 using 1:3:4 with filledcurves lc 4 notitle, \
    datafile index 3 using 1:2 with linespoints lc 4 dt 1 pt 6 lw 2 title 'baseline: test audio', \
    datafile index 4 using 1:3:4 with filledcurves lc 1 notitle, \
    datafile index 4 using 1:2 with linespoints lc 1 dt 2 pt 7 lw 2 title 'asgml-boost alpha=0.25: test visual', \
    datafile index 5 using 1:3:4 with filledcurves lc 2 notitle, \
    datafile index 5 using 1:2 with linespoints lc 2 dt 2 pt 7 lw 2 title 'asgml-boost alpha=0.5: test visual', \
    datafile index 6 using 1:3:4 with filledcurves lc 3 notitle, \
    datafile index 6 using 1:2 with linespoints lc 3 dt 2 pt 7 lw 2 title 'asgml-boost alpha=1: test visual', \
    datafile index 7 using 1:3:4 with filledcurves lc 4 notitle, \
    datafile index 7 using 1:2 with linespoints lc 4 dt 2 pt 7 lw 2 title 'baseline: test visual', \
    datafile index 8 using 1:3:4 with filledcurves lc 1 notitle, \
    datafile index 8 using 1:2 with linespoints lc 1 dt 3 pt 8 lw 2 title 'asgml-boost alpha=0.25: val audio', \
    datafile index 9 using 1:3:4 with filledcurves lc 2 notitle, \
    datafile index 9 using 1:2 with linespoints lc 2 dt 3 pt 8 lw 2 title 'asgml-boost alpha=0.5: val audio', \
    datafile index 10 using 1:3:4 with filledcurves lc 3 notitle, \
    datafile index 10 using 1:2 with linespoints lc 3 dt 3 pt 8 lw 2 title 'asgml-boost alpha=1: val audio', \
    datafile index 11 using 1:3:4 with filledcurves lc 4 notitle, \
    datafile index 11 using 1:2 with linespoints lc 4 dt 3 pt 8 lw 2 title 'baseline: val audio', \
    datafile index 12 using 1:3:4 with filledcurves lc 1 notitle, \
    datafile index 12 using 1:2 with linespoints lc 1 dt 4 pt 9 lw 2 title 'asgml-boost alpha=0.25: val visual', \
    datafile index 13 using 1:3:4 with filledcurves lc 2 notitle, \
    datafile index 13 using 1:2 with linespoints lc 2 dt 4 pt 9 lw 2 title 'asgml-boost alpha=0.5: val visual', \
    datafile index 14 using 1:3:4 with filledcurves lc 3 notitle, \
    datafile index 14 using 1:2 with linespoints lc 3 dt 4 pt 9 lw 2 title 'asgml-boost alpha=1: val visual', \
    datafile index 15 using 1:3:4 with filledcurves lc 4 notitle, \
    datafile index 15 using 1:2 with linespoints lc 4 dt 4 pt 9 lw 2 title 'baseline: val visual'
