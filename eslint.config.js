// Typed ESLint. Two structural rules keep the architecture honest:
//  - the layer rule: a folder of src/ imports only from folders listed before it (its own
//    and lower layers), so dependencies flow one way; every folder of src/ is listed, and a
//    folder that is not is an error (see test/architecture.test.ts);
//  - import-x/no-cycle: no import cycle between any two files.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import importX from "eslint-plugin-import-x";

/**
 * The layers of src/, lowest first. One line each in the README's Layout section.
 * `index.ts` (the public API) sits above every library layer and below the CLI.
 */
export const layers = [
  "core", // errors, numerics (linear algebra, quadrature, quantiles, random numbers), constants, workers
  "kernels", // physics on typed arrays: reflectivity, impedance elements
  "materials", // formulas and element tables → SLD, attenuation
  "params", // parameters, priors, expressions, fit spaces
  "models", // parameterised models: reflectivity, circuits, growth laws, damage terms
  "io", // file formats and problem files
  "optimize", // generic optimisers and samplers (LM, DE, ensemble MCMC) on an objective interface
  "fit", // domain objectives: reflectivity terms, joint objectives, circuits
  "learn", // the learned estimator: training-data generator, network weights, inference (issue 19)
  "analysis", // derived electrochemistry, Lin-KK, DRT
  "campaign", // the manifest, loading and time alignment
  "confounders", // dose ledger, beam path, footprint and geometry helpers
  "simulation", // the campaign simulator
  "diagnosis", // series models, growth laws, damage, population, consistency
  "report", // HTML and SVG
  "autonomy", // experiment design: the dose-aware planner, temporal gating, the agent (tell/ask/report), the digital twin
  "api", // the public API (src/index.ts re-exports it)
  "store", // the service's store: SQLite (embedded) or PostgreSQL, content-addressed files, event log
  "service", // strata serve: HTTP API, ingest and watcher, live diagnosis runner, the live page's server
  "cli", // argument parsing and printing only
];

const layerRules = layers.map((layer, index) => ({
  files: [`src/${layer}/**/*.ts`],
  rules: {
    "no-restricted-imports": [
      "error",
      {
        patterns: [
          ...layers.slice(index + 1).map((higher) => ({
            group: [`**/${higher}/*`, `**/${higher}/**`],
            message: `layer "${layer}" must not import from the higher layer "${higher}"`,
          })),
        ],
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ["node_modules/**", "out/**", "dist/**", "bin/**", "eslint.config.js"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true, allowBoolean: true }],
      "@typescript-eslint/no-non-null-assertion": "off",
      "no-constant-condition": ["error", { checkLoops: false }],
    },
  },
  {
    files: ["src/**/*.ts"],
    plugins: { "import-x": importX },
    settings: { "import-x/extensions": [".ts", ".js"] },
    rules: { "import-x/no-cycle": ["error", { ignoreExternal: true }] },
  },
  ...layerRules,
);
