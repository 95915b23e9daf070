# Sanitizers as an INTERFACE target: every target of the project links it, so a sanitizer build
# instruments the library, the binary and the tests alike.
add_library(livekv_sanitizers INTERFACE)
if(LIVEKV_SANITIZER STREQUAL "address")
  target_compile_options(livekv_sanitizers INTERFACE
    -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  target_link_options(livekv_sanitizers INTERFACE -fsanitize=address,undefined)
elseif(LIVEKV_SANITIZER STREQUAL "thread")
  target_compile_options(livekv_sanitizers INTERFACE -fsanitize=thread -fno-omit-frame-pointer
    -Wno-tsan)  # Asio uses atomic_thread_fence, which TSan cannot model; GCC warns on every use
  target_link_options(livekv_sanitizers INTERFACE -fsanitize=thread)
elseif(NOT LIVEKV_SANITIZER STREQUAL "")
  message(FATAL_ERROR "LIVEKV_SANITIZER must be '', 'address' or 'thread', not '${LIVEKV_SANITIZER}'")
endif()

# libFuzzer (clang only, on top of ASan+UBSan): every target is instrumented for coverage
# (-fsanitize=fuzzer-no-link), so the fuzzer sees the branches of the library it drives; only the
# fuzz targets (tests/fuzz) link libFuzzer's main, with -fsanitize=fuzzer.
if(LIVEKV_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang" OR NOT LIVEKV_SANITIZER STREQUAL "address")
    message(FATAL_ERROR "LIVEKV_FUZZ needs clang++ and LIVEKV_SANITIZER=address (the clang-fuzz preset)")
  endif()
  target_compile_options(livekv_sanitizers INTERFACE -fsanitize=fuzzer-no-link)
  target_link_options(livekv_sanitizers INTERFACE -fsanitize=fuzzer-no-link)
endif()
