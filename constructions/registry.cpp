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

// precision.<name>.fp_hard / .softmax2_b / .softmax_beta for the fields of the construction's claim.
static std::vector<CheckSpec> precision_checks(const Construction& c) {
  std::vector<CheckSpec> out;
  const std::optional<PrecisionClaim> claim = c.precision_claim(4);
  if (!claim) return out;
  const auto spec = [&](const std::string& model, const std::string& what, Prediction p) {
    CheckSpec s;
    s.id = "precision." + c.name() + "." + model;
    s.statement = what + " over every labelled graph and query, as derived; one step below fails (witness, shrunk)";
    s.source = claim->derivation;
    s.predictions = {p};
    s.prediction_n_max = claim->check_n_max;
    out.push_back(std::move(s));
  };
  if (claim->fp_p) spec("fp_hard", "smallest stable FP_p(hard) bits p*", Prediction::precision_fp);
  if (claim->softmax2_b) spec("softmax2_b", "smallest stable softmax2 b*", Prediction::precision_softmax2);
  if (claim->softmax_exp_beta) spec("softmax_beta", "smallest stable softmax β* (grid 1/64, certified)", Prediction::precision_softmax);
  return out;
}

std::vector<std::pair<const Construction*, CheckSpec>> Registry::checks() const {
  std::vector<std::pair<const Construction*, CheckSpec>> out;
  for (const auto& c : list_) {
    for (auto& s : c->checks()) out.emplace_back(c.get(), std::move(s));
    for (auto& s : precision_checks(*c)) out.emplace_back(c.get(), std::move(s));
  }
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
