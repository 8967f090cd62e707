# asgml_misc.m4 - warnings and threads for asgml.

# AX_ASGML_WARNINGS: WARN_CFLAGS = -Wall -Wextra (+ a few more) when the
# compiler accepts them; --enable-werror turns warnings into errors.
AC_DEFUN([AX_ASGML_WARNINGS], [
  AC_ARG_ENABLE([werror],
    [AS_HELP_STRING([--enable-werror], [treat compiler warnings as errors])],
    [], [enable_werror=no])
  WARN_CFLAGS=""
  asgml_save_CFLAGS=$CFLAGS
  for flag in -Wall -Wextra -Wformat=2 -Wshadow=local -Wmissing-prototypes -Wno-unused-parameter; do
    CFLAGS="$asgml_save_CFLAGS -Werror $flag"
    AC_MSG_CHECKING([whether $CC accepts $flag])
    AC_COMPILE_IFELSE([AC_LANG_PROGRAM([], [])],
      [AC_MSG_RESULT([yes]); WARN_CFLAGS="$WARN_CFLAGS $flag"],
      [AC_MSG_RESULT([no])])
  done
  CFLAGS=$asgml_save_CFLAGS
  AS_IF([test "x$enable_werror" = "xyes"], [WARN_CFLAGS="$WARN_CFLAGS -Werror"])
  AC_SUBST([WARN_CFLAGS])
])

# AX_ASGML_PTHREAD: PTHREAD_CFLAGS / PTHREAD_LIBS for POSIX threads.
AC_DEFUN([AX_ASGML_PTHREAD], [
  AC_CHECK_HEADER([pthread.h], [], [AC_MSG_ERROR([POSIX threads (pthread.h) are required])])
  PTHREAD_CFLAGS=""
  PTHREAD_LIBS=""
  asgml_save_CFLAGS=$CFLAGS
  asgml_save_LIBS=$LIBS
  CFLAGS="$CFLAGS -pthread"
  AC_MSG_CHECKING([whether $CC accepts -pthread])
  AC_LINK_IFELSE([AC_LANG_PROGRAM([[#include <pthread.h>]],
                                  [[pthread_t t; pthread_create(&t, 0, 0, 0); pthread_join(t, 0);]])],
    [AC_MSG_RESULT([yes]); PTHREAD_CFLAGS=-pthread; PTHREAD_LIBS=-pthread],
    [AC_MSG_RESULT([no])
     CFLAGS=$asgml_save_CFLAGS
     AC_CHECK_LIB([pthread], [pthread_create], [PTHREAD_LIBS=-lpthread],
                  [AC_MSG_ERROR([cannot link POSIX threads])])])
  CFLAGS=$asgml_save_CFLAGS
  LIBS=$asgml_save_LIBS
  AC_SUBST([PTHREAD_CFLAGS])
  AC_SUBST([PTHREAD_LIBS])
])

# AX_ASGML_VISIBILITY: VISIBILITY_CFLAGS = -fvisibility=hidden when the
# compiler accepts it (and the visibility attribute), so that libasgml
# exports only what asgml/common.h's ASGML_BEGIN_DECLS / ASGML_API mark;
# NVCC_VISIBILITY passes the same to nvcc's host compiler.
AC_DEFUN([AX_ASGML_VISIBILITY], [
  VISIBILITY_CFLAGS=""
  NVCC_VISIBILITY=""
  asgml_save_CFLAGS=$CFLAGS
  CFLAGS="$asgml_save_CFLAGS -Werror -fvisibility=hidden"
  AC_MSG_CHECKING([whether $CC accepts -fvisibility=hidden])
  AC_COMPILE_IFELSE([AC_LANG_PROGRAM([
      extern __attribute__((visibility("default"))) int asgml_f(void);
      _Pragma("GCC visibility push(default)")
      int asgml_g(void);
      _Pragma("GCC visibility pop")], [])],
    [AC_MSG_RESULT([yes]); VISIBILITY_CFLAGS="-fvisibility=hidden"
     NVCC_VISIBILITY="-Xcompiler -fvisibility=hidden"],
    [AC_MSG_RESULT([no])])
  CFLAGS=$asgml_save_CFLAGS
  AC_SUBST([VISIBILITY_CFLAGS])
  AC_SUBST([NVCC_VISIBILITY])
])
