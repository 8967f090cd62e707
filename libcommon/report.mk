## libcommon/report.mk - (fragment, filled by its part)
