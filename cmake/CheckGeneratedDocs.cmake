# Compares generated documentation with the copies committed under docs/.
# Usage: cmake -DGENERATED=<build/docs> -DCOMMITTED=<src/docs> -DFILES=a.md,b.md
#        [-DUPDATE=ON] -P CheckGeneratedDocs.cmake
string(REPLACE "," ";" FILES "${FILES}")
set(stale "")
foreach(file IN LISTS FILES)
  if(UPDATE)
    configure_file("${GENERATED}/${file}" "${COMMITTED}/${file}" COPYONLY)
    continue()
  endif()
  execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files
                  "${GENERATED}/${file}" "${COMMITTED}/${file}"
                  RESULT_VARIABLE different)
  if(different)
    list(APPEND stale "docs/${file}")
  endif()
endforeach()
if(stale)
  message(FATAL_ERROR "Generated documentation differs from the committed "
    "copy: ${stale}. Regenerate it with "
    "`cmake --build build --target kestrel-update-docs` and commit the result.")
endif()
