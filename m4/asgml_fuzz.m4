# SPDX-License-Identifier: MIT
# asgml_fuzz.m4 - --enable-fuzz: libFuzzer harnesses (fuzz/, HACKING, Fuzzing).

# AX_ASGML_FUZZ: with --enable-fuzz, CC must be clang with libFuzzer and
# the ASan/UBSan runtimes (Debian: clang, libclang-rt-14-dev).  Then every
# object of the build is compiled with -fsanitize=fuzzer-no-link,address,
# undefined (coverage for libFuzzer, sanitizers that stop at the first
# error; -Wno-pass-failed: the vectorisation pragmas of cpu/ cannot be
# honoured with the instrumentation) and FUZZ_LDFLAGS = -fsanitize=fuzzer links libFuzzer's main into
# the harnesses.  Called after every library check, so those run without
# the sanitizers.  Meant for a build directory of its own:
#   mkdir build-fuzz && cd build-fuzz && ../configure --enable-fuzz CC=clang
AC_DEFUN([AX_ASGML_FUZZ], [
  AC_ARG_ENABLE([fuzz],
    [AS_HELP_STRING([--enable-fuzz],
      [build the libFuzzer harnesses with ASan+UBSan (`make fuzz', `make fuzz-run'); needs CC=clang])],
    [], [enable_fuzz=no])
  FUZZ_CFLAGS=""
  FUZZ_LDFLAGS=""
  AS_IF([test "x$enable_fuzz" = xyes], [
    asgml_fuzz_cflags="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g -Wno-pass-failed"
    asgml_save_CFLAGS=$CFLAGS
    asgml_save_LDFLAGS=$LDFLAGS
    CFLAGS="$CFLAGS $asgml_fuzz_cflags"
    LDFLAGS="$LDFLAGS -fsanitize=fuzzer,address,undefined"
    AC_MSG_CHECKING([whether $CC builds libFuzzer harnesses with ASan+UBSan])
    AC_LINK_IFELSE([AC_LANG_SOURCE([[
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { return n > 0 && d[0] == 1; }
]])], [AC_MSG_RESULT([yes])],
      [AC_MSG_RESULT([no])
       AC_MSG_ERROR([--enable-fuzz needs clang with libFuzzer, ASan and UBSan: configure --enable-fuzz CC=clang (Debian: apt-get install clang libclang-rt-14-dev); $CC cannot link -fsanitize=fuzzer,address,undefined])])
    CFLAGS="$asgml_save_CFLAGS $asgml_fuzz_cflags"
    LDFLAGS="$asgml_save_LDFLAGS -fsanitize=address,undefined"
    FUZZ_CFLAGS=$asgml_fuzz_cflags
    FUZZ_LDFLAGS="-fsanitize=fuzzer"
  ])
  AC_SUBST([FUZZ_CFLAGS])
  AC_SUBST([FUZZ_LDFLAGS])
  AM_CONDITIONAL([ENABLE_FUZZ], [test "x$enable_fuzz" = xyes])
])
