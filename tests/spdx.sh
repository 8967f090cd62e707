#!/bin/sh
# SPDX-License-Identifier: MIT
# spdx.sh - every source file of the package carries an SPDX licence line
# (README, Licence): C and CUDA sources and headers, shell, make and Python
# files, the man pages, configure.ac and the protobuf schema.  Generated
# files (config.h, tools/tfevent.pb-c.*) and third-party autotools files
# (build-aux/, m4/) are not ours to tag, nor are fuzzer seeds (fuzz/corpus/).
. "$top_srcdir/tests/lib.sh"
cd "$top_srcdir" || exit 1
plan 2
list=$(find libcommon tools tests bench man data-recipes python fuzz \
            \( -name '*.c' -o -name '*.h' -o -name '*.cu' -o -name '*.sh' -o -name '*.mk' \
               -o -name '*.py' -o -name '*.proto' -o -name '*.[157]' -o -name '*.yaml' \) \
            -type f 2>/dev/null | grep -v -e '^tests/fixtures/.*[^y]$' -e '^fuzz/corpus/' -e 'tfevent\.pb-c\.' -e '/config\.h$' \
            | sort)
nfiles=$(echo "$list" | wc -l)
missing=
for f in $list Makefile.am configure.ac quickstart; do
    [ -f "$f" ] || continue
    head -n 5 "$f" | grep -q 'SPDX-License-Identifier: MIT' || missing="$missing $f"
done
check "at least 300 source files looked at (found $nfiles)" test "$nfiles" -ge 300
check "every one has 'SPDX-License-Identifier: MIT' in its first lines (missing:${missing:- none})" test -z "$missing"
done_testing
