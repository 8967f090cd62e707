# SPDX-License-Identifier: MIT
## tests/api.mk - the shared library exports the public API and nothing else
## (nm -D against libcommon/asgml/*.h).
TESTS += tests/api-symbols.sh
EXTRA_DIST += tests/api-symbols.sh
# every source file carries its licence line (README, Licence)
TESTS += tests/spdx.sh
EXTRA_DIST += tests/spdx.sh
