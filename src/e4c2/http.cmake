# e4c2's HTTP/JSON API (docs/e4c2-openapi.json). Three libraries:
#   e4c2_api   request parsing, the route table, JSON rendering, the embedded
#              OpenAPI document: no libmicrohttpd, no store calls (unit tests
#              and fuzz/fuzz_e4c2_api.c link it)
#   e4c2_metrics  metrics.h's counters and their Prometheus text
#   e4c2_http  the server (libmicrohttpd) and the handlers; needs the store
#              (store.h) at link time
if(NOT TARGET PkgConfig::JANSSON)
  message(WARNING "jansson not found: e4c2's HTTP API is not built")
  return()
endif()

# docs/e4c2-openapi.json as a C string, regenerated when the file changes.
set(E4C2_OPENAPI_JSON ${PROJECT_SOURCE_DIR}/docs/e4c2-openapi.json)
add_custom_command(
  OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/openapi_doc.c
  COMMAND ${CMAKE_COMMAND} -DIN=${E4C2_OPENAPI_JSON} -DOUT=${CMAKE_CURRENT_BINARY_DIR}/openapi_doc.c
          -DNAME=e4c2_openapi_json -DHEADER=openapi_doc.h
          -P ${CMAKE_CURRENT_LIST_DIR}/embed_file.cmake
  DEPENDS ${E4C2_OPENAPI_JSON} ${CMAKE_CURRENT_LIST_DIR}/embed_file.cmake
  COMMENT "Embedding docs/e4c2-openapi.json"
  VERBATIM)

add_library(e4c2_api STATIC
  ${CMAKE_CURRENT_LIST_DIR}/api_parse.c
  ${CMAKE_CURRENT_LIST_DIR}/api_body.c
  ${CMAKE_CURRENT_LIST_DIR}/api_route.c
  ${CMAKE_CURRENT_LIST_DIR}/api_json.c
  ${CMAKE_CURRENT_LIST_DIR}/errors.c
  ${CMAKE_CURRENT_LIST_DIR}/ui_files.c
  ${CMAKE_CURRENT_BINARY_DIR}/openapi_doc.c)
target_include_directories(e4c2_api PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(e4c2_api PUBLIC e4c2_suite e4_static e4mqtt PkgConfig::JANSSON)

# metrics.h's counters and /metrics text: bumped by the store and the
# publisher too (link e4c2_metrics from there); reads gauges via store_status.
add_library(e4c2_metrics STATIC ${CMAKE_CURRENT_LIST_DIR}/metrics.c)
target_include_directories(e4c2_metrics PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(e4c2_metrics PUBLIC e4c2_api e4_static)   # e4c2_api: the enums' names

if(NOT TARGET PkgConfig::MHD)
  message(WARNING "libmicrohttpd not found: e4c2's HTTP server is not built")
  return()
endif()
add_library(e4c2_http STATIC
  ${CMAKE_CURRENT_LIST_DIR}/http.c
  ${CMAKE_CURRENT_LIST_DIR}/http_conn.c
  ${CMAKE_CURRENT_LIST_DIR}/http_route.c
  ${CMAKE_CURRENT_LIST_DIR}/http_auth.c
  ${CMAKE_CURRENT_LIST_DIR}/http_reply.c
  ${CMAKE_CURRENT_LIST_DIR}/http_ui.c
  ${CMAKE_CURRENT_LIST_DIR}/api_clients.c
  ${CMAKE_CURRENT_LIST_DIR}/api_topics.c
  ${CMAKE_CURRENT_LIST_DIR}/api_pubkeys.c
  ${CMAKE_CURRENT_LIST_DIR}/api_misc.c
  ${CMAKE_CURRENT_LIST_DIR}/api_events.c
  ${CMAKE_CURRENT_LIST_DIR}/api_auto.c)
target_include_directories(e4c2_http PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(e4c2_http PUBLIC e4c2_api e4c2_metrics PkgConfig::MHD Threads::Threads)

# Where http_ui.c finds the console (web/CMakeLists.txt builds it into
# E4C2_UI_BUILD_DIR and installs it under DATADIR/e4c2/ui).
set(E4C2_UI_BUILD_DIR ${CMAKE_BINARY_DIR}/ui CACHE INTERNAL "the console's bundle in the build tree")
set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/http_ui.c PROPERTIES COMPILE_DEFINITIONS
  "E4C2_UI_BUILD_DIR=\"${E4C2_UI_BUILD_DIR}\";E4C2_BUILD_BIN_DIR=\"${CMAKE_BINARY_DIR}/bin\";E4C2_UI_DATADIR=\"${CMAKE_INSTALL_DATADIR}\";E4C2_UI_INSTALL_DIR=\"${CMAKE_INSTALL_FULL_DATADIR}/e4c2/ui\"")
