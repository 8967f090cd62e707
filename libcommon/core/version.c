/* SPDX-License-Identifier: MIT */
/* version.c - library version and compiled-in features (asgml/common.h). */
#include "config.h"

#include "asgml/common.h"

#ifdef ASGML_HAVE_CUDA
#define FEATURE_CUDA "cuda=yes"
#else
#define FEATURE_CUDA "cuda=no"
#endif
#ifdef ASGML_HAVE_CUDNN
#define FEATURE_CUDNN "cudnn=yes"
#else
#define FEATURE_CUDNN "cudnn=no"
#endif
#ifdef _OPENMP
#define FEATURE_THREADS "threads=openmp+pthreads"
#else
#define FEATURE_THREADS "threads=pthreads"
#endif

const char *asgml_version(void)
{
    return PACKAGE_VERSION;
}

const char *asgml_features(void)
{
    return FEATURE_CUDA " " FEATURE_CUDNN " blas=" ASGML_BLAS_NAME " " FEATURE_THREADS
           " hdf5=yes sndfile=yes fftw3f=yes png=yes jpeg=yes";
}
