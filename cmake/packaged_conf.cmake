# Writes the packaged livekv.conf: the package's header (packaging/livekv.conf.head: the Debian
# settings, uncommented), then `livekv --config-template` from the built binary (every other
# setting, explained, at its default), so the file lists exactly the settings this binary has.
# Run by cmake/packaging.cmake at build time:
#   cmake -DBINARY=... -DHEAD=... -DOUTPUT=... -P packaged_conf.cmake
execute_process(
  COMMAND "${BINARY}" --config-template
  OUTPUT_VARIABLE template
  ERROR_VARIABLE err
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${BINARY} --config-template failed (${rc}): ${err}")
endif()
file(READ "${HEAD}" head)
file(WRITE "${OUTPUT}" "${head}\n${template}")
