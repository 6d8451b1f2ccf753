# e4c2_store: the operations over the database (store.h), sealing, the
# outbox and its publisher; and the e4c2 program.
add_library(e4c2_store STATIC
  ${CMAKE_CURRENT_LIST_DIR}/keyring.c ${CMAKE_CURRENT_LIST_DIR}/meta.c
  ${CMAKE_CURRENT_LIST_DIR}/schema.c ${CMAKE_CURRENT_LIST_DIR}/notify.c
  ${CMAKE_CURRENT_LIST_DIR}/log.c
  ${CMAKE_CURRENT_LIST_DIR}/store_core.c ${CMAKE_CURRENT_LIST_DIR}/store_rows.c
  ${CMAKE_CURRENT_LIST_DIR}/store_clients.c ${CMAKE_CURRENT_LIST_DIR}/store_client_ops.c
  ${CMAKE_CURRENT_LIST_DIR}/store_client_change.c ${CMAKE_CURRENT_LIST_DIR}/store_topics.c
  ${CMAKE_CURRENT_LIST_DIR}/store_members.c ${CMAKE_CURRENT_LIST_DIR}/store_pubkeys.c
  ${CMAKE_CURRENT_LIST_DIR}/store_c2key.c ${CMAKE_CURRENT_LIST_DIR}/store_misc.c
  ${CMAKE_CURRENT_LIST_DIR}/store_epoch.c
  ${CMAKE_CURRENT_LIST_DIR}/store_policy.c ${CMAKE_CURRENT_LIST_DIR}/store_policy_run.c
  ${CMAKE_CURRENT_LIST_DIR}/store_monitor.c ${CMAKE_CURRENT_LIST_DIR}/store_traffic.c
  ${CMAKE_CURRENT_LIST_DIR}/outbox.c ${CMAKE_CURRENT_LIST_DIR}/publisher.c
  ${CMAKE_CURRENT_LIST_DIR}/sync.c ${CMAKE_CURRENT_LIST_DIR}/sync_keys.c
  ${CMAKE_CURRENT_LIST_DIR}/sync_state.c ${CMAKE_CURRENT_LIST_DIR}/receiver.c
  ${CMAKE_CURRENT_LIST_DIR}/scheduler.c ${CMAKE_CURRENT_LIST_DIR}/monitor.c
  ${CMAKE_CURRENT_LIST_DIR}/monitor_check.c)
target_include_directories(e4c2_store PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(e4c2_store PUBLIC e4c2_suite e4c2_db e4c2_metrics e4_static PkgConfig::MOSQUITTO Threads::Threads)

add_library(e4c2_cli OBJECT
  ${CMAKE_CURRENT_LIST_DIR}/config.c ${CMAKE_CURRENT_LIST_DIR}/cmd_common.c
  ${CMAKE_CURRENT_LIST_DIR}/cmd_init.c ${CMAKE_CURRENT_LIST_DIR}/cmd_token.c)
target_link_libraries(e4c2_cli PUBLIC e4c2_store)

if(TARGET e4c2_http)
  add_executable(e4c2 ${CMAKE_CURRENT_LIST_DIR}/main.c ${CMAKE_CURRENT_LIST_DIR}/cmd_run.c)
  target_link_libraries(e4c2 PRIVATE e4c2_cli e4c2_http e4c2_store)
  install(TARGETS e4c2 RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  install(FILES ${PROJECT_SOURCE_DIR}/docs/man/e4c2.8 DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
endif()
# /metrics reads the store (gauges, traffic counts): a cycle of static
# libraries, which CMake links by repeating them.
if(TARGET e4c2_metrics)
  target_link_libraries(e4c2_metrics PUBLIC e4c2_store)
endif()
