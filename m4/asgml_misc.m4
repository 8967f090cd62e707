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
