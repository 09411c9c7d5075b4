// Lint: typescript-eslint's type-aware rules; a floating promise is an error (write `void p` on purpose).
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test-output/**', 'esbuild.mjs', 'eslint.config.mjs', 'scripts/cli-launcher.mjs', 'scripts/cli-build.mjs', 'scripts/package-cli.mjs'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // setup.mjs runs before node_modules exists, so it is plain JavaScript outside tsconfig's project; linted all the same.
        projectService: { allowDefaultProject: ['scripts/setup.mjs', 'scripts/setup-plan.mjs'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test's test()/describe() return promises the runner itself awaits.
        { allowForKnownSafeCalls: [{ from: 'package', name: ['test', 'it', 'describe', 'suite'], package: 'node:test' }] },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/require-await': 'off',
    },
  },
);
