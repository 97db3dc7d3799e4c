#include <iostream>

#include "cli/cli.hpp"
#include "distributed.hpp"

int main(int argc, char** argv) {
  exactformer::mpi_start(argc, argv);  // under mpirun only
  const int code = exactformer::run_cli(argc, argv, std::cout, std::cerr);
  exactformer::mpi_finish();
  return code;
}
