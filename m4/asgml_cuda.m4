# asgml_cuda.m4 - optional CUDA (runtime + cuBLAS) and cuDNN.
#
# --with-cuda[=auto|yes|no|PREFIX]  default auto: on when nvcc, cudart and
#                                    cuBLAS are all found (PREFIX, then
#                                    $CUDA_HOME, /usr/local/cuda, PATH).
# --with-cudnn[=auto|yes|no|PREFIX] default auto (needs CUDA): on when
#                                    cudnn.h has CUDNN_MAJOR >= 8 and
#                                    -lcudnn links.
# "yes" fails when the feature is missing; "auto" reports and goes on.
# No GPU program is ever run: detection only compiles and links.
# CUDA_GENCODE (precious) overrides the -gencode list.  The default covers
# sm_70..sm_90 as far as this nvcc supports them, plus compute_90 PTX.
# Sets NVCC, NVCCFLAGS, CUDA_CFLAGS, CUDA_LIBS, CUDNN_LIBS; conditionals
# HAVE_CUDA, HAVE_CUDNN; defines ASGML_HAVE_CUDA, ASGML_HAVE_CUDNN.
AC_DEFUN([AX_ASGML_CUDA], [
  AC_ARG_WITH([cuda],
    [AS_HELP_STRING([--with-cuda@<:@=auto|yes|no|PREFIX@:>@], [build the CUDA backend (default: auto)])],
    [], [with_cuda=auto])
  AC_ARG_WITH([cudnn],
    [AS_HELP_STRING([--with-cudnn@<:@=auto|yes|no|PREFIX@:>@], [use cuDNN in the CUDA backend (default: auto)])],
    [], [with_cudnn=auto])
  AC_ARG_VAR([NVCC], [CUDA compiler])
  AC_ARG_VAR([NVCCFLAGS], [extra flags for nvcc])
  AC_ARG_VAR([CUDA_GENCODE], [nvcc -gencode list (default: sm_70..sm_90 supported by nvcc, plus PTX)])

  asgml_have_cuda=no
  asgml_have_cudnn=no
  asgml_cuda_note=""
  asgml_cudnn_note=""
  CUDA_CFLAGS=""
  CUDA_LIBS=""
  CUDNN_LIBS=""

  AS_CASE([$with_cuda],
    [no], [asgml_cuda_note="(disabled)"],
    [yes|auto], [asgml_cuda_prefixes="$CUDA_HOME /usr/local/cuda /opt/cuda"
                 asgml_cuda_prefixes=`echo $asgml_cuda_prefixes`],
    [asgml_cuda_prefixes="$with_cuda/bin"; asgml_cuda_explicit=yes; with_cuda=yes])

  AS_IF([test "x$with_cuda" != "xno"], [
    asgml_cuda_prefix=""
    AS_IF([test -n "$NVCC"], [
      dnl the user named the compiler: it must exist
      AS_IF([test -x "$NVCC" || command -v "$NVCC" >/dev/null 2>&1], [],
            [asgml_cuda_bad_nvcc="$NVCC"; NVCC=""])
    ], [
      for p in $asgml_cuda_prefixes; do
        p=${p%/bin}
        AS_IF([test -x "$p/bin/nvcc"], [NVCC="$p/bin/nvcc"; asgml_cuda_prefix=$p; break])
      done
      dnl PATH only when no explicit PREFIX was given
      AS_IF([test -z "$NVCC" && test "x$asgml_cuda_explicit" != "xyes"],
            [AC_PATH_PROG([NVCC], [nvcc], [])
             asgml_cuda_pathnote=", nor in PATH"])
    ])
    AS_IF([test -n "$NVCC" && test -z "$asgml_cuda_prefix"],
          [asgml_cuda_prefix=`AS_DIRNAME(["$NVCC"])`
           asgml_cuda_prefix=`AS_DIRNAME(["$asgml_cuda_prefix"])`])
    AS_IF([test -z "$NVCC"], [
      asgml_cuda_note="(nvcc not found)"
      AS_IF([test "x$with_cuda" = "xyes"],
            [AC_MSG_ERROR([--with-cuda was given but nvcc was not found${asgml_cuda_bad_nvcc:+ (NVCC=$asgml_cuda_bad_nvcc)} in $asgml_cuda_prefixes$asgml_cuda_pathnote; install the CUDA toolkit, or give --with-cuda=PREFIX or NVCC=/path/to/nvcc])])
    ], [
      CUDA_CFLAGS="-I$asgml_cuda_prefix/include"
      asgml_cuda_libdir="$asgml_cuda_prefix/lib64"
      AS_IF([test -d "$asgml_cuda_libdir"], [], [asgml_cuda_libdir="$asgml_cuda_prefix/lib"])
      asgml_save_CPPFLAGS=$CPPFLAGS
      asgml_save_LIBS=$LIBS
      CPPFLAGS="$CPPFLAGS $CUDA_CFLAGS"
      LIBS="-L$asgml_cuda_libdir -lcublas -lcudart $LIBS"
      AC_MSG_CHECKING([for cudart and cuBLAS in $asgml_cuda_libdir])
      AC_LINK_IFELSE([AC_LANG_PROGRAM([[#include <cuda_runtime_api.h>
#include <cublas_v2.h>]],
          [[int n = 0; cublasHandle_t h; cudaGetDeviceCount(&n); cublasCreate(&h);]])],
        [AC_MSG_RESULT([yes]); asgml_have_cuda=yes],
        [AC_MSG_RESULT([no]); asgml_cuda_note="(cudart/cuBLAS not found)"])
      CPPFLAGS=$asgml_save_CPPFLAGS
      LIBS=$asgml_save_LIBS
      AS_IF([test "x$asgml_have_cuda" != "xyes" && test "x$with_cuda" = "xyes"],
            [AC_MSG_ERROR([--with-cuda was given but cudart/cuBLAS do not link from $asgml_cuda_libdir])])
    ])
  ])

  AS_IF([test "x$asgml_have_cuda" = "xyes"], [
    CUDA_LIBS="-L$asgml_cuda_libdir -Wl,-rpath,$asgml_cuda_libdir -lcublas -lcudart -lstdc++"
    asgml_cuda_note="($NVCC)"
    AS_IF([test -z "$CUDA_GENCODE"], [
      asgml_codes=`$NVCC --list-gpu-code 2>/dev/null`
      for a in 70 75 80 86 89 90; do
        AS_IF([test -z "$asgml_codes" || echo "$asgml_codes" | grep -qx "sm_$a"],
              [CUDA_GENCODE="$CUDA_GENCODE -gencode arch=compute_$a,code=sm_$a"])
      done
      CUDA_GENCODE="$CUDA_GENCODE -gencode arch=compute_90,code=compute_90"
    ])
    dnl cuDNN
    AS_CASE([$with_cudnn],
      [no], [asgml_cudnn_note="(disabled)"],
      [yes|auto], [asgml_cudnn_inc="$asgml_cuda_prefix/include"; asgml_cudnn_lib="$asgml_cuda_libdir"],
      [asgml_cudnn_inc="$with_cudnn/include"; asgml_cudnn_lib="$with_cudnn/lib64"
       AS_IF([test -d "$asgml_cudnn_lib"], [], [asgml_cudnn_lib="$with_cudnn/lib"])
       with_cudnn=yes])
    AS_IF([test "x$with_cudnn" != "xno"], [
      asgml_save_CPPFLAGS=$CPPFLAGS
      asgml_save_LIBS=$LIBS
      CPPFLAGS="$CPPFLAGS -I$asgml_cudnn_inc $CUDA_CFLAGS"
      LIBS="-L$asgml_cudnn_lib -lcudnn $LIBS"
      AC_MSG_CHECKING([for cuDNN >= 8])
      AC_LINK_IFELSE([AC_LANG_PROGRAM([[#include <cudnn.h>
#if CUDNN_MAJOR < 8
#error cuDNN 8 or newer is required
#endif]], [[cudnnHandle_t h; cudnnCreate(&h); (void)cudnnGetVersion();]])],
        [AC_MSG_RESULT([yes]); asgml_have_cudnn=yes],
        [AC_MSG_RESULT([no]); asgml_cudnn_note="(cudnn.h with CUDNN_MAJOR >= 8 and -lcudnn not found)"])
      CPPFLAGS=$asgml_save_CPPFLAGS
      LIBS=$asgml_save_LIBS
      AS_IF([test "x$asgml_have_cudnn" = "xyes"],
            [CUDA_CFLAGS="$CUDA_CFLAGS -I$asgml_cudnn_inc"
             CUDNN_LIBS="-L$asgml_cudnn_lib -Wl,-rpath,$asgml_cudnn_lib -lcudnn"],
            [AS_IF([test "x$with_cudnn" = "xyes"],
                   [AC_MSG_ERROR([--with-cudnn was given but cuDNN >= 8 was not found])])])
    ])
  ], [
    AS_IF([test "x$with_cudnn" = "xyes"], [AC_MSG_ERROR([--with-cudnn requires CUDA (--with-cuda)])])
    AS_IF([test "x$with_cudnn" != "xno"], [asgml_cudnn_note="(needs CUDA)"])
  ])

  AS_IF([test "x$asgml_have_cuda" = "xyes"],
        [AC_DEFINE([ASGML_HAVE_CUDA], [1], [Define if the CUDA backend is built])])
  AS_IF([test "x$asgml_have_cudnn" = "xyes"],
        [AC_DEFINE([ASGML_HAVE_CUDNN], [1], [Define if cuDNN is used])])
  AM_CONDITIONAL([HAVE_CUDA], [test "x$asgml_have_cuda" = "xyes"])
  AM_CONDITIONAL([HAVE_CUDNN], [test "x$asgml_have_cudnn" = "xyes"])
  AC_SUBST([CUDA_CFLAGS])
  AC_SUBST([CUDA_LIBS])
  AC_SUBST([CUDNN_LIBS])
  AC_SUBST([CUDA_GENCODE])
])
