# goruntime pack: libcurl fetches the live pprof endpoints it scrapes.
pkg_check_modules(CURL REQUIRED IMPORTED_TARGET libcurl)
target_link_libraries(rootline_pack_${pack} PUBLIC PkgConfig::CURL)
