// Typed ESLint. The layer rule keeps imports flowing one way:
// core -> kernels -> params -> models -> io -> fit -> campaign/diagnosis -> store -> service/cli.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const layers = ["core", "kernels", "materials", "params", "models", "io", "fit", "analysis", "campaign", "diagnosis", "report", "store", "service", "cli"];
const layerRules = layers.map((layer, index) => ({
  files: [`src/${layer}/**/*.ts`],
  rules: {
    "no-restricted-imports": [
      "error",
      {
        patterns: layers.slice(index + 1).map((higher) => ({
          group: [`**/${higher}/*`, `**/${higher}/**`],
          message: `layer "${layer}" must not import from the higher layer "${higher}"`,
        })),
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ["node_modules/**", "out/**", "bin/**", "eslint.config.js"] },
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
  ...layerRules,
);
