// exactformer bounds: claimed vs measured shape for a list of n (verify/render/bounds.hpp).
#include <sstream>

#include "cli/commands.hpp"
#include "render/bounds.hpp"

namespace exactformer::cli {
namespace {

std::vector<int> parse_n_list(const std::string& s) {
  std::vector<int> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    const auto dots = item.find("..");
    try {
      if (dots == std::string::npos) {
        out.push_back(std::stoi(item));
      } else {
        const int a = std::stoi(item.substr(0, dots)), b = std::stoi(item.substr(dots + 2));
        EXACTFORMER_REQUIRE(a <= b && b - a <= 100000, "bad range " + item);
        for (int n = a; n <= b; ++n) out.push_back(n);
      }
    } catch (const std::logic_error&) {
      throw usage_error("--n: not a number or range: \"" + item + "\"");
    }
  }
  for (int n : out) EXACTFORMER_REQUIRE(n >= 1 && n <= 65536, "--n: " + std::to_string(n) + " is outside 1..65536");
  return out;
}

}  // namespace

Command add_bounds(CLI::App& app, const Context& ctx) {
  struct Options {
    std::string name, ns = "2,4,8,16,32,64,128,256,512,1024,4096,16384,65536";
    int build_max = 4096;
    std::vector<std::string> compare;
  };
  auto o = std::make_shared<Options>();
  auto* bounds = app.add_subcommand("bounds", "claimed vs measured shape of a construction for a list of n");
  bounds->add_option("construction", o->name, "construction name")->required();
  bounds->add_option("--compare", o->compare, "other constructions: one table of depth and width side by side");
  bounds->add_option("--n", o->ns, "comma-separated n and ranges a..b")->capture_default_str();
  bounds->add_option("--build-max", o->build_max, "build and measure models up to this n; formula only beyond")
      ->check(CLI::Range(1, 65536))->capture_default_str();
  return {bounds, [o, &ctx] {
            const std::vector<int> ns = parse_n_list(o->ns);
            const Construction& c = ctx.registry.find(o->name);
            if (o->compare.empty()) return bounds_table(c, ns, o->build_max, ctx.out) ? 0 : 1;
            std::vector<const Construction*> cs{&c};
            for (const auto& name : o->compare) cs.push_back(&ctx.registry.find(name));
            return compare_table(cs, ns, o->build_max, ctx.out) ? 0 : 1;
          }};
}

}  // namespace exactformer::cli
