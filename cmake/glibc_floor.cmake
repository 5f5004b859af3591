# The glibc floor of the prebuilt binaries (GLIBC_2.27, docs/building.md): links
# native/compat/glibc_floor.cpp into TARGET with one --wrap flag per NN_PIN/NN_OWN line of that
# file, plus libpthread/libdl/librt as needed libraries (on glibc < 2.34 the pinned symbols live
# there; on newer ones they are empty stubs). x86-64 glibc only, and not under the sanitizers,
# whose interceptors must see the plain symbols.
function(nnlab_glibc_floor TARGET)
  set(src ${NNLAB_ROOT}/native/compat/glibc_floor.cpp)
  file(STRINGS ${src} lines REGEX "^NN_(PIN|OWN)\\(")
  set(flags)
  foreach(line ${lines})
    string(REGEX REPLACE "^NN_(PIN|OWN)\\(([A-Za-z0-9_]+).*" "\\2" sym "${line}")
    list(APPEND flags "-Wl,--wrap=${sym}")
  endforeach()
  target_sources(${TARGET} PRIVATE ${src})
  target_link_options(${TARGET} PRIVATE ${flags} -Wl,--no-as-needed -l:libpthread.so.0 -l:libdl.so.2 -l:librt.so.1 -Wl,--as-needed)
endfunction()
