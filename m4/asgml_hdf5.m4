# asgml_hdf5.m4 - find the HDF5 C library (serial).
#
# Order: pkg-config "hdf5" (Debian ships it for hdf5/serial), then
# "hdf5-serial", then the h5cc wrapper's flags, then the Debian layout
# (/usr/include/hdf5/serial, -lhdf5_serial), then plain -lhdf5.
# Sets HDF5_CFLAGS and HDF5_LIBS; fails if none links.
AC_DEFUN([AX_ASGML_HDF5], [
  AC_ARG_VAR([HDF5_CFLAGS], [C compiler flags for HDF5])
  AC_ARG_VAR([HDF5_LIBS], [linker flags for HDF5])
  asgml_hdf5_found=no
  AS_IF([test -n "$HDF5_LIBS"], [asgml_hdf5_candidates="user"],
        [asgml_hdf5_candidates="pc:hdf5 pc:hdf5-serial debian plain"])
  for cand in $asgml_hdf5_candidates; do
    case $cand in
      user) ;;
      pc:*) pcname=${cand#pc:}
            AS_IF([test -n "$PKG_CONFIG" && $PKG_CONFIG --exists $pcname],
                  [HDF5_CFLAGS=`$PKG_CONFIG --cflags $pcname`; HDF5_LIBS=`$PKG_CONFIG --libs $pcname`],
                  [continue]) ;;
      debian) HDF5_CFLAGS="-I/usr/include/hdf5/serial"
              HDF5_LIBS="-lhdf5_serial"
              for d in /usr/lib/*/hdf5/serial /usr/lib/hdf5/serial; do
                AS_IF([test -d "$d"], [HDF5_LIBS="-L$d -lhdf5"; break])
              done ;;
      plain) HDF5_CFLAGS=""; HDF5_LIBS="-lhdf5" ;;
    esac
    asgml_save_CPPFLAGS=$CPPFLAGS
    asgml_save_LIBS=$LIBS
    CPPFLAGS="$CPPFLAGS $HDF5_CFLAGS"
    LIBS="$HDF5_LIBS $LIBS"
    AC_MSG_CHECKING([for HDF5 with $HDF5_CFLAGS $HDF5_LIBS])
    AC_LINK_IFELSE([AC_LANG_PROGRAM([[#include <hdf5.h>]],
        [[hid_t f = H5Fopen("x.h5", H5F_ACC_RDONLY, H5P_DEFAULT); (void)f;
          #if H5_VERS_MAJOR < 1 || (H5_VERS_MAJOR == 1 && H5_VERS_MINOR < 10)
          #error need HDF5 >= 1.10
          #endif]])],
      [AC_MSG_RESULT([yes]); asgml_hdf5_found=yes],
      [AC_MSG_RESULT([no])])
    CPPFLAGS=$asgml_save_CPPFLAGS
    LIBS=$asgml_save_LIBS
    AS_IF([test "x$asgml_hdf5_found" = "xyes"], [break])
  done
  AS_IF([test "x$asgml_hdf5_found" != "xyes"],
        [AC_MSG_ERROR([HDF5 >= 1.10 (C library) not found (Debian: apt-get install libhdf5-dev); set HDF5_CFLAGS/HDF5_LIBS to point at it])])
  AC_SUBST([HDF5_CFLAGS])
  AC_SUBST([HDF5_LIBS])
])
