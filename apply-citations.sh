#!/bin/sh
# apply-citations.sh - replace the citations of files outside the package
# (methods.md, datasets.md, shared/spec, seeds/) by the sections of the
# manual pages and the published sources that now hold that content.
#
# Usage: sh apply-citations.sh [TOP]   (TOP: the source tree, default .)
# Reads TOP/citation-map.tsv: KEY<TAB>REPLACEMENT per line.  Keys are
# literal strings, applied longest first; a key matches only where it is
# not followed by a further section number ("methods.md 4" leaves
# "methods.md 4.2" alone).  Rewrites files under libcommon tools tests
# bench data-recipes in place, then prints every citation that is left
# (exit 1 if any).
set -e
top=${1:-.}
cd "$top"
python3 - citation-map.tsv libcommon tools tests bench data-recipes <<'PY'
import os, re, sys
pairs = []
with open(sys.argv[1], encoding="utf-8") as f:
    for n, line in enumerate(f, 1):
        line = line.rstrip("\n")
        if not line or line.startswith("#"):
            continue
        k, sep, v = line.partition("\t")
        if not sep or not k:
            sys.exit("citation-map.tsv:%d: need KEY<TAB>REPLACEMENT" % n)
        pairs.append((k, v))
pairs.sort(key=lambda kv: -len(kv[0]))
pats = [(re.compile(re.escape(k) + r"(?![0-9]|[.-][0-9])"), v) for k, v in pairs]
changed = 0
for root in sys.argv[2:]:
    for d, dirs, files in os.walk(root):
        dirs[:] = [x for x in dirs if not x.startswith(".")]
        for name in files:
            p = os.path.join(d, name)
            try:
                with open(p, encoding="utf-8") as f:
                    s = f.read()
            except (UnicodeDecodeError, OSError):
                continue
            if "methods.md" not in s and "datasets.md" not in s:
                continue
            t = s
            for rx, v in pats:
                t = rx.sub(lambda m, v=v: v, t)
            if t != s:
                with open(p, "w", encoding="utf-8") as f:
                    f.write(t)
                changed += 1
print("apply-citations: %d files rewritten" % changed)
PY
left=$(grep -rn 'methods\.md\|datasets\.md\|seeds/\|shared/spec' \
    libcommon tools tests bench data-recipes man README HACKING NEWS 2>/dev/null || true)
if [ -n "$left" ]; then
    printf '%s\n' "$left"
    echo "apply-citations: $(printf '%s\n' "$left" | wc -l) citations left" >&2
    exit 1
fi
echo "apply-citations: no citation outside the package left"
