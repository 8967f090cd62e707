#!/bin/sh
# SPDX-License-Identifier: MIT
# layer-deps.sh - the library's files depend on each other without cycles,
# and the model's files only downward:
#   params -> layers (linear, conv, batchnorm, pool, dropout)
#          -> composites (mlp, resnet, fusion) -> model (model, model_internal, init, optim)
# 1. the include graph of libcommon/ (#include "..." of private headers;
#    a module is a .c with its .h, public asgml/*.h are left out) has no cycle;
# 2. no file of libcommon/nn/ includes a file of a higher level;
# 3. the call graph between the objects of libcommon/nn/ (an object's
#    undefined symbols against the others' defined ones, from nm) has no
#    cycle and no call upward.
. "$top_srcdir/tests/lib.sh"
plan 3
src="$top_srcdir/libcommon"
obj="$top_builddir/libcommon/nn"

# level of an nn/ module (empty outside nn/)
level_awk='
function level(m) {
    if (m !~ /^nn\//) return -1
    sub(/^nn\//, "", m)
    if (m == "params") return 0
    if (m ~ /^(linear|conv|batchnorm|pool|dropout)$/) return 1
    if (m ~ /^(mlp|resnet|fusion)$/) return 2
    return 3
}'

# cycle search over "a b" edge lines on stdin: prints one cycle per line
# (DFS with colours), nothing when acyclic
cycles_awk='
{ if ($1 != $2) { adj[$1] = adj[$1] " " $2; node[$1]; node[$2] } }
function dfs(u,    n, i, v, k, c, nb) {
    colour[u] = 1; stack[++sp] = u
    n = split(adj[u], nb, " ")
    for (i = 1; i <= n; i++) {
        v = nb[i]
        if (colour[v] == 1) {
            c = v; for (k = sp; k >= 1 && stack[k] != v; k--) c = stack[k] " -> " c
            print v " -> " c; found++
        } else if (colour[v] == 0) {
            dfs(v)
        }
    }
    colour[u] = 2; sp--
}
END { for (u in node) if (colour[u] == 0) dfs(u) }'

# 1-2: include edges "from to", modules relative to libcommon/ without extension
edges=$(cd "$src" && for f in */*.c */*.h; do
    case $f in asgml/*) continue ;; esac
    sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f" |
    while read -r inc; do
        case $inc in asgml/*) continue ;; esac
        if [ -f "$inc" ]; then to=$inc; elif [ -f "$(dirname "$f")/$inc" ]; then
            to=$(dirname "$f")/$inc; else continue; fi
        echo "${f%.*} ${to%.*}"
    done
done | sort -u)
cyc=$(echo "$edges" | awk "$cycles_awk")
if [ -z "$cyc" ]; then
    pass "include graph of libcommon/ has no cycle ($(echo "$edges" | wc -l) module edges)"
else
    fail "include cycles in libcommon/"; echo "$cyc" | sed 's/^/# /'
fi
up=$(echo "$edges" | awk "$level_awk"'
    { a = level($1); b = level($2); if (a >= 0 && b >= 0 && b > a) print $1 " includes " $2 }')
if [ -z "$up" ]; then pass "no nn/ file includes upward"
else fail "nn/ files include upward"; echo "$up" | sed 's/^/# /'; fi

# 3: call edges between nn/ objects
objs=$(ls "$obj"/*.o 2>/dev/null || ls "$obj"/.libs/*.o 2>/dev/null)
if [ -z "$objs" ] || ! command -v nm >/dev/null 2>&1; then
    echo "ok 3 # SKIP no nn/ objects or no nm"
    done_testing
fi
calls=$(for o in $objs; do
    m=$(basename "$o" .o)
    nm "$o" | awk -v m="$m" '$1 == "U" { print "U " m " " $2 } NF == 3 && $2 ~ /^[TDBR]$/ { print "D " m " " $3 }'
done | awk '$1 == "D" { def[$3] = $2 } $1 == "U" { use[NR] = $2 " " $3 }
    END { for (i in use) { split(use[i], a, " "); if (a[2] in def && def[a[2]] != a[1])
              print "nn/" a[1] " nn/" def[a[2]] } }' | sort -u)
ccyc=$(echo "$calls" | awk "$cycles_awk")
cup=$(echo "$calls" | awk "$level_awk"'
    { a = level($1); b = level($2); if (b > a) print $1 " calls " $2 }')
if [ -z "$ccyc" ] && [ -z "$cup" ]; then
    pass "call graph between nn/ objects has no cycle and no upward call ($(echo "$calls" | grep -c .) edges)"
else
    fail "nn/ call graph"; printf '%s\n%s\n' "$ccyc" "$cup" | grep . | sed 's/^/# /'
fi
done_testing
