// exactformer docs: every check, then the docs/results tree (verify/render/docs_site.hpp).
#include "cli/commands.hpp"
#include "render/docs_site.hpp"
#include "report.hpp"

namespace exactformer::cli {

Command add_docs(CLI::App& app, const Context& ctx) {
  auto o = std::make_shared<CheckCliOptions>();
  auto dir = std::make_shared<std::string>("docs/results");
  auto* docs = app.add_subcommand("docs", "run every check and regenerate docs/results (tables, bounds, plots)");
  docs->add_option("--out", *dir, "output directory")->check(non_empty)->capture_default_str();
  docs->add_option("--n-max", o->n_max, "every labelled graph with 1..N vertices")->check(CLI::Range(1, 9))->capture_default_str();
  docs->add_option("--family-n-max", o->family_n_max, "families up to N vertices")->check(CLI::Range(1, kMaxVertices))->capture_default_str();
  docs->add_option("--jobs", o->jobs, "worker threads")->check(CLI::Range(1, 1024))->capture_default_str();
  docs->add_option("--json", o->json, "also write results as JSON to FILE")->check(non_empty);
  docs->add_option("--regressions", o->regressions, "also write every shrunk witness as a regression case (TSV) to FILE")->check(non_empty);
  docs->add_flag("--quiet", o->quiet, "no progress lines on stderr");
  o->resume.add_to(docs, "every check's sweeps");
  return {docs, [o, dir, docs, &ctx] {
            o->family_n_max_given = docs->count("--family-n-max") > 0;
            OutputFiles outputs(mpi_world().rank == 0);
            const std::string staging = outputs.directory(*dir, "--out");  // the new tree, swapped in whole at commit
            declare_check_outputs(*o, outputs);
            const std::vector<CheckResult> results = run_checks(ctx.registry.checks(), *o, "docs", ctx);
            if (mpi_world().rank != 0) return 0;  // an MPI worker: rank 0 writes the tree
            DocsHeader h;
            h.command = "exactformer docs --out " + *dir + " --n-max " + std::to_string(o->n_max) +
                        (o->family_n_max_given ? " --family-n-max " + std::to_string(o->options().family_n_max) : "");
            h.commit = EXACTFORMER_GIT_COMMIT;
            h.n_max = o->n_max;
            h.edge_orders = o->orders;
            write_docs_site(ctx.registry, results, staging, h, ctx.err);
            const int rc = report_checks(ctx.registry, results, *o, h.command, outputs, ctx.out, /*only_failures=*/true);
            ctx.out << "wrote " << *dir << "/checks.md (with every prediction's measurement) and " << *dir << "/bounds/*.md, *.svg\n";
            return rc;
          }};
}

}  // namespace exactformer::cli
