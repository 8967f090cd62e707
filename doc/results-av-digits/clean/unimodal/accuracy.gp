# accuracy.gp - written by asgml-report; draws accuracy.png from accuracy.dat:
#   gnuplot accuracy.gp
if (!exists("datafile")) datafile = 'accuracy.dat'
if (!exists("outfile")) outfile = 'accuracy.png'
if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
    set terminal pngcairo size 1000,740 noenhanced font ",11"
} else {
    set terminal png size 1000,740 noenhanced
}
set output outfile
set title 'Accuracy of the fused model per epoch' . "\nline: mean over the seeds of a group; band: mean +/- sample std"
set xlabel 'epoch'
set ylabel 'accuracy'
set key below left Left reverse maxcols 1 box
set grid
set xtics 1
set style fill transparent solid 0.18 noborder
plot \
    datafile index 0 using 1:3:4 with filledcurves lc 1 notitle, \
    datafile index 0 using 1:2 with linespoints lc 1 dt 1 pt 6 lw 2 title 'baseline: test', \
    datafile index 1 using 1:3:4 with filledcurves lc 2 notitle, \
    datafile index 1 using 1:2 with linespoints lc 2 dt 1 pt 6 lw 2 title 'unimodal modality=audio: test', \
    datafile index 2 using 1:3:4 with filledcurves lc 3 notitle, \
    datafile index 2 using 1:2 with linespoints lc 3 dt 1 pt 6 lw 2 title 'unimodal modality=visual: test', \
    datafile index 3 using 1:3:4 with filledcurves lc 1 notitle, \
    datafile index 3 using 1:2 with linespoints lc 1 dt 2 pt 7 lw 2 title 'baseline: train', \
    datafile index 4 using 1:3:4 with filledcurves lc 2 notitle, \
    datafile index 4 using 1:2 with linespoints lc 2 dt 2 pt 7 lw 2 title 'unimodal modality=audio: train', \
    datafile index 5 using 1:3:4 with filledcurves lc 3 notitle, \
    datafile index 5 using 1:2 with linespoints lc 3 dt 2 pt 7 lw 2 title 'unimodal modality=visual: train', \
    datafile index 6 using 1:3:4 with filledcurves lc 1 notitle, \
    datafile index 6 using 1:2 with linespoints lc 1 dt 3 pt 8 lw 2 title 'baseline: val', \
    datafile index 7 using 1:3:4 with filledcurves lc 2 notitle, \
    datafile index 7 using 1:2 with linespoints lc 2 dt 3 pt 8 lw 2 title 'unimodal modality=audio: val', \
    datafile index 8 using 1:3:4 with filledcurves lc 3 notitle, \
    datafile index 8 using 1:2 with linespoints lc 3 dt 3 pt 8 lw 2 title 'unimodal modality=visual: val'
