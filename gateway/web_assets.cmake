# The web front end (web/) embedded into samverka_gateway_app at build time: gateway/embed_web.cmake
# turns every file into a C++ array in a generated source (see src/static_assets.hpp). The glob
# re-runs at build time (CONFIGURE_DEPENDS), so adding a file under web/ needs no edit here.
set(SAMVERKA_WEB_DIR "${PROJECT_SOURCE_DIR}/web")
file(GLOB_RECURSE samverka_web_files CONFIGURE_DEPENDS "${SAMVERKA_WEB_DIR}/*")
set(samverka_web_generated "${CMAKE_CURRENT_BINARY_DIR}/web_assets_data.cpp")
add_custom_command(
  OUTPUT "${samverka_web_generated}"
  COMMAND "${CMAKE_COMMAND}" "-DWEB_DIR=${SAMVERKA_WEB_DIR}" "-DOUT=${samverka_web_generated}"
          "-DWORK_DIR=${CMAKE_CURRENT_BINARY_DIR}/web_gz" -P "${CMAKE_CURRENT_SOURCE_DIR}/embed_web.cmake"
  DEPENDS ${samverka_web_files} "${CMAKE_CURRENT_SOURCE_DIR}/embed_web.cmake"
  COMMENT "Embedding web/ into the gateway"
  VERBATIM)
target_sources(samverka_gateway_app PRIVATE "${samverka_web_generated}")
