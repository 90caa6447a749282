# Every third-party dependency is found here, once. All come from Debian's archive
# (see scripts/bootstrap.sh); a CUDA build of LibTorch is picked up through CMAKE_PREFIX_PATH.
find_package(Torch REQUIRED)
find_package(OpenCV REQUIRED COMPONENTS core imgproc imgcodecs objdetect)
find_package(Eigen3 3.3 REQUIRED NO_MODULE)
find_package(fmt REQUIRED)
find_package(nlohmann_json 3.9 REQUIRED)
# Datasets: YAML (ultralytics data.yaml) and XML (Pascal VOC); private to the library.
find_package(yaml-cpp REQUIRED)
find_package(pugixml REQUIRED CONFIG)

# Debian's LibTorch config exports the `torch` target but leaves the CXX11 ABI flag in a variable.
# Carry it as a usage requirement so every consumer compiles with the same ABI as LibTorch.
if(TORCH_CXX_FLAGS MATCHES "_GLIBCXX_USE_CXX11_ABI=([01])")
  set(AUTODISTILL_CXX11_ABI ${CMAKE_MATCH_1})
else()
  set(AUTODISTILL_CXX11_ABI 1)
endif()

if(AUTODISTILL_BUILD_PYTHON)
  find_package(Python3 REQUIRED COMPONENTS Interpreter Development.Module)
  # Debian ships pybind11's CMake package; fall back to asking the interpreter where it is.
  find_package(pybind11 CONFIG QUIET)
  if(NOT pybind11_FOUND)
    execute_process(COMMAND ${Python3_EXECUTABLE} -c "import pybind11; print(pybind11.get_cmake_dir())"
                    OUTPUT_VARIABLE _pybind11_dir OUTPUT_STRIP_TRAILING_WHITESPACE)
    find_package(pybind11 CONFIG REQUIRED HINTS ${_pybind11_dir})
  endif()
endif()

if(AUTODISTILL_BUILD_CLI)
  find_package(CLI11 QUIET CONFIG)
  if(NOT CLI11_FOUND)
    find_path(CLI11_INCLUDE_DIR CLI/CLI.hpp REQUIRED)
    add_library(CLI11::CLI11 INTERFACE IMPORTED)
    target_include_directories(CLI11::CLI11 INTERFACE ${CLI11_INCLUDE_DIR})
  endif()
endif()

if(AUTODISTILL_BUILD_TESTS)
  find_package(Catch2 2 REQUIRED)
endif()
