#include "exactformer/tl_model.hpp"

namespace exactformer {

void DenseMatrix::index() {
  nonzero.assign(static_cast<std::size_t>(rows), {});
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c)
      if (const double v = at(r, c); v != 0) nonzero[static_cast<std::size_t>(r)].emplace_back(c, v);
}

long TlModel::params() const {
  long p = w_e.entries() + (w_pos ? w_pos->entries() : 0) + w_u.entries() + static_cast<long>(b_u.size()) +
           static_cast<long>(ln_final.w.size() + ln_final.b.size());
  for (const TlLayer& l : layers) {
    p += static_cast<long>(l.ln1.w.size() + l.ln1.b.size() + l.ln2.w.size() + l.ln2.b.size() + l.b_o.size());
    for (const TlHead& h : l.heads)
      p += h.wq.entries() + h.wk.entries() + h.wv.entries() + h.wo.entries() + static_cast<long>(h.bq.size() + h.bk.size() + h.bv.size());
    if (l.has_mlp) p += l.w_in.entries() + l.w_out.entries() + static_cast<long>(l.b_in.size() + l.b_out.size());
  }
  return p;
}

std::string TlModel::describe() const {
  static const char* norms[] = {"no LN", "LN", "LNPre"};
  static const char* acts[] = {"relu", "gelu", "gelu_new"};
  std::string attention = this->attention == TlAttention::softmax ? "softmax"
                          : this->attention == TlAttention::hard  ? "hard"
                                                                  : "softmax2(" + std::to_string(softmax2_b) + ")";
  return "L=" + std::to_string(n_layers) + " H=" + std::to_string(n_heads) + " d=" + std::to_string(d_model) + " d_head=" +
         std::to_string(d_head) + " d_mlp=" + std::to_string(layers.empty() || !layers[0].has_mlp ? 0 : d_mlp) + " params=" +
         std::to_string(params()) + " " + norms[static_cast<int>(norm)] + " " + acts[static_cast<int>(act)] + " " +
         (causal ? "causal" : "bidirectional") + " " + attention + (w_pos ? " pos" : "");
}

}  // namespace exactformer
