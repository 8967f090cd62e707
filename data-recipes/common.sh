# SPDX-License-Identifier: MIT
# common.sh - helpers sourced by the data-recipe scripts (POSIX sh).
# Variables honoured by every recipe:
#   OUT         output directory (required)
#   ASGML_PREP  asgml-prep program (default: tools/asgml-prep if present, else asgml-prep)
#   FFMPEG      ffmpeg program (default ffmpeg)
#   JOBS        asgml-prep --jobs (default: all cores)
#   SEED        asgml-prep --seed (default 1)
#   STAGE       manifest (build the manifest only) or all (default: also the store)
set -u
die() { echo "${0##*/}: $*" >&2; exit 1; }
: "${FFMPEG:=ffmpeg}" "${SEED:=1}" "${JOBS:=}" "${STAGE:=all}"
if [ -z "${ASGML_PREP:-}" ]; then
    if [ -x tools/asgml-prep ]; then ASGML_PREP=tools/asgml-prep; else ASGML_PREP=asgml-prep; fi
fi
jobs_opt() { [ -n "$JOBS" ] && printf -- '--jobs %s' "$JOBS"; }
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
