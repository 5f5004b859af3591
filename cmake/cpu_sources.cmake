# The CPU core's sources (native/core, native/cpu, recursively) with the ISA flags of their SIMD
# kernels: files ending in _avx2.cpp / _avx512.cpp are compiled for that ISA and picked at run
# time, so one binary runs on any x86-64 CPU (scripts/list-sources.cjs does the same for
# binding.gyp). On other processors (aarch64, ...) those files are left out: the code that calls
# them is compiled only for x86 (NNLAB_X86_KERNELS in native/cpu/simd/simd.h) and the portable
# kernels run instead. Shared by the addon, the instruction-count guard, the CUDA kernel tests and
# the native CPU kernel tests (native/tests/), so all of them compile the kernels users run.
# Sets NNLAB_CPU_SOURCES and NNLAB_X86 (TRUE when the target processor is x86).
file(GLOB_RECURSE NNLAB_CPU_SOURCES CONFIGURE_DEPENDS ${NNLAB_ROOT}/native/core/*.cpp ${NNLAB_ROOT}/native/cpu/*.cpp)
# CMAKE_SYSTEM_PROCESSOR is the target's (a toolchain file sets it when cross-compiling).
string(TOLOWER "${CMAKE_SYSTEM_PROCESSOR}" nnlab_processor)
if(nnlab_processor MATCHES "^(x86_64|amd64|x64|i[3-6]86|x86)$")
  set(NNLAB_X86 TRUE)
else()
  set(NNLAB_X86 FALSE)
endif()
foreach(src ${NNLAB_CPU_SOURCES})
  # The ISA a file's name asks for: its compile flags on x86, left out of the build elsewhere.
  set(isa_flags "")
  if(src MATCHES "_avx2\\.cpp$")
    set(isa_flags "-mavx2;-mfma")
  elseif(src MATCHES "_avx512\\.cpp$")
    set(isa_flags "-mavx512f;-mavx512bw;-mavx512dq;-mavx512vl;-mfma")
  endif()
  if(isa_flags AND NNLAB_X86)
    set_source_files_properties(${src} PROPERTIES COMPILE_OPTIONS "${isa_flags}")
  elseif(isa_flags)
    list(REMOVE_ITEM NNLAB_CPU_SOURCES ${src})
  endif()
endforeach()
