// The built-in registry: every construction in constructions/list.inc, and the Registry class.
#include "exactformer/construction.hpp"

namespace exactformer {

#define EXACTFORMER_CONSTRUCTION(name) std::unique_ptr<Construction> make_##name();
#include "list.inc"
#undef EXACTFORMER_CONSTRUCTION

void Registry::add(std::shared_ptr<const Construction> c) {
  EXACTFORMER_ASSERT(c != nullptr, "registering a null construction");
  for (const auto& e : list_) EXACTFORMER_ASSERT(e->name() != c->name(), "construction " + c->name() + " registered twice");
  list_.push_back(std::move(c));
}

const Construction& Registry::find(const std::string& name) const {
  for (const auto& c : list_)
    if (c->name() == name) return *c;
  throw usage_error("unknown construction \"" + name + "\" (see `exactformer list`)");
}

std::vector<std::pair<const Construction*, CheckSpec>> Registry::checks() const {
  std::vector<std::pair<const Construction*, CheckSpec>> out;
  for (const auto& c : list_)
    for (auto& s : c->checks()) out.emplace_back(c.get(), std::move(s));
  return out;
}

const Registry& builtin_registry() {
  static const Registry registry = [] {
    Registry r;
#define EXACTFORMER_CONSTRUCTION(name) r.add(make_##name());
#include "list.inc"
#undef EXACTFORMER_CONSTRUCTION
    return r;
  }();
  return registry;
}

const std::vector<std::shared_ptr<const Construction>>& all_constructions() { return builtin_registry().constructions(); }
const Construction& find_construction(const std::string& name) { return builtin_registry().find(name); }

}  // namespace exactformer
