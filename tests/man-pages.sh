#!/bin/sh
# SPDX-License-Identifier: MIT
# man-pages.sh - every long option a tool's --help prints appears in its
# manual page, every page has the required sections, and `mandoc -Tlint`
# finds nothing to warn about (when mandoc is installed).
. "$top_srcdir/tests/lib.sh"
man="$top_srcdir/man"
tools="asgml-prep asgml-train asgml-probe asgml-report asgml-eval"
pages="asgml.7 asgml-prep.1 asgml-train.1 asgml-probe.1 asgml-report.1 asgml-store.5 asgml-methods.7
asgml-eval.1 asgml-python.7"
t=$(tmpdir) || exit 1
trap 'rm -rf "$t"' EXIT
count=0
for p in $pages; do count=$((count + 2)); done
for tool in $tools; do count=$((count + 1)); done
plan $count

render() {   # plain text of a page, with or without mandoc
    if [ -n "$MANDOC" ] && [ -x "$MANDOC" ]; then
        "$MANDOC" -T ascii -O width=300 "$1" | sed 's/.\x08//g'
    else
        sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/^\.[A-Za-z][A-Za-z]* *//' "$1"
    fi
}

for p in $pages; do
    render "$man/$p" >"$t/$p.txt"
    missing=""
    for s in NAME SYNOPSIS DESCRIPTION "SEE ALSO"; do
        grep -q "^$s" "$t/$p.txt" || missing="$missing [$s]"
    done
    case $p in
    *.1) for s in OPTIONS "EXIT STATUS" EXAMPLES FILES; do
            grep -q "^$s" "$t/$p.txt" || missing="$missing [$s]"
         done ;;
    esac
    check "$p has the required sections$missing" test -z "$missing"
    if [ -n "$MANDOC" ] && [ -x "$MANDOC" ]; then
        "$MANDOC" -T lint -W warning "$man/$p" >"$t/lint" 2>&1
        st=$?
        check "$p: mandoc -Tlint clean $(head -n 3 "$t/lint" | tr '\n' ' ')" test $st -eq 0
    else
        pass "# SKIP $p lint: mandoc not installed"
    fi
done

for tool in $tools; do
    "$(bin $tool)" --help 2>/dev/null | grep -o -- '--[a-z][a-z0-9-]*' | sort -u >"$t/opts"
    missing=""
    while read -r opt; do
        grep -q -e "$opt" "$t/$tool.1.txt" || missing="$missing $opt"
    done <"$t/opts"
    check "$tool: every --help option is in $tool(1)${missing:+, missing:$missing}" test -z "$missing"
done
done_testing
