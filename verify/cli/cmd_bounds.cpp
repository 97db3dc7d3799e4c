// exactformer bounds: claimed vs measured shape for a list of n (verify/render/bounds.hpp).
#include <sstream>

#include "cli/commands.hpp"
#include "render/bounds.hpp"

namespace exactformer::cli {
namespace {

std::vector<int> parse_n_list(const std::string& s) {
  std::vector<int> out;
  for (const std::string& item : split_commas(s)) {
    const auto dots = item.find("..");
    if (dots == std::string::npos) {
      out.push_back(static_cast<int>(parse_integer(item, 1, 65536, "--n")));
    } else {
      const long a = parse_integer(item.substr(0, dots), 1, 65536, "--n"), b = parse_integer(item.substr(dots + 2), 1, 65536, "--n");
      EXACTFORMER_REQUIRE(a <= b, "--n: empty range " + quote_input(item));
      for (long n = a; n <= b; ++n) out.push_back(static_cast<int>(n));
    }
  }
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
