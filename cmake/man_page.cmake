# Writes livekv.1.gz from the built binary's --help and --version with help2man, so the man page
# is the help text and cannot drift from it. Run by cmake/packaging.cmake at build time:
#   cmake -DHELP2MAN=... -DBINARY=... -DINCLUDE=... -DOUTPUT=.../livekv.1.gz -P man_page.cmake
execute_process(
  COMMAND "${HELP2MAN}" --no-info --section=1 --source=livekv
          "--name=a key-value server that speaks HTTP" "--include=${INCLUDE}" "${BINARY}"
  OUTPUT_VARIABLE page
  ERROR_VARIABLE err
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "help2man failed (${rc}): ${err}")
endif()

# --help opens with its own name line, which NAME already says (the paragraph before it is the
# include file's).
string(REGEX REPLACE "\n\\.PP\nlivekv \\\\- [^\n]*\n" "\n" page "${page}")
# help2man fills indented lines into one paragraph: the example commands are kept as typed, and
# each item of a numbered list starts its own line.
string(REGEX REPLACE "\n\\.IP\n((curl [^\n]*\n)+)" "\n.IP\n.nf\n\\1.fi\n" page "${page}")
string(REGEX REPLACE "\n([0-9]+\\. )" "\n.br\n\\1" page "${page}")
# A line of --help that ends in ':' is not a subsection, only the lead-in to what follows.
string(REGEX REPLACE "\n\\.SS \"([^\"\n]*)\"\n" "\n.PP\n\\1\n" page "${page}")

string(REGEX REPLACE "\\.gz$" "" plain "${OUTPUT}")
file(WRITE "${plain}" "${page}")
# -n: no name or time stamp in the gzip header, so the same page gives the same bytes (Debian
# ships man pages compressed this way).
execute_process(COMMAND gzip -9nf "${plain}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "gzip ${plain} failed")
endif()
