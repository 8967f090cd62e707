#!/bin/sh
# SPDX-License-Identifier: MIT
# results-page.sh - the results page of the AV-Digits imbalance study
# (issue 16) from the runs present: every table and curve is asgml-report's
# output; this script only puts them on one page.  Run through
#     make -f data-recipes/grid-study.mk results      (or grid-av-digits.mk)
# which sets the environment below (grid-study.mk, "The results page").
#
#     results-page.sh REGIME...
#
# Environment:
#   ASGML_REPORT      the asgml-report program
#   REPORT_ARGS       options of every asgml-report call (grid.mk: --percent)
#   RESULTS_PAGE      the page, e.g. doc/results-av-digits.md; its curves go
#                     to the directory of the same name without .md
#   STUDY_ROOT        the runs of regime R are STUDY_ROOT/study-R/CELL/
#   RESULTS_REF       the reference method (baseline): the first complete
#                     STUDY_ROOT/study-R/REF_seed-*/ run names its group
#   RESULTS_CELLS     the cell names the grid lists (to count missing cells)
#   RESULTS_FINDINGS  hand-written findings, included verbatim when present
#   RESULTS_CMD       the command that made the page (header)
#   RESULTS_SETTINGS  more header lines (Markdown list items), may be empty
#   RESULTS_DOC_<R>   one line that describes regime R
#
# Per regime with runs: the runs present (and how many listed cells are
# missing), three tables by asgml-report $REPORT_ARGS --test paired
# --vs-run=REFERENCE over every STUDY_ROOT/study-R/*/summary.json (records
# last, best-val when any run has a validation split, best-test), each
# under the exact command, and asgml-report --curves of the reference with
# each other method (CURVES/R/METHOD/).  A regime without runs is listed as
# "not run".  Page and curves are written to temporary names and renamed
# when everything succeeded; on failure the previous page stays, exit 1.
set -u

me=results-page.sh
die() { echo "$me: $*" >&2; exit 1; }

[ $# -ge 1 ] || die "usage: $me REGIME..."
: "${ASGML_REPORT:?}" "${RESULTS_PAGE:?}" "${STUDY_ROOT:?}"
REPORT_ARGS=${REPORT_ARGS-}
RESULTS_REF=${RESULTS_REF:-baseline}
RESULTS_CELLS=${RESULTS_CELLS-}
RESULTS_FINDINGS=${RESULTS_FINDINGS-}
RESULTS_CMD=${RESULTS_CMD:-$me $*}
RESULTS_SETTINGS=${RESULTS_SETTINGS-}

version=$("$ASGML_REPORT" --version 2>/dev/null | head -n 1)
[ -n "$version" ] || die "$ASGML_REPORT: cannot run it (set ASGML_REPORT)"
case $RESULTS_PAGE in
*.md) ;;
*) die "RESULTS_PAGE=$RESULTS_PAGE: the page must end in .md" ;;
esac
curves=${RESULTS_PAGE%.md}
curves_rel=$(basename "$curves")   # link target, relative to the page
pagedir=$(dirname "$RESULTS_PAGE")
mkdir -p "$pagedir" || die "$pagedir: cannot create"

tmp_page="$RESULTS_PAGE.tmp.$$"
tmp_curves="$curves.tmp.$$"
old_curves="$curves.old.$$"
trap 'rm -rf "$tmp_page" "$tmp_curves" "$old_curves"' EXIT
trap 'exit 1' HUP INT TERM
rm -rf "$tmp_curves" && mkdir "$tmp_curves" || die "$tmp_curves: cannot create"

# The commit of the source tree this script belongs to (the page and its
# curves do not count as changes), else the package version.
srcdir=$(cd "$(dirname "$0")/.." && pwd)
if git -C "$srcdir" rev-parse --git-dir >/dev/null 2>&1; then
    made_by="commit $(git -C "$srcdir" describe --always --tags)"
    top=$(git -C "$srcdir" rev-parse --show-toplevel)
    page_abs=$(cd "$pagedir" && pwd)/$(basename "$RESULTS_PAGE")
    ex=
    case $page_abs in
    "$top"/*) r=${page_abs#"$top"/}; ex=":(exclude)$r :(exclude)${r%.md}" ;;
    esac
    # shellcheck disable=SC2086
    git -C "$top" diff --quiet HEAD -- . $ex 2>/dev/null ||
        made_by="$made_by, with uncommitted changes to tracked files"
else
    made_by="$version (not a git tree)"
fi

# report ARGS...: asgml-report with the page's options; stdout is the table
report() {
    # shellcheck disable=SC2086
    "$ASGML_REPORT" $REPORT_ARGS "$@"
}

# section REGIME: the regime's part of the page, on stdout
section() {
    r=$1
    eval "doc=\${RESULTS_DOC_$r-}"
    dir="$STUDY_ROOT/study-$r"
    echo
    # shellcheck disable=SC2154
    if ! ls "$dir"/*/summary.json >/dev/null 2>&1; then
        echo "## $r: not run"
        echo
        [ -z "$doc" ] || echo "$doc"
        [ -z "$doc" ] || echo
        echo "No run of this regime: \`$dir/*/summary.json\` matches nothing."
        return 0
    fi
    echo "## $r"
    echo
    [ -z "$doc" ] || echo "$doc"
    [ -z "$doc" ] || echo
    nruns=0; ncomplete=0
    for f in "$dir"/*/summary.json; do
        nruns=$((nruns + 1))
        grep -qs '"status": *"complete"' "$f" && ncomplete=$((ncomplete + 1))
    done
    ncells=0; nmissing=0
    for c in $RESULTS_CELLS; do
        ncells=$((ncells + 1))
        [ -f "$dir/$c/summary.json" ] || nmissing=$((nmissing + 1))
    done
    echo "Runs: $nruns in \`$dir\` ($ncomplete complete); of the $ncells cells the grid lists, $nmissing have no run."
    ref=
    for f in "$dir/${RESULTS_REF}_seed-"*/summary.json; do
        if grep -qs '"status": *"complete"' "$f"; then ref=$(dirname "$f"); break; fi
    done
    if [ -n "$ref" ]; then
        vs="--test paired --vs-run=$ref"
        echo "Reference: the group of \`$ref\`; paired t-test by seed, p (Holm) adjusted over the comparisons of each metric in this table."
    else
        vs=
        echo "Reference: none (no complete \`${RESULTS_REF}_seed-*\` run), so no comparisons."
    fi
    for rec in last best-val best-test; do
        echo
        case $rec in
        last) echo "### Last epoch" ;;
        best-val) echo "### Best epoch on validation" ;;
        best-test) echo "### Best epoch on test (the sources' protocol; optimistic)" ;;
        esac
        echo
        if [ "$rec" = best-val ] && ! grep -qs '"best_val"' "$dir"/*/summary.json; then
            echo "Not available: no run of this regime has a validation split (no \`best_val\` in its summary.json)."
            continue
        fi
        # shellcheck disable=SC2086
        echo "\`$(set -f; echo asgml-report $REPORT_ARGS $vs --record "$rec") $dir/*/summary.json\`"
        echo
        # shellcheck disable=SC2086
        report $vs --record "$rec" "$dir"/*/summary.json || return 1
    done
    echo
    echo "### Curves"
    echo
    echo "Each method's runs with the reference's, averaged over the seeds (asgml-report --curves; data and gnuplot scripts next to the PNGs):"
    methods=$(for f in "$dir"/*/summary.json; do
                  c=$(basename "$(dirname "$f")"); echo "${c%%_*}"; done | sort -u)
    refruns=
    ls "$dir/${RESULTS_REF}_"*/summary.json >/dev/null 2>&1 && refruns="$dir/${RESULTS_REF}_*/summary.json"
    for m in $methods; do
        [ "$m" != "$RESULTS_REF" ] || [ "$methods" = "$RESULTS_REF" ] || continue
        out="$tmp_curves/$r/$m"
        # shellcheck disable=SC2086
        report --curves "$out" $refruns "$dir/${m}_"*/summary.json >/dev/null || return 1
        echo
        echo "#### $m"
        echo
        # shellcheck disable=SC2086
        echo "\`$(set -f; echo asgml-report $REPORT_ARGS --curves "$curves/$r/$m" $refruns) $dir/${m}_*/summary.json\`"
        echo
        # the plots as asgml-report's README names them
        sed -n '/^Plots:$/,/^$/p' "$out/README" | sed '1d;/^$/d' >"$out/.plots"
        np=0
        while read -r name title; do
            if [ -f "$out/$name.png" ]; then
                echo "![$r, $m: $title]($curves_rel/$r/$m/$name.png)"
                np=$((np + 1))
            fi
        done <"$out/.plots"
        rm -f "$out/.plots"
        [ "$np" -gt 0 ] || echo "No PNG (gnuplot not found): the data and gnuplot scripts are in \`$curves_rel/$r/$m/\`."
    done
    return 0
}

{
    echo "# AV-Digits imbalance study: results"
    echo
    echo "Generated from the runs present by the command below (data-recipes/results-page.sh): every table and curve is asgml-report's output, and only the findings file is written by hand. Do not edit this page; run the command again."
    echo
    echo "- made by: $made_by"
    echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "- command: \`$RESULTS_CMD\`"
    echo "- asgml-report: \`$ASGML_REPORT\` ($version)"
    [ -z "$RESULTS_SETTINGS" ] || printf '%s\n' "$RESULTS_SETTINGS"
    echo "- regimes: $*"
    echo
    echo "## Findings (hand-written)"
    echo
    if [ -n "$RESULTS_FINDINGS" ] && [ -f "$RESULTS_FINDINGS" ]; then
        echo "The text between the two markers is \`$RESULTS_FINDINGS\`, written by hand and included verbatim; it is not generated from the runs."
        echo
        echo "<!-- begin $RESULTS_FINDINGS (hand-written) -->"
        cat "$RESULTS_FINDINGS" || exit 1
        echo "<!-- end $RESULTS_FINDINGS -->"
    else
        echo "None: \`${RESULTS_FINDINGS:-(RESULTS_FINDINGS unset)}\` does not exist."
    fi
    for r in "$@"; do
        section "$r" || die "regime $r: asgml-report failed (above); $RESULTS_PAGE is unchanged"
    done
} >"$tmp_page" || die "$RESULTS_PAGE: not written (see above); the previous page is unchanged"

sync "$tmp_page" 2>/dev/null
if [ -d "$curves" ]; then mv "$curves" "$old_curves" || die "$curves: cannot move aside"; fi
mv "$tmp_curves" "$curves" || die "$curves: cannot rename $tmp_curves"
mv "$tmp_page" "$RESULTS_PAGE" || die "$RESULTS_PAGE: cannot rename $tmp_page"
rm -rf "$old_curves"
echo "results: $RESULTS_PAGE, $curves/"
