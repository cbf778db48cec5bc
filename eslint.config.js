import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'safekeep-data/', '.dependency-cruiser.cjs', 'test/fixtures/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: { allowDefaultProject: ['eslint.config.js'] }, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      'no-console': ['error', { allow: ['error'] }],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    // node:test's describe/it return promises that the runner itself awaits; tests read wire JSON of any shape.
    files: ['test/**/*.ts', 'bench/**/*.ts', 'examples/**/*.ts'],
    rules: { '@typescript-eslint/no-floating-promises': 'off', 'no-console': 'off', '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // The status page's own scripts run in a browser (adapters/http/page/tsconfig.json gives them the DOM).
    files: ['adapters/http/page/*.js'],
    languageOptions: { globals: { window: 'readonly', document: 'readonly', EventSource: 'readonly', setInterval: 'readonly' } },
  },
);
