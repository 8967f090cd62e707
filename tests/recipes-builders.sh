#!/bin/sh
# SPDX-License-Identifier: MIT
# recipes-builders.sh - every recipe of data-recipes/ end to end on a small
# fake tree with the real layout and file names (made here from the media
# fixtures), a fake ffmpeg that writes real JPEG/WAV fixtures and a fake
# ffprobe: the manifest (splits, flags, durations), the SHA-256 check of the
# list files, and the store asgml-prep makes from it (preset, flags,
# schemes, the report).  No network, no real data.
. "$top_srcdir/tests/lib.sh"
r="$top_srcdir/data-recipes"
fx=$(cd "$top_srcdir/tests/fixtures/dsp" && pwd)
prep=$(cd "$top_builddir/tools" && pwd)/asgml-prep
t=$(tmpdir) || exit 1
trap 'rm -rf "$t"' EXIT
command -v h5dump >/dev/null 2>&1 || skip_all "h5dump not installed"
plan 47

# fake ffmpeg: "-i IN ... OUT": OUT/%05d.jpg -> two JPEG frames (none when IN
# holds "BAD": exit 1), OUT.wav -> a WAV (silent zeros when IN holds "SILENT")
mkdir "$t/bin"
head -c 44 "$fx/au_pcm16.wav" >"$t/hdr.wav"
cat >"$t/bin/ffmpeg" <<EOS
#!/bin/sh
for a; do [ "\$prev" = -i ] && in=\$a; prev=\$a; last=\$a; done
echo "\$@" >>"$t/ffmpeg.log"
grep -q BAD "\$in" && exit 1
case \$last in
*%05d.jpg) d=\$(dirname "\$last"); cp "$fx/jpg_rgb.jpg" "\$d/00001.jpg"; cp "$fx/jpg_444.jpg" "\$d/00002.jpg" ;;
*.wav) cp "$fx/au_pcm16.wav" "\$last" ;;
esac
EOS
# fake ffprobe: 29.97 fps and 0.2 s (the WAV fixture has 0.125 s), "N/A" when the
# file holds "NODUR", 60 s when "LONG"
cat >"$t/bin/ffprobe" <<EOS
#!/bin/sh
for a; do f=\$a; done
d=0.2; grep -q NODUR "\$f" && d=N/A; grep -q LONG "\$f" && d=60.0
printf 'avg_frame_rate=30000/1001\nduration=%s\n' "\$d"
EOS
chmod +x "$t/bin/ffmpeg" "$t/bin/ffprobe"
export FFMPEG="$t/bin/ffmpeg" FFPROBE="$t/bin/ffprobe" ASGML_PREP="$prep" SOURCE_DATE_EPOCH=0

# ---- CREMA-D: ogmge and dr splits, the known-bad list, SHA-256 of the lists ----
s="$t/cremad"; mkdir -p "$s/AudioWAV" "$s/VideoFlash" "$s/ogm" "$s/dr"
for id in 1001_DFA_ANG_XX 1001_IEO_HAP_LO 1002_TIE_SAD_XX 1064_IEO_DIS_MD 1064_TIE_SAD_XX 1091_WSI_NEU_XX; do
    cp "$fx/au_pcm16.wav" "$s/AudioWAV/$id.wav"; printf 'FLV' >"$s/VideoFlash/$id.flv"
done
printf 'FLV LONG' >"$s/VideoFlash/1064_IEO_DIS_MD.flv"
printf 'FLV BAD NODUR' >"$s/VideoFlash/1064_TIE_SAD_XX.flv"
printf '\357\273\2771001_DFA_ANG_XX,ANG\r\n1001_IEO_HAP_LO,HAP\r\n1064_IEO_DIS_MD,DIS\r\n1064_TIE_SAD_XX,SAD\r\n1091_WSI_NEU_XX,NEU\r\n' >"$s/ogm/train.csv"
printf '1002_TIE_SAD_XX,SAD\r\n' >"$s/ogm/test.csv"
printf '1001_DFA_ANG_XX,ANG\n1064_IEO_DIS_MD,DIS\n1064_TIE_SAD_XX,SAD\n' >"$s/dr/my_train.csv"
printf '1001_IEO_HAP_LO,HAP\n1091_WSI_NEU_XX,NEU\n' >"$s/dr/val.csv"
printf 'name,label\n1002_TIE_SAD_XX,SAD\n' >"$s/dr/test.csv"
OUT="$t/o1" LISTS="$s/ogm" sh "$r/cremad.sh" "$s" 2>"$t/err"
check "cremad: a list whose SHA-256 differs from datasets.md 9 stops with exit 1" test $? -eq 1
check "... and one line naming the file, both sums and SHA256_CHECK" \
    sh -c "test \$(grep -c SHA-256 '$t/err') -eq 1 && grep -q '^cremad.sh: $s/ogm/train.csv: SHA-256 [0-9a-f]\{64\}, expected 68d0d3fd253830328fc92c68f3cf2e215db8c5b86757ad9c5112d2c76ba68bde (OGM data/CREMAD/train.csv); SHA256_CHECK=0 skips the check$' '$t/err'"
SHA256_CHECK=0 OUT="$t/o1" LISTS="$s/ogm" DR_LISTS="$s/dr" sh "$r/cremad.sh" "$s" 2>"$t/err"
check "cremad: the recipe makes OUT/cremad.ogmge-stft.h5 and its report" \
    test $? -eq 0 -a -f "$t/o1/cremad.ogmge-stft.h5" -a -f "$t/o1/cremad.ogmge-stft.h5.report.tsv"
m="$t/o1/cremad.manifest.tsv"
check "cremad: OGM class order, columns with the dr scheme" \
    sh -c "grep -q '^#@classes	NEU	HAP	SAD	FEA	DIS	ANG$' '$m' && grep -q '^id	label	split:ogmge	split:dr	group:actor	meta:sentence	meta:level	flags	note	video_seconds	audio	visual:frames$' '$m'"
check "cremad: fields from the name, ogmge from the BOM/CRLF lists, dr val" \
    grep -q '^1001_IEO_HAP_LO	HAP	train	val	1001	IEO	LO	-	-	0.2	' "$m"
check "cremad: dr test list with its name,label header" grep -q '^1002_TIE_SAD_XX	SAD	test	test	' "$m"
check "cremad: the shipped known-bad list becomes flags and a note" \
    grep -q '^1064_TIE_SAD_XX	SAD	train	train	1064	TIE	XX	KNOWN_BAD	CREMA README: FLV/MP3 without duration	-	' "$m"
check "cremad: the OGM frame rule with F = int(29.97) = 29, K = 1" \
    grep -q "select='lt(mod(n\\\\,29)\\\\,29)\*not(mod(mod(n\\\\,29)\\\\,29))'" "$t/ffmpeg.log"
c="$t/o1/cremad.ogmge-stft.h5"
check "cremad: preset ogmge-stft, (257, 188), 2 schemes" \
    sh -c "h5dump -H -d /audio/spec '$c' | grep -q '( 6, 257, 188 )' && h5dump -H -d /splits/dr/val '$c' | grep -q '( 2 )' && h5dump -H -d /splits/ogmge/train '$c' | grep -q '( 5 )'"
# store order: 1001_DFA, 1001_IEO, 1002, 1064_IEO_DIS_MD, 1064_TIE_SAD_XX, 1091
status=$(h5dump -d /meta/status "$c" | sed -n 's/.*(0): //p')
set -- $(echo "$status" | tr -d ',')
check "cremad: 1064_IEO_DIS_MD (60 s video, 2 frames of 2 allowed) AV_DURATION_MISMATCH|KNOWN_BAD" \
    test $(($4 & 0x600)) -eq $((0x600))
check "cremad: 1064_TIE_SAD_XX (ffmpeg fails) kept with zeros: VIDEO_MISSING|FEW_FRAMES|KNOWN_BAD" \
    test $(($5 & 0x540)) -eq $((0x540)) -a $(($1 & 0x7c0)) -eq 0 -a $(($5 & 0x200)) -eq 0
check "cremad: report says so" grep -q '^1064_TIE_SAD_XX	0x.*VIDEO_MISSING,FEW_FRAMES,KNOWN_BAD[A-Z_,]*	.*stored with zeros: visual: ' "$t/o1/cremad.ogmge-stft.h5.report.tsv"
check_exit 0 "cremad: the store verifies" "$prep" verify "$c"
SHA256_CHECK=0 OUT="$t/o1c" LISTS="$s/ogm" PRESET=fbank-ast FPS_KEPT=3 MIN_FRAMES=3 sh "$r/cremad.sh" "$s" 2>"$t/err"
check "cremad: PRESET=fbank-ast FPS_KEPT=3 makes cremad.fbank-ast.fps3.h5 (F 29, S 9, keep n mod 29 < 27)" \
    sh -c "test -f '$t/o1c/cremad/frames-fps3/1001_DFA_ANG_XX/00001.jpg' && h5dump -H -d /audio/fbank '$t/o1c/cremad.fbank-ast.fps3.h5' | grep -q '128 )' && grep -q \"select='lt(mod(n\\\\\\\\,29)\\\\\\\\,27)\*not(mod(mod(n\\\\\\\\,29)\\\\\\\\,9))'\" '$t/ffmpeg.log'"
mkdir -p "$t/lfs/AudioWAV" "$t/lfs/VideoFlash"
printf 'version https://git-lfs.github.com/spec/v1\noid sha256:00\nsize 1\n' >"$t/lfs/AudioWAV/1001_DFA_ANG_XX.wav"
OUT="$t/o1b" sh "$r/cremad.sh" "$t/lfs" 2>"$t/err"
check "cremad: LFS pointer stubs are refused, naming git-lfs" sh -c "test $? -ne 0 && grep -q git-lfs '$t/err'"

# ---- AVE: duplicates (#k, DUP_CONFLICT), the ave and ogm ("last wins") schemes ----
s="$t/ave"; mkdir -p "$s/AVE"
for v in aaaaaaaaaaa bbbbbbbbbbb ccccccccccc eeeeeeeeeee; do printf 'MP4' >"$s/AVE/$v.mp4"; done
printf 'Category&VideoID&Quality&StartTime&EndTime\n' >"$s/Annotations.txt"
printf 'Church bell&aaaaaaaaaaa&good&0&10\nBaby cry, infant cry&bbbbbbbbbbb&good&2&7\nBark&aaaaaaaaaaa&good&1&3\r\nBark&eeeeeeeeeee&good&0&4\n' >"$s/trainSet.txt"
printf 'Bark&ccccccccccc&good&0&5\nBark&eeeeeeeeeee&good&5&9\n' >"$s/valSet.txt"
printf 'Bark&ddddddddddd&good&0&5\n' >"$s/testSet.txt"
OUT="$t/o2" sh "$r/ave.sh" "$s" 2>"$t/err"
check "ave: the split files are checked against datasets.md 9 (exit 1, one line)" \
    sh -c "test $? -eq 1 && test \$(wc -l <'$t/err') -eq 1 && grep -q 'trainSet.txt: SHA-256 .* (PMR data/AVE/trainSet.txt)' '$t/err'"
SHA256_CHECK=0 OUT="$t/o2" sh "$r/ave.sh" "$s" 2>"$t/err"
check "ave: the recipe makes OUT/ave.fbank-ast.h5" test $? -eq 0 -a -f "$t/o2/ave.fbank-ast.h5"
m="$t/o2/ave.manifest.tsv"
check "ave: an earlier line of a video is - in scheme ogm, the last line counts; both DUP_CONFLICT" \
    sh -c "grep -q '^aaaaaaaaaaa	Church bell	train	-	aaaaaaaaaaa	0	0	10	DUP_CONFLICT	0.2	' '$m' && grep -q '^aaaaaaaaaaa#1	Bark	train	train	aaaaaaaaaaa	1	1	3	DUP_CONFLICT	' '$m'"
check "ave: the same event in train and val: #1, no conflict, both in scheme ogm" \
    sh -c "grep -q '^eeeeeeeeeee	Bark	train	train	.*	-	0.2	' '$m' && grep -q '^eeeeeeeeeee#1	Bark	val	val	eeeeeeeeeee	1	5	9	-	' '$m'"
check "ave: class with a comma kept whole" grep -q '^bbbbbbbbbbb	Baby cry, infant cry	train	train	' "$m"
check "ave: missing clip listed" grep -qx ddddddddddd "$t/o2/ave/missing.txt"
a="$t/o2/ave.fbank-ast.h5"
check "ave: fbank-ast rows, 6 samples, train 4 (ave) / 3 (ogm)" \
    sh -c "h5dump -H -d /audio/fbank '$a' | grep -q ', 128 )' && h5dump -H -d /splits/ave/train '$a' | grep -q '( 4 )' && h5dump -H -d /splits/ogm/train '$a' | grep -q '( 3 )'"
check "ave: /meta/status DUP_CONFLICT on aaaaaaaaaaa and #1 only; FEW_FRAMES (2 < 3), CLIPPED, RESAMPLED" \
    sh -c "h5dump -d /meta/status '$a' | grep -q '(0): 6408, 6408, 4360, 4360, 4360, 4360'"
SHA256_CHECK=0 DEFAULT_SPLIT=ogm OUT="$t/o2c" sh "$r/ave.sh" "$s" 2>/dev/null
check "ave: DEFAULT_SPLIT=ogm" sh -c "h5dump -a /default_split '$t/o2c/ave.fbank-ast.h5' | grep -q '\"ogm\"'"
PRESENT_MIN=90 SHA256_CHECK=0 OUT="$t/o2b" sh "$r/ave.sh" "$s" 2>"$t/err"
check "ave: fails below PRESENT_MIN" sh -c "test $? -ne 0 && grep -q PRESENT_MIN '$t/err'"

# ---- Kinetics-Sounds: AF folders -> scheme ks; OGM's lists -> scheme ogm ----
s="$t/ks"; mkdir -p "$s/train/playing organ" "$s/test/tickling" "$s/lists"
printf 'MP4' >"$s/train/playing organ/a_b-c_d-efg_000012_000022.mp4"
printf 'MP4' >"$s/train/playing organ/Zz9_-Zz9_-Z_000030_000040.mp4"
printf 'MP4' >"$s/test/tickling/Xy-_z0123AB_5_15.mp4"
printf 'a_b-c_d-efg_000012_000022,10,15\r\n' >"$s/lists/my_train.txt"
printf 'Xy-_z0123AB_5,10,30\r\n' >"$s/lists/my_test.txt"
OUT="$t/o3" LISTS="$s/lists" sh "$r/kinetics-sounds.sh" "$s" 2>"$t/err"
check "ks: OGM's lists are checked against datasets.md 9" \
    sh -c "test $? -eq 1 && grep -q 'my_train.txt: SHA-256 .* (OGM data/KineticSound/my_train.txt)' '$t/err'"
SHA256_CHECK=0 OUT="$t/o3" LISTS="$s/lists" sh "$r/kinetics-sounds.sh" "$s" 2>"$t/err"
check "ks: the recipe makes OUT/ks.fbank-ast.h5" test $? -eq 0 -a -f "$t/o3/ks.fbank-ast.h5"
m="$t/o3/ks.manifest.tsv"
check "ks: YouTube id = first 11 characters, start unpadded; ogm from the padded train id" \
    grep -q '^a_b-c_d-efg_12	playing_organ	train	train	a_b-c_d-efg	0.2	' "$m"
check "ks: a clip in no OGM list is - in scheme ogm" grep -q '^Zz9_-Zz9_-Z_30	playing_organ	train	-	' "$m"
check "ks: OGM test id YTID_S" grep -q '^Xy-_z0123AB_5	tickling	test	test	' "$m"
check "ks: preset fbank-ast (1024 target rows), not a 257 x 1001 spectrogram" \
    sh -c "h5dump -a /audio/fbank/target_rows '$t/o3/ks.fbank-ast.h5' | grep -q '(0): 1024' && ! h5dump -H -d /audio/spec '$t/o3/ks.fbank-ast.h5' >/dev/null"
# issue 14 item 3: the other audio variants of datasets.md 3 and 4 as PRESET
SHA256_CHECK=0 OUT="$t/o3m" PRESET=af-mel sh "$r/kinetics-sounds.sh" "$s" 2>"$t/err"
check "ks: PRESET=af-mel makes ks.af-mel.h5, AF's (3, 128, 128) mel" \
    sh -c "test $? -eq 0 && h5dump -H -d /audio/spec '$t/o3m/ks.af-mel.h5' | grep -q '( 3, 128, 128 )'"
SHA256_CHECK=0 OUT="$t/o3p" PRESET=ogmge-paper sh "$r/kinetics-sounds.sh" "$s" 2>"$t/err"
check "ks: PRESET=ogmge-paper makes the paper's (3, 257, 1004)" \
    sh -c "test $? -eq 0 && h5dump -H -d /audio/spec '$t/o3p/ks.ogmge-paper.h5' | grep -q '( 3, 257, 1004 )'"
SHA256_CHECK=0 OUT="$t/o2p" PRESET=ogmge-paper sh "$r/ave.sh" "$t/ave" 2>"$t/err"
check "ave: PRESET=ogmge-paper makes the paper's (6, 257, 1004)" \
    sh -c "test $? -eq 0 && h5dump -H -d /audio/spec '$t/o2p/ave.ogmge-paper.h5' | grep -q '( 6, 257, 1004 )'"
mkdir -p "$s/train/typing"; printf 'MP4' >"$s/train/typing/aaaaaaaaaaa_1_11.mp4"
OUT="$t/o3b" sh "$r/kinetics-sounds.sh" "$s" 2>/dev/null
check "ks: a class outside the 31 is refused" test $? -ne 0

# ---- VGGSound: real CSV parsing, the 5 s loader window ----
s="$t/vgg"; mkdir -p "$s/video"
printf '# YouTube ID,start seconds,label,train/test split\n---g-f_I2yQ,1,"people marching",test\n--0PQM4-hqg,30,"waterfall burbling",train\n--56QUhyDQM,185,"railroad car, train wagon",train\n--5OkAjCI7g,40,"waterfall burbling",train\n--8A9Bhpq0jk,2,"people marching",train\n' >"$s/vggsound.csv"
for v in ---g-f_I2yQ_1 --0PQM4-hqg_30 --5OkAjCI7g_40 --8A9Bhpq0jk_2; do printf 'MP4' >"$s/video/$v.mp4"; done
printf 'MP4' >"$s/video/--56QUhyDQM_000185.mp4"
OUT="$t/o4" sh "$r/vggsound.sh" "$s" 2>"$t/err"
check "vggsound: the recipe makes OUT/vggsound.h5" test $? -eq 0 -a -f "$t/o4/vggsound.h5"
m="$t/o4/vggsound.manifest.tsv"
check "vggsound: quoted label with a comma" grep -q '^--56QUhyDQM_185	railroad car, train wagon	train	--56QUhyDQM	185	0.2	' "$m"
check "vggsound: classes by first appearance in train" sh -c "printf 'waterfall burbling\nrailroad car, train wagon\npeople marching\n' | cmp -s - '$t/o4/vgg/classes.txt'"
check "vggsound: 5 clips, none missing" sh -c "test \$(grep -vc '^#' '$m') -eq 6 && test ! -s '$t/o4/vgg/missing.txt'"
v="$t/o4/vggsound.h5"
check "vggsound: the 10 s wave is the sample; window 80000 at 40000, STFT 256/128 -> 626 frames" \
    sh -c "h5dump -H -d /audio/wave '$v' | grep -q '( 5, 160000 )' && h5dump -a /audio/wave/window_length '$v' | grep -q '(0): 80000' &&
           h5dump -a /audio/wave/window_test_start '$v' | grep -q '(0): 40000' && h5dump -a /audio/wave/frames '$v' | grep -q '(0): 626' &&
           h5dump -a /audio/sample_dataset '$v' | grep -q '\"wave\"'"

# ---- CMU-MOSEI and CMU-MOSI (work trees as the conversion writes them) ----
mkwork() {   # DIR TEXT_STEPS:DIM AUDIO_STEPS:DIM VISION_STEPS:DIM
    for sp in train valid test; do for mo in text audio vision; do mkdir -p "$1/$sp/$mo"; done; done
    printf 'train\t0\t-0.5\ntrain\t1\t0.0\nvalid\t0\t2.5\ntest\t0\t-3.0\n' >"$1/labels.tsv"
    for sp in train valid test; do for i in 0 1; do
        head -c $((${2%:*} * ${2#*:} * 4)) /dev/zero >"$1/$sp/text/$i.f32"
        head -c $((${3%:*} * ${3#*:} * 4)) /dev/zero >"$1/$sp/audio/$i.f32"
        head -c $((${4%:*} * ${4#*:} * 4)) /dev/zero >"$1/$sp/vision/$i.f32"
    done; done
}
mkwork "$t/mosei" 2:300 3:74 1:35
OUT="$t/o5" SCHEME=tri sh "$r/cmu-mosei.sh" "$t/mosei" 2>"$t/err"
check "mosei: split sizes are checked (datasets.md 6: 2/1/1 is not MOSEI)" \
    sh -c "test $? -eq 1 && grep -q 'split sizes 2 1 1, mosei has 16326 1871 4659' '$t/err'"
CHECK_SIZES=0 OUT="$t/o5" SCHEME=tri sh "$r/cmu-mosei.sh" "$t/mosei" 2>"$t/err"
m="$t/o5/mosei.manifest.tsv"
check "mosei: tri labels, valid -> val" sh -c "grep -q '^train_000000	neg	train	-0.5	' '$m' && grep -q '^train_000001	neu	' '$m' && grep -q '^valid_000000	pos	val	' '$m'"
check "mosei: store with three seq modalities (50, 300), (50, 74), (50, 35)" \
    sh -c "h5dump -H '$t/o5/mosei.h5' | grep -q '( 4, 50, 300 )' && h5dump -H '$t/o5/mosei.h5' | grep -q '( 4, 50, 74 )' && h5dump -H '$t/o5/mosei.h5' | grep -q '( 4, 50, 35 )'"
mkwork "$t/mosi" 2:300 7:5 9:20
CHECK_SIZES=0 OUT="$t/o6" sh "$r/cmu-mosi.sh" "$t/mosi" 2>"$t/err"
check "mosi: the recipe makes OUT/mosi.h5" test $? -eq 0 -a -f "$t/o6/mosi.h5"
check "mosi: text (50, 300), audio (375, 5), vision (500, 20)" \
    sh -c "h5dump -H '$t/o6/mosi.h5' | grep -q '( 4, 50, 300 )' && h5dump -H '$t/o6/mosi.h5' | grep -q '( 4, 375, 5 )' && h5dump -H '$t/o6/mosi.h5' | grep -q '( 4, 500, 20 )'"
check "mosi: bin_pos labels by default (y = 0 -> nonpos), dataset cmu-mosi" \
    sh -c "grep -q '^train_000001	nonpos	' '$t/o6/mosi.manifest.tsv' && h5dump -a /dataset '$t/o6/mosi.h5' | grep -q '\"cmu-mosi\"'"
check "mosi: true lengths in seq_len (audio 7 of 375)" \
    sh -c "h5dump -d /audio/seq_len '$t/o6/mosi.h5' | grep -q '(0): 7, 7, 7, 7'"
done_testing
