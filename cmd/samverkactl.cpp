// samverkactl — the operator CLI. All commands live in provisioning/ (cli.hpp).
#include "samverka/provisioning/cli.hpp"

int main(int argc, char** argv) {
  return samverka::provisioning::run_cli(argc, argv);
}
