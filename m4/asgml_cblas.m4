# asgml_cblas.m4 - find a CBLAS (OpenBLAS preferred).
#
# Debian ships openblas.pc but no cblas.pc, so check the header and a link
# of cblas_sgemm ourselves.  --with-blas=NAME picks -lNAME.  Sets CBLAS_CFLAGS,
# CBLAS_LIBS and asgml_blas_name; defines ASGML_BLAS_NAME.
AC_DEFUN([AX_ASGML_CBLAS], [
  AC_ARG_WITH([blas],
    [AS_HELP_STRING([--with-blas=LIB], [CBLAS library to link (-lLIB); default: openblas, then cblas, then blas])],
    [], [with_blas=auto])
  AC_ARG_VAR([CBLAS_CFLAGS], [C compiler flags for CBLAS])
  AC_ARG_VAR([CBLAS_LIBS], [linker flags for CBLAS])
  asgml_blas_name=""
  AS_IF([test -n "$CBLAS_LIBS"], [asgml_blas_try="user"],
        [test "x$with_blas" != "xauto"], [asgml_blas_try="$with_blas"],
        [asgml_blas_try="pc:openblas openblas cblas blas"])
  for cand in $asgml_blas_try; do
    case $cand in
      user) asgml_name=user ;;
      pc:*) pcname=${cand#pc:}
            AS_IF([test -n "$PKG_CONFIG" && $PKG_CONFIG --exists $pcname],
                  [CBLAS_CFLAGS=`$PKG_CONFIG --cflags $pcname`; CBLAS_LIBS=`$PKG_CONFIG --libs $pcname`],
                  [continue])
            asgml_name=$pcname ;;
      *) CBLAS_LIBS="-l$cand"; asgml_name=$cand ;;
    esac
    asgml_save_CPPFLAGS=$CPPFLAGS
    asgml_save_LIBS=$LIBS
    CPPFLAGS="$CPPFLAGS $CBLAS_CFLAGS"
    LIBS="$CBLAS_LIBS $LIBS"
    AC_MSG_CHECKING([for cblas_sgemm in $CBLAS_LIBS])
    AC_LINK_IFELSE([AC_LANG_PROGRAM([[#include <cblas.h>]],
        [[float a = 1, b = 1, c = 0;
          cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 1, 1, 1, 1.0f, &a, 1, &b, 1, 0.0f, &c, 1);]])],
      [AC_MSG_RESULT([yes]); asgml_blas_name=$asgml_name],
      [AC_MSG_RESULT([no])])
    CPPFLAGS=$asgml_save_CPPFLAGS
    LIBS=$asgml_save_LIBS
    AS_IF([test -n "$asgml_blas_name"], [break])
  done
  AS_IF([test -z "$asgml_blas_name"],
        [AC_MSG_ERROR([no CBLAS found: cblas.h and cblas_sgemm are required (Debian: apt-get install libopenblas-dev)])])
  AC_DEFINE_UNQUOTED([ASGML_BLAS_NAME], ["$asgml_blas_name"], [CBLAS implementation linked])
  AC_SUBST([CBLAS_CFLAGS])
  AC_SUBST([CBLAS_LIBS])
])
