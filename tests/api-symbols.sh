#!/bin/sh
# SPDX-License-Identifier: MIT
# api-symbols.sh - the shared library exports its public API and nothing
# else: every symbol that `nm -D --defined-only` lists for libasgml.so must
# start with asgml_ and be declared in a public header (libcommon/asgml/*.h,
# comments stripped) as a function "NAME (" or an object "NAME;", "NAME[",
# "NAME =".  One test point per exported symbol, naming it.
. "$top_srcdir/tests/lib.sh"
so="$top_builddir/libcommon/.libs/libasgml.so"
NM=${NM:-nm}
test -f "$so" || skip_all "no shared library ($so): built with --disable-shared?"
command -v "$NM" >/dev/null 2>&1 || skip_all "no nm"
t=$(tmpdir) || exit 1
trap 'rm -rf "$t"' EXIT

# Exported, defined symbols; the linker's own markers are not ours.
"$NM" -D --defined-only "$so" >"$t/nm" || { plan 1; fail "nm -D $so"; done_testing; }
awk 'NF >= 3 && $2 != "A" { sub(/@.*/, "", $3); print $3 }' "$t/nm" |
    grep -v -x -e _init -e _fini -e _edata -e _end -e __bss_start | sort -u >"$t/syms"

# The public headers without comments, one line per file line.
for h in "$top_srcdir"/libcommon/asgml/*.h; do
    awk '{
        out = ""; s = $0
        while (s != "") {
            if (inc) { i = index(s, "*/"); if (!i) { s = ""; break } s = substr(s, i + 2); inc = 0 }
            else {
                i = index(s, "/*"); j = index(s, "//")
                if (j && (!i || j < i)) { out = out substr(s, 1, j - 1); s = ""; break }
                if (!i) { out = out s; s = ""; break }
                out = out substr(s, 1, i - 1) " "; s = substr(s, i + 2); inc = 1
            }
        }
        print out
    }' "$h"
done >"$t/decls"

count=$(wc -l <"$t/syms")
test "$count" -gt 0 || { plan 1; fail "no exported symbols in $so"; done_testing; }
plan "$count"
while read -r s; do
    case $s in
        asgml_*) ;;
        *) fail "$s: exported without the asgml_ prefix"; continue ;;
    esac
    if grep -q -E "(^|[^A-Za-z0-9_])$s[[:space:]]*(\(|;|\[|=)" "$t/decls"; then
        pass "$s"
    else
        fail "$s: exported but declared in no public header (libcommon/asgml/*.h)"
    fi
done <"$t/syms"
done_testing
