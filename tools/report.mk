## tools/report.mk - (fragment, filled by its part)
