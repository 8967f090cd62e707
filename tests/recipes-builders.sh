#!/bin/sh
# SPDX-License-Identifier: MIT
# recipes-builders.sh - the manifest builders of data-recipes/ on small fake
# trees with the real layouts and file names (made here), a fake ffmpeg that
# writes real JPEG/WAV fixtures, and asgml-prep run on the resulting
# manifests where the fake media decode.
. "$top_srcdir/tests/lib.sh"
r="$top_srcdir/data-recipes"
fx=$(cd "$top_srcdir/tests/fixtures/dsp" && pwd)
prep=$(cd "$top_builddir/tools" && pwd)/asgml-prep
t=$(tmpdir) || exit 1
trap 'rm -rf "$t"' EXIT
plan 24

# fake ffmpeg: "-i IN ... OUT": OUT/%05d.jpg -> two JPEG frames, OUT.wav -> a WAV
mkdir "$t/bin"
cat >"$t/bin/ffmpeg" <<EOS
#!/bin/sh
for a; do last=\$a; done
echo "\$@" >>"$t/ffmpeg.log"
case \$last in
*%05d.jpg) d=\$(dirname "\$last"); cp "$fx/jpg_rgb.jpg" "\$d/00001.jpg"; cp "$fx/jpg_444.jpg" "\$d/00002.jpg" ;;
*.wav) cp "$fx/au_pcm16.wav" "\$last" ;;
esac
EOS
chmod +x "$t/bin/ffmpeg"
export FFMPEG="$t/bin/ffmpeg" ASGML_PREP="$prep" STAGE=manifest

# ---- CREMA-D ----
s="$t/cremad"; mkdir -p "$s/AudioWAV" "$s/VideoFlash" "$s/processedResults" "$s/lists"
for id in 1001_DFA_ANG_XX 1001_IEO_HAP_LO 1002_TIE_SAD_XX 1091_WSI_NEU_XX; do
    cp "$fx/au_pcm16.wav" "$s/AudioWAV/$id.wav"; printf 'FLV' >"$s/VideoFlash/$id.flv"
done
printf '\357\273\2771001_DFA_ANG_XX,ANG\r\n1001_IEO_HAP_LO,HAP\r\n1091_WSI_NEU_XX,NEU\r\n' >"$s/lists/train.csv"
printf '1002_TIE_SAD_XX,SAD\r\n' >"$s/lists/test.csv"
OUT="$t/o1" LISTS="$s/lists" sh "$r/cremad.sh" "$s" 2>"$t/err"
check "cremad: builder runs" test $? -eq 0 -a -f "$t/o1/cremad.manifest.tsv"
m="$t/o1/cremad.manifest.tsv"
check "cremad: 4 rows, OGM class order" sh -c "test \$(grep -vc '^#' '$m') -eq 5 && grep -q '^#@classes	NEU	HAP	SAD	FEA	DIS	ANG$' '$m'"
check "cremad: fields from the name, split from the BOM/CRLF lists" grep -q '^1001_IEO_HAP_LO	HAP	train	1001	IEO	LO	' "$m"
check "cremad: test split" grep -q '^1002_TIE_SAD_XX	SAD	test	' "$m"
check "cremad: ffmpeg OGM select rule" grep -q "select='not(mod(n\\\\,30))'" "$t/ffmpeg.log"
check_exit 0 "cremad: asgml-prep reads the manifest" "$prep" -q --preset ogmge-stft --fit-seconds 0.1 --short-side 32 "$m" -o "$t/o1/c.h5"
check "cremad: 2 frames per clip in the store" sh -c "h5dump -H '$t/o1/c.h5' | grep -q '( 8, 32, 43, 3 )'"
mkdir -p "$t/lfs/AudioWAV" "$t/lfs/VideoFlash"
printf 'version https://git-lfs.github.com/spec/v1\noid sha256:00\nsize 1\n' >"$t/lfs/AudioWAV/1001_DFA_ANG_XX.wav"
OUT="$t/o1b" sh "$r/cremad.sh" "$t/lfs" 2>"$t/err"
check "cremad: LFS pointer stubs are refused, naming git-lfs" sh -c "test $? -ne 0 && grep -q git-lfs '$t/err'"

# ---- AVE ----
s="$t/ave"; mkdir -p "$s/AVE"
for v in aaaaaaaaaaa bbbbbbbbbbb ccccccccccc; do printf 'MP4' >"$s/AVE/$v.mp4"; done
printf 'Category&VideoID&Quality&StartTime&EndTime\n' >"$s/Annotations.txt"
printf 'Church bell&aaaaaaaaaaa&good&0&10\nBaby cry, infant cry&bbbbbbbbbbb&good&2&7\nBark&aaaaaaaaaaa&good&1&3\r\n' >"$s/trainSet.txt"
printf 'Bark&ccccccccccc&good&0&5\n' >"$s/valSet.txt"
printf 'Bark&ddddddddddd&good&0&5\n' >"$s/testSet.txt"
OUT="$t/o2" sh "$r/ave.sh" "$s" 2>"$t/err"
m="$t/o2/ave.manifest.tsv"
check "ave: builder runs" test -f "$m"
check "ave: repeated video gets #1 and dup 1" grep -q '^aaaaaaaaaaa#1	Bark	train	aaaaaaaaaaa	1	1	3	' "$m"
check "ave: class with a comma kept whole" grep -q '^bbbbbbbbbbb	Baby cry, infant cry	train	' "$m"
check "ave: missing clip listed" grep -qx ddddddddddd "$t/o2/ave/missing.txt"
check "ave: classes sorted" sh -c "LC_ALL=C sort -c '$t/o2/ave/classes.txt' && test \$(wc -l <'$t/o2/ave/classes.txt') -eq 3"
check_exit 0 "ave: asgml-prep reads the manifest" "$prep" -q --classes "$t/o2/ave/classes.txt" --audio-rate 16000 --fit-seconds 0.1 --image-size 16 "$m" -o "$t/o2/a.h5"
PRESENT_MIN=90 OUT="$t/o2b" sh "$r/ave.sh" "$s" 2>"$t/err"
check "ave: fails below PRESENT_MIN" sh -c "test $? -ne 0 && grep -q PRESENT_MIN '$t/err'"

# ---- Kinetics-Sounds ----
s="$t/ks"; mkdir -p "$s/train/playing organ" "$s/test/tickling"
printf 'MP4' >"$s/train/playing organ/a_b-c_d-efg_000012_000022.mp4"
printf 'MP4' >"$s/test/tickling/Xy-_z0123AB_5_15.mp4"
OUT="$t/o3" sh "$r/kinetics-sounds.sh" "$s" 2>"$t/err"
m="$t/o3/ks.manifest.tsv"
check "ks: YouTube id = first 11 characters, start unpadded" grep -q '^a_b-c_d-efg_12	playing_organ	train	a_b-c_d-efg	' "$m"
check "ks: test clip" grep -q '^Xy-_z0123AB_5	tickling	test	' "$m"
mkdir -p "$s/train/typing"; printf 'MP4' >"$s/train/typing/aaaaaaaaaaa_1_11.mp4"
OUT="$t/o3b" sh "$r/kinetics-sounds.sh" "$s" 2>/dev/null
check "ks: a class outside the 31 is refused" test $? -ne 0

# ---- VGGSound ----
s="$t/vgg"; mkdir -p "$s/video"
printf '# YouTube ID,start seconds,label,train/test split\n---g-f_I2yQ,1,"people marching",test\n--0PQM4-hqg,30,"waterfall burbling",train\n--56QUhyDQM,185,"railroad car, train wagon",train\n--5OkAjCI7g,40,"waterfall burbling",train\n' >"$s/vggsound.csv"
for v in ---g-f_I2yQ_1 --0PQM4-hqg_30 --5OkAjCI7g_40; do printf 'MP4' >"$s/video/$v.mp4"; done
printf 'MP4' >"$s/video/--56QUhyDQM_000185.mp4"
OUT="$t/o4" sh "$r/vggsound.sh" "$s" 2>"$t/err"
m="$t/o4/vggsound.manifest.tsv"
check "vggsound: quoted label with a comma" grep -q '^--56QUhyDQM_185	railroad car, train wagon	train	--56QUhyDQM	185	' "$m"
check "vggsound: classes by first appearance in train" sh -c "printf 'waterfall burbling\nrailroad car, train wagon\n' | cmp -s - '$t/o4/vgg/classes.txt'"
check "vggsound: 4 clips, none missing" sh -c "test \$(grep -vc '^#' '$m') -eq 5 && test ! -s '$t/o4/vgg/missing.txt'"

# ---- CMU-MOSEI (work tree as the conversion writes it) ----
w="$t/mosei"
for sp in train valid test; do for mo in text audio vision; do mkdir -p "$w/$sp/$mo"; done; done
printf 'train\t0\t-0.5\ntrain\t1\t0.0\nvalid\t0\t2.5\ntest\t0\t-3.0\n' >"$w/labels.tsv"
for sp in train valid test; do for i in 0 1; do
    head -c $((2 * 300 * 4)) /dev/zero >"$w/$sp/text/$i.f32"
    head -c $((3 * 74 * 4)) /dev/zero >"$w/$sp/audio/$i.f32"
    head -c $((1 * 35 * 4)) /dev/zero >"$w/$sp/vision/$i.f32"
done; done
OUT="$t/o5" SCHEME=tri sh "$r/cmu-mosei.sh" "$w" 2>"$t/err"
m="$t/o5/mosei.manifest.tsv"
check "mosei: tri labels, valid -> val" sh -c "grep -q '^train_000000	neg	train	-0.5	' '$m' && grep -q '^train_000001	neu	' '$m' && grep -q '^valid_000000	pos	val	' '$m'"
check "mosei: split sizes reported" grep -q 'train 2, valid 1, test 1' "$t/err"
STAGE=all OUT="$t/o5" SCHEME=tri sh "$r/cmu-mosei.sh" "$w" 2>"$t/err"
check "mosei: store with three seq modalities" sh -c "h5dump -H '$t/o5/mosei.h5' | grep -q '( 4, 50, 300 )' && h5dump -H '$t/o5/mosei.h5' | grep -q '( 4, 50, 35 )'"
done_testing
