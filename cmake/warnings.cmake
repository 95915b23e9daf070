# Warnings as an INTERFACE target linked PRIVATE: nothing touches the global flags, third-party
# headers stay quiet because they are included as SYSTEM.
add_library(livekv_warnings INTERFACE)
target_compile_options(livekv_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Woverloaded-virtual -Wimplicit-fallthrough -Wformat=2)
