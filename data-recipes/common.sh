# SPDX-License-Identifier: MIT
# common.sh - helpers sourced by the data-recipe scripts (POSIX sh).
# Variables honoured by every recipe:
#   OUT         output directory (required)
#   ASGML_PREP  asgml-prep program (default: tools/asgml-prep if present, else asgml-prep)
#   FFMPEG      ffmpeg program (default ffmpeg)
#   JOBS        asgml-prep --jobs (default: all cores)
#   SEED        asgml-prep --seed (default 1)
#   STAGE       manifest (build the manifest only) or all (default: also the store)
#   FFPROBE     ffprobe program (default ffprobe): video durations and frame rates
#   SHA256_CHECK  1 (default): list files must have the SHA-256 that
#               datasets.md 9 gives (asgml-prep(1), List checksums); 0 skips
#               the check (a warning names each file)
#   KEEP_BAD    1 (default): asgml-prep --keep-bad (a listed sample whose
#               media fail stays, with zeros and its flags; datasets.md 10)
set -u
die() { echo "${0##*/}: $*" >&2; exit 1; }
: "${FFMPEG:=ffmpeg}" "${FFPROBE:=ffprobe}" "${SEED:=1}" "${JOBS:=}" "${STAGE:=all}"
: "${SHA256_CHECK:=1}" "${KEEP_BAD:=1}"
if [ -z "${ASGML_PREP:-}" ]; then
    if [ -x tools/asgml-prep ]; then ASGML_PREP=tools/asgml-prep; else ASGML_PREP=asgml-prep; fi
fi
jobs_opt() { [ -n "$JOBS" ] && printf -- '--jobs %s' "$JOBS"; }
keep_bad_opt() { [ "$KEEP_BAD" = 1 ] && printf -- '--keep-bad'; }
# check_sha256 FILE SUM WHAT: FILE must have SHA-256 SUM (WHAT names the
# upstream file); a mismatch is a one-line error and exit status 1
check_sha256() {
    [ -f "$1" ] || die "$1: missing ($3)"
    if [ "$SHA256_CHECK" != 1 ]; then
        echo "${0##*/}: $1: SHA-256 not checked (SHA256_CHECK=$SHA256_CHECK)" >&2
        return 0
    fi
    got=$(sha256sum <"$1" | cut -d' ' -f1)
    [ "$got" = "$2" ] || die "$1: SHA-256 $got, expected $2 ($3); SHA256_CHECK=0 skips the check"
}
# probe VIDEO: prints "SECONDS FPS" (duration of the container, integer
# average frame rate truncated as OGM's int(fps)); "-" for what ffprobe
# cannot tell
probe() {
    "$FFPROBE" -v error -select_streams v:0 -show_entries stream=avg_frame_rate:format=duration \
        -of default=noprint_wrappers=1 "$1" 2>/dev/null | awk -F= '
        $1 == "duration" && $2 ~ /^[0-9.]+$/ { d = $2 }
        $1 == "avg_frame_rate" { split($2, r, "/"); if (r[2] + 0 > 0 && r[1] + 0 > 0) f = int(r[1] / r[2]) }
        END { printf "%s %s\n", d == "" ? "-" : d, f == "" ? "-" : f }'
}
# no_lfs_pointers DIR: fail when media files are git-lfs pointer stubs
no_lfs_pointers() {
    for f in "$1"/*; do
        [ -f "$f" ] || continue
        if head -c 30 "$f" | grep -q '^version https://git-lfs'; then
            die "$f is a git-lfs pointer, not media: clone with git-lfs (git lfs pull)"
        fi
        break
    done
}
# frames VIDEO DIR RATE: extract frames at RATE per second into DIR/NNNNN.jpg (once)
frames() {
    [ -n "$(ls -A "$2" 2>/dev/null)" ] && return 0
    mkdir -p "$2"
    "$FFMPEG" -nostdin -loglevel error -i "$1" -vf "fps=$3" -q:v 2 "$2/%05d.jpg" ||
        { echo "${0##*/}: $1: ffmpeg failed (frames)" >&2; return 1; }
}
# audio VIDEO WAV RATE: mono 16-bit WAV at RATE (once)
audio() {
    [ -s "$2" ] && return 0
    mkdir -p "$(dirname "$2")"
    "$FFMPEG" -nostdin -loglevel error -i "$1" -vn -acodec pcm_s16le -ac 1 -ar "$3" "$2" ||
        { echo "${0##*/}: $1: ffmpeg failed (audio)" >&2; return 1; }
}
# present_check N_LISTED N_FOUND: fail below PRESENT_MIN percent (default 70)
present_check() {
    [ "$1" -gt 0 ] || die "no listed clip"
    pct=$(( $2 * 100 / $1 ))
    echo "${0##*/}: $2 of $1 listed clips present ($pct %)" >&2
    [ "$pct" -ge "${PRESENT_MIN:-70}" ] || die "only $pct % present, below PRESENT_MIN=${PRESENT_MIN:-70}"
}
