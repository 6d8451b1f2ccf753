# e4c2_db: the SQL layer (db.h) with its SQLite and PostgreSQL drivers. Both
# drivers are always built: the backend is chosen at run time by the URL.
if(NOT TARGET PkgConfig::SQLITE3 OR NOT TARGET PkgConfig::LIBPQ)
  message(WARNING "libsqlite3 or libpq not found: e4c2's database layer is not built")
else()
  add_library(e4c2_db STATIC
    ${CMAKE_CURRENT_LIST_DIR}/db.c
    ${CMAKE_CURRENT_LIST_DIR}/db_cache.c
    ${CMAKE_CURRENT_LIST_DIR}/db_sql.c
    ${CMAKE_CURRENT_LIST_DIR}/db_sqlite.c
    ${CMAKE_CURRENT_LIST_DIR}/db_pg.c
    ${CMAKE_CURRENT_LIST_DIR}/db_pg_msg.c
    ${CMAKE_CURRENT_LIST_DIR}/db_pg_rows.c)
  target_include_directories(e4c2_db PUBLIC ${CMAKE_CURRENT_LIST_DIR})
  target_link_libraries(e4c2_db PUBLIC PkgConfig::SQLITE3 PkgConfig::LIBPQ)
endif()
