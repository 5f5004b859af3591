# The CPU core's sources (native/core, native/cpu, recursively) with the ISA flags of their SIMD
# kernels: files ending in _avx2.cpp / _avx512.cpp are compiled for that ISA and picked at run
# time, so one binary runs on any x86-64 CPU (scripts/list-sources.cjs does the same for
# binding.gyp). Shared by the addon, the instruction-count guard and the CUDA kernel tests, so
# all three compile the kernels users run. Sets NNLAB_CPU_SOURCES.
file(GLOB_RECURSE NNLAB_CPU_SOURCES CONFIGURE_DEPENDS ${NNLAB_ROOT}/native/core/*.cpp ${NNLAB_ROOT}/native/cpu/*.cpp)
foreach(src ${NNLAB_CPU_SOURCES})
  if(src MATCHES "_avx2\\.cpp$")
    set_source_files_properties(${src} PROPERTIES COMPILE_OPTIONS "-mavx2;-mfma")
  elseif(src MATCHES "_avx512\\.cpp$")
    set_source_files_properties(${src} PROPERTIES COMPILE_OPTIONS "-mavx512f;-mavx512bw;-mavx512dq;-mavx512vl;-mfma")
  endif()
endforeach()
