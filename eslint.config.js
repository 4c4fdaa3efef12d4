import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["**/node_modules/**", "**/dist/**", ".runnel/**", "e2e/artifacts/**", "web/dist/**", "**/*.mjs"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: "readonly", console: "readonly", URL: "readonly" } },
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-console": "off",
    },
  },
  // Layering: the shared vocabulary imports nothing of the engine; the store imports only it;
  // migrations import no live code (their meaning must not change when that code does).
  {
    files: ["server/src/model/**/*.ts"],
    rules: { "no-restricted-imports": ["error", { patterns: [{ group: ["../*", "node:*"], message: "src/model is dependency-free: import only from src/model." }] }] },
  },
  {
    files: ["server/src/store/**/*.ts"],
    rules: { "no-restricted-imports": ["error", { patterns: [{ group: ["../*", "!../model", "!../model/*"], message: "src/store imports only src/model (and libraries)." }] }] },
  },
  {
    files: ["migrations/**/*.ts"],
    rules: { "no-restricted-imports": ["error", { patterns: [{ group: ["../*", "!../lib/*"], message: "Migrations import no live code: state the values the migration needs." }] }] },
  },
);
