# SPDX-License-Identifier: MIT
# asgml_sanitizers.m4 - --enable-sanitizers: AddressSanitizer and
# UndefinedBehaviorSanitizer over the whole build (library, tools, tests).

# AX_ASGML_SANITIZERS: with --enable-sanitizers, SANITIZER_CFLAGS =
# -fsanitize=address,undefined -fno-omit-frame-pointer
# -fno-sanitize-recover=undefined (a UBSan finding stops the program, so a
# test sees a failure, not a line on stderr) is added to CFLAGS and LDFLAGS:
# every object and every link, libtool's included (it passes -fsanitize=*
# through), gets them.  The tests' environment (tests/local.mk) then sets
# ASAN_OPTIONS, UBSAN_OPTIONS and LSAN_OPTIONS (suppressions of leaks inside
# the linked libraries: tests/lsan.supp) and ASGML_SANITIZERS=1, which the
# few tests that cannot run under ASan (virtual-memory limits) read to skip
# with a printed reason.  Not with --with-cuda (nvcc objects are not
# instrumented and ASan's shadow memory collides with the CUDA driver's).
AC_DEFUN([AX_ASGML_SANITIZERS], [
  AC_ARG_ENABLE([sanitizers],
    [AS_HELP_STRING([--enable-sanitizers],
      [build everything with AddressSanitizer and UndefinedBehaviorSanitizer (make check under them)])],
    [], [enable_sanitizers=no])
  SANITIZER_CFLAGS=""
  AS_IF([test "x$enable_sanitizers" = "xyes"], [
    SANITIZER_CFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
    asgml_save_CFLAGS=$CFLAGS
    asgml_save_LDFLAGS=$LDFLAGS
    CFLAGS="$CFLAGS $SANITIZER_CFLAGS"
    LDFLAGS="$LDFLAGS $SANITIZER_CFLAGS"
    AC_MSG_CHECKING([whether $CC builds and links with $SANITIZER_CFLAGS])
    AC_LINK_IFELSE([AC_LANG_PROGRAM([[#include <stdlib.h>]],
                                    [[char *p = malloc(4); p[0] = 1; free(p);]])],
      [AC_MSG_RESULT([yes])],
      [AC_MSG_RESULT([no])
       AC_MSG_ERROR([--enable-sanitizers: $CC cannot build with $SANITIZER_CFLAGS (Debian: gcc with libasan and libubsan)])])
  ])
  AC_SUBST([SANITIZER_CFLAGS])
  AM_CONDITIONAL([ASGML_SANITIZERS], [test "x$enable_sanitizers" = "xyes"])
])
