// exactformer list: tasks, constructions, checks.
#include "cli/commands.hpp"

namespace exactformer::cli {

Command add_list(CLI::App& app, const Context& ctx) {
  auto* list = app.add_subcommand("list", "list tasks, constructions and checks");
  auto modes = std::make_shared<bool>(false);
  list->add_flag("--modes", *modes, "only the constructions, one per line, with the attention modes each is built in (for scripts)");
  return {list, [&ctx, modes] {
            std::ostream& out = ctx.out;
            if (*modes) {
              for (const auto& c : ctx.registry.constructions()) {
                out << c->name();
                for (std::size_t i = 0; i < c->modes().size(); ++i) {
                  out << (i ? "," : " ") << attention_kind_name(c->modes()[i].kind);
                }
                out << "\n";
              }
              return 0;
            }
            out << "tasks:\n";
            for (const auto& t : all_tasks())
              out << "  " << t.name << " — " << t.summary << " ("
                  << (t.arity == 0 ? "no argument" : t.arity == 1 ? "every vertex" : "every ordered pair") << ")\n";
            out << "constructions:\n";
            for (const auto& c : ctx.registry.constructions())
              out << "  " << c->name() << " [" << c->task() << "] — " << c->summary() << " (" << c->doc() << ")\n";
            out << "checks:\n";
            for (const auto& [c, s] : ctx.registry.checks()) out << "  " << s.id << " — " << s.statement << "\n";
            return 0;
          }};
}

}  // namespace exactformer::cli
