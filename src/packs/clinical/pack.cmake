# clinical pack: where the CSV mapping files live in the source tree (the
# last place cl_map.c looks, after $ROOTLINE_MAPPINGS and <binary>/../data).
target_compile_definitions(rootline_pack_${pack} PRIVATE ROOTLINE_DATA_DIR="${CMAKE_SOURCE_DIR}/data")
