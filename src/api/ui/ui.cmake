# The dashboard's files go into the binary as a generated source (cmake/embed_files.cmake), so
# `cairn server` serves /ui with nothing installed beside it. A new file is added to this list
# (and gets its content type from its extension in embed_files.cmake).
set(CAIRN_UI_FILES index.html app.js rollout_chart.js style.css)
set(CAIRN_UI_DIR ${CMAKE_SOURCE_DIR}/src/api/ui)
set(CAIRN_UI_SOURCE ${CMAKE_BINARY_DIR}/generated/api/ui_assets.cc)
list(TRANSFORM CAIRN_UI_FILES PREPEND ${CAIRN_UI_DIR}/ OUTPUT_VARIABLE CAIRN_UI_PATHS)
list(JOIN CAIRN_UI_FILES "," CAIRN_UI_FILE_ARG)
add_custom_command(OUTPUT ${CAIRN_UI_SOURCE}
  COMMAND ${CMAKE_COMMAND} -DOUTPUT=${CAIRN_UI_SOURCE} -DSOURCE_DIR=${CAIRN_UI_DIR}
          -DFILES=${CAIRN_UI_FILE_ARG} -P ${CMAKE_SOURCE_DIR}/cmake/embed_files.cmake
  DEPENDS ${CAIRN_UI_PATHS} ${CMAKE_SOURCE_DIR}/cmake/embed_files.cmake
  COMMENT "Embedding the dashboard (src/api/ui/)"
  VERBATIM)
target_sources(cairn_api PRIVATE ${CAIRN_UI_SOURCE})
# api_test compares what was embedded with the files themselves.
target_compile_definitions(api_test PRIVATE CAIRN_UI_DIR="${CAIRN_UI_DIR}")
