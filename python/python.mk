# SPDX-License-Identifier: MIT
## python/python.mk - the asgml_torch module (asgml-python(7)): asgml
## checkpoints <-> PyTorch state_dicts.  Installed under pythondir when
## configure found a python3 (AM_PATH_PYTHON); make check never runs Python:
## `make check-python` runs tests/torch-interop.py (python3 with torch,
## numpy and h5py; it skips without them).
if HAVE_PYTHON
python_PYTHON = python/asgml_torch.py
endif
EXTRA_DIST += python/asgml_torch.py tests/torch-interop.py tests/torch-interop.sh

check-python: all tests/probe-mkstore$(EXEEXT)
	$(AM_V_GEN)top_srcdir=$(top_srcdir) top_builddir=$(top_builddir) \
	PYTHON3="$(PYTHON3)" $(SHELL) $(top_srcdir)/tests/torch-interop.sh
.PHONY: check-python
