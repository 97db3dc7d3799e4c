// exactformer export: a built model's weights out, as exactformer.json (exact) and its TransformerLens view
// (verify/export.hpp, docs/model-format.md).
#include <iostream>

#include "cli/commands.hpp"
#include "export.hpp"
#include "report.hpp"

namespace exactformer::cli {

Command add_export(CLI::App& app, const Context& ctx) {
  struct Options {
    std::string name, out;
    int n = 0;
    int code_bits_offset = 0;
    ModeOptions mode;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("export", "write a built model as DIR/exactformer.json (exactformer-model/2, exact weights), DIR/prompt.json and, where TransformerLens computes it, DIR/config.json + DIR/model.safetensors");
  cmd->add_option("construction", o->name, "construction name (see `list`)")->required();
  cmd->add_option("--n", o->n, "build the model for graphs with at most N vertices")->required()->check(CLI::Range(1, kMaxVertices));
  o->mode.add_to(cmd);
  cmd->add_option("--code-bits-offset", o->code_bits_offset, "build with k(n) + OFFSET code bits")->check(CLI::Range(-64, 64));
  cmd->add_option("--out", o->out, "output directory (created, or replaced whole)")->required()->check(non_empty);

  return {cmd, [o, &ctx] {
            const Construction& c = ctx.registry.find(o->name);
            EXACTFORMER_REQUIRE(o->code_bits_offset == 0 || c.has_code_bits(), "--code-bits-offset: " + c.name() + " has no vertex codes");
            OutputFiles outputs;
            ExportOutputs files(outputs, o->out);
            Variant v = o->mode.variant();
            v.code_bits_offset = o->code_bits_offset;
            std::vector<std::string> args{"--mode", o->mode.mode};
            if (o->mode.b) args.insert(args.end(), {"--b", std::to_string(*o->mode.b)});
            if (!o->mode.beta.empty()) args.insert(args.end(), {"--beta", v.beta.str()});
            if (o->code_bits_offset != 0) args.insert(args.end(), {"--code-bits-offset", std::to_string(o->code_bits_offset)});
            require_memory_to_build(c, o->n, v, kExportBytesPerWeight);
            const Built built = c.build(o->n, v);
            const ExportedModel m = export_model(c, o->n, v, built, args);
            files.write(m);
            outputs.commit();
            ctx.out << "wrote " << o->out << ":";
            for (const auto& [name, bytes] : m.files) ctx.out << " " << name << " (" << bytes.size() << " bytes)";
            ctx.out << "; " << c.name() << " [" << built.variant << "], n <= " << o->n << ", " << describe(measure(built.model)) << "\n";
            ctx.out << (m.transformer_lens ? std::string("TransformerLens view: config.json + model.safetensors (weights rounded to float64)")
                                           : "no TransformerLens view: " + m.why_not) << "\n";
            return 0;
          }};
}

}  // namespace exactformer::cli
