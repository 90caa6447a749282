# Installs the build tree into a scratch prefix, then configures, builds and runs examples/cpp
# with find_package(autodistill_cpp) pointed at that prefix: what a C++ user does.
file(REMOVE_RECURSE ${WORK_DIR})
set(PREFIX ${WORK_DIR}/prefix)
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${PREFIX} --component runtime
                RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "install (runtime) failed: ${rc}")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${PREFIX} --component dev RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "install (dev) failed: ${rc}")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR}/examples/cpp -B ${WORK_DIR}/build -G ${GENERATOR}
                        -DCMAKE_PREFIX_PATH=${PREFIX} -DCMAKE_BUILD_TYPE=Release RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "configuring examples/cpp against the installed package failed: ${rc}")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${WORK_DIR}/build RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "building examples/cpp failed: ${rc}")
endif()
execute_process(COMMAND ${WORK_DIR}/build/detect_people ${SOURCE_DIR}/tests/fixtures/images/face.jpg
                        ${WORK_DIR}/annotated.png
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message(STATUS "${out}${err}")
if(rc)
  message(FATAL_ERROR "examples/cpp failed to run: ${rc}")
endif()
if(NOT EXISTS ${WORK_DIR}/annotated.png)
  message(FATAL_ERROR "examples/cpp ran but wrote no annotated.png")
endif()
